"""Remote kernels on a real Jupyter Kernel Gateway (``jupyter kernelgateway``, 127.0.0.1, random
port, ``--KernelGatewayApp.auth_token``), driven through the installed bridge with the same editor
API as local kernels. What differs from Jupyter Server (docs/remote.md, "Kernel Gateway"): its
token check answers 401, it refuses to list kernels unless ``list_kernels`` is set, and an
unknown kernelspec is an HTTP 500."""

from __future__ import annotations

import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kernel_gateway")
httpx = pytest.importorskip("httpx")
pytest.importorskip("trio_websocket")

from bridge.client import RpcError, spawn_bridge  # noqa: E402
from tests.integration.helpers import HANG_GUARD, a_remote_kernels_life, run, stdout_text  # noqa: E402
from tests.integration.http_servers import server_process  # noqa: E402
from tests.integration.test_remote import REMOTE_SERVER_ERROR, Server, free_port, quit_bridge  # noqa: E402


class Gateway(Server):
    async def has_kernel(self, remote_id: str) -> bool:
        """Kernel Gateway does not list its kernels by default: ask for this one."""
        async with httpx.AsyncClient(headers={"Authorization": f"token {self.token}"}, timeout=HANG_GUARD) as client:
            response = await client.get(self.url + f"api/kernels/{remote_id}")
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200


@contextmanager
def running_gateway(*extra_args: str) -> Iterator[Gateway]:
    """``python -m kernel_gateway`` on 127.0.0.1, a free port, a random token, private dirs."""
    token = secrets.token_hex(16)
    port = free_port()
    argv = [
        sys.executable, "-m", "kernel_gateway",
        "--KernelGatewayApp.ip=127.0.0.1", f"--KernelGatewayApp.port={port}",
        "--KernelGatewayApp.port_retries=0", f"--KernelGatewayApp.auth_token={token}", *extra_args,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    # the root goes with the block, the gateway's log included: nothing left on disk
    with (
        tempfile.TemporaryDirectory(prefix="kb-gateway-root-", ignore_cleanup_errors=True) as root,
        server_process(argv, url, Path(root), name="gateway"),
    ):
        yield Gateway(url, token)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with running_gateway() as running:
        yield running


async def _answer(method: str, params: Any) -> dict[str, str]:
    assert method == "jupyter/input"
    return {"value": "gw"}


async def test_gateway_kernelspecs_start_execute_interrupt_restart_shutdown(gateway: Gateway, tmp_path: Path) -> None:
    log_path = tmp_path / "bridge.log"
    with open(log_path, "wb") as log:
        async with spawn_bridge(["--log-level", "INFO"], stderr=log) as client:
            await client.initialize({"experimental": {"jupyterInput": True}})
            client.on_request = _answer
            specs = await client.request("jupyter/listKernelspecs", {"server": gateway.params()})
            assert "python3" in {s["name"] for s in specs}
            ref = await client.request("jupyter/startKernel", {"server": gateway.params(), "kernelName": "python3"})
            kernel, remote_id = ref["kernelId"], ref["remoteKernelId"]
            assert ref["language"] == "python" and "token" not in str(ref)
            assert await gateway.has_kernel(remote_id)

            await a_remote_kernels_life(client, kernel, remote_id, gateway, greeting="via gateway", answer="gw")

            env = {"KERNEL_KB_FLAVOUR": "gateway", "KB_NOT_PASSED": "dropped"}
            second = await client.request("jupyter/startKernel", {"server": gateway.params(), "env": env})
            code = "import os; print(os.environ.get('KERNEL_KB_FLAVOUR'), os.environ.get('KB_NOT_PASSED'))"
            reply, outs = await run(client, second["kernelId"], code)
            assert stdout_text(outs) == "gateway None\n", (
                "Kernel Gateway passes only KERNEL_* variables (docs/remote.md)"
            )
            await quit_bridge(client)
    assert not await gateway.has_kernel(second["remoteKernelId"]), "the bridge's end deletes what it started"
    text = log_path.read_text()
    assert "WebSocket open" in text and gateway.token not in text


async def test_gateway_attached_kernel_is_never_shut_down(gateway: Gateway) -> None:
    model = await gateway.rest("POST", "api/kernels", json={"name": "python3"})
    try:
        async with spawn_bridge() as client:
            ref = await client.request("jupyter/connectKernel", {"server": gateway.params(), "kernelId": model["id"]})
            reply, outs = await run(client, ref["kernelId"], "print('attached')")
            assert reply["status"] == "ok" and stdout_text(outs) == "attached\n"
            with pytest.raises(RpcError) as missing:
                await client.request(
                    "jupyter/connectKernel", {"server": gateway.params(), "kernelId": "no-such-kernel"}
                )
            assert missing.value.code == -32001 and "no-such-kernel" in missing.value.message
            await quit_bridge(client)
        assert await gateway.has_kernel(model["id"])
    finally:
        await gateway.rest("DELETE", f"api/kernels/{model['id']}")


async def test_gateway_wrong_token_unlisted_kernels_and_unknown_kernelspec_are_clear_errors(gateway: Gateway) -> None:
    wrong = "wrong-" + secrets.token_hex(8)
    async with spawn_bridge() as client:
        for method in ("jupyter/listKernelspecs", "jupyter/startKernel", "jupyter/listKernels"):
            with pytest.raises(RpcError) as refused:
                await client.request(method, {"server": {"url": gateway.url, "token": wrong}})
            assert refused.value.code == REMOTE_SERVER_ERROR
            assert gateway.url in refused.value.message and "token" in refused.value.message
            assert wrong not in refused.value.message
        with pytest.raises(RpcError) as unlisted:
            await client.request("jupyter/listKernels", {"server": gateway.params()})
        assert unlisted.value.code == REMOTE_SERVER_ERROR
        assert "accepts the token" in unlisted.value.message and "list_kernels=True" in unlisted.value.message
        with pytest.raises(RpcError) as unknown:
            await client.request("jupyter/startKernel", {"server": gateway.params(), "kernelName": "no-such-spec"})
        assert unknown.value.code == REMOTE_SERVER_ERROR
        assert "no kernelspec 'no-such-spec'" in unknown.value.message and "python3" in unknown.value.message
        assert await client.request("jupyter/listKernels") == []


async def test_gateway_that_lists_kernels_and_speaks_only_json(tmp_path: Path) -> None:
    """Kernel Gateway 2.x and servers before Jupyter Server 2 have no v1 subprotocol: the
    bridge falls back to the JSON protocol (here forced on a 3.x gateway)."""
    log_path = tmp_path / "bridge.log"
    options = (
        "--JupyterWebsocketPersonality.list_kernels=True",
        "--ZMQChannelsWebsocketConnection.kernel_ws_protocol=",
    )
    with running_gateway(*options) as listing, open(log_path, "wb") as log:
        async with spawn_bridge(["--log-level", "INFO"], stderr=log) as client:
            ref = await client.request("jupyter/startKernel", {"server": listing.params()})
            (mine,) = await client.request("jupyter/listKernels", {"server": listing.params()})
            assert mine["kernelId"] == ref["remoteKernelId"] and mine["owned"] is True
            reply, outs = await run(client, ref["kernelId"], "print('over JSON')")
            assert reply["status"] == "ok" and stdout_text(outs) == "over JSON\n"
            await quit_bridge(client)
        assert not await listing.has_kernel(ref["remoteKernelId"])
    assert "WebSocket open (JSON protocol)" in log_path.read_text()
