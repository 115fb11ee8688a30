"""The standard-LSP side of docs/protocol.md's "Any LSP editor" at the wire: what a stock
client is told when no kernel fits its document, how bad command arguments are answered,
the code-action menu, and that an adapter declaring ``jupyterOutput`` gets none of the
bridge's own displays. (The whole loop in a real editor: tests/editors/test_neovim.py.)"""

from __future__ import annotations

from typing import Any

import pytest
import trio

from bridge.client import BridgeClient, RpcError, spawn_bridge
from tests.integration.helpers import HANG_GUARD

URI = "file:///tmp/kb-any-editor.py"


async def open_doc(client: BridgeClient, text: str, uri: str = URI, language: str = "python") -> None:
    await client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}
    )


def command(name: str, *arguments: Any) -> dict[str, Any]:
    return {"command": name, "arguments": list(arguments)}


async def test_no_kernelspec_for_the_language_names_the_setting() -> None:
    async with spawn_bridge() as client:
        await client.initialize()
        uri = "file:///tmp/kb-any-editor.rs"
        await open_doc(client, "fn main() {}\n", uri, "rust")
        start = len(client.notifications)
        with pytest.raises(RpcError) as info:
            await client.request("workspace/executeCommand", command("jupyter.run.line", uri, 0))
        assert info.value.code == -32013
        assert "initializationOptions.kernels" in info.value.message and "'rust'" in info.value.message
        shown = await client.wait_for(lambda n: n["method"] == "window/showMessage", start)
        assert shown["params"]["type"] == 1 and "initializationOptions.kernels" in shown["params"]["message"]


async def test_autostart_never_says_so() -> None:
    async with spawn_bridge() as client:
        await client.initialize(initializationOptions={"autoStart": "never"})
        await open_doc(client, "1 + 1\n")
        with pytest.raises(RpcError) as info:
            await client.request("workspace/executeCommand", command("jupyter.run.line", URI, 0))
        assert info.value.code == -32001 and '"never"' in info.value.message


async def test_bad_command_arguments_are_invalid_params_naming_them() -> None:
    async with spawn_bridge() as client:
        await client.initialize()
        await open_doc(client, "x = 1\n")
        for arguments, words in (
            ([URI, "two"], "line must be an integer"),
            ([URI, 99], "line 99 is outside"),
            ([42], "the first argument is the document's uri"),
            (["file:///not/open.py", 0], "is not open"),
        ):
            with pytest.raises(RpcError) as info:
                await client.request("workspace/executeCommand", command("jupyter.run.line", *arguments))
            assert info.value.code == -32602 and words in info.value.message
        with pytest.raises(RpcError) as info:
            await client.request("workspace/executeCommand", command("jupyter.run.selection", URI, {"start": 1}))
        assert info.value.code == -32602 and "range must be an LSP Range" in info.value.message


async def test_the_menu_offers_runs_and_kernelspecs_with_their_kinds_and_commands() -> None:
    async with spawn_bridge() as client:
        init = await client.initialize()
        caps = init["capabilities"]
        assert "source.jupyter.run.cell" in caps["codeActionProvider"]["codeActionKinds"]
        assert caps["inlayHintProvider"] is not None
        assert {"jupyter.run.cell", "jupyter.kernel.interrupt", "jupyter.output.open"} <= set(
            caps["executeCommandProvider"]["commands"]
        )
        await open_doc(client, "# %%\nx = 1\nx\n")
        at = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}
        params = {"textDocument": {"uri": URI}, "range": at, "context": {"diagnostics": []}}
        actions = await client.request("textDocument/codeAction", params)
        kinds = [a["kind"] for a in actions]
        assert kinds[:3] == ["source.jupyter.run.cell", "source.jupyter.run.line", "source.jupyter.run.file"]
        assert "source.jupyter.run.selection" not in kinds  # an empty range selects nothing
        (start_python,) = [a for a in actions if a["command"]["arguments"] == [URI, "python3"]]
        assert start_python["kind"] == "source.jupyter.kernel.start"
        assert actions[0]["title"] == "Run cell (lines 2–3)"
        assert actions[0]["command"] == {
            "title": "Run cell (lines 2–3)",
            "command": "jupyter.run.cell",
            "arguments": [URI, 1],
        }
        only = await client.request(
            "textDocument/codeAction", {**params, "context": {"diagnostics": [], "only": ["source.jupyter.run"]}}
        )
        assert {a["kind"] for a in only} == {
            "source.jupyter.run.cell",
            "source.jupyter.run.line",
            "source.jupyter.run.file",
        }
        automatic = {**params, "context": {"diagnostics": [], "triggerKind": 2}}
        assert await client.request("textDocument/codeAction", automatic) == []


async def test_an_adapter_that_shows_outputs_gets_no_hints_nor_run_hovers() -> None:
    async with spawn_bridge() as client:
        await client.initialize({"experimental": {"jupyterInput": True, "jupyterOutput": True}})
        await open_doc(client, "# %%\nx = 6 * 7\nx\n")
        result = await client.request("workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 1]})
        assert result["status"] == "ok"  # the kernel started for the document
        whole = {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}
        assert await client.request("textDocument/inlayHint", {"textDocument": {"uri": URI}, "range": whole}) == []


async def test_a_stock_client_gets_the_hint_and_the_run_hover() -> None:
    async with spawn_bridge() as client:
        await client.initialize()
        await open_doc(client, "# %%\nprint('side')\nx = 6 * 7\nx\n")
        result = await client.request("workspace/executeCommand", {"command": "jupyter.runCell", "arguments": [URI, 1]})
        assert result["status"] == "ok"
        whole = {"start": {"line": 0, "character": 0}, "end": {"line": 4, "character": 0}}
        (hint,) = await client.request("textDocument/inlayHint", {"textDocument": {"uri": URI}, "range": whole})
        assert hint["label"] == "⇒ 42" and hint["position"] == {"line": 3, "character": 1}
        hover = await client.request(
            "textDocument/hover", {"textDocument": {"uri": URI}, "position": {"line": 3, "character": 0}}
        )
        assert "side" in hover["contents"]["value"] and "42" in hover["contents"]["value"]


async def test_code_lenses_are_refreshed_when_cells_come_and_go() -> None:
    async with spawn_bridge() as client:
        asked: list[str] = []
        refreshed = trio.Event()

        async def on_request(method: str, params: Any) -> Any:
            asked.append(method)
            refreshed.set()
            return None

        client.on_request = on_request
        await client.initialize({"workspace": {"codeLens": {"refreshSupport": True}}})
        await open_doc(client, "# %%\nx = 1\n")
        lenses = await client.request("textDocument/codeLens", {"textDocument": {"uri": URI}})
        assert [lens["range"]["start"]["line"] for lens in lenses] == [0]

        async def change(version: int, line: int, text: str) -> None:
            at = {"line": line, "character": 0}
            await client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": URI, "version": version},
                    "contentChanges": [{"range": {"start": at, "end": at}, "text": text}],
                },
            )

        await change(2, 1, "y = 2\n")  # typing inside the cell: the lenses stay where they are
        await change(3, 2, "# %%\n")  # a new cell
        with trio.fail_after(HANG_GUARD):
            await refreshed.wait()
        lenses = await client.request("textDocument/codeLens", {"textDocument": {"uri": URI}})
        assert [lens["range"]["start"]["line"] for lens in lenses] == [0, 2]
        assert asked == ["workspace/codeLens/refresh"]  # once: the edit inside the cell asked nothing
