"""The two drivers of the one editor client (``bridge/client_protocol.py``): trio for the
async tests, blocking for hypothesis and the benchmarks; and what tests read from either."""

from __future__ import annotations

from typing import Any

from bridge.blocking_client import HANG_GUARD, BlockingClient
from bridge.client import BridgeClient, spawn_bridge
from bridge.client_protocol import BridgeGone, ClientProtocol, RpcError, bridge_command

__all__ = [
    "HANG_GUARD",
    "BlockingClient",
    "BridgeClient",
    "BridgeGone",
    "RpcError",
    "bridge_command",
    "outputs_since",
    "spawn_bridge",
    "stdout_text",
]


def outputs_since(client: ClientProtocol, start: int, request_id: Any = ...) -> list[dict[str, Any]]:
    """The ``jupyter/output`` params kept from notification ``start`` on, all or one request's."""
    return [
        n["params"]
        for n in client.notifications[start:]
        if n["method"] == "jupyter/output" and (request_id is ... or n["params"].get("requestId") == request_id)
    ]


def stdout_text(outputs: list[dict[str, Any]]) -> str:
    return "".join(
        o["content"]["text"] for o in outputs if o["msgType"] == "stream" and o["content"]["name"] == "stdout"
    )
