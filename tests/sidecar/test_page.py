"""The sidecar page in headless Chromium, fed by hand (no kernel): how each kind of output
is shown, and that nothing in an output runs or loads from elsewhere."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest
import trio

from bridge.sidecar.http import SidecarServer
from bridge.sidecar.hub import SidecarHub
from bridge.wire import Message
from tests.sidecar.browser import chromium, needs_browser, watch_errors

pytest.importorskip("hypercorn", reason="the sidecar needs hypercorn (pip install -e .)")


def png(width: int = 40, height: int = 20) -> str:
    """A red rectangle, as base64 PNG (made by hand: no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return base64.b64encode(data).decode()


def iopub(msg_type: str, content: dict[str, Any], parent: str = "p1", session: str = "editor") -> Message:
    return Message(
        header={"msg_type": msg_type, "msg_id": "m"},
        parent_header={"msg_id": parent, "session": session},
        content=content,
    )


def display(data: dict[str, Any], parent: str = "p1", display_id: str | None = None) -> Message:
    return iopub(
        "display_data",
        {"data": data, "metadata": {}, "transient": {"display_id": display_id} if display_id else {}},
        parent,
    )


SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='60' height='30'><rect width='60' height='30' fill='blue'/></svg>"
HOSTILE_HTML = (
    "<p id=hostile>kept</p><script>document.getElementById('hostile').textContent = 'ran'</script>"
    "<img src='http://127.0.0.1:9/x.png'>"
)
MARKDOWN = "# Results\n\nSome **bold** and `code` and [docs](https://example.org).\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


@needs_browser
async def test_outputs_are_shown_by_kind_and_nothing_in_them_runs_or_loads() -> None:
    hub = SidecarHub("python3 · k1", kernel_id="k1")
    server = SidecarServer(hub)

    def feed(*messages: tuple[Message, str]) -> None:
        for msg, origin in messages:
            trio.from_thread.run_sync(hub.publish_iopub, msg, origin)

    def in_the_browser(url: str) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with chromium() as browser:
            page = browser.new_page()
            loaded: list[str] = []  # requests that went out (the CSP fails the others first)
            page.on("requestfinished", lambda r: loaded.append(r.url))
            blocked: list[tuple[str, str]] = []
            page.on("requestfailed", lambda r: blocked.append((r.url, r.failure or "")))
            page.goto(url)
            page.wait_for_selector("#link[data-link=up]")
            feed(
                (iopub("status", {"execution_state": "busy"}), "editor"),
                (iopub("execute_input", {"code": "run()", "execution_count": 7}), "editor"),
                (iopub("stream", {"name": "stdout", "text": "plain \x1b[31mred\x1b[0m\n"}), "editor"),
                (iopub("stream", {"name": "stdout", "text": "progress 10%\rprogress 100%\n"}), "editor"),
                (display({"image/png": png(), "text/plain": "<Figure>"}), "editor"),
                (display({"image/svg+xml": SVG, "text/plain": "<svg>"}, display_id="d1"), "editor"),
                (display({"text/markdown": MARKDOWN, "text/plain": "md"}), "editor"),
                (display({"text/latex": r"$\frac{a}{b}$", "text/plain": "a/b"}), "editor"),
                (display({"text/html": HOSTILE_HTML, "text/plain": "html"}), "editor"),
                (
                    iopub(
                        "update_display_data",
                        {"data": {"text/plain": "updated"}, "metadata": {}, "transient": {"display_id": "d1"}},
                    ),
                    "editor",
                ),
                (
                    iopub("execute_result", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": 7}),
                    "editor",
                ),
                (
                    iopub(
                        "error",
                        {"ename": "ValueError", "evalue": "bad", "traceback": ["\x1b[0;31mValueError\x1b[0m: bad"]},
                    ),
                    "editor",
                ),
                (iopub("stream", {"name": "stdout", "text": "soon gone\n"}, parent="p2", session="other"), "other"),
                (iopub("clear_output", {"wait": True}, parent="p2", session="other"), "other"),
                (
                    iopub("stream", {"name": "stdout", "text": "from elsewhere\n"}, parent="p2", session="other"),
                    "other",
                ),
                (iopub("status", {"execution_state": "idle"}), "editor"),
            )
            page.wait_for_selector("#state[data-state=idle]")
            page.wait_for_selector(".cell[data-origin=other] pre.stream:has-text('from elsewhere')")
            cell = page.locator(".cell").first
            seen["prompt"] = cell.locator(".count").inner_text()
            seen["red"] = page.locator("pre.stream span", has_text="red").evaluate("s => getComputedStyle(s).color")
            seen["streams"] = page.locator(".cell").first.locator("pre.stream").all_inner_texts()
            seen["png_width"] = page.locator("img[src^='data:image/png']").evaluate("i => i.complete && i.naturalWidth")
            seen["svg_left"] = page.locator("img[src^='data:image/svg+xml']").count()
            seen["headings"] = page.locator(".markdown h1").all_inner_texts()
            seen["md_link"] = page.locator(".markdown a").get_attribute("href")
            seen["md_cells"] = page.locator(".markdown td").all_inner_texts()
            seen["latex"] = page.locator("pre.latex").inner_text()
            frame = page.frame_locator("iframe[sandbox]")
            seen["hostile"] = frame.locator("#hostile").inner_text()
            seen["texts"] = page.locator(".output pre").all_inner_texts()
            seen["other"] = page.locator(".cell[data-origin=other] pre.stream").all_inner_texts()
            # the page notes a restart and events it missed
            feed()
            trio.from_thread.run_sync(hub.kernel_event, "restarted")
            trio.from_thread.run_sync(hub.publish, {"type": "dropped", "count": 3})
            page.wait_for_selector(".divider:has-text('kernel restarted')")
            page.wait_for_selector(".notice:has-text('3 outputs skipped')")
            seen["loaded"] = loaded
            seen["blocked"] = blocked
        return seen

    async with trio.open_nursery() as nursery:
        url = await nursery.start(server.run)
        with trio.fail_after(120):
            seen = await trio.to_thread.run_sync(in_the_browser, url)
        nursery.cancel_scope.cancel()

    assert seen["prompt"] == "In [7]"
    assert seen["red"] == "rgb(205, 49, 49)"
    assert seen["streams"] == ["plain red\nprogress 100%\n"]
    assert seen["png_width"] == 40
    assert seen["svg_left"] == 0  # update_display_data replaced it
    assert "updated" in seen["texts"] and "42" in seen["texts"]
    assert any("ValueError: bad" in t for t in seen["texts"])
    assert (
        seen["headings"] == ["Results"] and seen["md_link"] == "https://example.org" and seen["md_cells"] == ["1", "2"]
    )
    assert seen["latex"] == r"$\frac{a}{b}$"
    assert seen["hostile"] == "kept"  # the output's script did not run
    assert seen["other"] == ["from elsewhere\n"]  # clear_output(wait=True) cleared at the next output
    origin = url.split("/?")[0]
    assert all(r.startswith((origin, "data:")) for r in seen["loaded"]), seen["loaded"]
    assert seen["blocked"] == [("http://127.0.0.1:9/x.png", "csp")]


class EmptyKernel:
    """What a page asks the kernel for widgets (a fake: an ipywidgets 7 kernel cannot share the
    test environment with ipywidgets 8; the real conversation is tested in
    tests/integration/test_sidecar_widgets.py)."""

    async def send_comm_msg(
        self, comm_id: str, data: dict[str, Any], metadata: dict[str, Any], buffers: list[bytes]
    ) -> str:
        raise AssertionError("the page has nothing to send")

    async def widget_comms(self) -> dict[str, Any]:
        return {}


def widget_open(comm_id: str, protocol: str, module: str, version: str, name: str = "IntSliderModel") -> Message:
    state = {
        "_model_module": module,
        "_model_module_version": version,
        "_model_name": name,
        "_view_module": module,
        "_view_module_version": version,
        "_view_name": "IntSliderView",
        "value": 3,
    }
    return Message(
        header={"msg_type": "comm_open", "msg_id": "o-" + comm_id},
        parent_header={"msg_id": "p1", "session": "editor"},
        metadata={"version": protocol},
        content={"comm_id": comm_id, "target_name": "jupyter.widget", "data": {"state": state, "buffer_paths": []}},
    )


def widget_view(comm_id: str, text: str) -> Message:
    view = {"version_major": 2, "version_minor": 0, "model_id": comm_id}
    return display({"application/vnd.jupyter.widget-view+json": view, "text/plain": text})


@needs_browser
async def test_widgets_the_page_cannot_render_say_why() -> None:
    live = SidecarHub("python3 · k1", kernel_id="k1", link=EmptyKernel())
    standalone = SidecarHub("python3 · kernel-1.json")
    servers = [SidecarServer(live), SidecarServer(standalone)]

    def in_the_browser(urls: list[str]) -> dict[str, Any]:
        with chromium() as browser:
            page = browser.new_page()
            errors = watch_errors(page)
            page.goto(urls[0])
            page.wait_for_selector("#link[data-link=up]")
            for msg in (
                widget_open("w7", "2.0.0", "@jupyter-widgets/controls", "1.5.0"),
                widget_view("w7", "IntSlider(value=3)"),
                widget_open("bq", "2.1.0", "bqplot", "^0.6.1", "FigureModel"),
                widget_view("bq", "Figure(...)"),
            ):
                trio.from_thread.run_sync(live.publish_iopub, msg, "editor")
            page.wait_for_selector(".kb-widget-note:has-text('bqplot')")
            notes = page.locator(".kb-widget").all_inner_texts()
            other = browser.new_page()
            other_errors = watch_errors(other)
            other.goto(urls[1])
            other.wait_for_selector("#link[data-link=up]")
            trio.from_thread.run_sync(standalone.publish_iopub, widget_view("w1", "IntSlider(value=3)"), None)
            other.wait_for_selector(".kb-widget-note")
            return {
                "notes": notes,
                "standalone": other.locator(".kb-widget").inner_text(),
                "errors": errors + other_errors,
            }

    async with trio.open_nursery() as nursery:
        urls = [await nursery.start(server.run) for server in servers]
        with trio.fail_after(120):
            seen = await trio.to_thread.run_sync(in_the_browser, urls)
        nursery.cancel_scope.cancel()

    ipywidgets7, bqplot = seen["notes"]
    assert (
        ipywidgets7.startswith("IntSlider(value=3)")
        and "ipywidgets 7" in ipywidgets7
        and "pip install -U 'ipywidgets>=8'" in ipywidgets7
    )
    assert "needs the JavaScript of bqplot ^0.6.1" in bqplot
    assert seen["standalone"].startswith("IntSlider(value=3)") and "jupyter/openSidecar" in seen["standalone"]
    assert seen["errors"] == []
