"""Jupyter widgets in the output sidecar (docs/sidecar.md, "Widgets"): a real bridge, a real
ipykernel with ipywidgets 8, and Debian's chromium showing the page. The kernel's values are
read back with an execute; the page's, from the rendered controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio

from bridge.client import BridgeClient
from tests.integration.helpers import HANG_GUARD, run, stdout_text
from tests.sidecar.browser import chromium, needs_browser, watch_errors

pytest.importorskip("ipywidgets", reason="the widget tests need ipywidgets 8 (pip install -e '.[test]')")

SLIDER = "import ipywidgets as w\ns = w.IntSlider(value=3, min=0, max=10, description='level')\ns"
# the slider's handle (noUiSlider) and its readout
HANDLE = ".widget-slider .noUi-handle"
READOUT = ".widget-slider .widget-readout"


async def kernel_value(bridge: BridgeClient, kernel: str, expression: str) -> str:
    reply, outs = await run(bridge, kernel, f"print({expression})")
    assert reply["status"] == "ok", reply
    return stdout_text(outs).strip()


def in_browser(url: str, steps: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    with chromium() as browser:
        return steps(browser)


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

    async def execute(code: str) -> None:
        reply, _ = await run(bridge, kernel, code)
        assert reply["status"] == "ok", reply

    def steps(browser: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        page = browser.new_page()
        errors = watch_errors(page)
        page.goto(url)
        page.wait_for_selector("#link[data-link=up]")
        call(execute, SLIDER)
        page.wait_for_selector(HANDLE)
        seen["label"] = page.locator(".widget-slider .widget-label").inner_text()
        readout(page, "3")
        # the keyboard moves the handle: the kernel's value follows
        page.locator(HANDLE).focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        readout(page, "5")
        seen["kernel_after_keys"] = call(kernel_value, bridge, kernel, "s.value")
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
        seen["kernel_after_late_page"] = call(kernel_value, bridge, kernel, "s.value")
        seen["errors"] = errors + late_errors
        return seen

    with trio.fail_after(4 * HANG_GUARD):
        seen = await trio.to_thread.run_sync(in_browser, url, steps)
    assert seen["label"] == "level"
    assert seen["kernel_after_keys"] == "5"
    assert seen["handle_now"] in ("7", "7.0", "7.00")
    assert seen["kernel_after_late_page"] == "2"
    assert seen["errors"] == []
