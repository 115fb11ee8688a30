"""Small helpers for integration tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from tests.support.client import HANG_GUARD, BridgeClient, RpcError, stdout_text
from tests.support.processes import pid_alive
from tests.support.processes import wait_dead_async as wait_dead

__all__ = [
    "HANG_GUARD",
    "a_remote_kernels_life",
    "during_run",
    "kernel_pid",
    "pid_alive",
    "run",
    "stdout_text",
    "wait_dead",
]


async def run(
    client: BridgeClient, kernel_id: str, code: str, **extra: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Execute and return (reply, outputs for this request, in arrival order)."""
    msg_id = client.new_id()
    with trio.fail_after(HANG_GUARD):
        reply = await client.request("jupyter/execute", {"kernelId": kernel_id, "code": code, **extra}, msg_id=msg_id)
    return reply, client.outputs(msg_id)


async def kernel_pid(client: BridgeClient, kernel_id: str) -> int:
    reply, outs = await run(client, kernel_id, "import os; os.getpid()")
    assert reply["status"] == "ok"
    (result,) = [o for o in outs if o["msgType"] == "execute_result"]
    return int(result["content"]["data"]["text/plain"])


async def during_run(
    client: BridgeClient,
    kernel_id: str,
    code: str,
    action: Callable[[], Awaitable[object]],
    settle: float = 0.0,
    msg_id: Any = None,
) -> dict[str, Any] | RpcError:
    """Start executing ``code`` (as request ``msg_id``, if given), wait until the kernel is
    busy, run ``action`` (after ``settle`` seconds), and return the execute's reply, or the
    RpcError it failed with."""
    outcome: list[dict[str, Any] | RpcError] = []

    async def execute() -> None:
        try:
            outcome.append(
                await client.request("jupyter/execute", {"kernelId": kernel_id, "code": code}, msg_id=msg_id)
            )
        except RpcError as exc:
            outcome.append(exc)

    start = len(client.notifications)
    with trio.fail_after(HANG_GUARD):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(execute)
            await client.wait_for(
                lambda n: (
                    n["method"] == "jupyter/status"
                    and n["params"]["kernelId"] == kernel_id
                    and n["params"]["executionState"] == "busy"
                ),
                start,
            )
            await trio.sleep(settle)
            await action()
    return outcome[0]


async def a_remote_kernels_life(
    client: BridgeClient, kernel: str, remote_id: str, server: Any, *, greeting: str, answer: str
) -> None:
    """What every Jupyter server kind must do with a kernel the bridge started on it: run
    with ``input()`` answered (the editor answers ``answer``), interrupt, restart under the
    same ids, and shut down deleting it on the server (``server.has_kernel``)."""
    reply, outs = await run(client, kernel, f"print({greeting!r}, input('? ')); 6 * 7")
    assert reply["status"] == "ok" and stdout_text(outs) == f"{greeting} {answer}\n"
    (result,) = [o for o in outs if o["msgType"] == "execute_result"]
    assert result["content"]["data"]["text/plain"] == "42"

    interrupted = await during_run(
        client, kernel, "while True:\n    pass",
        lambda: client.request("jupyter/interruptKernel", {"kernelId": kernel}), settle=0.3,
    )  # fmt: skip
    assert not isinstance(interrupted, RpcError)
    assert interrupted["status"] == "error" and interrupted["ename"] == "KeyboardInterrupt"

    await run(client, kernel, "x = 1")
    restarted = await client.request("jupyter/restartKernel", {"kernelId": kernel})
    assert restarted["kernelId"] == kernel and restarted["remoteKernelId"] == remote_id
    reply, _ = await run(client, kernel, "x")
    assert reply["status"] == "error" and reply["ename"] == "NameError"

    await client.request("jupyter/shutdownKernel", {"kernelId": kernel})
    assert not await server.has_kernel(remote_id), "shutdownKernel deletes what the bridge started"
