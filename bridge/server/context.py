"""What every feature handler needs: the protocol (to answer and notify), the kernels,
the settings, where output that did not fit is kept, and the relay that holds comm
notifications for an editor that is behind."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bridge.kernels.encryption import DEFAULT_POLICY, POLICIES, Policy
from bridge.outputs import DEFAULT_LIMIT, OutputSink
from bridge.server.comm_relay import CommRelay
from bridge.server.protocol import TrioLanguageServerProtocol

if TYPE_CHECKING:  # kernel code (zmq, process launching) loads with the first kernel request
    from bridge.kernels.connection_info import TransportKind
    from bridge.kernels.events import Subscriber
    from bridge.kernels.kernel import Kernel
    from bridge.kernels.registry import KernelRegistry

log = logging.getLogger(__name__)

AUTO_START = ("onRun", "onOpen", "never")
# kernels/connection_info.py's TRANSPORTS, which is not imported here: it loads zmq
TRANSPORTS: tuple[TransportKind, ...] = ("tcp", "ipc")
T = TypeVar("T")


@dataclass
class Settings:
    """Tunables; the command line sets defaults, ``initializationOptions`` override them."""

    default_kernel: str = "python3"
    # set by ``--kernel`` or initializationOptions.defaultKernel: only then is the default
    # kernel started for a document whose language no kernelspec matches
    default_kernel_configured: bool = False
    startup_timeout: float = 60.0
    output_limit_bytes: int = DEFAULT_LIMIT
    completion_timeout: float = 1.0
    jupyter_input: bool = False  # the editor answers jupyter/input requests
    # named Jupyter servers for remote kernels: name -> {url, token|tokenEnv, ...} (docs/remote.md)
    servers: dict[str, Any] = field(default_factory=dict)
    transport: TransportKind = "tcp"  # for kernels the bridge starts: "tcp" (127.0.0.1) or "ipc" (unix sockets)
    # CurveZMQ for local kernels: "auto" (when the kernelspec supports it), "off", "required"
    encryption: Policy = DEFAULT_POLICY
    # editors without an adapter (bridge/server/autostart.py, docs/editors.md)
    kernels: dict[str, str] = field(default_factory=dict)  # LSP languageId -> kernelspec name
    auto_start: str = "onRun"  # "onRun" | "onOpen" | "never"
    inlay_hint_max_length: int = 60
    # the editor shows jupyter/output itself (the Vim and VS Code adapters): the bridge then
    # adds no inlay hints, run hovers, progress nor output-page input of its own
    jupyter_output: bool = False

    def update(self, options: Any) -> None:
        if not isinstance(options, dict):
            return
        for key, attr, kind in (
            ("defaultKernel", "default_kernel", str),
            ("startupTimeout", "startup_timeout", (int, float)),
            ("outputLimitBytes", "output_limit_bytes", int),
            ("completionTimeout", "completion_timeout", (int, float)),
            ("inlayHintMaxLength", "inlay_hint_max_length", int),
        ):
            value = options.get(key)
            if isinstance(value, kind) and not isinstance(value, bool):
                if isinstance(value, (int, float)) and not (math.isfinite(value) and value > 0):
                    # a zero, negative or infinite timeout or limit would fail (or hang) every request later
                    log.warning(
                        "initializationOptions.%s %r must be a positive number: keeping %r",
                        key,
                        value,
                        getattr(self, attr),
                    )
                    continue
                setattr(self, attr, value)
        if isinstance(options.get("defaultKernel"), str):
            self.default_kernel_configured = True
        kernels = options.get("kernels")
        if isinstance(kernels, dict):
            self.kernels = {str(k): v for k, v in kernels.items() if isinstance(v, str)}
        self.auto_start = _one_of(options, "autoStart", AUTO_START, self.auto_start)
        self.inlay_hint_max_length = max(self.inlay_hint_max_length, 8)
        servers = options.get("servers")
        if isinstance(servers, dict):
            self.servers = servers
        self.transport = _one_of(options, "transport", TRANSPORTS, self.transport)
        # a security setting: a typo must not silently weaken it, nor be lost in silence
        self.encryption = _one_of(options, "encryption", POLICIES, self.encryption)


def _one_of(options: dict[str, Any], key: str, allowed: tuple[T, ...], current: T) -> T:
    """The option's value if it is one of ``allowed``; else ``current``, with a warning on
    stderr (a typo in a setting must not pass in silence)."""
    value = options.get(key)
    if value is None:
        return current
    if value in allowed:
        return cast(T, value)
    log.warning(
        "initializationOptions.%s %r is not one of %s: keeping %r", key, value, ", ".join(map(str, allowed)), current
    )
    return current


@dataclass
class Bridge:
    protocol: TrioLanguageServerProtocol
    make_registry: Callable[[], KernelRegistry]
    settings: Settings
    spill_dir: Path | None = None
    diagnostics_uris: set[str] = field(default_factory=set)
    # publishes run diagnostics and keeps them on their lines through edits (server/annotations.py);
    # None until the feature modules load
    publish_run_diagnostics: Callable[[str, list[Any]], None] | None = None
    _registry: KernelRegistry | None = None
    _subscribers: list[Subscriber] = field(default_factory=list)
    # the kernels' comm messages → jupyter/comm (server/comm_relay.py); here rather than in a
    # feature module, since the registry's comm events may come before the features load
    comm_relay: CommRelay = field(init=False)

    def __post_init__(self) -> None:
        self.comm_relay = CommRelay(self.notify, lambda: self.protocol.outgoing)

    @property
    def registry(self) -> KernelRegistry:
        """Made on first use, so that the kernel machinery is not imported before the
        ``initialize`` reply (cold start is what an editor waits for)."""
        if self._registry is None:
            self._registry = self.make_registry()
            for subscriber in self._subscribers:
                self._registry.subscribe(subscriber)
            self._subscribers.clear()
        return self._registry

    def subscribe(self, subscriber: Subscriber) -> None:
        """Follow the registry's events for the bridge's lifetime (bridge/kernels/events.py),
        without making the registry before it is needed."""
        if self._registry is not None:
            self._registry.subscribe(subscriber)
        else:
            self._subscribers.append(subscriber)

    @property
    def kernels_in_use(self) -> bool:
        return self._registry is not None

    def notify(self, method: str, params: Any) -> int:
        return self.protocol.notify_fast(method, params)

    @property
    def request_id(self) -> Any:
        """The JSON-RPC id of the request whose handler is running (a context variable)."""
        return self.protocol.msg_id

    def output_sink(self, kernel: Kernel, request_id: Any, named: dict[str, str] | None = None) -> OutputSink:
        """``named`` is the editor's ``runId`` (when it gave one), echoed with each output."""
        outgoing = self.protocol.outgoing
        sink = OutputSink(
            lambda params: self.notify("jupyter/output", params),
            base={"kernelId": kernel.kernel_id, "requestId": request_id, **(named or {})},
            backlog=lambda: outgoing.pending_bytes,
            spill_dir=self.spill_dir,
            limit=self.settings.output_limit_bytes,
        )
        outgoing.drain_hooks.add(sink.flush)
        return sink

    def finish_sink(self, sink: OutputSink) -> None:
        self.protocol.outgoing.drain_hooks.discard(sink.flush)
        limit = sink.finish()
        if limit is not None:
            self.notify("jupyter/outputLimit", limit)


def register_methods(server: Any, handlers: dict[str, Callable[[Any], Awaitable[Any]]]) -> None:
    """Register coroutine handlers by method name (pygls tags handlers with attributes,
    which bound methods do not take, hence the plain wrapper)."""
    for method, handler in handlers.items():

        async def call(params: Any, _handler: Callable[[Any], Awaitable[Any]] = handler) -> Any:
            return await _handler(params)

        server.feature(method)(call)
