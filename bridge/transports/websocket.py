"""One WebSocket (``/api/kernels/{id}/channels``) carrying a remote kernel's channels.

It plays the part the four ZeroMQ sockets play for a local kernel (see
``bridge.transports.Transport``): the conversation above it is the same. It asks for the
``v1.kernel.websocket.jupyter.org`` binary subprotocol and falls back to JSON when the
server does not offer it.

Reconnect: a WebSocket that drops (or stops answering pings) is reopened with the same
``session_id``, so the server keeps our stdin identity and replays what it buffered for us
while we were away. The editor sees ``disconnected`` (with the reason), then the kernel's
state again; requests in flight stay pending, and sends wait for the new socket. A kernel
its server no longer has (404), or a server gone for ``GIVE_UP_AFTER`` seconds, is dead.

A kernel shut down on its server by someone else — the server's culler (``cull_idle_timeout``,
with ``cull_connected`` since the bridge stays connected), another client's DELETE — does not
close the WebSocket (jupyter_server keeps it open and answers its pings). What shows is the
kernel's answer to the server's ``shutdown_request`` broadcast on iopub (ipykernel's
``shutdown_reply``, xeus' ``shutdown``): then the server is asked whether the kernel is still
there, and a 404 makes it ``dead``, saying how long it had been quiet. Not every kernel's
broadcast makes it through the server (xeus' does not through Enterprise Gateway or Jupyter
Server 2; IRkernel sends none): so the same question is asked, once, when something is sent to
a kernel that has been silent for ``QUIET_CHECK_AFTER`` seconds, and a request to a culled
kernel fails at once instead of waiting for a reply that cannot come.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any, Protocol

import trio

from bridge.errors import KernelDied
from bridge.remote.config import ServerConfig
from bridge.remote.errors import RemoteServerError, missing_dependency
from bridge.remote.rest import connection_problem, token_problem
from bridge.send_line import SendLine
from bridge.transports import Receiver
from bridge.wire import Message, WireError
from bridge.wire.websocket import V1_SUBPROTOCOL, decode, encode

log = logging.getLogger(__name__)

OPEN_TIMEOUT = 15.0
PING_INTERVAL = 5.0
PING_TIMEOUT = 10.0
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)  # then every 5 s
GIVE_UP_AFTER = 120.0
CLOSE_WAIT = 0.2
MAX_MESSAGE_BYTES = 512 * 1024 * 1024  # a kernel's display_data can be large
# after a shutdown we did not ask for: when to ask the server whether the kernel is gone
GONE_CHECK_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)
# sending to a kernel silent this long: ask its server whether it is still there (one GET)
QUIET_CHECK_AFTER = 5.0


class RemoteKernelHandle(Protocol):
    """What the transport needs of the kernel on its server (``remote.kernel.RemoteKernel``)."""

    server: ServerConfig
    remote_id: str

    def gone(self) -> KernelDied: ...

    async def model(self) -> dict[str, Any]: ...


class _Gone(Exception):
    """The kernel cannot be reached any more (the reason is the message)."""


class WebSocketTransport:
    def __init__(self, remote: RemoteKernelHandle) -> None:
        self.remote = remote
        self._ws: Any = None
        self._changed = trio.Event()
        self._send_line = SendLine()
        self._gone: str | None = None
        self._link_scope: trio.CancelScope | None = None
        self._link: trio.Nursery | None = None  # the current WebSocket's tasks
        self._connection: Receiver | None = None
        self._drop_reason: str | None = None
        self.reconnects = 0
        self._last_heard = 0.0  # trio.current_time() of the last message from the kernel
        self._checking = False  # a "is it gone?" check is running

    @property
    def subprotocol(self) -> str | None:
        return self._ws.subprotocol if self._ws is not None else None

    def _set_ws(self, ws: Any) -> None:
        self._ws = ws
        self._changed.set()
        self._changed = trio.Event()

    # -- lifetime -----------------------------------------------------------------

    async def run(self, connection: Receiver, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        server = self.remote.server
        self._connection = connection
        self._last_heard = trio.current_time()
        lost_at: float | None = None
        reason = ""
        while True:
            async with trio.open_nursery() as link:
                self._link_scope, self._link = link.cancel_scope, link
                if lost_at is None:
                    ws = await self._open(link, connection.factory.session)  # failures: start failed
                else:
                    try:
                        ws, state = await self._reconnect(link, connection, lost_at)
                    except _Gone as exc:
                        self._gone = str(exc)
                        self._set_ws(None)
                        connection.mark_dead(str(exc))
                        return
                self._set_ws(ws)
                if lost_at is None:
                    log.info("kernel %s: WebSocket open (%s)", connection.label, ws.subprotocol or "JSON protocol")
                    task_status.started()
                else:
                    self.reconnects += 1
                    connection.link_restored(state, trio.current_time() - lost_at)
                try:
                    reason = await self._read(ws, connection)
                finally:
                    self._set_ws(None)
                    self._link = None
                    with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_WAIT):
                        await ws.aclose()
                    link.cancel_scope.cancel()
            if link.cancel_scope.cancelled_caught and self._drop_reason:
                reason, self._drop_reason = self._drop_reason, None
            if not connection.alive:
                return
            lost_at = trio.current_time()
            connection.link_lost(f"lost the WebSocket to Jupyter server {server.display} ({reason}); reconnecting")

    async def _open(self, nursery: trio.Nursery, session: str) -> Any:
        try:
            import trio_websocket
        except ImportError as exc:
            raise missing_dependency(exc) from None
        server = self.remote.server
        url = server.ws_url(f"api/kernels/{self.remote.remote_id}/channels", session_id=session)
        headers = [(k.encode(), v.encode()) for k, v in server.headers().items()]
        try:
            with trio.fail_after(OPEN_TIMEOUT):
                return await trio_websocket.connect_websocket_url(
                    nursery,
                    url,
                    server.ssl_context(),
                    subprotocols=[V1_SUBPROTOCOL],
                    extra_headers=headers,
                    max_message_size=MAX_MESSAGE_BYTES,
                )
        except trio_websocket.ConnectionRejected as exc:
            if exc.status_code in (401, 403):
                raise token_problem(server, exc.status_code) from None
            if exc.status_code == 404:
                raise self.remote.gone() from None
            raise RemoteServerError(
                f"Jupyter server {server.display} refused the kernel's WebSocket (HTTP {exc.status_code})"
            ) from None
        except trio.TooSlowError:
            raise RemoteServerError(
                f"Jupyter server {server.display} did not open the kernel's WebSocket within {OPEN_TIMEOUT:g} s"
            ) from None
        except (
            trio_websocket.HandshakeError,
            trio_websocket.ConnectionClosed,
            ssl.SSLError,
            OSError,
            trio.BrokenResourceError,
        ) as exc:
            raise connection_problem(server, exc) from None

    async def _reconnect(self, link: trio.Nursery, connection: Receiver, lost_at: float) -> tuple[Any, str | None]:
        """Retry until the WebSocket is back; raise _Gone if the kernel is not coming back."""
        attempt = 0
        while True:
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            attempt += 1
            await trio.sleep(delay)
            try:
                model = await self.remote.model()  # 404 here: the kernel is gone for good
                ws = await self._open(link, connection.factory.session)
                return ws, model.get("execution_state")
            except KernelDied as exc:
                raise _Gone(exc.message) from None
            except RemoteServerError as exc:
                waited = trio.current_time() - lost_at
                if waited >= GIVE_UP_AFTER:
                    raise _Gone(
                        f"lost Jupyter server {self.remote.server.display} for {waited:.0f} s: {exc.message}"
                    ) from None
                log.info("kernel %s: reconnect attempt %d failed: %s", connection.label, attempt, exc.message)

    async def _read(self, ws: Any, connection: Receiver) -> str:
        """Deliver messages until the socket closes; why it closed."""
        from trio_websocket import ConnectionClosed

        while True:
            try:
                data = await ws.get_message()
            except ConnectionClosed as exc:
                closed = exc.reason
                if closed is None:
                    return "closed"
                return f"closed: {closed.name} {closed.code}" + (f" {closed.reason}" if closed.reason else "")
            try:
                channel, msg = decode(data, ws.subprotocol)
            except WireError as exc:
                connection.reject("websocket", exc)
                continue
            now = trio.current_time()
            if msg.parent_header.get("msg_type") != "shutdown_request":  # its busy/idle is no activity
                self._last_heard = now
            elif channel == "iopub" and msg.msg_type != "status" and msg.content.get("restart") is not True:
                # a restart (ours or another client's) says restart: true; this one ends the kernel
                self._check_gone(quiet_for=now - self._last_heard)
            connection.deliver(channel, msg)

    # -- a kernel shut down by someone else ---------------------------------------------

    def _check_gone(self, *, quiet_for: float, delays: tuple[float, ...] = GONE_CHECK_DELAYS) -> None:
        """In the current WebSocket's nursery: a dropped link has its own check (404)."""
        connection, link = self._connection, self._link
        if not self._checking and connection is not None and connection.alive and link is not None:
            self._checking = True
            link.start_soon(self._confirm_gone, connection, quiet_for, delays)

    async def _confirm_gone(self, connection: Receiver, quiet_for: float, delays: tuple[float, ...]) -> None:
        """Ask the server for the kernel (after each of ``delays``) until it says 404 (then
        the kernel is dead); still there after the last: someone restarted it by hand, or
        it was only quiet."""
        try:
            for delay in delays:
                await trio.sleep(delay)
                try:
                    await self.remote.model()
                except KernelDied:
                    connection.mark_dead(self._shut_down_elsewhere(quiet_for))
                    return
                except RemoteServerError as exc:  # the server is in trouble: the link will tell
                    log.debug("kernel %s: cannot ask its server whether it is gone: %s", connection.label, exc.message)
                    return
        finally:
            self._checking = False

    def _shut_down_elsewhere(self, quiet_for: float) -> str:
        return (
            f"kernel {self.remote.remote_id} was shut down on Jupyter server {self.remote.server.display}, not by "
            f"this bridge, after {quiet_for:.0f} s without activity: culled as idle (the server's cull_idle_timeout), "
            "or deleted by another client; start a new one"
        )

    # -- sending ------------------------------------------------------------------

    async def send(self, channel: str, msg: Message) -> None:
        """Send on the current socket; during a reconnect, wait for the next one. In line
        (bridge/send_line.py): senders woken together by a reconnect still go in call
        order. (Sends are one at a time anyway: trio_websocket writes under a lock.)"""
        from trio_websocket import ConnectionClosed

        async with self._send_line.turn():
            while True:
                ws = self._ws
                if ws is None:
                    if self._gone is not None:
                        raise KernelDied(self._gone)
                    await self._changed.wait()
                    continue
                quiet_for = trio.current_time() - self._last_heard
                if quiet_for > QUIET_CHECK_AFTER:
                    self._check_gone(quiet_for=quiet_for, delays=(0.0,))  # culled without a word?
                try:
                    await ws.send_message(encode(channel, msg, ws.subprotocol))
                    return
                except ConnectionClosed:
                    if self._ws is ws:
                        await self._changed.wait()

    # -- liveness -----------------------------------------------------------------

    async def wait_connected(self) -> None:
        """One WebSocket carries every channel: connected once ``run`` has started."""

    async def heartbeat(self, connection: Receiver) -> None:
        """WebSocket pings: a link that stops answering is dropped (then reconnected). A
        kernel that dies is reported by its server (``status: dead``) or by a 404."""
        from trio_websocket import ConnectionClosed

        while connection.alive:
            await trio.sleep(PING_INTERVAL)
            ws = self._ws
            if ws is None:
                continue
            with trio.move_on_after(PING_TIMEOUT) as scope:
                try:
                    await ws.ping()
                except ConnectionClosed:
                    continue
            if scope.cancelled_caught and self._ws is ws and self._link_scope is not None:
                self._drop_reason = f"no answer to a ping for {PING_TIMEOUT:g} s"
                self._link_scope.cancel()

    def drop(self, reason: str = "dropped on purpose") -> None:
        """Close the current WebSocket as if the network had cut it (tests, diagnostics)."""
        if self._link_scope is not None:
            self._drop_reason = reason
            self._link_scope.cancel()
