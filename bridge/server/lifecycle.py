"""Kernel lifecycle methods: list kernelspecs, start, connect, list, shut down, info.

Each of listKernelspecs, startKernel, connectKernel and listKernels takes an optional
``server`` (a name from ``initializationOptions.servers``, or ``{url, token?, tokenEnv?}``):
then it acts on that Jupyter server (bridge/remote) instead of this machine.

The kernels' states reach the editor as ``jupyter/status`` from here too: ``Lifecycle``
subscribes to the registry's events (``status_notification``)."""

from __future__ import annotations

from typing import Any

import attrs

from bridge.errors import InvalidParams
from bridge.kernels.discovery import list_running, resolve_connection_file
from bridge.kernels.events import KernelDead, KernelStatus, RegistryEvent
from bridge.kernels.kernel import Kernel
from bridge.kernels.launch import list_kernelspecs
from bridge.remote.config import ServerConfig, resolve_server
from bridge.remote.rest import ServerClient
from bridge.remote.server_kernel import ServerKernel
from bridge.server.context import Bridge, register_methods
from bridge.server.params import Environment, PathText, Seconds, parse_params


@attrs.define
class StartKernelParams:
    kernel_name: str | None = None
    cwd: PathText | None = None
    env: Environment | None = None
    startup_timeout: Seconds | None = None
    uri: str | None = None
    server: Any = None


@attrs.define
class ConnectKernelParams:
    connection_file: PathText | None = None
    startup_timeout: Seconds | None = None
    uri: str | None = None
    server: Any = None
    kernel_id: str | None = None  # with ``server``: the kernel's id on that server


@attrs.define
class ServerParams:
    server: Any = None


@attrs.define
class BindParams:
    uri: str
    kernel_id: str


@attrs.define
class KernelParams:
    kernel_id: str | None = None
    uri: str | None = None


def status_notification(event: RegistryEvent) -> dict[str, Any] | None:
    """The ``jupyter/status`` params an event makes, if it makes one."""
    if isinstance(event, KernelDead):
        kernel = event.kernel
        params: dict[str, Any] = {"kernelId": kernel.kernel_id, "executionState": "dead"}
        if event.reason:
            params["reason"] = event.reason
        if kernel.exit_code is not None:
            params["exitCode"] = kernel.exit_code
        return params
    if isinstance(event, KernelStatus):
        params = {"kernelId": event.kernel_id, "executionState": event.state}
        if event.state == "disconnected" and event.kernel.connection.link_reason:
            params["reason"] = event.kernel.connection.link_reason
        return params
    return None


