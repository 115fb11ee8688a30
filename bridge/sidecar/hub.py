"""What a sidecar shows, with no I/O: a kernel's iopub messages become page events, a
bounded history lets a page opened late see recent outputs, and every open page gets a
bounded queue that drops its oldest events when the page falls behind.

The kernel side never waits on a page: ``SidecarHub.publish`` is synchronous, called from
the iopub reader (``KernelConnection.iopub_listeners``); it encodes the event once and
appends it to each page's queue. A page that does not read loses its oldest events (and
is told how many), it never makes the bridge grow. Everything here is bounded by count and
by characters (events are JSON text, ASCII for the big ones: base64 images).

Events (docs/sidecar.md, "Page protocol"): ``hello``, ``status``, ``output``, ``kernel``,
``dropped``, and for widgets ``comm`` (bridge/sidecar/widgets.py). A text WebSocket frame
carries a JSON array of them; an event with binary buffers is a binary frame of its own
(bridge/sidecar/frames.py).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import trio

from bridge.sidecar.prompts import Prompts
from bridge.sidecar.widgets import (
    COMM_TYPES,
    KernelLink,
    StateUpdate,
    WidgetComms,
    comm_event,
    encode_comm,
)
from bridge.widget_state import is_mergeable_update
from bridge.wire import Message

log = logging.getLogger(__name__)

# iopub message types a page shows (status only moves its busy/idle indicator)
OUTPUT_TYPES = frozenset(
    {"stream", "display_data", "update_display_data", "execute_result", "error", "clear_output", "execute_input"}
)

HISTORY_MAX_EVENTS = 500
HISTORY_MAX_CHARS = 24 * 1024 * 1024
# above the history's bounds, so that a new page gets all of it (the strings are shared)
QUEUE_MAX_EVENTS = 2000
QUEUE_MAX_CHARS = 32 * 1024 * 1024
# one output larger than this (a 10 MB PNG, a huge DataFrame as HTML) is replaced by a note
EVENT_MAX_CHARS = 8 * 1024 * 1024
# consecutive stream text of one request is merged in the history up to this size
STREAM_MERGE_CHARS = 64 * 1024
BATCH_MAX_CHARS = 1024 * 1024


def encode(event: dict[str, Any]) -> str:
    # allow_nan=False: a page's JSON.parse refuses NaN
    return json.dumps(event, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def event_from_iopub(msg: Message, origin: str | None = None) -> dict[str, Any] | None:
    """The page event for one iopub message, or None if pages do not show it.

    ``origin`` is ``"editor"`` (a request of the bridge that serves the page) or
    ``"other"`` (another client of the kernel), or None when unknown (standalone).
    """
    msg_type = msg.msg_type
    if msg_type == "status":
        state = msg.content.get("execution_state")
        # parentId: the page's widgets wait for the idle of each message they send
        return (
            {"type": "status", "executionState": state, "parentId": msg.parent_id} if isinstance(state, str) else None
        )
    if msg_type not in OUTPUT_TYPES:
        return None
    session = msg.parent_header.get("session")
    event: dict[str, Any] = {
        "type": "output",
        "msgType": msg_type,
        "parentId": msg.parent_id,
        "session": session[:8] if isinstance(session, str) else None,
        "content": msg.content,
    }
    if origin is not None:
        event["origin"] = origin
    return event


def display_id(event: dict[str, Any]) -> str | None:
    transient = event.get("content", {}).get("transient")
    if isinstance(transient, dict) and isinstance(transient.get("display_id"), str):
        return str(transient["display_id"])
    return None


def omitted(event: dict[str, Any], size: int) -> dict[str, Any]:
    """What stands in for an output too large for a page."""
    data = event.get("content", {}).get("data")
    return {
        "type": "output",
        "msgType": "omitted",
        "parentId": event.get("parentId"),
        "session": event.get("session"),
        "origin": event.get("origin"),
        "content": {
            "chars": size,
            "of": event.get("msgType"),
            "mimeTypes": sorted(data) if isinstance(data, dict) else [],
        },
    }


@dataclass
class _Entry:
    event: dict[str, Any]
    text: str | None  # the encoded event; None when it changed since (re-encoded on demand)
    size: int
    stream_parts: list[str] = field(default_factory=list)  # stream text not yet folded into event

    @property
    def parent(self) -> str | None:
        return self.event.get("parentId")

    @property
    def msg_type(self) -> str | None:
        return self.event.get("msgType")

    def encoded(self) -> str:
        if self.stream_parts:
            content = dict(self.event["content"])
            content["text"] = content.get("text", "") + "".join(self.stream_parts)
            self.event = {**self.event, "content": content}
            self.stream_parts = []
            self.text = None
        if self.text is None:
            self.text = encode(self.event)
        return self.text


class History:
    """The recent events a page opened late is shown, bounded by count and characters.

    It keeps what a page would display rather than every message: ``clear_output`` drops
    the request's earlier outputs (at once, or with the next output when ``wait`` is set),
    ``update_display_data`` rewrites the stored display in place, and consecutive stream
    text of one request is merged, so a progress bar or a print loop does not push
    everything else out.
    """

    def __init__(self, max_events: int = HISTORY_MAX_EVENTS, max_chars: int = HISTORY_MAX_CHARS) -> None:
        self.max_events = max_events
        self.max_chars = max_chars
        self._entries: deque[_Entry] = deque()
        self._chars = 0
        self._clear_pending: set[str | None] = set()
        self.evicted = 0  # outputs pushed out by the bounds, for the page's notice

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def chars(self) -> int:
        return self._chars

    def add(self, event: dict[str, Any], text: str) -> None:
        if event.get("type") != "output":
            if event.get("type") == "kernel":
                self._append(_Entry(event, text, len(text)))
            return
        msg_type = event.get("msgType")
        parent = event.get("parentId")
        if msg_type == "clear_output":
            if event["content"].get("wait"):
                self._clear_pending.add(parent)
            else:
                self._clear(parent)
            return
        if msg_type == "update_display_data":
            self._update_display(event)
            return
        if msg_type != "execute_input" and parent in self._clear_pending:
            self._clear(parent)
        if msg_type == "stream" and self._merge_stream(event, text):
            return
        self._append(_Entry(event, text, len(text)))

    def snapshot(self) -> list[str]:
        return [entry.encoded() for entry in self._entries]

    def _append(self, entry: _Entry) -> None:
        self._entries.append(entry)
        self._chars += entry.size
        while len(self._entries) > 1 and (len(self._entries) > self.max_events or self._chars > self.max_chars):
            old = self._entries.popleft()
            self._chars -= old.size
            self.evicted += 1

    def _clear(self, parent: str | None) -> None:
        self._clear_pending.discard(parent)
        kept: deque[_Entry] = deque()
        for entry in self._entries:
            if (
                entry.parent == parent
                and entry.msg_type not in ("execute_input", None)
                and entry.event.get("type") == "output"
            ):
                self._chars -= entry.size
            else:
                kept.append(entry)
        self._entries = kept

    def _merge_stream(self, event: dict[str, Any], text: str) -> bool:
        if not self._entries:
            return False
        last = self._entries[-1]
        name = event["content"].get("name")
        piece = event["content"].get("text")
        if (
            last.msg_type != "stream"
            or last.parent != event.get("parentId")
            or last.event["content"].get("name") != name
            or not isinstance(piece, str)
            or last.size + len(piece) > STREAM_MERGE_CHARS
        ):
            return False
        last.stream_parts.append(piece)
        last.text = None
        last.size += len(piece)
        self._chars += len(piece)
        return True

    def _update_display(self, event: dict[str, Any]) -> None:
        target = display_id(event)
        if target is None:
            return
        content = event["content"]
        for entry in self._entries:
            if entry.event.get("type") == "output" and display_id(entry.event) == target:
                new_content = {
                    **entry.event["content"],
                    "data": content.get("data", {}),
                    "metadata": content.get("metadata", {}),
                }
                entry.encoded()  # fold pending parts before replacing the event
                entry.event = {**entry.event, "content": new_content}
                entry.text = encode(entry.event)
                self._chars += len(entry.text) - entry.size
                entry.size = len(entry.text)


class _Slot:
    """A state update in one page's queue, which the same model's next updates merge into."""

    __slots__ = ("update",)

    def __init__(self, update: StateUpdate) -> None:
        self.update = update


QueueItem = str | bytes | _Slot


def _size(item: QueueItem) -> int:
    return item.update.size if isinstance(item, _Slot) else len(item)


class Subscriber:
    """One open page: a queue of encoded events that never blocks the producer.

    Over its bounds the oldest events are dropped and counted; the page is told with a
    ``dropped`` event before the next ones it gets. A widget's state update merges into the
    same model's update (of the same request) still queued, if nothing but updates came since
    (bridge/sidecar/widgets.py): a flood of updates costs a slow page one entry per model.
    """

    def __init__(self, max_events: int = QUEUE_MAX_EVENTS, max_chars: int = QUEUE_MAX_CHARS) -> None:
        self.max_events = max_events
        self.max_chars = max_chars
        self._items: deque[QueueItem] = deque()
        self._chars = 0
        # (comm_id, parent) -> its update, while nothing but other updates came since
        self._mergeable: dict[tuple[str, str | None], _Slot] = {}
        self.dropped = 0
        self.merged = 0  # updates merged into a queued one (for tests and benchmarks)
        self.closed = False
        self._wake = trio.Event()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def chars(self) -> int:
        return self._chars

    def push(self, frame: str | bytes) -> None:
        """An event (JSON text) or a binary frame; updates queued before it merge no more."""
        if self.closed:
            return
        self._mergeable.clear()
        self._append(frame)

    def push_update(self, update: StateUpdate) -> None:
        if self.closed:
            return
        slot = self._mergeable.get(update.key)
        if slot is None:
            slot = self._mergeable[update.key] = _Slot(update)
            self._append(slot)
            return
        merged = slot.update.merged(update, encode)
        self._chars += merged.size - slot.update.size
        slot.update = merged
        self.merged += 1
        self._bound()

    def _append(self, item: QueueItem) -> None:
        self._items.append(item)
        self._chars += _size(item)
        self._bound()
        self._wake.set()

    def _bound(self) -> None:
        while len(self._items) > 1 and (len(self._items) > self.max_events or self._chars > self.max_chars):
            self._forget(self._items.popleft())
            self.dropped += 1

    def _forget(self, item: QueueItem) -> None:
        self._chars -= _size(item)
        if isinstance(item, _Slot) and self._mergeable.get(item.update.key) is item:
            del self._mergeable[item.update.key]

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    def take_batch(self, max_chars: int = BATCH_MAX_CHARS) -> list[str | bytes]:
        """What is queued now (at least one event, at most about ``max_chars``): JSON texts
        (one text frame together) and binary frames."""
        batch: list[str | bytes] = []
        if self.dropped:
            batch.append(encode({"type": "dropped", "count": self.dropped}))
            self.dropped = 0
        size = 0
        while self._items and (not batch or size + _size(self._items[0]) <= max_chars):
            item = self._items.popleft()
            self._forget(item)
            frame = item.update.frame if isinstance(item, _Slot) else item
            size += len(frame)
            batch.append(frame)
        return batch

    async def next_batch(self, max_chars: int = BATCH_MAX_CHARS) -> list[str | bytes]:
        """Wait for events; an empty list once the subscriber is closed."""
        while not self._items and not self.dropped:
            if self.closed:
                return []
            await self._wake.wait()
            self._wake = trio.Event()
        return self.take_batch(max_chars)


class SidecarHub:
    """One kernel's outputs for any number of pages: history plus one queue per page.

    With a ``link`` to the kernel (a bridge's sidecar), pages also get the messages of the
    kernel's widget comms, and may send comm messages back (bridge/sidecar/widgets.py);
    those are live only: the history keeps no comm traffic (a page opened late asks the
    kernel for the widgets' state instead).
    """

    def __init__(
        self,
        label: str,
        *,
        kernel_id: str | None = None,
        history: History | None = None,
        queue_max_events: int = QUEUE_MAX_EVENTS,
        queue_max_chars: int = QUEUE_MAX_CHARS,
        link: KernelLink | None = None,
    ) -> None:
        self.label = label
        self.kernel_id = kernel_id
        self.history = history if history is not None else History()
        self.execution_state = "unknown"
        self.queue_max_events = queue_max_events
        self.queue_max_chars = queue_max_chars
        self.link = link
        self.widget_comms = WidgetComms()
        self._subscribers: set[Subscriber] = set()
        self.prompts = Prompts()  # input() prompts a page may answer (bridge/sidecar/prompts.py)

    @property
    def subscribers(self) -> frozenset[Subscriber]:
        """The open pages' queues."""
        return frozenset(self._subscribers)

    def publish_iopub(self, msg: Message, origin: str | None = None) -> None:
        """An iopub listener: never raises, never waits (the kernel's reader calls it)."""
        try:
            if msg.msg_type in COMM_TYPES:
                if self.link is not None:
                    self.publish_comm(msg)
                return
            event = event_from_iopub(msg, origin)
            if event is not None:
                self.publish(event)
        except Exception:
            log.exception("sidecar %s: dropped an iopub message it could not handle (%s)", self.label, msg.msg_type)

    def publish(self, event: dict[str, Any]) -> None:
        if event.get("type") == "status":
            self.execution_state = str(event.get("executionState"))
        try:
            text = encode(event)
        except (TypeError, ValueError) as exc:
            log.debug("sidecar %s: an event that is not JSON was dropped: %s", self.label, exc)
            return
        if len(text) > EVENT_MAX_CHARS:
            event = omitted(event, len(text))
            text = encode(event)
        self.history.add(event, text)
        for subscriber in self._subscribers:
            subscriber.push(text)

    def publish_comm(self, msg: Message) -> None:
        """A comm message: to every page if it is about a widget (live only, no history)."""
        event = comm_event(msg, self.widget_comms)
        if event is None:
            return
        try:
            frame = encode_comm(event, msg.buffers, encode)
        except (TypeError, ValueError) as exc:
            log.debug("sidecar %s: a comm message that is not JSON was dropped: %s", self.label, exc)
            return
        if is_mergeable_update(event["msgType"], event["data"], len(msg.buffers)):
            update = StateUpdate(event["commId"], event, list(msg.buffers), frame)
            for subscriber in self._subscribers:
                subscriber.push_update(update)
        else:
            for subscriber in self._subscribers:
                subscriber.push(frame)

    def answer(self, subscriber: Subscriber, event: dict[str, Any]) -> None:
        """An event for one page only (the answer to what it sent)."""
        subscriber.push(encode(event))

    def kernel_event(self, what: str, **fields: Any) -> None:
        """``restarted`` or ``dead`` (with a ``reason``): a divider on the page."""
        if what == "dead":
            self.execution_state = "dead"
        self.widget_comms.clear()  # the kernel's widgets are gone with it
        self.publish({"type": "kernel", "event": what, **fields})

    def ask(self, prompt: str, password: bool, parent_id: str | None, on_answer: Any) -> str:
        """Show an input prompt on every page (and pages opened later, until it closes);
        ``on_answer(value)`` gets a page's answer. Returns the prompt's id."""
        event = self.prompts.open(prompt, password, parent_id, on_answer)
        self._broadcast(event)
        return str(event["id"])

    def close_prompt(self, prompt_id: str, answered: bool) -> None:
        event = self.prompts.close(prompt_id, answered)
        if event is not None:
            self._broadcast(event)

    def _broadcast(self, event: dict[str, Any]) -> None:
        """To the open pages only: prompts are not history (open ones are sent on subscribe)."""
        text = encode(event)
        for subscriber in self._subscribers:
            subscriber.push(text)

    def set_state(self, state: str) -> None:
        if state != self.execution_state:
            self.publish({"type": "status", "executionState": state})

    def hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "label": self.label,
            "kernelId": self.kernel_id,
            "executionState": self.execution_state,
            "evicted": self.history.evicted,
            "widgets": self.link is not None,
        }

    def subscribe(self) -> Subscriber:
        """A new page: it gets ``hello``, then the history, then everything live, in order
        (nothing awaits in between, so nothing is lost or doubled)."""
        subscriber = Subscriber(self.queue_max_events, self.queue_max_chars)
        subscriber.push(encode(self.hello()))
        for text in self.history.snapshot():
            subscriber.push(text)
        for event in self.prompts.events():
            subscriber.push(encode(event))
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        self._subscribers.discard(subscriber)

    def close(self) -> None:
        for subscriber in list(self._subscribers):
            self.unsubscribe(subscriber)
