"""One kernel as the bridge sees it: what every kind shares.

Three kinds, three classes, one interface (the registry and the server never ask which):

- ``LaunchedKernel`` (kernels/local.py): a process the bridge started from a kernelspec,
  with its connection file. The bridge's to stop, and it never outlives the bridge.
- ``AttachedKernel`` (kernels/local.py): a kernel the bridge attached to from a connection
  file. Never the bridge's to stop, nor to restart: it only closes its sockets.
- ``ServerKernel`` (remote/server_kernel.py): a kernel behind Jupyter Server or a gateway,
  over one WebSocket; interrupt, restart and delete are its server's REST calls. Owned
  (the bridge started it: deleted when the bridge ends unless its server keeps kernels)
  or attached (never deleted).

What differs is in the hooks each kind overrides (``_spawn``, ``_interrupt``, ``_stop``,
``_successor``…); the sequence around them — start, readiness, death, the one restart path
(``KernelRegistry.restart``) — is written once, here and in the registry.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import trio

from bridge.errors import (
    BridgeError,
    KernelDied,
    KernelRestarting,
    KernelStartFailed,
    KernelTimeout,
    RequestDropped,
    unwrap_group,
)
from bridge.kernels.connection import KernelConnection
from bridge.kernels.connection_info import TransportKind
from bridge.kernels.encryption import DEFAULT_POLICY, Policy
from bridge.kernels.launch import KernelSpecInfo
from bridge.transports import Transport
from bridge.wire import Message

log = logging.getLogger(__name__)

DEFAULT_STARTUP_TIMEOUT = 60.0
INTERRUPT_REPLY_WAIT = 5.0

KernelKind = Literal["launched", "attached", "server"]
InterruptMode = Literal["signal", "message"]


@dataclass(frozen=True)
class KernelEvents:
    """What a kernel reports upwards. ``status`` is the registry's (it turns states into
    registry events); the others are per message, and the server turns each into a
    notification."""

    status: Callable[[Kernel, str], None] | None = None
    foreign: Callable[[Kernel, Message], None] | None = None  # iopub traffic we did not cause
    comm: Callable[[Kernel, Message], None] | None = None
    late_reply: Callable[[Kernel, Message], None] | None = None  # a reply after we gave up on it


@dataclass(frozen=True)
class LaunchOptions:
    """How a kernel was started; a restart starts its successor the same way."""

    cwd: str | None = None
    env: dict[str, str] | None = None
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    encryption: Policy = DEFAULT_POLICY  # the policy it was started under
    transport: TransportKind = "tcp"  # for a process the bridge starts: tcp or ipc


class Kernel(ABC):
    """A kernel of any kind: its connection, its id here, whether it is the bridge's."""

    kind: ClassVar[KernelKind]

    def __init__(
        self,
        kernel_id: str,
        transport: Transport,
        *,
        kernel_name: str,
        owned: bool,
        events: KernelEvents,
        launch: LaunchOptions | None = None,
        spec: KernelSpecInfo | None = None,
    ) -> None:
        self.kernel_id = kernel_id
        self.kernel_name = kernel_name
        self.owned = owned
        self.spec = spec
        self.launch = launch or LaunchOptions()
        self.events = events
        self.quiet = False  # a restart replaces this kernel: its death is not news
        foreign, comm, late_reply = events.foreign, events.comm, events.late_reply
        self.connection = KernelConnection(
            transport,
            label=f"{kernel_name}:{kernel_id}",
            on_status=self._on_status,
            on_foreign=(lambda msg: foreign(self, msg)) if foreign else None,
            on_late_reply=(lambda msg: late_reply(self, msg)) if late_reply else None,
            on_comm=(lambda msg: comm(self, msg)) if comm else None,
        )
        self._iopub_tap: Callable[[Message], None] | None = None
        self._scope = trio.CancelScope()
        self.stopped = trio.Event()

    def _on_status(self, state: str) -> None:
        if self.events.status is not None:
            self.events.status(self, state)

    # -- what the editor is told ------------------------------------------------------

    @property
    def exit_code(self) -> int | None:
        """A process's exit code; only a kernel the bridge started has one here."""
        return None

    @property
    def encrypted(self) -> bool:
        """Whether the bridge's link to the kernel is encrypted (CurveZMQ, or TLS)."""
        return False

    @property
    def language(self) -> str:
        lang = self.connection.kernel_info.get("language_info", {}).get("name")
        return str(lang or (self.spec.language if self.spec else ""))

    @property
    def own_connection_file(self) -> Path | None:
        """The connection file the bridge wrote for this kernel, if it wrote one."""
        return None

    def location(self) -> dict[str, Any]:
        """Where the kernel runs, when not on this machine (server, its id there)."""
        return {}

    def describe(self) -> dict[str, Any]:
        info = self.connection.kernel_info
        return {
            "kernelId": self.kernel_id,
            "kernelName": self.kernel_name,
            "language": self.language,
            "implementation": info.get("implementation", ""),
            "encrypted": self.encrypted,
            **self.location(),
        }

    # -- running ------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start (a kind that has a process) and connect; report started once ready.

        Raises KernelStartFailed before ``started`` if the kernel cannot be made ready.
        After ``started`` it never raises: a failure there marks the kernel dead, and the
        bridge (whose nursery this runs in) lives on.
        """
        started = False
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
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
            self.abandon()
            self.stopped.set()

    async def _spawn(self, nursery: trio.Nursery) -> trio.Event:
        """Start what the kernel needs on this machine; an event set if it goes away."""
        return trio.Event()

    def _start_failure(self, exc: BridgeError) -> str:
        return f"kernel {self.kernel_name!r} failed to start: {exc.message}"

    def abandon(self) -> None:
        """Last resort, synchronous: what the bridge started here does not survive this
        object (processes, files). Safe to call more than once."""
        return  # by default: nothing to do

    # -- interrupt ----------------------------------------------------------------------

    @property
    def interrupt_mode(self) -> InterruptMode:
        """Only a process the bridge started can be signalled; the rest get a message."""
        return "message"

    async def interrupt(self) -> None:
        if not self.connection.alive:
            raise KernelDied(self.connection.dead_reason or "kernel is dead")
        await self._interrupt()
        self.connection.cancel_inputs()

    async def _interrupt(self) -> None:
        try:
            await self.connection.request("control", "interrupt_request", {}, timeout=INTERRUPT_REPLY_WAIT)
        except (KernelTimeout, RequestDropped):
            raise KernelTimeout(
                f"kernel {self.kernel_name!r} did not answer interrupt_request (waited up to "
                f"{INTERRUPT_REPLY_WAIT:g} s): it may not support interrupting by message"
            ) from None

    # -- restart (the sequence is KernelRegistry.restart's) ------------------------------

    def check_restartable(self) -> None:
        """Raise the error the editor gets if this kind of kernel cannot be restarted."""
        return  # by default: nothing to do

    def begin_restart(self) -> None:
        """Requests fail with -32015 from now on, those in flight at once; the kernel's
        own statuses (and its death) are no longer news: its successor's are."""
        self.quiet = True
        self.connection.restarting = True
        self.connection.fail_pending(KernelRestarting(f"kernel {self.kernel_id} is restarting"))

    def restart_failed(self) -> None:
        self.quiet = False
        self.connection.restarting = False

    @abstractmethod
    async def successor(self) -> Kernel:
        """Restart: stop or restart what runs, and return the kernel object that takes
        this one's place (same id, not running yet)."""

    # -- shutdown -----------------------------------------------------------------------

    async def shutdown(self, *, detach: bool = False) -> None:
        """Stop what is the bridge's to stop (``_stop``), then close our side.
        ``detach``: the bridge ends and the kernel's server keeps kernels: close only."""
        if not detach:
            await self._stop()
        self.connection.mark_dead("kernel was shut down")
        self._scope.cancel()
        await self.stopped.wait()

    async def _stop(self) -> None:
        """Stop the kernel itself, if it is the bridge's: nothing for a kernel attached to."""
        return  # by default: nothing to do

    # -- iopub for listeners outside the request that caused it (the sidecar) --------------

    def tap_iopub(self, listener: Callable[[Message], None] | None) -> None:
        """Hand every iopub message (but our private requests') to ``listener``, or stop."""
        if self._iopub_tap is not None:
            self.connection.iopub_listeners.discard(self._iopub_tap)
        self._iopub_tap = listener
        if listener is not None:
            self.connection.iopub_listeners.add(listener)
