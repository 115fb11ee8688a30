"""A run's outputs, kept small, and the two ways a stock LSP client sees them: a one-line
inlay hint label and a Markdown hover.

A stock client drops ``jupyter/output``; what it can show is text the bridge hands it on
request. So each run from a document keeps a bounded copy of what it printed and
returned (``RunOutput``), from which ``hint_label`` makes ``⇒ 42`` / ``hello`` /
``✗ ZeroDivisionError: division by zero`` and ``hover_text`` the whole output. Pure:
no I/O; tests/unit/test_run_output.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bridge.text import strip_ansi

# what one run keeps for its hover: text beyond this is cut (the output page has it all)
KEEP_CHARS = 64 * 1024
HOVER_MAX_CHARS = 12 * 1024
RUNNING = "⏳"
_BRACKETED = re.compile(r"(\[\d+\])")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")


@dataclass
class Part:
    kind: str  # "stream" | "result" | "display" | "error"
    text: str = ""  # stream text; plain text of a result or display; the traceback of an error
    name: str = ""  # stream name; the ename of an error
    markdown: str | None = None  # text/markdown of a result or display
    images: list[str] = field(default_factory=list)  # image MIME types of a result or display
    evalue: str = ""
    execution_count: int | None = None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def _overwrite(text: str) -> str:
    """What a terminal shows for text with carriage returns (progress bars)."""
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        out.append(line.rstrip("\r").rsplit("\r", 1)[-1])
    return "\n".join(out)


@dataclass
class RunOutput:
    """What one run printed and returned, in order, bounded by ``KEEP_CHARS``."""

    parts: list[Part] = field(default_factory=list)
    chars: int = 0
    cut: bool = False

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        if msg_type == "clear_output":
            self.parts = [p for p in self.parts if p.kind == "error"]
            self.chars = sum(len(p.text) for p in self.parts)
            return
        if self.chars >= KEEP_CHARS:
            self.cut = True
            return
        if msg_type == "stream":
            name = str(content.get("name", "stdout"))
            text = _text(content.get("text", ""))
            room = KEEP_CHARS - self.chars
            if len(text) > room:
                text, self.cut = text[:room], True
            self.chars += len(text)
            last = self.parts[-1] if self.parts else None
            if last is not None and last.kind == "stream" and last.name == name:
                last.text += text
            else:
                self.parts.append(Part("stream", text, name=name))
        elif msg_type in ("execute_result", "display_data"):
            raw = content.get("data")
            data: dict[str, Any] = raw if isinstance(raw, dict) else {}
            plain = strip_ansi(_text(data.get("text/plain", "")))[: KEEP_CHARS - self.chars]
            markdown = data.get("text/markdown")
            part = Part(
                "result" if msg_type == "execute_result" else "display",
                plain,
                markdown=_text(markdown)[:KEEP_CHARS] if markdown is not None else None,
                images=[m for m in IMAGE_TYPES if m in data],
                execution_count=content.get("execution_count")
                if isinstance(content.get("execution_count"), int)
                else None,
            )
            self.chars += len(plain) + len(part.markdown or "")
            self.parts.append(part)
        elif msg_type == "error":
            traceback = strip_ansi("\n".join(str(t) for t in content.get("traceback") or []))
            self.parts.append(
                Part(
                    "error",
                    traceback[:KEEP_CHARS],
                    name=str(content.get("ename", "")),
                    evalue=str(content.get("evalue", "")),
                )
            )
            self.chars += min(len(traceback), KEEP_CHARS)

    def first(self, kind: str, name: str | None = None) -> Part | None:
        for part in self.parts:
            if part.kind == kind and (name is None or part.name == name):
                return part
        return None


def one_line(text: str, limit: int) -> str:
    """The first non-blank line of ``text``, ANSI-free, at most ``limit`` characters; "…"
    says something was left out (more lines, or a longer line)."""
    lines = [line.strip() for line in _overwrite(strip_ansi(text)).split("\n")]
    nonblank = [line for line in lines if line]
    if not nonblank:
        return ""
    first = " ".join(nonblank[0].split())
    more = len(nonblank) > 1
    if len(first) > limit:
        return first[: max(limit - 1, 1)] + "…"
    return first + (" …" if more and len(first) + 2 <= limit else "")


def hint_label(output: RunOutput, result: dict[str, Any] | None, limit: int) -> str:
    """One line for the end of the run's last line: ``⏳`` while it runs, then the error,
    the value, the first line of stdout, or what else it showed."""
    if result is None:
        return RUNNING
    status = result.get("status")
    if status == "error":
        ename = str(result.get("ename") or "Error")
        evalue = str(result.get("evalue") or "")
        return "✗ " + one_line(f"{ename}: {evalue}" if evalue else ename, limit - 2)
    if status == "aborted":
        return "✗ aborted (an earlier run failed)"
    if status not in ("ok", None):  # "failed": the bridge or the kernel failed, not the code
        return "✗ " + one_line(str(result.get("message") or status), limit - 2)
    value = output.first("result")
    if value is not None and value.text.strip():
        return "⇒ " + one_line(value.text, limit - 2)
    for name in ("stdout", "stderr"):
        stream = output.first("stream", name)
        if stream is not None and stream.text.strip():
            return one_line(stream.text, limit)
    for part in output.parts:
        if part.kind in ("display", "result"):
            if part.images:
                return one_line(f"[{part.images[0]}]", limit)
            if part.text.strip():
                return one_line(part.text, limit)
    return "✓"


def _fence(text: str, info: str = "text") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def hover_text(
    output: RunOutput,
    result: dict[str, Any] | None,
    *,
    header: str,
    page_url: str | None,
    markdown: bool = True,
    max_chars: int = HOVER_MAX_CHARS,
) -> str:
    """The run's whole output for a hover: as Markdown (streams and tracebacks in code
    blocks, ANSI stripped; ``text/markdown`` as is; images as a link to the output page), or
    as plain text for a client that renders no Markdown; cut at ``max_chars`` with a
    pointer to where the rest is. ``header`` is plain text."""

    def block(text: str) -> str:
        return _fence(text) if markdown else text.rstrip()

    # "[1]" would read as a Markdown link (Neovim hides its brackets, and shows escapes as
    # typed): in Markdown, Jupyter's prompts are code spans
    def out_prompt(count: int) -> str:
        return f"`Out[{count}]:`\n" if markdown else f"Out[{count}]:\n"

    blocks = [_BRACKETED.sub(r"`\1`", header) if markdown else header]
    if result is None:
        blocks.append(f"{RUNNING} running…")
    if page_url:
        page = f"[the output page]({page_url})" if markdown else f"the output page: {page_url}"
    else:
        page = "the output page (code action “Open output page”)"
    for part in output.parts:
        if part.kind == "stream":
            text = _overwrite(part.text)
            if text.strip():
                label = ("**stderr**\n" if markdown else "stderr:\n") if part.name == "stderr" else ""
                blocks.append(label + block(text))
        elif part.kind in ("result", "display"):
            prefix = out_prompt(part.execution_count) if part.kind == "result" and part.execution_count else ""
            if part.markdown is not None:
                blocks.append(prefix + part.markdown)
            elif part.images:
                if page_url:
                    link = f"[{part.images[0]}]({page_url})" if markdown else f"{part.images[0]}: {page_url}"
                else:
                    link = f"{part.images[0]} (open the output page to see it)"
                blocks.append(prefix + f"🖼 {link}")
            elif part.text.strip():
                blocks.append(prefix + block(part.text))
        elif part.kind == "error":
            blocks.append(block(part.text or f"{part.name}: {part.evalue}"))
    if result is not None and result.get("status") == "error" and output.first("error") is None:
        traceback = strip_ansi("\n".join(str(t) for t in result.get("traceback") or []))
        blocks.append(block(traceback or f"{result.get('ename', '')}: {result.get('evalue', '')}"))
    if result is not None and len(blocks) == 1:
        blocks.append("(no output)")
    text = "\n\n".join(blocks)
    if output.cut or len(text) > max_chars:
        note = f"\n\n… output cut here; all of it is in {page}"
        if len(text) > max_chars:
            text = text[: max_chars - len(note)]
            if markdown and text.count("```") % 2:  # do not leave a code block open
                text += "\n```"
        text += note
    return text
