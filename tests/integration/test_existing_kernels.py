"""Attaching to kernels that are already running: by path, bare name, fragment or
"the newest"; listing them with a heartbeat check; an ``IPython.embed_kernel()`` script;
interrupting a kernel the bridge has no process for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from jupyter_client.manager import KernelManager

from bridge.client import BridgeClient, RpcError
from tests.integration.helpers import HANG_GUARD, during_run, run, stdout_text


def start_manager() -> KernelManager:
    """A kernel started the way `jupyter kernel` does: its file in the runtime dir."""
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    km = KernelManager(kernel_name="python3", connection_file=str(runtime / f"kernel-{uuid.uuid4()}.json"))
    km.start_kernel()
    return km


@pytest.fixture
def two_kernels() -> Iterator[tuple[KernelManager, KernelManager]]:
    a = start_manager()
    b = start_manager()
    os.utime(b.connection_file)  # b is the newest, whatever the clock resolution
    try:
        yield a, b
    finally:
        a.shutdown_kernel(now=True)
        b.shutdown_kernel(now=True)


async def whoami(client: BridgeClient, kernel_id: str) -> str:
    _, outs = await run(client, kernel_id, "import os; print(os.getpid())")
    return stdout_text(outs).strip()


async def test_connect_by_fragment_bare_name_or_newest(
    bridge: BridgeClient, two_kernels: tuple[KernelManager, KernelManager]
) -> None:
    a, b = two_kernels
    a_pid, b_pid = str(a.provisioner.pid), str(b.provisioner.pid)  # type: ignore[union-attr]
    name = Path(a.connection_file).name
    fragment = name.removeprefix("kernel-").removesuffix(".json")[:8]
    by_fragment = await bridge.request("jupyter/connectKernel", {"connectionFile": fragment})
    assert await whoami(bridge, by_fragment["kernelId"]) == a_pid
    by_name = await bridge.request("jupyter/connectKernel", {"connectionFile": name})
    assert await whoami(bridge, by_name["kernelId"]) == a_pid
    newest = await bridge.request("jupyter/connectKernel", {})
    assert await whoami(bridge, newest["kernelId"]) == b_pid
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/connectKernel", {"connectionFile": "no-such-fragment-xyz"})
    assert info.value.code == -32014 and "no-such-fragment-xyz" in info.value.message


async def test_list_running_kernels_pings_each(
    bridge: BridgeClient, two_kernels: tuple[KernelManager, KernelManager], runtime_dir: Path
) -> None:
    a, b = two_kernels
    stale = Path(runtime_dir) / "kernel-stale-test.json"
    stale.write_text(json.dumps({**json.loads(Path(a.connection_file).read_text()), "hb_port": 1}))
    try:
        listed = {Path(e["connectionFile"]).name: e for e in await bridge.request("jupyter/listRunningKernels")}
    finally:
        stale.unlink()
    for km in (a, b):
        entry = listed[Path(km.connection_file).name]
        assert entry["alive"] is True
        assert entry["startTime"].endswith("Z")
    assert listed["kernel-stale-test.json"]["alive"] is False


EMBED = textwrap.dedent(
    """
    import IPython
    secret = 'embedded value'
    IPython.embed_kernel(local_ns={'secret': secret})
    """
)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    script = tmp_path / "script.py"
    script.write_text(EMBED)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


async def test_attach_to_embed_kernel_and_interrupt_it(
    bridge: BridgeClient, embedded: subprocess.Popen[bytes], runtime_dir: Path
) -> None:
    conn = Path(runtime_dir) / f"kernel-{embedded.pid}.json"
    with trio.fail_after(HANG_GUARD):
        while not conn.exists():
            await trio.sleep(0.05)
    kernel = await bridge.request("jupyter/connectKernel", {"connectionFile": str(embedded.pid)})
    _, outs = await run(bridge, kernel["kernelId"], "print(secret)")
    assert stdout_text(outs) == "embedded value\n"

    async def interrupt() -> None:
        await bridge.request("jupyter/interruptKernel", {"kernelId": kernel["kernelId"]})

    reply = await during_run(
        bridge, kernel["kernelId"], "import time\nwhile True: time.sleep(0.01)", interrupt, settle=0.3
    )
    assert isinstance(reply, dict) and reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    await bridge.request("jupyter/shutdownKernel", {"kernelId": kernel["kernelId"]})
    assert embedded.poll() is None, "detaching must leave the embedding script running"
