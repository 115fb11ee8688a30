"""Jupyter widgets in the output sidecar (docs/sidecar.md, "Widgets"): a real bridge, a real
ipykernel with ipywidgets 8, and Debian's chromium showing the page. The kernel's values are
read back with an execute; the page's, from the rendered controls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from bridge.client import BridgeClient
from tests.integration.helpers import HANG_GUARD, run, stdout_text
from tests.sidecar.browser import chromium, needs_browser, watch_errors

SLIDER = "import ipywidgets as w\ns = w.IntSlider(value=3, min=0, max=10, description='level')\ns"
# the slider's handle (noUiSlider) and its readout
HANDLE = ".widget-slider .noUi-handle"
READOUT = ".widget-slider .widget-readout"


async def kernel_value(bridge: BridgeClient, kernel: str, expression: str, expected: str) -> str:
    """``expression``'s value in the kernel once it is ``expected`` (the page's changes reach
    the kernel asynchronously: a model sends its next change when the kernel is done with
    the previous one), or its last value if it never gets there."""
    with trio.move_on_after(HANG_GUARD):
        while True:
            reply, outs = await run(bridge, kernel, f"print({expression})")
            assert reply["status"] == "ok", reply
            if (value := stdout_text(outs).strip()) == expected:
                break
            await trio.sleep(0.05)
    return value


def in_browser(url: str, steps: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    with chromium() as browser:
        return steps(browser)


def runner(bridge: BridgeClient, kernel: str) -> Callable[[str], Awaitable[None]]:
    """An execute that must succeed, for the browser thread to call (``call``)."""

    async def execute(code: str) -> None:
        reply, _ = await run(bridge, kernel, code)
        assert reply["status"] == "ok", reply

    return execute


def open_page(browser: Any, url: str) -> tuple[Any, Any]:
    """A new page on the sidecar, once its WebSocket is up; and its error watcher."""
    page = browser.new_page()
    errors = watch_errors(page)
    page.goto(url)
    page.wait_for_selector("#link[data-link=up]")
    return page, errors


def call(fn: Any, *args: Any) -> Any:
    """Run a trio coroutine function of the test from playwright's thread."""
    return trio.from_thread.run(fn, *args)


def readout(page: Any, value: str) -> None:
    page.wait_for_function(
        "([sel, v]) => { const e = document.querySelector(sel); return e && (e.value ?? e.textContent).trim() === v; }",
        arg=[READOUT, value],
    )


