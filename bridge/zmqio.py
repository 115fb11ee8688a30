"""Async send/recv of multipart messages on pyzmq sockets under trio, without threads.

The only module that touches zmq file descriptors. zmq's FD is edge-triggered and also
signals writability: it becomes readable when the socket's *events* change, and reading
``zmq.EVENTS`` (or any send/recv, which process pending commands) clears it. So:

* before parking, re-check ``zmq.EVENTS``; park on the FD only when nothing is pending;
* a send from another task may consume the edge a parked receiver waits for, so every
  send re-checks ``zmq.EVENTS`` and, if input is pending, wakes the parked receiver by
  cancelling the scope it parks in. A socket nobody can send on (SUB: iopub)
  parks without that scope, which costs a fifth of a wake-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import trio
import zmq

from bridge.send_line import SendLine

_SEND_RETRY_SECONDS = 0.002
# Plain ints: ``getsockopt(zmq.EVENTS) & zmq.POLLIN`` builds an enum member per call, and
# this check runs several times per message.
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_RCVMORE = int(zmq.RCVMORE)
_NOBLOCK = int(zmq.NOBLOCK)
_NOBLOCK_SNDMORE = int(zmq.NOBLOCK) | int(zmq.SNDMORE)


def _recv_parts(sock: zmq.Socket[bytes]) -> list[bytes]:
    """pyzmq's ``recv_multipart`` without its per-part ``getsockopt(RCVMORE)`` (which
    builds a ``SocketOption`` enum member each time): a frame knows whether more follow.
    Raises zmq.Again when no message is queued; the parts of one message arrive together."""
    frame = sock.recv(_NOBLOCK, copy=False)
    parts = [frame.bytes]
    while frame.more:
        frame = sock.recv(_NOBLOCK, copy=False)
        parts.append(frame.bytes)
    return parts


def _send_parts(sock: zmq.Socket[bytes], parts: Sequence[bytes]) -> None:
    """pyzmq's ``send_multipart``, int flags; zmq queues a multipart message atomically, so
    only the first part can raise zmq.Again."""
    last = len(parts) - 1
    for i, part in enumerate(parts):
        sock.send(part, _NOBLOCK if i == last else _NOBLOCK_SNDMORE)


class AsyncSocket:
    """One zmq socket; at most one task receives, any number of tasks send."""

    def __init__(self, sock: zmq.Socket[bytes]) -> None:
        self.sock = sock
        self._fd = cast(int, sock.getsockopt(zmq.FD))
        # a socket we never send on needs no scope to be woken from
        self._receive_only = sock.type == zmq.SUB
        self._park: trio.CancelScope | None = None
        self._closed = False
        # senders held back by the high-water mark, in call order
        self._send_line = SendLine()
        # True once a message was returned with no yield since: the next one must yield
        self._owe_checkpoint = False

    async def recv_multipart(self) -> list[bytes]:
        sock = self.sock
        while True:
            if self._closed:
                raise trio.ClosedResourceError("socket closed")
            if cast(int, sock.get(_EVENTS)) & _POLLIN:
                try:
                    parts = _recv_parts(sock)
                except zmq.Again:
                    continue
                # A flooding kernel always has a message ready: between two messages
                # returned back to back, yield to the other tasks (the editor's requests,
                # the stdout pump). A message found after parking needs no second yield:
                # the park was one, and a task switch per message is most of a reader's cost.
                if self._owe_checkpoint:
                    await trio.lowlevel.cancel_shielded_checkpoint()
                self._owe_checkpoint = True
                return parts
            self._owe_checkpoint = False
            if self._receive_only:
                await trio.lowlevel.wait_readable(self._fd)
                continue
            with trio.CancelScope() as park:
                self._park = park
                try:
                    await trio.lowlevel.wait_readable(self._fd)
                finally:
                    self._park = None

    def recv_multipart_nowait(self) -> list[bytes] | None:
        """Drain helper: a message if one is queued now, else None."""
        try:
            return _recv_parts(self.sock)
        except zmq.Again:
            return None

    async def send_multipart(self, parts: Sequence[bytes]) -> None:
        """Queue ``parts``; not a checkpoint when zmq takes them at once (nearly always):
        a sender awaits its reply next, and a yield here was one more task switch per
        request. A loop of sends with nothing else awaited must checkpoint itself."""
        if self._receive_only:
            raise TypeError("a SUB socket is never sent on")
        if self._closed:
            raise trio.ClosedResourceError("socket closed")
        if not self._send_line:
            try:
                _send_parts(self.sock, parts)
                self._wake_receiver()
                return
            except zmq.Again:
                pass
        await self._send_in_turn(parts)

    async def _send_in_turn(self, parts: Sequence[bytes]) -> None:
        """Rare (a full high-water mark): wait for room in call order (bridge/send_line.py).
        Only the head of the line polls: the FD is the receiver's to wait on."""
        async with self._send_line.turn():
            while True:
                if self._closed:
                    raise trio.ClosedResourceError("socket closed")
                try:
                    _send_parts(self.sock, parts)
                    break
                except zmq.Again:
                    await trio.sleep(_SEND_RETRY_SECONDS)
        self._wake_receiver()

    def _wake_receiver(self) -> None:
        if self._park is not None and cast(int, self.sock.get(_EVENTS)) & _POLLIN:
            self._park.cancel()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._send_line.release_all()  # they find the socket closed
        trio.lowlevel.notify_closing(self._fd)
        self.sock.close(linger=0)
