"""The Vim adapter's rough edges found in real use (issue 16), each in real Vim against
the real bridge and real ipykernels: completion cut short by typing, `K` on a busy
kernel, the statusline after a failed start, the windows of stopped kernels, a
connected kernel without a kernelspec name, and :JupyterExport.
(tests/editors/vim/harness.py: silent Ex mode, or a real terminal in tmux where what
the user sees, and when, is the point.)"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager

from tests.editors.vim.harness import run_vim, vim_in_terminal, wait_until

pytestmark = pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@needs_tmux
def test_omni_completion_cut_short_by_typing_completes_again_next_time(tmp_path: Path) -> None:
    # The first completion of `slow.` takes 1.5 s in the kernel (its __dir__), long
    # enough to type on before it answers; later ones are quick. (The kernel runs in
    # the file's directory: `answered` is tmp_path's.)
    answered = tmp_path / "answered"
    write(
        tmp_path,
        "slow.py",
        "\n".join(
            [
                "import os, time",
                "class Slow:",
                "    def __dir__(self):",
                "        if not os.path.exists('answered'): time.sleep(1.5); open('answered', 'w').close()",
                "        return ['alpha', 'beta']",
                "slow = Slow()",
                "get_ipython().Completer.use_jedi = False",  # IPython's own matcher calls __dir__
            ]
        )
        + "\n",
    )
    with vim_in_terminal(tmp_path, "slow.py") as term:
        term.keys(":JupyterRunFile", "Enter")
        term.wait_screen(lambda s: "= False  => ok" in s and "[python3: idle]" in s, "the setup to run")
        term.keys("G", "o")
        term.literal("slow.al")
        term.keys("C-x", "C-o")
        term.literal("ph")  # typed on before the kernel answers
        term.wait_screen(lambda s: "slow.alph" in s.splitlines(), "the typed keys")
        wait_until(answered.exists, "the kernel to answer the first completion")
        term.wait_screen(lambda s: "[python3: idle]" in s, "the kernel to be idle again")
        term.keys("C-x", "C-o")
        screen = term.wait_screen(lambda s: "slow.alph" not in s.splitlines(), "the second completion")
        assert "slow.alpha" in screen.splitlines(), screen
        term.keys("Escape")


@needs_tmux
def test_a_failed_start_leaves_no_starting_kernel_in_the_statusline(tmp_path: Path) -> None:
    write(tmp_path, "fail.py", "1\n")
    with vim_in_terminal(tmp_path, "fail.py") as term:
        term.keys(":JupyterStart no-such-kernel", "Enter")
        screen = term.wait_screen(lambda s: "cannot start the kernel" in s, "the error")
        assert "fail.py []" in screen and "kernel: starting" not in screen, screen


def test_inspect_on_a_busy_kernel_says_so_at_once_and_never_pops_up_later(tmp_path: Path) -> None:
    busy, queued = tmp_path / "busy", tmp_path / "queued"
    write(
        tmp_path,
        "k.py",
        "\n".join(
            [
                f"import os, time\nwhile not os.path.exists({str(busy)!r}): time.sleep(0.02)",
                f"while not os.path.exists({str(queued)!r}): time.sleep(0.02)",
                "len",
                "1 + 1",
            ]
        )
        + "\n",
    )
    run = run_vim(
        tmp_path,
        f"""
        t.Start('k.py')
        :1,2JupyterRun
        t.Wait(() => jupyter#Status() == 'python3: busy', 'the run')
        cursor(4, 2)
        normal K
        t.out.busy_message = split(execute('messages'), "\\n")[-1]
        t.out.popups_while_busy = len(popup_list())
        writefile([], '{busy}')
        t.WaitResults('the first run')
        # a run is on its way, but the kernel has not said busy yet: K asks, and its
        # answer comes after the run, when the cursor is elsewhere
        :3JupyterRun
        cursor(4, 2)
        normal K
        cursor(1, 1)
        writefile([], '{queued}')
        t.WaitResults('the second run', 2)
        # the kernel answers in order: once this run is done, any inspection is answered
        :5JupyterRun
        t.WaitResults('the third run', 3)
        t.out.popups_after = len(popup_list())
        # and where the cursor stays, K shows its popup
        cursor(4, 2)
        normal K
        t.Wait(() => !empty(popup_list()), 'the popup')
        t.out.popup = getbufline(winbufnr(popup_list()[0]), 1)
    """,
    )
    assert run["busy_message"] == "jupyter: the kernel is busy: K works again when it is idle"
    assert run["popups_while_busy"] == 0
    assert run["popups_after"] == 0
    assert run["popup"][0].startswith("Signature: len(")


@pytest.fixture(scope="module")
def nameless_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A python3 kernel started by jupyter_client whose connection file does not say
    its kernelspec (as `ipykernel -f` or `IPython.embed_kernel()` write them)."""
    runtime = tmp_path_factory.mktemp("runtime")
    km = KernelManager(kernel_name="python3", connection_file=str(runtime / "kernel-nameless.json"))
    km.start_kernel()
    try:
        info = json.loads(Path(km.connection_file).read_text())
        del info["kernel_name"]
        Path(km.connection_file).write_text(json.dumps(info))
        yield Path(km.connection_file)
    finally:
        km.shutdown_kernel(now=True)


def test_a_connected_kernel_without_a_kernelspec_name_is_labelled_by_its_language(
    tmp_path: Path, nameless_kernel: Path
) -> None:
    run = run_vim(
        tmp_path,
        f"""
        edit n.py
        JupyterConnect {nameless_kernel}
        t.WaitStarted()
        t.out.status = jupyter#Status()
        t.out.kernel = jupyter#Kernel()
        t.out.output = [bufname(jupyter#OutputBufnr())] + t.OutputLines()
    """,
    )
    kernel = run["kernel"]
    assert run["status"] == "python: idle"
    assert (kernel["name"], kernel["language"], kernel["implementation"]) == ("python", "python", "ipython")
    assert run["output"] == [
        f"jupyter://python/{kernel['id']}",
        f"-- connected to kernel python ({nameless_kernel}), id {kernel['id']} --",
    ]


def test_after_stop_the_next_kernel_takes_over_the_output_and_variables_windows(
    tmp_path: Path, nameless_kernel: Path
) -> None:
    write(tmp_path, "w.py", "a = 1\n")
    run = run_vim(
        tmp_path,
        f"""
        var Shown = () => range(1, winnr('$'))->mapnew((_, w) => substitute(bufname(winbufnr(w)), '/\\x\\+$', '/ID', ''))
        t.Start('w.py')
        :1JupyterRun
        t.WaitResults('the run')
        JupyterVariables
        t.Wait(() => getbufline(bufnr('^jupyter-variables://'), 1)[0] =~# '^NAME', 'the variables')
        var first = [jupyter#OutputBufnr(), bufnr('^jupyter-variables://')]
        t.out.before = Shown()
        JupyterStop
        t.Wait(() => jupyter#Status() == '', 'the stop')
        t.out.stopped = [Shown(), getbufline(first[0], '$'), getbufline(first[1], '$')]
        # attach to another kernel: its output and variables take the same windows
        execute 'JupyterConnect {nameless_kernel}'
        t.WaitStarted()
        t.Wait(() => getbufline(bufnr('^jupyter-variables://python/'), 1)[0] !~# '^(asking', 'its variables')
        t.out.connected = Shown()
        t.out.first_wiped = [bufexists(first[0]), bufexists(first[1])]
        JupyterStop
        t.Wait(() => jupyter#Status() == '', 'the detach')
        # and a kernel started afterwards, too
        JupyterStart
        t.WaitStarted()
        t.Wait(() => getbufline(bufnr('^jupyter-variables://python3/'), 1)[0] ==# '(no variables)', 'the new variables')
        :1JupyterRun
        t.WaitResults('the run on the new kernel')
        t.out.started = Shown()
        t.out.hidden = getbufinfo()->filter((_, b) => b.name =~# '^jupyter')->mapnew((_, b) => b.hidden)
    """,
    )
    windows = ["w.py", "jupyter://python3/ID", "jupyter-variables://python3/ID"]
    assert run["before"] == windows
    shown, output, variables = run["stopped"]
    assert shown == windows  # still readable after the stop
    assert output == ["-- kernel shut down --"] and variables == ["-- kernel shut down --"]
    assert run["connected"] == ["w.py", "jupyter://python/ID", "jupyter-variables://python/ID"]
    assert run["first_wiped"] == [False, False]
    assert run["started"] == windows
    assert run["hidden"] == [False, False]  # no buffer of a gone kernel left behind


def test_export_writes_the_buffers_runs_as_a_notebook(tmp_path: Path) -> None:
    write(tmp_path, "exp.py", "print('from vim')\n1 / 0\n6 * 7\n")
    run = run_vim(
        tmp_path,
        """
        t.Start('exp.py')
        :1JupyterRun
        t.WaitResults('the first run')
        :2JupyterRun
        t.WaitResults('the second run', 2)
        :3JupyterRun
        t.WaitResults('the third run', 3)
        JupyterExport
        t.out.exported = t.WaitMessage('exported')
        JupyterExport
        t.out.refused = t.WaitMessage('exists')
        JupyterExport! exp.ipynb
        t.Wait(() => len(filter(split(execute('messages'), "\\n"), (_, m) => m =~ 'exported')) == 2, 'the second export')
        JupyterExport /no/such/dir/x.ipynb
        t.out.failed = t.WaitMessage('cannot export')
    """,
        allow_errors=True,
    )
    path = tmp_path / "exp.ipynb"
    assert run["exported"] == f"jupyter: exported 3 runs to {path}"
    assert run["refused"] == f"jupyter: {path} exists: :JupyterExport! replaces it"
    assert run["failed"].startswith("jupyter: cannot export: cannot write the notebook '/no/such/dir/x.ipynb'")
    assert run["failed"].endswith("(-32019)")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert [c.source for c in nb.cells] == ["print('from vim')", "1 / 0", "6 * 7"]
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert nb.cells[0].outputs[0].text == "from vim\n"
    assert nb.cells[1].outputs[0].ename == "ZeroDivisionError"
    assert nb.cells[2].outputs[0].data["text/plain"] == "42"
    assert nb.metadata.kernelspec.name == "python3"
