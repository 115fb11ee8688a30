"""Finding kernelspecs and starting kernel processes that cannot outlive the bridge.

A kernel we start gets: its own process group (so interrupt and kill reach its children
and not us), ``JPY_PARENT_PID`` (ipykernel exits when that parent goes), and on Linux a
parent-death signal (SIGKILL when the bridge dies, whatever the kernel's language).
Its stdout/stderr are pipes we drain: stdout is the editor's channel and must never be
inherited.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import trio

from bridge.errors import KernelspecNotFound

log = logging.getLogger(__name__)

STDERR_TAIL_BYTES = 16 * 1024
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class KernelSpecInfo:
    name: str
    display_name: str
    language: str
    argv: list[str]
    env: dict[str, str]
    interrupt_mode: str
    resource_dir: str
    metadata: dict[str, Any]

    def summary(self) -> dict[str, str]:
        return {"name": self.name, "displayName": self.display_name, "language": self.language}


def list_kernelspecs() -> list[KernelSpecInfo]:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().get_all_specs()
    out = []
    for name, entry in sorted(specs.items()):
        spec = entry.get("spec", {})
        out.append(_spec_info(name, spec, entry.get("resource_dir", "")))
    return out


def find_kernelspec(name: str) -> KernelSpecInfo:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(name)
    except NoSuchKernel:
        known = ", ".join(sorted(ksm.find_kernel_specs())) or "none"
        raise KernelspecNotFound(
            f"no kernelspec named {name!r} (installed: {known}); list them with jupyter/listKernelspecs"
        ) from None
    return _spec_info(name, spec.to_dict(), spec.resource_dir)


def _spec_info(name: str, spec: dict[str, Any], resource_dir: str) -> KernelSpecInfo:
    return KernelSpecInfo(
        name=name,
        display_name=str(spec.get("display_name", name)),
        language=str(spec.get("language", "")),
        argv=list(spec.get("argv", [])),
        env=dict(spec.get("env") or {}),
        interrupt_mode=str(spec.get("interrupt_mode", "signal")),
        resource_dir=resource_dir,
        metadata=dict(spec.get("metadata") or {}),
    )


def kernel_argv(spec: KernelSpecInfo, connection_file: str) -> list[str]:
    """The kernelspec's argv with its placeholders filled, ``python`` meaning our own.

    jupyter_client does the same substitution of ``python`` with ``sys.executable``: the
    bundled python3 kernel must run in the bridge's environment, where ipykernel is.
    """
    argv = [
        a.replace("{connection_file}", connection_file).replace("{resource_dir}", spec.resource_dir) for a in spec.argv
    ]
    v = sys.version_info
    if argv and argv[0] in {"python", f"python{v.major}", f"python{v.major}.{v.minor}"}:
        argv[0] = sys.executable
    return argv


def _parent_death_hook() -> Callable[[], None] | None:
    """A preexec function that asks Linux to SIGKILL the child when the bridge dies.

    libc is loaded here, in the parent: the child, between fork and exec, must do as
    little as possible. If the bridge already died before prctl took effect, the child
    exits at once instead of running orphaned.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return hook


class KernelProcess:
    """A started kernel process: its output drained, its exit observable.

    Spawned with ``subprocess.Popen`` on the trio thread itself, not through
    ``trio.lowlevel.open_process``: that forks from a worker thread, and Linux delivers
    the parent-death signal when the *thread* that forked exits — trio's idle worker
    threads exit after a few seconds, which would SIGKILL a healthy kernel. Its exit is
    awaited on a pidfd (Linux), else by polling.
    """

    def __init__(self, popen: subprocess.Popen[bytes], argv: list[str]) -> None:
        self.popen = popen
        self.argv = argv
        self._stderr_tail: deque[bytes] = deque()
        self._tail_bytes = 0
        self.exited = trio.Event()
        self.stdout = _fd_stream(popen.stdout)
        self.stderr = _fd_stream(popen.stderr)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def stderr_tail(self) -> str:
        return b"".join(self._stderr_tail).decode("utf-8", "replace")

    async def drain(self, stream: trio.lowlevel.FdStream, name: str) -> None:
        """Read the kernel's stdout/stderr to EOF, keeping a bounded tail for error messages."""
        async with stream:
            while True:
                try:
                    chunk = await stream.receive_some(65536)
                except (trio.ClosedResourceError, trio.BrokenResourceError):
                    return
                if not chunk:
                    return
                log.debug("kernel %d %s: %s", self.pid, name, chunk.decode("utf-8", "replace").rstrip())
                self._stderr_tail.append(chunk)
                self._tail_bytes += len(chunk)
                while self._tail_bytes > STDERR_TAIL_BYTES and len(self._stderr_tail) > 1:
                    self._tail_bytes -= len(self._stderr_tail.popleft())

    async def wait(self) -> int:
        try:
            pidfd = os.pidfd_open(self.popen.pid)
        except (AttributeError, OSError):
            pidfd = None
        try:
            if pidfd is not None:
                await trio.lowlevel.wait_readable(pidfd)
            while self.popen.poll() is None:
                await trio.sleep(0.05)
        finally:
            if pidfd is not None:
                trio.lowlevel.notify_closing(pidfd)
                os.close(pidfd)
        self.exited.set()
        return self.popen.returncode

    def signal_group(self, sig: int, *, leftovers: bool = False) -> None:
        """Signal the kernel's process group (its children too); quiet if already gone.

        With ``leftovers``, signal the group even after the kernel itself exited: children
        it left behind still carry its process-group id (Linux does not reuse a pid while
        a group of that id exists)."""
        if self.popen.returncode is not None and not leftovers:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            if self.popen.returncode is None:
                self.popen.send_signal(sig)


def _fd_stream(pipe: Any) -> trio.lowlevel.FdStream:
    stream = trio.lowlevel.FdStream(os.dup(pipe.fileno()))
    pipe.close()
    return stream


def kernel_environment(env: dict[str, str]) -> dict[str, str]:
    """The bridge's environment, plus the kernelspec's and the editor's ``env``.

    Plus ``PYDEVD_DISABLE_FILE_VALIDATION=1`` unless one of those set it: ipykernel imports
    debugpy at start-up, and on a Python with frozen modules (3.11+) debugpy prints a
    four-line "Debugger warning: It seems that frozen modules are being used" to stderr,
    which the kernel forwards to every client as output nobody asked for. It is about
    breakpoints in frozen standard-library modules; the variable only turns that check off.
    """
    full_env = dict(os.environ)
    full_env.update(env)
    full_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    full_env["JPY_PARENT_PID"] = str(os.getpid())
    return full_env


async def start_process(argv: list[str], *, cwd: str | None, env: dict[str, str]) -> KernelProcess:
    full_env = kernel_environment(env)
    popen = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=full_env,
        start_new_session=True,
        preexec_fn=_parent_death_hook(),
    )
    await trio.lowlevel.checkpoint()
    return KernelProcess(popen, argv)
