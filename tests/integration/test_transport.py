"""The ipc transport for local kernels: unix sockets in the private runtime dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import trio
from jupyter_client.manager import KernelManager

from bridge.client import spawn_bridge
from tests.integration.helpers import HANG_GUARD, run, stdout_text


async def test_ipc_transport_from_the_command_line(runtime_dir: Path) -> None:
    async with spawn_bridge(["--transport", "ipc"]) as client:
        before = set(Path(runtime_dir).glob("kernel-bridge-*.json"))
        kernel = await client.request("jupyter/startKernel", {})
        (path,) = set(Path(runtime_dir).glob("kernel-bridge-*.json")) - before
        info = json.loads(path.read_text())
        assert info["transport"] == "ipc"
        socket = Path(f"{info['ip']}-{info['shell_port']}")
        assert stat.S_ISSOCK(socket.stat().st_mode)
        reply, outs = await run(client, kernel["kernelId"], "print('over ipc')")
        assert reply["status"] == "ok" and stdout_text(outs) == "over ipc\n"


async def test_ipc_transport_from_initialization_options(runtime_dir: Path) -> None:
    async with spawn_bridge() as client:
        await client.initialize(initializationOptions={"transport": "ipc"})
        before = set(Path(runtime_dir).glob("kernel-bridge-*.json"))
        kernel = await client.request("jupyter/startKernel", {})
        (path,) = set(Path(runtime_dir).glob("kernel-bridge-*.json")) - before
        assert json.loads(path.read_text())["transport"] == "ipc"
        reply, _ = await run(client, kernel["kernelId"], "1+1")
        assert reply["status"] == "ok"


def ipc_sockets(directory: Path) -> set[Path]:
    return {p for p in directory.iterdir() if p.is_socket()}


async def test_ipc_sockets_of_started_kernels_are_removed_and_attached_ones_kept(
    runtime_dir: Path, tmp_path: Path
) -> None:
    """A started kernel's five sockets go with it: on restart (the old kernel's) and when
    the bridge exits; those of a kernel the bridge attached to are its own and stay."""
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "attached"))
    km.start_kernel()
    try:
        kc = km.client()
        kc.start_channels()
        await trio.to_thread.run_sync(lambda: kc.wait_for_ready(timeout=HANG_GUARD))
        kc.stop_channels()
        theirs = ipc_sockets(tmp_path)
        assert len(theirs) == 5
        before = set(Path(runtime_dir).iterdir())
        async with spawn_bridge(["--transport", "ipc"]) as client:
            await client.initialize()
            kernel = await client.request("jupyter/startKernel", {})
            first = ipc_sockets(runtime_dir)
            assert len(first - before) == 5
            await client.request("jupyter/restartKernel", {"kernelId": kernel["kernelId"]})
            second = ipc_sockets(runtime_dir) - before
            assert len(second) == 5 and not second & first
            reply, _ = await run(client, kernel["kernelId"], "1+1")
            assert reply["status"] == "ok"
            attached = await client.request("jupyter/connectKernel", {"connectionFile": km.connection_file})
            reply, outs = await run(client, attached["kernelId"], "print('attached over ipc')")
            assert reply["status"] == "ok" and stdout_text(outs) == "attached over ipc\n"
            await client.request("shutdown")
            await client.notify("exit")
            with trio.fail_after(HANG_GUARD):
                assert await client.process.wait() == 0
        assert set(Path(runtime_dir).iterdir()) - before == set()
        assert ipc_sockets(tmp_path) == theirs and km.is_alive()
    finally:
        km.shutdown_kernel(now=True)
