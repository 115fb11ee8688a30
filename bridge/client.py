"""A small JSON-RPC client that drives a ``kernel-bridge`` subprocess over real pipes.

It is what an editor does, in forty lines of trio: used by ``--demo``, the tests and the
benchmarks. Not part of the server.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio

from bridge.server.framing import Body, FrameReader, frame

RequestHandler = Callable[[str, Any], Awaitable[Any]]


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


def bridge_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m bridge``."""
    script = Path(sys.executable).with_name("kernel-bridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge"]


class BridgeClient:
    def __init__(self, process: trio.Process) -> None:
        self.process = process
        self._ids = itertools.count(1)
        self._waiting: dict[int, trio.MemorySendChannel[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self._arrived = trio.Event()
        self.on_request: RequestHandler | None = None
        self.bytes_received = 0
        self._nursery: trio.Nursery | None = None
        self._send_lock = trio.Lock()

    # -- sending ------------------------------------------------------------------

    async def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        async with self._send_lock:
            await self.process.stdin.send_all(data)

    async def send(self, obj: Any) -> None:
        await self.send_raw(frame(json.dumps(obj).encode("utf-8")))

    async def notify(self, method: str, params: Any = None) -> None:
        await self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def new_id(self) -> int:
        return next(self._ids)

    async def request(self, method: str, params: Any = None, *, msg_id: int | None = None) -> Any:
        if msg_id is None:
            msg_id = self.new_id()
        send, recv = trio.open_memory_channel[dict[str, Any]](1)
        self._waiting[msg_id] = send
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        await self.send(msg)
        try:
            reply = await recv.receive()
        except trio.EndOfChannel:
            raise EOFError(f"bridge closed its output before answering {method}") from None
        if "error" in reply:
            err = reply["error"]
            raise RpcError(err.get("code"), err.get("message", ""), err.get("data"))
        return reply.get("result")

    async def initialize(self, capabilities: dict[str, Any] | None = None, **extra: Any) -> Any:
        params = {"processId": os.getpid(), "rootUri": None, "capabilities": capabilities or {}, **extra}
        result = await self.request("initialize", params)
        await self.notify("initialized", {})
        return result

    # -- receiving ----------------------------------------------------------------

    async def read_loop(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        assert self.process.stdout is not None
        reader = FrameReader()
        task_status.started()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            while True:
                data = await self.process.stdout.receive_some(1 << 16)
                if not data:
                    break
                self.bytes_received += len(data)
                reader.feed(data)
                while (event := reader.next_event()) is not None:
                    assert isinstance(event, Body), event
                    self._on_message(json.loads(event.data), nursery)
            self._arrived.set()
            for waiting in self._waiting.values():
                waiting.close()
            self._waiting.clear()

    def _on_message(self, msg: dict[str, Any], nursery: trio.Nursery) -> None:
        if "method" in msg and "id" in msg:
            nursery.start_soon(self._answer, msg)
        elif "method" in msg:
            self.notifications.append(msg)
            self._arrived.set()
            self._arrived = trio.Event()
        elif msg.get("id") in self._waiting:
            self._waiting.pop(msg["id"]).send_nowait(msg)

    async def _answer(self, msg: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": msg["id"]}
        if self.on_request is None:
            reply["error"] = {"code": -32601, "message": "client handles no requests"}
        else:
            try:
                reply["result"] = await self.on_request(msg["method"], msg.get("params"))
            except RpcError as exc:
                reply["error"] = {"code": exc.code, "message": exc.message}
        await self.send(reply)

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], start: int = 0, timeout: float = 60
    ) -> dict[str, Any]:
        """The first notification (from index ``start``) matching ``predicate``; the
        timeout only stops a hang."""
        with trio.fail_after(timeout):
            return await self._wait_for(predicate, start)

    async def _wait_for(self, predicate: Callable[[dict[str, Any]], bool], start: int) -> dict[str, Any]:
        seen = start
        while True:
            for note in self.notifications[seen:]:
                if predicate(note):
                    return note
            seen = len(self.notifications)
            if self.process.returncode is not None and seen == len(self.notifications):
                raise EOFError("bridge exited")
            await self._arrived.wait()

    def outputs(self, request_id: Any = None) -> list[dict[str, Any]]:
        return [
            n["params"]
            for n in self.notifications
            if n["method"] == "jupyter/output" and (request_id is None or n["params"].get("requestId") == request_id)
        ]

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
