"""LSP base-protocol framing over bytes."""

from __future__ import annotations

import pytest

from bridge.server.dispatch import request_id_in
from bridge.server.framing import MAX_BODY_BYTES, REFUSED_KEPT_BYTES, Body, FrameReader, FramingError, frame


def events(reader: FrameReader) -> list[object]:
    out = []
    while (ev := reader.next_event()) is not None:
        out.append(ev)
    return out


def test_frame_counts_bytes_not_characters() -> None:
    body = '{"x":"é✓😀"}'.encode()
    assert frame(body) == b"Content-Length: %d\r\n\r\n" % len(body) + body
    assert len(body) > len('{"x":"é✓😀"}')


def test_one_frame_in_pieces() -> None:
    data = frame(b'{"a":1}')
    reader = FrameReader()
    got = []
    for i in range(len(data)):
        reader.feed(data[i : i + 1])
        got += events(reader)
    assert got == [Body(b'{"a":1}')]


def test_many_frames_in_one_chunk() -> None:
    reader = FrameReader()
    reader.feed(frame(b"1") + frame(b"22") + frame(b"333"))
    assert events(reader) == [Body(b"1"), Body(b"22"), Body(b"333")]


def test_other_headers_and_case_are_accepted() -> None:
    reader = FrameReader()
    reader.feed(b"content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH: 2\r\n\r\n{}")
    assert events(reader) == [Body(b"{}")]


def test_missing_content_length_is_an_error_then_resync() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Type: x\r\n\r\n" + frame(b"{}"))
    evs = events(reader)
    assert isinstance(evs[0], FramingError)
    assert evs[1:] == [Body(b"{}")]


def test_non_numeric_content_length_is_an_error_then_resync() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Length: abc\r\n\r\ngarbage" + frame(b"[1]"))
    evs = events(reader)
    assert isinstance(evs[0], FramingError) and "not a number" in evs[0].message
    assert evs[-1] == Body(b"[1]")


def test_garbage_without_headers_is_bounded() -> None:
    reader = FrameReader()
    reader.feed(b"x" * 100_000)
    evs = events(reader)
    assert len(evs) == 1 and isinstance(evs[0], FramingError)
    reader.feed(frame(b"{}"))
    assert events(reader) == [Body(b"{}")]


def test_the_body_limit_is_one_an_editor_could_mean() -> None:
    assert MAX_BODY_BYTES == 64 * 1024 * 1024


def test_oversized_body_is_refused_and_skipped() -> None:
    reader = FrameReader(max_body=10)
    reader.feed(frame(b"x" * 50) + frame(b"{}"))
    evs = events(reader)
    assert isinstance(evs[0], FramingError) and "50 bytes, more than the limit of 10" in evs[0].message
    assert evs[0].oversized == 50
    assert evs[1:] == [Body(b"{}")]


def test_oversized_body_is_reported_once_it_has_gone_by_with_its_ends() -> None:
    body = b'{"jsonrpc":"2.0","id":7,"method":"jupyter/execute","params":{"code":"' + b"y" * 20_000 + b'"}}'
    reader = FrameReader(max_body=1000)
    data = frame(body) + frame(b"{}")
    reader.feed(data[:5000])
    assert events(reader) == []  # the refused body is still arriving
    reader.feed(data[5000:])
    refused, after = events(reader)
    assert isinstance(refused, FramingError) and refused.oversized == len(body)
    assert refused.head == body[:REFUSED_KEPT_BYTES] and refused.tail == body[-REFUSED_KEPT_BYTES:]
    assert after == Body(b"{}")


def test_content_length_text_inside_a_refused_json_body_is_not_a_header() -> None:
    """JSON escapes newlines in strings: ``Content-Length: 2\\r\\n`` in a document's text
    is no header, and the body is skipped to its declared end."""
    body = b'{"text":"Content-Length: 2\\r\\n\\r\\n{}' + b"z" * 100 + b'"}'
    reader = FrameReader(max_body=10)
    reader.feed(frame(body) + frame(b"[1]"))
    evs = events(reader)
    assert [type(e) for e in evs] == [FramingError, Body] and evs[1] == Body(b"[1]")


def test_a_lying_content_length_does_not_swallow_the_next_messages() -> None:
    reader = FrameReader(max_body=1000)
    reader.feed(b"Content-Length: 999999999999\r\n\r\n" + b'{"id":3}')
    assert events(reader) == []
    reader.feed(frame(b'{"id":4}') + frame(b'{"id":5}'))
    evs = events(reader)
    assert isinstance(evs[0], FramingError) and evs[0].head == b'{"id":3}' and evs[0].tail == b'{"id":3}'
    assert evs[1:] == [Body(b'{"id":4}'), Body(b'{"id":5}')]


def test_a_header_split_across_reads_ends_a_refused_body() -> None:
    reader = FrameReader(max_body=1000)
    data = b"Content-Length: 5000\r\n\r\n" + b"w" * 3000 + frame(b'{"next":1}')
    got = []
    for i in range(0, len(data), 7):
        reader.feed(data[i : i + 7])
        got += events(reader)
    assert [type(e) for e in got] == [FramingError, Body] and got[1] == Body(b'{"next":1}')
    assert isinstance(got[0], FramingError) and got[0].tail.endswith(b"w" * 100)


def test_truncated_body_waits_for_more() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Length: 10\r\n\r\n12345")
    assert events(reader) == []
    reader.feed(b"67890")
    assert events(reader) == [Body(b"1234567890")]


# What the server recovers of a body it cannot parse (bridge/server/dispatch.py), to answer
# the request by its id instead of leaving the editor waiting.


@pytest.mark.parametrize(
    ("head", "tail", "found"),
    [
        (b'{"jsonrpc":"2.0","id":7,"method":"jupyter/execute","params":{"code":"', b"", 7),
        (b'{ "method" : "x" , "jsonrpc":"2.0",\n "id": "a\\"b", "params":[', b"", 'a"b'),
        (b'{"params":{"id":3,"code":"', b'xx"},"jsonrpc":"2.0","id":12}\r\n', 12),
        (b'{"params":{"id":3,"code":"', b'xx","id":12}}', None),  # an id inside params
        (b'{"params":{"code":"', b'x,\\"id\\":5}"}}', None),  # an id inside a string
        (b'{"jsonrpc":"2.0","id":1.5,"method":"x"', b"", None),  # not a valid id
        (b'{"jsonrpc":"2.0","id":null,"method":"x"', b"", None),
        (b"garbage", b"garbage", None),
    ],
)
def test_the_id_of_an_unparsable_request(head: bytes, tail: bytes, found: object) -> None:
    assert request_id_in(head, tail) == found
