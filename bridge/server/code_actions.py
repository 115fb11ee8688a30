"""Code actions and the commands behind them: the whole loop (run, interrupt, restart,
start, connect, output page, variables) for an editor whose only configuration is the
server command.

Every stock LSP client has a code-action menu; each action here carries a ``Command``
that is also listed in ``executeCommandProvider``, so clients that call commands
directly (Helix's ``:lsp-workspace-command``, eglot's ``eglot-execute-command``) can.
Kinds are ``source.jupyter.*`` (docs/protocol.md lists them), so a client can filter:
``source.jupyter.run`` is every run action, ``source.jupyter.run.cell`` one of them.
Code actions are only offered when asked for (not to a client that asks automatically,
as VS Code does on every cursor move): listing running kernels pings them.

Run commands answer once the code is on its way (``{kernelId}``): the result shows as an
inlay hint, on hover and as diagnostics, and a client that waits for a command's answer
(eglot does, blocking Emacs) is not held for the length of the run.
"""

from __future__ import annotations

import textwrap
from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter

from bridge.errors import InvalidParams, KernelNotFound
from bridge.kernels.kernel import Kernel
from bridge.server import commands as names
from bridge.server.context import Bridge
from bridge.server.runs import DocumentRuns
from bridge.text import cell_at, column_to_codepoints

MAX_CONNECT_ACTIONS = 8
MAX_VARIABLES_SHOWN = 40


def wanted(kind: str, only: list[str] | None) -> bool:
    """LSP kinds are hierarchical: ``only: ["source.jupyter"]`` asks for all of ours."""
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def _lines(bridge: Bridge, uri: str) -> list[str]:
    workspace = bridge.protocol.workspace
    if uri not in workspace.text_documents:
        return []
    return [line.rstrip("\r") for line in workspace.get_text_document(uri).source.split("\n")]


def _last_code_line(lines: list[str], first: int, end: int) -> int:
    """The last non-blank line of ``lines[first:end]`` (where the result goes)."""
    for line in range(min(end, len(lines)) - 1, first - 1, -1):
        if lines[line].strip():
            return line
    return first


