"""``jupyter/exportNotebook``: what ran on a kernel (bridge/server/run_history.py),
written as a Jupyter notebook, so that a session in any editor can be kept, shared and
opened in Jupyter like VS Code's Interactive Window export.

The notebook is built and validated with nbformat, the reference implementation of the
format: one code cell per run, its outputs as the kernel sent them (merged streams,
updated displays), its execution count; the kernelspec and the kernel's language_info
in the metadata. An output that does not fit the schema (a kernel can send anything)
becomes a note in its cell rather than an invalid file. The file is written next to its
destination and renamed over it: a failed export never leaves half a notebook.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import trio

from bridge.errors import ExportFailed, InvalidParams
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.server.run_history import Run, RunHistories

if TYPE_CHECKING:
    from bridge.kernels.kernel import Kernel

RUNS = ("document", "all")


@attrs.define
class ExportParams:
    path: str
    kernel_id: str | None = None
    uri: str | None = None
    runs: str | None = None


class NotebookExport:
    def __init__(self, bridge: Bridge, histories: RunHistories) -> None:
        self.bridge = bridge
        self.histories = histories

    async def export_notebook(self, params: Any) -> dict[str, Any]:
        p = parse_params(ExportParams, params)
        runs = p.runs or ("document" if p.uri is not None else "all")
        if runs not in RUNS:
            raise InvalidParams(f'invalid params: runs: expected "document" or "all", not {runs!r}')
        if runs == "document" and p.uri is None:
            raise InvalidParams(
                'invalid params: uri: required with runs: "document" (the document whose runs to export)'
            )
        path = Path(p.path)
        if not path.is_absolute():
            raise InvalidParams(f"invalid params: path: expected an absolute path, not {p.path!r}")
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        history = self.histories.get(kernel.kernel_id)
        chosen = [r for r in history.runs if runs == "all" or r.uri == p.uri]
        nb = build_notebook(kernel, chosen, dropped=history.dropped)
        await trio.to_thread.run_sync(write_notebook, nb, path)
        return {"path": str(path), "cells": sum(1 for c in nb.cells if c.cell_type == "code")}

    def register(self, server: Any) -> None:
        register_methods(server, {"jupyter/exportNotebook": self.export_notebook})


def build_notebook(kernel: Kernel, runs: list[Run], *, dropped: int = 0) -> Any:
    """The notebook (an nbformat NotebookNode): built on the trio thread, from copies,
    so that runs still recording do not change it while it is written."""
    from nbformat import v4

    nb = v4.new_notebook()
    language = kernel.language
    if kernel.kernel_name != "unknown":  # a kernel attached from a file without kernel_name
        display_name = kernel.spec.display_name if kernel.spec is not None else kernel.kernel_name
        nb.metadata["kernelspec"] = {"name": kernel.kernel_name, "display_name": display_name, "language": language}
    language_info = kernel.connection.kernel_info.get("language_info")
    if isinstance(language_info, dict) and isinstance(language_info.get("name"), str):
        nb.metadata["language_info"] = language_info
    elif language:
        nb.metadata["language_info"] = {"name": language}
    if dropped:
        nb.cells.append(
            v4.new_markdown_cell(
                f"*{dropped} earlier runs are not included: kernel-bridge keeps a kernel's newest runs "
                "(at most 1000, 32 MB).*"
            )
        )
    for run in runs:
        nb.cells.append(code_cell(run))
    return nb


def code_cell(run: Run) -> Any:
    from nbformat import v4

    outputs = [v4.output_from_msg({"header": {"msg_type": o.msg_type}, "content": o.as_content()}) for o in run.outputs]
    reply = run.reply or {}
    if run.status == "error" and not any(o.output_type == "error" for o in outputs):
        # a kernel that put its error in the reply only: the notebook shows it all the same
        outputs.append(
            v4.new_output(
                "error",
                ename=str(reply.get("ename", "")),
                evalue=str(reply.get("evalue", "")),
                traceback=[str(line) for line in reply.get("traceback", [])],
            )
        )
    if run.omitted_messages:
        outputs.append(
            v4.new_output(
                "stream",
                name="stderr",
                text=f"[kernel-bridge: {run.omitted_bytes} bytes in {run.omitted_messages} outputs left out "
                "(the output limit, outputLimitBytes)]\n",
            )
        )
    return v4.new_code_cell(source=run.code, execution_count=run.execution_count, outputs=outputs)


def write_notebook(nb: Any, path: Path) -> None:
    """Validate (replacing outputs the schema refuses by a note), then write atomically."""
    import nbformat

    try:
        nbformat.validate(nb)
    except nbformat.ValidationError:
        _replace_invalid_outputs(nb)
        nbformat.validate(nb)
    text = nbformat.writes(nb)
    # created with the usual mode (the umask applies), renamed over the destination
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ExportFailed(f"cannot write the notebook {str(path)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportFailed(f"cannot write the notebook {str(path)!r}: {exc.strerror or exc}") from None


def _replace_invalid_outputs(nb: Any) -> None:
    """Each output the schema refuses becomes a note saying so (jsonschema, unlike the
    faster validator, says where every error is)."""
    from nbformat import v4
    from nbformat.validator import get_validator

    validator = get_validator(version=4, version_minor=nb.nbformat_minor, name="jsonschema")
    bad: dict[tuple[int, int], str] = {}
    for error in validator.iter_errors(nb):
        where = list(error.path)
        if len(where) >= 4 and where[0] == "cells" and where[2] == "outputs":
            bad.setdefault((int(where[1]), int(where[3])), error.message)
    for (cell, index), message in bad.items():
        output = nb.cells[cell].outputs[index]
        nb.cells[cell].outputs[index] = v4.new_output(
            "stream",
            name="stderr",
            text=f"[kernel-bridge: a {output.get('output_type', '?')} output the notebook format refuses was left out: "
            f"{message[:500]}]\n",
        )
