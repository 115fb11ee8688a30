"""Completion, hover, signature help, code lenses, run cell and diagnostics over LSP,
with non-ASCII text before the cursor under UTF-16 and UTF-8."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio

from bridge.client import BridgeClient, RpcError, spawn_bridge
from tests.integration.helpers import HANG_GUARD

URI = "file:///tmp/kb-doc.py"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def open_doc(client: BridgeClient, text: str, uri: str = URI) -> None:
    await client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )


async def lsp_bridge(
    encodings: list[str] | None = None, completion_timeout: float = 30
) -> AsyncIterator[tuple[BridgeClient, str]]:
    """A bridge with a document bound to a kernel. The completion deadline is generous
    here (a cold jedi can take seconds on a loaded machine); its own test sets it low."""
    caps: dict[str, Any] = {"general": {"positionEncodings": encodings}} if encodings else {}
    async with spawn_bridge() as client:
        init = await client.initialize(caps, initializationOptions={"completionTimeout": completion_timeout})
        kernel = (await client.request("jupyter/startKernel", {"uri": URI}))["kernelId"]
        yield client, init["capabilities"]["positionEncoding"]
        _ = kernel


@pytest.fixture
async def utf16() -> AsyncIterator[tuple[BridgeClient, str]]:
    async for pair in lsp_bridge():
        yield pair


@pytest.fixture(params=["utf-16", "utf-8"])
async def any_encoding(request: pytest.FixtureRequest) -> AsyncIterator[tuple[BridgeClient, str]]:
    async for pair in lsp_bridge(None if request.param == "utf-16" else [request.param]):
        assert pair[1] == request.param
        yield pair


def completion_params(line: int, character: int, uri: str = URI) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


async def test_capabilities_are_advertised(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    init = await client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    caps = init["capabilities"]
    assert caps["completionProvider"]["triggerCharacters"] == ["."]
    assert caps["hoverProvider"] and caps["codeLensProvider"] is not None
    assert caps["signatureHelpProvider"]["triggerCharacters"] == ["(", ","]
    assert "jupyter.runCell" in caps["executeCommandProvider"]["commands"]
    assert caps["textDocumentSync"]["change"] == 2


async def test_completion_after_emoji_and_cjk(any_encoding: tuple[BridgeClient, str]) -> None:
    client, encoding = any_encoding
    prefix = "s = '😀世界'; import o"
    await open_doc(client, "x = 1\n" + prefix + "\n")
    measure = utf16_len if encoding == "utf-16" else (lambda t: len(t.encode("utf-8")))
    column = measure(prefix)
    # IPython gives jedi 400 ms to type the items: the first completion (cold caches) on a
    # busy machine can miss it, as it would for a user; the test is about positions
    await client.request("textDocument/completion", completion_params(1, column))
    result = await client.request("textDocument/completion", completion_params(1, column))
    items = {item["label"]: item for item in result["items"]}
    assert "os" in items
    edit = items["os"]["textEdit"]
    assert edit["newText"] == "os"
    assert edit["range"] == {"start": {"line": 1, "character": column - 1}, "end": {"line": 1, "character": column}}
    assert items["os"]["kind"] == 9  # Module, from _jupyter_types_experimental


async def test_completion_uses_the_cell_around_the_cursor(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    text = "# %%\nalpha_value = 1\n# %%\nimport os\nos.pa"
    await open_doc(client, text)
    await client.request("jupyter/execute", {"uri": URI, "code": "alpha_value = 1"})
    result = await client.request("textDocument/completion", completion_params(4, 5))
    labels = [i["label"] for i in result["items"]]
    assert "os.path" in labels or "path" in labels
    start = result["items"][0]["textEdit"]["range"]["start"]
    assert start["line"] == 4


async def test_completion_with_no_kernel_is_empty(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    other = "file:///tmp/no-kernel.py"
    await open_doc(client, "import o", other)
    result = await client.request("textDocument/completion", completion_params(0, 8, other))
    assert result == {"isIncomplete": False, "items": []}


async def test_completion_while_busy_answers_at_once_and_does_not_queue(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    await open_doc(client, "import o")
    async with trio.open_nursery() as nursery:
        start = len(client.notifications)
        nursery.start_soon(client.request, "jupyter/execute", {"uri": URI, "code": "import time; time.sleep(3)"})
        await client.wait_for(
            lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "busy", start
        )
        with trio.fail_after(HANG_GUARD):
            result = await client.request("textDocument/completion", completion_params(0, 8))
        assert result == {"isIncomplete": True, "items": []}
        assert await client.request("textDocument/hover", completion_params(0, 3)) is None


async def test_hover_shows_the_docstring(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    await open_doc(client, "print('x')")
    result = await client.request("textDocument/hover", completion_params(0, 3))
    assert result["contents"]["kind"] == "markdown"
    value = result["contents"]["value"]
    assert "Prints the values" in value and "\x1b[" not in value


async def test_hover_on_nothing_is_null(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    await open_doc(client, "   ")
    assert await client.request("textDocument/hover", completion_params(0, 1)) is None


async def test_signature_help(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    await open_doc(client, "def area(width, height):\n    '''Area of a box.'''\n    return width * height\n\narea(3, ")
    await client.request(
        "jupyter/execute",
        {"uri": URI, "code": "def area(width, height):\n    '''Area of a box.'''\n    return width * height"},
    )
    result = await client.request("textDocument/signatureHelp", completion_params(4, 8))
    assert result["signatures"][0]["label"] == "area(width, height)"
    assert result["activeParameter"] == 1
    assert "Area of a box" in result["signatures"][0]["documentation"]["value"]


async def test_code_lenses_and_run_cell_command(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    text = "import math\n# %% first\nx = 2\n# %% second\nprint(x * 21)\n"
    await open_doc(client, text)
    lenses = await client.request("textDocument/codeLens", {"textDocument": {"uri": URI}})
    assert [(lens["range"]["start"]["line"], lens["command"]["arguments"]) for lens in lenses] == [
        (0, [URI, 0]),
        (1, [URI, 1]),
        (3, [URI, 3]),
    ]
    assert lenses[0]["command"]["command"] == "jupyter.runCell"
    await client.request("workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 2]})
    msg_id = client.new_id()
    result = await client.request(
        "workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 4]}, msg_id=msg_id
    )
    assert result["status"] == "ok"
    assert [o["content"]["text"] for o in client.outputs(msg_id)] == ["42\n"]
    # a third argument names the run (runId, as in jupyter/execute): echoed in its outputs
    msg_id = client.new_id()
    await client.request(
        "workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 4, "cell-b"]}, msg_id=msg_id
    )
    assert [(o["content"]["text"], o["runId"]) for o in client.outputs(msg_id)] == [("42\n", "cell-b")]
    with pytest.raises(RpcError) as bad:
        await client.request("workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 4, 7]})
    assert bad.value.code == -32602 and "runId" in bad.value.message


async def test_error_becomes_a_diagnostic_on_the_line_that_raised(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    text = "# %%\na = 1\nb = 0\nc = a / b\n"
    await open_doc(client, text)
    start = len(client.notifications)
    result = await client.request("workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 1]})
    assert result["status"] == "error"
    diag = await client.wait_for(lambda n: n["method"] == "textDocument/publishDiagnostics", start)
    (d,) = diag["params"]["diagnostics"]
    assert diag["params"]["uri"] == URI
    assert d["range"]["start"]["line"] == 3
    assert d["message"].startswith("ZeroDivisionError")
    start = len(client.notifications)
    await client.request("jupyter/execute", {"uri": URI, "code": "b = 1", "firstLine": 2})
    cleared = await client.wait_for(lambda n: n["method"] == "textDocument/publishDiagnostics", start)
    assert cleared["params"]["diagnostics"] == []


async def test_incremental_changes_are_followed(utf16: tuple[BridgeClient, str]) -> None:
    client, _ = utf16
    await open_doc(client, "x = 1\n")
    await client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": URI, "version": 2},
            "contentChanges": [
                {
                    "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
                    "text": "import o",
                }
            ],
        },
    )
    result = await client.request("textDocument/completion", completion_params(1, 8))
    assert "os" in [i["label"] for i in result["items"]]


async def test_a_slow_completion_answers_empty_at_the_deadline() -> None:
    async for client, _ in lsp_bridge(completion_timeout=0.5):
        slow = "import time\nk = get_ipython().kernel\n_orig = k.do_complete\nk.do_complete = lambda *a, **kw: (time.sleep(5), _orig(*a, **kw))[1]"
        assert (await client.request("jupyter/execute", {"uri": URI, "code": slow}))["status"] == "ok"
        await open_doc(client, "import o")
        with trio.fail_after(HANG_GUARD):
            result = await client.request("textDocument/completion", completion_params(0, 8))
        assert result == {"isIncomplete": True, "items": []}
