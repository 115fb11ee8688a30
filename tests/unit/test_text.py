"""Position encodings, cells, ANSI and overstrike stripping over plain strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.text import (
    cell_at,
    cell_starts,
    codepoints_to_column,
    column_to_codepoints,
    plain_text,
    strip_ansi,
    strip_overstrike,
    units,
)

LINE = "x = '😀世界' + ab"  # emoji: 2 UTF-16 units, 4 UTF-8 bytes; CJK: 1 unit, 3 bytes


@pytest.mark.parametrize(("encoding", "expected"), [("utf-16", 15), ("utf-8", 21), ("utf-32", 14)])
def test_units_per_encoding(encoding: str, expected: int) -> None:
    assert units(LINE, encoding) == expected


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_column_round_trip_at_every_code_point(encoding: str) -> None:
    for index in range(len(LINE) + 1):
        column = codepoints_to_column(LINE, index, encoding)
        assert column_to_codepoints(LINE, column, encoding) == index


def test_end_of_line_after_emoji() -> None:
    assert column_to_codepoints(LINE, 15, "utf-16") == len(LINE)
    assert column_to_codepoints(LINE, 21, "utf-8") == len(LINE)


def test_inside_a_surrogate_pair_rounds_down() -> None:
    emoji_at = LINE.index("😀")
    assert column_to_codepoints(LINE, codepoints_to_column(LINE, emoji_at, "utf-16") + 1, "utf-16") == emoji_at


def test_columns_past_the_end_are_clamped() -> None:
    assert column_to_codepoints("ab", 99, "utf-16") == 2


def test_strip_ansi() -> None:
    assert strip_ansi("\x1b[0;31mZeroDivisionError\x1b[0m: x") == "ZeroDivisionError: x"
    assert strip_ansi("\x1b]8;;http://x\x07link\x1b]8;;\x07") == "link"


# What IRkernel 1.3 sends for R's ``?mean`` (Rd2txt): underlined headings, bold names.
R_HELP = "_\bA_\br_\bi_\bt_\bh_\bm_\be_\bt_\bi_\bc _\bM_\be_\ba_\bn\n\n_\bU_\bs_\ba_\bg_\be:\n\n     mean(x, ...)"


def test_overstrike_underline_and_bold_become_the_letters() -> None:
    assert strip_overstrike(R_HELP) == "Arithmetic Mean\n\nUsage:\n\n     mean(x, ...)"
    assert strip_overstrike("N\bNA\bAM\bME\bE") == "NAME"  # man-page bold
    assert strip_overstrike("_\bA\bA") == "A"  # bold and underlined


def test_a_backspace_with_nothing_to_strike_is_dropped() -> None:
    assert strip_overstrike("\bstart, end\b") == "start, end"
    assert strip_overstrike("line\n\bnext") == "line\nnext"  # a line break is never struck out


def test_plain_text_removes_ansi_and_overstrike_together() -> None:
    assert plain_text("\x1b[1m_\bT_\bi_\bt_\bl_\be\x1b[0m: \x1b[31mred\x1b[0m") == "Title: red"


_printable = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x08\x1b"))


@given(_printable)
def test_text_without_backspaces_is_unchanged(text: str) -> None:
    assert strip_overstrike(text) == text


@given(_printable)
def test_any_text_set_bold_or_underlined_reads_back(text: str) -> None:
    struck = [c if c == "\n" else c + "\b" + c for c in text]
    underlined = [c if c == "\n" else "_\b" + c for c in text]
    assert strip_overstrike("".join(struck)) == text
    assert strip_overstrike("".join(underlined)) == text


DOC = ["import os", "# %% first", "a = 1", "b = 2", "# %%", "c = 3"]


def test_cell_at_finds_the_cell_under_a_line() -> None:
    cell = cell_at(DOC, 3)
    assert (cell.start, cell.end, cell.code_start, cell.code) == (1, 4, 2, "a = 1\nb = 2")
    assert cell_at(DOC, 5).code == "c = 3"
    assert cell_at(DOC, 0).code == "import os"


def test_document_without_markers_is_one_cell() -> None:
    assert cell_at(["a", "b"], 1).code == "a\nb"


def test_run_cell_lenses_include_code_before_the_first_marker() -> None:
    assert cell_starts(DOC) == [0, 1, 4]
    assert cell_starts(["# %%", "x"]) == [0]
    assert cell_starts(["x"]) == []
