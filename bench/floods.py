"""Floods: 200,000 printed lines (drain time, notifications, bytes to the editor), one
50 MB output (the bridge's peak and final RSS), and the editor's requests answered while a
flood runs."""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.contenders import DOC_URI, LSP_COMPLETE, LSP_HOVER, Bridge
from bench.raw import RawClient, load_connection_file
from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor
from tests.support.processes import reset_peak_rss, rss_bytes

LINES = 200_000
FLOOD = f"for i in range({LINES}):\n    print(i)"
FLOOD_CHARS = sum(len(f"{i}\n") for i in range(LINES))
BIG = 50_000_000
BIG_CODE = f"print('x' * {BIG})"
MB = 1024 * 1024


class _StreamCounter:
    """Counts what reaches the editor during a flood without keeping it."""

    def __init__(self, editor: Editor) -> None:
        self.editor = editor
        self.chars = 0
        self.notes = 0
        self.first = threading.Event()

    def __call__(self, msg: dict[str, Any]) -> None:
        self.notes += 1
        if msg["method"] == "jupyter/output":
            self.first.set()
            content = msg["params"]["content"]
            if msg["params"]["msgType"] == "stream":
                self.chars += len(content.get("text", ""))

    def __enter__(self) -> _StreamCounter:
        self.editor.keep_notifications = False
        self.editor.on_notification = self
        return self

    def __exit__(self, *exc: object) -> None:
        self.editor.keep_notifications = True
        self.editor.on_notification = None


def _raw_drain(connection_file: str, code: str) -> tuple[float, int, int]:
    client = RawClient(load_connection_file(connection_file))
    try:
        client.wait_ready()
        t0 = time.perf_counter()
        reply, outs = client.execute(code)
        elapsed = time.perf_counter() - t0
        assert reply["content"]["status"] == "ok"
        chars = sum(len(o["content"].get("text", "")) for o in outs if o["msg_type"] == "stream")
        return elapsed, len(outs), chars
    finally:
        client.close()


def flood(report: Report, connection_file: str, editor: Editor, *, reps: int, log: Any) -> None:
    bridge = Bridge(editor)
    raw_t: list[float] = []
    bridge_t: list[float] = []
    notes, sent, raw_msgs = [], [], []
    for r in range(reps):
        for who in ("raw", "bridge") if r % 2 == 0 else ("bridge", "raw"):
            if who == "raw":
                elapsed, msgs, chars = _raw_drain(connection_file, FLOOD)
                assert chars == FLOOD_CHARS, (chars, FLOOD_CHARS)
                raw_t.append(elapsed)
                raw_msgs.append(msgs)
                continue
            bridge.open(connection_file)
            try:
                before = editor.bytes_received
                with _StreamCounter(editor) as counter:
                    t0 = time.perf_counter()
                    result = editor.request("jupyter/execute", {"kernelId": bridge.kernel_id, "code": FLOOD})
                    bridge_t.append(time.perf_counter() - t0)
                assert result["status"] == "ok" and counter.chars == FLOOD_CHARS, (result, counter.chars)
                notes.append(counter.notes)
                sent.append(editor.bytes_received - before)
            finally:
                bridge.close()
        log(f"  flood: round {r + 1}/{reps}")
    scenario = f"{LINES:,} printed lines, until the final reply"
    base = report.add(Row.of(scenario, "raw pyzmq", raw_t, scale=1, unit="s", note=f"{max(raw_msgs)} iopub messages"))
    row = report.add(Row.of(scenario, "bridge (jupyter/)", bridge_t, scale=1, unit="s").against(base))
    row.note = f"{max(notes)} notifications, {max(sent) / MB:.2f} MB to the editor"
    report.target(f"{LINES:,} lines drain p50 ≤ 1.2× raw pyzmq", row.ratio_p50 or 0, 1.2)


