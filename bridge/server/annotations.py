"""What the bridge has pinned to documents' lines: each run's result (an inlay hint at
the end of its last line, its whole output on hover) and each run's diagnostics.

Both follow their lines through the editor's edits and vanish when their line is edited
or deleted (server/anchors.py does the arithmetic); a diagnostic that moves or goes is
published again. Runs are kept per document, the newest ``MAX_RUNS``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import trio
from lsprotocol import types

from bridge.server.anchors import Anchor, Edit, follow
from bridge.server.context import Bridge
from bridge.server.run_output import RunOutput, hint_label, hover_text
from bridge.text import units

MAX_RUNS = 200  # per document


@dataclass
class RunRecord:
    """One run from a document: where, what it printed, how it ended."""

    uri: str
    first_line: int
    last_line: int
    what: str  # "cell", "selection", "line", "file"
    kernel_id: str
    output: RunOutput = field(default_factory=RunOutput)
    result: dict[str, Any] | None = None  # an ExecuteResult, or {"status": "failed", "message"}
    started: float = field(default_factory=trio.current_time)
    finished: float | None = None
    page_url: str | None = None

    def finish(self, result: dict[str, Any]) -> None:
        self.result = result
        self.finished = trio.current_time()

    @property
    def lines(self) -> str:
        a, b = self.first_line + 1, self.last_line + 1
        return f"line {a}" if a == b else f"lines {a}–{b}"

    def header(self) -> str:
        """The hover's first line: what ran, how it ended, how long it took."""
        parts = [f"{self.what.capitalize()} · {self.lines}"]
        if self.result is None:
            parts.append(f"running for {trio.current_time() - self.started:.0f} s")
        else:
            count = self.result.get("executionCount")
            status = str(self.result.get("status"))
            parts.append(f"[{count}] {status}" if count is not None else status)
            if self.finished is not None:
                parts.append(f"{self.finished - self.started:.1f} s")
        return " · ".join(parts)


@dataclass
class _Document:
    runs: dict[int, RunRecord] = field(default_factory=dict)
    anchors: dict[int, Anchor] = field(default_factory=dict)  # run id -> its last line
    diagnostics: dict[int, types.Diagnostic] = field(default_factory=dict)
    diagnostic_anchors: dict[int, Anchor] = field(default_factory=dict)


class Annotations:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self._docs: dict[str, _Document] = {}
        self._ids = itertools.count(1)

    def _lines(self, uri: str) -> list[str]:
        workspace = self.bridge.protocol.workspace
        if uri not in workspace.text_documents:
            return []
        return workspace.get_text_document(uri).source.split("\n")

    def _line_text(self, uri: str, line: int) -> str | None:
        lines = self._lines(uri)
        return lines[line].rstrip("\r") if 0 <= line < len(lines) else None

    @property
    def encoding(self) -> str:
        enc = self.bridge.protocol.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    # -- runs --------------------------------------------------------------------------

    def add_run(self, record: RunRecord) -> None:
        """A run starts: it replaces the results of the lines it covers."""
        doc = self._docs.setdefault(record.uri, _Document())
        for run_id, anchor in list(doc.anchors.items()):
            if record.first_line <= anchor.line <= record.last_line:
                del doc.anchors[run_id]
                del doc.runs[run_id]
        text = self._line_text(record.uri, record.last_line)
        if text is None:
            return
        run_id = next(self._ids)
        doc.runs[run_id] = record
        doc.anchors[run_id] = Anchor(record.last_line, text)
        while len(doc.runs) > MAX_RUNS:
            oldest = next(iter(doc.runs))
            del doc.runs[oldest]
            doc.anchors.pop(oldest, None)

    def run_at(self, uri: str, line: int) -> RunRecord | None:
        doc = self._docs.get(uri)
        if doc is None:
            return None
        for run_id, anchor in doc.anchors.items():
            if anchor.line == line:
                return doc.runs[run_id]
        return None

    def inlay_hints(self, uri: str, within: types.Range) -> list[types.InlayHint]:
        doc = self._docs.get(uri)
        if doc is None:
            return []
        limit = self.bridge.settings.inlay_hint_max_length
        hints = []
        for run_id, anchor in doc.anchors.items():
            if not within.start.line <= anchor.line <= within.end.line:
                continue
            record = doc.runs[run_id]
            hints.append(
                types.InlayHint(
                    position=types.Position(anchor.line, units(anchor.text, self.encoding)),
                    label=hint_label(record.output, record.result, limit),
                    padding_left=True,
                )
            )
        return sorted(hints, key=lambda h: h.position.line)

    def hover(self, uri: str, line: int, markdown: bool = True) -> str | None:
        record = self.run_at(uri, line)
        if record is None:
            return None
        return hover_text(
            record.output, record.result, header=record.header(), page_url=record.page_url, markdown=markdown
        )

    # -- diagnostics -------------------------------------------------------------------

    def publish_diagnostics(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        """A run's diagnostics replace the document's previous run diagnostics."""
        doc = self._docs.setdefault(uri, _Document())
        had = bool(doc.diagnostics)
        doc.diagnostics.clear()
        doc.diagnostic_anchors.clear()
        for diagnostic in diagnostics:
            line = diagnostic.range.start.line
            text = self._line_text(uri, line)
            key = next(self._ids)
            doc.diagnostics[key] = diagnostic
            if text is not None:
                doc.diagnostic_anchors[key] = Anchor(line, text)
        if diagnostics or had:
            self._send_diagnostics(uri, doc)

    def _send_diagnostics(self, uri: str, doc: _Document) -> None:
        self.bridge.protocol.notify(
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            types.PublishDiagnosticsParams(uri=uri, diagnostics=list(doc.diagnostics.values())),
        )

    # -- edits -------------------------------------------------------------------------

    def did_change(self, uri: str, changes: list[Any]) -> None:
        """Move results and diagnostics with their lines; drop those whose line changed."""
        doc = self._docs.get(uri)
        if doc is None or not (doc.anchors or doc.diagnostics):
            return
        edits = [_edit(change) for change in changes]
        lines = [line.rstrip("\r") for line in self._lines(uri)]
        encoding = self.encoding
        doc.anchors = follow(doc.anchors, edits, lines, encoding)
        doc.runs = {run_id: doc.runs[run_id] for run_id in doc.anchors}
        if not doc.diagnostics:
            return
        moved = follow(doc.diagnostic_anchors, edits, lines, encoding)
        if moved == doc.diagnostic_anchors and len(moved) == len(doc.diagnostics):
            return
        kept: dict[int, types.Diagnostic] = {}
        for key, anchor in moved.items():
            old = doc.diagnostics[key]
            span = old.range.end.line - old.range.start.line
            old.range = types.Range(
                start=types.Position(anchor.line, old.range.start.character),
                end=types.Position(anchor.line + span, old.range.end.character),
            )
            kept[key] = old
        doc.diagnostics = kept
        doc.diagnostic_anchors = moved
        self._send_diagnostics(uri, doc)

    def did_close(self, uri: str) -> None:
        doc = self._docs.pop(uri, None)
        if doc is not None and doc.diagnostics:
            doc.diagnostics.clear()
            self._send_diagnostics(uri, doc)


def _edit(change: Any) -> Edit:
    change_range = getattr(change, "range", None)
    if change_range is None:
        return Edit(None, None, str(getattr(change, "text", "")))
    start, end = change_range.start, change_range.end
    return Edit((start.line, start.character), (end.line, end.character), change.text)
