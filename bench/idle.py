"""What a bridge costs when nothing happens, and what it holds after a long day.

``idle``: the bridge's CPU and wake-ups per second with no kernel and with 3 idle kernels
attached (battery: every wake-up takes a core out of its sleep state). Wake-ups are the
voluntary context switches of all its threads (``/proc/PID/task/*/status``).

``kernels-memory``: the bridge's RSS with 16 idle kernels attached after every kernel has
sent enough messages to fill the bridge's replay guard (65,536 signatures, what ~13,000
executes bring). The kernels publish ``debug_event`` messages with no parent (the bridge
verifies, checks and routes each, and shows none to the editor), which fills the guards in
seconds instead of the hours 16 × 13,000 executes would take.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

from bench.kernels import kernels
from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor
from tests.support.processes import cpu_seconds, rss_bytes

MiB = 1024 * 1024
GUARD_FILL = 66_000  # past the replay guard's 65,536 (33 executes of 2,000)


def wakeups(pid: int) -> int:
    """Voluntary context switches of every thread of ``pid``: how often it went to sleep
    (and so was woken up)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _sample(pid: int, seconds: float) -> tuple[float, float]:
    """CPU in ms per second and wake-ups per second over ``seconds``."""
    cpu0, wake0, t0 = cpu_seconds(pid), wakeups(pid), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    return (cpu_seconds(pid) - cpu0) * 1e3 / elapsed, (wakeups(pid) - wake0) / elapsed


def idle(report: Report, *, count: int, seconds: float, rounds: int, log: Any) -> None:
    scenario = "bridge while idle"
    with kernels(count) as managers, Editor(stderr=subprocess.DEVNULL) as editor:
        editor.initialize()
        editor.request("jupyter/listKernels", {})  # loads the kernel code
        time.sleep(1.0)
        bare = [_sample(editor.pid, seconds) for _ in range(rounds)]
        log(f"  idle: no kernel: {bare}")
        for km in managers:
            editor.request("jupyter/connectKernel", {"connectionFile": km.connection_file})
        time.sleep(2.0)  # start-up traffic over
        loaded = [_sample(editor.pid, seconds) for _ in range(rounds)]
        log(f"  idle: {count} kernels: {loaded}")
    base = report.add(Row.of(scenario, "CPU, no kernel", [c for c, _ in bare], scale=1, unit="ms/s"))
    row = report.add(Row.of(scenario, f"CPU, {count} idle kernels", [c for c, _ in loaded], scale=1, unit="ms/s"))
    row.against(base)
    report.add(Row.of(scenario, "wake-ups, no kernel", [w for _, w in bare], scale=1, unit="/s"))
    report.add(Row.of(scenario, f"wake-ups, {count} idle kernels", [w for _, w in loaded], scale=1, unit="/s"))
    report.target(f"bridge CPU while idle, {count} idle kernels ≤ 0.6 ms/s", row.p50, 0.6)


FILL_CHUNK = 2_000
FILL_CODE = f"""
_k = get_ipython().kernel
for _i in range({FILL_CHUNK}):
    _k.session.send(_k.iopub_socket, "debug_event", {{"seq": _i}}, parent={{}})
"""


def kernels_memory(report: Report, *, count: int, log: Any) -> None:
    """Each kernel publishes its messages in executes of ``FILL_CHUNK`` through the bridge,
    one at a time: an execute is answered once the bridge has read its iopub up to its
    ``idle``, so the bridge never falls behind by more than one chunk (a backlog in
    zmq's queues would show as RSS and say nothing about what the bridge keeps)."""
    scenario = f"bridge RSS, {count} idle kernels"
    with kernels(count) as managers, Editor(stderr=subprocess.DEVNULL) as editor:
        editor.initialize()
        editor.request("jupyter/listKernels", {})
        start = rss_bytes(editor.pid)
        ids = [
            editor.request("jupyter/connectKernel", {"connectionFile": km.connection_file})["kernelId"]
            for km in managers
        ]
        attached = rss_bytes(editor.pid)
        log(f"  memory: {count} kernels attached: +{(attached - start) / MiB:.1f} MiB")
        t0 = time.monotonic()
        cpu0 = cpu_seconds(editor.pid)
        for kernel_id in ids:
            for _ in range(-(-GUARD_FILL // FILL_CHUNK)):
                result = editor.request("jupyter/execute", {"kernelId": kernel_id, "code": FILL_CODE})
                assert result["status"] == "ok", result
            editor.notifications.clear()
        elapsed = time.monotonic() - t0
        messages = count * GUARD_FILL
        per_message = (cpu_seconds(editor.pid) - cpu0) / messages * 1e6
        full = rss_bytes(editor.pid)
        log(f"  memory: {messages} messages in {elapsed:.0f} s: +{(full - start) / MiB:.1f} MiB")
        editor.request("jupyter/listKernels", {})  # still answering
    grew = (attached - start) / MiB
    report.add(Row(scenario, "attached, before any traffic (above start)", 1, grew, grew, unit="MiB"))
    grew = (full - start) / MiB
    row = report.add(
        Row(scenario, f"after {GUARD_FILL:,} messages each (replay guards full)", 1, grew, grew, unit="MiB")
    )
    row.note = f"{per_message:.0f} µs of bridge CPU per message"
    report.target(f"bridge RSS with {count} idle kernels, replay guards full ≤ 60 MiB above start", row.p50, 60)
