"""What every LSP editor gets from the live kernel: completion, hover, signature help,
"Run cell" code lenses and the ``jupyter.runCell`` command; and, for an editor without an
adapter, runs' results as inlay hints and hovers that follow their lines through edits,
and code lenses refreshed when cells come and go.

The shell channel is serial: a complete_request sent while an execute runs waits behind
it. So while an execute is in flight these answer at once (an empty, incomplete list;
no hover), a newer completion for the same document supersedes the older one, and each
waits at most ``completionTimeout``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import trio
from lsprotocol import types

from bridge.errors import InvalidParams
from bridge.kernels.kernel import Kernel
from bridge.server import client_caps
from bridge.server.code_actions import CodeActions
from bridge.server.commands import RUN_CELL
from bridge.server.context import Bridge
from bridge.server.execute import Execute
from bridge.server.params import RUN_ID_MAX, RunId
from bridge.server.runs import DocumentRuns
from bridge.text import Cell, cell_at, cell_starts, codepoints_to_column, column_to_codepoints, plain_text

log = logging.getLogger(__name__)

_KINDS = {
    "function": types.CompletionItemKind.Function,
    "builtin_function": types.CompletionItemKind.Function,
    "method": types.CompletionItemKind.Method,
    "class": types.CompletionItemKind.Class,
    "module": types.CompletionItemKind.Module,
    "keyword": types.CompletionItemKind.Keyword,
    "instance": types.CompletionItemKind.Variable,
    "statement": types.CompletionItemKind.Variable,
    "param": types.CompletionItemKind.Variable,
    "property": types.CompletionItemKind.Property,
    "path": types.CompletionItemKind.File,
    "magic": types.CompletionItemKind.Keyword,
}
_SECTION = re.compile(r"^(?:Init signature|Signature|Call signature):\s*(.*)$", re.M)
_DOCSTRING = re.compile(r"^(?:Docstring|Init docstring):\s*\n?(.*?)(?=^\w[\w ]*:\s|\Z)", re.M | re.S)


class Located:
    """A document position resolved to the cell around it and a code-point cursor."""

    def __init__(self, lines: list[str], cell: Cell, cursor: int) -> None:
        self.lines = lines
        self.cell = cell
        self.cursor = cursor

    def position(self, offset: int, encoding: str) -> types.Position:
        """A code-point offset into the cell's code → an LSP position in the document."""
        before = self.cell.code[:offset]
        line = self.cell.code_start + before.count("\n")
        column = len(before) - (before.rfind("\n") + 1)
        return types.Position(line=line, character=codepoints_to_column(self.lines[line], column, encoding))


