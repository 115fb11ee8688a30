"""The live kernels of one bridge: ids, ownership, the documents bound to them, and the
nursery they run in. Local kernels (started from a kernelspec, or attached from a connection
file) and remote ones (on a Jupyter server) live here side by side."""

from __future__ import annotations

import logging
import uuid
from functools import partial

import trio

from bridge.errors import InvalidParams, KernelNotFound, KernelRestarting
from bridge.kernels.connection_info import ConnectionInfo, new_connection_file
from bridge.kernels.encryption import DEFAULT_POLICY, check_connect, curve_for_start
from bridge.kernels.kernel import DEFAULT_STARTUP_TIMEOUT, Kernel, KernelEvents, LaunchOptions, remove_files
from bridge.kernels.launch import find_kernelspec
from bridge.remote import kernel as remote_kernels
from bridge.remote.config import ServerConfig

log = logging.getLogger(__name__)


class KernelRegistry:
    def __init__(
        self, nursery: trio.Nursery, events: KernelEvents, *, transport: str = "tcp", encryption: str = DEFAULT_POLICY
    ) -> None:
        self._nursery = nursery
        self._kernels: dict[str, Kernel] = {}
        self._documents: dict[str, str] = {}  # document uri -> kernelId
        self.events = events
        self.transport = transport
        self.encryption = encryption  # "auto" | "off" | "required" (bridge/kernels/encryption.py)

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
        encryption: str | None = None,
    ) -> Kernel:
        """Start a kernel from its kernelspec; ``encryption`` (default: the registry's)
        decides whether its connection file gets CurveZMQ keys, or refuses to start it."""
        policy = encryption or self.encryption
        spec = find_kernelspec(kernel_name)
        curve = curve_for_start(policy, spec)
        info = new_connection_file(kernel_name, transport=self.transport, curve=curve)
        try:
            launch = LaunchOptions(cwd=cwd, env=env, startup_timeout=startup_timeout, encryption=policy)
            kernel = Kernel(kernel_id or _new_id(), info, spec=spec, owned=True, events=self.events, launch=launch)
            return await self._run(kernel)
        except BaseException:
            remove_files(info)  # Kernel.run removes them once it runs; it may never have
            raise

    async def connect(
        self, connection_file: str, *, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT, encryption: str | None = None
    ) -> Kernel:
        """Attach to a kernel from its connection file, over CurveZMQ when the file has
        keys; with ``encryption`` "required", a file without keys is refused."""
        policy = encryption or self.encryption
        info = ConnectionInfo.load(connection_file)
        check_connect(policy, info)
        launch = LaunchOptions(startup_timeout=startup_timeout, encryption=policy)
        return await self._run(Kernel(_new_id(), info, spec=None, owned=False, events=self.events, launch=launch))

    async def start_remote(
        self,
        server: ServerConfig,
        kernel_name: str,
        *,
        env: dict[str, str] | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    ) -> Kernel:
        """Start a kernel on ``server`` (REST) and connect to it (WebSocket); the bridge owns it."""
        remote = await remote_kernels.start(server, kernel_name, env=env, timeout=startup_timeout)
        launch = LaunchOptions(env=env, startup_timeout=startup_timeout)
        kernel = Kernel(_new_id(), None, spec=None, owned=True, events=self.events, launch=launch, remote=remote)
        try:
            return await self._run(kernel)
        except BaseException:
            with trio.CancelScope(shield=True):
                await remote.delete(quiet=True)  # started for us and unusable: do not leave it behind
            raise

    async def connect_remote(
        self, server: ServerConfig, remote_id: str, *, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    ) -> Kernel:
        """Attach to a kernel running on ``server``; the bridge never shuts it down."""
        remote = await remote_kernels.attach(server, remote_id)
        launch = LaunchOptions(startup_timeout=startup_timeout)
        return await self._run(
            Kernel(_new_id(), None, spec=None, owned=False, events=self.events, launch=launch, remote=remote)
        )

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
        if old.remote is not None:
            return await self._restart_remote(old)
        if not old.owned or old.spec is None:
            raise InvalidParams(
                f"kernel {kernel_id} was attached from a connection file; only kernels the bridge started can be restarted"
            )
        old.events.status(old, "restarting")
        old.quiet = True
        old.connection.restarting = True
        old.connection.fail_pending(KernelRestarting(f"kernel {kernel_id} is restarting"))
        await old.shutdown()
        launch = old.launch
        return await self.start(
            old.spec.name,
            cwd=launch.cwd,
            env=launch.env,
            startup_timeout=launch.startup_timeout,
            kernel_id=kernel_id,
            encryption=launch.encryption,
        )

    async def _restart_remote(self, old: Kernel) -> Kernel:
        """REST restart on the server (it keeps the kernel's id there), then a fresh
        WebSocket: same kernelId and documents here, as for a local restart."""
        assert old.remote is not None
        old.events.status(old, "restarting")
        old.quiet = True
        old.connection.fail_pending(KernelRestarting(f"kernel {old.kernel_id} is restarting"))
        try:
            await old.remote.restart(old.launch.startup_timeout)
        except BaseException:
            old.quiet = False
            raise
        await old.shutdown(detach=True)
        new = Kernel(
            old.kernel_id, None, spec=None, owned=old.owned, events=self.events, launch=old.launch, remote=old.remote
        )
        return await self._run(new)

    async def shutdown(self, kernel_id: str, *, exiting: bool = False) -> None:
        """Owned kernels are stopped, others detached. ``exiting``: the bridge is ending,
        and a remote kernel whose server says ``keepKernels`` is only detached."""
        kernel = self.get(kernel_id)
        detach = exiting and kernel.remote is not None and kernel.remote.server.keep_kernels
        try:
            await kernel.shutdown(detach=detach)
        finally:
            if self._kernels.get(kernel_id) is kernel:
                del self._kernels[kernel_id]
            self._documents = {uri: k for uri, k in self._documents.items() if k != kernel_id}

    async def shutdown_all(self) -> None:
        """Stop every owned kernel and detach from the rest, in parallel, each bounded."""
        async with trio.open_nursery() as nursery:
            for kernel_id in list(self._kernels):
                nursery.start_soon(partial(self.shutdown, kernel_id, exiting=True))


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


async def _run_kernel(kernel: Kernel, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    await kernel.run(task_status=task_status)
