"""The conversation with one kernel as pure state: messages in, events out (h11 style).

``KernelSession`` knows the rules of the Jupyter messaging protocol that are about
*conversation*, not bytes: which request a reply or an output belongs to, when a request
is running, settled or dropped, which prompt belongs to whom, what a 4.x kernel needs.
It does no I/O and never sleeps: messages go in with ``receive(channel, msg, now)``,
events come out as small frozen objects, and time leaves as ``next_deadline()`` for the
driver (``kernels/connection.py``) to wake ``tick(now)`` at. Every rule is a unit test
over recorded message sequences (tests/unit/test_session.py).

The rules, and why:

- **Replies are per channel and in request order.** A kernel handles shell (and control)
  requests one at a time, so a reply to a later request proves every earlier request on
  that channel unanswered was dropped (kernels drop request types they do not handle,
  and ipykernel drops one when a SIGINT lands in its own dispatch code). Under a backlog
  a kernel's shell replies trail its iopub ``idle`` by seconds (6.5 s measured with
  2,000 queued executes), so an ``idle`` alone proves nothing.
- **A request nothing follows still ends.** When a request is the oldest unanswered on
  its channel, went idle and the kernel is idle, its reply is next in the kernel's queue:
  ``DROP_AFTER_IDLE_SECONDS`` after the last of these became true (the previous reply on
  its channel included) it is dropped. A kernel that publishes nothing for a
  request (no busy, no idle) gets ``DROP_AFTER_SILENCE_SECONDS`` of total silence while
  idle. A request that is running (busy, no idle) never ends this way.
- **A reply that arrives late is still delivered** (``LateReply``), never thrown away.
- **Settling**: after its reply an execute's outputs end with its ``idle``. Kernels drop
  iopub under load, idle included, and under a backlog iopub trails the shell reply by
  seconds (ipykernel publishes from its own thread). iopub is one ordered stream, so a
  later request of ours going ``busy`` proves the earlier ones' outputs are over; failing
  that, a request is settled once the *whole* iopub stream has been quiet
  ``IDLE_GRACE_SECONDS`` after its reply (its own quiet proves nothing while the
  stream is still delivering the outputs of the requests before it).
"""

from __future__ import annotations

import enum
import logging
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from bridge.wire import Message, MessageFactory
from bridge.wire.adapt import from_v4, speaks_v4, to_v4

log = logging.getLogger(__name__)

Channel = Literal["shell", "control", "stdin", "iopub"]
REQUEST_CHANNELS: tuple[Channel, ...] = ("shell", "control")
COMM_TYPES = frozenset({"comm_open", "comm_msg", "comm_close"})

IDLE_GRACE_SECONDS = 1.0
DROP_AFTER_IDLE_SECONDS = 5.0
DROP_AFTER_SILENCE_SECONDS = 30.0
# replies to requests the driver gave up on, kept to deliver a late reply (bounded)
LATE_REPLY_MEMORY = 1024


# -- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply to one of our requests (``request_id`` is its msg_id)."""

    request_id: str
    msg: Message


@dataclass(frozen=True, slots=True)
class LateReply:
    """A reply to a request already given up on (dropped, timed out, cancelled)."""

    request_id: str
    msg: Message


@dataclass(frozen=True, slots=True)
class Output:
    """An iopub message caused by one of our requests (not its status, not a comm)."""

    request_id: str
    msg: Message


@dataclass(frozen=True, slots=True)
class Started:
    """The kernel said ``busy`` for the request: it is running, no longer queued."""

    request_id: str


@dataclass(frozen=True, slots=True)
class Idle:
    request_id: str


@dataclass(frozen=True, slots=True)
class Settled:
    """A request's reply is in and its outputs are over (idle, or quiet long enough)."""

    request_id: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """The kernel will not answer the request; ``reason`` says how we know."""

    request_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class InputRequested:
    """An input_request; ``request_id`` is the execute that asked, None if not ours."""

    request_id: str | None
    msg: Message


@dataclass(frozen=True, slots=True)
class Comm:
    msg: Message


@dataclass(frozen=True, slots=True)
class Foreign:
    """iopub traffic another client (or nobody we know) caused."""

    msg: Message


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: str


@dataclass(frozen=True, slots=True)
class ServerReportsDead:
    """Only a kernel's server says ``dead`` (Jupyter Server, when its restarter gave up)."""


