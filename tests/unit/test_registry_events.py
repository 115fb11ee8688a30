"""How kernel states become registry events and jupyter/status params, without a kernel:
a kernel object that never runs, its connection told what the transport would tell it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from bridge.kernels.connection_info import ConnectionInfo
from bridge.kernels.events import KernelDead, KernelStatus, RegistryEvent
from bridge.kernels.kernel import KernelEvents, LaunchOptions
from bridge.kernels.local import AttachedKernel
from bridge.kernels.registry import KernelRegistry
from bridge.server.lifecycle import status_notification

FILE = {
    "shell_port": 50001,
    "iopub_port": 50002,
    "stdin_port": 50003,
    "control_port": 50004,
    "hb_port": 50005,
    "ip": "127.0.0.1",
    "key": "secret",
    "transport": "tcp",
    "signature_scheme": "hmac-sha256",
    "kernel_name": "python3",
}


@pytest.fixture
async def registry() -> AsyncIterator[KernelRegistry]:
    async with trio.open_nursery() as nursery:
        yield KernelRegistry(nursery, KernelEvents())
        nursery.cancel_scope.cancel()


def kernel_of(registry: KernelRegistry) -> AttachedKernel:
    return AttachedKernel("k1", ConnectionInfo.from_dict(FILE), events=registry.events, launch=LaunchOptions())


async def test_a_death_is_one_dead_event_with_its_reason_in_the_status_params(registry: KernelRegistry) -> None:
    events: list[RegistryEvent] = []
    registry.subscribe(events.append)
    kernel = kernel_of(registry)
    kernel.connection.mark_dead("kernel 'python3' (k1) died (exit code 1)")
    kernel.connection.mark_dead("a second death is not news")
    assert events == [KernelDead(kernel)]
    assert status_notification(events[0]) == {
        "kernelId": "k1",
        "executionState": "dead",
        "reason": "kernel 'python3' (k1) died (exit code 1)",
    }


async def test_a_lost_link_is_a_disconnected_status_with_its_reason(registry: KernelRegistry) -> None:
    notified: list[object] = []  # made as the event happens, as the notifier does
    registry.subscribe(lambda event: notified.append(status_notification(event)))
    kernel = kernel_of(registry)
    kernel.connection.link_lost("lost Jupyter server http://127.0.0.1:1 for 5 s")
    kernel.connection.link_restored("busy", 5.0)
    assert notified == [
        {
            "kernelId": "k1",
            "executionState": "disconnected",
            "reason": "lost Jupyter server http://127.0.0.1:1 for 5 s",
        },
        {"kernelId": "k1", "executionState": "busy"},
    ]


async def test_a_kernel_being_replaced_by_a_restart_says_nothing(registry: KernelRegistry) -> None:
    events: list[RegistryEvent] = []
    registry.subscribe(events.append)
    kernel = kernel_of(registry)
    kernel.begin_restart()
    kernel.connection.mark_dead("killed by the restart")
    assert events == []


async def test_states_outside_the_protocols_set_are_not_passed_on(registry: KernelRegistry) -> None:
    events: list[RegistryEvent] = []
    registry.subscribe(events.append)
    kernel = kernel_of(registry)
    report = registry.events.status
    assert report is not None
    report(kernel, "pondering")
    report(kernel, "idle")
    assert events == [KernelStatus(kernel, "idle")]


async def test_an_unsubscribed_callback_hears_nothing_more(registry: KernelRegistry) -> None:
    events: list[RegistryEvent] = []
    unsubscribe = registry.subscribe(events.append)
    kernel = kernel_of(registry)
    kernel.connection.link_lost("gone")
    unsubscribe()
    kernel.connection.mark_dead("dead")
    assert events == [KernelStatus(kernel, "disconnected")]
