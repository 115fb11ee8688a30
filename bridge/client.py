"""A JSON-RPC client that drives a ``kernel-bridge`` subprocess over real pipes, on trio.

It is what an editor does: used by ``--demo`` and the async tests. The conversation's
rules (framing, ids, what is kept) are ``bridge/client_protocol.py``'s; this driver only
moves bytes and wakes the tasks waiting for replies. Its blocking twin, for the
benchmarks, is ``bridge/blocking_client.py``. Not part of the server.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import trio

from bridge.client_protocol import (
    NOTIFICATION,
    RESPONSE,
    SERVER_REQUEST,
    BridgeGone,
    ClientProtocol,
    Message,
    RpcError,
    bridge_command,
    initialize_params,
    result_of,
)

__all__ = ["BridgeClient", "BridgeGone", "RpcError", "bridge_command", "spawn_bridge"]

RequestHandler = Callable[[str, Any], Awaitable[Any]]


class BridgeClient(ClientProtocol):
    """One bridge subprocess; ``read_loop`` must run (``spawn_bridge`` starts it).

    ``on_request(method, params)`` answers the bridge's requests (``jupyter/input``…):
    its return value is the result, an RpcError it raises the error; without it they are
    answered -32601.
    """

    def __init__(self, process: trio.Process) -> None:
        super().__init__()
        self.process = process
        self._waiting: dict[Any, trio.MemorySendChannel[Message]] = {}
        self._arrived = trio.Event()
        self.on_request: RequestHandler | None = None
        self._send_lock = trio.Lock()

    # -- sending ------------------------------------------------------------------

    async def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        async with self._send_lock:
            await self.process.stdin.send_all(data)

    async def send(self, obj: Any) -> None:
        await self.send_raw(self.encode(obj))

    async def notify(self, method: str, params: Any = None) -> None:
        await self.send_raw(self.encode_notification(method, params))

    async def request(self, method: str, params: Any = None, *, msg_id: Any = None) -> Any:
        """Send a request and return its result; RpcError for an error response."""
        msg_id, data = self.encode_request(method, params, msg_id)
        send, recv = trio.open_memory_channel[Message](1)
        self._waiting[msg_id] = send
        await self.send_raw(data)
        try:
            reply = await recv.receive()
        except trio.EndOfChannel:
            raise BridgeGone(f"bridge closed its output before answering {method}") from None
        return result_of(reply)

    async def initialize(self, capabilities: dict[str, Any] | None = None, **extra: Any) -> Any:
        result = await self.request("initialize", initialize_params(capabilities, extra))
        await self.notify("initialized", {})
        return result

    # -- receiving ----------------------------------------------------------------

    async def read_loop(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        assert self.process.stdout is not None
        task_status.started()
        async with trio.open_nursery() as nursery:
            while True:
                data = await self.process.stdout.receive_some(1 << 16)
                for msg in self.receive_data(data):
                    self._on_message(msg, nursery)
                if not data:
                    break
            self._arrived.set()
            for waiting in self._waiting.values():
                waiting.close()
            self._waiting.clear()

    def _on_message(self, msg: Message, nursery: trio.Nursery) -> None:
        kind = self.handle(msg)
        if kind == SERVER_REQUEST:
            nursery.start_soon(self._answer, msg)
        elif kind == NOTIFICATION:
            self._arrived.set()
            self._arrived = trio.Event()
        elif kind == RESPONSE and msg["id"] in self._waiting:
            self.take_response(msg["id"])
            self._waiting.pop(msg["id"]).send_nowait(msg)

    async def _answer(self, msg: Message) -> None:
        reply: Message
        if self.on_request is None:
            reply = {"error": {"code": -32601, "message": "client handles no requests"}}
        else:
            try:
                reply = {"result": await self.on_request(msg["method"], msg.get("params"))}
            except RpcError as exc:
                reply = {"error": {"code": exc.code, "message": exc.message}}
        await self.send_raw(self.encode_reply(msg["id"], reply))

    async def wait_for(self, predicate: Callable[[Message], bool], start: int = 0, timeout: float = 60) -> Message:
        """The first notification (from index ``start``) matching ``predicate``; the
        timeout only stops a hang."""
        with trio.fail_after(timeout):
            return await self._wait_for(predicate, start)

    async def _wait_for(self, predicate: Callable[[Message], bool], start: int) -> Message:
        seen = start
        while True:
            for note in self.notifications[seen:]:
                if predicate(note):
                    return note
            seen = len(self.notifications)
            if self.process.returncode is not None and seen == len(self.notifications):
                raise BridgeGone("bridge exited")
            await self._arrived.wait()

    async def close_stdin(self) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.aclose()


@asynccontextmanager
async def spawn_bridge(
    args: Sequence[str] = (), *, env: dict[str, str] | None = None, stderr: Any = None
) -> AsyncIterator[BridgeClient]:
    """Start a bridge; on exit, close its stdin and wait (bounded), then kill it."""
    process = await trio.lowlevel.open_process(
        [*bridge_command(), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, **(env or {})},
    )
    client = BridgeClient(process)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(client.read_loop)
            try:
                yield client
            finally:
                with trio.CancelScope(shield=True):
                    try:
                        await client.close_stdin()
                    except trio.ClosedResourceError:
                        pass
                    with trio.move_on_after(15):
                        await process.wait()
                nursery.cancel_scope.cancel()
    finally:
        if process.returncode is None:
            process.kill()
            with trio.CancelScope(shield=True):
                await process.wait()
