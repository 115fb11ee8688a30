"""The sidecar's HTTP/WebSocket server: hypercorn's trio worker and a small ASGI app.

``GET /?token=T`` serves the page; ``/ws?token=T`` is a WebSocket that streams the hub's
events (JSON arrays of them; binary frames for widget messages with buffers), one task per
page reading the page's bounded queue. What a page sends back is checked here: answers to
open input() prompts (bridge/sidecar/prompts.py), and widget comm messages when the hub has
a link to the kernel (bridge/sidecar/widgets.py), which are answered.

Refused, with 403 and nothing else:
- a request whose ``token`` query parameter is missing or wrong (compared in constant time);
- a request whose ``Host`` is not ``127.0.0.1:PORT`` or ``localhost:PORT`` (a rebound DNS
  name pointing at loopback carries its own name);
- a WebSocket whose ``Origin``, when present, is not ``http://127.0.0.1:PORT`` or
  ``http://localhost:PORT``. Browsers always send Origin on WebSockets; a client without
  one is not a browser, and holds the token.
The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, cast
from urllib.parse import parse_qs

import trio

from bridge.errors import BridgeError
from bridge.sidecar.hub import SidecarHub, Subscriber
from bridge.sidecar.page import page
from bridge.sidecar.widgets import PageCommInfo, PageCommMsg, PageMessageError, parse_page_message, sent

log = logging.getLogger(__name__)

HOST = "127.0.0.1"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_PAGE_MESSAGE = 256 * 1024  # an input answer (bridge/sidecar/prompts.py) and its envelope
_REFUSED = b"forbidden: open the sidecar with the URL (and token) kernel-bridge printed\n"


class SidecarApp:
    """The ASGI application; ``port`` is set once the server is bound."""

    def __init__(self, hub: SidecarHub, token: str) -> None:
        self.hub = hub
        self.token = token
        self.port: int | None = None
        self._asking: set[Subscriber] = set()  # pages waiting for a comm_info answer (one each)

    # -- checks ---------------------------------------------------------------------

    def _header(self, scope: Scope, name: bytes) -> str | None:
        for key, value in scope.get("headers", []):
            if key.lower() == name:
                return bytes(value).decode("latin-1")
        return None

    def _allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def authorized(self, scope: Scope) -> bool:
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        given = query.get("token", [""])[-1]
        if not given or not hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8")):
            return False
        host = self._header(scope, b"host")
        return host is not None and host.lower() in self._allowed_hosts()

    def origin_allowed(self, scope: Scope) -> bool:
        origin = self._header(scope, b"origin")
        return origin is None or origin.lower() in {f"http://{h}" for h in self._allowed_hosts()}

    # -- ASGI -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _respond(
        self, send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], head: bool = False
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = [(b"content-type", b"text/plain; charset=utf-8")]
        if not self.authorized(scope):
            log.info(
                "sidecar: refused %s %s (no valid token, or a foreign Host)", scope.get("method"), scope.get("path")
            )
            await self._respond(send, 403, _REFUSED, text)
            return
        method = scope.get("method")
        if scope.get("path") != "/":
            await self._respond(send, 404, b"not found\n", text)
        elif method not in ("GET", "HEAD"):
            await self._respond(send, 405, b"method not allowed\n", [*text, (b"allow", b"GET, HEAD")])
        else:
            body, csp = page()
            headers = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-security-policy", csp.encode("ascii")),
                (b"cross-origin-opener-policy", b"same-origin"),
                (b"cross-origin-resource-policy", b"same-origin"),
            ]
            await self._respond(send, 200, body, headers, head=method == "HEAD")

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if scope.get("path") != "/ws" or not self.authorized(scope) or not self.origin_allowed(scope):
            log.info("sidecar: refused a WebSocket (path, token, Host or Origin)")
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        await send({"type": "websocket.accept"})
        subscriber = self.hub.subscribe()
        try:
            async with trio.open_nursery() as nursery:

                async def until_closed() -> None:
                    while (message := await receive())["type"] != "websocket.disconnect":
                        if message["type"] == "websocket.receive":
                            await self._from_page(subscriber, message.get("text"), message.get("bytes"), nursery)
                    nursery.cancel_scope.cancel()

                nursery.start_soon(until_closed)
                while True:
                    batch = await subscriber.next_batch()
                    if not batch:
                        break
                    # a slow page blocks here, in its own task; its queue drops the oldest
                    for frame in _frames(batch):
                        await send(
                            {"type": "websocket.send", "bytes": frame}
                            if isinstance(frame, bytes)
                            else {"type": "websocket.send", "text": frame}
                        )
                await send({"type": "websocket.close", "code": 1001})
                nursery.cancel_scope.cancel()
        finally:
            self.hub.unsubscribe(subscriber)

    def _input_answer(self, text: str | None) -> bool:
        """The answer to an open input prompt (``{"type": "input", "id", "value"}``)? Then
        it is handed over (if that prompt is open) and True."""
        if text is None:
            return False
        try:
            event = json.loads(text)
        except ValueError:
            return False
        if not (isinstance(event, dict) and event.get("type") == "input"):
            return False
        if len(text) > MAX_PAGE_MESSAGE:
            log.info("sidecar: an input answer over %d characters was ignored", MAX_PAGE_MESSAGE)
        elif not self.hub.prompts.answer(event.get("id"), event.get("value")):
            log.info("sidecar: an answer to a prompt that is not open was ignored")
        return True

    async def _from_page(
        self, subscriber: Subscriber, text: str | None, data: bytes | None, nursery: trio.Nursery
    ) -> None:
        """A page's message: an input() answer; a widget comm_msg, sent now (in the page's
        order) and answered with its msg_id; or a comm_info question, answered when the
        kernel replies (it may be busy running code: that does not hold up the page's other
        messages)."""
        if self._input_answer(text):
            return
        link = self.hub.link
        try:
            message = parse_page_message(text, data)
            if link is None:
                raise PageMessageError(
                    "this sidecar sends nothing to the kernel (kernel-bridge sidecar --existing)", message.ref
                )
        except PageMessageError as exc:
            log.info("sidecar: a page message was refused: %s", exc)
            if exc.ref is not None:
                self.hub.answer(subscriber, sent(exc.ref, error=str(exc)))
            return
        if isinstance(message, PageCommInfo):
            if subscriber in self._asking:
                self.hub.answer(
                    subscriber,
                    {
                        "type": "comm_info",
                        "ref": message.ref,
                        "error": "this page's previous comm_info is not answered yet",
                    },
                )
            else:
                self._asking.add(subscriber)
                nursery.start_soon(self._comm_info, subscriber, message.ref)
            return
        assert isinstance(message, PageCommMsg)
        if message.comm_id not in self.hub.widget_comms:
            self.hub.answer(
                subscriber, sent(message.ref, error=f"commId: {message.comm_id!r} is not a widget of this kernel")
            )
            return
        try:
            msg_id = await link.send_comm_msg(message.comm_id, message.data, message.metadata, message.buffers)
        except BridgeError as exc:  # the kernel is dead or restarting
            self.hub.answer(subscriber, sent(message.ref, error=exc.message))
            return
        self.hub.answer(subscriber, sent(message.ref, msg_id))

    async def _comm_info(self, subscriber: Subscriber, ref: str) -> None:
        link = self.hub.link
        assert link is not None
        try:
            comms = await link.widget_comms()
        except BridgeError as exc:
            self.hub.answer(subscriber, {"type": "comm_info", "ref": ref, "error": exc.message})
            return
        finally:
            self._asking.discard(subscriber)
        self.hub.widget_comms.add(comms)
        self.hub.answer(subscriber, {"type": "comm_info", "ref": ref, "comms": comms})


def _frames(batch: list[str | bytes]) -> list[str | bytes]:
    """A batch as WebSocket frames: consecutive JSON events as one array, binary ones alone."""
    frames: list[str | bytes] = []
    texts: list[str] = []
    for item in batch:
        if isinstance(item, bytes):
            if texts:
                frames.append("[" + ",".join(texts) + "]")
                texts = []
            frames.append(item)
        else:
            texts.append(item)
    if texts:
        frames.append("[" + ",".join(texts) + "]")
    return frames


class SidecarServer:
    """One sidecar: a hub's page on 127.0.0.1, at a URL with a random token."""

    def __init__(self, hub: SidecarHub, *, port: int = 0, token: str | None = None) -> None:
        self.hub = hub
        self.app = SidecarApp(hub, token or secrets.token_urlsafe(32))
        self.requested_port = port
        self.url: str | None = None

    @property
    def token(self) -> str:
        return self.app.token

    async def run(self, *, task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve until cancelled; ``started`` with the page's URL once listening."""
        from hypercorn.config import Config
        from hypercorn.trio import serve

        config = Config()
        config.bind = [f"{HOST}:{self.requested_port}"]
        config.errorlog = logging.getLogger("bridge.sidecar.hypercorn")
        config.accesslog = None
        config.include_server_header = False
        config.graceful_timeout = 1.0
        try:
            async with trio.open_nursery() as nursery:
                binds = await nursery.start(partial(serve, cast(Any, self.app), config, mode="asgi"))
                port = int(binds[0].rsplit(":", 1)[1])
                self.app.port = port
                self.url = f"http://{HOST}:{port}/?token={self.token}"
                task_status.started(self.url)
        finally:
            self.hub.close()
