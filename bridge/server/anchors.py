"""Lines that a run's result is pinned to, followed through the editor's edits.

An inlay hint (``⇒ 42``) or a run's diagnostic belongs to one line of text as it was when
the run ended. Lines move when the user types above them, and a result is wrong once its
line changes. So each anchor keeps its line's text, every ``didChange`` maps it through
the edit ranges, and an anchor whose line was edited or deleted is dropped. Pure
functions over text and edits (no I/O, no LSP objects): tests/unit/test_anchors.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bridge.text import units

K = TypeVar("K")

_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Anchor:
    line: int  # 0-based
    text: str  # the line's text (no line break) when the anchor was set


@dataclass(frozen=True, slots=True)
class Edit:
    """One content change of a ``didChange``: ``range`` replaced by ``text``, positions in
    the negotiated encoding; ``start`` None for a whole-document replacement."""

    start: tuple[int, int] | None
    end: tuple[int, int] | None
    text: str


def _breaks(text: str) -> int:
    return len(_BREAK.findall(text))


def follow_line(anchor: Anchor, edit: Edit, encoding: str) -> int | None:
    """Where ``anchor``'s line is after ``edit``, or None when the edit touched its text.

    Lines wholly before or after the replaced range move with the line breaks it adds or
    removes; a range that starts at the line's end (a new line opened below it) or ends at
    its start (lines inserted or deleted above it) leaves it whole. ``follow`` checks the
    text afterwards, so a join or an append that this keeps is still caught."""
    if edit.start is None or edit.end is None:
        return anchor.line  # a whole-document replacement: only the text check can tell
    line = anchor.line
    (start_line, start_char), (end_line, end_char) = edit.start, edit.end
    delta = _breaks(edit.text) - (end_line - start_line)
    if end_line < line or (end_line == line and end_char == 0):
        return line + delta
    if start_line > line:
        return line
    if start_line == line and start_char >= units(anchor.text, encoding):
        return line
    return None


def follow(anchors: Mapping[K, Anchor], edits: Sequence[Edit], lines: Sequence[str], encoding: str) -> dict[K, Anchor]:
    """The anchors that survive ``edits`` (applied in order, as LSP says), at their new
    lines; ``lines`` is the document after all of them. An anchor survives only if its
    line still holds exactly its text."""
    kept: dict[K, Anchor] = {}
    for key, anchor in anchors.items():
        line = anchor.line
        for edit in edits:
            moved = follow_line(Anchor(line, anchor.text), edit, encoding)
            if moved is None:
                break
            line = moved
        else:
            if 0 <= line < len(lines) and lines[line].rstrip("\r") == anchor.text:
                kept[key] = Anchor(line, anchor.text)
    return kept
