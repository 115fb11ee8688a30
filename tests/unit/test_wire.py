"""The wire core over bytes: no kernel, no sockets."""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import random

import pytest
from jupyter_client.session import Session

from bridge.wire import (
    DELIMITER,
    BadSignature,
    MalformedMessage,
    Message,
    MessageFactory,
    ReplayedMessage,
    ReplayGuard,
    Signer,
    deserialize,
    serialize,
)

KEY = b"0123456789abcdef0123456789abcdef"


def build(msg_type: str = "execute_request", **content: object) -> Message:
    return MessageFactory(session="s1", username="u").build(msg_type, dict(content) or {"code": "1+1"})


def test_header_carries_the_spec_fields() -> None:
    msg = build()
    assert set(msg.header) == {"msg_id", "session", "username", "date", "msg_type", "version"}
    assert msg.header["version"] == "5.3"
    assert msg.header["date"].endswith("Z")
    assert msg.parent_header == {}


def test_msg_ids_are_unique_within_and_across_sessions() -> None:
    a, b = MessageFactory(), MessageFactory()
    ids = {a.new_msg_id() for _ in range(1000)} | {b.new_msg_id() for _ in range(1000)}
    assert len(ids) == 2000


def test_reply_parent_header_is_the_request_header() -> None:
    req = build()
    reply = MessageFactory().build("execute_reply", {"status": "ok"}, parent=req)
    assert reply.parent_header == req.header
    assert reply.parent_id == req.msg_id


def test_serialize_layout_idents_delimiter_signature_frames_buffers() -> None:
    msg = build()
    msg.idents = [b"id1", b"id2"]
    msg.buffers = [b"\x00\x01binary"]
    parts = serialize(msg, Signer(KEY))
    assert parts[:3] == [b"id1", b"id2", DELIMITER]
    frames = parts[4:8]
    assert parts[3] == hmac.new(KEY, b"".join(frames), hashlib.sha256).hexdigest().encode()
    assert json.loads(frames[0]) == msg.header
    assert parts[8:] == [b"\x00\x01binary"]


def test_round_trip_keeps_everything() -> None:
    msg = build(code="print('héllo ✓')")
    msg.idents = [b"x"]
    msg.buffers = [b"a", b"b"]
    back = deserialize(serialize(msg, Signer(KEY)), Signer(KEY))
    assert back == msg


def test_json_is_utf8_not_ascii_escaped() -> None:
    parts = serialize(build(code="ü"), Signer(KEY))
    assert "ü".encode() in parts[-1]


def test_jupyter_client_accepts_our_bytes() -> None:
    msg = build(code="x = 1")
    session = Session(key=KEY, signature_scheme="hmac-sha256")
    parsed = session.deserialize(serialize(msg, Signer(KEY))[1:])  # Session wants no delimiter
    assert parsed["content"] == msg.content
    assert parsed["header"]["msg_id"] == msg.msg_id


def test_we_accept_jupyter_client_bytes() -> None:
    session = Session(key=KEY, signature_scheme="hmac-sha256")
    jc_msg = session.msg("kernel_info_request", {"x": [1, 2]})
    parts = session.serialize(jc_msg, ident=[b"route"])
    msg = deserialize(parts, Signer(KEY))
    assert msg.idents == [b"route"]
    assert msg.msg_type == "kernel_info_request"
    assert msg.content == {"x": [1, 2]}


def test_signatures_agree_with_jupyter_client_for_the_same_frames() -> None:
    parts = serialize(build(), Signer(KEY))
    session = Session(key=KEY)
    assert session.sign(parts[2:6]) == parts[1]


def test_sha512_scheme_is_honoured() -> None:
    signer = Signer(KEY, "hmac-sha512")
    parts = serialize(build(), signer)
    session = Session(key=KEY, signature_scheme="hmac-sha512")
    assert session.sign(parts[2:6]) == parts[1]
    with pytest.raises(BadSignature):
        deserialize(parts, Signer(KEY))


