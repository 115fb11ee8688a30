"""Sockets to one kernel, and the routing of what comes back.

Replies (shell, control) and iopub messages are routed by their parent's msg_id to the
request that caused them; iopub messages with a parent we did not send belong to another
client of the same kernel and go to ``on_foreign``.

That logic does not care how messages travel. A ``Transport`` carries them: ``ZmqTransport``
(below: four sockets, HMAC-signed frames, heartbeat on the hb channel) for local kernels and
connection files, ``bridge.remote.transport.WebSocketTransport`` (one WebSocket multiplexing
the channels of a kernel behind Jupyter Server) for remote ones. One reader task per socket
keeps each socket drained at all times: a PUB socket cannot be slowed, and a SUB queue that
fills up silently drops (docs/architecture.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any, Protocol

import trio
import zmq

from bridge.errors import KernelDied, KernelRestarting, KernelTimeout, RequestDropped
from bridge.kernels.connection_info import ConnectionInfo
from bridge.kernels.encryption import secure_client_socket
from bridge.wire import BadSignature, Message, MessageFactory, ReplayGuard, Signer, WireError, deserialize, serialize
from bridge.wire.adapt import from_v4, speaks_v4, to_v4
from bridge.zmqio import AsyncSocket

log = logging.getLogger(__name__)

IopubHandler = Callable[[Message], None]
StatusHandler = Callable[[str], None]
# Answers a kernel's input_request: the value, or None when it already dealt with the
# kernel otherwise (e.g. interrupted it) and no input_reply must be sent.
InputHandler = Callable[[Message], Awaitable[str | None]]
PendingHook = Callable[["Pending"], None]
COMM_TYPES = frozenset({"comm_open", "comm_msg", "comm_close"})

# After an execute_reply, wait for the request's ``status: idle`` (it marks the end of
# its outputs), but kernels drop iopub messages under load, idle included: stop waiting
# once the request's iopub has been quiet this long.
IDLE_GRACE_SECONDS = 1.0
# A kernel replies on shell before it says idle on iopub; the two sockets can be read out
# of order, but not by seconds. A request still unanswered this long after its idle was
# dropped by the kernel (and would otherwise wait forever).
REPLY_AFTER_IDLE_SECONDS = 3.0
HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_DEAD_AFTER = 2.0
PROBE_REPLY_TIMEOUT = 2.0
PROBE_IOPUB_WAIT = 0.5


class Pending:
    """One request in flight: its reply, and whether its iopub has gone idle."""

    __slots__ = (
        "on_iopub", "on_input", "reply", "error", "replied", "iopub_seen", "started", "idle", "wake",
        "request", "input_scopes", "on_started", "expects_reply",
    )

    def __init__(self, request: Message, on_iopub: IopubHandler | None, on_input: InputHandler | None = None) -> None:
        self.request = request
        self.on_iopub = on_iopub
        self.on_input = on_input
        self.reply: Message | None = None
        self.error: Exception | None = None
        self.replied = trio.Event()
        self.iopub_seen = False
        self.started = False  # the kernel said busy for it: it is running, not queued
        self.idle = False
        self.wake = trio.Event()
        self.input_scopes: list[trio.CancelScope] = []
        self.on_started: Callable[[], None] | None = None
        self.expects_reply = False  # fail it if the kernel goes idle and never replies

    def fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self.replied.set()
        self.wake.set()


class Transport(Protocol):
    """How messages reach one kernel and come back from it.

    ``run`` opens the channels, reports started, then hands every valid message it
    receives to ``connection.deliver(channel, msg)`` until cancelled. ``heartbeat``
    returns only after it called ``connection.mark_dead`` (or the kernel is dead).
    """

    async def run(self, connection: KernelConnection, *, task_status: trio.TaskStatus[None]) -> None: ...

    async def send(self, channel: str, msg: Message) -> None: ...

    async def heartbeat(self, connection: KernelConnection) -> None: ...

    async def wait_connected(self) -> None:
        """Return once the kernel can reach us on every channel it sends on unasked."""
        ...


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

    async def run(self, connection: KernelConnection, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
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

    async def _read(self, channel: str, connection: KernelConnection) -> None:
        sock = self._sockets[channel]
        while True:
            parts = await sock.recv_multipart()
            try:
                msg = deserialize(parts, self.signer, self.replay_guard, consume=True)
            except WireError as exc:
                log.debug("kernel %s: dropped a message on %s: %s", connection.label, channel, exc)
                if isinstance(exc, BadSignature):
                    connection.bad_signatures += 1
                continue
            connection.deliver(channel, msg)

    async def send(self, channel: str, msg: Message) -> None:
        await self._sockets[channel].send_multipart(serialize(msg, self.signer))

    async def heartbeat(
        self, connection: KernelConnection, interval: float = HEARTBEAT_INTERVAL, dead_after: float = HEARTBEAT_DEAD_AFTER
    ) -> None:
        """Ping the hb channel; a kernel silent for ``dead_after`` seconds is dead.

        REQ sockets are lock-step, so a ping without a pong means a new socket.
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
                    await hb.send_multipart([b"ping"])
                    got = False
                    with trio.move_on_after(interval):
                        await hb.recv_multipart()
                        got = True
                    # if our own loop was busy, the pong may be queued already
                    got = got or hb.recv_multipart_nowait() is not None
                    if not got:
                        break
                    last_pong = trio.current_time()
                    await trio.sleep(interval)
            finally:
                hb.close()
            if trio.current_time() - last_pong >= dead_after:
                connection.mark_dead(f"kernel stopped answering heartbeats for {dead_after:g} s")
                return