@dataclass(frozen=True, slots=True)
class ServerRestarted:
    """The kernel's server restarted a kernel that died: nothing pending will be answered."""


Event = (
    Reply
    | LateReply
    | Output
    | Started
    | Idle
    | Settled
    | Dropped
    | InputRequested
    | Comm
    | Foreign
    | StateChanged
    | ServerReportsDead
    | ServerRestarted
)


# -- request state -----------------------------------------------------------------------


class Answer(enum.Enum):
    AWAITING = "awaiting"
    REPLIED = "replied"
    DROPPED = "dropped"


class Run(enum.Enum):
    QUEUED = "queued"  # sent; the kernel has not said busy for it
    RUNNING = "running"  # busy seen
    IDLE = "idle"  # idle seen: its outputs are over


class Request:
    """One request of ours in flight, as the session sees it."""

    __slots__ = (
        "msg",
        "channel",
        "seq",
        "expects_reply",
        "settle",
        "answer",
        "run",
        "sent_at",
        "idle_at",
        "reply_at",
        "last_iopub_at",
        "settled",
    )

    def __init__(
        self, msg: Message, channel: Channel, seq: int, now: float, *, expects_reply: bool, settle: bool
    ) -> None:
        self.msg = msg
        self.channel = channel
        self.seq = seq
        self.expects_reply = expects_reply  # a user's request: dropped rules apply to it
        self.settle = settle  # report Settled once its outputs are over
        self.answer = Answer.AWAITING
        self.run = Run.QUEUED
        self.sent_at = now
        self.idle_at: float | None = None
        self.reply_at: float | None = None
        self.last_iopub_at: float | None = None
        self.settled = False

    @property
    def iopub_seen(self) -> bool:
        return self.last_iopub_at is not None


