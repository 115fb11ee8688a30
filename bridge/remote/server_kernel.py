"""A kernel behind Jupyter Server or a gateway, as one of the registry's kernels.

No process and no connection file here: its channels go over one WebSocket
(``transports/websocket.py``), and interrupt, restart and shutdown are its server's REST
calls (``remote/kernel.py``). Owned (the bridge started it) means deleted on its server when
the bridge is done with it, unless the server is configured to keep kernels; attached means
never deleted.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import BridgeError
from bridge.kernels.kernel import Kernel, KernelEvents, LaunchOptions
from bridge.remote.kernel import RemoteKernel


class ServerKernel(Kernel):
    kind = "server"

    def __init__(
        self, kernel_id: str, remote: RemoteKernel, *, owned: bool, events: KernelEvents, launch: LaunchOptions
    ) -> None:
        super().__init__(
            kernel_id, remote.transport(), kernel_name=remote.kernel_name, owned=owned, events=events, launch=launch
        )
        self.remote = remote

    @property
    def encrypted(self) -> bool:
        """TLS: the server's url is https."""
        return self.remote.server.url.lower().startswith("https:")

    def location(self) -> dict[str, Any]:
        return self.remote.describe()

    def _start_failure(self, exc: BridgeError) -> str:
        return f"{super()._start_failure(exc)} (server {self.remote.server.display})"

    async def _interrupt(self) -> None:
        await self.remote.interrupt()  # the server knows the kernelspec's interrupt mode

    async def shutdown(self, *, detach: bool = False) -> None:
        # dead first: the server closing the WebSocket is then no news (no "disconnected")
        self.connection.mark_dead("kernel was shut down")
        await super().shutdown(detach=detach)

    async def _stop(self) -> None:
        if self.owned:
            await self.remote.delete(quiet=True)

    async def successor(self) -> Kernel:
        """REST restart on the server (it keeps the kernel's id there), then a fresh
        WebSocket: same kernelId and documents here, as for a process restart."""
        await self.remote.restart(self.launch.startup_timeout)
        await self.shutdown(detach=True)
        return ServerKernel(self.kernel_id, self.remote, owned=self.owned, events=self.events, launch=self.launch)
