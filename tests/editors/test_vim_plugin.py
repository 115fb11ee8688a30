"""The Vim adapter without a kernel: its help file, its pure helpers (dedent, cells,
ANSI, rich output names) and its mappings, in real Vim. Each test takes milliseconds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.editors.vim.harness import PLUGIN, run_vim

pytestmark = pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")


def test_help_tags_cover_every_command_and_option(tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    shutil.copytree(PLUGIN / "doc", doc)
    run_vim(tmp_path, f"helptags {doc}")  # a duplicate tag would be an error in the log
    tags = {line.split("\t")[0] for line in (doc / "tags").read_text().splitlines()}
    plugin = (PLUGIN / "plugin" / "jupyter.vim").read_text()
    commands = re.findall(r"^command\b.* (Jupyter\w+) ", plugin, re.M)
    assert len(commands) == 13
    assert {f":{c}" for c in commands} <= tags
    sources = "\n".join(p.read_text() for p in (PLUGIN / "autoload").rglob("*.vim")) + plugin
    options = set(re.findall(r"util\.Get\('(\w+)'", sources)) | set(re.findall(r"g:, 'jupyter_(\w+)'", sources))
    options |= set(re.findall(r"\bg:jupyter_(\w+)\b", sources)) - {"loaded"}
    assert {f"g:jupyter_{o}" for o in options} <= tags, sorted(
        f"g:jupyter_{o}" for o in options if f"g:jupyter_{o}" not in tags
    )
    plugs = set(re.findall(r"<Plug>\(\w+\)", plugin))
    help_text = (doc / "jupyter.txt").read_text()
    assert all(p in help_text for p in plugs)
    assert {"jupyter", "jupyter#Status()", "jupyter#Complete()", "jupyter-install"} <= tags


def test_the_help_installs_the_bridge_as_the_readme_does_and_its_tags_are_not_tracked() -> None:
    def pip_lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if "bin/pip install" in line]

    readme = pip_lines((PLUGIN / "README.md").read_text())
    assert readme and pip_lines((PLUGIN / "doc" / "jupyter.txt").read_text()) == readme
    assert "-c ~/src/kernel-bridge/requirements/constraints.txt" in readme[0]
    # `helptags` (the install step) writes doc/tags into the clone
    ignored = (PLUGIN.parents[1] / ".gitignore").read_text().splitlines()
    assert "editors/vim/doc/tags" in ignored


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["    x = 1", "    if x:", "        y = 2", "", "    y"], ["x = 1", "if x:", "    y = 2", "", "y"]),
        (["\tx = 1", "\t\ty = 2"], ["x = 1", "\ty = 2"]),
        (["x = 1", "    y = 2"], ["x = 1", "    y = 2"]),
        (["  a", "   ", "  b", "", "  "], ["a", "", "b"]),
    ],
)
def test_dedent_removes_only_the_indentation_all_lines_share(
    tmp_path: Path, lines: list[str], expected: list[str]
) -> None:
    run = run_vim(tmp_path, f"t.out.dedented = jupyter#code#Dedent(json_decode('{json.dumps(lines)}'))")
    assert run["dedented"] == expected


def test_cells_are_delimited_by_percent_markers(tmp_path: Path) -> None:
    run = run_vim(
        tmp_path,
        """
        setline(1, ['import os', '# %% one', 'a = 1', '', '#%%two', 'b = 2', '  # %%', 'c = 3'])
        t.out.cells = [1, 2, 3, 4, 5, 6, 8]->mapnew((_, l) => jupyter#code#CellRange(bufnr(), l))
    """,
    )
    # before the first marker: from line 1; on a marker line: the cell it starts
    assert run["cells"] == [[1, 1], [3, 4], [3, 4], [3, 4], [6, 6], [6, 6], [8, 8]]


def test_ansi_escapes_are_stripped(tmp_path: Path) -> None:
    run = run_vim(
        tmp_path,
        r"""
        t.out.text = jupyter#util#StripAnsi("\e[0;31mNameError\e[0m: name \e[1;32m'x'\e[39m is not defined")
    """,
    )
    assert run["text"] == "NameError: name 'x' is not defined"


def test_rich_outputs_prefer_text_and_otherwise_are_named(tmp_path: Path) -> None:
    run = run_vim(
        tmp_path,
        """
        t.out.text = jupyter#output#RichText({data: {'text/plain': "<Figure>\\n", 'image/png': 'iVBO'}})
        t.out.gif = jupyter#output#RichText({data: {'image/gif': 'R0lGODlhAwACAIAAAP///wAAACwAAAAAAwACAAACAoRRADs='}})
        t.out.sized = jupyter#output#RichText({data: {'image/jpeg': '/9j/'}, metadata: {'image/jpeg': {width: 20, height: 10}}})
        t.out.html = jupyter#output#RichText({data: {'text/html': '<b>hi</b>'}})
    """,
    )
    assert run["text"] == ["<Figure>"]
    assert run["gif"] == ["<image/gif 3x2>"]
    assert run["sized"] == ["<image/jpeg 20x10>"]
    assert run["html"] == ["<text/html 9 bytes>"]


def test_variables_table_is_aligned_one_line_each_and_fits_the_width(tmp_path: Path) -> None:
    variables = [
        {"name": "df", "type": "DataFrame", "summary": "   a  b\n0  1  2\n1  3  4", "shape": [2, 2]},
        {"name": "word", "type": "str", "summary": "'hé'", "size": 2},
        {"name": "n", "type": "int", "summary": "7"},
    ]
    (tmp_path / "variables.json").write_text(json.dumps(variables))
    run = run_vim(
        tmp_path,
        """
        t.out.table = jupyter#variables#Table(json_decode(join(readfile('variables.json'))), 31)
        t.out.empty = jupyter#variables#Table([], 30)
    """,
    )
    assert run["table"] == [
        "NAME  TYPE       SIZE  VALUE",
        "df    DataFrame  2×2   a b 0 1…",
        "word  str        2     'hé'",
        "n     int              7",
    ]
    assert run["empty"] == ["(no variables)"]


def test_python_buffers_get_default_mappings_unless_turned_off(tmp_path: Path) -> None:
    run = run_vim(
        tmp_path,
        """
        filetype on
        edit a.py
        t.out.mapped = [maparg('<LocalLeader>r', 'n'), maparg('<LocalLeader>r', 'x'), maparg('<LocalLeader>c', 'n')]
        t.out.K = maparg('K', 'n')
        g:jupyter_no_mappings = 1
        edit b.py
        t.out.off = maparg('<LocalLeader>r', 'n')
    """,
    )
    assert run["mapped"] == ["<Plug>(JupyterRunLine)", "<Plug>(JupyterRunSelection)", "<Plug>(JupyterRunCell)"]
    assert run["K"] == ""  # K is only taken over in buffers bound to a kernel
    assert run["off"] == ""


def test_commands_that_need_a_kernel_say_so_without_starting_the_bridge(tmp_path: Path) -> None:
    run = run_vim(
        tmp_path,
        """
        g:jupyter_autostart = 0
        setline(1, 'x = 1')
        for command in ['JupyterStop', 'JupyterRestart', 'JupyterInterrupt', 'JupyterInspect', 'JupyterVariables', 'JupyterRun']
          execute command
        endfor
        t.out.pid = jupyter#BridgePid()
    """,
    )
    assert run["pid"] == 0
    errors = [m for m in run.messages if m.startswith("jupyter: ")]
    assert errors == ["jupyter: no kernel for this buffer: use :JupyterStart or :JupyterConnect"] * 5 + [
        "jupyter: no kernel for this buffer: use :JupyterStart"
    ]
