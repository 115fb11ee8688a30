"""Queued executes: N ``1+1``-sized executes sent at once, until the last reply.

Under such a backlog ipykernel's shell replies trail its iopub ``idle`` by seconds; a client
that takes an idle without a reply for a dropped request reports runs that happened as
lost (the bridge did, 791 of 2,000, before kernels/session.py). The row counts replies,
``ok`` statuses and errors next to the time, against jupyter_client's BlockingKernelClient
reading every reply."""

from __future__ import annotations

import queue
import time
from typing import Any

from bench.contenders import Bridge
from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor


def _jupyter_client(connection_file: str, n: int) -> tuple[float, int, int]:
    from jupyter_client.blocking.client import BlockingKernelClient

    kc = BlockingKernelClient(connection_file=connection_file)
    kc.load_connection_file()
    kc.start_channels(hb=False)
    try:
        kc.wait_for_ready(timeout=60)
        t0 = time.perf_counter()
        ids = {kc.execute(f"{i} * 2") for i in range(n)}
        ok = replies = 0
        while ids:
            try:
                reply = kc.get_shell_msg(timeout=120)
            except queue.Empty:
                break
            parent = reply["parent_header"].get("msg_id")
            if parent in ids:
                ids.discard(parent)
                replies += 1
                ok += reply["content"].get("status") == "ok"
        return time.perf_counter() - t0, replies, ok
    finally:
        kc.stop_channels()


def _bridge(editor: Editor, connection_file: str, n: int) -> tuple[float, int, int, int]:
    bridge = Bridge(editor)
    bridge.open(connection_file)
    try:
        t0 = time.perf_counter()
        ids = [
            editor.request_nowait("jupyter/execute", {"kernelId": bridge.kernel_id, "code": f"{i} * 2"})
            for i in range(n)
        ]
        editor.wait(lambda: all(i in editor.responses for i in ids), timeout=600, what=f"{n} replies")
        elapsed = time.perf_counter() - t0
        answers = [editor.responses.pop(i) for i in ids]
        ok = sum(1 for a in answers if a.get("result", {}).get("status") == "ok")
        errors = sum(1 for a in answers if "error" in a)
        return elapsed, len(answers), ok, errors
    finally:
        bridge.close()


def queued(report: Report, connection_file: str, editor: Editor, *, n: int, reps: int, log: Any) -> None:
    base_t: list[float] = []
    bridge_t: list[float] = []
    notes: list[str] = []
    for r in range(reps):
        elapsed, replies, ok = _jupyter_client(connection_file, n)
        assert replies == ok == n, (replies, ok)
        base_t.append(elapsed)
        elapsed, replies, ok, errors = _bridge(editor, connection_file, n)
        bridge_t.append(elapsed)
        notes.append(f"{replies} replies, {ok} ok, {errors} errors")
        log(f"  {n} queued executes: round {r + 1}/{reps}: {notes[-1]}")
    scenario = f"{n:,} queued executes, until the last reply"
    base = report.add(Row.of(scenario, "BlockingKernelClient", base_t, scale=1, unit="s", note=f"{n} replies, {n} ok"))
    row = report.add(Row.of(scenario, "bridge (jupyter/)", bridge_t, scale=1, unit="s").against(base))
    row.note = "; ".join(sorted(set(notes)))
    errors = sum(int(note.split(", ")[2].split()[0]) for note in notes)
    report.target(f"{n:,} queued executes: errors (must be 0)", errors, 0)
    report.target(f"{n:,} queued executes: time ≤ 1.0× jupyter_client", row.ratio_p50 or 0, 1.0)
