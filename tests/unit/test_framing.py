"""LSP base-protocol framing over bytes."""

from __future__ import annotations

from bridge.server.framing import Body, FrameReader, FramingError, frame


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


def test_oversized_body_is_refused_and_skipped() -> None:
    reader = FrameReader(max_body=10)
    reader.feed(frame(b"x" * 50) + frame(b"{}"))
    evs = events(reader)
    assert isinstance(evs[0], FramingError) and "exceeds" in evs[0].message
    assert evs[1:] == [Body(b"{}")]


def test_truncated_body_waits_for_more() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Length: 10\r\n\r\n12345")
    assert events(reader) == []
    reader.feed(b"67890")
    assert events(reader) == [Body(b"1234567890")]
