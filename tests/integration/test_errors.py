"""Every error the editor can meet gets a JSON-RPC error it can act on, and the bridge
keeps serving afterwards."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from bridge.client import BridgeClient, RpcError, bridge_command, spawn_bridge
from bridge.server.framing import MAX_BODY_BYTES, frame
from tests.integration.helpers import HANG_GUARD, run, stdout_text


async def raw_reply(client: BridgeClient, body: bytes) -> dict[str, object]:
    """Send raw bytes and return the next response that is not a notification."""
    replies: list[dict[str, object]] = []
    original = client._on_message

    def capture(msg: dict[str, object], nursery: trio.Nursery) -> None:
        if "method" not in msg:
            replies.append(msg)
        else:
            original(msg, nursery)

    client._on_message = capture  # type: ignore[method-assign]
    try:
        await client.send_raw(body)
        with trio.fail_after(HANG_GUARD):
            while not replies:
                await trio.sleep(0.01)
    finally:
        client._on_message = original  # type: ignore[method-assign]
    return replies[0]


async def still_serving(client: BridgeClient) -> None:
    assert isinstance(await client.request("jupyter/listKernels"), list)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"\xff\xfe\x00garbage", -32700),
        (b"[]", -32600),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "jupyter/listKernels"}]', -32600),
        (b"42", -32600),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "jupyter/listKernels"}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1.5, "method": "jupyter/listKernels"}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 7}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "jupyter/noSuchMethod"}', -32601),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "jupyter/execute", "params": 3}', -32602),
    ],
)
async def test_malformed_input_gets_the_json_rpc_code(bridge: BridgeClient, body: bytes, code: int) -> None:
    reply = await raw_reply(bridge, frame(body))
    assert reply["error"]["code"] == code  # type: ignore[index]
    await still_serving(bridge)


async def test_bad_content_length_is_a_parse_error(bridge: BridgeClient) -> None:
    reply = await raw_reply(bridge, b"Content-Length: nope\r\n\r\n{}")
    assert reply["error"]["code"] == -32700  # type: ignore[index]
    assert reply["id"] is None
    await still_serving(bridge)


async def test_bad_params_name_the_field(bridge: BridgeClient) -> None:
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/execute", {"kernelId": 12, "code": "1"})
    assert info.value.code == -32602
    assert "kernelId" in info.value.message
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/connectKernel", {"connectionFile": 5})
    assert info.value.code == -32602 and "connectionFile" in info.value.message
    await still_serving(bridge)


async def test_a_first_line_out_of_range_is_refused_before_the_code_runs(bridge: BridgeClient, kernel: str) -> None:
    """An LSP line is a uinteger: a bad firstLine must not fail after the run, losing its reply."""
    for line in (-1, 2**31):
        with pytest.raises(RpcError) as info:
            await bridge.request(
                "jupyter/execute", {"kernelId": kernel, "code": "ran = True", "uri": "file:///x.py", "firstLine": line}
            )
        assert info.value.code == -32602 and "firstLine" in info.value.message
    reply, outputs = await run(bridge, kernel, "print('ran' in dir())")
    assert reply["status"] == "ok" and stdout_text(outputs) == "False\n"


async def replies_to(client: BridgeClient, data: bytes, ids: set[object]) -> dict[object, dict[str, object]]:
    """Send raw bytes and return the responses to ``ids``, by id."""
    replies: dict[object, dict[str, object]] = {}
    original = client._on_message

    def capture(msg: dict[str, object], nursery: trio.Nursery) -> None:
        if "method" not in msg and msg.get("id") in ids:
            replies[msg["id"]] = msg
        else:
            original(msg, nursery)

    client._on_message = capture  # type: ignore[method-assign]
    try:
        await client.send_raw(data)
        with trio.fail_after(HANG_GUARD):
            while len(replies) < len(ids):
                await trio.sleep(0.01)
    finally:
        client._on_message = original  # type: ignore[method-assign]
    return replies


async def test_start_params_the_os_would_refuse_name_the_field(bridge: BridgeClient) -> None:
    """Values execve, the file system or a deadline cannot take: -32602 before anything
    runs, not an internal error from deep inside."""
    for params, field in [
        ({"env": {"A=B": "x"}}, "env"),
        ({"env": {"": "x"}}, "env"),
        ({"env": {"A": "x\0y"}}, "env"),
        ({"env": {"A\0": "x"}}, "env"),
        ({"cwd": "/tmp/\0"}, "cwd"),
        ({"startupTimeout": -1}, "startupTimeout"),
        ({"startupTimeout": 0}, "startupTimeout"),
    ]:
        with pytest.raises(RpcError) as info:
            await bridge.request("jupyter/startKernel", params)
        assert info.value.code == -32602 and info.value.message.startswith(f"invalid params: {field}: "), params
        assert info.value.data is None  # no traceback: nothing failed inside
    for method in ("jupyter/startKernel", "jupyter/connectKernel"):  # 1e999: valid JSON, parsed as infinity
        body = b'{"jsonrpc":"2.0","id":"inf","method":"%s","params":{"startupTimeout":1e999}}' % method.encode()
        reply = await raw_reply(bridge, frame(body))
        assert reply["id"] == "inf" and reply["error"]["code"] == -32602  # type: ignore[index]
        assert reply["error"]["message"].startswith("invalid params: startupTimeout: ")  # type: ignore[index]
    assert await bridge.request("jupyter/listKernels") == []


def test_a_startup_timeout_that_is_not_positive_is_refused_on_the_command_line() -> None:
    for value in ("0", "-5", "nan", "inf"):
        done = subprocess.run(
            [*bridge_command(), "--startup-timeout", value],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
        assert done.returncode == 2 and "expected a positive number of seconds" in done.stderr, done.stderr


async def test_params_nested_too_deep_name_the_field(bridge: BridgeClient) -> None:
    """Deep enough to parse, and to overflow the recursion limit later when the params go
    to the kernel: refused up front, the field named."""
    deep = b"[" * 950 + b"]" * 950
    body = (
        b'{"jsonrpc":"2.0","id":"deep","method":"jupyter/execute","params":{"kernelId":"k","code":"1","userExpressions":{"a":'
        + deep
        + b"}}}"
    )
    reply = await raw_reply(bridge, frame(body))
    assert reply["id"] == "deep" and reply["error"]["code"] == -32602  # type: ignore[index]
    assert reply["error"]["message"] == "invalid params: userExpressions: nested more than 100 levels deep"  # type: ignore[index]
    ok = b'{"jsonrpc":"2.0","id":"ok","method":"jupyter/listKernels","params":{"x":' + b"[" * 99 + b"]" * 99 + b"}}"
    assert (await raw_reply(bridge, frame(ok)))["result"] == []
    await still_serving(bridge)


async def test_a_message_over_the_size_limit_is_answered_by_its_id(bridge: BridgeClient) -> None:
    code = b"x" * MAX_BODY_BYTES
    body = b'{"jsonrpc":"2.0","id":"big","method":"jupyter/execute","params":{"kernelId":"k","code":"' + code + b'"}}'
    after = frame(b'{"jsonrpc":"2.0","id":"after","method":"jupyter/listKernels"}')
    replies = await replies_to(bridge, frame(body) + after, {"big", "after"})
    assert replies["big"]["error"]["code"] == -32600  # type: ignore[index]
    assert f"more than the limit of {MAX_BODY_BYTES} bytes" in replies["big"]["error"]["message"]  # type: ignore[index]
    assert replies["after"]["result"] == []


async def test_a_lying_content_length_does_not_swallow_what_follows(bridge: BridgeClient) -> None:
    lie = b"Content-Length: 999999999999\r\n\r\n" + b'{"jsonrpc":"2.0","id":"lie","method":"jupyter/listKernels"}'
    after = frame(b'{"jsonrpc":"2.0","id":"after","method":"jupyter/listKernels"}')
    replies = await replies_to(bridge, lie + after, {"lie", "after"})
    assert replies["lie"]["error"]["code"] == -32600  # type: ignore[index]
    assert replies["after"]["result"] == []


async def test_lsp_request_before_initialize_is_refused() -> None:
    async with spawn_bridge() as client:
        with pytest.raises(RpcError) as info:
            await client.request(
                "textDocument/hover", {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}
            )
        assert info.value.code == -32002
        await still_serving(client)


async def test_unknown_kernel_id(bridge: BridgeClient) -> None:
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/execute", {"kernelId": "nope", "code": "1"})
    assert info.value.code == -32001
    assert "no kernel with id 'nope'" in info.value.message


async def test_unknown_kernelspec_lists_the_installed_ones(bridge: BridgeClient) -> None:
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/startKernel", {"kernelName": "cobol"})
    assert info.value.code == -32013
    assert "'cobol'" in info.value.message and "python3" in info.value.message
    await still_serving(bridge)


async def test_missing_connection_file(bridge: BridgeClient, tmp_path: Path) -> None:
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/connectKernel", {"connectionFile": str(tmp_path / "nope.json")})
    assert info.value.code == -32014 and "no connection file matches" in info.value.message
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"shell_port": 1}))
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/connectKernel", {"connectionFile": str(bad)})
    assert info.value.code == -32014 and "iopub_port" in info.value.message


@pytest.fixture
async def broken_kernels(tmp_path: Path) -> AsyncIterator[BridgeClient]:
    """A bridge that sees two extra kernelspecs: one that crashes, one that never answers."""
    kernels = tmp_path / "kernels"
    for name, code in {
        "crashes": "import sys; sys.stderr.write('ImportError: no module named imaginary\\n'); sys.exit(3)",
        "silent": "import time; time.sleep(600)",
    }.items():
        (kernels / name).mkdir(parents=True)
        spec = {"argv": ["python", "-c", code, "{connection_file}"], "display_name": name, "language": "python"}
        (kernels / name / "kernel.json").write_text(json.dumps(spec))
    async with spawn_bridge(env={"JUPYTER_PATH": str(tmp_path)}) as client:
        yield client


async def test_kernel_that_exits_during_startup_reports_its_stderr(
    broken_kernels: BridgeClient, runtime_dir: Path
) -> None:
    before = set(runtime_dir.glob("kernel-bridge-*.json"))
    with pytest.raises(RpcError) as info:
        await broken_kernels.request("jupyter/startKernel", {"kernelName": "crashes"})
    assert info.value.code == -32010
    assert "exit code 3" in info.value.message
    assert "no module named imaginary" in info.value.message
    assert await broken_kernels.request("jupyter/listKernels") == []
    assert set(runtime_dir.glob("kernel-bridge-*.json")) <= before, (
        "the failed kernel's connection file was left behind"
    )


async def test_kernel_that_never_answers_times_out_and_is_stopped(
    broken_kernels: BridgeClient, runtime_dir: Path
) -> None:
    before = set(runtime_dir.glob("kernel-bridge-*.json"))
    with pytest.raises(RpcError) as info:
        await broken_kernels.request("jupyter/startKernel", {"kernelName": "silent", "startupTimeout": 2})
    assert info.value.code == -32010
    assert "did not become ready within 2 s" in info.value.message
    assert await broken_kernels.request("jupyter/listKernels") == []
    assert set(runtime_dir.glob("kernel-bridge-*.json")) <= before, (
        "the failed kernel's connection file was left behind"
    )
    await still_serving(broken_kernels)


async def test_kernel_dying_fails_pending_requests_and_bridge_lives_on(bridge: BridgeClient, kernel: str) -> None:
    results: list[object] = []

    async def call(code: str) -> None:
        try:
            results.append(await bridge.request("jupyter/execute", {"kernelId": kernel, "code": code}))
        except RpcError as exc:
            results.append(exc)

    with trio.fail_after(HANG_GUARD):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call, "import os, time; time.sleep(0.3); os._exit(7)")
            await trio.sleep(0.1)
            nursery.start_soon(call, "print('queued behind the crash')")
    assert len(results) == 2
    for err in results:
        assert isinstance(err, RpcError) and err.code == -32011
        assert "died (exit code 7)" in err.message
    dead = await bridge.wait_for(
        lambda n: (
            n["method"] == "jupyter/status"
            and n["params"]["kernelId"] == kernel
            and n["params"]["executionState"] == "dead"
        )
    )
    assert dead["params"]["exitCode"] == 7
    assert "exit code 7" in dead["params"]["reason"]
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/execute", {"kernelId": kernel, "code": "1"})
    assert info.value.code == -32011
    other = await bridge.request("jupyter/startKernel", {})
    reply, _ = await run(bridge, other["kernelId"], "1+1")
    assert reply["status"] == "ok"


async def test_dead_kernel_can_be_shut_down(bridge: BridgeClient, kernel: str) -> None:
    with pytest.raises(RpcError):
        await bridge.request("jupyter/execute", {"kernelId": kernel, "code": "import os; os._exit(1)"})
    assert await bridge.request("jupyter/shutdownKernel", {"kernelId": kernel}) is None
    assert await bridge.request("jupyter/listKernels") == []
