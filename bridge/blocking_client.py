"""A blocking JSON-RPC client for a ``kernel-bridge`` (or any LSP server) subprocess over
real pipes, with a hang guard on every wait.

The benchmarks time the bridge through it because it adds as little as possible of its
own to a round trip: no event loop, no thread hand-off, no ``trio.run`` per call; write,
then ``select`` and read until the answer is in. The hypothesis-driven tests use it
because hypothesis drives plain functions, so one bridge can serve thousands of generated
cases. The conversation's rules are ``bridge/client_protocol.py``'s, shared with the trio
driver in ``bridge/client.py``; this module only moves bytes.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

from bridge.client_protocol import (
    NOTIFICATION,
    SERVER_REQUEST,
    BridgeGone,
    ClientProtocol,
    Message,
    RpcError,
    bridge_command,
    initialize_params,
    result_of,
)

__all__ = ["HANG_GUARD", "BlockingClient", "BridgeGone", "RpcError", "bridge_command"]

HANG_GUARD = 60.0  # seconds; stops a hung wait, never asserts speed


class BlockingClient(ClientProtocol):
    """One server subprocess and the editor's side of its pipes.

    Everything the server sends is parsed as it arrives and kept as ``ClientProtocol``
    keeps it; server→editor requests are answered with ``on_request(message)`` (its
    return value holds ``result`` or ``error``) if set, else left unanswered;
    ``on_notification`` sees each notification as it arrives.
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        env: dict[str, str] | None = None,
        stderr: Any = None,
        keep_notifications: bool = True,
    ) -> None:
        super().__init__(keep_notifications=keep_notifications)
        self.argv = list(argv) if argv is not None else bridge_command()
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, **(env or {})},
            bufsize=0,
        )
        self.pid = self.process.pid
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self.on_request: Callable[[Message], Message | None] | None = None
        self.on_notification: Callable[[Message], None] | None = None
        self._stdin_open = True

    # -- sending ---------------------------------------------------------------------

    def send_raw(self, data: bytes, *, read: bool = True, timeout: float = HANG_GUARD) -> None:
        """Write all of ``data``; meanwhile read what the server sends unless ``read`` is
        false (an editor that does not read). Raises TimeoutError if the server stops
        reading its stdin for ``timeout`` seconds."""
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            try:
                n = os.write(self._in, view)
                view = view[n:]
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError:
                raise BridgeGone("the server closed its stdin") from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the server stopped reading its stdin ({len(view)} bytes unsent)")
            readers = [self._out] if read and not self.eof else []
            ready_r, _, _ = select.select(readers, [self._in], [], remaining)
            if ready_r:
                self._read_available()

    def send(self, obj: Any, *, read: bool = True) -> None:
        self.send_raw(self.encode(obj), read=read)

    def notify(self, method: str, params: Any = None) -> None:
        self.send_raw(self.encode_notification(method, params))

    def request_nowait(self, method: str, params: Any = None, *, msg_id: Any = None, read: bool = True) -> Any:
        """Send a request; its id, for ``result`` or ``wait_response``."""
        msg_id, data = self.encode_request(method, params, msg_id)
        self.send_raw(data, read=read)
        return msg_id

    def request(self, method: str, params: Any = None, *, timeout: float = HANG_GUARD) -> Any:
        """Send a request and return its result; raise RpcError for an error response."""
        return self.result(self.request_nowait(method, params), timeout=timeout)

    def result(self, msg_id: Any, *, timeout: float = HANG_GUARD) -> Any:
        return result_of(self.wait_response(msg_id, timeout=timeout))

    def initialize(self, capabilities: dict[str, Any] | None = None, **extra: Any) -> Any:
        result = self.request("initialize", initialize_params(capabilities, extra))
        self.notify("initialized", {})
        return result

    def close_stdin(self) -> None:
        if self._stdin_open:
            self._stdin_open = False
            assert self.process.stdin is not None
            try:
                self.process.stdin.close()
            except BrokenPipeError:
                pass

    # -- receiving -------------------------------------------------------------------

    def wait_response(self, msg_id: Any, *, timeout: float = HANG_GUARD) -> Message:
        self.wait(lambda: msg_id in self.responses, timeout=timeout, what=f"the response to id {msg_id!r}")
        return self.responses.pop(msg_id)

    def wait(self, predicate: Callable[[], bool], *, timeout: float = HANG_GUARD, what: str = "a condition") -> None:
        """Read until ``predicate()`` holds; TimeoutError after ``timeout`` seconds,
        BridgeGone if the server closes its stdout first."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.eof:
                raise BridgeGone(f"the server closed its stdout while we waited for {what}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout:g} s")
            ready, _, _ = select.select([self._out], [], [], remaining)
            if ready:
                self._read_available()

    def pump(self, duration: float = 0.0) -> None:
        """Read whatever arrives within ``duration`` seconds (0: only what is there now)."""
        deadline = time.monotonic() + duration
        while not self.eof:
            remaining = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._out], [], [], remaining)
            if not ready:
                return
            self._read_available()

    def read_to_eof(self, *, timeout: float = HANG_GUARD) -> None:
        self.wait(lambda: self.eof, timeout=timeout, what="end of output")

    def _read_available(self) -> None:
        while not self.eof:
            try:
                data = os.read(self._out, 1 << 20)
            except BlockingIOError:
                return
            handle = self.handle
            for msg in self.receive_data(data):
                kind = handle(msg)
                if kind is NOTIFICATION:
                    if self.on_notification is not None:
                        self.on_notification(msg)
                elif kind is SERVER_REQUEST and self.on_request is not None:
                    reply = self.on_request(msg)
                    if reply is not None:
                        self.send_raw(self.encode_reply(msg["id"], reply))

    # -- ending ----------------------------------------------------------------------

    def close(self, timeout: float = 15.0) -> int:
        """Close stdin (the editor goes away), wait for the exit (bounded), then kill."""
        self.close_stdin()
        deadline = time.monotonic() + timeout
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                if not self.eof:
                    self.pump(0.05)
                else:
                    time.sleep(0.02)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            code = self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
        return code

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
