"""server/lsp_fast.py must say exactly what pygls' cattrs path says, or step aside."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from lsprotocol.converters import get_converter

from bridge.server.lsp_fast import FAST_METHODS, NotPlain, completion_json, hover_json

converter = get_converter()
PARAMS = {types.TEXT_DOCUMENT_HOVER: types.HoverParams, types.TEXT_DOCUMENT_COMPLETION: types.CompletionParams}
DOC = {"textDocument": {"uri": "file:///tmp/a.py"}, "position": {"line": 3, "character": 7}}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        (types.TEXT_DOCUMENT_HOVER, DOC),
        (types.TEXT_DOCUMENT_COMPLETION, DOC),
        (types.TEXT_DOCUMENT_COMPLETION, {**DOC, "context": {"triggerKind": 1}}),
        (types.TEXT_DOCUMENT_COMPLETION, {**DOC, "context": {"triggerKind": 2, "triggerCharacter": "."}}),
    ],
)
def test_plain_params_are_what_cattrs_makes_of_them(method: str, params: dict[str, Any]) -> None:
    assert FAST_METHODS[method][0](params) == converter.structure(params, PARAMS[method])


@pytest.mark.parametrize(
    "params",
    [
        None,
        [],
        {"textDocument": {"uri": "file:///a"}},
        {**DOC, "position": {"line": -1, "character": 0}},
        {**DOC, "position": {"line": 1.5, "character": 0}},
        {**DOC, "position": {"line": True, "character": 0}},
        {**DOC, "textDocument": {"uri": 7}},
        {**DOC, "workDoneToken": "t"},  # valid, but not written here: pygls' path takes it
        {**DOC, "context": {"triggerKind": 9}},
        {**DOC, "context": {"triggerKind": 2, "triggerCharacter": 1}},
    ],
)
def test_other_params_take_pygls_path(params: Any) -> None:
    for parse, _ in FAST_METHODS.values():
        assert parse(params) is None


def _range(line: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=4))


@pytest.mark.parametrize(
    "result",
    [
        None,
        types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="**x** `é`")),
        types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.PlainText, value="x"), range=_range(2)),
    ],
)
def test_hover_is_written_as_cattrs_writes_it(result: types.Hover | None) -> None:
    assert hover_json(result) == converter.unstructure(result)


def test_completion_list_is_written_as_cattrs_writes_it() -> None:
    items = [
        types.CompletionItem(
            label="append",
            kind=types.CompletionItemKind.Method,
            detail="append(object, /)",
            sort_text="00000",
            filter_text="append",
            text_edit=types.TextEdit(range=_range(1), new_text="append"),
        ),
        types.CompletionItem(label="x"),
    ]
    for incomplete in (False, True):
        result = types.CompletionList(is_incomplete=incomplete, items=items)
        assert completion_json(result) == converter.unstructure(result)


@pytest.mark.parametrize(
    ("encode", "result"),
    [
        (hover_json, types.Hover(contents="a marked string")),
        (completion_json, [types.CompletionItem(label="x")]),
        (
            completion_json,
            types.CompletionList(is_incomplete=False, items=[types.CompletionItem(label="x", preselect=True)]),
        ),
    ],
)
def test_other_shapes_are_left_to_pygls(encode: Any, result: Any) -> None:
    with pytest.raises(NotPlain):
        encode(result)
