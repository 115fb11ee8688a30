"""Results and diagnostics pinned to lines follow the editor's edits (bridge/server/anchors.py):
they move with lines inserted or deleted elsewhere and vanish when their own line changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridge.server.anchors import Anchor, Edit, follow

DOC = ["import math", "x = 6 * 7", "x", "print('done')"]


def apply(lines: list[str], edit: Edit) -> list[str]:
    """The document after ``edit`` (UTF-16 columns equal code points for these texts)."""
    text = "\n".join(lines)
    assert edit.start is not None and edit.end is not None

    def offset(line: int, char: int) -> int:
        return sum(len(s) + 1 for s in lines[:line]) + char

    start, end = offset(*edit.start), offset(*edit.end)
    return (text[:start] + edit.text + text[end:]).split("\n")


def after(edit: Edit, line: int = 2, lines: list[str] = DOC) -> int | None:
    new = apply(lines, edit)
    kept = follow({"hint": Anchor(line, lines[line])}, [edit], new, "utf-16")
    return kept["hint"].line if "hint" in kept else None


def test_a_line_inserted_above_moves_the_anchor_down() -> None:
    assert after(Edit((0, 0), (0, 0), "import os\n")) == 3


def test_a_new_line_opened_below_the_previous_line_moves_it_down() -> None:
    # Vim's `o` on line 1: a line break at the end of line 1
    assert after(Edit((1, 9), (1, 9), "\ny = 1")) == 3


def test_a_new_line_opened_below_the_anchor_leaves_it() -> None:
    assert after(Edit((2, 1), (2, 1), "\ny = 1")) == 2


def test_a_line_deleted_above_moves_the_anchor_up() -> None:
    assert after(Edit((0, 0), (1, 0), "")) == 1


def test_deleting_the_line_drops_the_anchor() -> None:
    assert after(Edit((2, 0), (3, 0), "")) is None


def test_editing_the_line_drops_the_anchor() -> None:
    assert after(Edit((2, 1), (2, 1), " + 1")) is None


def test_joining_the_line_with_the_one_above_drops_the_anchor() -> None:
    assert after(Edit((1, 9), (2, 0), "")) is None


def test_appending_to_the_line_drops_the_anchor() -> None:
    assert after(Edit((2, 1), (3, 0), "")) is None  # the next line joined onto it


def test_edits_below_leave_it_where_it_is() -> None:
    assert after(Edit((3, 0), (3, 13), "print('bye')")) == 2


def test_deleting_the_last_line_keeps_the_one_before() -> None:
    assert after(Edit((2, 1), (3, 13), ""), line=2) == 2


def test_changes_of_one_notification_apply_in_order() -> None:
    edits = [Edit((0, 0), (0, 0), "a = 1\n"), Edit((0, 0), (0, 0), "b = 2\n"), Edit((4, 0), (5, 0), "")]
    lines = DOC
    for edit in edits:
        lines = apply(lines, edit)
    kept = follow({1: Anchor(2, "x"), 2: Anchor(3, "print('done')")}, edits, lines, "utf-16")
    # two lines inserted at the top move both down by two; then "x" (now line 4) is deleted
    assert kept == {2: Anchor(4, "print('done')")}


def test_a_whole_document_replacement_keeps_only_unchanged_lines() -> None:
    anchors = {1: Anchor(2, "x"), 2: Anchor(1, "x = 6 * 7")}
    new = ["import math", "x = 1", "x", "print('done')"]
    assert follow(anchors, [Edit(None, None, "\n".join(new))], new, "utf-16") == {1: Anchor(2, "x")}


def test_columns_count_in_the_negotiated_encoding() -> None:
    lines = ["s = '😀'", "t"]
    # the emoji is 2 UTF-16 units, 4 UTF-8 bytes: the line ends at 8 (utf-16) or 10 (utf-8)
    for encoding, end in (("utf-16", 8), ("utf-8", 10)):
        edit = Edit((0, end), (0, end), "\nu = 1")
        new = ["s = '😀'", "u = 1", "t"]
        assert follow({1: Anchor(0, lines[0])}, [edit], new, encoding) == {1: Anchor(0, lines[0])}


@given(
    line=st.integers(0, 3),
    start=st.tuples(st.integers(0, 3), st.integers(0, 14)),
    length=st.integers(0, 30),
    text=st.text(alphabet="ab\n", max_size=6),
)
def test_a_kept_anchor_always_sits_on_its_unchanged_text(
    line: int, start: tuple[int, int], length: int, text: str
) -> None:
    lines = DOC
    s_line, s_char = start[0], min(start[1], len(lines[start[0]]))
    flat = "\n".join(lines)
    begin = sum(len(x) + 1 for x in lines[:s_line]) + s_char
    finish = min(begin + length, len(flat))
    before = flat[:finish].split("\n")
    edit = Edit((s_line, s_char), (len(before) - 1, len(before[-1])), text)
    new = apply(lines, edit)
    kept = follow({1: Anchor(line, lines[line])}, [edit], new, "utf-16")
    if kept:
        assert new[kept[1].line] == lines[line]
    # a line the edit did not touch is always kept
    untouched = line < s_line or (line > len(before) - 1)
    if untouched:
        assert kept, (edit, line)
