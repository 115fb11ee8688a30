"""Jupyter widgets on the sidecar's pages, with no I/O: which comms are widgets, the page
event for each of their messages, state updates that merge while a page is behind, and
what a page may send to the kernel.

A widget is a model mirrored between the kernel and every front end over a comm (target
``jupyter.widget``): ``comm_open`` carries its first state, ``comm_msg`` ``update`` /
``echo_update`` its changes, ``custom`` anything else. A slider dragged, or a progress bar
in a loop, sends hundreds of updates a second; a page only needs the latest state of each
model, so while a page's queue is behind, an ``update`` merges into the update of the same
model and the same request still waiting there (latest value of each key wins) — unless
something else was queued since (an output, another kind of comm message): merging across it
would reorder what the page sees (an Output widget's ``msg_id`` must change before the
outputs it captures). Updates of different requests do not merge: a page matches the answer
to its ``request_state`` by its parent.

Pages send ``comm_msg`` on known widget comms, and ask which widget comms exist
(``comm_info``); they never open or close a comm in the kernel. docs/sidecar.md, "Widgets".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from bridge.sidecar.frames import FrameError, decode_frame, encode_frame
from bridge.widget_state import merge_update
from bridge.wire import Message

log = logging.getLogger(__name__)

WIDGET_TARGET = "jupyter.widget"
COMM_TYPES = frozenset({"comm_open", "comm_msg", "comm_close"})
# a kernel holds a few hundred widgets; far more means a leak in the kernel, not a reason to grow
MAX_WIDGET_COMMS = 50_000
MAX_REF_CHARS = 64
MAX_COMM_ID_CHARS = 128


class KernelLink(Protocol):
    """The kernel, as the pages of a sidecar can reach it (a bridge's sidecar has one; the
    standalone one, which sends nothing to the kernel, has none)."""

    async def send_comm_msg(
        self, comm_id: str, data: dict[str, Any], metadata: dict[str, Any], buffers: list[bytes]
    ) -> str:
        """Send a comm_msg on shell; its msg_id."""
        ...

    async def widget_comms(self) -> dict[str, Any]:
        """The kernel's ``comm_info_reply`` ``comms`` for the widget target."""
        ...


class WidgetComms:
    """The kernel's widget comms the sidecar knows of: opened while it listened, or listed by
    a ``comm_info_reply``. Only their messages reach pages, and only them can pages message."""

    def __init__(self, max_comms: int = MAX_WIDGET_COMMS) -> None:
        self.max_comms = max_comms
        self._ids: dict[str, None] = {}  # insertion-ordered: the oldest go first past the bound

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, comm_id: object) -> bool:
        return comm_id in self._ids

    def add(self, comm_ids: Iterable[str]) -> None:
        for comm_id in comm_ids:
            self._ids[comm_id] = None
        while len(self._ids) > self.max_comms:
            oldest = next(iter(self._ids))
            del self._ids[oldest]
            log.warning("sidecar: more than %d widget comms; forgetting %s", self.max_comms, oldest)

    def discard(self, comm_id: str) -> None:
        self._ids.pop(comm_id, None)

    def clear(self) -> None:
        self._ids.clear()


def comm_event(msg: Message, comms: WidgetComms) -> dict[str, Any] | None:
    """The page event for a widget comm message (updating ``comms``), or None if it is not
    about a widget. Its buffers travel beside it (``StateUpdate``/``encode_comm``)."""
    content = msg.content
    comm_id = content.get("comm_id")
    if not isinstance(comm_id, str):
        return None
    if msg.msg_type == "comm_open":
        if content.get("target_name") != WIDGET_TARGET:
            return None
        comms.add((comm_id,))
    elif comm_id not in comms:
        return None
    elif msg.msg_type == "comm_close":
        comms.discard(comm_id)
    data = content.get("data")
    event: dict[str, Any] = {
        "type": "comm",
        "msgType": msg.msg_type,
        "commId": comm_id,
        "msgId": msg.header.get("msg_id"),
        "parentId": msg.parent_id,
        "data": data if isinstance(data, dict) else {},
        "metadata": msg.metadata,
    }
    if msg.msg_type == "comm_open":
        event["targetName"] = WIDGET_TARGET
    return event


