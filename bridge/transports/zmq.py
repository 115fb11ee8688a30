"""The Jupyter wire protocol over ZeroMQ: a local kernel, or one from a connection file.

One reader task per socket keeps each socket drained at all times: a PUB socket cannot be
slowed, and a SUB queue that fills up silently drops (docs/architecture.md).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import trio
import zmq

from bridge.kernels.connection_info import ConnectionInfo
from bridge.kernels.encryption import secure_client_socket
from bridge.transports import Receiver
from bridge.wire import Message, ReplayGuard, Signer, WireError, deserialize, serialize
from bridge.zmqio import AsyncSocket

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_DEAD_AFTER = 2.0
_NOBLOCK = int(zmq.NOBLOCK)


class ZmqTransport:
    """The Jupyter wire protocol over ZeroMQ: a local kernel, or one from a connection file.

    When the connection info carries CurveZMQ keys, every socket (shell, control, stdin,
    the iopub SUB, each heartbeat REQ) is a CURVE client of the kernel before it connects
    (bridge/kernels/encryption.py)."""

    def __init__(self, info: ConnectionInfo, *, context: zmq.Context[Any] | None = None) -> None:
        self.info = info
        self.signer = Signer(info.key, info.signature_scheme)
        self.replay_guard = ReplayGuard()
        self._context = context or zmq.Context.instance()
        self._sockets: dict[str, AsyncSocket] = {}
        self._stdin_connected = trio.Event()

    async def run(self, connection: Receiver, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        identity = connection.factory.session.encode("ascii")
        try:
            for channel in ("shell", "control", "stdin"):
                sock = self._context.socket(zmq.DEALER)
                # stdin shares the shell identity: the kernel routes input_request to the
                # client whose shell request asked for it, by that identity.
                sock.setsockopt(zmq.ROUTING_ID, identity)
                sock.setsockopt(zmq.LINGER, 0)
                secure_client_socket(sock, self.info)
                if channel == "stdin":
                    stdin_monitor = AsyncSocket(sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED))
                sock.connect(self.info.address(channel))
                self._sockets[channel] = AsyncSocket(sock)
            iopub = self._context.socket(zmq.SUB)
            iopub.setsockopt(zmq.LINGER, 0)
            iopub.setsockopt(zmq.RCVHWM, 0)  # never drop on our side; we drain promptly
            iopub.setsockopt(zmq.SUBSCRIBE, b"")
            secure_client_socket(iopub, self.info)
            iopub.connect(self.info.address("iopub"))
            self._sockets["iopub"] = AsyncSocket(iopub)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._watch_stdin, stdin_monitor)
                for channel in ("shell", "control", "iopub", "stdin"):
                    nursery.start_soon(self._read, channel, connection)
                task_status.started()
                await trio.sleep_forever()
        finally:
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()

    async def _watch_stdin(self, monitor: AsyncSocket) -> None:
        """The kernel sends input_request on its stdin ROUTER to our routing id, and a
        ROUTER silently drops what it cannot route yet: until stdin's handshake is done
        (slower with CurveZMQ), an input() would wait forever for a prompt nobody saw."""
        try:
            await monitor.recv_multipart()  # the only event it reports: handshake succeeded
            self._stdin_connected.set()
        finally:
            self._sockets["stdin"].sock.disable_monitor()
            monitor.close()

    async def wait_connected(self) -> None:
        await self._stdin_connected.wait()

    async def _read(self, channel: str, connection: Receiver) -> None:
        sock = self._sockets[channel]
        while True:
            parts = await sock.recv_multipart()
            try:
                msg = deserialize(parts, self.signer, self.replay_guard, consume=True)
            except WireError as exc:
                connection.reject(channel, exc)
                continue
            connection.deliver(channel, msg)

    async def send(self, channel: str, msg: Message) -> None:
        await self._sockets[channel].send_multipart(serialize(msg, self.signer))

    async def heartbeat(
        self, connection: Receiver, interval: float = HEARTBEAT_INTERVAL, dead_after: float = HEARTBEAT_DEAD_AFTER
    ) -> None:
        """Ping the hb channel; a kernel silent for ``dead_after`` seconds is dead.

        REQ sockets are lock-step, so a ping without a pong means a new socket. The pong
        is not waited for: it is picked up (without blocking) when the next tick comes,
        so an idle kernel costs the bridge one wake-up per ``interval``, and the ticks of
        every kernel fall on the same multiples of ``interval`` (one wake-up for all).
        """
        last_pong = trio.current_time()
        while connection.alive:
            sock = self._context.socket(zmq.REQ)
            sock.setsockopt(zmq.LINGER, 0)
            secure_client_socket(sock, self.info)
            sock.connect(self.info.address("hb"))
            hb = AsyncSocket(sock)
            try:
                while connection.alive:
                    try:
                        sock.send(b"ping", _NOBLOCK)  # no task switch: the tick's sleep is the checkpoint
                    except zmq.Again:  # not connected yet: a missed pong all the same
                        await trio.sleep_until(_next_tick(trio.current_time(), interval))
                        break
                    await trio.sleep_until(_next_tick(trio.current_time(), interval))
                    if hb.recv_multipart_nowait() is None:
                        break
                    last_pong = trio.current_time()
            finally:
                hb.close()
            if trio.current_time() - last_pong >= dead_after:
                connection.mark_dead(f"kernel stopped answering heartbeats for {dead_after:g} s")
                return


def _next_tick(now: float, interval: float) -> float:
    """The first multiple of ``interval`` at least ``interval / 2`` from now (time for
    the pong to come back)."""
    return math.ceil((now + interval / 2) / interval) * interval
