"""Hover and completion without cattrs: the two LSP requests an editor sends while the
user types, so the ones whose latency is felt.

pygls structures every request's params through cattrs and unstructures every result the
same way; for a hover that was a fifth of the bridge's CPU per request (``python -m
bench.profile hover``), and a completion list's cost grows with its items. Here params of
the plain, valid shape are built with the lsprotocol classes directly, and results of the
shapes our handlers return are written as JSON by hand. Anything else (an odd field, a
result of another shape) takes pygls' path, so its errors (-32602 naming the field) and
its encoding stay the reference: tests/unit/test_lsp_fast.py checks both paths agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeGuard

from lsprotocol import types

_UINT_MAX = 2**31 - 1  # LSP's uinteger


def _uint(value: Any) -> TypeGuard[int]:
    return type(value) is int and 0 <= value <= _UINT_MAX


def _text_position(params: Any) -> tuple[types.TextDocumentIdentifier, types.Position] | None:
    """``textDocument`` and ``position`` of a request's params, if plainly valid."""
    if type(params) is not dict:
        return None
    document, position = params.get("textDocument"), params.get("position")
    if type(document) is not dict or type(position) is not dict or len(document) != 1 or len(position) != 2:
        return None
    uri, line, character = document.get("uri"), position.get("line"), position.get("character")
    if type(uri) is not str or not _uint(line) or not _uint(character):
        return None
    return types.TextDocumentIdentifier(uri=uri), types.Position(line=line, character=character)


def hover_params(params: Any) -> types.HoverParams | None:
    if type(params) is not dict or params.keys() - {"textDocument", "position"}:
        return None
    found = _text_position(params)
    return None if found is None else types.HoverParams(text_document=found[0], position=found[1])


_TRIGGER_KINDS = {kind.value: kind for kind in types.CompletionTriggerKind}


def completion_params(params: Any) -> types.CompletionParams | None:
    if type(params) is not dict or params.keys() - {"textDocument", "position", "context"}:
        return None
    found = _text_position(params)
    if found is None:
        return None
    context = None
    if "context" in params:
        raw = params["context"]
        if type(raw) is not dict or raw.keys() - {"triggerKind", "triggerCharacter"}:
            return None
        trigger = raw.get("triggerKind")
        kind = _TRIGGER_KINDS.get(trigger) if type(trigger) is int else None
        character = raw.get("triggerCharacter")
        if kind is None or (character is not None and type(character) is not str):
            return None
        context = types.CompletionContext(trigger_kind=kind, trigger_character=character)
    return types.CompletionParams(text_document=found[0], position=found[1], context=context)


def _position(p: types.Position) -> dict[str, int]:
    return {"line": p.line, "character": p.character}


def _range(r: types.Range) -> dict[str, Any]:
    return {"start": _position(r.start), "end": _position(r.end)}


class NotPlain(Exception):
    """A result of a shape not written here: pygls' converter writes it."""


def hover_json(result: Any) -> Any:
    if result is None:
        return None
    if type(result) is not types.Hover or type(result.contents) is not types.MarkupContent:
        raise NotPlain
    contents = result.contents
    out: dict[str, Any] = {"contents": {"kind": contents.kind.value, "value": contents.value}}
    if result.range is not None:
        out["range"] = _range(result.range)
    return out


_ITEM_FIELDS = frozenset({"label", "kind", "detail", "sort_text", "filter_text", "text_edit"})
_ITEM_DEFAULTS = {
    name: value
    for name, value in ((a.name, a.default) for a in types.CompletionItem.__attrs_attrs__)
    if name not in _ITEM_FIELDS
}


def _item(item: types.CompletionItem) -> dict[str, Any]:
    edit = item.text_edit
    if type(item) is not types.CompletionItem or (edit is not None and type(edit) is not types.TextEdit):
        raise NotPlain
    for name, default in _ITEM_DEFAULTS.items():  # a field set that is not written here
        if getattr(item, name) is not default:
            raise NotPlain
    out: dict[str, Any] = {"label": item.label}
    if item.kind is not None:
        out["kind"] = int(item.kind)
    if item.detail is not None:
        out["detail"] = item.detail
    if item.sort_text is not None:
        out["sortText"] = item.sort_text
    if item.filter_text is not None:
        out["filterText"] = item.filter_text
    if edit is not None:
        out["textEdit"] = {"range": _range(edit.range), "newText": edit.new_text}
    return out


def completion_json(result: Any) -> Any:
    if type(result) is not types.CompletionList or result.item_defaults is not None:
        raise NotPlain
    return {"isIncomplete": result.is_incomplete, "items": [_item(i) for i in result.items]}


# method -> (params parser: None when the params are not plainly valid, result writer)
FAST_METHODS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    types.TEXT_DOCUMENT_HOVER: (hover_params, hover_json),
    types.TEXT_DOCUMENT_COMPLETION: (completion_params, completion_json),
}
