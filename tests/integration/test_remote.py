"""Remote kernels on a real Jupyter Server (127.0.0.1, random port, random token), driven
through the installed bridge with the same editor API as local kernels (docs/remote.md)."""

from __future__ import annotations

import base64
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trio

pytest.importorskip("jupyter_server")
httpx = pytest.importorskip("httpx")
pytest.importorskip("trio_websocket")

from bridge.client import BridgeClient, RpcError, spawn_bridge  # noqa: E402
from tests.integration.helpers import HANG_GUARD, during_run, run, stdout_text  # noqa: E402
from tests.integration.http_servers import server_process  # noqa: E402
from tests.integration.test_comms_and_clients import ECHO_TARGET  # noqa: E402

REMOTE_SERVER_ERROR = -32017


class Server:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def params(self, **extra: Any) -> dict[str, Any]:
        return {"url": self.url, "token": self.token, **extra}

    async def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        """The test's own REST calls, straight to the server (not through the bridge)."""
        async with httpx.AsyncClient(headers={"Authorization": f"token {self.token}"}, timeout=HANG_GUARD) as client:
            response = await client.request(method, self.url + path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    async def kernel_ids(self) -> set[str]:
        return {k["id"] for k in await self.rest("GET", "api/kernels")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(*extra_args: str) -> Iterator[Server]:
    """``python -m jupyter_server`` on 127.0.0.1, a free port, a random token, private dirs."""
    token = secrets.token_hex(16)
    port = free_port()
    # the root goes with the block, the server's log included: nothing left on disk
    with tempfile.TemporaryDirectory(prefix="kb-remote-root-", ignore_cleanup_errors=True) as root:
        argv = [
            sys.executable, "-m", "jupyter_server",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True", *extra_args,
        ]  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        with server_process(argv, url, Path(root), name="server"):
            yield Server(url, token)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server() as running:
        yield running


@pytest.fixture
async def editor() -> AsyncIterator[BridgeClient]:
    async with spawn_bridge() as client:
        await client.initialize(
            {"experimental": {"jupyterInput": True}}, initializationOptions={"completionTimeout": 30}
        )
        yield client


async def quit_bridge(client: BridgeClient) -> None:
    """End the bridge as an editor closing it does (stdin EOF) and wait until it is gone."""
    await client.close_stdin()
    with trio.fail_after(HANG_GUARD):
        await client.process.wait()


# -- the tests ----------------------------------------------------------------------


async def test_kernelspecs_start_execute_and_the_bridge_stops_what_it_started(server: Server) -> None:
    async with spawn_bridge() as client:
        await client.initialize()
        specs = await client.request("jupyter/listKernelspecs", {"server": server.params()})
        assert "python3" in {s["name"] for s in specs}
        ref = await client.request("jupyter/startKernel", {"server": server.params(), "kernelName": "python3"})
        assert ref["implementation"] == "ipython" and ref["language"] == "python"
        assert ref["server"]["url"] == server.url and "token" not in str(ref)
        remote_id = ref["remoteKernelId"]
        assert remote_id in await server.kernel_ids()

        reply, outs = await run(client, ref["kernelId"], "print('hello from afar'); 6 * 7")
        assert reply["status"] == "ok"
        assert stdout_text(outs) == "hello from afar\n"
        (result,) = [o for o in outs if o["msgType"] == "execute_result"]
        assert result["content"]["data"]["text/plain"] == "42"
        error, _ = await run(client, ref["kernelId"], "1/0")
        assert error["status"] == "error" and error["ename"] == "ZeroDivisionError"

        listed = await client.request("jupyter/listKernels", {"server": server.params()})
        (mine,) = [k for k in listed if k["kernelId"] == remote_id]
        assert mine["bridgeKernelId"] == ref["kernelId"] and mine["owned"] is True
        await quit_bridge(client)
    assert remote_id not in await server.kernel_ids(), "a remote kernel the bridge started ends with it"
    states = [n["params"]["executionState"] for n in client.notifications if n["method"] == "jupyter/status"]
    assert "disconnected" not in states and states[-1] == "dead"


async def test_input_completion_hover_interrupt_and_restart(server: Server, editor: BridgeClient) -> None:
    uri = "file:///tmp/kb-remote-doc.py"
    ref = await editor.request("jupyter/startKernel", {"server": server.params(), "uri": uri})
    kernel = ref["kernelId"]

    async def answer(method: str, params: Any) -> Any:
        assert method == "jupyter/input" and params["prompt"] == "Name: "
        return {"value": "Ada"}

    editor.on_request = answer
    reply, outs = await run(editor, kernel, "name = input('Name: '); print('hi', name)")
    assert reply["status"] == "ok" and "hi Ada" in stdout_text(outs)

    text = "import collections\ncollections.Ord\nprint('x')"
    await editor.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    position = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 15}}
    completion = await editor.request("textDocument/completion", position)
    assert "OrderedDict" in {item["label"] for item in completion["items"]}
    hover = await editor.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 3}}
    )
    assert hover is not None and "Prints the values" in hover["contents"]["value"]

    outcome = await during_run(
        editor,
        kernel,
        "while True:\n    pass",
        lambda: editor.request("jupyter/interruptKernel", {"kernelId": kernel}),
        settle=0.3,
    )
    assert not isinstance(outcome, RpcError)
    assert outcome["status"] == "error" and outcome["ename"] == "KeyboardInterrupt"

    await run(editor, kernel, "x = 1")
    restarted = await editor.request("jupyter/restartKernel", {"kernelId": kernel})
    assert restarted["kernelId"] == kernel and restarted["remoteKernelId"] == ref["remoteKernelId"]
    reply, _ = await run(editor, kernel, "x")
    assert reply["status"] == "error" and reply["ename"] == "NameError"
    reply, outs = await run(editor, kernel, "print('after restart')")
    assert stdout_text(outs) == "after restart\n"


