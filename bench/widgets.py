"""Widgets in the sidecar: how long a slider's update takes from the kernel to a page, and a
page's round trip (it moves the slider; the kernel's ``echo_update`` comes back), each against
the floor — the same comm traffic read by the raw pyzmq client (bench/raw.py) on its own
SUB socket.

- **kernel → page**: the kernel sets ``s.value = time.monotonic_ns()`` every 5 ms; the page
  (a WebSocket client here, synchronous, doing what sidecar.js does with a frame: read it,
  parse the JSON) subtracts it from its own ``monotonic_ns`` at arrival (one clock: same
  machine). The raw client does the same with the ``comm_msg`` on its SUB socket.
- **round trip**: the page sends ``comm_msg update {value: i}`` through the sidecar and waits
  for the ``echo_update`` of it; the raw client sends the same ``comm_msg`` on shell and waits
  for the ``echo_update`` on iopub.

Blocks alternate (page, raw, page, …); the bridge stays connected throughout (the sidecar
needs it), so in the raw blocks the kernel still publishes to the bridge too.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import zmq
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, RejectConnection, Request, TextMessage

from bench.raw import RawClient, execute_content, load_connection_file
from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor

SETUP = """
import ipywidgets as _w, time as _time
bench_slider = _w.IntSlider(min=0, max=2**62)
print(bench_slider.comm.comm_id)
"""
LOOP = "for _ in range({n}):\n    bench_slider.value = _time.monotonic_ns()\n    _time.sleep(0.005)\n"
TIMEOUT = 60.0


class PageClient:
    """A sidecar page, synchronously: a WebSocket client (wsproto on a socket)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host=parts.netloc, target=f"/ws?{parts.query}")))
        self._text: list[str] = []
        self._pending: list[dict[str, Any]] = []
        while True:
            self.ws.receive_data(self.sock.recv(1 << 16))
            for event in self.ws.events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, RejectConnection):
                    raise ConnectionError(f"the sidecar refused the WebSocket: {event.status_code}")

    def close(self) -> None:
        self.sock.close()

    def send(self, message: dict[str, Any]) -> None:
        self.sock.sendall(self.ws.send(TextMessage(json.dumps(message))))

    def events(self, deadline: float) -> Iterator[dict[str, Any]]:
        """Events as they arrive, until the caller stops or ``deadline`` (monotonic) passes."""
        while True:
            while self._pending:
                yield self._pending.pop(0)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the sidecar page got nothing in time")
            self.sock.settimeout(remaining)
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError("the sidecar closed the page's WebSocket")
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, TextMessage):
                    self._text.append(event.data)
                    if event.message_finished:
                        self._pending.extend(json.loads("".join(self._text)))
                        self._text.clear()
                elif isinstance(event, BytesMessage):
                    pass  # no buffers in a slider's messages
                elif isinstance(event, CloseConnection):
                    raise EOFError("the sidecar closed the page's WebSocket")


