"""What a kernel the bridge starts finds in its environment."""

from __future__ import annotations

import pytest

from bridge.client import spawn_bridge
from tests.integration.helpers import run, stdout_text

FROZEN_WARNING = "frozen modules"  # debugpy: "Debugger warning: It seems that frozen modules are being used…"
# what ipykernel does at start-up (it imports its debugger, so debugpy), in a fresh Python
# with the kernel's environment; what it writes to stderr is printed by the run
KERNEL_START_IMPORT = (
    "import subprocess, sys\n"
    "done = subprocess.run([sys.executable, '-c', 'import ipykernel.debugger'], capture_output=True, text=True)\n"
    "print(done.stderr, end='')"
)


async def test_a_started_python_kernel_prints_no_debugger_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """ipykernel imports debugpy, which warns about frozen modules on every start (Python
    3.11+) as stream output with no parent: editors showed it as output from another
    client. The bridge sets PYDEVD_DISABLE_FILE_VALIDATION for the kernels it starts,
    unless the user set it (here "0": the warning is back, which shows the check sees it).

    Whether the kernel's own start-up output reaches the bridge at all is a race (its iopub
    may publish before the bridge subscribed), so the start-up import is also run, with the
    kernel's environment, where its output is certain to arrive."""
    monkeypatch.delenv("PYDEVD_DISABLE_FILE_VALIDATION", raising=False)
    async with spawn_bridge() as client:
        await client.initialize()
        plain = await client.request("jupyter/startKernel", {})
        reply, outs = await run(client, plain["kernelId"], "print('first run')")
        assert reply["status"] == "ok" and stdout_text(outs) == "first run\n"
        assert [o for o in client.outputs() if o["kernelId"] == plain["kernelId"]] == outs, "no output but the run's"
        reply, outs = await run(client, plain["kernelId"], KERNEL_START_IMPORT)
        assert reply["status"] == "ok" and outs == []

        chosen = await client.request("jupyter/startKernel", {"env": {"PYDEVD_DISABLE_FILE_VALIDATION": "0"}})
        reply, outs = await run(client, chosen["kernelId"], KERNEL_START_IMPORT)
        assert reply["status"] == "ok"
        assert FROZEN_WARNING in stdout_text(outs)
