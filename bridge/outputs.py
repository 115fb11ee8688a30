"""Between the iopub router and the editor: coalesce stream output, cap what one
execution sends, and keep what was left out in a bounded file.

A kernel can print gigabytes; the editor must neither freeze nor make the bridge grow.
The iopub reader always drains the socket (a PUB socket cannot be slowed, a full SUB
queue drops silently); what it hands over lands here, and here memory is bounded by the
caps, not by the output:

* Consecutive ``stream`` messages of one request and stream name are merged while the
  editor is behind (the outgoing queue holds more than ``COALESCE_HIGH_WATER`` bytes), and
  flushed when it catches up (``OutgoingQueue`` calls ``flush`` on drain), before any other
  output, and at the end of the execution.
* Past ``limit`` bytes sent for one execution, outputs are left out; stream text goes to a
  spill file (the whole stream output of the execution, itself capped at ``file_limit``),
  and ``finish()`` reports what was left out.
* A Jupyter widget's output (``application/vnd.jupyter.widget-view+json``) gets a one-line
  ``text/plain`` saying where it is live (the output sidecar) in place of the model's repr,
  which an editor that renders text would show as ``IntSlider(value=3)`` or a screenful of
  ``HBox(children=(...))``. Widget comm traffic itself never comes here: the kernel
  connection routes comm messages to ``jupyter/comm``, so a progress bar's thousand updates
  cost the execution's cap nothing.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bridge.wire import Message

log = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_HINT = "open the output page to use it (Vim: :JupyterSidecar; any editor: jupyter/openSidecar)"
_REPR_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\(")

DEFAULT_LIMIT = 4 * 1024 * 1024
DEFAULT_FILE_LIMIT = 256 * 1024 * 1024
COALESCE_HIGH_WATER = 256 * 1024
MAX_COALESCED_CHARS = 1024 * 1024
SPILL_SLICE = 1024 * 1024

Emit = Callable[[dict[str, Any]], int]  # sends one jupyter/output params; returns bytes queued


class OutputSink:
    """One execution's outputs on their way to the editor."""

    def __init__(
        self,
        emit: Emit,
        *,
        base: dict[str, Any],
        backlog: Callable[[], int],
        spill_dir: Path | None,
        limit: int = DEFAULT_LIMIT,
        file_limit: int = DEFAULT_FILE_LIMIT,
    ) -> None:
        self._emit = emit
        self._base = base  # kernelId, requestId
        self._backlog = backlog
        self._spill_dir = spill_dir
        self.limit = limit
        self.file_limit = file_limit
        self.sent_bytes = 0
        self.omitted_bytes = 0
        self.omitted_messages = 0
        self._pending: tuple[str, str, list[str], int] | None = None  # name, msg_id, texts, chars
        self._sent_stream: list[str] = []  # stream text already sent: bounded by ``limit``
        self._file: IO[str] | None = None
        self._file_path: Path | None = None
        self._file_bytes = 0
        self._file_truncated = False

    # -- input from the iopub router ---------------------------------------------------

    def deliver(self, msg: Message) -> None:
        if msg.msg_type == "stream":
            self._stream(msg)
            return
        self.flush()
        params = {
            **self._base,
            "msgId": msg.msg_id,
            "msgType": msg.msg_type,
            "content": widget_placeholder(msg.content),
        }
        if self._emit_checked(params) is None:
            self._omit(rough_size(msg.content))

    def _stream(self, msg: Message) -> None:
        name = str(msg.content.get("name", "stdout"))
        text = msg.content.get("text", "")
        if not isinstance(text, str):
            text = str(text)
        if self.omitted_bytes:
            self._omit(utf8_size(text))
            self._spill(text)
            return
        if self._pending is not None and self._pending[0] == name and self._pending[3] < MAX_COALESCED_CHARS:
            _, msg_id, texts, chars = self._pending
            texts.append(text)
            self._pending = (name, msg_id, texts, chars + len(text))
        else:
            self.flush()
            self._pending = (name, msg.msg_id, [text], len(text))
        if self._backlog() < COALESCE_HIGH_WATER:
            self.flush()

    def flush(self) -> None:
        """Send the coalesced stream text, if any (or spill it past the cap)."""
        if self._pending is None:
            return
        name, msg_id, texts, _ = self._pending
        self._pending = None
        text = "".join(texts)
        params = {
            **self._base,
            "msgId": msg_id,
            "msgType": "stream",
            "content": {"name": name, "text": text},
        }
        if self._emit_checked(params) is not None:
            if len(self._sent_stream) < 100_000:
                self._sent_stream.append(text)
            return
        # Over the cap: send the head that still fits, then leave the rest out.
        head = self._head_that_fits(text)
        if head:
            params["content"] = {"name": name, "text": head}
            if self._emit_checked(params) is not None:
                self._sent_stream.append(head)
                text = text[len(head) :]
        self._omit(utf8_size(text), messages=len(texts))
        self._spill(text)

    def _head_that_fits(self, text: str) -> str:
        room = self.limit - self.sent_bytes - 512  # the notification's own JSON around the text
        if room <= 0:
            return ""
        head = text[:room]
        cut = head.rfind("\n")
        return head[: cut + 1] if cut >= 0 else head

    # -- caps and the spill file ---------------------------------------------------------

    def _emit_checked(self, params: dict[str, Any]) -> int | None:
        """Emit unless it would cross the cap; the bytes sent, or None if left out."""
        if self.omitted_bytes:
            return None
        size = self._emit(params) if self._fits(params) else None
        if size is not None:
            self.sent_bytes += size
        return size

    def _fits(self, params: dict[str, Any]) -> bool:
        if self.sent_bytes >= self.limit:
            return False
        content = params["content"]
        text = content.get("text") if params["msgType"] == "stream" else None
        estimate = len(text) if isinstance(text, str) else rough_size(content)
        return self.sent_bytes + estimate <= self.limit

    def _omit(self, nbytes: int, messages: int = 1) -> None:
        if not self.omitted_bytes:
            self._open_spill()
        self.omitted_bytes += nbytes
        self.omitted_messages += messages

    def _open_spill(self) -> None:
        if self._spill_dir is None:
            return
        try:
            fd, name = _mkstemp(self._spill_dir)
            self._file = os.fdopen(fd, "w", encoding="utf-8", errors="replace")
            self._file_path = Path(name)
            for text in self._sent_stream:  # the file holds the whole stream output
                self._spill(text)
            self._sent_stream = []
        except OSError as exc:
            log.warning("cannot keep omitted output in %s: %s", self._spill_dir, exc)
            self._file = None

    def _spill(self, text: str) -> None:
        if self._file is None or self._file_truncated:
            return
        room = self.file_limit - self._file_bytes
        end = min(len(text), room)
        # in slices: the file's encoder would otherwise make a whole encoded copy of a
        # huge output at once
        for start in range(0, end, SPILL_SLICE):
            self._file.write(text[start : min(end, start + SPILL_SLICE)])
        self._file_bytes += end
        if end < len(text):
            self._file.write("\n[kernel-bridge: output file limit reached; the rest was discarded]\n")
            self._file_truncated = True

    def finish(self) -> dict[str, Any] | None:
        """Flush; if anything was left out, the ``jupyter/outputLimit`` params."""
        self.flush()
        self._sent_stream = []
        if self._file is not None:
            self._file.close()
        if not self.omitted_bytes:
            return None
        return {
            **self._base,
            "omittedBytes": self.omitted_bytes,
            "omittedMessages": self.omitted_messages,
            "file": str(self._file_path) if self._file_path else None,
        }


