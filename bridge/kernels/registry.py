"""The live kernels of one bridge: ids, the documents bound to them, the nursery they run
in, and the events its subscribers follow them by (bridge/kernels/events.py).

Kernels of every kind (kernels/kernel.py) live here side by side: started from a
kernelspec, attached from a connection file, or on a Jupyter server. Restart is one
sequence for all of them (``restart``); what differs is each kind's ``successor``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial

import trio

from bridge.errors import InvalidParams, KernelNotFound
from bridge.kernels.connection_info import ConnectionInfo, TransportKind
from bridge.kernels.encryption import DEFAULT_POLICY, Policy, check_connect
from bridge.kernels.events import (
    EXECUTION_STATES,
    KernelDead,
    KernelRemoved,
    KernelRestarted,
    KernelStarted,
    KernelStatus,
    RegistryEvent,
    Subscriber,
)
from bridge.kernels.kernel import DEFAULT_STARTUP_TIMEOUT, Kernel, KernelEvents, LaunchOptions
from bridge.kernels.local import AttachedKernel, LaunchedKernel
from bridge.remote import kernel as remote_kernels
from bridge.remote.config import ServerConfig
from bridge.remote.server_kernel import ServerKernel
from bridge.wire import Message

log = logging.getLogger(__name__)

IopubListener = Callable[[Kernel, Message], None]


class KernelRegistry:
    def __init__(
        self,
        nursery: trio.Nursery,
        events: KernelEvents,
        *,
        transport: TransportKind = "tcp",
        encryption: Policy = DEFAULT_POLICY,
    ) -> None:
        self._nursery = nursery
        self._kernels: dict[str, Kernel] = {}
        self._documents: dict[str, str] = {}  # document uri -> kernelId
        # the kernels report their states to the registry, which makes events of them
        self.events = KernelEvents(
            status=self._on_status, foreign=events.foreign, comm=events.comm, late_reply=events.late_reply
        )
        self.transport = transport
        self.encryption = encryption
        self._subscribers: list[Subscriber] = []
        self._iopub: dict[str, set[IopubListener]] = {}  # kernelId -> listeners, across restarts

    # -- events -------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on; returns the unsubscribe."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def _emit(self, event: RegistryEvent) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("a subscriber failed on %s of kernel %s", type(event).__name__, event.kernel_id)

    def _on_status(self, kernel: Kernel, state: str) -> None:
        if kernel.quiet:
            return
        if state == "dead":
            self._emit(KernelDead(kernel))
        elif state in EXECUTION_STATES:
            self._emit(KernelStatus(kernel, state))
        else:  # the spec's set is closed; a kernel that breaks it is not the editor's problem
            log.debug("kernel %s reported an unknown execution state %r", kernel.kernel_id, state)

    def listen_iopub(self, kernel_id: str, listener: IopubListener) -> Callable[[], None]:
        """Every iopub message of kernel ``kernel_id`` (whoever caused it, but our private
        requests), from whichever kernel object has that id: a restart's too, from its
        first message. Returns the way to stop."""
        self._iopub.setdefault(kernel_id, set()).add(listener)
        kernel = self._kernels.get(kernel_id)
        if kernel is not None:
            self._tap(kernel)

        def stop() -> None:
            listeners = self._iopub.get(kernel_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._iopub[kernel_id]
            current = self._kernels.get(kernel_id)
            if current is not None and kernel_id not in self._iopub:
                current.tap_iopub(None)

        return stop

    def _tap(self, kernel: Kernel) -> None:
        """One tap per kernel object, and only while someone listens (the iopub reader
        skips the listeners' loop when there is none)."""
        kernel_id = kernel.kernel_id
        if kernel_id not in self._iopub:
            return

        def tap(msg: Message) -> None:
            for listener in list(self._iopub.get(kernel_id, ())):
                listener(kernel, msg)

        kernel.tap_iopub(tap)

    # -- lookups ------------------------------------------------------------------------

    def get(self, kernel_id: str) -> Kernel:
        try:
            return self._kernels[kernel_id]
        except KeyError:
            known = ", ".join(self._kernels) or "none"
            raise KernelNotFound(f"no kernel with id {kernel_id!r} (running: {known})") from None

    def __contains__(self, kernel_id: str) -> bool:
        return kernel_id in self._kernels

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

    # -- the kinds, started or attached ----------------------------------------------------

    async def start(
        self,
        kernel_name: str,
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        encryption: Policy | None = None,
    ) -> Kernel:
        """Start a kernel from its kernelspec; ``encryption`` (default: the registry's)
        decides whether its connection file gets CurveZMQ keys, or refuses to start it."""
        launch = LaunchOptions(
            cwd=cwd,
            env=env,
            startup_timeout=startup_timeout,
            encryption=encryption or self.encryption,
            transport=self.transport,
        )
        return await self._run(LaunchedKernel.prepare(_new_id(), kernel_name, events=self.events, launch=launch))

    async def connect(
        self,
        connection_file: str,
        *,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        encryption: Policy | None = None,
    ) -> Kernel:
        """Attach to a kernel from its connection file, over CurveZMQ when the file has
        keys; with ``encryption`` "required", a file without keys is refused."""
        policy = encryption or self.encryption
        info = ConnectionInfo.load(connection_file)
        check_connect(policy, info)
        launch = LaunchOptions(startup_timeout=startup_timeout, encryption=policy)
        return await self._run(AttachedKernel(_new_id(), info, events=self.events, launch=launch))

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
        try:
            return await self._run(ServerKernel(_new_id(), remote, owned=True, events=self.events, launch=launch))
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
        return await self._run(ServerKernel(_new_id(), remote, owned=False, events=self.events, launch=launch))

    async def _run(self, kernel: Kernel) -> Kernel:
        """Put ``kernel`` in the registry and run it until ready. A restart's kernel
        replaces its predecessor (same id); if it fails, the predecessor is put back."""
        previous = self._kernels.get(kernel.kernel_id)
        self._kernels[kernel.kernel_id] = kernel
        self._tap(kernel)
        self._on_status(kernel, "starting")
        try:
            await self._nursery.start(_run_kernel, kernel)
        except BaseException:
            kernel.abandon()  # run cleans up once it runs; it may never have
            if previous is not None:
                self._kernels[kernel.kernel_id] = previous  # a failed restart leaves the dead kernel
            else:
                del self._kernels[kernel.kernel_id]
            self._on_status(kernel, "dead")
            raise
        self._emit(KernelRestarted(kernel) if previous is not None else KernelStarted(kernel))
        return kernel

    # -- restart and shutdown ------------------------------------------------------------

    async def restart(self, kernel_id: str) -> Kernel:
        """Same kernelId, same documents, the kernel started again: a fresh process from
        the same kernelspec, or the server's restart and a fresh WebSocket. Refused for a
        kernel attached from a connection file."""
        old = self.get(kernel_id)
        old.check_restartable()
        self._on_status(old, "restarting")
        old.begin_restart()
        try:
            new = await old.successor()
        except BaseException:
            old.restart_failed()
            raise
        return await self._run(new)

    async def shutdown(self, kernel_id: str, *, exiting: bool = False) -> None:
        """Owned kernels are stopped, others detached. ``exiting``: the bridge is ending,
        and a remote kernel whose server says ``keepKernels`` is only detached."""
        kernel = self.get(kernel_id)
        detach = exiting and isinstance(kernel, ServerKernel) and kernel.remote.server.keep_kernels
        try:
            await kernel.shutdown(detach=detach)
        finally:
            self._documents = {uri: k for uri, k in self._documents.items() if k != kernel_id}
            if self._kernels.get(kernel_id) is kernel:
                del self._kernels[kernel_id]
                self._iopub.pop(kernel_id, None)
                self._emit(KernelRemoved(kernel))

    async def shutdown_all(self) -> None:
        """Stop every owned kernel and detach from the rest, in parallel, each bounded."""
        async with trio.open_nursery() as nursery:
            for kernel_id in list(self._kernels):
                nursery.start_soon(partial(self.shutdown, kernel_id, exiting=True))


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


async def _run_kernel(kernel: Kernel, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    await kernel.run(task_status=task_status)
