"""Small pure helpers over source text: ANSI escapes, terminal overstrike, ``# %%`` cells,
LSP positions.

LSP positions count in the negotiated encoding (UTF-16 code units by default, UTF-8
bytes or UTF-32 code points if offered); Jupyter's ``cursor_pos`` counts code points.
Python strings index code points, so "code points" below are plain ``str`` indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
# a character a backspace then strikes over with the next one (a line break is not struck)
_OVERSTRUCK = re.compile(r"[^\n\x08]\x08(?=[^\n\x08])")
_CELL_MARKER = re.compile(r"^\s*#\s*%%")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def strip_overstrike(text: str) -> str:
    """Terminal overstrike → the characters it shows.

    R's help (``Rd2txt``, as IRkernel sends it in ``inspect_reply``), man pages and other
    pager-bound text mark bold as ``X\bX`` and underline as ``_\bX``: a terminal prints
    the second character over the first; an editor shows the backspaces raw. The struck
    character goes, the one on top stays; a backspace with nothing to strike goes too.
    """
    if "\x08" not in text:
        return text
    return _OVERSTRUCK.sub("", text).replace("\x08", "")


def plain_text(text: str) -> str:
    """Text meant for a terminal (help, docstrings) as an editor should show it: no ANSI
    escapes, no overstrike."""
    return strip_overstrike(strip_ansi(text))


# -- positions ------------------------------------------------------------------------


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the LSP position encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def column_to_codepoints(line: str, column: int, encoding: str) -> int:
    """An LSP ``character`` on ``line`` → a code-point index into ``line`` (clamped; a
    position inside a surrogate pair or a multi-byte sequence rounds down)."""
    if encoding == "utf-32":
        return min(column, len(line))
    count = 0
    for index, char in enumerate(line):
        width = units(char, encoding)
        if count + width > column:
            return index
        count += width
    return len(line)


def codepoints_to_column(line: str, index: int, encoding: str) -> int:
    return units(line[: max(0, min(index, len(line)))], encoding)


# -- cells ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    start: int  # first line (0-based), the marker line if there is one
    end: int  # one past the last line
    code: str  # the cell's text, marker line excluded
    code_start: int  # document line where ``code`` begins


def cell_markers(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if _CELL_MARKER.match(line)]


def cell_at(lines: list[str], line: int) -> Cell:
    """The ``# %%`` cell containing ``line``; the whole document if it has no markers."""
    markers = cell_markers(lines)
    start = max((m for m in markers if m <= line), default=0)
    end = min((m for m in markers if m > line), default=len(lines))
    code_start = start + 1 if start in markers else start
    return Cell(start, end, "\n".join(lines[code_start:end]), code_start)


def cell_starts(lines: list[str]) -> list[int]:
    """Where "Run cell" lenses go: each marker, and line 0 if code precedes the first."""
    markers = cell_markers(lines)
    if not markers:
        return []
    if markers[0] != 0 and any(line.strip() for line in lines[: markers[0]]):
        return [0, *markers]
    return markers
