"""How long the failure paths take (the tests only guard against hangs; the numbers live
here): pending requests failing after the kernel is SIGKILLed, a SIGSTOPped kernel
declared dead by heartbeat, and the bridge's kernels gone after the bridge is SIGKILLed,
SIGTERMed or loses its stdin."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor
from bridge.blocking_client import RpcError
from tests.support.processes import pid_alive as _pid_alive


def _start(editor: Editor) -> tuple[str, int]:
    kernel_id = editor.request("jupyter/startKernel", {})["kernelId"]
    seen = len(editor.notifications)
    editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "import os; os.getpid()"})
    (result,) = [
        n["params"]
        for n in editor.notifications[seen:]
        if n["method"] == "jupyter/output" and n["params"]["msgType"] == "execute_result"
    ]
    return kernel_id, int(result["content"]["data"]["text/plain"])


def _wait_status(editor: Editor, kernel_id: str, state: str, start: int) -> None:
    editor.wait(
        lambda: any(
            n["method"] == "jupyter/status"
            and n["params"]["kernelId"] == kernel_id
            and n["params"]["executionState"] == state
            for n in editor.notifications[start:]
        ),
        what=f"status {state}",
    )


def kernel_faults(report: Report, *, reps: int, log: Any) -> None:
    killed, stopped, restarted = [], [], []
    with Editor(stderr=subprocess.DEVNULL) as editor:
        for _ in range(reps):
            kernel_id, pid = _start(editor)
            mark = len(editor.notifications)
            running = editor.request_nowait(
                "jupyter/execute", {"kernelId": kernel_id, "code": "import time; time.sleep(60)"}
            )
            _wait_status(editor, kernel_id, "busy", mark)
            queued = [
                editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "1+1"}),
                editor.request_nowait("jupyter/complete", {"kernelId": kernel_id, "code": "pri"}),
            ]
            t0 = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            for msg_id in [running, *queued]:
                try:
                    editor.result(msg_id)
                    raise AssertionError("a request pending on a killed kernel succeeded")
                except RpcError as exc:
                    assert exc.code == -32011, exc
            killed.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            editor.request("jupyter/restartKernel", {"kernelId": kernel_id})
            assert editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "1+1"})["status"] == "ok"
            restarted.append(time.perf_counter() - t0)

            kernel_id, pid = _start(editor)
            mark = len(editor.notifications)
            t0 = time.perf_counter()
            os.kill(pid, signal.SIGSTOP)
            try:
                _wait_status(editor, kernel_id, "dead", mark)
                stopped.append(time.perf_counter() - t0)
            finally:
                os.kill(pid, signal.SIGCONT)
            for k in editor.request("jupyter/listKernels"):
                editor.request("jupyter/shutdownKernel", {"kernelId": k["kernelId"]})
    scenario = "kernel faults"
    report.add(Row.of(scenario, "SIGKILL mid-execute → all 3 pending requests failed", killed, scale=1, unit="s"))
    report.add(Row.of(scenario, "restart after SIGKILL → first execute answered", restarted, scale=1, unit="s"))
    report.add(Row.of(scenario, "SIGSTOP → jupyter/status dead (heartbeat)", stopped, scale=1, unit="s"))
    report.target("pending requests fail ≤ 3 s after kernel SIGKILL (s, worst)", max(killed), 3.0)
    log(f"  kernel faults: {reps} rounds")


def bridge_end(report: Report, *, reps: int, log: Any) -> None:
    """No kernel the bridge started survives it: time from the bridge's end (signal or
    stdin EOF) until every kernel process is gone. Three kernels: idle, busy, and
    SIGSTOPped (the worst case: it cannot answer shutdown_request nor act on SIGTERM)."""
    results: dict[str, list[float]] = {"SIGKILL": [], "SIGTERM": [], "stdin EOF": []}
    for _ in range(reps):
        for how in results:
            editor = Editor(stderr=subprocess.DEVNULL)
            try:
                pids = []
                ids = []
                for _k in range(3):
                    kernel_id, pid = _start(editor)
                    ids.append(kernel_id)
                    pids.append(pid)
                editor.request_nowait("jupyter/execute", {"kernelId": ids[1], "code": "import time; time.sleep(60)"})
                os.kill(pids[2], signal.SIGSTOP)
                time.sleep(0.3)
                t0 = time.perf_counter()
                if how == "stdin EOF":
                    editor.close_stdin()
                else:
                    editor.process.send_signal(getattr(signal, how))
                deadline = time.monotonic() + 60
                while any(_pid_alive(p) for p in pids) and time.monotonic() < deadline:
                    editor.pump(0.005)
                results[how].append(time.perf_counter() - t0)
            finally:
                editor.close(timeout=5)
                for p in pids:
                    if _pid_alive(p):
                        os.kill(p, signal.SIGKILL)
    scenario = "bridge ends → its kernels gone"
    for how, samples in results.items():
        report.add(Row.of(scenario, f"bridge {how}", samples, scale=1, unit="s", note="3 kernels: idle, busy, stopped"))
    worst = max(max(s) for s in results.values())
    report.target("no kernel survives the bridge by more than 5 s (s, worst)", worst, 5.0)
    log(f"  bridge end: {reps} rounds")
