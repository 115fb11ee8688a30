"""Remote kernels on a real Jupyter Enterprise Gateway 3.3, reached over HTTP as on a cluster.

EG runs from its own venv (scripts/test-setup.d/60-enterprise-gateway.sh: it needs
jupyter_server<2, jupyter_client<7, pyzmq<25) on 127.0.0.1 with a random token, its default
local process proxy launching the test venv's ipykernel and xeus-python (tests/integration/http_servers.py),
its kernelspecs limited as a deployment does (``KernelSpecManager.whitelist``) and its culler
turned low. What differs from Jupyter Server and Kernel Gateway (docs/remote.md, "Enterprise
Gateway"): who starts a kernel is ``KERNEL_USERNAME`` (``root`` is refused by default), the
bridge's ``KERNEL_*`` variables travel with the start, and idle kernels are culled although
the bridge is connected (``cull_connected``)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

httpx = pytest.importorskip("httpx")
pytest.importorskip("trio_websocket")
pytest.importorskip("jupyter_server")  # tests.integration.test_remote needs it

from bridge.client import RpcError, spawn_bridge  # noqa: E402
from tests.integration.helpers import HANG_GUARD, a_remote_kernels_life, run, stdout_text  # noqa: E402
from tests.integration.http_servers import enterprise_gateway_missing, enterprise_gateway_process  # noqa: E402
from tests.integration.test_remote import REMOTE_SERVER_ERROR, Server, free_port, quit_bridge  # noqa: E402

KERNEL_DIED = -32011
# the culler: a kernel quiet this long is shut down, checked every second. Long enough that the
# other tests' kernels (busy, or between two requests) are never quiet that long.
CULL_IDLE_TIMEOUT = 8


class EnterpriseGateway(Server):
    async def has_kernel(self, remote_id: str) -> bool:
        """EG does not list its kernels by default (``list_kernels``): ask for this one."""
        async with httpx.AsyncClient(headers={"Authorization": f"token {self.token}"}, timeout=HANG_GUARD) as client:
            response = await client.get(self.url + f"api/kernels/{remote_id}")
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200


@pytest.fixture(scope="module")
def gateway() -> Iterator[EnterpriseGateway]:
    missing = enterprise_gateway_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    token = secrets.token_hex(16)
    options = (
        "--KernelSpecManager.whitelist=['python3','xpython']",
        # a kernel started with an env (the bridge always sends one to EG) gets only these of EG's own
        "--EnterpriseGatewayApp.inherited_envs=['PATH','HOME']",
        f"--RemoteMappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        "--RemoteMappingKernelManager.cull_interval=1",
        "--RemoteMappingKernelManager.cull_connected=True",
    )
    with (
        tempfile.TemporaryDirectory(prefix="kb-enterprise-gateway-root-") as root,
        enterprise_gateway_process(free_port(), token, Path(root), *options) as running,
    ):
        yield EnterpriseGateway(running.url, token)


async def _answer(method: str, params: Any) -> dict[str, str]:
    assert method == "jupyter/input"
    return {"value": "eg"}


async def test_kernelspecs_start_execute_input_interrupt_restart_shutdown(
    gateway: EnterpriseGateway, tmp_path: Path
) -> None:
    log_path = tmp_path / "bridge.log"
    # the user EG sees: KERNEL_USERNAME, by default the bridge's login name (getpass: LOGNAME)
    bridge_env = {"LOGNAME": "kb-editor", "KERNEL_KB_TEAM": "from-the-bridge"}
    with open(log_path, "wb") as log:
        async with spawn_bridge(["--log-level", "INFO"], env=bridge_env, stderr=log) as client:
            await client.initialize({"experimental": {"jupyterInput": True}})
            client.on_request = _answer
            specs = await client.request("jupyter/listKernelspecs", {"server": gateway.params()})
            assert specs == [
                {
                    "name": "python3",
                    "displayName": "Python 3 (Enterprise Gateway, local process)",
                    "language": "python",
                },
                {
                    "name": "xpython",
                    "displayName": "xeus-python (Enterprise Gateway, local process)",
                    "language": "python",
                },
            ]
            env = {"KERNEL_KB_FLAVOUR": "enterprise", "KB_NOT_PASSED": "dropped"}
            ref = await client.request(
                "jupyter/startKernel",
                {"server": gateway.params(), "kernelName": "python3", "env": env, "startupTimeout": 45},
            )
            kernel, remote_id = ref["kernelId"], ref["remoteKernelId"]
            assert ref["language"] == "python" and ref["implementation"] == "ipython" and "token" not in str(ref)
            assert await gateway.has_kernel(remote_id)

            code = "import os; print(*(os.environ.get(k) for k in {!r}), 'PATH' in os.environ)".format(
                ["KERNEL_USERNAME", "KERNEL_KB_TEAM", "KERNEL_KB_FLAVOUR", "KB_NOT_PASSED", "KERNEL_LAUNCH_TIMEOUT"]
            )
            reply, outs = await run(client, kernel, code)
            assert stdout_text(outs) == "kb-editor from-the-bridge enterprise None 45 True\n", (
                "EG gets the bridge's KERNEL_* variables, its user and launch timeout, and passes only KERNEL_* "
                "and its inherited_envs on"
            )

            await a_remote_kernels_life(
                client, kernel, remote_id, gateway, greeting="via enterprise gateway", answer="eg"
            )

            second = await client.request("jupyter/startKernel", {"server": gateway.params()})
            reply, outs = await run(client, second["kernelId"], "print('second')")
            assert stdout_text(outs) == "second\n"
            await quit_bridge(client)
    assert not await gateway.has_kernel(second["remoteKernelId"]), "the bridge's end deletes what it started"
    text = log_path.read_text()
    assert "WebSocket open (v1.kernel.websocket.jupyter.org)" in text and gateway.token not in text


async def test_idle_kernels_culled_by_the_gateway_are_reported_dead_with_a_reason(gateway: EnterpriseGateway) -> None:
    """EG culls kernels idle for ``cull_idle_timeout`` without closing their WebSockets. The
    bridge learns it from ipykernel's last words (``shutdown_reply``) and the server (404): the
    editor sees ``dead`` at once. xeus-python's last words do not make it through EG: its
    kernel is found gone when the next request is sent to it after its silence."""
    async with spawn_bridge(env={"KERNEL_USERNAME": "kb-culled"}) as client:
        await client.initialize()
        refs: dict[str, dict[str, Any]] = {}

        async def start(name: str) -> None:
            refs[name] = await client.request("jupyter/startKernel", {"server": gateway.params(), "kernelName": name})
            reply, _ = await run(client, refs[name]["kernelId"], "1")
            assert reply["status"] == "ok"

        start_at = len(client.notifications)
        async with trio.open_nursery() as nursery:
            for name in ("python3", "xpython"):
                nursery.start_soon(start, name)
        ipykernel, xeus = refs["python3"], refs["xpython"]
        with trio.fail_after(CULL_IDLE_TIMEOUT + HANG_GUARD):
            dead = await client.wait_for(
                lambda n: (
                    n["method"] == "jupyter/status"
                    and n["params"]["executionState"] == "dead"
                    and n["params"]["kernelId"] == ipykernel["kernelId"]
                ),
                start_at,
            )
        reason = dead["params"]["reason"]
        assert ipykernel["remoteKernelId"] in reason and gateway.url in reason
        assert "culled as idle" in reason and "cull_idle_timeout" in reason and "start a new one" in reason
        assert not await gateway.has_kernel(ipykernel["remoteKernelId"])
        with pytest.raises(RpcError) as after:
            await run(client, ipykernel["kernelId"], "1")
        assert after.value.code == KERNEL_DIED and "culled as idle" in after.value.message

        with trio.fail_after(HANG_GUARD):
            while await gateway.has_kernel(xeus["remoteKernelId"]):
                await trio.sleep(0.2)
        with pytest.raises(RpcError) as silent:
            await run(client, xeus["kernelId"], "1")
        assert silent.value.code == KERNEL_DIED
        assert xeus["remoteKernelId"] in silent.value.message and "culled as idle" in silent.value.message
        await quit_bridge(client)


async def test_wrong_token_refused_user_unlisted_kernels_and_unknown_kernelspec_are_clear_errors(
    gateway: EnterpriseGateway,
) -> None:
    wrong = "wrong-" + secrets.token_hex(8)
    async with spawn_bridge(env={"KERNEL_USERNAME": "kb-errors"}) as client:
        await client.initialize()
        for method in ("jupyter/listKernelspecs", "jupyter/startKernel", "jupyter/listKernels"):
            with pytest.raises(RpcError) as refused:
                await client.request(method, {"server": {"url": gateway.url, "token": wrong}})
            assert refused.value.code == REMOTE_SERVER_ERROR
            assert gateway.url in refused.value.message and "HTTP 401" in refused.value.message
            assert "check the server's token" in refused.value.message and wrong not in refused.value.message

        # EG refuses root unless told otherwise (unauthorized_users): it and the bridge say what to set
        with pytest.raises(RpcError) as root:
            await client.request(
                "jupyter/startKernel", {"server": gateway.params(), "env": {"KERNEL_USERNAME": "root"}}
            )
        assert root.value.code == REMOTE_SERVER_ERROR
        assert "User 'root' is not authorized" in root.value.message and "KERNEL_USERNAME" in root.value.message
        assert "startKernel's env or in the bridge's environment" in root.value.message

        with pytest.raises(RpcError) as unlisted:
            await client.request("jupyter/listKernels", {"server": gateway.params()})
        assert unlisted.value.code == REMOTE_SERVER_ERROR
        assert "accepts the token" in unlisted.value.message and "EG_LIST_KERNELS=True" in unlisted.value.message

        with pytest.raises(RpcError) as unknown:
            await client.request("jupyter/startKernel", {"server": gateway.params(), "kernelName": "no-such-spec"})
        assert unknown.value.code == REMOTE_SERVER_ERROR
        assert (
            "no kernelspec 'no-such-spec'" in unknown.value.message
            and "(it has: python3, xpython)" in unknown.value.message
        )
        assert await client.request("jupyter/listKernels") == []
