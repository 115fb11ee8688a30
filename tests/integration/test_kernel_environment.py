"""What a kernel the bridge starts finds in its environment."""

from __future__ import annotations

import pytest

from bridge.client import spawn_bridge
from tests.integration.helpers import HANG_GUARD, run, stdout_text

FROZEN_WARNING = "frozen modules"  # debugpy: "Debugger warning: It seems that frozen modules are being used…"


async def test_a_started_python_kernel_prints_no_debugger_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """ipykernel imports debugpy, which warns about frozen modules on every start (Python
    3.11+) as stream output with no parent: editors showed it as output from another
    client. The bridge sets PYDEVD_DISABLE_FILE_VALIDATION for the kernels it starts,
    unless the user set it (here "0": the warning comes back, which shows the check sees it)."""
    monkeypatch.delenv("PYDEVD_DISABLE_FILE_VALIDATION", raising=False)
    async with spawn_bridge() as client:
        await client.initialize()
        plain = await client.request("jupyter/startKernel", {})
        reply, outs = await run(client, plain["kernelId"], "print('first run')")
        assert reply["status"] == "ok" and stdout_text(outs) == "first run\n"
        assert [o for o in client.outputs() if o["kernelId"] == plain["kernelId"]] == outs, "no output but the run's"

        chosen = await client.request("jupyter/startKernel", {"env": {"PYDEVD_DISABLE_FILE_VALIDATION": "0"}})
        reply, outs = await run(client, chosen["kernelId"], "import os; print(os.environ['PYDEVD_DISABLE_FILE_VALIDATION'])")
        assert reply["status"] == "ok" and stdout_text(outs) == "0\n"
        await client.wait_for(
            lambda n: n["method"] == "jupyter/output"
            and n["params"]["kernelId"] == chosen["kernelId"]
            and FROZEN_WARNING in str(n["params"]["content"].get("text", "")),
            timeout=HANG_GUARD,
        )