def test_unknown_scheme_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="unsupported signature scheme"):
        Signer(KEY, "rsa-sha256")
    with pytest.raises(ValueError, match="no digest"):
        Signer(KEY, "hmac-nosuchdigest")


def test_forged_signature_is_refused() -> None:
    parts = serialize(build(), Signer(KEY))
    parts[1] = b"0" * 64
    with pytest.raises(BadSignature):
        deserialize(parts, Signer(KEY))


def test_tampered_content_is_refused() -> None:
    parts = serialize(build(), Signer(KEY))
    parts[5] = b'{"code": "rm -rf /"}'
    with pytest.raises(BadSignature):
        deserialize(parts, Signer(KEY))


def test_wrong_key_is_refused() -> None:
    parts = serialize(build(), Signer(b"other key"))
    with pytest.raises(BadSignature):
        deserialize(parts, Signer(KEY))


def test_empty_key_means_unsigned() -> None:
    parts = serialize(build(), Signer(b""))
    assert parts[1] == b""
    assert deserialize(parts, Signer(b"")).msg_type == "execute_request"


def test_replayed_message_is_refused() -> None:
    parts = serialize(build(), Signer(KEY))
    guard = ReplayGuard()
    deserialize(parts, Signer(KEY), guard)
    with pytest.raises(ReplayedMessage):
        deserialize(parts, Signer(KEY), guard)


def test_replay_guard_is_bounded() -> None:
    guard = ReplayGuard(size=3)
    for sig in (b"a", b"b", b"c", b"d"):
        guard.check(sig)
    guard.check(b"a")  # forgotten: the oldest fell out
    with pytest.raises(ReplayedMessage):
        guard.check(b"d")


def test_replay_guard_forgets_exactly_the_oldest() -> None:
    """The guard's table shifts entries back when it evicts (linear probing): against a
    plain model of "the last ``size`` signatures", over many evictions and repeats."""
    rng = random.Random(18)
    size = 50
    guard = ReplayGuard(size=size)
    recent: collections.deque[bytes] = collections.deque(maxlen=size)
    pool = [hashlib.sha256(str(i).encode()).hexdigest().encode() for i in range(3 * size)]
    refused = 0
    for _ in range(20 * size):
        sig = rng.choice(pool)
        if sig in recent:
            refused += 1
            with pytest.raises(ReplayedMessage):
                guard.check(sig)
        else:
            guard.check(sig)
            recent.append(sig)
    assert len(guard) == size
    assert refused > 100  # the walk did revisit remembered signatures


@pytest.mark.parametrize(
    "parts",
    [
        [b"no", b"delimiter"],
        [DELIMITER, b"sig", b"{}", b"{}"],
        [DELIMITER, b"", b"{not json", b"{}", b"{}", b"{}"],
        [DELIMITER, b"", b"[]", b"{}", b"{}", b"{}"],
        [DELIMITER, b"", b'{"msg_id": "x"}', b"{}", b"{}", b"{}"],
        [DELIMITER, b"", b'{"msg_type": "x", "msg_id": "y"}', b"{}", b"{}", b"\xff\xfe"],
        [DELIMITER, b"", b'{"msg_type": "x", "msg_id": "y"}', b"{}", b"{}", b"3"],
    ],
)
def test_malformed_multiparts_are_refused(parts: list[bytes]) -> None:
    with pytest.raises(MalformedMessage):
        deserialize(parts, Signer(b""))


def test_signature_is_checked_before_json_is_parsed() -> None:
    parts = [DELIMITER, b"bad", b"{not json", b"{}", b"{}", b"{}"]
    with pytest.raises(BadSignature):
        deserialize(parts, Signer(KEY))


def test_nan_is_refused_when_serialising() -> None:
    with pytest.raises(ValueError):
        serialize(build(x=float("nan")), Signer(KEY))
