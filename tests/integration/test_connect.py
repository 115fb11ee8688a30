"""Attaching to a kernel someone else started: usable, and never stopped by us."""

from __future__ import annotations


import trio
from jupyter_client.manager import KernelManager

from bridge.client import spawn_bridge
from tests.integration.helpers import HANG_GUARD, pid_alive, run, stdout_text


async def test_connect_runs_code_and_leaves_the_kernel_running(jupyter_client_kernel: KernelManager) -> None:
    pid = jupyter_client_kernel.provisioner.pid  # type: ignore[union-attr]
    async with spawn_bridge() as client:
        await client.initialize()
        result = await client.request("jupyter/connectKernel", {"connectionFile": jupyter_client_kernel.connection_file})
        assert result["kernelName"] == "python3"
        assert result["implementation"] == "ipython"
        listed = await client.request("jupyter/listKernels")
        assert listed[0]["owned"] is False
        reply, outs = await run(client, result["kernelId"], "print('attached')")
        assert reply["status"] == "ok" and stdout_text(outs) == "attached\n"
        await client.request("jupyter/shutdownKernel", {"kernelId": result["kernelId"]})
        assert pid_alive(pid), "detaching must not stop a kernel we did not start"
        again = await client.request("jupyter/connectKernel", {"connectionFile": jupyter_client_kernel.connection_file})
        await run(client, again["kernelId"], "x = 1")
        await client.request("shutdown")
        await client.notify("exit")
        with trio.fail_after(HANG_GUARD):
            await client.process.wait()
    assert jupyter_client_kernel.is_alive()
    assert pid_alive(pid)


async def test_connect_sees_state_left_by_the_other_client(jupyter_client_kernel: KernelManager) -> None:
    kc = jupyter_client_kernel.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=HANG_GUARD)
        kc.execute_interactive("shared = 'from jupyter_client'", timeout=HANG_GUARD)
    finally:
        kc.stop_channels()
    async with spawn_bridge() as client:
        result = await client.request("jupyter/connectKernel", {"connectionFile": jupyter_client_kernel.connection_file})
        _, outs = await run(client, result["kernelId"], "print(shared)")
        assert stdout_text(outs) == "from jupyter_client\n"