def big_output(report: Report, connection_file: str, editor: Editor, *, reps: int, log: Any) -> None:
    """One 50 MB stream message: the bridge's RSS before (baseline), at its peak and after."""
    bridge = Bridge(editor)
    raw_t: list[float] = []
    bridge_t: list[float] = []
    peaks, finals = [], []
    for r in range(reps):
        elapsed, _, chars = _raw_drain(connection_file, BIG_CODE)
        assert chars == BIG + 1
        raw_t.append(elapsed)
        bridge.open(connection_file)
        try:
            for _ in range(3):
                editor.request("jupyter/execute", {"kernelId": bridge.kernel_id, "code": "print('warm up')"})
            baseline = rss_bytes(editor.pid)
            sampler = _PeakSampler(editor.pid, use_hwm=reset_peak_rss(editor.pid))
            with sampler:
                t0 = time.perf_counter()
                result = editor.request("jupyter/execute", {"kernelId": bridge.kernel_id, "code": BIG_CODE})
                bridge_t.append(time.perf_counter() - t0)
            assert result["status"] == "ok"
            for _ in range(3):
                editor.request("jupyter/execute", {"kernelId": bridge.kernel_id, "code": "1"})
            time.sleep(0.5)
            final = rss_bytes(editor.pid)
            peaks.append(sampler.peak - baseline)
            finals.append(final - baseline)
        finally:
            bridge.close()
        log(f"  50 MB output: round {r + 1}/{reps}")
    scenario = "one 50 MB output, until the final reply"
    base = report.add(Row.of(scenario, "raw pyzmq", raw_t, scale=1, unit="s"))
    report.add(Row.of(scenario, "bridge (jupyter/)", bridge_t, scale=1, unit="s").against(base))
    report.add(Row.of("bridge RSS above baseline, 50 MB output", "peak", peaks, scale=1 / MB, unit="MB"))
    report.add(Row.of("bridge RSS above baseline, 50 MB output", "final", finals, scale=1 / MB, unit="MB"))
    report.target("50 MB output: peak RSS ≤ baseline + 3× the message (MB)", max(peaks) / MB, 3 * BIG / MB)
    report.target("50 MB output: final RSS ≤ baseline + 20 MB", max(finals) / MB, 20)


class _PeakSampler:
    """Peak RSS during a block: VmHWM after a reset, else sampled every 2 ms."""

    def __init__(self, pid: int, *, use_hwm: bool) -> None:
        self.pid = pid
        self.use_hwm = use_hwm
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def __enter__(self) -> _PeakSampler:
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.use_hwm:
            self.peak = max(self.peak, rss_bytes(self.pid, "VmHWM"))


def busy(report: Report, connection_file: str, editor: Editor, *, lines: int, log: Any) -> None:
    """The editor stays usable: completion, hover and a bridge-only request answered while
    the kernel floods, against the same bridge-only request on an idle bridge."""
    lsp = Bridge(editor, lsp=True)
    lsp.open(connection_file)
    try:
        idle = []
        for _ in range(50):
            t0 = time.perf_counter()
            editor.request("jupyter/listKernels")
            idle.append(time.perf_counter() - t0)
        calls = {
            "textDocument/completion": {"textDocument": {"uri": DOC_URI}, "position": LSP_COMPLETE},
            "textDocument/hover": {"textDocument": {"uri": DOC_URI}, "position": LSP_HOVER},
            "jupyter/listKernels": None,
        }
        during: dict[str, list[float]] = {m: [] for m in calls}
        code = f"for i in range({lines}):\n    print(i)"
        with _StreamCounter(editor) as counter:
            flood_id = editor.request_nowait("jupyter/execute", {"kernelId": lsp.kernel_id, "code": code})
            editor.wait(counter.first.is_set, what="the flood's first output")
            while flood_id not in editor.responses:
                for method, params in calls.items():
                    t0 = time.perf_counter()
                    editor.request(method, params)
                    during[method].append(time.perf_counter() - t0)
                editor.pump(0.01)
            result = editor.result(flood_id)
        assert result["status"] == "ok", result
    finally:
        lsp.close()
    scenario = "editor requests while a flood runs"
    base = report.add(Row.of(scenario, "jupyter/listKernels, idle bridge", idle))
    for method, samples in during.items():
        report.add(Row.of(scenario, f"{method}, during the flood", samples).against(base))
    log(f"  busy: {sum(len(s) for s in during.values())} requests during a {lines:,}-line flood")
