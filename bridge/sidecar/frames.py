"""Binary WebSocket frames between the sidecar and its pages: one event or page message
that carries binary buffers (a widget's image bytes, a numpy array), without base64.

    uint32 big-endian   length of the JSON header in bytes
    JSON header         UTF-8; its ``buffers`` field lists each buffer's length
    buffers             one after the other

The page's side is sidecar-widgets/src/frames.js. Text frames stay what they were: a JSON
array of events.
"""

from __future__ import annotations

import json
import struct
from typing import Any

_LENGTH = struct.Struct(">I")


class FrameError(ValueError):
    """A binary frame that does not follow the format (from a page: it is answered, not raised)."""


def encode_frame(header: dict[str, Any], buffers: list[bytes]) -> bytes:
    head = json.dumps(
        {**header, "buffers": [len(b) for b in buffers]}, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")
    return b"".join((_LENGTH.pack(len(head)), head, *buffers))


def decode_frame(frame: bytes) -> tuple[dict[str, Any], list[bytes]]:
    if len(frame) < _LENGTH.size:
        raise FrameError("a binary frame shorter than its length prefix")
    (length,) = _LENGTH.unpack_from(frame)
    end = _LENGTH.size + length
    if end > len(frame):
        raise FrameError(f"a binary frame's header says {length} bytes; the frame has {len(frame) - _LENGTH.size}")
    try:
        header = json.loads(frame[_LENGTH.size : end].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"a binary frame's header is not JSON: {exc}") from None
    sizes = header.get("buffers") if isinstance(header, dict) else None
    if not isinstance(sizes, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes):
        raise FrameError("a binary frame's header needs buffers: a list of byte lengths")
    if end + sum(sizes) != len(frame):
        raise FrameError(f"a binary frame's buffers add up to {sum(sizes)} bytes; it carries {len(frame) - end}")
    buffers = []
    for size in sizes:
        buffers.append(frame[end : end + size])
        end += size
    del header["buffers"]
    return header, buffers
