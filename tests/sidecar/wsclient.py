"""A small WebSocket client for the sidecar tests: trio streams + wsproto (a dependency of
hypercorn), so the tests need no other client library."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    RejectConnection,
    Request,
    TextMessage,
)

from bridge.sidecar.frames import decode_frame


class Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"WebSocket refused with HTTP {status}")
        self.status = status


class SidecarSocket:
    def __init__(self, stream: trio.SocketStream, ws: WSConnection) -> None:
        self.stream = stream
        self.ws = ws
        self._text: list[str] = []
        self._bytes: list[bytes] = []
        self.events: list[dict[str, Any]] = []
        self.closed = False

    async def _pump(self) -> None:
        data = await self.stream.receive_some(1 << 16)
        if not data:
            self.closed = True
            self.ws.receive_data(None)
        else:
            self.ws.receive_data(data)

    async def send(self, message: dict[str, Any] | bytes) -> None:
        """A page message: a JSON object (text frame) or a binary frame."""
        data: Message[Any] = BytesMessage(message) if isinstance(message, bytes) else TextMessage(json.dumps(message))
        await self.stream.send_all(self.ws.send(data))

    async def next_events(self) -> list[dict[str, Any]]:
        """The events of the next frame; [] once closed. A binary frame's event has its
        buffers under ``_buffers``."""
        while True:
            for event in self.ws.events():
                if isinstance(event, BytesMessage):
                    self._bytes.append(bytes(event.data))
                    if event.message_finished:
                        header, buffers = decode_frame(b"".join(self._bytes))
                        self._bytes.clear()
                        batch = [{**header, "_buffers": buffers}]
                        self.events.extend(batch)
                        return batch
                elif isinstance(event, TextMessage):
                    self._text.append(event.data)
                    if event.message_finished:
                        batch = json.loads("".join(self._text))
                        self._text.clear()
                        self.events.extend(batch)
                        return batch
                elif isinstance(event, CloseConnection):
                    self.closed = True
                    return []
            if self.closed:
                return []
            await self._pump()

    async def wait_for(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        """The first event (seen so far, or arriving) that matches; the timeout only stops a hang."""
        seen = 0
        with trio.fail_after(timeout):
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                if not await self.next_events() and self.closed:
                    raise EOFError("the sidecar closed the WebSocket")

    async def wait_closed(self, timeout: float = 30) -> None:
        with trio.fail_after(timeout):
            while not self.closed:
                await self.next_events()


async def handshake(
    url: str, *, origin: str | None = None, host: str | None = None
) -> tuple[trio.SocketStream, WSConnection]:
    parts = urlsplit(url)
    stream = await trio.open_tcp_stream(parts.hostname or "127.0.0.1", parts.port or 80)
    ws = WSConnection(ConnectionType.CLIENT)
    headers = [(b"origin", origin.encode())] if origin is not None else []
    target = parts.path + ("?" + parts.query if parts.query else "")
    await stream.send_all(ws.send(Request(host=host or parts.netloc, target=target, extra_headers=headers)))
    while True:
        for event in ws.events():
            if isinstance(event, AcceptConnection):
                return stream, ws
            if isinstance(event, RejectConnection):
                await stream.aclose()
                raise Refused(event.status_code)
        data = await stream.receive_some(1 << 16)
        if not data:
            await stream.aclose()
            raise Refused(0)
        ws.receive_data(data)


def ws_url(page_url: str, token: str | None = "keep") -> str:
    """The page URL's WebSocket (with its token, another one, or none)."""
    parts = urlsplit(page_url)
    query = parts.query if token == "keep" else (f"token={token}" if token is not None else "")
    return f"ws://{parts.netloc}/ws" + (f"?{query}" if query else "")


@asynccontextmanager
async def open_sidecar_socket(page_url: str, *, origin: str | None = None) -> AsyncIterator[SidecarSocket]:
    stream, ws = await handshake(ws_url(page_url), origin=origin)
    try:
        yield SidecarSocket(stream, ws)
    finally:
        await stream.aclose()
