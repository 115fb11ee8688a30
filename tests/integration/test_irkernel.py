"""IRkernel (R) through a real bridge, as an editor uses it: results, plots and HTML, R's
traceback, completion, readable help on hover and inspect, readline() through
jupyter/input, interrupting Sys.sleep, and jupyter/variables.

One R kernel, started once for the module by jupyter_client, serves every test but the
interrupt one (R takes seconds to start); each test's bridge attaches to it with
jupyter/connectKernel. The interrupt test starts its own through jupyter/startKernel, so
that path (and SIGINT to an owned kernel) is covered too. The kernelspec ``ir`` comes from
scripts/test-setup.d/50-irkernel.sh (Debian's r-cran-irkernel).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trio
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager

from bridge.client import BridgeClient, spawn_bridge
from tests.integration.helpers import HANG_GUARD, run, stdout_text
from tests.sidecar.wsclient import open_sidecar_socket

URI = "file:///tmp/kb-analysis.R"


def _require_irkernel() -> None:
    try:
        KernelSpecManager().get_kernel_spec("ir")
    except NoSuchKernel:
        message = "no 'ir' kernelspec: scripts/test-setup.d/50-irkernel.sh installs r-cran-irkernel and registers it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def r_kernel() -> Iterator[str]:
    """The connection file of an R kernel shared by this module's tests."""
    _require_irkernel()
    km = KernelManager(kernel_name="ir")
    km.start_kernel()
    try:
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=HANG_GUARD)
        finally:
            client.stop_channels()
        yield km.connection_file
    finally:
        km.shutdown_kernel(now=True)


@pytest.fixture
async def editor(r_kernel: str) -> AsyncIterator[tuple[BridgeClient, str]]:
    """A bridge whose editor answers jupyter/input, attached to the shared R kernel with
    ``URI`` bound to it; and the kernelId."""
    async with spawn_bridge() as client:
        await client.initialize(
            {"experimental": {"jupyterInput": True}}, initializationOptions={"completionTimeout": 30}
        )
        ref = await client.request("jupyter/connectKernel", {"connectionFile": r_kernel, "uri": URI})
        assert ref["language"] == "R" and ref["implementation"] == "IRkernel"
        yield client, ref["kernelId"]


def of_type(outputs: list[dict[str, Any]], msg_type: str) -> list[dict[str, Any]]:
    return [o["content"] for o in outputs if o["msgType"] == msg_type]


async def open_doc(client: BridgeClient, text: str) -> None:
    await client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "r", "version": 1, "text": text}}
    )


