"""A kernel the bridge started never outlives it, however the bridge ends."""

from __future__ import annotations

import signal

import pytest
import trio

from bridge.client import spawn_bridge
from tests.integration.helpers import HANG_GUARD, kernel_pid, pid_alive, wait_dead


async def started_kernel_pids(client: object, count: int = 2) -> list[int]:
    pids = []
    for _ in range(count):
        kernel = await client.request("jupyter/startKernel", {})  # type: ignore[attr-defined]
        pids.append(await kernel_pid(client, kernel["kernelId"]))  # type: ignore[arg-type]
    return pids


async def test_stdin_eof_stops_every_started_kernel() -> None:
    async with spawn_bridge() as client:
        pids = await started_kernel_pids(client)
        assert all(pid_alive(p) for p in pids)
        await client.close_stdin()
        with trio.fail_after(HANG_GUARD):
            assert await client.process.wait() == 0
    for pid in pids:
        assert await wait_dead(pid, 10), f"kernel {pid} outlived the bridge"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
async def test_signalled_bridge_leaves_no_kernel(sig: signal.Signals) -> None:
    async with spawn_bridge() as client:
        pids = await started_kernel_pids(client)
        client.process.send_signal(sig)
        with trio.fail_after(HANG_GUARD):
            await client.process.wait()
    for pid in pids:
        assert await wait_dead(pid, 10), f"kernel {pid} outlived a bridge killed by {sig.name}"


async def test_kernel_children_die_with_the_kernel() -> None:
    """The kernel runs in its own process group; stopping it stops what it spawned."""
    async with spawn_bridge() as client:
        kernel = await client.request("jupyter/startKernel", {})
        start = len(client.notifications)
        await client.request(
            "jupyter/execute",
            {
                "kernelId": kernel["kernelId"],
                "code": "import subprocess; p = subprocess.Popen(['sleep', '600']); print(p.pid)",
            },
        )
        (out,) = [n["params"] for n in client.notifications[start:] if n["method"] == "jupyter/output"]
        child = int(out["content"]["text"])
        assert pid_alive(child)
        await client.request("jupyter/shutdownKernel", {"kernelId": kernel["kernelId"]})
    assert await wait_dead(child, 10)


async def test_children_of_a_crashed_kernel_are_stopped_too() -> None:
    async with spawn_bridge() as client:
        kernel = await client.request("jupyter/startKernel", {})
        start = len(client.notifications)
        await client.request(
            "jupyter/execute",
            {
                "kernelId": kernel["kernelId"],
                "code": "import subprocess; p = subprocess.Popen(['sleep', '600']); print(p.pid)",
            },
        )
        (out,) = [n["params"] for n in client.notifications[start:] if n["method"] == "jupyter/output"]
        child = int(out["content"]["text"])
        try:
            await client.request("jupyter/execute", {"kernelId": kernel["kernelId"], "code": "import os; os._exit(9)"})
        except Exception:
            pass
        await client.request("jupyter/shutdownKernel", {"kernelId": kernel["kernelId"]})
    assert await wait_dead(child, 10)
