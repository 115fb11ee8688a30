"""One kernel on a Jupyter server: the server, the kernel's id there, and the REST calls
on it. ``ServerKernel`` (server_kernel.py) holds one: the registry's kind for a kernel on a server."""

from __future__ import annotations

import logging
from typing import Any

import trio

from bridge.errors import KernelDied, KernelNotFound
from bridge.remote.config import ServerConfig
from bridge.remote.enterprise import is_enterprise_gateway, start_env
from bridge.remote.errors import RemoteNotFound, RemoteServerError
from bridge.remote.reaper import REAPER
from bridge.remote.rest import ServerClient

log = logging.getLogger(__name__)

DELETE_WAIT = 5.0


class RemoteKernel:
    def __init__(self, server: ServerConfig, remote_id: str, kernel_name: str) -> None:
        self.server = server
        self.client = ServerClient(server)
        self.remote_id = remote_id
        self.kernel_name = kernel_name

    def describe(self) -> dict[str, Any]:
        return {"server": self.server.describe(), "remoteKernelId": self.remote_id}

    def transport(self) -> Any:
        from bridge.transports.websocket import WebSocketTransport

        return WebSocketTransport(self)

    def gone(self) -> KernelDied:
        return KernelDied(
            f"kernel {self.remote_id} is gone from Jupyter server {self.server.display} (HTTP 404): "
            "it was shut down (by another client, or culled as idle by the server), or the server restarted; "
            "start a new one"
        )

    async def model(self) -> dict[str, Any]:
        """The server's view of the kernel (``execution_state``, ``connections``…)."""
        try:
            return await self.client.kernel(self.remote_id)
        except RemoteNotFound:
            raise self.gone() from None

    async def interrupt(self) -> None:
        try:
            await self.client.interrupt(self.remote_id)
        except RemoteNotFound:
            raise self.gone() from None

    async def restart(self, timeout: float) -> None:
        try:
            await self.client.restart(self.remote_id, timeout=timeout)
        except RemoteNotFound:
            raise self.gone() from None

    async def delete(self, *, quiet: bool = False) -> None:
        """Shut the kernel down on its server (bounded). ``quiet``: log failures, raise none."""
        try:
            with trio.fail_after(DELETE_WAIT):
                await self.client.delete(self.remote_id)
            log.info("deleted kernel %s on %s", self.remote_id, self.server.display)
            REAPER.forget(self.server, self.remote_id)
        except RemoteNotFound:
            REAPER.forget(self.server, self.remote_id)  # already gone: what we wanted
        except (RemoteServerError, trio.TooSlowError) as exc:  # the helper tries again when we end
            if not quiet:
                raise
            log.warning("could not shut down kernel %s on %s: %s", self.remote_id, self.server.display, exc)


async def attach(server: ServerConfig, remote_id: str) -> RemoteKernel:
    """The running kernel ``remote_id`` on ``server``; KernelNotFound listing the server's
    kernels when it has no such kernel."""
    client = ServerClient(server)
    try:
        model = await client.kernel(remote_id)
    except RemoteNotFound:
        try:
            running = ", ".join(f"{k.get('id')} ({k.get('name')})" for k in await client.kernels()) or "none"
        except RemoteServerError:
            running = "unknown"
        raise KernelNotFound(
            f"Jupyter server {server.display} has no kernel {remote_id!r} (running there: {running})"
        ) from None
    return RemoteKernel(server, remote_id, str(model.get("name") or "unknown"))


async def start(server: ServerConfig, kernel_name: str, *, env: dict[str, str] | None, timeout: float) -> RemoteKernel:
    """Start a kernel for the bridge; unless the server says ``keepKernels``, the cleanup
    helper deletes it should the bridge be killed before it could (``bridge.remote.reaper``)."""
    client = ServerClient(server)
    if await is_enterprise_gateway(client):
        env = start_env(env, timeout=timeout)  # who starts it, how long to wait (bridge.remote.enterprise)
    model = await client.start_kernel(kernel_name, env=env, timeout=timeout)
    log.info("started kernel %s (%s) on %s", model["id"], kernel_name, server.display)
    kernel = RemoteKernel(server, model["id"], str(model.get("name") or kernel_name))
    if not server.keep_kernels:
        REAPER.watch(kernel.server, kernel.remote_id)
    return kernel