class CodeActions:
    def __init__(self, bridge: Bridge, runs: DocumentRuns, lifecycle: Any, sidecar: Any, variables: Any) -> None:
        self.bridge = bridge
        self.runs = runs
        self.lifecycle = lifecycle
        self.sidecar = sidecar
        self.variables = variables

    # -- the menu ------------------------------------------------------------------------

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        if params.context.trigger_kind == types.CodeActionTriggerKind.Automatic:
            return []
        uri = params.text_document.uri
        lines = _lines(self.bridge, uri)
        if not lines:
            return []
        only = [str(getattr(k, "value", k)) for k in params.context.only] if params.context.only else None
        start, end = params.range.start, params.range.end
        line = min(start.line, len(lines) - 1)
        actions: list[types.CodeAction] = []

        def add(kind: str, title: str, command: str, *arguments: Any) -> None:
            if wanted(kind, only):
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=kind,
                        command=types.Command(title=title, command=command, arguments=list(arguments)),
                    )
                )

        cell = cell_at(lines, line)
        last = _last_code_line(lines, cell.code_start, cell.end)
        span = f"line {cell.code_start + 1}" if last <= cell.code_start else f"lines {cell.code_start + 1}–{last + 1}"
        add(names.KIND_RUN_CELL, f"Run cell ({span})", names.RUN_CELL_NOW, uri, line)
        if (start.line, start.character) != (end.line, end.character):
            add(names.KIND_RUN_SELECTION, "Run selection", names.RUN_SELECTION, uri, params.range)
        add(names.KIND_RUN_LINE, f"Run line {line + 1}", names.RUN_LINE, uri, line)
        add(names.KIND_RUN_FILE, "Run file", names.RUN_FILE, uri)
        kernel = self.bridge.registry.for_document(uri) if self.bridge.kernels_in_use else None
        if kernel is not None:
            label = f"{kernel.kernel_name} · {kernel.kernel_id}"
            add(names.KIND_INTERRUPT, f"Interrupt kernel ({label})", names.INTERRUPT, uri)
            add(names.KIND_RESTART, f"Restart kernel ({label})", names.RESTART, uri)
            add(names.KIND_SHUTDOWN, f"Shut down kernel ({label})", names.SHUTDOWN, uri)
            add(names.KIND_OUTPUT_PAGE, "Open output page", names.OPEN_OUTPUT_PAGE, uri)
            add(names.KIND_VARIABLES, "Show variables", names.SHOW_VARIABLES, uri)
        if wanted(names.KIND_START, only):
            verb = "Switch to kernel" if kernel is not None else "Start kernel"
            for spec in await self.lifecycle.list_kernelspecs(None):
                add(
                    names.KIND_START,
                    f"{verb}: {spec['displayName']} ({spec['name']})",
                    names.START_KERNEL,
                    uri,
                    spec["name"],
                )
        if wanted(names.KIND_CONNECT, only):
            running = [k for k in await self.lifecycle.list_running_kernels(None) if k.get("alive")]
            for entry in running[:MAX_CONNECT_ACTIONS]:
                name = entry.get("kernelName") or "kernel"
                path = str(entry["connectionFile"])
                add(
                    names.KIND_CONNECT,
                    f"Connect to running kernel: {name} ({path.rsplit('/', 1)[-1]})",
                    names.CONNECT_KERNEL,
                    uri,
                    path,
                )
        return actions

    # -- commands ------------------------------------------------------------------------

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {
            names.RUN_CELL_NOW: self.run_cell,
            names.RUN_SELECTION: self.run_selection,
            names.RUN_LINE: self.run_line,
            names.RUN_FILE: self.run_file,
            names.INTERRUPT: self.interrupt,
            names.RESTART: self.restart,
            names.SHUTDOWN: self.shutdown,
            names.START_KERNEL: self.start_kernel,
            names.CONNECT_KERNEL: self.connect_kernel,
            names.OPEN_OUTPUT_PAGE: self.open_output_page,
            names.SHOW_VARIABLES: self.show_variables,
        }

    def _document(self, command: str, args: tuple[Any, ...], usage: str) -> tuple[str, list[str]]:
        if not args or not isinstance(args[0], str):
            raise InvalidParams(f"invalid params: {command} takes {usage}: the first argument is the document's uri")
        lines = _lines(self.bridge, args[0])
        if not lines:
            raise InvalidParams(f"invalid params: {args[0]} is not open (send textDocument/didOpen first)")
        return args[0], lines

    def _line(self, command: str, args: tuple[Any, ...], lines: list[str], usage: str) -> int:
        line = args[1] if len(args) > 1 else None
        if not isinstance(line, int) or isinstance(line, bool):
            raise InvalidParams(f"invalid params: {command} takes {usage}: line must be an integer")
        if not 0 <= line < len(lines):
            raise InvalidParams(f"invalid params: {command}: line {line} is outside the document (0..{len(lines) - 1})")
        return line

    async def run_cell(self, *args: Any) -> dict[str, Any]:
        usage = "[uri, line]"
        uri, lines = self._document(names.RUN_CELL_NOW, args, usage)
        line = self._line(names.RUN_CELL_NOW, args, lines, usage)
        cell = cell_at(lines, line)
        last = _last_code_line(lines, cell.code_start, cell.end)
        return await self.runs.run(uri, cell.code, cell.code_start, last, "cell", wait=False)

    async def run_line(self, *args: Any) -> dict[str, Any]:
        usage = "[uri, line]"
        uri, lines = self._document(names.RUN_LINE, args, usage)
        line = self._line(names.RUN_LINE, args, lines, usage)
        return await self.runs.run(uri, lines[line].strip(), line, line, "line", wait=False)

    async def run_file(self, *args: Any) -> dict[str, Any]:
        uri, lines = self._document(names.RUN_FILE, args, "[uri]")
        code = "\n".join(lines)
        return await self.runs.run(uri, code, 0, _last_code_line(lines, 0, len(lines)), "file", wait=False)

    async def run_selection(self, *args: Any) -> dict[str, Any]:
        usage = "[uri, range]"
        uri, lines = self._document(names.RUN_SELECTION, args, usage)
        try:
            selected = get_converter().structure(args[1], types.Range)
        except Exception:
            raise InvalidParams(
                f"invalid params: {names.RUN_SELECTION} takes {usage}: range must be an LSP Range"
            ) from None
        encoding = self.runs.annotations.encoding
        start, end = selected.start, selected.end
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        if start.line >= len(lines):
            raise InvalidParams(f"invalid params: {names.RUN_SELECTION}: the range starts after the document's end")
        last = min(end.line, len(lines) - 1)
        if end.character == 0 and last > start.line:
            last -= 1  # a selection of whole lines ends at the start of the next one
            end_col = len(lines[last])
        else:
            end_col = column_to_codepoints(lines[last], end.character, encoding)
        start_col = column_to_codepoints(lines[start.line], start.character, encoding)
        if start.line == last:
            code = lines[last][start_col:end_col]
        else:
            code = "\n".join([lines[start.line][start_col:], *lines[start.line + 1 : last], lines[last][:end_col]])
        return await self.runs.run(uri, textwrap.dedent(code), start.line, last, "selection", wait=False)

    # -- kernels ---------------------------------------------------------------------------

    def _kernel(self, command: str, args: tuple[Any, ...]) -> Kernel:
        """The kernel of the document ``args[0]``; without arguments (a client that
        sends none), the kernel of the latest run."""
        if args and isinstance(args[0], str):
            kernel = self.bridge.registry.for_document(args[0]) if self.bridge.kernels_in_use else None
            if kernel is None:
                raise KernelNotFound(f"no kernel is bound to {args[0]}: run code from it, or use “Start kernel …”")
            return kernel
        if args:
            raise InvalidParams(
                f"invalid params: {command} takes [uri] (or no arguments: the kernel of the latest run)"
            )
        if self.runs.last_kernel_id is not None and self.bridge.kernels_in_use:
            try:
                return self.bridge.registry.get(self.runs.last_kernel_id)
            except KernelNotFound:
                pass
        raise KernelNotFound(f"{command}: no kernel has run code yet; pass the document's uri")

    async def interrupt(self, *args: Any) -> None:
        kernel = self._kernel(names.INTERRUPT, args)
        await self.lifecycle.interrupt_kernel({"kernelId": kernel.kernel_id})

    async def restart(self, *args: Any) -> dict[str, Any]:
        kernel = self._kernel(names.RESTART, args)
        ref: dict[str, Any] = await self.lifecycle.restart_kernel({"kernelId": kernel.kernel_id})
        self._tell(f"kernel-bridge: kernel {ref['kernelName']} · {ref['kernelId']} restarted")
        return ref

    async def shutdown(self, *args: Any) -> None:
        kernel = self._kernel(names.SHUTDOWN, args)
        await self.lifecycle.shutdown_kernel({"kernelId": kernel.kernel_id})
        self._tell(f"kernel-bridge: kernel {kernel.kernel_name} · {kernel.kernel_id} shut down")

    async def start_kernel(self, *args: Any) -> dict[str, Any]:
        usage = "[uri, kernelName]"
        uri, _ = self._document(names.START_KERNEL, args, usage)
        if len(args) < 2 or not isinstance(args[1], str):
            raise InvalidParams(f"invalid params: {names.START_KERNEL} takes {usage}: kernelName must be a string")
        kernel = await self.runs.autostart.start(uri, args[1])
        self._tell(f"kernel-bridge: kernel {kernel.kernel_name} · {kernel.kernel_id} started for this document")
        return dict(kernel.describe())

    async def connect_kernel(self, *args: Any) -> dict[str, Any]:
        usage = "[uri, connectionFile]"
        uri, _ = self._document(names.CONNECT_KERNEL, args, usage)
        if len(args) < 2 or not isinstance(args[1], str):
            raise InvalidParams(
                f"invalid params: {names.CONNECT_KERNEL} takes {usage}: connectionFile must be a string"
            )
        ref: dict[str, Any] = await self.lifecycle.connect_kernel({"connectionFile": args[1], "uri": uri})
        self._tell(f"kernel-bridge: connected to kernel {ref['kernelName']} · {ref['kernelId']}")
        return ref

    async def open_output_page(self, *args: Any) -> dict[str, Any]:
        kernel = self._kernel(names.OPEN_OUTPUT_PAGE, args)
        url = str((await self.sidecar.open({"kernelId": kernel.kernel_id}))["url"])
        await self.runs.page_input.show_page(url)
        return {"url": url}

    async def show_variables(self, *args: Any) -> list[dict[str, Any]]:
        kernel = self._kernel(names.SHOW_VARIABLES, args)
        found: list[dict[str, Any]] = await self.variables.variables({"kernelId": kernel.kernel_id})
        rows = [f"Variables of {kernel.kernel_name} · {kernel.kernel_id}:" if found else "No variables."]
        for var in found[:MAX_VARIABLES_SHOWN]:
            shape = f" {tuple(var['shape'])}" if var.get("shape") else ""
            rows.append(f"{var['name']}: {var['type']}{shape} = {var['summary']}")
        if len(found) > MAX_VARIABLES_SHOWN:
            rows.append(f"… and {len(found) - MAX_VARIABLES_SHOWN} more")
        self._tell("\n".join(rows))
        return found

    def _tell(self, message: str) -> None:
        self.bridge.protocol.notify(
            types.WINDOW_SHOW_MESSAGE, types.ShowMessageParams(type=types.MessageType.Info, message=message)
        )
