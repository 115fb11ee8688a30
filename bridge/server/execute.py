"""Running code: ``jupyter/execute`` (and the ``jupyter.runCell`` command) become an
execute_request; its iopub outputs become ``jupyter/output`` notifications through an
OutputSink, all before the reply; its input_requests become ``jupyter/input`` requests
to the editor; ``$/cancelRequest`` interrupts it; a traceback into a document becomes a
diagnostic there."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from bridge.errors import BridgeError, RequestDropped
from bridge.kernels.connection import Pending
from bridge.kernels.events import KernelRemoved, RegistryEvent
from bridge.kernels.kernel import Kernel
from bridge.outputs import widget_placeholder
from bridge.server.context import Bridge, register_methods
from bridge.server.params import Line, RunId, parse_params
from bridge.server.run_history import RunHistories
from bridge.text import strip_ansi
from bridge.wire import Message

log = logging.getLogger(__name__)

# iopub of ours that is not shown: the code we sent. Every other type reaches the editor,
# those we do not know included (editors ignore what they do not know; docs/protocol.md).
# Of other clients' traffic (statuses never come this way), what only concerns them.
IGNORED_FOREIGN = frozenset({"shutdown_reply", "debug_event"})
INTERRUPT_ATTEMPTS = 10
INTERRUPT_RETRY_SECONDS = 1.0
_CELL_FRAME = re.compile(r"(?:Cell In|Input In)\s*\[(\d+)\],\s*line (\d+)")


@attrs.define
class ExecuteParams:
    code: str
    kernel_id: str | None = None
    uri: str | None = None
    silent: bool = False
    store_history: bool = True
    stop_on_error: bool = True
    user_expressions: dict[str, Any] | None = None
    allow_stdin: bool | None = None
    first_line: Line = Line(0)
    run_id: RunId | None = None  # the editor's name for the run, echoed in its notifications


class RunHooks(Protocol):
    """What a caller adds to a run: server/runs.py shows runs of editors without an adapter
    (inlay hints, hover, progress, input on the output page)."""

    ask: Callable[[Message], Awaitable[str | None]] | None  # answers input() instead of jupyter/input

    def sent(self, pending: Pending) -> None: ...  # the execute_request is on its way
    def output(self, msg: Message) -> None: ...  # one of its iopub messages (not status, not its input)
    def cancel_with(self, cancel: Callable[[], None]) -> None: ...  # what $/cancelRequest does to it


def output_params(kernel_id: str, request_id: Any, msg: Message) -> dict[str, Any]:
    return {
        "kernelId": kernel_id,
        "requestId": request_id,
        "msgId": msg.msg_id,
        "msgType": msg.msg_type,
        "content": widget_placeholder(msg.content),
    }


class Execute:
    def __init__(self, bridge: Bridge, history: RunHistories | None = None) -> None:
        self.bridge = bridge
        # what ran, for jupyter/exportNotebook (server/export.py)
        self.history = history or RunHistories()
        bridge.subscribe(self._on_kernel_event)

    def _on_kernel_event(self, event: RegistryEvent) -> None:
        if isinstance(event, KernelRemoved):  # a restart keeps the id, and the history
            self.history.forget(event.kernel_id)

    async def execute(self, params: Any) -> dict[str, Any]:
        p = parse_params(ExecuteParams, params)
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        return await self.run(kernel, p, self.bridge.request_id)

    async def run(
        self, kernel: Kernel, p: ExecuteParams, request_id: Any, hooks: RunHooks | None = None
    ) -> dict[str, Any]:
        bridge = self.bridge
        protocol = bridge.protocol
        allow_stdin = bridge.settings.jupyter_input if p.allow_stdin is None else p.allow_stdin
        named: dict[str, str] = {"runId": p.run_id} if p.run_id is not None else {}
        sink = bridge.output_sink(kernel, request_id, named)
        limit = bridge.settings.output_limit_bytes
        entry = None if p.silent else self.history.begin(kernel.kernel_id, p.code, p.uri, limit)
        replied: dict[str, Any] | None = None
        pending_ref: list[Pending] = []
        cancel_requested = False

        def interrupt_soon() -> None:
            protocol.nursery.start_soon(self._interrupt_until_answered, kernel, pending_ref[0])

        def on_pending(pending: Pending) -> None:
            pending_ref.append(pending)
            pending.on_started = lambda: interrupt_soon() if cancel_requested else None
            if hooks is not None:
                hooks.sent(pending)

        def on_cancel() -> None:
            """$/cancelRequest: interrupt if running; if queued, interrupt when it starts.
            Either way the editor gets the kernel's own reply."""
            nonlocal cancel_requested
            cancel_requested = True
            if pending_ref and pending_ref[0].started and pending_ref[0].reply is None:
                interrupt_soon()

        async def on_input(msg: Message) -> str | None:
            if hooks is not None and hooks.ask is not None:
                return await hooks.ask(msg)
            return await self._ask_editor(kernel, request_id, msg, named)

        def on_iopub(msg: Message) -> None:
            if entry is not None:
                entry.record(msg)
            if msg.msg_type != "execute_input":
                sink.deliver(msg)
                if hooks is not None:
                    hooks.output(msg)

        if request_id is not None:
            protocol.on_cancel(request_id, on_cancel)
        if hooks is not None:
            hooks.cancel_with(on_cancel)
        try:
            reply = await kernel.connection.request(
                "shell",
                "execute_request",
                {
                    "code": p.code,
                    "silent": p.silent,
                    "store_history": p.store_history,
                    "user_expressions": p.user_expressions or {},
                    "allow_stdin": allow_stdin,
                    "stop_on_error": p.stop_on_error,
                },
                on_iopub=on_iopub,
                on_input=on_input if allow_stdin else None,
                on_pending=on_pending,
                wait_idle=True,
            )
            replied = reply.content
        except RequestDropped:
            if not cancel_requested:
                raise
            # the interrupt the cancel sent landed before the code ran: cancelled it is
            raise JsonRpcRequestCancelled(
                "Request cancelled: the kernel was interrupted before it ran the code (it sent no reply)"
            ) from None
        finally:
            if request_id is not None:
                protocol.on_cancel(request_id, None)
            bridge.finish_sink(sink)
            if entry is not None:
                entry.finish(replied)
        result = execute_result(reply.content)
        if p.uri is not None:
            self._publish_diagnostics(p, result)
        return result

    async def _interrupt_until_answered(self, kernel: Kernel, pending: Pending) -> None:
        """Interrupt until the cancelled execute is answered. A SIGINT that lands after
        the kernel said busy but before the user's code runs can be swallowed by the
        kernel's own machinery, so one signal is not always enough."""
        for _ in range(INTERRUPT_ATTEMPTS):
            if pending.reply is not None or pending.error is not None:
                return
            await self._interrupt_quietly(kernel)
            with trio.move_on_after(INTERRUPT_RETRY_SECONDS):
                await pending.replied.wait()

    async def _interrupt_quietly(self, kernel: Kernel) -> None:
        try:
            await kernel.interrupt()
        except BridgeError as exc:
            log.info("interrupt after cancel failed: %s", exc.message)

    async def _ask_editor(self, kernel: Kernel, request_id: Any, msg: Message, named: dict[str, str]) -> str | None:
        """input_request → ``jupyter/input``. An editor that declines (answers an error)
        gets the kernel interrupted: its input() raises KeyboardInterrupt, not a guess."""
        params = {
            "kernelId": kernel.kernel_id,
            "requestId": request_id,
            **named,
            "prompt": str(msg.content.get("prompt", "")),
            "password": bool(msg.content.get("password", False)),
        }
        try:
            answer = await self.bridge.protocol.request_editor("jupyter/input", params)
        except JsonRpcException as exc:
            log.info("editor declined input (%s); interrupting the kernel", exc)
            await self._interrupt_quietly(kernel)
            return None
        value = answer.get("value") if isinstance(answer, dict) else None
        return value if isinstance(value, str) else ""

    def _publish_diagnostics(self, p: ExecuteParams, result: dict[str, Any]) -> None:
        uri = p.uri
        assert uri is not None
        diagnostics: list[types.Diagnostic] = []
        if result["status"] == "error":
            line = error_line(result.get("traceback", []), result.get("executionCount"), p.code)
            if line is not None:
                doc_line = p.first_line + line
                diagnostics.append(
                    types.Diagnostic(
                        range=types.Range(start=types.Position(doc_line, 0), end=types.Position(doc_line + 1, 0)),
                        message=f"{result.get('ename', 'Error')}: {result.get('evalue', '')}",
                        severity=types.DiagnosticSeverity.Error,
                        source="kernel",
                    )
                )
        if self.bridge.publish_run_diagnostics is not None:  # kept on their lines through edits
            self.bridge.publish_run_diagnostics(uri, diagnostics)
            return
        if diagnostics or uri in self.bridge.diagnostics_uris:
            self.bridge.protocol.notify(
                types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics),
            )
        if diagnostics:
            self.bridge.diagnostics_uris.add(uri)
        else:
            self.bridge.diagnostics_uris.discard(uri)

    def register(self, server: Any) -> None:
        register_methods(server, {"jupyter/execute": self.execute})