async def comm_round_trip(client: BridgeClient, kernel: str) -> None:
    """An editor-opened comm to a target the kernel registered, messages and binary buffers
    both ways, then a comm the kernel opens: the same notifications as for a local kernel."""
    reply, _ = await run(client, kernel, ECHO_TARGET)
    assert reply["status"] == "ok"
    start = len(client.notifications)
    opened = await client.request("jupyter/commOpen", {"kernelId": kernel, "targetName": "echo", "data": {"hello": 1}})
    comm_id = opened["commId"]
    first = await client.wait_for(lambda n: n["method"] == "jupyter/comm", start)
    assert first["params"]["commId"] == comm_id and first["params"]["data"] == {"opened": {"hello": 1}}
    start = len(client.notifications)
    ping = base64.b64encode(b"\x01\x02ping").decode()
    await client.request(
        "jupyter/commMsg", {"kernelId": kernel, "commId": comm_id, "data": {"x": [1, 2]}, "buffers": [ping]}
    )
    echo = await client.wait_for(lambda n: n["method"] == "jupyter/comm", start)
    assert echo["params"]["msgType"] == "comm_msg" and echo["params"]["data"] == {"echo": {"x": [1, 2]}, "nbuf": 1}
    assert base64.b64decode(echo["params"]["buffers"][0]) == b"\x00pong"
    await client.request("jupyter/commClose", {"kernelId": kernel, "commId": comm_id})
    info = await client.request("jupyter/commInfo", {"kernelId": kernel})
    assert comm_id not in info["comms"]

    start = len(client.notifications)
    code = "import comm\nc = comm.create_comm(target_name='from_kernel', data={'v': 7}, buffers=[b'\\xff'])\nc.close()"
    reply, _ = await run(client, kernel, code)
    assert reply["status"] == "ok"
    comms = [n["params"] for n in client.notifications[start:] if n["method"] == "jupyter/comm"]
    assert [c["msgType"] for c in comms] == ["comm_open", "comm_close"]
    assert comms[0]["targetName"] == "from_kernel" and base64.b64decode(comms[0]["buffers"][0]) == b"\xff"