class KernelSession:
    """What one client knows of its conversation with one kernel."""

    def __init__(self, factory: MessageFactory | None = None, *, label: str = "kernel") -> None:
        self.factory = factory or MessageFactory()
        self.label = label
        self.execution_state = "starting"
        self.protocol_v4 = False
        self._requests: dict[str, Request] = {}
        self._seq = 0
        # msg_id -> request given up on, so that its reply, if it comes, is still delivered
        self._given_up: OrderedDict[str, Request] = OrderedDict()
        self._idle_since: float | None = None  # kernel idle (any client) since
        self._last_heard: float = 0.0  # any valid message from the kernel
        self._last_iopub_at: float = 0.0
        # per request channel, our requests whose idle has not been seen, in send order
        self._not_idle: dict[str, deque[Request]] = {}
        # replied, waiting to settle: the only requests with a settle deadline
        self._settling: dict[str, Request] = {}
        # per request channel, when its last reply came: the next request became the
        # head of the line then, and only from then on is its reply overdue
        self._last_reply_at: dict[str, float] = {}
        self.accepted = 0
        self.rejected = 0
        self.first_rejection: str | None = None

    # -- what we send --------------------------------------------------------------------

    def request(
        self,
        channel: Channel,
        msg_type: str,
        content: dict[str, Any],
        *,
        now: float,
        expects_reply: bool = True,
        settle: bool = False,
        metadata: dict[str, Any] | None = None,
        buffers: list[bytes] | None = None,
    ) -> Message:
        """A new request: track it, and return the message to write on ``channel``.

        ``expects_reply=False`` is for our own probes: tracked, never reported dropped."""
        msg = self.factory.build(msg_type, content, metadata=metadata, buffers=buffers)
        self._seq += 1
        req = Request(msg, channel, self._seq, now, expects_reply=expects_reply, settle=settle)
        self._requests[msg.msg_id] = req
        self._not_idle.setdefault(channel, deque()).append(req)
        return self.wire_form(msg)

    def message(
        self,
        msg_type: str,
        content: dict[str, Any],
        *,
        parent: Message | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[bytes] | None = None,
    ) -> Message:
        """A message that expects no reply (input_reply, comm messages)."""
        return self.wire_form(self.factory.build(msg_type, content, parent=parent, metadata=metadata, buffers=buffers))

    def wire_form(self, msg: Message) -> Message:
        return to_v4(msg) if self.protocol_v4 else msg

    def forget(self, request_id: str) -> None:
        """The driver is done with a request. If it never got its reply, the reply may
        still come: remember it (bounded) so it is delivered as a LateReply."""
        req = self._requests.pop(request_id, None)
        self._settling.pop(request_id, None)
        if req is not None and req.expects_reply and req.answer is not Answer.REPLIED:
            self._given_up[request_id] = req
            while len(self._given_up) > LATE_REPLY_MEMORY:
                self._given_up.popitem(last=False)

    def outstanding(self, msg_type: str | None = None) -> int:
        return sum(1 for r in self._requests.values() if msg_type is None or r.msg.msg_type == msg_type)

    def iopub_seen(self, request_id: str) -> bool:
        req = self._requests.get(request_id)
        return req is not None and req.iopub_seen

    # -- what the kernel sends -------------------------------------------------------------

    def reject(self, channel: str, reason: str) -> None:
        """A message that arrived but could not be read (bad signature, malformed…)."""
        self.rejected += 1
        if self.first_rejection is None:
            self.first_rejection = f"on {channel}: {reason}"

    def receive(self, channel: str, msg: Message, now: float) -> list[Event]:
        """One valid message from the kernel on ``channel``; the events it causes."""
        self.accepted += 1
        self._last_heard = now
        if self.protocol_v4 or (msg.msg_type == "kernel_info_reply" and speaks_v4(msg)):
            req = self._requests.get(msg.parent_id or "")
            try:
                msg = from_v4(msg, req.msg if req else None)
            except (KeyError, TypeError, ValueError) as exc:
                log.debug("kernel %s: dropped a 4.x message that does not adapt: %s", self.label, exc)
                return []
        if channel == "iopub":
            return self._on_iopub(msg, now)
        if channel == "stdin":
            if msg.msg_type != "input_request":
                return []
            req = self._requests.get(msg.parent_id or "")
            return [InputRequested(req.msg.msg_id if req is not None else None, msg)]
        if channel in REQUEST_CHANNELS:
            return self._on_reply(channel, msg, now)
        log.debug("kernel %s: message on unknown channel %r dropped", self.label, channel)
        return []

    def _on_reply(self, channel: str, msg: Message, now: float) -> list[Event]:
        parent = msg.parent_id or ""
        req = self._requests.get(parent)
        if req is None or req.channel != channel:
            late = self._given_up.pop(parent, None)
            if late is not None:
                return [LateReply(parent, msg)]
            log.debug("kernel %s: %s reply to an unknown request (%s)", self.label, channel, msg.msg_type)
            return []
        if msg.msg_type == "kernel_info_reply":
            self.protocol_v4 = speaks_v4(msg)
        if req.answer is Answer.DROPPED:
            return [LateReply(parent, msg)]
        if req.answer is Answer.REPLIED:
            log.debug("kernel %s: second reply to %s ignored", self.label, parent)
            return []
        events: list[Event] = []
        # replies come in request order: what was sent before on this channel and is
        # still unanswered, the kernel dropped
        for earlier in self._requests.values():  # in send order: stop at this request
            if earlier.seq >= req.seq:
                break
            if earlier.channel == channel and earlier.answer is Answer.AWAITING:
                earlier.answer = Answer.DROPPED
                if earlier.expects_reply:
                    how = f"replied to a later {req.msg.msg_type} but never to {earlier.msg.msg_type}"
                    events.append(Dropped(earlier.msg.msg_id, self._dropped_reason(how)))
        req.answer = Answer.REPLIED
        req.reply_at = now
        self._last_reply_at[channel] = now
        if req.settle and req.run is not Run.IDLE:
            self._settling[parent] = req
        events.append(Reply(parent, msg))
        events.extend(self._settle_if_done(req))
        return events

    def _on_iopub(self, msg: Message, now: float) -> list[Event]:
        events: list[Event] = []
        self._last_iopub_at = now
        is_status = msg.msg_type == "status"
        state = msg.content.get("execution_state") if is_status else None
        if is_status and isinstance(state, str):
            if state == "dead":
                return [ServerReportsDead()]
            if state == "restarting" and not msg.parent_header:
                events.append(ServerRestarted())
            if state != self.execution_state:
                self.execution_state = state
                events.append(StateChanged(state))
            self._idle_since = now if state == "idle" else None
        if msg.msg_type == "iopub_welcome":
            return events  # JEP 65: the kernel's XPUB greets each subscriber; it is no output
        req = self._requests.get(msg.parent_id or "")
        if req is None:
            if msg.msg_type in COMM_TYPES:
                events.append(Comm(msg))
            elif not is_status:
                events.append(Foreign(msg))
            return events
        req.last_iopub_at = now
        if is_status:
            if state == "idle":
                events.extend(self._went_idle(req, now))
            elif state == "busy" and req.run is Run.QUEUED:
                # iopub is ordered: what we sent before on this channel has published
                # all it will, its idle included (or that idle was dropped)
                line = self._not_idle.get(req.channel)
                while line and line[0].seq < req.seq:
                    earlier = line.popleft()
                    if earlier.run is not Run.IDLE and earlier.msg.msg_id in self._requests:
                        events.extend(self._went_idle(earlier, now))
                req.run = Run.RUNNING
                events.append(Started(req.msg.msg_id))
        elif msg.msg_type in COMM_TYPES:
            events.append(Comm(msg))
        else:
            events.append(Output(req.msg.msg_id, msg))
        return events

    def _went_idle(self, req: Request, now: float) -> list[Event]:
        req.run = Run.IDLE
        req.idle_at = now
        return [Idle(req.msg.msg_id), *self._settle_if_done(req)]

    def _settle_if_done(self, req: Request) -> list[Event]:
        if req.settle and not req.settled and req.answer is Answer.REPLIED and req.run is Run.IDLE:
            req.settled = True
            self._settling.pop(req.msg.msg_id, None)
            return [Settled(req.msg.msg_id)]
        return []

    def _dropped_reason(self, how: str) -> str:
        return (
            f"kernel {self.label} {how}: it dropped the request (kernels do this with a request type they do "
            "not handle, and ipykernel when an interrupt lands before the request runs)"
        )

    # -- time --------------------------------------------------------------------------------

    def _oldest_awaiting(self) -> Iterable[Request]:
        """Per request channel, the oldest request still awaiting its reply."""
        seen: set[str] = set()
        for req in self._requests.values():  # insertion order is send order
            if req.channel in seen or req.answer is not Answer.AWAITING:
                continue
            seen.add(req.channel)
            yield req

    def _drop_deadline(self, req: Request) -> float | None:
        if not req.expects_reply or self._idle_since is None:
            return None
        head_since = self._last_reply_at.get(req.channel, 0.0)
        if req.run is Run.IDLE and req.idle_at is not None:
            return max(req.idle_at, self._idle_since, head_since) + DROP_AFTER_IDLE_SECONDS
        if req.run is Run.QUEUED and not req.iopub_seen:
            return max(req.sent_at, self._idle_since, self._last_heard) + DROP_AFTER_SILENCE_SECONDS
        return None  # running: it may take as long as it takes

    def _settle_deadline(self, req: Request) -> float:
        assert req.reply_at is not None
        return max(req.reply_at, self._last_iopub_at) + IDLE_GRACE_SECONDS

    def next_deadline(self) -> float | None:
        """When ``tick`` next has something to do (None: nothing is timed)."""
        deadlines = [d for r in self._oldest_awaiting() if (d := self._drop_deadline(r)) is not None]
        deadlines += [self._settle_deadline(r) for r in self._settling.values()]
        return min(deadlines, default=None)

    def tick(self, now: float) -> list[Event]:
        events: list[Event] = []
        for req in list(self._oldest_awaiting()):
            deadline = self._drop_deadline(req)
            if deadline is not None and now >= deadline:
                req.answer = Answer.DROPPED
                kind = req.msg.msg_type
                how = (
                    f"went idle without replying to {kind} and stayed idle {DROP_AFTER_IDLE_SECONDS:g} s with no "
                    "earlier request of ours unanswered"
                    if req.run is Run.IDLE
                    else f"stayed idle and silent {DROP_AFTER_SILENCE_SECONDS:g} s without starting {kind}"
                )
                events.append(Dropped(req.msg.msg_id, self._dropped_reason(how)))
        for req in list(self._settling.values()):
            if now >= self._settle_deadline(req):
                log.debug("kernel %s: no idle for %s; iopub quiet, settled", self.label, req.msg.msg_id)
                req.settled = True
                del self._settling[req.msg.msg_id]
                events.append(Settled(req.msg.msg_id))
        return events