def execute_result(content: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "status": content.get("status", "error"),
        "executionCount": content.get("execution_count"),
    }
    if result["status"] == "error":
        result["ename"] = content.get("ename", "")
        result["evalue"] = content.get("evalue", "")
        result["traceback"] = content.get("traceback", [])
    if content.get("user_expressions"):
        result["userExpressions"] = content["user_expressions"]
    return result


def error_line(traceback: list[str], execution_count: Any, code: str) -> int | None:
    """The 0-based line of ``code`` that raised, from an IPython-style traceback: the
    innermost frame in the cell that ran (``Cell In[N], line L``); for a SyntaxError,
    the ``line L`` it reports. None when the traceback does not point into the code."""
    text = strip_ansi("\n".join(traceback))
    hits = [(int(n), int(line)) for n, line in _CELL_FRAME.findall(text)]
    ours = [line for n, line in hits if n == execution_count] or [line for _, line in hits]
    if ours:
        line = ours[-1] - 1
    else:
        m = re.search(r'File "<[^>]*>", line (\d+)', text) or re.search(r"\bline (\d+)\b", text)
        if m is None:
            return None
        line = int(m.group(1)) - 1
    nlines = code.count("\n") + 1
    return line if 0 <= line < nlines else None


def foreign_output(bridge: Bridge, kernel: Kernel, msg: Message) -> None:
    """iopub traffic we did not ask for (another client of the kernel, or a late message
    of ours) still reaches the editor, with ``requestId: null``: nothing is lost."""
    if msg.msg_type not in IGNORED_FOREIGN:
        params = output_params(kernel.kernel_id, None, msg)
        params["origin"] = "self" if msg.parent_header.get("session") == kernel.connection.factory.session else "other"
        bridge.notify("jupyter/output", params)


def late_reply(bridge: Bridge, kernel: Kernel, msg: Message) -> None:
    """A reply that came after its request was answered (dropped, timed out, cancelled):
    the kernel's word all the same (``jupyter/lateReply``)."""
    bridge.notify(
        "jupyter/lateReply",
        {
            "kernelId": kernel.kernel_id,
            "msgId": msg.msg_id,
            "msgType": msg.msg_type,
            "parentMsgId": msg.parent_id,
            "content": msg.content,
        },
    )
