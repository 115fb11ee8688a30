"""A synchronous editor: drives a ``kernel-bridge`` (or any LSP server) subprocess over
real pipes, with blocking calls and a hang guard on every wait.

The benchmarks use it because it adds as little as possible of its own to a round trip
(no event loop, no thread hand-off: write, then ``select`` and read until the answer is
in); the reliability tests use it because hypothesis drives plain functions, so one bridge
can serve thousands of generated cases.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bridge.server.framing import Body, FrameReader, frame

HANG_GUARD = 60.0  # seconds; stops a hung wait, never asserts speed


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class BridgeGone(EOFError):
    """The server closed its stdout (exited or crashed)."""


def bridge_argv() -> list[str]:
    """``$KB_BRIDGE_CMD`` if set (e.g. to measure a patched copy: ``PYTHONPATH=/tmp/copy
    KB_BRIDGE_CMD="python -m bridge"``), else the installed ``kernel-bridge`` beside this
    interpreter, else ``python -m bridge``."""
    if os.environ.get("KB_BRIDGE_CMD"):
        return shlex.split(os.environ["KB_BRIDGE_CMD"])
    script = Path(sys.executable).with_name("kernel-bridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge"]


class Editor:
    """One server subprocess and the editor's side of its pipes.

    Everything the server sends is parsed as it arrives: responses by id in
    ``responses``, ``id: null`` errors in ``null_errors``, notifications in
    ``notifications``, server→editor requests in ``server_requests`` (answered with
    ``on_request`` if set, else left unanswered).
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        env: dict[str, str] | None = None,
        stderr: Any = None,
        keep_notifications: bool = True,
    ) -> None:
        self.argv = list(argv) if argv is not None else bridge_argv()
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
        self._reader = FrameReader()
        self._ids = itertools.count(1)
        self.responses: dict[Any, dict[str, Any]] = {}
        self.null_errors: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self.on_request: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
        self.on_notification: Callable[[dict[str, Any]], None] | None = None
        self.keep_notifications = keep_notifications
        self.notification_count = 0
        # per response id, how many notifications had arrived before it (ordering checks)
        self.notifications_before: dict[Any, int] = {}
        self.bytes_received = 0
        self.eof = False
        self._stdin_open = True

    # -- sending ---------------------------------------------------------------------

    def new_id(self) -> int:
        return next(self._ids)

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
        self.send_raw(frame(json.dumps(obj).encode("utf-8")), read=read)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request_nowait(self, method: str, params: Any = None, *, msg_id: Any = None, read: bool = True) -> Any:
        if msg_id is None:
            msg_id = self.new_id()
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg, read=read)
        return msg_id

    def request(self, method: str, params: Any = None, *, timeout: float = HANG_GUARD) -> Any:
        """Send a request and return its result; raise RpcError for an error response."""
        return self.result(self.request_nowait(method, params), timeout=timeout)

    def result(self, msg_id: Any, *, timeout: float = HANG_GUARD) -> Any:
        reply = self.wait_response(msg_id, timeout=timeout)
        if "error" in reply:
            err = reply["error"]
            raise RpcError(err.get("code"), err.get("message", ""), err.get("data"))
        return reply.get("result")

    def initialize(self, capabilities: dict[str, Any] | None = None, **extra: Any) -> Any:
        params = {"processId": os.getpid(), "rootUri": None, "capabilities": capabilities or {}, **extra}
        result = self.request("initialize", params)
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

    def wait_response(self, msg_id: Any, *, timeout: float = HANG_GUARD) -> dict[str, Any]:
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
        while True:
            try:
                data = os.read(self._out, 1 << 20)
            except BlockingIOError:
                return
            if not data:
                self.eof = True
                return
            self.bytes_received += len(data)
            self._reader.feed(data)
            while (event := self._reader.next_event()) is not None:
                assert isinstance(event, Body), f"the server sent a bad frame: {event}"
                self._on_message(json.loads(event.data))

    def _on_message(self, msg: dict[str, Any]) -> None:
        if "method" in msg and "id" in msg:
            self.server_requests.append(msg)
            if self.on_request is not None:
                reply = self.on_request(msg)
                if reply is not None:
                    self.send({"jsonrpc": "2.0", "id": msg["id"], **reply})
        elif "method" in msg:
            self.notification_count += 1
            if self.keep_notifications:
                self.notifications.append(msg)
            if self.on_notification is not None:
                self.on_notification(msg)
        elif msg.get("id") is None:
            self.null_errors.append(msg)
        else:
            self.responses[msg["id"]] = msg
            self.notifications_before[msg["id"]] = self.notification_count

    def outputs(self, request_id: Any = None) -> list[dict[str, Any]]:
        return [
            n["params"]
            for n in self.notifications
            if n["method"] == "jupyter/output" and (request_id is None or n["params"].get("requestId") == request_id)
        ]

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

    def __enter__(self) -> Editor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) of a live process, from /proc, in seconds.

    ``/proc/PID/task/*/schedstat`` counts nanoseconds on the CPU per thread (precise);
    ``/proc/PID/stat`` only clock ticks. Threads that already exited are in neither, so
    read it while the process runs.
    """
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1e9


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak since start or since ``reset_peak_rss``)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no {field} for pid {pid}")


def reset_peak_rss(pid: int) -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