def widget_placeholder(content: dict[str, Any]) -> dict[str, Any]:
    """``content`` with a widget view's ``text/plain`` replaced by one line naming the widget
    and the output page (docs/protocol.md, ``jupyter/output``); other contents as they are.
    The widget-view entry stays, for an editor that renders widgets."""
    data = content.get("data")
    if not isinstance(data, dict) or WIDGET_VIEW not in data:
        return content
    repr_text = data.get("text/plain")
    if isinstance(repr_text, list):
        repr_text = "".join(str(part) for part in repr_text)
    match = _REPR_NAME.match(repr_text) if isinstance(repr_text, str) else None
    name = ("interact" if match.group(1) == "interactive" else match.group(1)) + " widget" if match else "widget"
    return {**content, "data": {**data, "text/plain": f"[{name}: {WIDGET_HINT}]"}}


def utf8_size(text: str) -> int:
    """UTF-8 length without holding a whole encoded copy of a huge text (``isascii`` is O(1)
    on CPython's compact strings)."""
    if text.isascii():
        return len(text)
    return sum(len(text[i : i + SPILL_SLICE].encode("utf-8", "replace")) for i in range(0, len(text), SPILL_SLICE))


def rough_size(content: dict[str, Any]) -> int:
    """A cheap upper-ish estimate of a content's JSON size, without encoding it twice."""
    total = 0
    stack: list[Any] = [content]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            stack.extend(item.values())
            total += 2 + 4 * len(item)
        elif isinstance(item, list):
            stack.extend(item)
            total += 2
        else:
            total += 8
    return total


def _mkstemp(directory: Path) -> tuple[int, str]:
    import tempfile

    directory.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix="output-", suffix=".txt", dir=directory)
