"""pygls' LanguageServerProtocol, run on trio instead of asyncio.

pygls keeps JSON-RPC dispatch and LSP types loop-agnostic except in a few places; we
override exactly those (see docs/architecture.md, "pygls on trio"):

* ``_execute_handler``: coroutine handlers become trio tasks in the server's nursery,
  each in a cancel scope that ``$/cancelRequest`` cancels. The stdin reader starts them
  (``start_queued``) one at a time, in arrival order, each running up to its first
  checkpoint before the next one starts: trio shuffles tasks started together, and two
  executes written back to back must reach the kernel in the order the editor sent them;
* ``_handle_cancel_notification``: cancels that scope;
* ``_send_data``: frames with the byte length of UTF-8 bodies (pygls counts characters)
  and hands the bytes to a non-blocking writer;
* ``lsp_exit``: signals the server's main task instead of calling ``sys.exit``.

These are private pygls APIs, hence the pin to pygls 2.1.x and
tests/unit/test_pygls_contract.py, which fails loudly if they move.
"""

from __future__ import annotations

import inspect
import itertools
import json
import logging
import os
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future
from functools import partial
from typing import Any

import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import MsgId

from bridge.errors import REQUEST_CANCELLED, unwrap_group
from bridge.server.framing import frame
from bridge.server.jsonrpc_errors import as_jsonrpc
from bridge.server.lsp_fast import NotPlain

log = logging.getLogger(__name__)


