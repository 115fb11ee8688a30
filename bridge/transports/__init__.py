"""How messages reach a kernel and come back: one ``Transport`` per kernel.

``KernelConnection`` (kernels/connection.py) drives the conversation and does not care how
messages travel. ``zmq.ZmqTransport``: the four ZeroMQ sockets and the heartbeat of a local
kernel or a connection file (HMAC-signed frames, CurveZMQ when the file has keys).
``websocket.WebSocketTransport``: one WebSocket multiplexing a remote kernel's channels
behind Jupyter Server or a gateway (frames: ``bridge.wire.websocket``). A transport talks
back to its connection through ``Receiver`` only, so nothing here imports the kernels layer.
"""

from __future__ import annotations

from typing import Protocol

import trio

from bridge.wire import Message, MessageFactory


class Receiver(Protocol):
    """What a transport may tell the connection it carries messages for."""

    @property
    def label(self) -> str: ...

    @property
    def factory(self) -> MessageFactory: ...

    @property
    def alive(self) -> bool: ...

    def deliver(self, channel: str, msg: Message) -> None:
        """One valid message from the kernel."""

    def reject(self, channel: str, error: Exception) -> None:
        """A message that arrived and could not be read."""

    def mark_dead(self, reason: str) -> None: ...

    def link_lost(self, reason: str) -> None: ...

    def link_restored(self, state: str | None, gap: float) -> None: ...


class Transport(Protocol):
    """How messages reach one kernel and come back from it.

    ``run`` opens the channels, reports started, then hands every valid message it
    receives to ``connection.deliver(channel, msg)`` until cancelled. ``heartbeat``
    returns only after it called ``connection.mark_dead`` (or the kernel is dead).
    """

    async def run(self, connection: Receiver, *, task_status: trio.TaskStatus[None]) -> None: ...

    async def send(self, channel: str, msg: Message) -> None: ...

    async def heartbeat(self, connection: Receiver) -> None: ...

    async def wait_connected(self) -> None:
        """Return once the kernel can reach us on every channel it sends on unasked."""
        ...
