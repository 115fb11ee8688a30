"""Jupyter messages as plain data, and a factory that stamps headers.

Spec: jupyter_client docs/messaging.rst, "General Message Format". A message is a header,
the parent's header (empty when it has no parent), metadata, content and binary buffers.
"""

from __future__ import annotations

import getpass
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bridge.wire.errors import MalformedMessage

PROTOCOL_VERSION = "5.3"

JSONDict = dict[str, Any]


def utc_now_iso() -> str:
    """ISO 8601 timestamp with a ``Z`` suffix, the form jupyter_client writes."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class Message:
    """One Jupyter message; ``idents`` are the ZeroMQ routing prefixes (ROUTER side only)."""

    header: JSONDict
    parent_header: JSONDict = field(default_factory=dict)
    metadata: JSONDict = field(default_factory=dict)
    content: JSONDict = field(default_factory=dict)
    buffers: list[bytes] = field(default_factory=list)
    idents: list[bytes] = field(default_factory=list)

    @property
    def msg_type(self) -> str:
        return str(self.header["msg_type"])

    @property
    def msg_id(self) -> str:
        return str(self.header["msg_id"])

    @property
    def parent_id(self) -> str | None:
        parent = self.parent_header.get("msg_id")
        return None if parent is None else str(parent)


def received(
    header: Any,
    parent_header: Any,
    metadata: Any,
    content: Any,
    buffers: list[bytes],
    idents: list[bytes] | None = None,
) -> Message:
    """A message as a kernel sent it, made safe to read: liberal where jupyter_client is.

    Kernels in the wild send ``"metadata": null`` (and null parents or contents), omit
    header fields the spec calls required (``version``, ``date``, ``username``,
    ``session``), add fields of their own. None of that is unsafe, so none of it loses a
    message: null becomes ``{}`` and the rest passes as is. Refused (MalformedMessage)
    only what cannot be read at all: a part that is not a JSON object, a header without
    a string ``msg_type`` or without a ``msg_id``.
    """
    if not isinstance(header, dict):
        raise MalformedMessage(f"header is a {type(header).__name__}, not an object")
    if not isinstance(header.get("msg_type"), str) or "msg_id" not in header:
        raise MalformedMessage("header lacks msg_type or msg_id")  # jupyter_client refuses these too
    return Message(
        header,
        _object("parent_header", parent_header),
        _object("metadata", metadata),
        _object("content", content),
        buffers,
        idents if idents is not None else [],
    )


def _object(name: str, value: Any) -> JSONDict:
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    raise MalformedMessage(f"{name} is a {type(value).__name__}, not an object")


class MessageFactory:
    """Builds messages for one client session (one ``session`` id in every header).

    msg_ids are ``<session>_<n>``: unique across sessions (the session is a UUID) and
    cheaper than a UUID per message on the hot path.
    """

    def __init__(self, session: str | None = None, username: str | None = None) -> None:
        self.session = session or uuid.uuid4().hex
        self.username = username or _username()
        self._counter = itertools.count(1)

    def new_msg_id(self) -> str:
        return f"{self.session}_{next(self._counter)}"

    def header(self, msg_type: str) -> JSONDict:
        return {
            "msg_id": self.new_msg_id(),
            "session": self.session,
            "username": self.username,
            "date": utc_now_iso(),
            "msg_type": msg_type,
            "version": PROTOCOL_VERSION,
        }

    def build(
        self,
        msg_type: str,
        content: JSONDict | None = None,
        *,
        parent: Message | None = None,
        metadata: JSONDict | None = None,
        buffers: list[bytes] | None = None,
    ) -> Message:
        return Message(
            header=self.header(msg_type),
            parent_header=dict(parent.header) if parent is not None else {},
            metadata=metadata if metadata is not None else {},
            content=content if content is not None else {},
            buffers=list(buffers) if buffers else [],
        )


def _username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): the spec only needs a string
        return "kernel-bridge"