class LspFeatures:
    def __init__(self, bridge: Bridge, execute: Execute, runs: DocumentRuns, actions: CodeActions) -> None:
        self.bridge = bridge
        self.execute = execute
        self.runs = runs
        self.actions = actions
        self._completions: dict[str, trio.CancelScope] = {}
        self._cells: dict[str, list[int]] = {}  # where each document's "Run cell" lenses are

    @property
    def encoding(self) -> str:
        enc = self.bridge.protocol.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def _lines(self, uri: str) -> list[str]:
        """The open document's lines. Never read from disk (pygls would, for a document the
        editor did not open): a document we were not told about has no lines."""
        workspace = self.bridge.protocol.workspace
        if uri not in workspace.text_documents:
            return []
        return workspace.get_text_document(uri).source.split("\n")

    def _locate(self, uri: str, position: types.Position) -> Located | None:
        lines = self._lines(uri)
        if position.line >= len(lines):
            return None
        cell = cell_at(lines, position.line)
        if position.line < cell.code_start:
            return None  # on the marker line itself
        column = column_to_codepoints(lines[position.line], position.character, self.encoding)
        cursor = sum(len(line) + 1 for line in lines[cell.code_start : position.line]) + column
        return Located(lines, cell, cursor)

    def _idle_kernel(self, uri: str) -> Kernel | None:
        """The document's kernel if a request sent now would be answered soon."""
        kernel = self.bridge.registry.for_document(uri)
        if kernel is None or not kernel.connection.alive or kernel.connection.executes_in_flight:
            return None
        return kernel

    async def _ask(self, kernel: Kernel, msg_type: str, content: dict[str, Any], scope_key: str | None = None) -> Any:
        """A shell request bounded by the completion timeout; None if it did not make it."""
        with trio.move_on_after(self.bridge.settings.completion_timeout) as scope:
            if scope_key is not None:
                previous = self._completions.get(scope_key)
                if previous is not None:
                    previous.cancel()  # superseded by this newer request
                self._completions[scope_key] = scope
            try:
                reply = await kernel.connection.request("shell", msg_type, content)
            finally:
                if scope_key is not None and self._completions.get(scope_key) is scope:
                    del self._completions[scope_key]
            return reply.content if reply.content.get("status") == "ok" else None
        return None

    # -- completion ---------------------------------------------------------------------

    async def completion(self, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        kernel = self.bridge.registry.for_document(uri)
        if kernel is None or not kernel.connection.alive:
            return types.CompletionList(is_incomplete=False, items=[])
        if kernel.connection.executes_in_flight:
            return types.CompletionList(is_incomplete=True, items=[])
        where = self._locate(uri, params.position)
        if where is None:
            return types.CompletionList(is_incomplete=False, items=[])
        content = await self._ask(
            kernel, "complete_request", {"code": where.cell.code, "cursor_pos": where.cursor}, scope_key=uri
        )
        if content is None:
            return types.CompletionList(is_incomplete=True, items=[])
        return types.CompletionList(is_incomplete=False, items=self._items(content, where))

    def _items(self, content: dict[str, Any], where: Located) -> list[types.CompletionItem]:
        code_len = len(where.cell.code)
        start = min(max(int(content.get("cursor_start", where.cursor)), 0), code_len)
        end = min(max(int(content.get("cursor_end", where.cursor)), start), code_len)
        edit_range = types.Range(start=where.position(start, self.encoding), end=where.position(end, self.encoding))
        metadata = content.get("metadata") or {}
        typed = {t.get("text"): t for t in metadata.get("_jupyter_types_experimental", []) if isinstance(t, dict)}
        items = []
        for index, match in enumerate(content.get("matches", [])):
            info = typed.get(match, {})
            kind = _KINDS.get(str(info.get("type", "")))
            detail = info.get("signature") or info.get("type") or None
            items.append(
                types.CompletionItem(
                    label=match,
                    kind=kind,
                    detail=str(detail) if detail else None,
                    sort_text=f"{index:05d}",
                    filter_text=match,
                    text_edit=types.TextEdit(range=edit_range, new_text=match),
                )
            )
        return items

    # -- hover and signature help -------------------------------------------------------

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        """On a line with a run result: that run's whole output. Elsewhere: the kernel's
        inspection."""
        uri = params.text_document.uri
        ran = None
        markdown = True
        if self.runs.shows_results:
            markdown = client_caps.hover_markdown(self.bridge.protocol)
            ran = self.runs.annotations.hover(uri, params.position.line, markdown)
        if ran is not None:
            kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
            return types.Hover(contents=types.MarkupContent(kind=kind, value=ran))
        return await self._inspect(params)

    async def _inspect(self, params: types.HoverParams) -> types.Hover | None:
        kernel = self._idle_kernel(params.text_document.uri)
        where = self._locate(params.text_document.uri, params.position) if kernel else None
        if kernel is None or where is None:
            return None
        content = await self._ask(
            kernel, "inspect_request", {"code": where.cell.code, "cursor_pos": where.cursor, "detail_level": 0}
        )
        if not content or not content.get("found"):
            return None
        data = content.get("data") or {}
        if "text/markdown" in data:
            value = str(data["text/markdown"])
        elif "text/plain" in data:
            value = "```text\n" + plain_text(str(data["text/plain"])).rstrip() + "\n```"
        else:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value))

    async def signature_help(self, params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        kernel = self._idle_kernel(params.text_document.uri)
        where = self._locate(params.text_document.uri, params.position) if kernel else None
        if kernel is None or where is None:
            return None
        call = open_call(where.cell.code[: where.cursor])
        if call is None:
            return None
        paren, active = call
        content = await self._ask(
            kernel, "inspect_request", {"code": where.cell.code, "cursor_pos": paren, "detail_level": 0}
        )
        if not content or not content.get("found"):
            return None
        text = plain_text(str((content.get("data") or {}).get("text/plain", "")))
        signature = _SECTION.search(text)
        if signature is None:
            return None
        doc = _DOCSTRING.search(text)
        documentation = (
            types.MarkupContent(kind=types.MarkupKind.PlainText, value=doc.group(1).strip()) if doc else None
        )
        return types.SignatureHelp(
            signatures=[types.SignatureInformation(label=signature.group(1).strip(), documentation=documentation)],
            active_signature=0,
            active_parameter=active,
        )

    # -- cells ---------------------------------------------------------------------------

    def code_lens(self, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        lenses = []
        starts = self._cells[uri] = cell_starts(self._lines(uri))
        for line in starts:
            position = types.Position(line=line, character=0)
            lenses.append(
                types.CodeLens(
                    range=types.Range(start=position, end=position),
                    command=types.Command(title="▶ Run cell", command=RUN_CELL, arguments=[uri, line]),
                )
            )
        return lenses

    async def run_cell(self, *args: Any) -> dict[str, Any]:
        if (
            len(args) not in (2, 3)
            or not isinstance(args[0], str)
            or not isinstance(args[1], int)
            or isinstance(args[1], bool)
        ):
            raise InvalidParams(f"invalid params: {RUN_CELL} takes [uri, line, runId?]")
        uri, line = args[0], args[1]
        run_id = args[2] if len(args) == 3 else None
        if run_id is not None and (not isinstance(run_id, str) or not 1 <= len(run_id) <= RUN_ID_MAX):
            raise InvalidParams(f"invalid params: {RUN_CELL}'s runId: a string of 1 to {RUN_ID_MAX} characters")
        lines = self._lines(uri)
        if not lines:
            raise InvalidParams(f"invalid params: {uri} is not open (send textDocument/didOpen first)")
        if not 0 <= line < len(lines):
            raise InvalidParams(f"invalid params: line {line} is outside {uri} (0..{len(lines) - 1})")
        cell = cell_at(lines, line)
        last = max((i for i in range(cell.code_start, cell.end) if lines[i].strip()), default=cell.code_start)
        return await self.runs.run(
            uri, cell.code, cell.code_start, last, "cell", wait=True, run_id=RunId(run_id) if run_id else None
        )

    # -- results inline, documents -----------------------------------------------------------

    def inlay_hints(self, params: types.InlayHintParams) -> list[types.InlayHint]:
        if not self.runs.shows_results:
            return []
        return self.runs.annotations.inlay_hints(params.text_document.uri, params.range)

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        self.runs.autostart.on_open(params.text_document.uri)

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.runs.annotations.did_change(uri, list(params.content_changes))
        self._refresh_lenses(uri)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        self.runs.annotations.did_close(params.text_document.uri)
        self._cells.pop(params.text_document.uri, None)

    def _refresh_lenses(self, uri: str) -> None:
        """``workspace/codeLens/refresh`` when the document's cells moved, came or went:
        clients keep lenses where they were drawn until asked again."""
        known = self._cells.get(uri)
        if known is None or not client_caps.code_lens_refresh(self.bridge.protocol):
            return
        starts = cell_starts(self._lines(uri))
        if starts == known:
            return
        self._cells[uri] = starts

        async def refresh() -> None:
            try:
                await self.bridge.protocol.request_editor(types.WORKSPACE_CODE_LENS_REFRESH, None)
            except Exception as exc:  # an editor's error answer: nothing to do about it
                log.debug("code lens refresh: %s", exc)

        self.bridge.protocol.nursery.start_soon(refresh)


def open_call(before: str) -> tuple[int, int] | None:
    """In the code before the cursor, the innermost unclosed ``(``: its offset and how many
    top-level commas follow it (the active parameter). Strings are skipped roughly."""
    depth = 0
    commas = 0
    quote: str | None = None
    for index in range(len(before) - 1, -1, -1):
        char = before[index]
        if quote:
            if char == quote:
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char in ")]}":
            depth += 1
        elif char in "([{":
            if depth == 0:
                return (index, commas) if char == "(" else None
            depth -= 1
        elif char == "," and depth == 0:
            commas += 1
    return None
