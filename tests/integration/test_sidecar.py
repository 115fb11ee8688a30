"""The output sidecar (docs/sidecar.md) with real kernels: ``jupyter/openSidecar`` through a
bridge subprocess, Debian's chromium showing the page, and ``kernel-bridge sidecar
--existing`` on a kernel started by jupyter_client."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import trio
from jupyter_client.manager import KernelManager

from bridge.client import BridgeClient, RpcError
from tests.integration.helpers import HANG_GUARD, run, stdout_text
from tests.sidecar.browser import chromium, needs_browser, watch_errors
from tests.sidecar.wsclient import open_sidecar_socket

PLOT = """
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
plt.plot([1, 3, 2]); plt.title("sidecar"); plt.show()
"""
TABLE = """
from IPython.display import HTML, display
display(HTML("<table><tr><th>planet</th><th>moons</th></tr><tr><td>Mars</td><td>2</td></tr></table>"))
"""
SECOND_CLIENT_TEXT = "printed by the console next door"

needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="matplotlib is not installed (pip install -e '.[test]')"
)


async def open_sidecar(client: BridgeClient, kernel_id: str) -> str:
    result = await client.request("jupyter/openSidecar", {"kernelId": kernel_id})
    url = result["url"]
    assert isinstance(url, str)
    return url


def on_events(predicate: Any) -> Any:
    return lambda e: e.get("type") == "output" and predicate(e)


def stream_has(text: str) -> Any:
    return on_events(lambda e: e["msgType"] == "stream" and text in e["content"].get("text", ""))


async def test_open_sidecar_unknown_kernel_is_32001(bridge: BridgeClient) -> None:
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/openSidecar", {"kernelId": "nope"})
    assert info.value.code == -32001


@needs_browser
@needs_matplotlib
async def test_page_shows_a_plot_and_a_table_from_the_editor_and_text_from_another_client(
    bridge: BridgeClient, kernel: str
) -> None:
    url = await open_sidecar(bridge, kernel)
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and "token=" in parts.query
    assert (await bridge.request("jupyter/openSidecar", {"kernelId": kernel}))["url"] == url  # one per kernel
    reply, outs = await run(
        bridge, kernel, "from ipykernel.connect import get_connection_file; print(get_connection_file())"
    )
    connection_file = stdout_text(outs).strip()

    async def editor_runs(code: str) -> None:
        reply, _ = await run(bridge, kernel, code)
        assert reply["status"] == "ok", reply

    def second_client_prints() -> None:
        from jupyter_client import BlockingKernelClient

        kc = BlockingKernelClient(connection_file=connection_file)
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=HANG_GUARD)
            kc.execute_interactive(f"print({SECOND_CLIENT_TEXT!r})", timeout=HANG_GUARD)
        finally:
            kc.stop_channels()

    def in_the_browser() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with chromium() as browser:
            page = browser.new_page()
            errors = watch_errors(page)
            page.goto(url)
            page.wait_for_selector("#link[data-link=up]")  # live before anything runs
            trio.from_thread.run(editor_runs, PLOT)
            trio.from_thread.run(editor_runs, TABLE)
            second_client_prints()
            png = page.wait_for_selector("img[src^='data:image/png;base64,']")
            seen["png_width"] = png.evaluate("img => img.naturalWidth")
            table = page.frame_locator("iframe[sandbox]").locator("td")
            table.first.wait_for()
            seen["table"] = table.all_inner_texts()
            seen["sandbox"] = page.get_attribute("iframe", "sandbox")
            other = page.wait_for_selector(f".cell[data-origin=other] pre.stream:has-text({SECOND_CLIENT_TEXT!r})")
            seen["other_text"] = other.inner_text()
            # a page opened late gets the recent outputs from the sidecar's history
            late = browser.new_page()
            late.goto(url)
            late.wait_for_selector("img[src^='data:image/png;base64,']")
            late.frame_locator("iframe[sandbox]").locator("td").first.wait_for()
            late.wait_for_selector(f"pre.stream:has-text({SECOND_CLIENT_TEXT!r})")
            # no token, a wrong token: refused
            origin = f"{parts.scheme}://{parts.netloc}"
            seen["no_token"] = page.request.get(f"{origin}/").status
            seen["wrong_token"] = page.request.get(f"{origin}/?token=not-the-token").status
            seen["errors"] = errors
        return seen

    with trio.fail_after(3 * HANG_GUARD):
        seen = await trio.to_thread.run_sync(in_the_browser)
    assert seen["png_width"] > 100  # a real matplotlib figure, decoded by the browser
    assert seen["table"] == ["Mars", "2"]
    assert "allow-scripts" not in seen["sandbox"]
    assert SECOND_CLIENT_TEXT in seen["other_text"]
    assert seen["no_token"] == 403 and seen["wrong_token"] == 403
    assert seen["errors"] == []


async def test_sidecar_reports_a_death_follows_the_restart_and_ends_with_the_kernel(
    bridge: BridgeClient, kernel: str
) -> None:
    url = await open_sidecar(bridge, kernel)
    async with open_sidecar_socket(url) as page:
        hello = await page.wait_for(lambda e: e["type"] == "hello")
        assert hello["kernelId"] == kernel
        await run(bridge, kernel, "print('before the crash')")
        await page.wait_for(stream_has("before the crash"))
        with pytest.raises(RpcError):
            await bridge.request("jupyter/execute", {"kernelId": kernel, "code": "import os; os._exit(1)"})
        dead = await page.wait_for(lambda e: e["type"] == "kernel" and e["event"] == "dead")
        assert "exit code 1" in dead["reason"]
        await bridge.request("jupyter/restartKernel", {"kernelId": kernel})
        await page.wait_for(lambda e: e["type"] == "kernel" and e["event"] == "restarted")
        await run(bridge, kernel, "print('after the restart')")
        event = await page.wait_for(stream_has("after the restart"))
        assert event["origin"] == "editor"
        await bridge.request("jupyter/shutdownKernel", {"kernelId": kernel})
        await page.wait_closed(HANG_GUARD)
    with pytest.raises(OSError):  # the server is gone with the kernel
        await trio.open_tcp_stream("127.0.0.1", urlsplit(url).port or 0)


async def test_sidecar_stops_when_the_bridge_exits(bridge: BridgeClient, kernel: str) -> None:
    url = await open_sidecar(bridge, kernel)
    async with open_sidecar_socket(url) as page:
        await page.wait_for(lambda e: e["type"] == "hello")
        await bridge.close_stdin()
        with trio.fail_after(HANG_GUARD):
            assert await bridge.process.wait() == 0
        await page.wait_closed(HANG_GUARD)
    with pytest.raises(OSError):
        await trio.open_tcp_stream("127.0.0.1", urlsplit(url).port or 0)


@pytest.fixture(params=["plain", "curve"])
def jupyter_client_kernel(request: pytest.FixtureRequest) -> Iterator[KernelManager]:
    """A python3 kernel started by jupyter_client, plain or CurveZMQ-encrypted."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel(transport_encryption="auto" if request.param == "curve" else "disabled")
    try:
        assert ("curve_publickey" in km.get_connection_info()) == (request.param == "curve")
        yield km
    finally:
        km.shutdown_kernel(now=True)


async def test_standalone_sidecar_shows_another_clients_output(jupyter_client_kernel: KernelManager) -> None:
    command = [sys.executable, "-m", "bridge.sidecar", "--existing", jupyter_client_kernel.connection_file]
    process = await trio.lowlevel.open_process(command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        with trio.fail_after(HANG_GUARD):
            line = b""
            while not line.endswith(b"\n"):
                chunk = await process.stdout.receive_some(1)
                assert chunk, "kernel-bridge sidecar exited before printing its URL"
                line += chunk
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:") and "token=" in url
        async with open_sidecar_socket(url) as page:
            await page.wait_for(lambda e: e["type"] == "hello")
            kc = jupyter_client_kernel.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=HANG_GUARD)
                await trio.to_thread.run_sync(
                    lambda: kc.execute_interactive("print('seen by the standalone sidecar')", timeout=HANG_GUARD)
                )
            finally:
                kc.stop_channels()
            event = await page.wait_for(stream_has("seen by the standalone sidecar"))
            assert "origin" not in event and event["session"]
        process.send_signal(signal.SIGINT)
        with trio.fail_after(HANG_GUARD):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            with trio.CancelScope(shield=True):
                await process.wait()
