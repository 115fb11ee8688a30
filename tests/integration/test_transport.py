"""The ipc transport for local kernels: unix sockets in the private runtime dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from bridge.client import spawn_bridge
from tests.integration.helpers import run, stdout_text


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
