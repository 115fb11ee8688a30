"""Multipart framing: ``[idents..., b"<IDS|MSG>", signature, header, parent, metadata,
content, buffers...]``.

JSON is encoded the way jupyter_client's ``json_packer`` does (UTF-8, no ASCII escaping,
NaN refused), so the signed bytes agree with it for the same message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bridge.wire.errors import MalformedMessage
from bridge.wire.message import Message, received
from bridge.wire.signing import ReplayGuard, Signer

DELIMITER = b"<IDS|MSG>"
_JSON_FRAMES = 4


def _no_constant(_: str) -> None:
    return None


# One decoder for every frame: ``json.loads`` with any keyword builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def loads(frame: bytes | str) -> Any:
    """JSON as kernels send it. Python reads NaN and Infinity, which are not JSON and
    would reach the editor as bare tokens a strict parser refuses: they become null.

    Frames are UTF-8 (the spec says so); decoding them ourselves skips ``json.loads``'
    encoding detection, and ``surrogatepass`` keeps its leniency for lone surrogates."""
    if not isinstance(frame, str):
        frame = bytes(frame).decode("utf-8", "surrogatepass")
    return _DECODER.decode(frame)


# one encoder for every frame, as for decoding
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def dumps(obj: Any) -> str:
    """JSON text as we send it: no NaN (not JSON), no ASCII escaping."""
    return _ENCODER.encode(obj)


def pack(obj: Any) -> bytes:
    if not obj and type(obj) is dict:
        return b"{}"  # no parent, no metadata: most messages
    return _ENCODER.encode(obj).encode("utf-8", "surrogateescape")


def serialize(msg: Message, signer: Signer) -> list[bytes]:
    frames = [pack(msg.header), pack(msg.parent_header), pack(msg.metadata), pack(msg.content)]
    return [*msg.idents, DELIMITER, signer.sign(frames), *frames, *msg.buffers]


def deserialize(
    parts: Sequence[bytes],
    signer: Signer,
    replay_guard: ReplayGuard | None = None,
    *,
    consume: bool = False,
) -> Message:
    """Parse and verify one multipart message; raise a WireError subclass if it is refused.

    The signature is checked before any JSON is parsed, so a forged message costs one HMAC.
    With ``consume=True`` (``parts`` must be a list) the list is emptied once the frames are
    decoded, so the raw bytes of a huge output are freed before its JSON is parsed: the
    peak is then two copies of the text (decoded and parsed), not three.
    """
    try:
        split = parts.index(DELIMITER)
    except ValueError:
        raise MalformedMessage("no <IDS|MSG> delimiter") from None
    idents = list(parts[:split])
    body = parts[split + 1 :]
    if len(body) < 1 + _JSON_FRAMES:
        raise MalformedMessage(f"expected at least {1 + _JSON_FRAMES} frames after the delimiter, got {len(body)}")
    signature = bytes(body[0])
    frames = [bytes(f) for f in body[1 : 1 + _JSON_FRAMES]]
    signer.verify(signature, frames)
    if replay_guard is not None:
        replay_guard.check(signature)
    buffers = [bytes(b) for b in body[1 + _JSON_FRAMES :]]
    idents = [bytes(i) for i in idents]
    try:
        texts = [bytes(f).decode("utf-8", "surrogatepass") for f in frames]
        if consume:
            del body, frames
            parts.clear()  # type: ignore[attr-defined]
        # an empty object (no parent, no metadata) is common enough to skip the decoder
        header, parent, metadata, content = ({} if t == "{}" else _DECODER.decode(t) for t in texts)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"a JSON frame does not parse: {exc}") from None
    except RecursionError:
        raise MalformedMessage("a JSON frame is nested too deeply") from None
    return received(header, parent, metadata, content, buffers, idents)
