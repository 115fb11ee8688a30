"""The Vim adapter's variables window (:JupyterVariables) and its picker of running
kernels (:JupyterConnect without an argument), in real Vim against the real bridge and
real ipykernels (tests/editors/vim/harness.py). A few seconds each."""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from tests.editors.vim.harness import run_vim

pytestmark = pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")


def test_variables_window_lists_the_namespace_and_follows_runs(tmp_path: Path) -> None:
    (tmp_path / "vars.py").write_text("a = 1\ns = 'x' * 1000\nb = [1, 2, 3]\n")
    run = run_vim(
        tmp_path,
        """
        t.Start('vars.py')
        :1,2JupyterRun
        t.WaitResults('the first run')
        cursor(2, 3)
        var here = [win_getid(), getcurpos()]
        JupyterVariables
        var vb = bufnr('^jupyter-variables://')
        t.Wait(() => getbufline(vb, 1)[0] =~# '^NAME', 'the variables')
        t.out.first = getbufline(vb, 1, '$')
        t.out.width = winwidth(bufwinid(vb))
        t.out.options = [bufname(vb)] + ['buftype', 'bufhidden', 'swapfile', 'modifiable', 'filetype']
          ->mapnew((_, o) => getbufvar(vb, '&' .. o))
        :3JupyterRun
        t.WaitResults('the second run', 2)
        t.Wait(() => len(getbufline(vb, 1, '$')) == 4, 'the refresh after the run')
        t.out.second = getbufline(vb, 1, '$')
        # the refresh neither took the focus nor moved the cursor
        t.out.still_here = [win_getid(), getcurpos()] == here
        # the window's own keys: R asks again (here: a kernel that is gone), q closes it
        JupyterStop
        t.Wait(() => getbufline(vb, '$')[0] ==# '-- kernel shut down --', 'the note of the stop')
        win_execute(bufwinid(vb), 'normal R')
        t.Wait(() => getbufline(vb, 1)[0] =~# '^!! ', 'the error')
        t.out.error = getbufline(vb, 1, '$')
        win_execute(bufwinid(vb), 'normal q')
        t.out.closed = !bufexists(vb)
    """,
    )
    first = run["first"]
    assert first[:2] == ["NAME  TYPE  SIZE  VALUE", "a     int         1"]
    # the bridge's summary of the long string is cut again to the window's width
    assert first[2].startswith("s     str   1000  'xxxxxxxxxx") and first[2].endswith("…"), first
    assert len(first[2]) == run["width"] and len(first) == 3
    assert run["second"] == first + ["b     list  3     [1, 2, 3]"]
    assert run["still_here"] is True
    assert run["options"][0].startswith("jupyter-variables://python3/")
    assert run["options"][1:] == ["nofile", "wipe", False, False, "jupytervariables"]
    assert run["error"][0].startswith("!! no kernel with id ") and run["error"][0].endswith("(-32001)")
    assert run["error"][1:] == ["-- kernel shut down --"]
    assert run["closed"] is True


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running_kernel(tmp_path: Path) -> Iterator[tuple[Path, KernelManager]]:
    """A python3 kernel started here, in a private Jupyter runtime dir, and a stale
    connection file (nothing listens on its ports) written after it, so listed first."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    km = KernelManager(kernel_name="python3", connection_file=str(runtime / "kernel-live.json"))
    km.start_kernel()
    try:
        info = json.loads(Path(km.connection_file).read_text())
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            info[name] = unused_port()
        (runtime / "kernel-stale.json").write_text(json.dumps(info))
        yield runtime, km
    finally:
        km.shutdown_kernel(now=True)


def test_connect_without_argument_picks_a_running_kernel_and_runs_on_it(
    tmp_path: Path, running_kernel: tuple[Path, KernelManager]
) -> None:
    runtime, km = running_kernel
    (tmp_path / "pick.py").write_text("import os; os.getpid()\n")
    run = run_vim(
        tmp_path,
        """
        edit pick.py
        # typed ahead: the picker's inputlist() reads them; first an empty answer cancels
        feedkeys("\\<CR>", 't')
        JupyterConnect
        t.Wait(() => getchar(1) == 0, 'the picker to read the answer')
        t.out.after_cancel = jupyter#Kernel()
        feedkeys("2\\<CR>", 't')
        redir => g:shown
        JupyterConnect
        t.WaitStarted()
        redir END
        t.out.shown = split(g:shown, "\\n")
        t.out.kernel = jupyter#Kernel()
        :1JupyterRun
        t.out.results = t.WaitResults('the run')
    """,
        env={"JUPYTER_RUNTIME_DIR": str(runtime)},
    )
    assert run["after_cancel"] == {}
    shown = run["shown"]
    assert shown[0] == "Connect to a running kernel:"
    date = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    assert re.fullmatch(rf"1\.  kernel-stale\.json  python3  {date}  not responding", shown[1]), shown
    assert re.fullmatch(rf"2\.  kernel-live\.json   python3  {date}  alive", shown[2]), shown
    assert run["kernel"]["owned"] is False and run["kernel"]["name"] == "python3"
    assert run["results"] == [{"lnum": 1, "type": "jupyter_result", "text": f"=> {km.provisioner.process.pid}"}]
    assert f"jupyter: connected to {runtime / 'kernel-live.json'}" in run.messages
    assert km.is_alive()  # only attached to: it outlives Vim


def test_connect_without_argument_and_no_running_kernel_says_so(tmp_path: Path) -> None:
    runtime = tmp_path / "empty-runtime"
    runtime.mkdir()
    run = run_vim(
        tmp_path,
        """
        JupyterConnect
        t.out.error = t.WaitMessage('no running kernel')
        t.out.kernel = jupyter#Kernel()
    """,
        env={"JUPYTER_RUNTIME_DIR": str(runtime)},
    )
    assert run["kernel"] == {}
    assert run["error"] == (
        "jupyter: no running kernel found (no connection files in the Jupyter runtime "
        "directory): give :JupyterConnect a connection file"
    )
