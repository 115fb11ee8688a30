"""``jupyter/exportNotebook`` with a real ipykernel through the installed bridge: the
file validates with nbformat and converts with ``jupyter nbconvert --to html`` (a real
consumer of notebooks), a matplotlib PNG and an error included."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import trio

from bridge.client import BridgeClient, RpcError, spawn_bridge
from bridge.text import strip_ansi
from tests.integration.helpers import HANG_GUARD, run

DOC = "file:///work/analysis.py"
OTHER_DOC = "file:///work/other.py"
PLOT = """
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
plt.plot([1, 3, 2]); plt.title("exported"); plt.show()
"""
DISPLAY = 'from IPython.display import display; handle = display("first version", display_id=True)'
CLEARED = 'from IPython.display import clear_output; print("gone", flush=True); clear_output(wait=True); print("kept")'


async def export(client: BridgeClient, **params: Any) -> dict[str, Any]:
    with trio.fail_after(HANG_GUARD):
        result = await client.request("jupyter/exportNotebook", params)
    assert isinstance(result, dict)
    return result


def nbconvert_html(path: Path) -> str:
    """``jupyter nbconvert --to html``, as a user would run it on the exported file."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    done = subprocess.run(
        [jupyter, "nbconvert", "--to", "html", "--output-dir", str(path.parent), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return path.with_suffix(".html").read_text()


async def test_exported_runs_validate_and_render_with_nbconvert(bridge: BridgeClient, tmp_path: Path) -> None:
    ref = await bridge.request("jupyter/startKernel", {"kernelName": "python3", "uri": DOC})
    kernel = ref["kernelId"]
    for code in (
        "print('hello'); print('world')",
        PLOT,
        "1 / 0",
        DISPLAY,
        CLEARED,
        "handle.update('second version')",
        "6 * 7",
    ):
        await run(bridge, kernel, code, uri=DOC)
    await run(bridge, kernel, "from_elsewhere = 1", uri=OTHER_DOC)
    await run(bridge, kernel, "no_document = 2")

    path = tmp_path / "analysis.ipynb"
    result = await export(bridge, uri=DOC, path=str(path))
    assert result == {"path": str(path), "cells": 7}
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec == {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    assert nb.metadata.language_info["name"] == "python" and nb.metadata.language_info["file_extension"] == ".py"
    hello, plot, error, display, cleared, update, answer = nb.cells
    assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4, 5, 6, 7]
    assert hello.source == "print('hello'); print('world')"
    assert hello.outputs == [nbformat.v4.new_output("stream", name="stdout", text="hello\nworld\n")]
    (figure,) = [o for o in plot.outputs if o.output_type == "display_data"]
    png = base64.b64decode(figure.data["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (raised,) = error.outputs
    assert raised.output_type == "error" and raised.ename == "ZeroDivisionError"
    assert "1 / 0" in strip_ansi("\n".join(raised.traceback))
    # the display shows its update, where it was made; clear_output(wait=True) left "kept"
    assert [(o.output_type, o.data["text/plain"]) for o in display.outputs] == [("display_data", "'second version'")]
    assert cleared.outputs == [nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    assert update.outputs == []
    assert answer.outputs[0].output_type == "execute_result" and answer.outputs[0].data["text/plain"] == "42"
    assert answer.outputs[0].execution_count == 7

    html = nbconvert_html(path)
    assert "data:image/png;base64," in html
    assert "ZeroDivisionError" in html and "hello" in html and "second version" in html

    everything = tmp_path / "all.ipynb"
    assert (await export(bridge, kernelId=kernel, path=str(everything)))["cells"] == 9  # default with kernelId: "all"
    sources = [c.source for c in nbformat.read(everything, as_version=4).cells]
    assert sources[-2:] == ["from_elsewhere = 1", "no_document = 2"]
    assert (await export(bridge, kernelId=kernel, uri=OTHER_DOC, path=str(everything)))["cells"] == 1


async def test_export_keeps_the_output_cap_and_says_what_it_left_out(tmp_path: Path) -> None:
    async with spawn_bridge() as client:
        await client.initialize(initializationOptions={"outputLimitBytes": 20_000})
        kernel = (await client.request("jupyter/startKernel", {"kernelName": "python3"}))["kernelId"]
        await run(client, kernel, "print('\\n'.join(map(str, range(100_000))))")
        path = tmp_path / "flood.ipynb"
        await export(client, kernelId=kernel, path=str(path))
        (cell,) = nbformat.read(path, as_version=4).cells
        kept, note = cell.outputs
        assert kept.name == "stdout" and len(kept.text) <= 20_000
        assert kept.text.startswith("0\n1\n2\n")
        assert note.name == "stderr" and "left out (the output limit, outputLimitBytes)" in note.text
        assert path.stat().st_size < 100_000  # the whole output would take 1.9 MB

        # where the file cannot be written: a clear error, and nothing left behind
        missing = tmp_path / "no-such-dir" / "x.ipynb"
        with pytest.raises(RpcError) as info:
            await export(client, kernelId=kernel, path=str(missing))
        assert info.value.code == -32019
        assert str(missing) in info.value.message and "No such file or directory" in info.value.message
        with pytest.raises(RpcError) as info:  # under a file
            await export(client, kernelId=kernel, path=str(path / "x.ipynb"))
        assert info.value.code == -32019 and "Not a directory" in info.value.message
        with pytest.raises(RpcError) as info:
            await export(client, kernelId=kernel, path=str(tmp_path))  # a directory
        assert info.value.code == -32019 and "Is a directory" in info.value.message
        assert [p.name for p in tmp_path.iterdir()] == ["flood.ipynb"]


BAD_PARAMS = [
    ({"kernelId": "k"}, "path"),
    ({"kernelId": "k", "path": 3}, "path"),
    ({"kernelId": "k", "path": "relative.ipynb"}, "path"),
    ({"kernelId": "k", "path": "/tmp/x.ipynb", "runs": "some"}, "runs"),
    ({"kernelId": "k", "path": "/tmp/x.ipynb", "runs": "document"}, "uri"),
    ({"kernelId": 7, "path": "/tmp/x.ipynb"}, "kernelId"),
]


async def test_bad_export_params_are_32602_naming_the_field_and_an_unknown_kernel_32001(
    bridge: BridgeClient, tmp_path: Path
) -> None:
    for params, field in BAD_PARAMS:
        with pytest.raises(RpcError) as info:
            await export(bridge, **params)
        assert info.value.code == -32602, params
        assert info.value.message.startswith(f"invalid params: {field}: "), info.value.message
    with pytest.raises(RpcError) as info:
        await export(bridge, kernelId="nope", path=str(tmp_path / "x.ipynb"))
    assert info.value.code == -32001
    with pytest.raises(RpcError) as info:
        await export(bridge, uri="file:///nothing/bound.py", path=str(tmp_path / "x.ipynb"))
    assert info.value.code == -32001
    assert list(tmp_path.iterdir()) == []