class Lifecycle:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        bridge.subscribe(self._notify_status)

    def _notify_status(self, event: RegistryEvent) -> None:
        params = status_notification(event)
        if params is not None:
            self.bridge.notify("jupyter/status", params)

    def _server(self, value: Any) -> ServerConfig | None:
        if value is None:
            return None
        return resolve_server(value, getattr(self.bridge.settings, "servers", None))

    async def list_kernelspecs(self, params: Any) -> list[dict[str, str]]:
        server = self._server(parse_params(ServerParams, params).server)
        if server is not None:
            return await ServerClient(server).kernelspecs()
        return [s.summary() for s in list_kernelspecs()]

    async def start_kernel(self, params: Any) -> dict[str, Any]:
        p = parse_params(StartKernelParams, params)
        server = self._server(p.server)
        kernel_name = p.kernel_name or self.bridge.settings.default_kernel
        startup_timeout = p.startup_timeout or self.bridge.settings.startup_timeout
        if server is not None:
            kernel = await self.bridge.registry.start_remote(
                server, kernel_name, env=p.env, startup_timeout=startup_timeout
            )
        else:
            kernel = await self.bridge.registry.start(
                kernel_name,
                cwd=p.cwd,
                env=p.env,
                startup_timeout=startup_timeout,
                encryption=self.bridge.settings.encryption,
            )
        if p.uri is not None:
            self.bridge.registry.bind(p.uri, kernel)
        return kernel.describe()

    async def connect_kernel(self, params: Any) -> dict[str, Any]:
        p = parse_params(ConnectKernelParams, params)
        startup_timeout = p.startup_timeout or self.bridge.settings.startup_timeout
        server = self._server(p.server)
        if server is not None:
            if p.kernel_id is None:
                raise InvalidParams("invalid params: kernelId: required with server (the kernel's id on that server)")
            kernel = await self.bridge.registry.connect_remote(server, p.kernel_id, startup_timeout=startup_timeout)
        else:
            path = await resolve_connection_file(p.connection_file, exclude=self._owned_files())
            kernel = await self.bridge.registry.connect(
                str(path), startup_timeout=startup_timeout, encryption=self.bridge.settings.encryption
            )
        if p.uri is not None:
            self.bridge.registry.bind(p.uri, kernel)
        return kernel.describe()

    async def bind_document(self, params: Any) -> None:
        p = parse_params(BindParams, params)
        self.bridge.registry.bind(p.uri, self.bridge.registry.get(p.kernel_id))

    async def list_running_kernels(self, params: Any) -> list[dict[str, Any]]:
        return await list_running(exclude=self._owned_files())

    def _owned_files(self) -> set[Any]:
        return {path.resolve() for k in self.bridge.registry.all() if (path := k.own_connection_file) is not None}

    async def list_kernels(self, params: Any) -> list[dict[str, Any]]:
        server = self._server(parse_params(ServerParams, params).server)
        if server is not None:
            return await self._list_server_kernels(server)
        listed = []
        for k in self.bridge.registry.all():
            entry = {
                "kernelId": k.kernel_id,
                "kernelName": k.kernel_name,
                "executionState": k.connection.execution_state,
                "owned": k.owned,
                "encrypted": k.encrypted,
            }
            entry.update(k.location())
            listed.append(entry)
        return listed

    async def _list_server_kernels(self, server: ServerConfig) -> list[dict[str, Any]]:
        """The server's running kernels; ``kernelId`` is the server's id (for connectKernel),
        ``bridgeKernelId`` the bridge's when this bridge is connected to it."""
        ours = {
            k.remote.remote_id: k
            for k in self.bridge.registry.all()
            if isinstance(k, ServerKernel) and k.remote.server.url == server.url
        }
        listed = []
        for model in await ServerClient(server).kernels():
            mine = ours.get(str(model.get("id")))
            listed.append(
                {
                    "kernelId": model.get("id"),
                    "kernelName": model.get("name"),
                    "executionState": model.get("execution_state"),
                    "lastActivity": model.get("last_activity"),
                    "connections": model.get("connections"),
                    "bridgeKernelId": mine.kernel_id if mine else None,
                    "owned": bool(mine and mine.owned),
                }
            )
        return listed

    def _kernel(self, params: Any) -> Kernel:
        p = parse_params(KernelParams, params)
        return self.bridge.registry.resolve(p.kernel_id, p.uri)

    async def shutdown_kernel(self, params: Any) -> None:
        await self.bridge.registry.shutdown(self._kernel(params).kernel_id)

    async def interrupt_kernel(self, params: Any) -> None:
        await self._kernel(params).interrupt()

    async def restart_kernel(self, params: Any) -> dict[str, Any]:
        kernel = await self.bridge.registry.restart(self._kernel(params).kernel_id)
        return kernel.describe()

    async def kernel_info(self, params: Any) -> dict[str, Any]:
        kernel = self._kernel(params)
        reply = await kernel.connection.request("shell", "kernel_info_request", {})
        return reply.content

    def register(self, server: Any) -> None:
        register_methods(
            server,
            {
                "jupyter/listKernelspecs": self.list_kernelspecs,
                "jupyter/startKernel": self.start_kernel,
                "jupyter/connectKernel": self.connect_kernel,
                "jupyter/listKernels": self.list_kernels,
                "jupyter/listRunningKernels": self.list_running_kernels,
                "jupyter/bindDocument": self.bind_document,
                "jupyter/shutdownKernel": self.shutdown_kernel,
                "jupyter/kernelInfo": self.kernel_info,
                "jupyter/interruptKernel": self.interrupt_kernel,
                "jupyter/restartKernel": self.restart_kernel,
            },
        )