async def test_comms_both_ways_and_variables(server: Server, editor: BridgeClient) -> None:
    ref = await editor.request("jupyter/startKernel", {"server": server.params()})
    kernel = ref["kernelId"]
    await comm_round_trip(editor, kernel)

    reply, _ = await run(editor, kernel, "a = 1\nb = 'x' * 100_000\nimport numpy as np\nm = np.zeros((2, 3))")
    count = reply["executionCount"]
    start = len(editor.notifications)
    variables = {v["name"]: v for v in await editor.request("jupyter/variables", {"kernelId": kernel})}
    assert {"a", "b", "m"} <= set(variables) and "np" not in variables
    assert variables["a"] == {"name": "a", "type": "int", "summary": "1"}
    assert variables["b"]["size"] == 100_000 and len(variables["b"]["summary"]) <= 200
    assert variables["m"]["shape"] == [2, 3]
    assert not [n for n in editor.notifications[start:] if n["method"] == "jupyter/output"]
    after, _ = await run(editor, kernel, "1")
    assert after["executionCount"] == count + 1, "listing variables adds nothing to the kernel's history"


async def test_attached_kernel_is_used_and_never_shut_down(server: Server) -> None:
    model = await server.rest("POST", "api/kernels", json={"name": "python3"})
    try:
        async with spawn_bridge() as client:
            await client.initialize()
            listed = await client.request("jupyter/listKernels", {"server": server.params()})
            assert model["id"] in {k["kernelId"] for k in listed}
            with pytest.raises(RpcError) as missing:
                await client.request("jupyter/connectKernel", {"server": server.params(), "kernelId": "no-such-kernel"})
            assert missing.value.code == -32001 and model["id"] in missing.value.message

            ref = await client.request("jupyter/connectKernel", {"server": server.params(), "kernelId": model["id"]})
            assert ref["remoteKernelId"] == model["id"]
            (entry,) = await client.request("jupyter/listKernels")
            assert entry["owned"] is False
            reply, outs = await run(client, ref["kernelId"], "print('attached')")
            assert reply["status"] == "ok" and stdout_text(outs) == "attached\n"
            await client.request("jupyter/shutdownKernel", {"kernelId": ref["kernelId"]})
            assert model["id"] in await server.kernel_ids(), "detaching must not stop a kernel we did not start"
            again = await client.request("jupyter/connectKernel", {"server": server.params(), "kernelId": model["id"]})
            await run(client, again["kernelId"], "y = 2")
            await quit_bridge(client)
        assert model["id"] in await server.kernel_ids()
    finally:
        await server.rest("DELETE", f"api/kernels/{model['id']}")


async def test_keep_kernels_leaves_a_started_kernel_running(server: Server) -> None:
    async with spawn_bridge() as client:
        ref = await client.request("jupyter/startKernel", {"server": server.params(keepKernels=True)})
        await quit_bridge(client)
    try:
        assert ref["remoteKernelId"] in await server.kernel_ids()
    finally:
        await server.rest("DELETE", f"api/kernels/{ref['remoteKernelId']}")


async def test_a_killed_bridge_still_deletes_what_it_started(server: Server) -> None:
    """SIGKILL gives the bridge no chance to clean up: its helper (bridge/remote/reaper.py)
    deletes the kernels it started, and leaves attached and keepKernels ones alone."""
    attached = await server.rest("POST", "api/kernels", json={"name": "python3"})
    kept: dict[str, Any] = {}
    try:
        async with spawn_bridge() as client:
            owned = await client.request("jupyter/startKernel", {"server": server.params()})
            kept = await client.request("jupyter/startKernel", {"server": server.params(keepKernels=True)})
            ref = await client.request("jupyter/connectKernel", {"server": server.params(), "kernelId": attached["id"]})
            await run(client, ref["kernelId"], "z = 3")
            client.process.kill()
            with trio.fail_after(HANG_GUARD):
                await client.process.wait()
        with trio.fail_after(HANG_GUARD):
            while owned["remoteKernelId"] in await server.kernel_ids():
                await trio.sleep(0.1)
        assert {attached["id"], kept["remoteKernelId"]} <= await server.kernel_ids()
    finally:
        for remote_id in (attached["id"], kept.get("remoteKernelId")):
            if remote_id:
                await server.rest("DELETE", f"api/kernels/{remote_id}")


