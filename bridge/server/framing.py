"""LSP base-protocol framing (``Content-Length`` headers), with no I/O.

Spec: LSP "Base Protocol". Bytes go in with ``feed()``; ``next_event()`` returns a
``Body`` (one complete JSON-RPC payload), a ``FramingError`` (a header block we refuse:
the server answers it with -32700 and carries on), or ``None`` when more bytes are needed.
After an error the reader resynchronises at the next ``Content-Length:`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEADER_BYTES = 8 * 1024
MAX_BODY_BYTES = 512 * 1024 * 1024
_CONTENT_LENGTH = b"content-length"


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes


@dataclass(frozen=True, slots=True)
class FramingError:
    message: str


Event = Body | FramingError


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class FrameReader:
    def __init__(self, max_body: int = MAX_BODY_BYTES) -> None:
        self._buf = bytearray()
        self._need: int | None = None  # body length once the header block is parsed
        self._skip = 0  # bytes of a refused (oversized) body still to discard
        self._resync = False
        self._max_body = max_body

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Event | None:
        if self._skip:
            n = min(self._skip, len(self._buf))
            del self._buf[:n]
            self._skip -= n
            if self._skip:
                return None
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
            return FramingError(f"Content-Length {length} exceeds the limit of {self._max_body} bytes")
        self._need = length
        return self.next_event()


def _header_end(buf: bytearray) -> tuple[int, int]:
    crlf = buf.find(b"\r\n\r\n")
    lf = buf.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return crlf, 4
    if lf >= 0:
        return lf, 2
    return -1, 0
