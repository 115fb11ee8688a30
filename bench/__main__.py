"""``python -m bench``: every benchmark, one table of ratios (see bench/README.md).

.venv/bin/python -m bench            # full run (~5 min on 2 cores)
.venv/bin/python -m bench --quick    # fewer repetitions (~1.5 min), for a quick look
.venv/bin/python -m bench --only roundtrip,cpu --markdown out.md --json out.json
.venv/bin/python -m bench --only gateway  # opt-in: 16 kernels behind Enterprise Gateway (~2 min;
                                          # needs scripts/test-setup.d/60-enterprise-gateway.sh)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.kernels import private_jupyter_dirs

SCENARIOS = (
    "roundtrip",
    "introspection",
    "queued",
    "flood",
    "memory",
    "busy",
    "widgets",
    "coldstart",
    "stuck",
    "multikernel",
    "idle",
    "kernels-memory",
    "faults",
    "bridge-end",
)
# run only when named in --only (they need more than the test venv)
OPT_IN = ("gateway",)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average at the start {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (numbers are noisier)")
    parser.add_argument(
        "--only", help=f"comma-separated subset of: {', '.join(SCENARIOS)}; opt-in: {', '.join(OPT_IN)}"
    )
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    parser.add_argument("--json", metavar="FILE", help="also write every number as JSON")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    unknown = only - set(SCENARIOS) - set(OPT_IN)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    private_jupyter_dirs()

    # imported after the environment is set: jupyter paths are read at import time
    from bench import faults, floods, idle, latency, multikernel, pipeline, startup, widgets
    from bench.kernels import kernels
    from bench.stats import Report, table
    from bridge.blocking_client import BlockingClient as Editor

    q = args.quick
    report = Report()
    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)

    host = machine()
    log(host)
    needs_kernel = only & {"roundtrip", "introspection", "queued", "flood", "memory", "busy", "widgets"}
    if needs_kernel:
        with kernels(1) as (km,), Editor(stderr=subprocess.DEVNULL) as editor:
            # completions may take the kernel (jedi) longer than the 1 s an editor allows
            editor.initialize(initializationOptions={"completionTimeout": 60})
            cf = km.connection_file
            log("kernel and bridge ready")
            if "roundtrip" in only:
                latency.roundtrip(report, cf, editor, rounds=3 if q else 6, n=40 if q else 100, log=log)
            if "introspection" in only:
                latency.introspection(report, cf, editor, rounds=2 if q else 4, n=10 if q else 25, log=log)
            if "queued" in only:
                pipeline.queued(report, cf, editor, n=1000, reps=1 if q else 3, log=log)
            if "flood" in only:
                floods.flood(report, cf, editor, reps=2 if q else 5, log=log)
            if "memory" in only:
                floods.big_output(report, cf, editor, reps=1 if q else 3, log=log)
            if "busy" in only:
                floods.busy(report, cf, editor, lines=300_000 if q else 600_000, log=log)
            if "widgets" in only:
                widgets.slider(report, cf, editor, rounds=2 if q else 4, n=50 if q else 100, log=log)
    if "coldstart" in only:
        startup.cold_start(report, reps=4 if q else 12, log=log)
    if "stuck" in only:
        startup.stuck_editor(report, requests=10_000, stall=5.0, log=log)
    if "multikernel" in only:
        editor = Editor(stderr=subprocess.DEVNULL)
        try:
            multikernel.multikernel(
                report,
                editor,
                counts=(1, 4) if q else (1, 4, 16),
                executes=80 if q else 320,
                rounds=2 if q else 3,
                log=log,
            )
        finally:
            editor.close()
    if "idle" in only:
        idle.idle(report, count=3, seconds=5 if q else 10, rounds=2 if q else 4, log=log)
    if "kernels-memory" in only:
        idle.kernels_memory(report, count=4 if q else 16, log=log)
    if "faults" in only:
        faults.kernel_faults(report, reps=1 if q else 2, log=log)
    if "bridge-end" in only:
        faults.bridge_end(report, reps=1 if q else 2, log=log)
    if "gateway" in only:
        multikernel.gateway(report, count=16, executes=160 if q else 640, rounds=2 if q else 4, log=log)

    log(f"done in {time.monotonic() - started:.0f} s")
    print(f"# kernel-bridge benchmarks{' (--quick)' if q else ''}: {host}")
    print("# ×p50 / ×p99: this row's p50 / p99 over the first row of its scenario (lower is better)")
    print(table(report))
    if args.markdown:
        Path(args.markdown).write_text(
            f"Machine: {host}\n\nCommand: `python -m bench{' --quick' if q else ''}`, "
            f"{time.monotonic() - started:.0f} s\n\n" + table(report, markdown=True) + "\n"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": host, **report.as_dict()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
