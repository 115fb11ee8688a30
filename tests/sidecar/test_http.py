"""The sidecar's HTTP/WebSocket server in-process (hypercorn on trio), with a hub fed by
hand: what it serves, what it refuses, and how a page that does not read is bounded."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import trio
import trio.testing

from bridge.sidecar.frames import encode_frame
from bridge.sidecar.http import SidecarServer
from bridge.sidecar.hub import SidecarHub
from bridge.wire import Message
from tests.sidecar.wsclient import Refused, SidecarSocket, handshake, open_sidecar_socket, ws_url

pytest.importorskip("hypercorn", reason="the sidecar needs hypercorn (pip install -e .)")


def stream(text: str, parent: str = "p1") -> Message:
    return Message(
        header={"msg_type": "stream", "msg_id": "m"},
        parent_header={"msg_id": parent, "session": "s"},
        content={"name": "stdout", "text": text},
    )


@pytest.fixture
async def served(nursery: trio.Nursery) -> AsyncIterator[tuple[SidecarHub, SidecarServer]]:
    hub = SidecarHub("python3 · k1", kernel_id="k1", queue_max_events=50, queue_max_chars=200_000)
    server = SidecarServer(hub)
    await nursery.start(server.run)
    yield hub, server


async def http(url: str, *, method: str = "GET", host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    stream = await trio.open_tcp_stream("127.0.0.1", parts.port or 80)
    async with stream:
        request = f"{method} {target} HTTP/1.1\r\nHost: {host or parts.netloc}\r\nConnection: close\r\n\r\n"
        await stream.send_all(request.encode())
        data = b""
        with trio.fail_after(10):
            while chunk := await stream.receive_some(1 << 16):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def without_token(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


async def test_the_page_is_served_on_loopback_with_a_token(served: tuple[SidecarHub, SidecarServer]) -> None:
    _, server = served
    assert server.url is not None
    parts = urlsplit(server.url)
    assert parts.hostname == "127.0.0.1"
    assert re.fullmatch(r"token=[A-Za-z0-9_-]{40,}", parts.query)
    status, headers, body = await http(server.url)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"<title>kernel-bridge sidecar</title>" in body
    assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"


async def test_the_page_allows_only_its_own_script_and_no_remote_loads(
    served: tuple[SidecarHub, SidecarServer],
) -> None:
    _, server = served
    assert server.url is not None
    _, headers, body = await http(server.url)
    policy = dict(d.strip().split(" ", 1) for d in headers["content-security-policy"].split(";"))
    assert (
        policy["default-src"] == "'none'"
        and policy["img-src"] == "data: blob:"
        and policy["font-src"] == "data:"
        and policy["connect-src"] == "'self'"
    )
    # two scripts: the widget manager (sidecar-widgets.js), then the page's own
    scripts = re.findall(rb"<script>(.*?)</script>", body, re.S)
    assert len(scripts) == 2 and b"kernelBridgeWidgets" in scripts[0]
    digests = [base64.b64encode(hashlib.sha256(script).digest()).decode() for script in scripts]
    assert policy["script-src"] == " ".join(f"'sha256-{d}'" for d in digests)  # no 'unsafe-eval', nothing else
    assert not re.search(rb"(src|href)=\"(https?:)?//", body)  # nothing from anywhere


@pytest.mark.parametrize("how", ["no token", "wrong token", "empty token", "foreign Host"])
async def test_the_page_is_refused_without_the_right_token_or_host(
    served: tuple[SidecarHub, SidecarServer], how: str
) -> None:
    _, server = served
    assert server.url is not None
    url, host = {
        "no token": (without_token(server.url), None),
        "wrong token": (without_token(server.url) + "?token=" + "A" * 43, None),
        "empty token": (without_token(server.url) + "?token=", None),
        "foreign Host": (server.url, f"sidecar.example:{urlsplit(server.url).port}"),
    }[how]
    status, _, body = await http(url, host=host)
    assert status == 403 and b"<html" not in body


async def test_other_paths_and_methods(served: tuple[SidecarHub, SidecarServer]) -> None:
    _, server = served
    assert server.url is not None
    parts = urlsplit(server.url)
    assert (await http(f"http://{parts.netloc}/elsewhere?{parts.query}"))[0] == 404
    assert (await http(f"http://{parts.netloc}/elsewhere"))[0] == 403  # no token: nothing is revealed
    assert (await http(server.url, method="POST"))[0] == 405


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "http://127.0.0.1:1", "https://127.0.0.1:{port}", "null", "http://127.0.0.2:{port}"],
)
async def test_a_websocket_from_a_foreign_origin_is_refused(
    served: tuple[SidecarHub, SidecarServer], origin: str
) -> None:
    _, server = served
    assert server.url is not None
    port = urlsplit(server.url).port
    with pytest.raises(Refused) as info:
        await handshake(ws_url(server.url), origin=origin.format(port=port))
    assert info.value.status == 403


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_a_websocket_without_the_token_is_refused(
    served: tuple[SidecarHub, SidecarServer], token: str | None
) -> None:
    _, server = served
    assert server.url is not None
    port = urlsplit(server.url).port
    with pytest.raises(Refused) as info:
        await handshake(ws_url(server.url, token), origin=f"http://127.0.0.1:{port}")
    assert info.value.status == 403


async def test_a_websocket_with_a_foreign_host_is_refused(served: tuple[SidecarHub, SidecarServer]) -> None:
    _, server = served
    assert server.url is not None
    with pytest.raises(Refused):
        await handshake(ws_url(server.url), host=f"rebound.example:{urlsplit(server.url).port}")


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "http://localhost:{port}", None])
async def test_a_websocket_from_the_page_or_a_non_browser_client_is_accepted(
    served: tuple[SidecarHub, SidecarServer], origin: str | None
) -> None:
    hub, server = served
    assert server.url is not None
    port = urlsplit(server.url).port
    hub.publish_iopub(stream("before\n"))
    async with open_sidecar_socket(server.url, origin=origin.format(port=port) if origin else None) as page:
        first = await page.next_events()
        assert first[0]["type"] == "hello" and first[0]["kernelId"] == "k1"
        hub.publish_iopub(stream("after\n", parent="p2"))
        event = await page.wait_for(lambda e: e.get("parentId") == "p2")
        texts = [e["content"]["text"] for e in page.events if e["type"] == "output"]
        assert texts == ["before\n", "after\n"] and event["content"]["text"] == "after\n"


async def test_a_page_that_does_not_read_is_bounded_and_told_what_it_missed(
    served: tuple[SidecarHub, SidecarServer],
) -> None:
    hub, server = served
    assert server.url is not None
    stream_, ws = await handshake(ws_url(server.url))
    async with stream_:
        await trio.testing.wait_all_tasks_blocked()
        (queue,) = hub.subscribers
        big = "x" * 100_000
        for n in range(300):  # 30 MB: more than the socket buffers and the page's queue
            hub.publish(
                {"type": "output", "msgType": "stream", "parentId": f"p{n}", "content": {"name": "stdout", "text": big}}
            )
            await trio.testing.wait_all_tasks_blocked()
            assert queue.chars <= 200_000
        page = SidecarSocket(stream_, ws)
        last = await page.wait_for(lambda e: e.get("parentId") == "p299")
        assert last["content"]["text"] == big
        dropped = [e["count"] for e in page.events if e["type"] == "dropped"]
        received = [e for e in page.events if e["type"] == "output"]
        assert dropped and sum(dropped) + len(received) == 300


async def test_stopping_the_server_closes_its_pages() -> None:
    hub = SidecarHub("k")
    server = SidecarServer(hub)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        assert server.url is not None
        async with open_sidecar_socket(server.url) as page:
            await page.next_events()
            nursery.cancel_scope.cancel()
            with trio.CancelScope(shield=True):
                await page.wait_closed(10)
    assert not hub.subscribers
    with pytest.raises(OSError):
        await trio.open_tcp_stream("127.0.0.1", urlsplit(server.url).port or 0)


async def test_events_are_json_arrays(served: tuple[SidecarHub, SidecarServer]) -> None:
    hub, server = served
    assert server.url is not None
    stream_, ws = await handshake(ws_url(server.url))
    async with stream_:
        from wsproto.events import TextMessage

        while True:
            events = list(ws.events())
            texts = [e.data for e in events if isinstance(e, TextMessage)]
            if texts:
                break
            ws.receive_data(await stream_.receive_some(1 << 16))
        assert isinstance(json.loads(texts[0]), list)


class RecordingLink:
    """The kernel side of a sidecar's pages (a fake: what the sidecar asks of a kernel is tested
    with a real one in tests/integration/test_sidecar_widgets.py; here, what a page may send)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], list[bytes]]] = []
        self.comms: dict[str, Any] = {"w-old": {"target_name": "jupyter.widget"}}

    async def send_comm_msg(
        self, comm_id: str, data: dict[str, Any], metadata: dict[str, Any], buffers: list[bytes]
    ) -> str:
        self.sent.append((comm_id, data, buffers))
        return f"kernel-msg-{len(self.sent)}"

    async def widget_comms(self) -> dict[str, Any]:
        return self.comms


