"""``jupyter/openSidecar``: a page on 127.0.0.1 that shows a kernel's outputs live.

One sidecar per kernel, opened on first request (later ones get the same URL), running
in the handlers nursery until the kernel leaves the registry (``shutdownKernel``) or the
bridge ends. It listens to every iopub message of the kernel, whoever caused it
(``KernelRegistry.listen_iopub``), and to the registry's events: a restart replaces the
registry's Kernel object (same kernelId, new connection), the listener moves to it with
no gap and the page shows a divider; a death shows one too; removal ends the sidecar. Pages reach the kernel for widgets through
``KernelLink`` (comm_msg on widget comms, comm_info_request). See docs/sidecar.md.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import trio

from bridge.errors import BridgeError, unwrap_group
from bridge.kernels.events import KernelDead, KernelRemoved, KernelRestarted, RegistryEvent
from bridge.kernels.kernel import Kernel
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.sidecar.hub import SidecarHub
from bridge.sidecar.widgets import WIDGET_TARGET
from bridge.wire import Message

log = logging.getLogger(__name__)


@attrs.define
class OpenSidecarParams:
    kernel_id: str | None = None
    uri: str | None = None


class KernelLink:
    """What the pages of a kernel's sidecar may send it: comm messages on its widgets, and
    the question which widgets exist. It follows the kernel across restarts (``_follow``
    points it at the kernel object a ``KernelRestarted`` event names)."""

    def __init__(self) -> None:
        self.kernel: Kernel | None = None

    def _kernel(self) -> Kernel:
        if self.kernel is None:
            raise BridgeError("the sidecar's kernel is gone")
        return self.kernel

    async def send_comm_msg(
        self, comm_id: str, data: dict[str, Any], metadata: dict[str, Any], buffers: list[bytes]
    ) -> str:
        msg = await self._kernel().connection.send(
            "shell", "comm_msg", {"comm_id": comm_id, "data": data}, metadata=metadata, buffers=buffers
        )
        return msg.msg_id

    async def widget_comms(self) -> dict[str, Any]:
        reply = await self._kernel().connection.request("shell", "comm_info_request", {"target_name": WIDGET_TARGET})
        comms = reply.content.get("comms")
        if reply.content.get("status", "ok") != "ok" or not isinstance(comms, dict):
            raise BridgeError(
                f"the kernel did not list its comms: {reply.content.get('evalue') or reply.content.get('status')}"
            )
        return {
            comm_id: info
            for comm_id, info in comms.items()
            if isinstance(info, dict) and info.get("target_name", WIDGET_TARGET) == WIDGET_TARGET
        }


class _Running:
    def __init__(self) -> None:
        self.ready = trio.Event()
        self.url: str | None = None
        self.error: BaseException | None = None
        self.hub: SidecarHub | None = None


class Sidecar:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self._running: dict[str, _Running] = {}

    @property
    def open_sidecars(self) -> dict[str, str]:
        """kernelId → URL of the sidecars serving now."""
        return {k: r.url for k, r in self._running.items() if r.url is not None}

    def hub_for(self, kernel_id: str) -> SidecarHub | None:
        """The serving sidecar's hub (input prompts go there: server/page_input.py)."""
        running = self._running.get(kernel_id)
        return running.hub if running is not None and running.url is not None else None

    async def open(self, params: Any) -> dict[str, str]:
        p = parse_params(OpenSidecarParams, params)
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        running = self._running.get(kernel.kernel_id)
        if running is None:
            running = self._running[kernel.kernel_id] = _Running()
            try:
                running.url = await self.bridge.protocol.nursery.start(self._serve, kernel, running)
            except BaseException as group:
                running.error = exc = unwrap_group(group)
                if self._running.get(kernel.kernel_id) is running:
                    del self._running[kernel.kernel_id]
                if isinstance(exc, ImportError):
                    raise BridgeError(
                        f"the sidecar needs the package hypercorn ({exc}): pip install hypercorn"
                    ) from None
                if isinstance(exc, OSError):
                    raise BridgeError(f"cannot serve the sidecar on 127.0.0.1: {exc}") from None
                if isinstance(exc, BridgeError):
                    raise exc from None
                raise
            finally:
                running.ready.set()
        else:
            await running.ready.wait()
            if running.url is None:
                raise BridgeError(f"the sidecar of kernel {kernel.kernel_id} failed to start: {running.error!r}")
        return {"url": running.url}

    async def _serve(self, kernel: Kernel, running: _Running, *, task_status: trio.TaskStatus[str]) -> None:
        from bridge.sidecar.http import SidecarServer

        link = KernelLink()
        hub = SidecarHub(f"{kernel.kernel_name} · {kernel.kernel_id}", kernel_id=kernel.kernel_id, link=link)
        hub.execution_state = kernel.connection.execution_state
        running.hub = hub
        server = SidecarServer(hub)
        try:
            async with trio.open_nursery() as nursery:
                url = await nursery.start(server.run)
                # the sidecar ends when its kernel is gone: _follow then cancels it all
                await nursery.start(self._follow, kernel, hub, link, nursery.cancel_scope)
                log.info("sidecar for kernel %s on 127.0.0.1:%s", kernel.kernel_id, server.app.port)
                task_status.started(url)
        finally:
            if self._running.get(kernel.kernel_id) is running:
                del self._running[kernel.kernel_id]
            log.info("sidecar for kernel %s stopped", kernel.kernel_id)

    async def _follow(
        self,
        kernel: Kernel,
        hub: SidecarHub,
        link: KernelLink,
        done: trio.CancelScope,
        *,
        task_status: trio.TaskStatus[None],
    ) -> None:
        """Keep ``hub`` listening to whichever kernel object has ``kernel``'s id (a restart
        makes a new one); cancel ``done`` once the kernel leaves the registry. Both come
        from the registry: its iopub listeners follow restarts by themselves, its events
        say restarted, dead and removed."""
        registry = self.bridge.registry
        kernel_id = kernel.kernel_id

        def on_iopub(source: Kernel, msg: Message) -> None:
            mine = msg.parent_header.get("session") == source.connection.factory.session
            hub.publish_iopub(msg, "editor" if mine else "other")

        def on_event(event: RegistryEvent) -> None:
            if event.kernel_id != kernel_id:
                return
            if isinstance(event, KernelRestarted):
                link.kernel = event.kernel
                hub.kernel_event("restarted")
                hub.set_state(event.kernel.connection.execution_state)
            elif isinstance(event, KernelDead):
                hub.kernel_event("dead", reason=event.reason)
            elif isinstance(event, KernelRemoved):
                done.cancel()

        link.kernel = kernel
        stop_listening = registry.listen_iopub(kernel_id, on_iopub)
        unsubscribe = registry.subscribe(on_event)
        try:
            if not kernel.connection.alive and not kernel.quiet:
                hub.kernel_event("dead", reason=kernel.connection.dead_reason or "")
            task_status.started()
            if kernel_id not in registry:  # removed while the sidecar started
                return
            await trio.sleep_forever()
        finally:
            unsubscribe()
            stop_listening()
            link.kernel = None
            done.cancel()

    def register(self, server: Any) -> None:
        register_methods(server, {"jupyter/openSidecar": self.open})