class KernelConnection:
    def __init__(
        self,
        transport: Transport,
        *,
        label: str,
        on_status: StatusHandler | None = None,
        on_foreign: IopubHandler | None = None,
        on_comm: IopubHandler | None = None,
    ) -> None:
        self.transport = transport
        self.label = label
        self.factory = MessageFactory()
        self.on_status = on_status
        self.on_foreign = on_foreign
        self.on_comm = on_comm
        self.execution_state = "starting"
        self.dead_reason: str | None = None
        # why the transport is down ("disconnected" state, remote kernels), else None
        self.link_reason: str | None = None
        self.kernel_info: dict[str, Any] = {}
        self.restarting = False  # set while a restart replaces this connection
        self.bad_signatures = 0  # counted by the transport: a wrong key shows up here
        self.protocol_v4 = False  # learned from kernel_info_reply; then we adapt both ways
        self._pending: dict[str, Pending] = {}
        self._nursery: trio.Nursery | None = None
        # every valid iopub message, whoever caused it (an output sidecar listens here)
        self.iopub_listeners: set[IopubHandler] = set()

    # -- lifetime -----------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Open the transport and keep it drained until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            await nursery.start(self._run_transport)
            task_status.started()

    async def _run_transport(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.transport.run(self, task_status=task_status)

    async def heartbeat(self) -> None:
        await self.transport.heartbeat(self)

    @property
    def alive(self) -> bool:
        return self.dead_reason is None

    def mark_dead(self, reason: str) -> None:
        """The kernel is gone: fail every pending request with ``reason``, report ``dead``."""
        if self.dead_reason is not None:
            return
        self.dead_reason = reason
        log.info("kernel %s dead: %s", self.label, reason)
        self.fail_pending(KernelDied(reason))
        self._set_state("dead")

    def link_lost(self, reason: str) -> None:
        """The transport dropped and is reconnecting: the kernel may well be fine."""
        if not self.alive:
            return
        self.link_reason = reason
        log.info("kernel %s: %s", self.label, reason)
        self._set_state("disconnected")

    def link_restored(self, state: str | None, gap: float) -> None:
        """Reconnected after ``gap`` seconds; ``state`` is the kernel's, as its server says."""
        if not self.alive:
            return
        log.info("kernel %s: reconnected after %.1f s", self.label, gap)
        self.link_reason = None
        self._set_state(state if state in ("busy", "idle") else "idle")

    def fail_pending(self, error: Exception) -> None:
        self.cancel_inputs()
        for pending in list(self._pending.values()):
            pending.fail(error)

    def _set_state(self, state: str) -> None:
        if state == self.execution_state:
            return
        self.execution_state = state
        if self.on_status is not None:
            self.on_status(state)

    # -- what the transport delivers ---------------------------------------------------

    def deliver(self, channel: str, msg: Message) -> None:
        """One valid message from the kernel, on ``channel``: route it."""
        if self.protocol_v4 or (msg.msg_type == "kernel_info_reply" and speaks_v4(msg)):
            pending = self._pending.get(str(msg.parent_header.get("msg_id", "")))
            try:
                msg = from_v4(msg, pending.request if pending else None)
            except (KeyError, TypeError, ValueError) as exc:
                log.debug("kernel %s: dropped a 4.x message that does not adapt: %s", self.label, exc)
                return
        if channel == "iopub":
            self._route_iopub(msg)
        elif channel == "stdin":
            self._on_stdin(msg)
        elif channel in ("shell", "control"):
            self._on_reply(channel, msg)
        else:
            log.debug("kernel %s: message on unknown channel %r dropped", self.label, channel)

    async def _send_wire(self, channel: str, msg: Message) -> None:
        await self.transport.send(channel, to_v4(msg) if self.protocol_v4 else msg)

    def _on_reply(self, channel: str, msg: Message) -> None:
        pending = self._pending.get(msg.parent_id or "")
        if pending is None or pending.reply is not None:
            log.debug("kernel %s: %s reply to an unknown request (%s)", self.label, channel, msg.msg_type)
            return
        pending.reply = msg
        pending.replied.set()

    def _route_iopub(self, msg: Message) -> None:
        for listener in list(self.iopub_listeners):
            listener(msg)
        is_status = msg.msg_type == "status"
        if is_status and self.alive:
            state = msg.content.get("execution_state")
            if state == "dead":
                # only a kernel's server says this (Jupyter Server, when its restarter gave up)
                self.mark_dead(f"kernel {self.label} died; its server reports it dead")
                return
            if state == "restarting" and not msg.parent_header:
                # the server restarted a kernel that died: what was pending will never be answered
                self.fail_pending(KernelDied(f"kernel {self.label} died and its server restarted it"))
            if isinstance(state, str):
                self._set_state(state)
        pending = self._pending.get(msg.parent_id or "")
        if pending is not None:
            pending.iopub_seen = True
            pending.wake.set()
            if is_status:
                state = msg.content.get("execution_state")
                if state == "idle":
                    pending.idle = True
                    if pending.expects_reply and pending.reply is None and self._nursery is not None:
                        self._nursery.start_soon(self._expect_reply, pending)
                elif state == "busy" and not pending.started:
                    pending.started = True
                    if pending.on_started is not None:
                        pending.on_started()
                return
        if msg.msg_type in COMM_TYPES:
            if self.on_comm is not None:
                self.on_comm(msg)
        elif pending is None:
            if self.on_foreign is not None:
                self.on_foreign(msg)
        elif pending.on_iopub is not None:
            pending.on_iopub(msg)

    async def _expect_reply(self, pending: Pending) -> None:
        with trio.move_on_after(REPLY_AFTER_IDLE_SECONDS):
            await pending.replied.wait()
            return
        if pending.reply is None and self._pending.get(pending.request.msg_id) is pending:
            pending.fail(
                RequestDropped(
                    f"kernel {self.label} went idle without replying to {pending.request.msg_type}: it dropped the "
                    "request (kernels do this with a request type they do not handle, and ipykernel when an "
                    "interrupt lands before the request runs)"
                )
            )

    def _on_stdin(self, msg: Message) -> None:
        if msg.msg_type != "input_request":
            return
        pending = self._pending.get(msg.parent_id or "")
        assert self._nursery is not None
        self._nursery.start_soon(self._answer_input, pending, msg)

    async def _answer_input(self, pending: Pending | None, msg: Message) -> None:
        """The kernel is blocked in input() until it gets an input_reply (or an
        interrupt): every input_request is answered, with "" when nobody can."""
        value: str | None = ""
        if pending is not None and pending.on_input is not None:
            with trio.CancelScope() as scope:
                pending.input_scopes.append(scope)
                try:
                    value = await pending.on_input(msg)
                finally:
                    pending.input_scopes.remove(scope)
            if scope.cancelled_caught:
                return  # interrupted: the kernel's input() raised KeyboardInterrupt
        else:
            log.debug("kernel %s: input_request nobody can answer; replying empty", self.label)
        if value is not None and self.alive:
            await self.send("stdin", "input_reply", {"value": value}, parent=msg)

    def cancel_inputs(self) -> None:
        """Withdraw every prompt in progress (the kernel was interrupted)."""
        for pending in self._pending.values():
            for scope in pending.input_scopes:
                scope.cancel()

    @property
    def executes_in_flight(self) -> int:
        return sum(1 for p in self._pending.values() if p.request.msg_type == "execute_request")

    # -- requests -----------------------------------------------------------------

    async def send(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        *,
        parent: Message | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[bytes] | None = None,
    ) -> Message:
        """Send without waiting for a reply (input_reply, comm messages)."""
        self._check_usable()
        msg = self.factory.build(msg_type, content, parent=parent, metadata=metadata, buffers=buffers)
        await self._send_wire(channel, msg)
        return msg

    def _check_usable(self) -> None:
        if self.restarting:
            raise KernelRestarting(f"kernel {self.label} is restarting: send the request again when it is idle")
        if self.dead_reason is not None:
            raise KernelDied(self.dead_reason)

    async def request(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        *,
        on_iopub: IopubHandler | None = None,
        on_input: InputHandler | None = None,
        on_pending: PendingHook | None = None,
        wait_idle: bool = False,
        timeout: float | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[bytes] | None = None,
    ) -> Message:
        """Send a request and return its reply; with ``wait_idle``, also let its iopub settle.

        Raises KernelDied if the kernel dies (or is already dead), KernelRestarting while
        it is being replaced by a restart, KernelTimeout after ``timeout`` seconds without
        a reply.
        """
        self._check_usable()
        msg = self.factory.build(msg_type, content, metadata=metadata, buffers=buffers)
        pending = Pending(msg, on_iopub, on_input)
        pending.expects_reply = True
        self._pending[msg.msg_id] = pending
        if on_pending is not None:
            on_pending(pending)
        try:
            await self._send_wire(channel, msg)
            with trio.fail_after(timeout) if timeout is not None else nullcontext():
                await pending.replied.wait()
            if pending.error is not None:
                raise pending.error
            if wait_idle:
                await self._settle(pending)
            assert pending.reply is not None
            return pending.reply
        except trio.TooSlowError:
            raise KernelTimeout(f"kernel {self.label} did not answer {msg_type} within {timeout:g} s") from None
        finally:
            del self._pending[msg.msg_id]

    async def _settle(self, pending: Pending) -> None:
        while not pending.idle and pending.error is None:
            pending.wake = trio.Event()
            with trio.move_on_after(IDLE_GRACE_SECONDS):
                await pending.wake.wait()
            if not pending.wake.is_set():
                log.debug("kernel %s: no idle for %s; iopub quiet, ending", self.label, pending.request.msg_id)
                return
        if pending.error is not None:
            raise pending.error

    async def wait_ready(self, timeout: float, *, gone: trio.Event | None = None) -> dict[str, Any]:
        """Probe with kernel_info until shell answers *and* iopub delivers its status.

        A SUB socket misses what is published before its subscription lands, so the
        first execute must not go out until iopub is proven to reach us.
        """
        deadline = trio.current_time() + timeout
        while True:
            if gone is not None and gone.is_set():
                raise KernelDied("kernel process exited during start-up")
            remaining = deadline - trio.current_time()
            if remaining <= 0:
                hint = ""
                if self.bad_signatures:
                    hint = (
                        f"; {self.bad_signatures} of its messages had a bad signature and were dropped:"
                        " check the connection file's key and signature_scheme"
                    )
                raise KernelTimeout(f"kernel {self.label} did not become ready within {timeout:g} s{hint}")
            msg = self.factory.build("kernel_info_request", {})
            pending = Pending(msg, None)
            self._pending[msg.msg_id] = pending
            try:
                await self.transport.send("shell", msg)
                with trio.move_on_after(min(PROBE_REPLY_TIMEOUT, remaining)):
                    await pending.replied.wait()
                    if pending.error is not None:
                        raise pending.error
                    # wait for the probe's idle too, so the editor's first state is settled
                    with trio.move_on_after(PROBE_IOPUB_WAIT):
                        while not pending.idle:
                            pending.wake = trio.Event()
                            await pending.wake.wait()
                    if pending.iopub_seen and pending.reply is not None:
                        await self.transport.wait_connected()
                        self.kernel_info = pending.reply.content
                        version = str(self.kernel_info.get("protocol_version", "5"))
                        self.protocol_v4 = version.split(".")[0] == "4"
                        if self.execution_state == "starting":
                            self._set_state("idle")
                        return self.kernel_info
            finally:
                del self._pending[msg.msg_id]
