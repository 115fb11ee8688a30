"""The live kernels of one bridge: ids, ownership, and the nursery they run in."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import trio

from bridge.errors import KernelNotFound
from bridge.kernels.connection_info import ConnectionInfo, new_connection_file
from bridge.kernels.kernel import DEFAULT_STARTUP_TIMEOUT, Kernel
from bridge.kernels.launch import find_kernelspec
from bridge.wire import Message

log = logging.getLogger(__name__)

StatusCallback = Callable[[Kernel, str], None]
ForeignCallback = Callable[[Kernel, Message], None]


class KernelRegistry:
    def __init__(
        self,
        nursery: trio.Nursery,
        *,
        on_status: StatusCallback,
        on_foreign: ForeignCallback | None = None,
        transport: str = "tcp",
    ) -> None:
        self._nursery = nursery
        self._kernels: dict[str, Kernel] = {}
        self._on_status = on_status
        self._on_foreign = on_foreign
        self.transport = transport

    def get(self, kernel_id: str) -> Kernel:
        try:
            return self._kernels[kernel_id]
        except KeyError:
            known = ", ".join(self._kernels) or "none"
            raise KernelNotFound(f"no kernel with id {kernel_id!r} (running: {known})") from None

    def all(self) -> list[Kernel]:
        return list(self._kernels.values())

    async def start(
        self,
        kernel_name: str,
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    ) -> Kernel:
        spec = find_kernelspec(kernel_name)
        info = new_connection_file(kernel_name, transport=self.transport)
        kernel = self._new(info, spec=spec, owned=True)
        self._on_status(kernel, "starting")
        try:
            await self._nursery.start(_run_kernel, kernel, cwd, env, startup_timeout)
        except BaseException:
            del self._kernels[kernel.kernel_id]
            self._on_status(kernel, "dead")
            raise
        return kernel

    async def connect(self, connection_file: str, *, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT) -> Kernel:
        info = ConnectionInfo.load(connection_file)
        kernel = self._new(info, spec=None, owned=False)
        try:
            await self._nursery.start(_run_kernel, kernel, None, None, startup_timeout)
        except BaseException:
            del self._kernels[kernel.kernel_id]
            raise
        return kernel

    def _new(self, info: ConnectionInfo, *, spec: Any, owned: bool) -> Kernel:
        kernel_id = uuid.uuid4().hex[:12]
        kernel = Kernel(kernel_id, info, spec=spec, owned=owned, on_status=self._on_status, on_foreign=self._on_foreign)
        self._kernels[kernel_id] = kernel
        return kernel

    async def shutdown(self, kernel_id: str) -> None:
        kernel = self.get(kernel_id)
        try:
            await kernel.shutdown()
        finally:
            self._kernels.pop(kernel_id, None)

    async def shutdown_all(self) -> None:
        """Stop every owned kernel and detach from the rest, in parallel, each bounded."""
        async with trio.open_nursery() as nursery:
            for kernel_id in list(self._kernels):
                nursery.start_soon(self.shutdown, kernel_id)


async def _run_kernel(
    kernel: Kernel,
    cwd: str | None,
    env: dict[str, str] | None,
    startup_timeout: float,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    await kernel.run(cwd=cwd, env=env, startup_timeout=startup_timeout, task_status=task_status)
