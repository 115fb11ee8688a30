"""What every feature handler needs: the protocol (to answer and notify) and the kernels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.kernels.registry import KernelRegistry
from bridge.server.protocol import TrioLanguageServerProtocol


@dataclass
class Settings:
    """Tunables; an editor may override them in ``initializationOptions``."""

    default_kernel: str = "python3"
    startup_timeout: float = 60.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Bridge:
    protocol: TrioLanguageServerProtocol
    registry: KernelRegistry
    settings: Settings

    def notify(self, method: str, params: Any) -> None:
        self.protocol.notify_fast(method, params)

    @property
    def request_id(self) -> Any:
        """The JSON-RPC id of the request whose handler is running (a context variable)."""
        return self.protocol.msg_id


def register_methods(server: Any, handlers: dict[str, Callable[[Any], Awaitable[Any]]]) -> None:
    """Register coroutine handlers by method name (pygls tags handlers with attributes,
    which bound methods do not take, hence the plain wrapper)."""
    for method, handler in handlers.items():

        async def call(params: Any, _handler: Callable[[Any], Awaitable[Any]] = handler) -> Any:
            return await _handler(params)

        server.feature(method)(call)
