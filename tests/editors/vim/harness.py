"""Running real Vim against the real bridge for the Vim adapter's tests.

``run_vim`` writes a driver script (a test body wrapped by ``lib.vim``), runs it in
silent Ex mode (``vim -N -u NONE -i NONE -es -V1<log> -S driver.vim``), and returns
what the body recorded in ``t.out`` plus the verbose log, where Vim writes its errors.
``Tmux`` runs Vim in a real terminal on a private tmux server, to check what a user sees.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.processes import pid_alive, wait_until

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PLUGIN = REPO / "editors" / "vim"
LIB = HERE / "lib.vim"
VIM_TIMEOUT = 120  # seconds: only stops a hung Vim; each driver's waits are 60 s


def bridge_command() -> str:
    script = Path(sys.executable).with_name("kernel-bridge")
    if script.exists():
        return str(script)
    found = shutil.which("kernel-bridge")
    assert found, "kernel-bridge is not installed (run scripts/test.sh)"
    return found


def vim_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"KB_VIM_PLUGIN": str(PLUGIN), "KB_BRIDGE": bridge_command()}, **extra)
    return env


@dataclass
class VimRun:
    out: dict[str, Any]
    log: str

    def __getitem__(self, key: str) -> Any:
        return self.out[key]

    @property
    def messages(self) -> list[str]:
        return self.out.get("messages", [])


def vim_errors(log: str) -> list[str]:
    """Vim errors (E123: …) and script errors in a -V1 log."""
    return [line for line in log.splitlines() if re.search(r"\bE\d+:|Error detected while", line)]


class VimProcess:
    """A Vim running a driver in silent Ex mode; ``result()`` waits for it and checks it."""

    def __init__(self, tmp_path: Path, body: str, env: dict[str, str] | None = None) -> None:
        driver = tmp_path / f"driver-{uuid.uuid4().hex[:8]}.vim"
        self.out_file = driver.with_suffix(".json")
        self.log_file = driver.with_suffix(".log")
        driver.write_text(
            "vim9script\n"
            f"import '{LIB}' as t\n"
            "t.Setup()\n"
            "def Body()\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\nenddef\n"
            "t.Run(Body)\n"
        )
        self.process = subprocess.Popen(
            ["vim", "-N", "-u", "NONE", "-i", "NONE", "-es", f"-V1{self.log_file}", "-S", str(driver)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=vim_env(KB_VIM_OUT=str(self.out_file), **(env or {})),
        )

    def result(self, *, allow_errors: bool = False) -> VimRun:
        """What the body recorded; fails on an exception in the body or a Vim error."""
        try:
            _, stderr = self.process.communicate(timeout=VIM_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        assert self.out_file.exists(), (
            f"the driver wrote nothing (exit {self.process.returncode})\nlog:\n{log}\nstderr:\n{stderr!r}"
        )
        out = json.loads(self.out_file.read_text())
        wait_gone(out.get("bridge_pid") or 0, "the bridge")
        assert "exception" not in out, f"{out['exception']}\nmessages: {out.get('messages')}\nlog:\n{log}"
        if not allow_errors:
            assert vim_errors(log) == [], log
        return VimRun(out, log)


def run_vim(tmp_path: Path, body: str, *, env: dict[str, str] | None = None, allow_errors: bool = False) -> VimRun:
    """Runs ``body`` (Vim9 script, the inside of a ``def``; ``t`` is lib.vim) in a fresh
    Vim with the plugin loaded, and returns what it recorded in ``t.out``."""
    return VimProcess(tmp_path, body, env).result(allow_errors=allow_errors)


def wait_gone(pid: int, what: str) -> None:
    if pid:
        wait_until(lambda: not pid_alive(pid), f"{what} (pid {pid}) to exit")


class Tmux:
    """Vim in a real terminal: a private tmux server (``-L``) with one pane."""

    def __init__(self, tmp_path: Path, width: int = 100, height: int = 30) -> None:
        self.socket = f"kb-vim-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path
        self.width = width
        self.height = height

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        ).stdout

    def start_vim(self, *vim_args: str) -> None:
        """Starts the tmux server (it keeps the environment it starts with) running Vim."""
        command = ["vim", "-N", "-u", "NONE", "-i", "NONE", *vim_args]
        self.tmux(
            "new-session",
            "-d",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            shlex.join(command),
            env=vim_env(TERM="xterm-256color"),
        )

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "0", *keys)

    def literal(self, text: str) -> None:
        self.tmux("send-keys", "-t", "0", "-l", text)

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", "0").splitlines()

    def wait_screen(self, predicate: Callable[[str], bool], what: str, timeout: float = 60.0) -> str:
        text = ""

        def check() -> bool:
            nonlocal text
            text = "\n".join(self.screen())
            return predicate(text)

        try:
            wait_until(check, what, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen was:\n{text}") from None
        return text

    def running(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session"], capture_output=True).returncode == 0

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@contextmanager
def vim_in_terminal(tmp_path: Path, filename: str) -> Iterator[Tmux]:
    """Vim (with the plugin, and the kernel's state in the statusline) editing
    ``filename`` in a tmux pane; quits it with :qa! at the end."""
    vimrc = tmp_path / "vimrc"
    vimrc.write_text(
        "\n".join(
            [
                "let &runtimepath = $KB_VIM_PLUGIN . ',' . &runtimepath",
                "runtime plugin/jupyter.vim",
                "let g:jupyter_bridge_cmd = [$KB_BRIDGE]",
                "set noswapfile laststatus=2 statusline=%f\\ [%{jupyter#Status()}]",
            ]
        )
    )
    term = Tmux(tmp_path)
    try:
        term.start_vim("-u", str(vimrc), str(tmp_path / filename))
        term.wait_screen(lambda s: filename in s, "Vim")
        yield term
        term.keys(":qa!", "Enter")
        wait_until(lambda: not term.running(), "Vim to quit")
    finally:
        term.kill()
