"""Attaching to a kernel someone else started: usable, and never stopped by us."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import trio
from jupyter_client.manager import KernelManager

from bridge.client import spawn_bridge
from tests.integration.helpers import HANG_GUARD, kernel_pid, pid_alive, run, stdout_text, wait_dead


async def test_connect_runs_code_and_leaves_the_kernel_running(jupyter_client_kernel: KernelManager) -> None:
    pid = jupyter_client_kernel.provisioner.pid  # type: ignore[union-attr]
    async with spawn_bridge() as client:
        await client.initialize()
        result = await client.request(
            "jupyter/connectKernel", {"connectionFile": jupyter_client_kernel.connection_file}
        )
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
        result = await client.request(
            "jupyter/connectKernel", {"connectionFile": jupyter_client_kernel.connection_file}
        )
        _, outs = await run(client, result["kernelId"], "print(shared)")
        assert stdout_text(outs) == "from jupyter_client\n"


async def test_files_of_kernels_that_are_gone_are_not_offered(runtime_dir: Path) -> None:
    """A SIGKILLed bridge cannot remove its kernels' connection files (its kernels die with
    it). listRunningKernels marks such files stale, and "the newest" is never one of them:
    connecting must not wait out the start-up timeout on a kernel that is gone."""
    km = KernelManager(kernel_name="python3", connection_file=str(runtime_dir / f"kernel-{uuid.uuid4()}.json"))
    km.start_kernel()
    stale = Path()
    try:
        kc = km.client()
        kc.start_channels()
        try:
            await trio.to_thread.run_sync(lambda: kc.wait_for_ready(timeout=HANG_GUARD))
        finally:
            kc.stop_channels()
        before = set(runtime_dir.glob("kernel-bridge-*.json"))
        async with spawn_bridge() as doomed:
            started = await doomed.request("jupyter/startKernel", {})
            pid = await kernel_pid(doomed, started["kernelId"])
            (stale,) = set(runtime_dir.glob("kernel-bridge-*.json")) - before
            doomed.process.kill()
            assert await wait_dead(pid)
        os.utime(stale)  # the newest file in the runtime dir
        async with spawn_bridge() as client:
            listed = {k["connectionFile"]: k for k in await client.request("jupyter/listRunningKernels")}
            assert (listed[str(stale)]["stale"], listed[str(stale)]["alive"]) == (True, False)
            assert (listed[km.connection_file]["stale"], listed[km.connection_file]["alive"]) == (False, True)
            with trio.fail_after(HANG_GUARD / 2):  # the start-up timeout below is the whole HANG_GUARD
                ref = await client.request("jupyter/connectKernel", {"startupTimeout": HANG_GUARD})
            assert await kernel_pid(client, ref["kernelId"]) == km.provisioner.pid  # type: ignore[union-attr]
    finally:
        km.shutdown_kernel(now=True)
        if stale.name:
            stale.unlink(missing_ok=True)
