"""What ran on each kernel, kept for ``jupyter/exportNotebook``: the code, the document
it came from, the execution count, the outputs as the kernel sent them, the status.

An editor can run code for hours; the history must not grow with it. It is bounded the
way outputs are (bridge/outputs.py): one run keeps at most the editor's output cap
(``outputLimitBytes``) of output and counts what it left out; one kernel keeps its
newest runs within ``MAX_RUNS`` and ``MAX_BYTES`` (the oldest go first, and are
counted); a kernel that is gone loses its history when the next run starts.

Outputs are kept as a notebook frontend keeps them: ``clear_output`` empties the run
(at once, or before its next output with ``wait``), ``update_display_data`` changes
the earlier output with the same ``display_id`` in place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.outputs import DEFAULT_LIMIT, rough_size, utf8_size
from bridge.wire import Message

MAX_RUNS = 1000
MAX_BYTES = 32 * 1024 * 1024
KEPT_TYPES = frozenset({"stream", "display_data", "execute_result", "error"})


@dataclass
class Output:
    msg_type: str  # stream, display_data, execute_result, error
    content: dict[str, Any]  # as the kernel sent it (never changed in place)
    size: int
    # a stream: the texts of consecutive messages of one stream name, joined on export
    # (as a notebook merges them; joined once, not once per message)
    texts: list[str] | None = None

    def as_content(self) -> dict[str, Any]:
        return self.content if self.texts is None else {**self.content, "text": "".join(self.texts)}


@dataclass
class Run:
    code: str
    uri: str | None
    limit: int = DEFAULT_LIMIT
    execution_count: int | None = None
    status: str = "running"  # then the reply's: ok, error, aborted; or "failed" without one
    reply: dict[str, Any] | None = None  # the execute_reply content
    outputs: list[Output] = field(default_factory=list)
    output_bytes: int = 0
    omitted_bytes: int = 0
    omitted_messages: int = 0
    _clear_pending: bool = False
    _history: RunHistory | None = None

    @property
    def size(self) -> int:
        return utf8_size(self.code) + self.output_bytes

    def record(self, msg: Message) -> None:
        """One iopub message of this run."""
        kind, content = msg.msg_type, msg.content
        if kind == "execute_input":
            count = content.get("execution_count")
            if isinstance(count, int) and not isinstance(count, bool):
                self.execution_count = count
        elif kind == "clear_output":
            if content.get("wait"):
                self._clear_pending = True
            else:
                self._clear()
        elif kind == "update_display_data":
            if self._history is not None:
                self._history.update_display(content)
        elif kind in KEPT_TYPES:
            if self._clear_pending:
                self._clear()
            self._add(kind, content)

    def finish(self, reply: dict[str, Any] | None) -> None:
        """The kernel's execute_reply content, or None when there was none (the kernel
        died, restarted, dropped the request)."""
        self.reply = reply
        if reply is None:
            self.status = "failed"
            return
        self.status = str(reply.get("status", "error"))
        count = reply.get("execution_count")
        if isinstance(count, int) and not isinstance(count, bool):
            self.execution_count = count

    def _add(self, kind: str, content: dict[str, Any]) -> None:
        text = content.get("text") if kind == "stream" else None
        size = utf8_size(text) if isinstance(text, str) else rough_size(content)
        if self.omitted_messages or self.output_bytes + size > self.limit:
            head = (
                _head(text, self.limit - self.output_bytes)
                if isinstance(text, str) and not self.omitted_messages
                else ""
            )
            self.omitted_bytes += size - utf8_size(head)
            self.omitted_messages += 1
            if not head:
                return
            text, size = head, utf8_size(head)
        last = self.outputs[-1] if self.outputs else None
        if isinstance(text, str):
            name = content.get("name")
            if last is not None and last.texts is not None and last.content.get("name") == name:
                last.texts.append(text)
                last.size += size
            else:
                self.outputs.append(Output(kind, {"name": name}, size, [text]))
        else:
            self.outputs.append(Output(kind, content, size))
        self._grew(size)

    def _clear(self) -> None:
        self._clear_pending = False
        self._grew(-self.output_bytes)
        self.outputs = []
        self.omitted_bytes = self.omitted_messages = 0

    def _grew(self, delta: int) -> None:
        self.output_bytes += delta
        if self._history is not None:
            self._history.grew(self, delta)


class RunHistory:
    """The runs of one kernel, oldest first, within the bounds."""

    def __init__(self, max_runs: int = MAX_RUNS, max_bytes: int = MAX_BYTES) -> None:
        self.max_runs = max_runs
        self.max_bytes = max_bytes
        self.runs: deque[Run] = deque()
        self.bytes = 0
        self.dropped = 0  # runs left out to stay within the bounds

    def begin(self, code: str, uri: str | None, limit: int) -> Run:
        run = Run(code=code, uri=uri, limit=limit, _history=self)
        self.runs.append(run)
        self.bytes += run.size
        self._trim(keep=run)
        return run

    def grew(self, run: Run, delta: int) -> None:
        self.bytes += delta
        self._trim(keep=run)

    def update_display(self, content: dict[str, Any]) -> None:
        """update_display_data: every kept output shown with that display_id takes the
        new data (a notebook shows the update where the display was made)."""
        display_id = (content.get("transient") or {}).get("display_id")
        if display_id is None:
            return
        for run in self.runs:
            for i, output in enumerate(run.outputs):
                if output.texts is None and (output.content.get("transient") or {}).get("display_id") == display_id:
                    updated = {
                        **output.content,
                        "data": content.get("data", {}),
                        "metadata": content.get("metadata", {}),
                    }
                    run.outputs[i] = Output(output.msg_type, updated, rough_size(updated))
                    run.output_bytes += run.outputs[i].size - output.size
                    self.bytes += run.outputs[i].size - output.size
        self._trim(keep=None)

    def _trim(self, keep: Run | None) -> None:
        while self.runs and (len(self.runs) > self.max_runs or self.bytes > self.max_bytes):
            if self.runs[0] is keep:  # the run being recorded stays (its own cap bounds it)
                break
            oldest = self.runs.popleft()
            oldest._history = None
            self.bytes -= oldest.size
            self.dropped += 1


class RunHistories:
    """Every kernel's RunHistory, by kernelId (a restart keeps the id, and the history)."""

    def __init__(self, live: Callable[[], Iterable[str]] | None = None) -> None:
        # the kernelIds still running, to forget the others at each run; without it, the
        # owner calls ``forget`` (the bridge does on the registry's KernelRemoved)
        self._live = live
        self._by_kernel: dict[str, RunHistory] = {}

    def forget(self, kernel_id: str) -> None:
        self._by_kernel.pop(kernel_id, None)

    def begin(self, kernel_id: str, code: str, uri: str | None, limit: int) -> Run:
        if self._live is not None:
            live = set(self._live())
            for gone in [k for k in self._by_kernel if k not in live]:
                del self._by_kernel[gone]
        history = self._by_kernel.setdefault(kernel_id, RunHistory())
        return history.begin(code, uri, limit)

    def get(self, kernel_id: str) -> RunHistory:
        return self._by_kernel.get(kernel_id) or RunHistory()


def _head(text: str, room: int) -> str:
    """The start of a stream text that fits in ``room`` bytes, cut after a newline if
    there is one (as OutputSink cuts what it sends)."""
    if room <= 0:
        return ""
    head = text[:room]  # at most ``room`` bytes once encoded, unless not ASCII:
    if not head.isascii():
        head = head.encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
    cut = head.rfind("\n")
    return head[: cut + 1] if cut >= 0 else head