def widget_open(comm_id: str) -> Message:
    return Message(
        header={"msg_type": "comm_open", "msg_id": "o"},
        parent_header={"msg_id": "p1", "session": "s"},
        content={"comm_id": comm_id, "target_name": "jupyter.widget", "data": {"state": {}}},
    )


async def test_a_page_messages_known_widgets_and_learns_the_msg_id(nursery: trio.Nursery) -> None:
    link = RecordingLink()
    hub = SidecarHub("python3 · k1", kernel_id="k1", link=link)
    server = SidecarServer(hub)
    await nursery.start(server.run)
    assert server.url is not None
    async with open_sidecar_socket(server.url) as page:
        hello = await page.wait_for(lambda e: e["type"] == "hello")
        assert hello["widgets"] is True
        hub.publish_iopub(widget_open("w1"))
        await page.wait_for(lambda e: e["type"] == "comm" and e["commId"] == "w1")
        await page.send(
            {"type": "comm_msg", "ref": "p1", "commId": "w1", "data": {"method": "update", "state": {"value": 4}}}
        )
        assert await page.wait_for(lambda e: e["type"] == "sent" and e["ref"] == "p1") == {
            "type": "sent",
            "ref": "p1",
            "msgId": "kernel-msg-1",
        }
        await page.send(
            encode_frame(
                {"type": "comm_msg", "ref": "p2", "commId": "w1", "data": {"method": "custom"}}, [b"\x00bytes"]
            )
        )
        await page.wait_for(lambda e: e["type"] == "sent" and e["ref"] == "p2")
        # a widget that was there before the sidecar: known once a page asked the kernel
        await page.send({"type": "comm_msg", "ref": "p3", "commId": "w-old", "data": {}})
        refused = await page.wait_for(lambda e: e["type"] == "sent" and e["ref"] == "p3")
        assert "is not a widget of this kernel" in refused["error"]
        await page.send({"type": "comm_info", "ref": "p4"})
        info = await page.wait_for(lambda e: e["type"] == "comm_info")
        assert info == {"type": "comm_info", "ref": "p4", "comms": link.comms}
        await page.send({"type": "comm_msg", "ref": "p5", "commId": "w-old", "data": {"method": "request_state"}})
        await page.wait_for(lambda e: e["type"] == "sent" and e["ref"] == "p5" and "msgId" in e)
        # what is not a widget comm message is refused, and says why
        await page.send({"type": "execute_request", "ref": "p6", "code": "import os"})
        refused = await page.wait_for(lambda e: e["type"] == "sent" and e["ref"] == "p6")
        assert "type" in refused["error"]
    assert link.sent == [
        ("w1", {"method": "update", "state": {"value": 4}}, []),
        ("w1", {"method": "custom"}, [b"\x00bytes"]),
        ("w-old", {"method": "request_state"}, []),
    ]


async def test_a_standalone_sidecars_page_sends_nothing_to_the_kernel(served: tuple[SidecarHub, SidecarServer]) -> None:
    hub, server = served
    assert server.url is not None and hub.link is None
    async with open_sidecar_socket(server.url) as page:
        assert (await page.wait_for(lambda e: e["type"] == "hello"))["widgets"] is False
        await page.send({"type": "comm_msg", "ref": "p1", "commId": "w1", "data": {}})
        refused = await page.wait_for(lambda e: e["type"] == "sent")
        assert "sends nothing to the kernel" in refused["error"]
