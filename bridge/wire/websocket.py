"""Jupyter messages over a kernel's WebSocket (``/api/kernels/{id}/channels``), no I/O.

Two encodings (jupyter_server docs/source/developers/websocket-protocols.md):

- ``v1.kernel.websocket.jupyter.org``: one binary frame per message, ``offset_number`` then
  ``offset_number`` offsets (all 64-bit little-endian) delimiting the channel name, then the
  header, parent header, metadata and content (JSON) and the buffers. The server forwards
  the parts to the kernel as they are and signs them itself: there is no HMAC on this side.
- the legacy JSON protocol: a text frame, one JSON object with a ``channel`` key; a message
  with buffers is a binary frame (32-bit big-endian count and offsets, then the JSON, then
  the buffers).
"""

from __future__ import annotations

import struct
from typing import Any

from bridge.wire import MalformedMessage, Message
from bridge.wire.message import received
from bridge.wire.serialize import dumps, loads, pack

V1_SUBPROTOCOL = "v1.kernel.websocket.jupyter.org"
_PARTS = ("header", "parent_header", "metadata", "content")


def encode(channel: str, msg: Message, subprotocol: str | None) -> bytes | str:
    return encode_v1(channel, msg) if subprotocol == V1_SUBPROTOCOL else encode_json(channel, msg)


def decode(data: bytes | str, subprotocol: str | None) -> tuple[str, Message]:
    """Raises MalformedMessage (a WireError) for a frame that is not a message."""
    if subprotocol == V1_SUBPROTOCOL:
        if not isinstance(data, (bytes, bytearray)):
            raise MalformedMessage("a text frame on the v1 binary subprotocol")
        return decode_v1(bytes(data))
    return decode_json(data)


def encode_v1(channel: str, msg: Message) -> bytes:
    parts = [channel.encode("utf-8"), *(pack(getattr(msg, name)) for name in _PARTS), *msg.buffers]
    count = len(parts) + 1
    offsets = [8 * (1 + count)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return b"".join([count.to_bytes(8, "little"), *(o.to_bytes(8, "little") for o in offsets), *parts])


def decode_v1(data: bytes) -> tuple[str, Message]:
    if len(data) < 8:
        raise MalformedMessage("v1 frame shorter than its offset count")
    count = int.from_bytes(data[:8], "little")
    if count < 6 or len(data) < 8 * (1 + count):
        raise MalformedMessage(f"v1 frame with {count} offsets cannot hold a message")
    offsets = [int.from_bytes(data[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    if offsets != sorted(offsets) or offsets[-1] > len(data):
        raise MalformedMessage("v1 frame offsets out of order or past its end")
    parts = [data[offsets[i] : offsets[i + 1]] for i in range(count - 1)]
    try:
        channel = parts[0].decode("utf-8")
        dicts = [loads(p) for p in parts[1:5]]
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedMessage(f"v1 frame part does not parse: {exc}") from None
    return channel, _message(dicts, parts[5:])


def encode_json(channel: str, msg: Message) -> bytes | str:
    obj: dict[str, Any] = {name: getattr(msg, name) for name in _PARTS}
    obj["channel"] = channel
    if not msg.buffers:
        return dumps(obj)
    chunks = [pack(obj), *msg.buffers]
    offsets = [4 * (len(chunks) + 1)]
    for chunk in chunks[:-1]:
        offsets.append(offsets[-1] + len(chunk))
    return struct.pack(f"!{len(chunks) + 1}I", len(chunks), *offsets) + b"".join(chunks)


def decode_json(data: bytes | str) -> tuple[str, Message]:
    buffers: list[bytes] = []
    try:
        if isinstance(data, str):
            obj = loads(data)
        else:
            (count,) = struct.unpack("!I", data[:4])
            offsets = [*struct.unpack(f"!{count}I", data[4 : 4 * (count + 1)]), len(data)]
            chunks = [bytes(data[offsets[i] : offsets[i + 1]]) for i in range(count)]
            obj = loads(chunks[0])
            buffers = chunks[1:]
    except (ValueError, struct.error, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedMessage(f"JSON frame does not parse: {exc!r}") from None
    if not isinstance(obj, dict):
        raise MalformedMessage("JSON frame is not an object")
    channel = obj.get("channel")
    if not isinstance(channel, str):
        raise MalformedMessage("JSON frame has no channel")
    return channel, _message([obj.get(name, {}) for name in _PARTS], buffers)


def _message(dicts: list[Any], buffers: list[bytes]) -> Message:
    header, parent, metadata, content = dicts
    return received(header, parent, metadata, content, list(buffers))
