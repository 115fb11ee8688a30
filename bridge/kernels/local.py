"""The two kinds of kernel on this machine, both reached over ZeroMQ from a connection file.

``LaunchedKernel``: a process the bridge started. It is the bridge's to stop (shutdown_request,
SIGTERM, SIGKILL to its process group), it never outlives the bridge (``abandon`` SIGKILLs the
group whatever happened), and what it leaves on disk — its connection file, its ipc sockets —
goes with it. ``AttachedKernel``: a kernel someone else started; the bridge only closes its
sockets, and never restarts it (it does not know how it was started).
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import trio

from bridge.errors import BridgeError, InvalidParams, KernelStartFailed
from bridge.kernels.connection_info import ConnectionInfo, new_connection_file
from bridge.kernels.encryption import curve_for_start
from bridge.kernels.kernel import InterruptMode, Kernel, KernelEvents, LaunchOptions
from bridge.kernels.launch import KernelProcess, KernelSpecInfo, find_kernelspec, kernel_argv, start_process
from bridge.transports.zmq import ZmqTransport

log = logging.getLogger(__name__)

# after shutdown_request, for the kernel to run its own shutdown and exit (jupyter_client
# waits half its shutdown_wait_time, 2.5 s, before its SIGTERM)
SHUTDOWN_WAIT = 2.0
TERMINATE_WAIT = 2.0
KILL_WAIT = 2.0


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


class LaunchedKernel(Kernel):
    kind = "launched"

    def __init__(
        self, kernel_id: str, info: ConnectionInfo, spec: KernelSpecInfo, *, events: KernelEvents, launch: LaunchOptions
    ) -> None:
        super().__init__(
            kernel_id, ZmqTransport(info), kernel_name=spec.name, owned=True, events=events, launch=launch, spec=spec
        )
        self.info = info
        self.process: KernelProcess | None = None

    @classmethod
    def prepare(
        cls, kernel_id: str, kernel_name: str, *, events: KernelEvents, launch: LaunchOptions
    ) -> LaunchedKernel:
        """A kernel from its kernelspec, its connection file written (with CurveZMQ keys
        when ``launch.encryption`` and the kernelspec say so; refused before any file or
        process exists when the policy cannot be met). Not started yet: ``run`` does."""
        spec = find_kernelspec(kernel_name)
        curve = curve_for_start(launch.encryption, spec)
        info = new_connection_file(kernel_name, transport=launch.transport, curve=curve)
        try:
            return cls(kernel_id, info, spec, events=events, launch=launch)
        except BaseException:
            remove_files(info)
            raise

    @property
    def exit_code(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    @property
    def encrypted(self) -> bool:
        return self.info.encrypted

    @property
    def own_connection_file(self) -> Path | None:
        return self.info.path

    @property
    def interrupt_mode(self) -> InterruptMode:
        if self.process is not None and self.spec is not None and self.spec.interrupt_mode == "signal":
            return "signal"
        return "message"

    async def _interrupt(self) -> None:
        if self.interrupt_mode == "signal":
            assert self.process is not None
            self.process.signal_group(signal.SIGINT)
        else:
            await super()._interrupt()

    async def _spawn(self, nursery: trio.Nursery) -> trio.Event:
        assert self.spec is not None and self.info.path is not None
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
        msg = super()._start_failure(exc)
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

    def abandon(self) -> None:
        if self.process is not None:
            self.process.signal_group(signal.SIGKILL, leftovers=True)
        remove_files(self.info)

    async def _stop(self) -> None:
        await self._stop_process(restart=False)

    async def _stop_process(self, *, restart: bool) -> None:
        """The one way the bridge stops a process it started, for a shutdown and for a
        restart alike: ``shutdown_request`` on control (its ``restart`` says which), so
        the kernel runs its own shutdown (atexit handlers, files flushed) as it would
        under jupyter_client; then SIGTERM, then SIGKILL to the group, each wait bounded.

        A restart refuses the editor's requests (-32015) and has already failed those in
        flight; this request is let through (``stopping``), and the editor's pending
        requests do not wait for it. A kernel running code is interrupted first, as
        jupyter_client does (by signal; a message-mode kernel reads control while busy):
        otherwise its shutdown waits behind that code until the signals end it uncleanly."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        if self.connection.alive and self.connection.execution_state == "busy" and self.interrupt_mode == "signal":
            process.signal_group(signal.SIGINT)
        if self.connection.alive:
            with trio.move_on_after(SHUTDOWN_WAIT):
                try:
                    await self.connection.request(
                        "control", "shutdown_request", {"restart": restart}, private=True, stopping=True
                    )
                except BridgeError:
                    pass  # no answer, or it died meanwhile: its exit (or the signals) decide
                await process.exited.wait()
        for sig, wait in ((signal.SIGTERM, TERMINATE_WAIT), (signal.SIGKILL, KILL_WAIT)):
            if process.returncode is not None:
                break
            process.signal_group(sig)
            with trio.move_on_after(wait):
                await process.exited.wait()

    async def successor(self) -> Kernel:
        """A fresh process from the same kernelspec, started as this one was, once this
        one has stopped as a shutdown stops it (told it is a restart)."""
        await self._stop_process(restart=True)
        await self.shutdown()  # the process is gone: our side closed, its files removed
        return LaunchedKernel.prepare(self.kernel_id, self.kernel_name, events=self.events, launch=self.launch)


class AttachedKernel(Kernel):
    kind = "attached"

    def __init__(self, kernel_id: str, info: ConnectionInfo, *, events: KernelEvents, launch: LaunchOptions) -> None:
        super().__init__(
            kernel_id,
            ZmqTransport(info),
            kernel_name=info.kernel_name or "unknown",
            owned=False,
            events=events,
            launch=launch,
        )
        self.info = info

    @property
    def encrypted(self) -> bool:
        return self.info.encrypted

    def check_restartable(self) -> None:
        raise self._not_restartable()

    async def successor(self) -> Kernel:
        raise self._not_restartable()

    def _not_restartable(self) -> InvalidParams:
        """The bridge does not know how someone else started it, so cannot start it again."""
        return InvalidParams(
            f"kernel {self.kernel_id} was attached from a connection file; only kernels the bridge started can be restarted"
        )