async def test_wrong_token_and_server_down_are_clear_errors(server: Server) -> None:
    wrong = "wrong-" + secrets.token_hex(8)
    async with spawn_bridge(stderr=subprocess.PIPE) as client:
        for method in ("jupyter/listKernelspecs", "jupyter/startKernel", "jupyter/listKernels"):
            with pytest.raises(RpcError) as refused:
                await client.request(method, {"server": {"url": server.url, "token": wrong}})
            assert refused.value.code == REMOTE_SERVER_ERROR
            assert server.url in refused.value.message and "token" in refused.value.message
            assert wrong not in refused.value.message
        down = f"http://127.0.0.1:{free_port()}/"
        with pytest.raises(RpcError) as unreachable:
            await client.request("jupyter/startKernel", {"server": {"url": down, "token": wrong}})
        assert unreachable.value.code == REMOTE_SERVER_ERROR
        assert down in unreachable.value.message and "running" in unreachable.value.message
        with pytest.raises(RpcError) as unknown:
            await client.request("jupyter/startKernel", {"server": server.params(), "kernelName": "no-such-spec"})
        assert unknown.value.code == REMOTE_SERVER_ERROR
        assert "no kernelspec 'no-such-spec'" in unknown.value.message and "python3" in unknown.value.message
        with pytest.raises(RpcError) as unnamed:
            await client.request("jupyter/startKernel", {"server": "gpu-box"})
        assert unnamed.value.code == -32602 and "gpu-box" in unnamed.value.message
        assert await client.request("jupyter/listKernels") == []


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


