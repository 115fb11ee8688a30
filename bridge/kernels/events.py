"""What the registry tells its subscribers about its kernels (``KernelRegistry.subscribe``).

Subscribers are plain callbacks, called synchronously, in subscription order, on the task
that caused the event (often a kernel's iopub reader): so an event costs no task and no
queue, nothing can pile up between a flooding kernel and a slow subscriber, and a
subscriber sees the registry exactly as the event left it. The price: a subscriber must
not block and should not raise (the registry logs what one raises and goes on). The
ones there are — the ``jupyter/status`` notifier, the sidecar, the autostart bookkeeping —
only queue a notification or update their own state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bridge.kernels.kernel import Kernel

# The states docs/protocol.md promises in jupyter/status: the Jupyter spec's three (starting,
# busy, idle), a server's restarting, and the bridge's own disconnected and dead.
ExecutionState = Literal["starting", "busy", "idle", "restarting", "disconnected", "dead"]
EXECUTION_STATES: tuple[ExecutionState, ...] = ("starting", "busy", "idle", "restarting", "disconnected", "dead")


@dataclass(frozen=True, slots=True)
class _KernelEvent:
    """What every event is about."""

    kernel: Kernel

    @property
    def kernel_id(self) -> str:
        return self.kernel.kernel_id


@dataclass(frozen=True, slots=True)
class KernelStarted(_KernelEvent):
    """A new kernel is ready (``startKernel``/``connectKernel`` answer after this)."""


@dataclass(frozen=True, slots=True)
class KernelStatus(_KernelEvent):
    """The kernel's execution state changed: ``starting``, ``busy``, ``idle``,
    ``restarting``, ``disconnected`` (a remote kernel's link is down)… as the kernel or
    the bridge says it. Not ``dead``: that is ``KernelDead``."""

    state: ExecutionState


@dataclass(frozen=True, slots=True)
class KernelRestarted(_KernelEvent):
    """A restart's new kernel is ready; it has the old one's id (and documents)."""


@dataclass(frozen=True, slots=True)
class KernelDead(_KernelEvent):
    """The kernel died, failed to start, or was shut down. Never sent for a kernel a
    restart is replacing (its successor's events follow)."""

    @property
    def reason(self) -> str:
        return self.kernel.connection.dead_reason or ""


@dataclass(frozen=True, slots=True)
class KernelRemoved(_KernelEvent):
    """The kernel left the registry (``shutdownKernel``, or the bridge ending)."""


RegistryEvent = KernelStarted | KernelStatus | KernelRestarted | KernelDead | KernelRemoved
Subscriber = Callable[[RegistryEvent], None]
