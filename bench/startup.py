"""Cold start to the ``initialize`` reply against a minimal stock pygls server, where the
bridge's start-up time goes (``-X importtime``), and an editor that writes 10,000
requests without reading any reply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor
from bridge.blocking_client import BridgeGone
from bridge.blocking_client import bridge_command as bridge_argv
from bridge.server.framing import frame

PYGLS_ARGV = [sys.executable, str(Path(__file__).with_name("pygls_server.py"))]


def _start_to_initialize(argv: list[str], env: dict[str, str] | None = None, stderr: Any = subprocess.DEVNULL) -> float:
    t0 = time.perf_counter()
    editor = Editor(argv, env=env, stderr=stderr)
    try:
        editor.request("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}})
        return time.perf_counter() - t0
    finally:
        editor.close()


def cold_start(report: Report, *, reps: int, log: Any) -> None:
    bridge, pygls = [], []
    for r in range(reps):
        for who in ("bridge", "pygls") if r % 2 == 0 else ("pygls", "bridge"):
            if who == "bridge":
                bridge.append(_start_to_initialize(bridge_argv()))
            else:
                pygls.append(_start_to_initialize(PYGLS_ARGV))
    scenario = "cold start to the initialize reply"
    base = report.add(Row.of(scenario, "stock pygls (bench/pygls_server.py)", pygls))
    row = report.add(Row.of(scenario, "kernel-bridge", bridge).against(base))
    report.target("cold start p50 ≤ 1.2× stock pygls", row.ratio_p50 or 0, 1.2)
    extra = import_costs()
    if extra:
        report.fact(
            scenario,
            "imports the bridge makes before its first reply and pygls does not (self time, one run): " + extra,
        )
    log(f"  cold start: {reps} rounds")


def _imports(argv: list[str]) -> dict[str, int]:
    """Module → self import time (µs) for one start to the initialize reply."""
    with tempfile.TemporaryFile() as err:
        _start_to_initialize(argv, env={"PYTHONPROFILEIMPORTTIME": "1"}, stderr=err)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        out[name.strip()] = int(self_us)
    return out


def import_costs(top: int = 8) -> str:
    """Top-level packages the bridge imports (and pygls does not), by summed self time."""
    try:
        ours, theirs = _imports(bridge_argv()), _imports(PYGLS_ARGV)
    except Exception as exc:  # an analysis aid; never fail the run over it
        return f"(not measured: {exc})"
    by_package: dict[str, int] = {}
    for name, us in ours.items():
        if name in theirs:
            continue
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0) + us
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    total = sum(by_package.values())
    return f"{total / 1000:.0f} ms in all; " + ", ".join(f"{p} {us / 1000:.0f} ms" for p, us in ranked)


def stuck_editor(report: Report, *, requests: int, stall: float, log: Any) -> None:
    """Write ``requests`` requests without reading a byte, then read. A server that blocks
    on its full stdout pipe stops reading stdin, and the editor's write stalls: reported
    as a deadlock after ``stall`` seconds without progress."""
    for name, argv, method in (
        ("kernel-bridge", bridge_argv(), "jupyter/listKernels"),
        ("stock pygls", PYGLS_ARGV, "bench/unknownMethod"),  # pygls answers -32601
    ):
        editor = Editor(argv, stderr=subprocess.DEVNULL)
        try:
            editor.initialize()
            blob = b"".join(
                frame(json.dumps({"jsonrpc": "2.0", "id": 100 + i, "method": method, "params": {}}).encode())
                for i in range(requests)
            )
            t0 = time.perf_counter()
            try:
                editor.send_raw(blob, read=False, timeout=stall)
            except TimeoutError as exc:
                report.fact(
                    "editor writes 10,000 requests without reading", f"{name}: deadlocked — {exc} after {stall:g} s"
                )
                continue
            except BridgeGone:
                report.fact("editor writes 10,000 requests without reading", f"{name}: closed its stdin")
                continue
            written = time.perf_counter() - t0
            t1 = time.perf_counter()
            editor.wait(lambda ed=editor: len(ed.responses) >= requests, timeout=60, what="every response")
            answered = sum(1 for i in range(requests) if 100 + i in editor.responses)
            report.fact(
                "editor writes 10,000 requests without reading",
                f"{name}: all {requests:,} written in {written:.2f} s, {answered:,} answered, read in {time.perf_counter() - t1:.2f} s",
            )
        finally:
            editor.close(timeout=5)
    log("  stuck editor: done")
