"""LSP lifecycle and kernel lifecycle over real pipes with real ipykernel."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import trio

from bridge.client import BridgeClient, spawn_bridge
from tests.integration.helpers import HANG_GUARD, during_run, kernel_pid, pid_alive, run, stdout_text, wait_dead
from tests.support.client import RpcError


async def test_initialize_advertises_position_encoding_and_server_info() -> None:
    async with spawn_bridge() as client:
        result = await client.initialize({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
        assert result["serverInfo"]["name"] == "kernel-bridge"
        assert result["capabilities"]["positionEncoding"] == "utf-8"


async def test_utf16_is_the_default_position_encoding() -> None:
    async with spawn_bridge() as client:
        result = await client.initialize()
        assert result["capabilities"]["positionEncoding"] == "utf-16"


async def test_shutdown_then_exit_exits_zero() -> None:
    async with spawn_bridge() as client:
        await client.initialize()
        assert await client.request("shutdown") is None
        await client.notify("exit")
        with trio.fail_after(HANG_GUARD):
            assert await client.process.wait() == 0


async def test_exit_without_shutdown_exits_one() -> None:
    async with spawn_bridge() as client:
        await client.initialize()
        await client.notify("exit")
        with trio.fail_after(HANG_GUARD):
            assert await client.process.wait() == 1


async def test_list_kernelspecs_includes_the_embedded_python3(bridge: BridgeClient) -> None:
    specs = await bridge.request("jupyter/listKernelspecs")
    python3 = [s for s in specs if s["name"] == "python3"]
    assert python3 and python3[0]["language"] == "python"
    assert set(python3[0]) == {"name", "displayName", "language"}


async def test_start_kernel_reports_identity_and_status(bridge: BridgeClient) -> None:
    result = await bridge.request("jupyter/startKernel", {})
    assert result["kernelName"] == "python3"
    assert result["language"] == "python"
    assert result["implementation"] == "ipython"
    states = [
        n["params"]["executionState"]
        for n in bridge.notifications
        if n["method"] == "jupyter/status" and n["params"]["kernelId"] == result["kernelId"]
    ]
    assert states[0] == "starting"
    assert "idle" in states


async def test_connection_file_is_private_and_on_loopback(bridge: BridgeClient, runtime_dir: object) -> None:
    import json
    from pathlib import Path

    before = set(Path(str(runtime_dir)).glob("kernel-bridge-*.json"))
    await bridge.request("jupyter/startKernel", {})
    (path,) = set(Path(str(runtime_dir)).glob("kernel-bridge-*.json")) - before
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    info = json.loads(path.read_text())
    assert info["ip"] == "127.0.0.1"
    assert info["signature_scheme"] == "hmac-sha256"
    assert len(bytes.fromhex(info["key"])) >= 32


async def test_list_kernels_and_kernel_info(bridge: BridgeClient, kernel: str) -> None:
    listed = await bridge.request("jupyter/listKernels")
    assert [k["kernelId"] for k in listed] == [kernel]
    assert listed[0]["owned"] is True
    assert listed[0]["executionState"] in {"idle", "busy"}
    info = await bridge.request("jupyter/kernelInfo", {"kernelId": kernel})
    assert info["status"] == "ok"
    assert info["language_info"]["name"] == "python"
    assert info["protocol_version"].startswith("5.")


async def test_start_kernel_honours_cwd_and_env(bridge: BridgeClient, tmp_path: object) -> None:
    result = await bridge.request("jupyter/startKernel", {"cwd": str(tmp_path), "env": {"KB_TEST_VALUE": "hello"}})
    reply, outs = await run(
        bridge, result["kernelId"], "import os; print(os.getcwd()); print(os.environ['KB_TEST_VALUE'])"
    )
    assert reply["status"] == "ok"
    assert stdout_text(outs).splitlines() == [str(tmp_path), "hello"]


async def test_shutdown_kernel_stops_its_process_and_reports_dead(bridge: BridgeClient, kernel: str) -> None:
    pid = await kernel_pid(bridge, kernel)
    assert await bridge.request("jupyter/shutdownKernel", {"kernelId": kernel}) is None
    assert await wait_dead(pid)
    assert await bridge.request("jupyter/listKernels") == []
    await bridge.wait_for(
        lambda n: (
            n["method"] == "jupyter/status"
            and n["params"]["kernelId"] == kernel
            and n["params"]["executionState"] == "dead"
        )
    )


async def test_two_kernels_at_once_are_independent(bridge: BridgeClient) -> None:
    a = (await bridge.request("jupyter/startKernel", {}))["kernelId"]
    b = (await bridge.request("jupyter/startKernel", {}))["kernelId"]
    assert a != b
    await run(bridge, a, "x = 'from a'")
    await run(bridge, b, "x = 'from b'")
    results: dict[str, str] = {}

    async def read(kernel_id: str) -> None:
        _, outs = await run(bridge, kernel_id, "print(x)")
        results[kernel_id] = stdout_text(outs)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(read, a)
        nursery.start_soon(read, b)
    assert results == {a: "from a\n", b: "from b\n"}


# The kernel's own shutdown: an atexit handler that writes which shutdown_request reached
# it (ipykernel hands the request's ``restart`` to ``do_shutdown``). Python runs atexit
# handlers only on a clean exit, never when SIGTERM or SIGKILL ends the process.
RECORD_SHUTDOWN = """
import atexit, pathlib
_kernel = get_ipython().kernel
_seen = []
_do_shutdown = _kernel.do_shutdown
def _record(restart):
    _seen.append(restart)
    return _do_shutdown(restart)
