"""The driver of one kernel's conversation.

``KernelSession`` (kernels/session.py) holds the protocol's rules with no I/O;
``KernelConnection`` drives it: hands it each message its transport (bridge/transports/:
ZeroMQ sockets for local kernels, a WebSocket for remote ones) delivers, wakes it at its
deadlines, and turns its events into what callers wait on (a request's reply, its outputs,
its prompts) and into callbacks (status, foreign outputs, comms, late replies).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import trio

from bridge.errors import KernelDied, KernelRestarting, KernelTimeout, RequestDropped
from bridge.kernels.session import (
    Channel,
    Comm,
    Dropped,
    Event,
    Foreign,
    Idle,
    InputRequested,
    KernelSession,
    LateReply,
    Output,
    Reply,
    ServerReportsDead,
    ServerRestarted,
    Settled,
    Started,
    StateChanged,
)
from bridge.send_line import SendLine
from bridge.transports import Transport
from bridge.wire import Message, MessageFactory

log = logging.getLogger(__name__)

IopubHandler = Callable[[Message], None]
StatusHandler = Callable[[str], None]
# Answers a kernel's input_request: the value, or None when it already dealt with the
# kernel otherwise (e.g. interrupted it) and no input_reply must be sent.
InputHandler = Callable[[Message], Awaitable[str | None]]
PendingHook = Callable[["Pending"], None]

PROBE_REPLY_TIMEOUT = 2.0
PROBE_IOPUB_WAIT = 0.5
# start-up: this many unreadable messages and not one readable, and the kernel is not ready
UNREADABLE_AFTER = 3
# Requests of ours a kernel may have on one channel at once; more wait in the bridge, in
# order. ipykernel 7 wedges with a few thousand queued shell requests (its shell thread and
# main thread block on each other's full inproc pipes: 4,000 sent at once, 88 answered,
# then not even kernel_info), and a request that waits here can still be cancelled unsent.
MAX_IN_FLIGHT = 1000


class Pending:
    """The driver's handle on one request in flight: what its caller waits on."""

    __slots__ = (
        "on_iopub",
        "on_input",
        "reply",
        "error",
        "replied",
        "settled",
        "started",
        "idle",
        "wake",
        "request",
        "input_scopes",
        "on_started",
    )

    def __init__(self, request: Message, on_iopub: IopubHandler | None, on_input: InputHandler | None = None) -> None:
        self.request = request
        self.on_iopub = on_iopub
        self.on_input = on_input
        self.reply: Message | None = None
        self.error: Exception | None = None
        self.replied = trio.Event()
        self.settled = trio.Event()
        self.started = False  # the kernel said busy for it: it is running, not queued
        self.idle = False
        self.wake = trio.Event()
        self.input_scopes: list[trio.CancelScope] = []
        self.on_started: Callable[[], None] | None = None

    def fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self.replied.set()
        self.settled.set()
        self.wake.set()


