"""LSP base-protocol framing (``Content-Length`` headers), with no I/O.

Spec: LSP "Base Protocol". Bytes go in with ``feed()``; ``next_event()`` returns a
``Body`` (one complete JSON-RPC payload), a ``FramingError`` (a header block we refuse, or
a body over the limit: the server answers it and carries on), or ``None`` when more bytes
are needed. After a refused header block the reader resynchronises at the next
``Content-Length:`` header.

A body over ``MAX_BODY_BYTES`` is read and thrown away, never held, and then reported as
one ``FramingError`` carrying its first and last bytes (where the server looks for the
request's ``id``, to answer it). The hazard is a ``Content-Length`` that lies: skipping
that many bytes blindly would silently swallow every message sent after it. A header line
with a raw newline (``Content-Length: 12\r\n``) cannot occur inside a JSON body (JSON
strings escape newlines, and ``Content-Length`` is no JSON token), so finding one inside
the bytes being skipped means the refused body ended there: reading resumes at that header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEADER_BYTES = 8 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
REFUSED_KEPT_BYTES = 4096  # of a refused body, the first and the last this many bytes are kept
_CONTENT_LENGTH = b"content-length"
# a header line up to its raw line end: what starts the next message inside a refused body
_HEADER_LINE = re.compile(rb"content-length[ \t]*:[ \t]*[0-9]+[ \t]*\r?\n\Z", re.IGNORECASE)
_HEADER_LINE_MAX = 256  # bytes kept back while skipping, in case a header line is split


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes


@dataclass(frozen=True, slots=True)
class FramingError:
    message: str
    # a refused oversized body: its declared length and the bytes that came, first and last
    oversized: int | None = None
    head: bytes = b""
    tail: bytes = b""


Event = Body | FramingError


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class FrameReader:
    def __init__(self, max_body: int = MAX_BODY_BYTES) -> None:
        self._buf = bytearray()
        self._need: int | None = None  # body length once the header block is parsed
        self._skip = 0  # bytes of a refused (oversized) body still to discard
        self._refused: _Refused | None = None
        self._resync = False
        self._max_body = max_body

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Event | None:
        if self._refused is not None:
            if not self._discard():
                return None
            refused, self._refused = self._refused, None
            return refused.error()
        if self._resync and not self._find_resync_point():
            return None
        if self._need is None:
            return self._parse_headers()
        if len(self._buf) < self._need:
            return None
        data = bytes(self._buf[: self._need])
        del self._buf[: self._need]
        self._need = None
        return Body(data)

    def _find_resync_point(self) -> bool:
        lowered = bytes(self._buf).lower()
        at = lowered.find(_CONTENT_LENGTH)
        if at < 0:
            # keep a tail that may hold the start of the next header
            keep = len(_CONTENT_LENGTH) - 1
            if len(self._buf) > keep:
                del self._buf[: len(self._buf) - keep]
            return False
        del self._buf[:at]
        self._resync = False
        return True

    def _parse_headers(self) -> Event | None:
        end, sep = _header_end(self._buf)
        if end < 0:
            if len(self._buf) > MAX_HEADER_BYTES:
                del self._buf[:1]  # do not resync onto the refused header itself
                self._resync = True
                return FramingError(f"header block longer than {MAX_HEADER_BYTES} bytes")
            return None
        block = bytes(self._buf[:end])
        del self._buf[: end + sep]
        length: int | None = None
        for raw in block.replace(b"\r\n", b"\n").split(b"\n"):
            name, colon, value = raw.partition(b":")
            if not colon:
                self._resync = True
                return FramingError(f"malformed header line {raw[:80]!r}")
            if name.strip().lower() == _CONTENT_LENGTH:
                text = value.strip()
                if not text.isdigit():
                    self._resync = True
                    return FramingError(f"Content-Length is not a number: {text[:40]!r}")
                length = int(text)
        if length is None:
            self._resync = True
            return FramingError("header block has no Content-Length")
        if length > self._max_body:
            self._skip = length
            self._refused = _Refused(length, self._max_body)
            return self.next_event()
        self._need = length
        return self.next_event()

    def _discard(self) -> bool:
        """Throw away the refused body as it arrives; True once it has ended (its declared
        length read, or the next message's header found inside it)."""
        assert self._refused is not None
        end = min(self._skip, len(self._buf))
        found = None
        newline = self._buf.find(b"\n", 0, end)  # memchr: JSON bodies hardly have raw newlines
        while found is None and newline >= 0:
            found = _HEADER_LINE.search(self._buf, max(0, newline - _HEADER_LINE_MAX), newline + 1)
            newline = self._buf.find(b"\n", newline + 1, end)
        if found is not None:
            n, self._skip = found.start(), 0
        elif end == self._skip:
            n, self._skip = end, 0
        else:  # keep back what may be the start of a header line split across reads
            n = max(0, end - _HEADER_LINE_MAX)
            self._skip -= n
        self._refused.keep(self._buf, n)
        del self._buf[:n]
        return self._skip == 0


class _Refused:
    """What is kept of a body too large to read: its first and last bytes."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()

    def keep(self, buf: bytearray, n: int) -> None:
        """Note the first ``n`` bytes of ``buf``, the next part of the body."""
        room = REFUSED_KEPT_BYTES - len(self.head)
        if room > 0:
            self.head += buf[: min(room, n)]
        self.tail += buf[max(0, n - REFUSED_KEPT_BYTES) : n]
        del self.tail[:-REFUSED_KEPT_BYTES]

    def error(self) -> FramingError:
        return FramingError(
            f"the message is {self.length} bytes, more than the limit of {self.limit} bytes",
            oversized=self.length,
            head=bytes(self.head),
            tail=bytes(self.tail),
        )


def _header_end(buf: bytearray) -> tuple[int, int]:
    crlf = buf.find(b"\r\n\r\n")
    lf = buf.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return crlf, 4
    if lf >= 0:
        return lf, 2
    return -1, 0