_kernel.do_shutdown = _record
atexit.register(lambda: pathlib.Path({path!r}).write_text(f"restart={{_seen}}"))
"""


@pytest.mark.parametrize(
    ("method", "told"), [("jupyter/restartKernel", "[True]"), ("jupyter/shutdownKernel", "[False]")]
)
async def test_the_kernel_runs_its_shutdown_code(
    bridge: BridgeClient, kernel: str, tmp_path: Path, method: str, told: str
) -> None:
    """A restart stops the old kernel as a shutdown does: shutdown_request on control
    (with ``restart`` saying which), and a clean exit before anything is signalled."""
    record = tmp_path / "shutdown.txt"
    reply, _ = await run(bridge, kernel, RECORD_SHUTDOWN.format(path=str(record)))
    assert reply["status"] == "ok"
    old_pid = await kernel_pid(bridge, kernel)
    with trio.fail_after(HANG_GUARD):
        await bridge.request(method, {"kernelId": kernel})
    assert record.read_text() == f"restart={told}"
    assert not pid_alive(old_pid)
    if method == "jupyter/restartKernel":
        assert await kernel_pid(bridge, kernel) != old_pid


async def test_a_busy_kernel_is_interrupted_then_runs_its_shutdown_code(
    bridge: BridgeClient, kernel: str, tmp_path: Path
) -> None:
    """A restart while the kernel runs code: interrupted first (as jupyter_client does),
    its shutdown then runs cleanly instead of waiting behind that code for the signals."""
    record = tmp_path / "shutdown.txt"
    reply, _ = await run(bridge, kernel, RECORD_SHUTDOWN.format(path=str(record)))
    assert reply["status"] == "ok"
    old_pid = await kernel_pid(bridge, kernel)

    async def restart() -> None:
        await bridge.request("jupyter/restartKernel", {"kernelId": kernel})

    # settle: a SIGINT between ipykernel's busy and the code starting can be swallowed by the
    # kernel's own machinery (server/execute.py interrupts a cancelled run until answered for
    # that reason); a stop interrupts once, so this test interrupts the code, not that window
    error = await during_run(bridge, kernel, "import time; time.sleep(600)", restart, settle=0.5)
    assert isinstance(error, RpcError) and error.code == -32015
    assert record.read_text() == "restart=[True]"
    assert not pid_alive(old_pid)
    reply, _ = await run(bridge, kernel, "1+1")
    assert reply["status"] == "ok"


# Stuck: SIGTERM ignored, a thread that never ends (Python waits for it before exiting),
# and the main thread asleep in an execute. It answers shutdown_request (ipykernel does on
# its control thread) but never exits.
STUCK = """
import signal, threading, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
threading.Thread(target=threading.Event().wait).start()
time.sleep(600)
"""


async def test_restart_of_a_kernel_that_will_not_stop_kills_it_and_starts_a_new_one(
    bridge: BridgeClient, kernel: str
) -> None:
    old_pid = await kernel_pid(bridge, kernel)
    execute_id = bridge.new_id()
    restarted: list[Any] = []

    async def restart() -> None:
        restarted.append(await bridge.request("jupyter/restartKernel", {"kernelId": kernel}))

    start = len(bridge.notifications)
    error = await during_run(bridge, kernel, STUCK, restart, msg_id=execute_id)
    assert restarted[0]["kernelId"] == kernel
    assert isinstance(error, RpcError) and error.code == -32015
    # the pending execute failed at once, not after the old kernel was made to stop:
    # before the new kernel's first status
    statuses = [
        (i, n["params"]["executionState"])
        for i, n in enumerate(bridge.notifications)
        if i >= start and n["method"] == "jupyter/status"
    ]
    first_starting = next(i for i, state in statuses if state == "starting")
    assert bridge.notifications_before[execute_id] <= first_starting
    assert await wait_dead(old_pid)
    reply, _ = await run(bridge, kernel, "1+1")
    assert reply["status"] == "ok"