@needs_browser
async def test_a_slider_renders_moves_the_kernel_value_and_follows_it(bridge: BridgeClient, kernel: str) -> None:
    url = (await bridge.request("jupyter/openSidecar", {"kernelId": kernel}))["url"]

    execute = runner(bridge, kernel)

    def steps(browser: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        page, errors = open_page(browser, url)
        call(execute, SLIDER)
        page.wait_for_selector(HANDLE)
        seen["label"] = page.locator(".widget-slider .widget-label").inner_text()
        readout(page, "3")
        # the keyboard moves the handle: the kernel's value follows
        page.locator(HANDLE).focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        readout(page, "5")
        seen["kernel_after_keys"] = call(kernel_value, bridge, kernel, "s.value", "5")
        # the kernel sets it: the page follows
        call(execute, "s.value = 7")
        readout(page, "7")
        seen["handle_now"] = page.locator(HANDLE).get_attribute("aria-valuenow")
        # a page opened now shows the slider with its current value
        late = browser.new_page()
        late_errors = watch_errors(late)
        late.goto(url)
        late.wait_for_selector(HANDLE)
        readout(late, "7")
        # and both pages follow the kernel
        call(execute, "s.value = 1")
        readout(page, "1")
        readout(late, "1")
        # a change in the late page reaches the kernel and the first page
        late.locator(HANDLE).focus()
        late.keyboard.press("ArrowRight")
        readout(page, "2")
        seen["kernel_after_late_page"] = call(kernel_value, bridge, kernel, "s.value", "2")
        seen["errors"] = errors + late_errors
        return seen

    with trio.fail_after(4 * HANG_GUARD):
        seen = await trio.to_thread.run_sync(in_browser, url, steps)
    assert seen["label"] == "level"
    assert seen["kernel_after_keys"] == "5"
    assert seen["handle_now"] in ("7", "7.0", "7.00")
    assert seen["kernel_after_late_page"] == "2"
    assert seen["errors"] == []


INTERACT = """
import ipywidgets as w
def f(x):
    print(f"f ran with x={x}")
w.interact(f, x=(0, 10))
"""


@needs_browser
async def test_interact_reruns_f_and_its_output_shows_in_the_page(bridge: BridgeClient, kernel: str) -> None:
    url = (await bridge.request("jupyter/openSidecar", {"kernelId": kernel}))["url"]

    execute = runner(bridge, kernel)

    def steps(browser: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        page, errors = open_page(browser, url)
        call(execute, INTERACT)
        output = page.locator(".widget-interact .widget-output")
        output.get_by_text("f ran with x=5").wait_for()
        page.locator(HANDLE).focus()
        page.keyboard.press("End")  # to the maximum
        output.get_by_text("f ran with x=10").wait_for()
        seen["output"] = output.inner_text()
        # the Output widget shows what f printed, not the page's cell
        seen["cell_streams"] = page.locator(".cell pre.stream").all_inner_texts()
        seen["errors"] = errors
        return seen

    with trio.fail_after(4 * HANG_GUARD):
        seen = await trio.to_thread.run_sync(in_browser, url, steps)
    assert seen["output"].strip() == "f ran with x=10"  # clear_output(wait=True) before each run
    assert not any("f ran" in text for text in seen["cell_streams"]), seen["cell_streams"]
    assert seen["errors"] == []


TQDM = """
import time
from tqdm.auto import tqdm
for i in tqdm(range(1000), mininterval=0, desc="steps"):
    time.sleep(0.001)
"""
# counts the animation frames the page renders (a page whose script is swamped renders none)
COUNT_FRAMES = "window.kbFrames = 0; (function tick() { window.kbFrames++; requestAnimationFrame(tick); })();"


@needs_browser
async def test_a_tqdm_loop_of_1000_steps_ends_at_100_percent_and_the_page_stays_responsive(
    bridge: BridgeClient, kernel: str
) -> None:
    url = (await bridge.request("jupyter/openSidecar", {"kernelId": kernel}))["url"]
    await run(bridge, kernel, "import tqdm.auto, ipywidgets")  # imports out of the timed part

    def steps(browser: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        page, errors = open_page(browser, url)
        page.evaluate(COUNT_FRAMES)
        done = trio.from_thread.run(start_loop)
        page.wait_for_selector(".widget-hprogress")  # the bar is shown while the loop runs
        frames = []
        while not done.is_set():
            # the page answers, and keeps rendering, while a thousand updates stream in
            frames.append(page.evaluate("window.kbFrames"))
            page.wait_for_timeout(100)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html-content')].some(e => e.textContent.includes('1000/1000'))"
        )
        # tqdm pads with figure spaces (U+2007)
        seen["labels"] = [t.replace("\u2007", " ") for t in page.locator(".widget-html-content").all_inner_texts()]
        seen["bar"] = page.locator(".widget-hprogress .progress-bar").evaluate("b => b.style.width")
        seen["frames_while_running"] = frames[-1] - frames[0] if len(frames) > 1 else None
        seen["polls"] = len(frames)
        seen["errors"] = errors
        return seen

    finished = trio.Event()

    async def loop() -> None:
        try:
            reply, outs = await run(bridge, kernel, TQDM)
        finally:
            finished.set()  # the browser's thread polls it (a failure must not leave it waiting)
        assert reply["status"] == "ok", reply
        # the editor gets one line saying where the bar is, not the widget's repr
        (bar,) = [o for o in outs if o["msgType"] == "display_data"]
        assert "open the output page" in bar["content"]["data"]["text/plain"], bar

    async def start_loop() -> trio.Event:
        nursery.start_soon(loop)
        return finished

    async with trio.open_nursery() as nursery:
        with trio.fail_after(4 * HANG_GUARD):
            seen = await trio.to_thread.run_sync(in_browser, url, steps)
    assert any(label.strip().startswith("steps: 100%") for label in seen["labels"]), seen["labels"]
    assert any("1000/1000" in label for label in seen["labels"]), seen["labels"]
    assert seen["bar"] == "100%"
    assert seen["polls"] >= 2 and seen["frames_while_running"], seen  # it rendered frames throughout
    assert seen["errors"] == []


BINARY = """
import ipywidgets as w
from tests.sidecar.test_page import png
import base64
clicks = []
up = w.FileUpload(description="send")
button = w.Button(description="press")
button.on_click(lambda _: clicks.append(1))
w.VBox([w.Image(value=base64.b64decode(png(40, 20)), format="png"), up, button])
"""


@needs_browser
async def test_binary_buffers_and_custom_messages_cross_both_ways(bridge: BridgeClient, kernel: str) -> None:
    url = (await bridge.request("jupyter/openSidecar", {"kernelId": kernel}))["url"]
    reply, _ = await run(bridge, kernel, f"import sys; sys.path.insert(0, {str(Path.cwd())!r})")
    assert reply["status"] == "ok", reply

    execute = runner(bridge, kernel)

    def steps(browser: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        page, errors = open_page(browser, url)
        call(execute, BINARY)
        # kernel -> page: the Image widget's bytes arrive as a buffer (a binary frame)
        image = page.wait_for_selector(".widget-image")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
        seen["image_width"] = image.evaluate("img => img.naturalWidth")
        # page -> kernel: a file's bytes in the FileUpload's value, a click as a custom message
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="send").click()
        chooser.value.set_files(
            files=[{"name": "note.bin", "mimeType": "application/octet-stream", "buffer": bytes(range(256)) * 4}]
        )
        seen["uploaded"] = call(
            kernel_value,
            bridge,
            kernel,
            "up.value[0].content.tobytes() == bytes(range(256)) * 4 if up.value else None",
            "True",
        )
        page.get_by_role("button", name="press").click()
        page.get_by_role("button", name="press").click()
        seen["clicks"] = call(kernel_value, bridge, kernel, "len(clicks)", "2")
        seen["errors"] = errors
        return seen

    with trio.fail_after(4 * HANG_GUARD):
        seen = await trio.to_thread.run_sync(in_browser, url, steps)
    assert seen["image_width"] == 40
    assert seen["uploaded"] == "True"
    assert seen["clicks"] == "2"
    assert seen["errors"] == []