def _raw_comm_msgs(raw: RawClient, deadline: float) -> Iterator[tuple[dict[str, Any], int]]:
    """The raw client's iopub ``comm_msg``s with their arrival time (ns)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the raw client got nothing in time")
        if not raw.iopub.poll(remaining * 1000):
            continue
        parts = raw.iopub.recv_multipart()
        msg = raw._parse(parts)
        now = time.monotonic_ns()
        if msg["msg_type"] == "comm_msg":
            yield msg, now


def _drain(raw: RawClient) -> None:
    while raw.iopub.poll(0):
        raw.iopub.recv_multipart(zmq.NOBLOCK)


def _update_latencies_page(page: PageClient, raw: RawClient, comm_id: str, n: int) -> list[float]:
    # the loop is started on the raw client's shell (it does not wait for it); the page also
    # has the updates of the raw client's blocks queued: only this loop's count
    loop_id = raw.send("execute_request", execute_content(LOOP.format(n=n), silent=True))
    out: list[float] = []
    deadline = time.monotonic() + TIMEOUT
    for event in page.events(deadline):
        if event.get("parentId") != loop_id:
            continue
        if event.get("type") == "comm" and event.get("commId") == comm_id and event["data"].get("method") == "update":
            value = event["data"]["state"].get("value")
            if isinstance(value, int):
                out.append((time.monotonic_ns() - value) / 1e9)
                if len(out) == n:
                    break
        elif event.get("type") == "status" and event.get("executionState") == "idle":
            break  # the loop is over: what is missing was merged away (the page fell behind)
    _drain(raw)
    return out


def _update_latencies_raw(raw: RawClient, comm_id: str, n: int) -> list[float]:
    raw.send("execute_request", execute_content(LOOP.format(n=n), silent=True))
    out: list[float] = []
    for msg, now in _raw_comm_msgs(raw, time.monotonic() + TIMEOUT):
        data = msg["content"].get("data", {})
        if msg["content"].get("comm_id") == comm_id and data.get("method") == "update":
            out.append((now - data["state"]["value"]) / 1e9)
            if len(out) == n:
                break
    return out


def _round_trips_page(page: PageClient, comm_id: str, n: int, start: int) -> list[float]:
    out = []
    for i in range(start, start + n):
        t0 = time.perf_counter()
        page.send(
            {
                "type": "comm_msg",
                "ref": f"b{i}",
                "commId": comm_id,
                "data": {"method": "update", "state": {"value": i}, "buffer_paths": []},
            }
        )
        msg_id = None
        for event in page.events(time.monotonic() + TIMEOUT):
            if event.get("type") == "sent" and event.get("ref") == f"b{i}":
                msg_id = event.get("msgId")
                if msg_id is None:
                    raise RuntimeError(f"the sidecar refused the page's message: {event}")
            elif (
                event.get("type") == "comm"
                and msg_id
                and event.get("parentId") == msg_id
                and event["data"].get("method") == "echo_update"
            ):
                out.append(time.perf_counter() - t0)
                break
    return out


def _round_trips_raw(raw: RawClient, comm_id: str, n: int, start: int) -> list[float]:
    out = []
    for i in range(start, start + n):
        t0 = time.perf_counter()
        msg_id = raw.send(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": i}, "buffer_paths": []}}
        )
        for msg, _ in _raw_comm_msgs(raw, time.monotonic() + TIMEOUT):
            if msg["parent_header"].get("msg_id") == msg_id and msg["content"]["data"].get("method") == "echo_update":
                out.append(time.perf_counter() - t0)
                break
    return out


def slider(report: Report, connection_file: str, editor: Editor, *, rounds: int, n: int, log: Any) -> None:
    kernel_id = editor.request("jupyter/connectKernel", {"connectionFile": connection_file})["kernelId"]
    raw = RawClient(load_connection_file(connection_file))
    page: PageClient | None = None
    try:
        raw.wait_ready()
        editor.request("jupyter/execute", {"kernelId": kernel_id, "code": SETUP})
        (out,) = [o for o in editor.outputs() if o["msgType"] == "stream"][-1:]
        comm_id = out["content"]["text"].strip()
        page = PageClient(editor.request("jupyter/openSidecar", {"kernelId": kernel_id})["url"])
        page.send({"type": "comm_info", "ref": "info"})  # the slider was made before the page: learn it
        for event in page.events(time.monotonic() + TIMEOUT):
            if event.get("type") == "comm_info":
                assert comm_id in event["comms"], event
                break
        one_way: dict[str, list[float]] = {"page": [], "raw": []}
        trips: dict[str, list[float]] = {"page": [], "raw": []}
        _round_trips_page(page, comm_id, 10, 0)  # warm-up
        _round_trips_raw(raw, comm_id, 10, 0)
        _drain(raw)
        for r in range(rounds):
            order = ("page", "raw") if r % 2 == 0 else ("raw", "page")
            for who in order:
                if who == "page":
                    one_way["page"] += _update_latencies_page(page, raw, comm_id, n)
                    trips["page"] += _round_trips_page(page, comm_id, n, 1000 * (r + 1))
                    _drain(raw)
                else:
                    one_way["raw"] += _update_latencies_raw(raw, comm_id, n)
                    trips["raw"] += _round_trips_raw(raw, comm_id, n, 1000 * (r + 1))
            log(f"  widgets: round {r + 1}/{rounds}")
    finally:
        if page is not None:
            page.close()
        raw.close()
        editor.request("jupyter/shutdownKernel", {"kernelId": kernel_id})  # attached: detaches only
        editor.notifications.clear()
    scenario = "slider update, kernel → client"
    base = report.add(Row.of(scenario, "raw pyzmq SUB", one_way["raw"]))
    row = report.add(Row.of(scenario, "sidecar page (WebSocket)", one_way["page"]).against(base))
    row.note = (
        f"{rounds * n - len(one_way['page'])} of {rounds * n} merged away" if len(one_way["page"]) < rounds * n else ""
    )
    scenario = "slider moved, echo_update back"
    base = report.add(Row.of(scenario, "raw pyzmq comm round trip", trips["raw"]))
    report.add(Row.of(scenario, "sidecar page (WebSocket)", trips["page"]).against(base))