class KernelConnection:
    """Drives a ``KernelSession`` over a ``Transport``: moves messages and timers, and
    turns the session's events into what the rest of the bridge waits on (a request's
    reply, its outputs, its prompts). The protocol's rules live in the session."""

    def __init__(
        self,
        transport: Transport,
        *,
        label: str,
        on_status: StatusHandler | None = None,
        on_foreign: IopubHandler | None = None,
        on_comm: IopubHandler | None = None,
        on_late_reply: IopubHandler | None = None,
    ) -> None:
        self.transport = transport
        self.label = label
        self.session = KernelSession(label=label)
        self.on_status = on_status
        self.on_foreign = on_foreign
        self.on_comm = on_comm
        self.on_late_reply = on_late_reply
        self.dead_reason: str | None = None
        # why the transport is down ("disconnected" state, remote kernels), else None
        self.link_reason: str | None = None
        self.kernel_info: dict[str, Any] = {}
        self.restarting = False  # set while a restart replaces this connection
        self._state_override: str | None = None  # dead / disconnected: not the kernel's word
        self._pending: dict[str, Pending] = {}
        self._nursery: trio.Nursery | None = None
        self._timer_scope = trio.CancelScope()
        # every valid iopub message, whoever caused it (an output sidecar listens here),
        # except those of our private requests
        self.iopub_listeners: set[IopubHandler] = set()
        self._private: set[str] = set()
        # our requests per channel between sending and giving up on them (MAX_IN_FLIGHT)
        self._in_flight: dict[str, int] = {}
        self._room_line: dict[str, SendLine] = {}
        self._room_freed = trio.Event()

    @property
    def factory(self) -> MessageFactory:
        return self.session.factory

    @property
    def protocol_v4(self) -> bool:
        return self.session.protocol_v4

    @property
    def execution_state(self) -> str:
        return self._state_override or self.session.execution_state

    # -- lifetime -----------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Open the transport and keep it drained until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._timer)
            await nursery.start(self._run_transport)
            task_status.started()

    async def _run_transport(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.transport.run(self, task_status=task_status)

    async def _timer(self) -> None:
        """Wake the session at its deadlines (dropped requests, settling).

        Sleeps in a cancel scope whose deadline ``_poke_timer`` moves earlier when the
        session has a sooner one: no task switch per message, and none at all while no
        request is in flight."""
        while True:
            with trio.CancelScope() as scope:
                self._timer_scope = scope
                self._poke_timer()
                await trio.sleep_forever()
            self._apply(self.session.tick(trio.current_time()))

    def _poke_timer(self) -> None:
        deadline = self.session.next_deadline()
        if deadline is not None and deadline < self._timer_scope.deadline:
            self._timer_scope.deadline = deadline

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
        """A state the bridge decides (dead, disconnected, restored), not a kernel status."""
        before = self.execution_state
        if state in ("dead", "disconnected"):
            self._state_override = state
        else:
            self._state_override = None
            self.session.execution_state = state
        if self.execution_state != before and self.on_status is not None:
            self.on_status(self.execution_state)

    # -- what the transport delivers ---------------------------------------------------

    def reject(self, channel: str, error: Exception) -> None:
        """A message arrived that could not be read; counted, and named if start-up fails."""
        log.debug("kernel %s: dropped a message on %s: %s", self.label, channel, error)
        self.session.reject(channel, f"{type(error).__name__}: {error}")

    def deliver(self, channel: str, msg: Message) -> None:
        """One valid message from the kernel, on ``channel``."""
        if channel == "iopub" and self.iopub_listeners and msg.parent_id not in self._private:
            for listener in list(self.iopub_listeners):
                listener(msg)
        self._apply(self.session.receive(channel, msg, trio.current_time()))

    def _apply(self, events: list[Event]) -> None:
        poke = False
        for event in events:
            if isinstance(event, Output):
                pending = self._pending.get(event.request_id)
                if pending is not None and pending.on_iopub is not None:
                    pending.on_iopub(event.msg)
            elif isinstance(event, Reply):
                pending = self._pending.get(event.request_id)
                if pending is not None and pending.reply is None:
                    pending.reply = event.msg
                    pending.replied.set()
                poke = True
            elif isinstance(event, Idle):
                pending = self._pending.get(event.request_id)
                if pending is not None:
                    pending.idle = True
                    pending.wake.set()
                poke = True
            elif isinstance(event, Settled):
                pending = self._pending.get(event.request_id)
                if pending is not None:
                    pending.settled.set()
            elif isinstance(event, Started):
                pending = self._pending.get(event.request_id)
                if pending is not None:
                    pending.started = True
                    if pending.on_started is not None:
                        pending.on_started()
            elif isinstance(event, StateChanged):
                if self.alive and self._state_override is None and self.on_status is not None:
                    self.on_status(event.state)
                poke = True
            elif isinstance(event, Dropped):
                pending = self._pending.get(event.request_id)
                if pending is not None:
                    pending.fail(RequestDropped(event.reason))
            elif isinstance(event, LateReply):
                self._late_reply(event)
            elif isinstance(event, InputRequested):
                assert self._nursery is not None
                pending = self._pending.get(event.request_id) if event.request_id is not None else None
                self._nursery.start_soon(self._answer_input, pending, event.msg)
            elif isinstance(event, Comm):
                if self.on_comm is not None:
                    self.on_comm(event.msg)
            elif isinstance(event, Foreign):
                if self.on_foreign is not None:
                    self.on_foreign(event.msg)
            elif isinstance(event, ServerReportsDead):
                if self.alive:
                    self.mark_dead(f"kernel {self.label} died; its server reports it dead")
            elif isinstance(event, ServerRestarted):
                if self.alive:
                    self.fail_pending(KernelDied(f"kernel {self.label} died and its server restarted it"))
        if poke:
            self._poke_timer()

    def _late_reply(self, event: LateReply) -> None:
        """A reply after we gave up on its request is the kernel's word all the same."""
        pending = self._pending.get(event.request_id)
        if pending is not None and pending.reply is None and pending.error is None:
            pending.reply = event.msg
            pending.replied.set()
            return
        log.info("kernel %s: late %s for %s", self.label, event.msg.msg_type, event.request_id)
        if self.on_late_reply is not None:
            self.on_late_reply(event.msg)

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
        return self.session.outstanding("execute_request")

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
        msg = self.session.message(msg_type, content, parent=parent, metadata=metadata, buffers=buffers)
        await self.transport.send(channel, msg)
        return msg

    def _check_usable(self, *, stopping: bool = False) -> None:
        if self.restarting and not stopping:
            raise KernelRestarting(f"kernel {self.label} is restarting: send the request again when it is idle")
        if self.dead_reason is not None:
            raise KernelDied(self.dead_reason)

    async def request(
        self,
        channel: Channel,
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
        private: bool = False,
        stopping: bool = False,
    ) -> Message:
        """Send a request and return its reply; with ``wait_idle``, also let its iopub settle.

        A ``private`` request is the bridge's own business (a variables query): its iopub
        is not shown to the listeners of every message (the output sidecar), though a
        kernel may still broadcast it to its other clients. A ``stopping`` request is the
        one the bridge makes to stop the kernel (its shutdown_request): a restart refuses
        every other request, but it must still be able to ask the kernel to stop cleanly.

        Raises KernelDied if the kernel dies (or is already dead), KernelRestarting while
        it is being replaced by a restart, KernelTimeout after ``timeout`` seconds without
        a reply, RequestDropped when the kernel will not answer (kernels/session.py).
        """
        if self._in_flight.get(channel, 0) >= MAX_IN_FLIGHT or self._room_line.get(channel):
            await self._wait_for_room(channel)
        self._check_usable(stopping=stopping)
        msg = self.session.request(
            channel, msg_type, content, now=trio.current_time(), settle=wait_idle, metadata=metadata, buffers=buffers
        )
        request_id = msg.msg_id
        pending = Pending(msg, on_iopub, on_input)
        self._pending[request_id] = pending
        if private:
            self._private.add(request_id)
        if on_pending is not None:
            on_pending(pending)
        self._poke_timer()
        self._in_flight[channel] = self._in_flight.get(channel, 0) + 1
        try:
            await self.transport.send(channel, msg)
            if wait_idle and timeout is None:
                # settled comes after the reply (or with a failure): one wake-up, not two
                await pending.settled.wait()
            else:
                with trio.fail_after(timeout) if timeout is not None else nullcontext():
                    await pending.replied.wait()
                if wait_idle and pending.error is None:
                    await pending.settled.wait()
            if pending.error is not None:
                raise pending.error
            assert pending.reply is not None
            return pending.reply
        except trio.TooSlowError:
            raise KernelTimeout(f"kernel {self.label} did not answer {msg_type} within {timeout:g} s") from None
        finally:
            del self._pending[request_id]
            self._private.discard(request_id)
            self.session.forget(request_id)
            self._in_flight[channel] -= 1
            self._room_freed.set()

    async def _wait_for_room(self, channel: Channel) -> None:
        """Wait, in line, until the kernel has fewer than MAX_IN_FLIGHT of our requests on
        ``channel`` (or is unusable: the caller finds out)."""
        line = self._room_line.setdefault(channel, SendLine())
        async with line.turn():
            while self._in_flight.get(channel, 0) >= MAX_IN_FLIGHT and self.dead_reason is None:
                if self._room_freed.is_set():
                    self._room_freed = trio.Event()
                await self._room_freed.wait()

    async def wait_ready(self, timeout: float, *, gone: trio.Event | None = None) -> dict[str, Any]:
        """Probe with kernel_info until shell answers *and* iopub delivers its status.

        A SUB socket misses what is published before its subscription lands, so the
        first execute must not go out until iopub is proven to reach us. A kernel whose
        messages arrive but cannot be read fails within seconds, saying why, instead of
        waiting out ``timeout``.
        """
        deadline = trio.current_time() + timeout
        while True:
            if gone is not None and gone.is_set():
                raise KernelDied("kernel process exited during start-up")
            self._check_readable()
            remaining = deadline - trio.current_time()
            if remaining <= 0:
                raise KernelTimeout(
                    f"kernel {self.label} did not become ready within {timeout:g} s{self._unreadable_hint()}"
                )
            msg = self.session.request("shell", "kernel_info_request", {}, now=trio.current_time(), expects_reply=False)
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
                    if self.session.iopub_seen(msg.msg_id) and pending.reply is not None:
                        await self.transport.wait_connected()
                        self.kernel_info = pending.reply.content
                        if self.session.execution_state == "starting":
                            self._set_state("idle")
                        return self.kernel_info
            finally:
                del self._pending[msg.msg_id]
                self.session.forget(msg.msg_id)

    def _check_readable(self) -> None:
        """Messages arrived and none could be read: a wrong key, or a kernel speaking
        something else. Waiting longer would only hide the reason."""
        if self.session.rejected >= UNREADABLE_AFTER and self.session.accepted == 0:
            raise KernelTimeout(f"kernel {self.label} is not ready{self._unreadable_hint()}")

    def _unreadable_hint(self) -> str:
        session = self.session
        if not session.rejected:
            return ""
        hint = (
            f": it sent {session.rejected} messages kernel-bridge could not read ({session.accepted} it could);"
            f" the first {session.first_rejection}"
        )
        if "BadSignature" in str(session.first_rejection):
            hint += " (check the connection file's key and signature_scheme)"
        return hint