# ``json.dumps`` with any keyword builds an encoder per call; several per execute
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_json(obj: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """UTF-8 JSON; lone surrogates from a kernel fall back to ASCII escapes (still valid)."""
    if default is None:
        text = _ENCODER.encode(obj)
    else:
        text = json.dumps(obj, default=default, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, default=default, separators=(",", ":")).encode("ascii")


DIRECT_WRITE_MAX = 64 * 1024  # a pipe's usual capacity


class OutgoingQueue:
    """Bytes waiting for the editor. ``write`` never blocks: an editor that does not read
    must not stall the bridge (stock pygls deadlocks on a full stdout pipe). What can pile
    up here is bounded by the output caps (bridge/outputs.py), the comm relay's
    (bridge/server/comm_relay.py) plus the replies owed.

    On a pipe (``FdStream``, non-blocking) with nothing queued, ``write`` writes at once:
    waking the pump task for every message cost a task switch per message; the pump
    takes over whatever the pipe does not accept. Big messages go to the pump whole: a
    partial write would leave a copy of the rest (50 MB of output, spilled or not)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._fd: int | None = None  # the pipe's fd, once the pump runs on an FdStream
        self._sending = False  # the pump is between taking chunks and having written them
        self.pending_bytes = 0
        self._ready = trio.Event()
        self.closed = False
        # called when the backlog falls below ``low_water`` (output sinks flush then)
        self.drain_hooks: set[Callable[[], None]] = set()
        self.low_water = 256 * 1024

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        if self._fd is not None and not self._chunks and not self._sending and len(data) <= DIRECT_WRITE_MAX:
            try:
                written = os.write(self._fd, data)
            except OSError:  # full (EAGAIN), or broken: the pump waits, or meets the error
                written = 0
            if written == len(data):
                return
            data = data[written:]
        self._chunks.append(data)
        self.pending_bytes += len(data)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def pump(self, stream: trio.abc.SendStream) -> None:
        """Write queued bytes in batches (one syscall for many small messages); after
        ``close()``, flush what is queued and return."""
        if isinstance(stream, trio.lowlevel.FdStream):
            self._fd = stream.fileno()
        while True:
            if not self._chunks:
                if self.closed:
                    return
                await self._ready.wait()
                self._ready = trio.Event()
                continue
            chunks, self._chunks = self._chunks, []
            data = b"".join(chunks)
            self._sending = True
            try:
                await stream.send_all(data)
            finally:
                self._sending = False
            self.pending_bytes -= len(data)
            if self.drain_hooks and self.pending_bytes < self.low_water:
                for hook in list(self.drain_hooks):
                    hook()


class TrioLanguageServerProtocol(LanguageServerProtocol):
    nursery: trio.Nursery
    outgoing: OutgoingQueue

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self._scopes: dict[MsgId, trio.CancelScope] = {}
        self._cancel_hooks: dict[MsgId, Callable[[], None]] = {}
        self._cancelled_early: set[MsgId] = set()
        self._queued: set[MsgId] = set()
        self._to_start: deque[tuple[Any, ...]] = deque()
        self._editor_ids = itertools.count(1)
        self.exit_requested = trio.Event()

    def attach(self, nursery: trio.Nursery, outgoing: OutgoingQueue) -> None:
        self.nursery = nursery
        self.outgoing = outgoing
        self.set_writer(outgoing, include_headers=True)

    async def start_queued(self) -> None:
        """Start the handlers dispatch queued, in FIFO order; the stdin reader calls this
        after each read (a task of its own for it would cost a task switch per request).
        ``nursery.start`` returns only once the new task has run to its first checkpoint
        (it reports ``started`` first thing and keeps running until it yields), so what
        each handler does synchronously — an execute's zmq send — happens in arrival order.

        The last one (usually the only one) is started with ``start_soon``: it takes its
        first step in the scheduler's next batch, and whatever the reader starts later
        lands in a batch after that, so the order holds without the temporary nursery
        and the reader's extra wake-up that ``start`` costs."""
        while self._to_start:
            args = self._to_start.popleft()
            if self._to_start:
                await self.nursery.start(self._run_async, *args)
            else:
                self.nursery.start_soon(self._run_async, *args)

    @property
    def shutdown_requested(self) -> bool:
        return self._shutdown

    # -- the bridge's own methods, straight to their handlers ---------------------------

    def own_handler(self, method: str) -> Callable[..., Any] | None:
        """The coroutine handler of a method LSP does not define (``jupyter/*``), if any.

        Their params stay plain JSON and their results are plain JSON, so pygls' message
        objects, futures and cattrs passes buy nothing on the hottest path."""
        if self.get_message_type(method) is not None:
            return None
        handler = self.fm.features.get(method)
        return handler if handler is not None and inspect.iscoroutinefunction(handler) else None

    def start_request(
        self, msg_id: MsgId, handler: Callable[..., Any], params: Any, encode: Callable[[Any], Any] | None = None
    ) -> None:
        """Queue a request for its handler (in arrival order, like every other request).
        Without ``encode`` (``jupyter/*``) the result is plain JSON already; with it, the
        params are already typed (server/lsp_fast.py) and ``encode`` writes the result;
        errors, cancellations and other shapes as pygls writes them."""
        self._queued.add(msg_id)
        answer = partial(self._answer, msg_id) if encode is None else partial(self._answer_lsp, msg_id, encode)
        self._to_start.append((msg_id, msg_id, handler, answer, (params,), {}))

    def _answer_lsp(self, msg_id: MsgId, encode: Callable[[Any], Any], future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            try:
                result = encode(future.result())
            except NotPlain:
                pass
            else:
                self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": result})
                return
        self._send_handler_result(future, msg_id=msg_id)

    def _answer(self, msg_id: MsgId, future: Future[Any]) -> None:
        """The response, as pygls' ``_send_handler_result`` would word it."""
        if future.cancelled():
            error = JsonRpcException(f'Request with id "{msg_id}" is canceled', REQUEST_CANCELLED)
        elif (exc := future.exception()) is None:
            self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": future.result()})
            return
        elif isinstance(exc, JsonRpcException):
            error = exc
        else:
            log.error("request %s failed", msg_id, exc_info=exc)
            error = JsonRpcInternalError.of((type(exc), exc, exc.__traceback__))  # type: ignore[no-untyped-call]
        body: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.data is not None:
            body["data"] = error.data
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": body})

    # -- handlers as trio tasks ---------------------------------------------------

    def _execute_handler(
        self,
        msg_id: MsgId,
        handler: Callable[..., Any],
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        if inspect.iscoroutinefunction(handler):
            self._queued.add(msg_id)
            # the starter task's context is not the request's: carry the request id over
            request_id = self._ctx_msg_id.get()
            self._to_start.append((msg_id, request_id, handler, callback, args or (), kwargs or {}))
        else:
            super()._execute_handler(msg_id, handler, callback, args, kwargs)

    async def _run_async(
        self,
        msg_id: MsgId,
        request_id: MsgId | None,
        handler: Callable[..., Any],
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        self._ctx_msg_id.set(request_id)
        future: Future[Any] = Future()
        with trio.CancelScope() as scope:
            self._scopes[msg_id] = scope
            self._queued.discard(msg_id)
            if msg_id in self._cancelled_early:
                # deliver the cancel once the handler has run to its first checkpoint, so a
                # handler with its own meaning for it (an execute: interrupt) gets to say so
                self._cancelled_early.discard(msg_id)
                self.nursery.start_soon(self._cancel_later, msg_id)
            task_status.started()
            try:
                future.set_result(await handler(*args, **kwargs))
            except Exception as exc:
                future.set_exception(as_jsonrpc(unwrap_group(exc)))
        if self._scopes.get(msg_id) is scope:
            del self._scopes[msg_id]
        if scope.cancelled_caught:
            future.cancel()
        callback(future)

    def on_cancel(self, msg_id: MsgId, hook: Callable[[], None] | None) -> None:
        """Let a handler decide what ``$/cancelRequest`` means for it (an execute
        interrupts the kernel and still answers) instead of being cancelled."""
        if hook is None:
            self._cancel_hooks.pop(msg_id, None)
        else:
            self._cancel_hooks[msg_id] = hook

    async def _cancel_later(self, msg_id: MsgId) -> None:
        self._handle_cancel_notification(msg_id)

    def _handle_cancel_notification(self, msg_id: MsgId) -> None:
        hook = self._cancel_hooks.get(msg_id)
        if hook is not None:
            hook()
            return
        scope = self._scopes.get(msg_id)
        if scope is not None:
            scope.cancel()
        elif msg_id in self._queued:  # not started yet: cancel it as it starts
            self._cancelled_early.add(msg_id)

    # -- output -------------------------------------------------------------------

    def _send_data(self, data: Any) -> None:
        if not data:
            return
        self.outgoing.write(frame(encode_json(data, default=self._serialize_message)))

    def notify_fast(self, method: str, params: Any) -> int:
        """A notification whose params are already plain JSON: no cattrs pass over them.
        Returns the bytes queued."""
        data = frame(encode_json({"jsonrpc": "2.0", "method": method, "params": params}))
        self.outgoing.write(data)
        return len(data)

    async def request_editor(self, method: str, params: Any) -> Any:
        """Send a request to the editor and wait for its answer (raises its error)."""
        msg_id = f"kb-{next(self._editor_ids)}"
        future = self.send_request(method, params, msg_id=msg_id)
        done = trio.Event()
        future.add_done_callback(lambda _: done.set())  # resolved on this thread by _handle_response
        try:
            await done.wait()
        finally:
            if not future.done():
                future.cancel()
                self._request_futures.pop(msg_id, None)
                self.notify_fast("$/cancelRequest", {"id": msg_id})
        return future.result()

    # -- lifecycle ----------------------------------------------------------------

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        self.exit_requested.set()
