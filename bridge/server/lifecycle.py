"""Kernel lifecycle methods: list kernelspecs, start, connect, list, shut down, info."""

from __future__ import annotations

from typing import Any

import attrs

from bridge.kernels.discovery import list_running, resolve_connection_file
from bridge.kernels.kernel import Kernel
from bridge.kernels.launch import list_kernelspecs
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params


@attrs.define
class StartKernelParams:
    kernel_name: str | None = None
    cwd: str | None = None
    env: dict[str, str] | None = None
    startup_timeout: float | None = None
    uri: str | None = None


@attrs.define
class ConnectKernelParams:
    connection_file: str | None = None
    startup_timeout: float | None = None
    uri: str | None = None


@attrs.define
class KernelParams:
    kernel_id: str | None = None
    uri: str | None = None


class Lifecycle:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def list_kernelspecs(self, params: Any) -> list[dict[str, str]]:
        return [s.summary() for s in list_kernelspecs()]

    async def start_kernel(self, params: Any) -> dict[str, Any]:
        p = parse_params(StartKernelParams, params)
        kernel = await self.bridge.registry.start(
            p.kernel_name or self.bridge.settings.default_kernel,
            cwd=p.cwd,
            env=p.env,
            startup_timeout=p.startup_timeout or self.bridge.settings.startup_timeout,
        )
        if p.uri is not None:
            self.bridge.registry.bind(p.uri, kernel)
        return kernel.describe()

    async def connect_kernel(self, params: Any) -> dict[str, Any]:
        p = parse_params(ConnectKernelParams, params)
        owned = {k.info.path.resolve() for k in self.bridge.registry.all() if k.owned and k.info.path}
        path = resolve_connection_file(p.connection_file, exclude=owned)
        kernel = await self.bridge.registry.connect(
            str(path), startup_timeout=p.startup_timeout or self.bridge.settings.startup_timeout
        )
        if p.uri is not None:
            self.bridge.registry.bind(p.uri, kernel)
        return kernel.describe()

    async def list_running_kernels(self, params: Any) -> list[dict[str, Any]]:
        owned = {k.info.path.resolve() for k in self.bridge.registry.all() if k.owned and k.info.path}
        return await list_running(exclude=owned)

    async def list_kernels(self, params: Any) -> list[dict[str, Any]]:
        return [
            {
                "kernelId": k.kernel_id,
                "kernelName": k.kernel_name,
                "executionState": k.connection.execution_state,
                "owned": k.owned,
            }
            for k in self.bridge.registry.all()
        ]

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
                "jupyter/shutdownKernel": self.shutdown_kernel,
                "jupyter/kernelInfo": self.kernel_info,
                "jupyter/interruptKernel": self.interrupt_kernel,
                "jupyter/restartKernel": self.restart_kernel,
            },
        )
