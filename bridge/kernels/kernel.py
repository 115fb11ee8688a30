"""One kernel as the bridge sees it: a connection, and a process if the bridge started it.

Ownership decides shutdown: a kernel the bridge started is the bridge's to stop (and
never outlives it); one it connected to from a connection file is never stopped by it.

A remote kernel (``remote`` set: one behind Jupyter Server or a kernel gateway) has no
process and no connection file here: its channels go over a WebSocket, and interrupt,
restart and shutdown are its server's REST calls (bridge/remote). A remote kernel the bridge
started is deleted on its server when the bridge ends, unless its server is configured to
keep kernels.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from bridge.errors import BridgeError, KernelDied, KernelStartFailed, KernelTimeout, RequestDropped, unwrap_group
from bridge.kernels.connection import KernelConnection
from bridge.kernels.connection_info import ConnectionInfo
from bridge.kernels.launch import KernelProcess, KernelSpecInfo, kernel_argv, start_process
from bridge.transports import Transport
from bridge.transports.zmq import ZmqTransport
from bridge.wire import Message

if TYPE_CHECKING:
    from bridge.remote.kernel import RemoteKernel

log = logging.getLogger(__name__)

SHUTDOWN_REPLY_WAIT = 2.0
TERMINATE_WAIT = 2.0
KILL_WAIT = 2.0
DEFAULT_STARTUP_TIMEOUT = 60.0
INTERRUPT_REPLY_WAIT = 5.0


@dataclass(frozen=True)
class KernelEvents:
    """What a kernel reports upwards; the server turns each into a notification."""

    status: Callable[[Kernel, str], None]
    foreign: Callable[[Kernel, Message], None] | None = None  # iopub traffic we did not cause
    comm: Callable[[Kernel, Message], None] | None = None
    late_reply: Callable[[Kernel, Message], None] | None = None  # a reply after we gave up on it


@dataclass(frozen=True)
class LaunchOptions:
    cwd: str | None = None
    env: dict[str, str] | None = None
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    encryption: str = "auto"  # the policy it was started under; a restart keeps it


def remove_files(info: ConnectionInfo) -> None:
    """What a kernel the bridge started leaves on disk: its connection file and, with the
    ipc transport, its five unix sockets (``<ip>-<port>``), which kernels do not reliably
    remove (ipykernel leaves them after a normal shutdown, and nothing can after SIGKILL).
    Only for kernels we started: the files of a kernel we attached to are its own."""
    paths = [info.path] if info.path is not None else []
    if info.transport == "ipc":
        paths += [Path(f"{info.ip}-{port}") for port in info.ports.values()]
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot remove %s: %s", path, exc)


class Kernel:
    def __init__(
        self,
        kernel_id: str,
        info: ConnectionInfo | None,
        *,
        spec: KernelSpecInfo | None,
        owned: bool,
        events: KernelEvents,
        launch: LaunchOptions | None = None,
        remote: RemoteKernel | None = None,
    ) -> None:
        self.kernel_id = kernel_id
        self.spec = spec
        self.owned = owned
        self.info = info
        self.remote = remote
        self.launch = launch or LaunchOptions()
        self.process: KernelProcess | None = None
        if spec is not None:
            self.kernel_name = spec.name
        elif remote is not None:
            self.kernel_name = remote.kernel_name
        else:
            self.kernel_name = (info.kernel_name if info else None) or "unknown"
        self.events = events
        self.quiet = False  # a restart replaces this kernel: its death is not news
        transport: Transport
        if remote is not None:
            transport = remote.transport()
        else:
            assert info is not None, "a local kernel needs its connection info"
            transport = ZmqTransport(info)
        foreign, comm, late_reply = events.foreign, events.comm, events.late_reply
        self.connection = KernelConnection(
            transport,
            label=f"{self.kernel_name}:{kernel_id}",
            on_status=self._on_status,
            on_foreign=(lambda msg: foreign(self, msg)) if foreign else None,
            on_late_reply=(lambda msg: late_reply(self, msg)) if late_reply else None,
            on_comm=(lambda msg: comm(self, msg)) if comm else None,
        )
        self._scope = trio.CancelScope()
        self.stopped = trio.Event()

    def _on_status(self, state: str) -> None:
        if not self.quiet:
            self.events.status(self, state)

    @property
    def exit_code(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    @property
    def interrupt_mode(self) -> str:
        """Attached kernels have no process here to signal: they get a message."""
        if self.owned and self.spec is not None and self.process is not None:
            return self.spec.interrupt_mode
        return "message"

    async def interrupt(self) -> None:
        if not self.connection.alive:
            raise KernelDied(self.connection.dead_reason or "kernel is dead")
        if self.remote is not None:
            await self.remote.interrupt()  # the server knows the kernelspec's interrupt mode
        elif self.interrupt_mode == "signal":
            assert self.process is not None
            self.process.signal_group(signal.SIGINT)
        else:
            try:
                await self.connection.request("control", "interrupt_request", {}, timeout=INTERRUPT_REPLY_WAIT)
            except (KernelTimeout, RequestDropped):
                raise KernelTimeout(
                    f"kernel {self.kernel_name!r} did not answer interrupt_request (waited up to "
                    f"{INTERRUPT_REPLY_WAIT:g} s): it may not support interrupting by message"
                ) from None
        self.connection.cancel_inputs()

    @property
    def language(self) -> str:
        lang = self.connection.kernel_info.get("language_info", {}).get("name")
        return str(lang or (self.spec.language if self.spec else ""))

    @property
    def encrypted(self) -> bool:
        """Whether the bridge's link to the kernel is encrypted: CurveZMQ for a local
        kernel, TLS (an https server) for a remote one."""
        if self.remote is not None:
            return self.remote.server.url.lower().startswith("https:")
        return self.info is not None and self.info.encrypted

    def describe(self) -> dict[str, Any]:
        info = self.connection.kernel_info
        described = {
            "kernelId": self.kernel_id,
            "kernelName": self.kernel_name,
            "language": self.language,
            "implementation": info.get("implementation", ""),
            "encrypted": self.encrypted,
        }
        if self.remote is not None:
            described.update(self.remote.describe())
        return described

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start (if owned) and connect; report started once the kernel is ready.

        Raises KernelStartFailed before ``started`` if the kernel cannot be made ready.
        After ``started`` it never raises: a failure there marks the kernel dead, and the
        bridge (whose nursery this runs in) lives on.
        """
        started = False
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    gone = trio.Event()
                    if self.owned and self.remote is None:
                        gone = await self._spawn(nursery)
                    await nursery.start(self.connection.run)
                    try:
                        await self.connection.wait_ready(self.launch.startup_timeout, gone=gone)
                    except (KernelDied, KernelTimeout) as exc:
                        raise KernelStartFailed(self._start_failure(exc)) from None
                    nursery.start_soon(self.connection.heartbeat)
                    task_status.started()
                    started = True
        except Exception as exc:
            error = unwrap_group(exc)
            if not started:
                raise error from None
            log.exception("kernel %s failed", self.kernel_id)
            self.connection.mark_dead(f"kernel connection failed: {error!r}")
        finally:
            self._kill_now()
            self.stopped.set()

    async def _spawn(self, nursery: trio.Nursery) -> trio.Event:
        assert self.spec is not None and self.info is not None and self.info.path is not None
        argv = kernel_argv(self.spec, str(self.info.path))
        try:
            self.process = await start_process(
                argv, cwd=self.launch.cwd, env={**self.spec.env, **(self.launch.env or {})}
            )
        except OSError as exc:
            raise KernelStartFailed(f"cannot start kernel {self.kernel_name!r} ({argv[0]}): {exc}") from None
        nursery.start_soon(self.process.drain, self.process.stdout, "stdout")
        nursery.start_soon(self.process.drain, self.process.stderr, "stderr")
        nursery.start_soon(self._watch_process)
        return self.process.exited

    def _start_failure(self, exc: BridgeError) -> str:
        msg = f"kernel {self.kernel_name!r} failed to start: {exc.message}"
        if self.remote is not None:
            msg += f" (server {self.remote.server.display})"
        if self.process is not None:
            if self.process.returncode is not None:
                msg += f" (exit code {self.process.returncode})"
            tail = self.process.stderr_tail().strip()
            if tail:
                msg += "\n--- kernel output (last lines) ---\n" + "\n".join(tail.splitlines()[-20:])
        return msg

    async def _watch_process(self) -> None:
        assert self.process is not None
        code = await self.process.wait()
        await trio.sleep(0.1)  # let the drains catch the kernel's last words
        reason = f"kernel {self.kernel_name!r} ({self.kernel_id}) died (exit code {code})"
        tail = self.process.stderr_tail().strip()
        if tail and code != 0:
            reason += "; last output: " + " | ".join(tail.splitlines()[-3:])
        self.connection.mark_dead(reason)

    def _kill_now(self) -> None:
        """Last resort, synchronous: no owned kernel process survives this object, nor
        its files."""
        if self.process is not None:
            self.process.signal_group(signal.SIGKILL, leftovers=True)
        if self.owned and self.info is not None:
            remove_files(self.info)

    async def shutdown(self, *, detach: bool = False) -> None:
        """Owned: shutdown_request on control, then SIGTERM, then SIGKILL, each bounded.
        Attached: close our sockets only; the kernel keeps running.
        Remote and owned: deleted on its server (bounded), unless ``detach``."""
        if self.remote is not None:
            # dead first: the server closing the WebSocket is then no news (no "disconnected")
            self.connection.mark_dead("kernel was shut down")
            if self.owned and not detach:
                await self.remote.delete(quiet=True)
        if self.owned and self.process is not None and self.process.returncode is None:
            if self.connection.alive:
                with trio.move_on_after(SHUTDOWN_REPLY_WAIT):
                    try:
                        await self.connection.request("control", "shutdown_request", {"restart": False})
                    except BridgeError:
                        pass
                    await self.process.exited.wait()
            for sig, wait in ((signal.SIGTERM, TERMINATE_WAIT), (signal.SIGKILL, KILL_WAIT)):
                if self.process.returncode is not None:
                    break
                self.process.signal_group(sig)
                with trio.move_on_after(wait):
                    await self.process.exited.wait()
        self.connection.mark_dead("kernel was shut down")
        self._scope.cancel()
        await self.stopped.wait()