def encode_comm(event: dict[str, Any], buffers: list[bytes], encode: Any) -> str | bytes:
    """A comm event's frame: JSON text (an element of a text frame's array), or a binary
    frame when it carries buffers."""
    return encode_frame(event, buffers) if buffers else encode(event)


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """A model's ``update``, ready to queue: later ones of the same model merge into it."""

    comm_id: str
    event: dict[str, Any]
    buffers: list[bytes]
    frame: str | bytes

    @property
    def size(self) -> int:
        return len(self.frame)

    @property
    def key(self) -> tuple[str, str | None]:
        """What merges: the same model, and the same request (parent)."""
        return self.comm_id, self.event.get("parentId")

    def merged(self, later: StateUpdate, encode: Any) -> StateUpdate:
        """This update followed by ``later``: the keys ``later`` sets (in its state or as
        buffers) take its values; the others keep this one's."""
        new_data, buffers = merge_update(self.event["data"], self.buffers, later.event["data"], later.buffers)
        # the later message's ids (its parent is this one's: see ``key``)
        event = {**later.event, "data": new_data}
        return StateUpdate(self.comm_id, event, buffers, encode_comm(event, buffers, encode))


# -- what pages send ---------------------------------------------------------------------


class PageMessageError(ValueError):
    """A page message the sidecar does not take; ``ref`` is the page's, for the answer."""

    def __init__(self, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.ref = ref


@dataclass(frozen=True, slots=True)
class PageCommMsg:
    ref: str
    comm_id: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    buffers: list[bytes]


@dataclass(frozen=True, slots=True)
class PageCommInfo:
    ref: str


PageMessage = PageCommMsg | PageCommInfo


def parse_page_message(text: str | None, data: bytes | None) -> PageMessage:
    """A WebSocket message from a page: a JSON object (text frame), or a binary frame."""
    import json

    buffers: list[bytes] = []
    try:
        if data is not None:
            message, buffers = decode_frame(data)
        else:
            message = json.loads(text or "")
    except (FrameError, ValueError) as exc:
        raise PageMessageError(f"not a page message: {exc}") from None
    if not isinstance(message, dict):
        raise PageMessageError("a page message is a JSON object")
    ref = message.get("ref")
    if not isinstance(ref, str) or not ref or len(ref) > MAX_REF_CHARS:
        raise PageMessageError(f"ref: a string of 1 to {MAX_REF_CHARS} characters")
    kind = message.get("type")
    if kind == "comm_info":
        return PageCommInfo(ref)
    if kind != "comm_msg":
        raise PageMessageError(f"type: 'comm_msg' or 'comm_info', not {kind!r}", ref)
    comm_id = message.get("commId")
    if not isinstance(comm_id, str) or not comm_id or len(comm_id) > MAX_COMM_ID_CHARS:
        raise PageMessageError("commId: a widget's comm id", ref)
    body = message.get("data")
    if not isinstance(body, dict):
        raise PageMessageError("data: a JSON object", ref)
    metadata = message.get("metadata", {})
    if not isinstance(metadata, dict):
        raise PageMessageError("metadata: a JSON object", ref)
    return PageCommMsg(ref, comm_id, body, metadata, buffers)


def sent(ref: str, msg_id: str | None = None, error: str | None = None) -> dict[str, Any]:
    """The answer to a page's comm_msg: the msg_id it was sent with, or why it was not."""
    return (
        {"type": "sent", "ref": ref, "msgId": msg_id} if error is None else {"type": "sent", "ref": ref, "error": error}
    )