def at(line: int, character: int) -> dict[str, Any]:
    return {"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}


async def test_a_value_and_printed_text_come_back(editor: tuple[BridgeClient, str]) -> None:
    client, kernel = editor
    reply, outs = await run(client, kernel, 'cat("from R\\n"); 6 * 7')
    assert reply["status"] == "ok" and isinstance(reply["executionCount"], int)
    assert stdout_text(outs) == "from R\n"
    # IRkernel shows a value as display_data (never execute_result), in every format it has
    (value,) = of_type(outs, "display_data")
    assert value["data"]["text/plain"] == "[1] 42" and value["data"]["text/html"] == "42"
    again, _ = await run(client, kernel, "invisible(NULL)")
    assert again["executionCount"] == reply["executionCount"] + 1


async def test_a_plot_is_a_png_and_a_data_frame_is_html(editor: tuple[BridgeClient, str]) -> None:
    client, kernel = editor
    reply, outs = await run(client, kernel, "plot(1:10)")
    assert reply["status"] == "ok"
    (plot,) = of_type(outs, "display_data")
    assert base64.b64decode(plot["data"]["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    reply, outs = await run(client, kernel, 'data.frame(n = 1:3, letter = c("a", "b", "c"))')
    assert reply["status"] == "ok"
    (table,) = of_type(outs, "display_data")
    assert "<table" in table["data"]["text/html"] and "letter" in table["data"]["text/html"]


async def test_an_error_carries_rs_traceback(editor: tuple[BridgeClient, str]) -> None:
    client, kernel = editor
    code = 'inner <- function() stop("boom")\nouter <- function() inner()\nouter()'
    reply, outs = await run(client, kernel, code)
    assert reply["status"] == "error" and reply["ename"] == "ERROR" and "boom" in reply["evalue"]
    (error,) = of_type(outs, "error")
    assert error["traceback"][0].startswith("Error in inner(): boom")
    assert [line.split("   #")[0] for line in error["traceback"][1:]] == ["1. outer()", "2. inner()", '3. stop("boom")']
    after, _ = await run(client, kernel, "1")
    assert after["status"] == "ok"  # the kernel goes on


async def test_completion_by_jupyter_complete_and_by_lsp(editor: tuple[BridgeClient, str]) -> None:
    client, kernel = editor
    complete = await client.request("jupyter/complete", {"kernelId": kernel, "code": "x <- mea", "cursorPos": 8})
    assert "mean" in complete["matches"] and (complete["cursor_start"], complete["cursor_end"]) == (5, 8)
    await open_doc(client, "x <- mea")
    items = (await client.request("textDocument/completion", at(0, 8)))["items"]
    mean = next(i for i in items if i["label"] == "mean")
    assert mean["textEdit"] == {
        "range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 8}},
        "newText": "mean",
    }


async def test_help_is_readable_on_hover_and_inspect(editor: tuple[BridgeClient, str]) -> None:
    """R's help is overstruck for a terminal (``_\\bA_\\br…``): the editor gets the letters."""
    client, kernel = editor
    await open_doc(client, "m <- mean(1:3)")
    hover = await client.request("textDocument/hover", at(0, 7))
    text = hover["contents"]["value"]
    assert "Arithmetic Mean" in text and "Description:" in text and "mean(x, trim = 0, na.rm = FALSE, ...)" in text
    assert "\b" not in text and "\x1b" not in text
    inspect = await client.request("jupyter/inspect", {"kernelId": kernel, "code": "mean", "cursorPos": 4})
    assert inspect["found"] is True
    plain = inspect["data"]["text/plain"]
    assert "Arithmetic Mean" in plain and "\b" not in plain
    assert "<h2>Arithmetic Mean</h2>" in inspect["data"]["text/html"]  # the rest as the kernel sent it


async def test_readline_is_answered_by_the_editor(editor: tuple[BridgeClient, str]) -> None:
    client, kernel = editor
    prompts: list[dict[str, Any]] = []

    async def answer(method: str, params: Any) -> Any:
        assert method == "jupyter/input"
        prompts.append(params)
        return {"value": "Ada"}

    client.on_request = answer
    msg_id = client.new_id()
    code = 'name <- readline("Name: "); cat("hi", name, "\\n")'
    reply = await client.request("jupyter/execute", {"kernelId": kernel, "code": code}, msg_id=msg_id)
    assert reply["status"] == "ok"
    assert prompts == [{"kernelId": kernel, "requestId": msg_id, "prompt": "Name: ", "password": False}]
    assert stdout_text(client.outputs(msg_id)) == "hi Ada \n"


async def test_variables_lists_names_classes_and_summaries(editor: tuple[BridgeClient, str]) -> None:
    client, kernel = editor
    code = (
        'kb_n <- 1:10; kb_s <- "hello"; kb_df <- data.frame(a = 1:3, b = c("x", "y", "z"))\n'
        'kb_m <- matrix(1:6, nrow = 2); kb_big <- strrep("x", 1e6); kb_f <- function(y) y; .kb_hidden <- 1\n'
        'ls <- function(...) "the user\'s own ls"; length <- function(x) -1L'  # the query must not call these
    )
    reply, _ = await run(client, kernel, code)
    start = len(client.notifications)
    listed = await client.request("jupyter/variables", {"kernelId": kernel})
    during = client.notifications[start:]
    variables = {v["name"]: v for v in listed}
    assert variables["kb_n"] == {
        "name": "kb_n",
        "type": "integer",
        "summary": "int [1:10] 1 2 3 4 5 6 7 8 9 10",
        "size": 10,
    }
    assert variables["kb_s"] == {"name": "kb_s", "type": "character", "summary": 'chr "hello"', "size": 1}
    assert variables["kb_df"] == {
        "name": "kb_df", "type": "data.frame", "summary": "'data.frame': 3 obs. of 2 variables:", "shape": [3, 2],
    }  # fmt: skip
    assert variables["kb_m"]["type"] == "matrix" and variables["kb_m"]["shape"] == [2, 3]
    assert variables["kb_big"]["summary"].startswith('chr "xxx') and len(variables["kb_big"]["summary"]) <= 200
    assert not {"kb_f", "ls", "length", ".kb_hidden"} & set(variables)  # no functions, no hidden names
    assert not [n for n in during if n["method"] == "jupyter/output"]  # nothing printed
    after, _ = await run(client, kernel, "rm(ls, length)")
    assert after["executionCount"] == reply["executionCount"] + 1  # and nothing added to the history


async def test_the_output_page_does_not_show_the_variables_query(editor: tuple[BridgeClient, str]) -> None:
    """IRkernel broadcasts execute_input even for a silent execute, and the R query's listing
    travels on iopub: the bridge's own output page must not show either."""
    client, kernel = editor
    url = (await client.request("jupyter/openSidecar", {"kernelId": kernel}))["url"]
    async with open_sidecar_socket(url) as page:
        await page.wait_for(lambda e: e["type"] == "hello")
        await client.request("jupyter/variables", {"kernelId": kernel})
        await run(client, kernel, 'cat("after the query\\n")')
        seen: list[dict[str, Any]] = []

        def until_marker(event: dict[str, Any]) -> bool:
            seen.append(event)
            return "after the query" in json.dumps(event)

        await page.wait_for(until_marker)
    assert not [e for e in seen if "kernel-bridge.variables" in json.dumps(e) or "base::new.env" in json.dumps(e)], seen


async def test_interrupt_stops_sys_sleep_in_a_kernel_the_bridge_started() -> None:
    _require_irkernel()
    async with spawn_bridge() as client:
        await client.initialize()
        ref = await client.request("jupyter/startKernel", {"kernelName": "ir"})
        assert ref["language"] == "R" and ref["implementation"] == "IRkernel"
        kernel = ref["kernelId"]

        # interrupt once R is inside Sys.sleep: evaluate() sends each top-level expression's output as it ends
        code = 'cat("sleeping\\n")\nSys.sleep(60)'
        msg_id = client.new_id()
        outcome: list[dict[str, Any]] = []

        async def execute() -> None:
            outcome.append(await client.request("jupyter/execute", {"kernelId": kernel, "code": code}, msg_id=msg_id))

        with trio.fail_after(HANG_GUARD):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(execute)
                await client.wait_for(lambda n: n["method"] == "jupyter/output" and n["params"]["requestId"] == msg_id)
                await client.request("jupyter/interruptKernel", {"kernelId": kernel})
        assert outcome[0]["status"] == "abort"  # IRkernel's word for an interrupted run
        reply, outs = await run(client, kernel, 'cat("still here\\n")')
        assert reply["status"] == "ok" and stdout_text(outs) == "still here\n"
