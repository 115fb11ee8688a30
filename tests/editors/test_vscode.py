"""The VS Code extension (editors/vscode): type check, its unit tests (node's test runner),
and its end-to-end tests in a real VS Code workbench against the real bridge and ipykernel.

The end-to-end suite (editors/vscode/test/e2e/workbench.e2e.test.mjs) runs once per module:
one code-server and one chromium for all checks, in order, and one real jupyter_server for its
remote-kernel check. Each check it reports becomes one pytest test here. code-server, chromium and the extension's npm packages are installed by
scripts/test-setup.d/20-vscode.sh, which ``bash scripts/test.sh`` runs first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from bridge.client import bridge_command
from tests.integration.test_remote import Server, running_server

REPO = Path(__file__).resolve().parents[2]
EXT = REPO / "editors" / "vscode"
SETUP_HINT = "run scripts/test-setup.d/20-vscode.sh (bash scripts/test.sh runs it)"
E2E_HANG_GUARD = 30 * 60  # seconds: stops a hung run, never asserts speed

# The end-to-end checks, in the order the suite runs them (names as in the .mjs file).
CHECKS = [
    "a shell script activates the extension and runs on its kernel (bash_kernel) like Python",
    "starts a kernel from the palette",
    "runs a selected line and shows its result inline",
    "shows busy then idle in the status bar",
    "runs a cell from its code lens; the error shows inline and in the output view",
    "displays a PNG in the output view",
    "the Jupyter Variables view lists the kernel's names and follows runs",
    "renders markdown, HTML and SVG, and honours update_display_data and clear_output",
    "an IntSlider is live in the output view: its arrow keys change the kernel's value",
    'completes "import o" with os from the kernel',
    "hover over print shows its docstring",
    "Open Output Sidecar shows the kernel's outputs on its live page beside the editor",
    "answers input() through the input box",
    "hides getpass input and passes it on",
    "cancelling input leaves the kernel usable",
    "interrupts while True",
    "restarts the kernel from the status bar",
    "exports this file's runs as a notebook that nbformat validates",
    "stops the kernel",
    "runs a cell through the bridge's jupyter.runCell in a document bound to its kernel",
    "connects to an existing kernel from its connection file",
    "kernelBridge.server starts kernels on a Jupyter server; stopping one deletes it there",
    "a missing kernel-bridge gets a message with the fix",
    "a broken kernel-bridge gets its error and the fix",
]


def _run(args: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=EXT, capture_output=True, text=True, timeout=timeout, **kwargs)


def _require_setup() -> None:
    if not (EXT / "node_modules" / ".bin" / "esbuild").exists():
        pytest.fail(f"the extension's npm packages are not installed: {SETUP_HINT}")


def test_extension_type_checks() -> None:
    _require_setup()
    result = _run(["npx", "--no-install", "tsc", "-p", ".", "--noEmit"], timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_extension_unit_tests_pass() -> None:
    _require_setup()
    result = _run(["npm", "test", "--silent"], timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ℹ fail 0" in output and "ℹ pass 0" not in output, output


def _processes_tagged(tag: str) -> list[str]:
    """Processes whose environment carries ``tag`` (everything the e2e run started inherits it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            if tag.encode() not in environ.split(b"\0"):
                continue
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found.append(f"{proc.name}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _require_setup()
    package = _run(["npm", "run", "package", "--silent"], timeout=300)
    assert package.returncode == 0, f"building the .vsix failed:\n{package.stdout}{package.stderr}"
    out = tmp_path_factory.mktemp("vscode-e2e")
    results_file = out / "results.jsonl"
    tag = f"KB_E2E_TAG={uuid.uuid4().hex}"
    with running_server() as jupyter_server:
        return _run_e2e(out, results_file, tag, jupyter_server)


def _run_e2e(out: Path, results_file: Path, tag: str, jupyter_server: Server) -> dict[str, Any]:
    """Run the e2e suite once, with a real jupyter_server for its remote-kernel check."""
    env = {
        **os.environ,
        "KB_BRIDGE": bridge_command()[0],
        "KB_PYTHON": sys.executable,
        "KB_VSIX": str(EXT / "kernel-bridge.vsix"),
        "KB_E2E_ARTIFACTS": os.environ.get("KB_E2E_ARTIFACTS") or str(out / "screenshots"),
        "KB_E2E_JUPYTER_URL": jupyter_server.url,
        "KB_E2E_JUPYTER_TOKEN": jupyter_server.token,
        tag.split("=", 1)[0]: tag.split("=", 1)[1],
    }
    command = [
        "node", "--test", "--test-concurrency=1",
        "--test-reporter=spec", "--test-reporter-destination=stdout",
        "--test-reporter=./test/e2e/jsonl-reporter.mjs", f"--test-reporter-destination={results_file}",
        "test/e2e/workbench.e2e.test.mjs",
    ]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(
        command, cwd=EXT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = proc.communicate(timeout=E2E_HANG_GUARD)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output += f"\n[test_vscode] the e2e run was killed after {E2E_HANG_GUARD} s"
    elapsed = time.monotonic() - started
    # Give the workbench's process group a moment to finish exiting, then look for leftovers.
    deadline = time.monotonic() + 20
    while (leftovers := _processes_tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.5)
    tests: dict[str, dict[str, Any]] = {}
    if results_file.exists():
        for line in results_file.read_text().splitlines():
            record = json.loads(line)
            if record["nesting"] == 1:
                tests[record["name"]] = record
    slowest = sorted(tests.values(), key=lambda t: -t.get("seconds", 0))[:5]
    sys.stderr.write(
        f"[test_vscode] e2e suite: {elapsed:.0f} s, exit {proc.returncode}; slowest checks: "
        + ", ".join(f"{t['name']!r} {t.get('seconds', 0):.1f} s" for t in slowest)
        + "\n"
    )
    return {"tests": tests, "output": output, "returncode": proc.returncode, "leftovers": leftovers}


@pytest.mark.parametrize("check", CHECKS)
def test_vscode_e2e(e2e: dict[str, Any], check: str) -> None:
    record = e2e["tests"].get(check)
    if record is None:
        pytest.fail(f"the e2e suite did not report {check!r}; its output:\n{e2e['output'][-6000:]}")
    assert record["status"] == "pass", record["message"]


def test_vscode_e2e_reports_exactly_the_known_checks(e2e: dict[str, Any]) -> None:
    assert list(e2e["tests"]) == CHECKS, e2e["output"][-6000:]


def test_vscode_e2e_leaves_no_processes_behind(e2e: dict[str, Any]) -> None:
    assert e2e["leftovers"] == [], "still running after the e2e suite:\n" + "\n".join(e2e["leftovers"])
