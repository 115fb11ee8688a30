"""The live kernels of one bridge: ids, ownership, the documents bound to them, and the
nursery they run in."""

from __future__ import annotations

import logging
import uuid

import trio

from bridge.errors import InvalidParams, KernelNotFound, KernelRestarting
from bridge.kernels.connection_info import ConnectionInfo, new_connection_file
from bridge.kernels.kernel import DEFAULT_STARTUP_TIMEOUT, Kernel, KernelEvents, LaunchOptions
from bridge.kernels.launch import find_kernelspec

log = logging.getLogger(__name__)

class KernelRegistry:
    def __init__(self, nursery: trio.Nursery, events: KernelEvents, *, transport: str = "tcp") -> None:
        self._nursery = nursery
        self._kernels: dict[str, Kernel] = {}
        self._documents: dict[str, str] = {}  # document uri -> kernelId
        self.events = events
        self.transport = transport

    def get(self, kernel_id: str) -> Kernel:
        try:
            return self._kernels[kernel_id]
        except KeyError:
            known = ", ".join(self._kernels) or "none"
            raise KernelNotFound(f"no kernel with id {kernel_id!r} (running: {known})") from None

    def resolve(self, kernel_id: str | None, uri: str | None) -> Kernel:
        """The kernel named by id, or else the one bound to the document ``uri``."""
        if kernel_id is not None:
            return self.get(kernel_id)
        if uri is None:
            raise InvalidParams("invalid params: kernelId or uri is required")
        bound = self._documents.get(uri)
        if bound is None or bound not in self._kernels:
            raise KernelNotFound(f"no kernel is bound to {uri}; start one with jupyter/startKernel and this uri")
        return self._kernels[bound]

    def for_document(self, uri: str) -> Kernel | None:
        kernel_id = self._documents.get(uri)
        return self._kernels.get(kernel_id) if kernel_id else None

    def bind(self, uri: str, kernel: Kernel) -> None:
        self._documents[uri] = kernel.kernel_id

    def all(self) -> list[Kernel]:
        return list(self._kernels.values())

    async def start(
        self,
        kernel_name: str,
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        kernel_id: str | None = None,
    ) -> Kernel:
        spec = find_kernelspec(kernel_name)
        info = new_connection_file(kernel_name, transport=self.transport)
        launch = LaunchOptions(cwd=cwd, env=env, startup_timeout=startup_timeout)
        kernel = Kernel(kernel_id or _new_id(), info, spec=spec, owned=True, events=self.events, launch=launch)
        return await self._run(kernel)

    async def connect(self, connection_file: str, *, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT) -> Kernel:
        info = ConnectionInfo.load(connection_file)
        launch = LaunchOptions(startup_timeout=startup_timeout)
        return await self._run(Kernel(_new_id(), info, spec=None, owned=False, events=self.events, launch=launch))

    async def _run(self, kernel: Kernel) -> Kernel:
        previous = self._kernels.get(kernel.kernel_id)
        self._kernels[kernel.kernel_id] = kernel
        kernel._on_status("starting")
        try:
            await self._nursery.start(_run_kernel, kernel)
        except BaseException:
            if previous is not None:
                self._kernels[kernel.kernel_id] = previous  # a failed restart leaves the dead kernel
            else:
                del self._kernels[kernel.kernel_id]
            kernel._on_status("dead")
            raise
        return kernel

    async def restart(self, kernel_id: str) -> Kernel:
        """Same kernelId, same documents, a fresh process from the same kernelspec."""
        old = self.get(kernel_id)
        if not old.owned or old.spec is None:
            raise InvalidParams(
                f"kernel {kernel_id} was attached from a connection file; only kernels the bridge started can be restarted"
            )
        old.events.status(old, "restarting")
        old.quiet = True
        old.connection.fail_pending(KernelRestarting(f"kernel {kernel_id} is restarting"))
        await old.shutdown()
        launch = old.launch
        return await self.start(
            old.spec.name, cwd=launch.cwd, env=launch.env, startup_timeout=launch.startup_timeout, kernel_id=kernel_id
        )

    async def shutdown(self, kernel_id: str) -> None:
        kernel = self.get(kernel_id)
        try:
            await kernel.shutdown()
        finally:
            if self._kernels.get(kernel_id) is kernel:
                del self._kernels[kernel_id]
            self._documents = {uri: k for uri, k in self._documents.items() if k != kernel_id}

    async def shutdown_all(self) -> None:
        """Stop every owned kernel and detach from the rest, in parallel, each bounded."""
        async with trio.open_nursery() as nursery:
            for kernel_id in list(self._kernels):
                nursery.start_soon(self.shutdown, kernel_id)


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


async def _run_kernel(kernel: Kernel, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    await kernel.run(task_status=task_status)