async def test_token_from_the_environment(server: Server) -> None:
    """The token is read from the bridge's environment, and stays there: the cleanup
    helper the first started kernel brings (bridge/remote/reaper.py) does not inherit it."""
    async with spawn_bridge(env={"KB_TEST_TOKEN": server.token}) as client:
        remote = {"url": server.url, "tokenEnv": "KB_TEST_TOKEN"}
        specs = await client.request("jupyter/listKernelspecs", {"server": remote})
        assert "python3" in {s["name"] for s in specs}
        ref = await client.request("jupyter/startKernel", {"server": remote})
        (helper,) = [
            pid
            for pid in children(client.process.pid)
            if b"bridge.remote.reaper" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        environ = Path(f"/proc/{helper}/environ").read_bytes()
        assert b"PATH=" in environ  # it is the helper's environment, readable
        assert b"KB_TEST_TOKEN" not in environ and server.token.encode() not in environ
        await quit_bridge(client)
    assert ref["remoteKernelId"] not in await server.kernel_ids()


async def test_servers_without_the_v1_subprotocol_get_json(tmp_path: Path) -> None:
    log_path = tmp_path / "bridge.log"
    with running_server("--ZMQChannelsWebsocketConnection.kernel_ws_protocol=") as legacy, open(log_path, "wb") as log:
        async with spawn_bridge(["--log-level", "INFO"], stderr=log) as client:
            await client.initialize({"experimental": {"jupyterInput": True}})
            client.on_request = lambda method, params: _answer_value("json")
            ref = await client.request("jupyter/startKernel", {"server": legacy.params()})
            reply, outs = await run(client, ref["kernelId"], "print(input('? ') * 2); 7")
            assert reply["status"] == "ok" and stdout_text(outs) == "jsonjson\n"
            await comm_round_trip(client, ref["kernelId"])  # buffers: binary frames of the JSON protocol
            await quit_bridge(client)
    assert "WebSocket open (JSON protocol)" in log_path.read_text()


async def _answer_value(value: str) -> dict[str, str]:
    return {"value": value}


async def test_the_token_is_never_logged(server: Server, tmp_path: Path) -> None:
    log_path = tmp_path / "bridge.log"
    with open(log_path, "wb") as log:
        async with spawn_bridge(["--log-level", "DEBUG"], stderr=log) as client:
            await client.initialize(initializationOptions={"servers": {"lab": server.params()}})
            ref = await client.request("jupyter/startKernel", {"server": server.params()})
            await run(client, ref["kernelId"], "print('x')")
            with pytest.raises(RpcError):
                await client.request(
                    "jupyter/listKernels", {"server": {"url": server.url, "token": server.token + "-wrong"}}
                )
            await quit_bridge(client)
    text = log_path.read_text()
    assert "jupyter/startKernel" in text, "the log is at debug level"
    assert server.token not in text


async def test_named_server_from_initialization_options(server: Server) -> None:
    async with spawn_bridge(env={"KB_TEST_TOKEN": server.token}) as client:
        await client.initialize(
            initializationOptions={"servers": {"lab": {"url": server.url, "tokenEnv": "KB_TEST_TOKEN"}}}
        )
        ref = await client.request("jupyter/startKernel", {"server": "lab"})
        assert ref["server"] == {"name": "lab", "url": server.url}
        reply, outs = await run(client, ref["kernelId"], "print(1 + 1)")
        assert stdout_text(outs) == "2\n"


# -- a dropped WebSocket -------------------------------------------------------------------


class CuttableProxy:
    """A TCP proxy to the server whose live connections the test can cut, as a network would."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.scopes: set[trio.CancelScope] = set()
        self.port = 0

    async def serve(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, downstream: trio.SocketStream) -> None:
        with trio.CancelScope() as scope:
            self.scopes.add(scope)
            try:
                upstream = await trio.open_tcp_stream("127.0.0.1", self.upstream_port)
                async with downstream, upstream, trio.open_nursery() as nursery:
                    nursery.start_soon(self._pipe, downstream, upstream)
                    nursery.start_soon(self._pipe, upstream, downstream)
            finally:
                self.scopes.discard(scope)

    @staticmethod
    async def _pipe(source: trio.SocketStream, sink: trio.SocketStream) -> None:
        try:
            while data := await source.receive_some(65536):
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    def cut(self) -> int:
        scopes = list(self.scopes)
        for scope in scopes:
            scope.cancel()
        return len(scopes)


async def test_dropped_websocket_reconnects_without_losing_the_kernel(server: Server) -> None:
    upstream = int(server.url.rstrip("/").rsplit(":", 1)[1])
    proxy = CuttableProxy(upstream)
    async with trio.open_nursery() as nursery:
        await nursery.start(proxy.serve)
        via_proxy = {"url": f"http://127.0.0.1:{proxy.port}/", "token": server.token}
        async with spawn_bridge() as client:
            ref = await client.request("jupyter/startKernel", {"server": via_proxy})
            kernel = ref["kernelId"]
            await run(client, kernel, "kept = 41")
            mark = len(client.notifications)
            assert proxy.cut() >= 1
            lost = await client.wait_for(
                lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "disconnected", mark
            )
            assert lost["params"]["kernelId"] == kernel
            back = await client.wait_for(
                lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] in ("idle", "busy"),
                client.notifications.index(lost),
            )
            assert back["params"]["kernelId"] == kernel
            reply, outs = await run(client, kernel, "print(kept + 1)")
            assert reply["status"] == "ok" and stdout_text(outs) == "42\n"
            (listed,) = await client.request("jupyter/listKernels")
            assert listed["executionState"] == "idle"
            await quit_bridge(client)
        nursery.cancel_scope.cancel()
    assert ref["remoteKernelId"] not in await server.kernel_ids()
