"""The Vim adapter (editors/vim) in real Vim, against the real bridge and a real ipykernel.

Each test runs one Vim (silent Ex mode; see tests/editors/vim/harness.py) whose body is
written inline below: it drives the plugin through its commands and mappings, waits for
callbacks, and records buffer lines, text properties and popups in ``t.out``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.editors.vim.harness import run_vim

pytestmark = pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_start_binds_the_buffer_to_a_kernel(tmp_path: Path) -> None:
    write(tmp_path, "start.py", "x = 1\n")
    run = run_vim(tmp_path, """
        edit start.py
        t.out.kernelspecs = getcompletion('JupyterStart py', 'cmdline')
        JupyterStart python3
        t.out.while_starting = jupyter#Status()
        t.WaitStarted()
        t.out.status = jupyter#Status()
        t.out.kernel = jupyter#Kernel()
        t.out.omnifunc = &l:omnifunc
        t.out.K = maparg('K', 'n')
        t.out.output = t.OutputLines()
    """)
    assert "python3" in run["kernelspecs"]
    assert run["while_starting"] == "kernel: starting"
    assert run["status"] == "python3: idle"
    assert run["kernel"]["name"] == "python3" and run["kernel"]["owned"] is True
    assert run["omnifunc"] == "jupyter#Complete"
    assert run["K"] == "<Plug>(JupyterInspect)"
    assert run["output"] == [f"-- kernel python3 (ipython) started, id {run['kernel']['id']} --"]


def test_unknown_kernelspec_is_reported_and_nothing_is_bound(tmp_path: Path) -> None:
    run = run_vim(tmp_path, """
        JupyterStart no-such-kernel
        t.Wait(() => jupyter#Status() == '', 'the start to fail')
        t.Wait(() => !empty(filter(split(execute('messages'), "\\n"), (_, m) => m =~ 'cannot start')), 'the error')
        t.out.kernel = jupyter#Kernel()
    """)
    assert run["kernel"] == {}
    errors = [m for m in run.messages if "cannot start the kernel" in m]
    assert len(errors) == 1 and "no-such-kernel" in errors[0] and "python3" in errors[0], run.messages


def test_visual_selection_inside_a_function_is_dedented_and_shows_print_and_result(tmp_path: Path) -> None:
    write(tmp_path, "sel.py", 'def g():\n    x = 41\n    print("inside", x)\n    x + 1\n')
    run = run_vim(tmp_path, """
        edit sel.py
        JupyterStart
        t.WaitStarted()
        execute "normal 2GVjj\\<Plug>(JupyterRunSelection)"
        t.out.results = t.WaitResults('the run')
        t.out.props = prop_list(1, {end_lnum: -1})
        t.out.output = t.OutputLines()
    """)
    assert run["results"] == [{"lnum": 4, "type": "jupyter_result", "text": "=> 42"}]
    assert [(p["lnum"], p["type"]) for p in run["props"]] == [(4, "jupyter_result")]
    assert run["output"][1:] == [
        "In [1]: x = 41",
        '   ...: print("inside", x)',
        "   ...: x + 1",
        "inside 41",
        "Out[1]: 42",
    ]


def test_characterwise_selection_sends_exactly_the_selected_text(tmp_path: Path) -> None:
    write(tmp_path, "chars.py", 'y = len("héllo") * 2  # a comment\n')
    run = run_vim(tmp_path, """
        edit chars.py
        JupyterStart
        t.WaitStarted()
        # from `len` to the `2` before the comment
        execute "normal 0fl" .. "v" .. "f2\\<Plug>(JupyterRunSelection)"
        t.out.results = t.WaitResults('the run')
        t.out.output = t.OutputLines()
    """)
    assert run["output"][1:] == ['In [1]: len("héllo") * 2', "Out[1]: 10"]
    assert run["results"] == [{"lnum": 1, "type": "jupyter_result", "text": "=> 10"}]


def test_run_cell_runs_the_cell_under_the_cursor_only(tmp_path: Path) -> None:
    write(tmp_path, "cells.py", "# %% first\na = 1\n# %% second\nb = a + 41\nb\n\n# %% third\nc = 0\n")
    run = run_vim(tmp_path, """
        edit cells.py
        JupyterStart
        t.WaitStarted()
        :2
        JupyterRunCell
        t.WaitResults('the first cell')
        :4
        JupyterRunCell
        t.out.results = t.WaitResults('the second cell', 2)
        t.out.output = t.OutputLines()
    """)
    assert run["results"] == [
        {"lnum": 2, "type": "jupyter_result", "text": "=> ok"},
        {"lnum": 5, "type": "jupyter_result", "text": "=> 42"},
    ]
    # the third cell did not run; the blank line that ends the second is not sent
    assert run["output"][1:] == ["In [1]: a = 1", "In [2]: b = a + 41", "   ...: b", "Out[2]: 42"]


def test_an_error_shows_its_traceback_without_ansi_and_inline(tmp_path: Path) -> None:
    write(tmp_path, "err.py", "def f():\n    return 1 / 0\n\nf()\n")
    run = run_vim(tmp_path, """
        edit err.py
        JupyterStart
        t.WaitStarted()
        JupyterRunFile
        t.out.results = t.WaitResults('the run')
        t.out.output = t.OutputLines()
        t.out.header = getbufline(jupyter#OutputBufnr(), 2)
    """)
    assert run["results"] == [{"lnum": 4, "type": "jupyter_error", "text": "!! ZeroDivisionError: division by zero"}]
    output = "\n".join(run["output"])
    assert "\x1b" not in output
    assert "----> 4 f()" in output and "----> 2     return 1 / 0" in output, output
    assert run["output"][-1] == "ZeroDivisionError: division by zero"
    assert run["header"] == ["In [1]: def f():"]
