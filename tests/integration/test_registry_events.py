"""The registry's events, in process, on a real python3 kernel: what its subscribers (the
jupyter/status notifier, the sidecar, autostart) are told, in which order, and the one
restart path for each kind (bridge/kernels/events.py, bridge/kernels/registry.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio
from jupyter_client.manager import KernelManager

from bridge.errors import INVALID_PARAMS, BridgeError
from bridge.kernels.events import (
    KernelDead,
    KernelRemoved,
    KernelRestarted,
    KernelStarted,
    KernelStatus,
    RegistryEvent,
)
from bridge.kernels.kernel import KernelEvents
from bridge.kernels.local import AttachedKernel, LaunchedKernel
from bridge.kernels.registry import KernelRegistry
from bridge.wire import Message
from tests.integration.helpers import HANG_GUARD


@pytest.fixture
async def registry() -> AsyncIterator[KernelRegistry]:
    async with trio.open_nursery() as nursery:
        kernels = KernelRegistry(nursery, KernelEvents())
        try:
            yield kernels
        finally:
            with trio.fail_after(HANG_GUARD):
                await kernels.shutdown_all()
            nursery.cancel_scope.cancel()


def kinds(events: list[RegistryEvent]) -> list[str]:
    """Event names, with each status's state, and repeated statuses collapsed (a kernel's
    busy/idle traffic depends on its probes)."""
    names: list[str] = []
    for event in events:
        name = f"status:{event.state}" if isinstance(event, KernelStatus) else type(event).__name__
        if name in ("status:busy", "status:idle"):
            continue
        names.append(name)
    return names


async def test_a_kernels_life_as_its_subscribers_see_it(registry: KernelRegistry) -> None:
    events: list[RegistryEvent] = []
    registry.subscribe(events.append)
    with trio.fail_after(HANG_GUARD):
        kernel = await registry.start("python3")
        assert isinstance(kernel, LaunchedKernel) and kernel.owned
        restarted = await registry.restart(kernel.kernel_id)
        await registry.shutdown(kernel.kernel_id)
    assert restarted is not kernel and restarted.kernel_id == kernel.kernel_id
    assert kinds(events) == [
        "status:starting",
        "KernelStarted",
        "status:restarting",
        "status:starting",
        "KernelRestarted",
        "KernelDead",
        "KernelRemoved",
    ]
    started = next(e for e in events if isinstance(e, KernelStarted))
    restart = next(e for e in events if isinstance(e, KernelRestarted))
    assert started.kernel is kernel and restart.kernel is restarted
    dead = next(e for e in events if isinstance(e, KernelDead))
    assert dead.kernel is restarted and dead.reason == "kernel was shut down"
    assert kernel.kernel_id not in registry


async def test_iopub_listeners_follow_the_kernel_across_a_restart(registry: KernelRegistry) -> None:
    heard: list[tuple[str, str]] = []  # (which kernel object, msg_type)
    with trio.fail_after(HANG_GUARD):
        kernel = await registry.start("python3")
        stop = registry.listen_iopub(kernel.kernel_id, lambda k, msg: heard.append((hex(id(k)), msg.msg_type)))
        await kernel.connection.request("shell", "execute_request", {"code": "print(1)"}, wait_idle=True)
        restarted = await registry.restart(kernel.kernel_id)
        await restarted.connection.request("shell", "execute_request", {"code": "print(2)"}, wait_idle=True)
        stop()
        await restarted.connection.request("shell", "execute_request", {"code": "print(3)"}, wait_idle=True)
    streams = [who for who, msg_type in heard if msg_type == "stream"]
    assert streams == [hex(id(kernel)), hex(id(restarted))]


async def test_a_subscriber_that_raises_does_not_silence_the_others(registry: KernelRegistry) -> None:
    def broken(event: RegistryEvent) -> None:
        raise RuntimeError("a broken subscriber")

    events: list[RegistryEvent] = []
    registry.subscribe(broken)
    unsubscribe = registry.subscribe(events.append)
    with trio.fail_after(HANG_GUARD):
        kernel = await registry.start("python3")
    assert any(isinstance(e, KernelStarted) for e in events)
    unsubscribe()
    with trio.fail_after(HANG_GUARD):
        await registry.shutdown(kernel.kernel_id)
    assert not any(isinstance(e, KernelRemoved) for e in events)


async def test_an_attached_kernel_is_refused_a_restart_and_left_running(
    registry: KernelRegistry, jupyter_client_kernel: KernelManager
) -> None:
    events: list[RegistryEvent] = []
    with trio.fail_after(HANG_GUARD):
        kernel = await registry.connect(str(Path(jupyter_client_kernel.connection_file)))
        registry.subscribe(events.append)
        assert isinstance(kernel, AttachedKernel) and not kernel.owned
        with pytest.raises(BridgeError) as refused:
            await registry.restart(kernel.kernel_id)
        assert refused.value.code == INVALID_PARAMS
        assert events == []  # refused before anything was said or done
        reply: Message = await kernel.connection.request("shell", "kernel_info_request", {})
        assert reply.content["status"] == "ok"
        await registry.shutdown(kernel.kernel_id)
    assert jupyter_client_kernel.is_alive()
    assert kinds(events) == ["KernelDead", "KernelRemoved"]  # dead to the bridge, running still
