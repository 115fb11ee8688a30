"""Errors talking to a Jupyter server, each naming the server and what to check.

The token never appears in a message (``ServerConfig.redact``)."""

from __future__ import annotations

from bridge.errors import BridgeError

# documented in docs/protocol.md ("Remote kernels")
REMOTE_SERVER_ERROR = -32017


class RemoteServerError(BridgeError):
    """The server could not be reached, refused us, or failed; the message says which."""

    CODE = REMOTE_SERVER_ERROR


class RemoteNotFound(RemoteServerError):
    """The server answered 404: callers turn this into what was missing (kernel, kernelspec)."""


def missing_dependency(exc: ImportError) -> RemoteServerError:
    return RemoteServerError(
        f"remote kernels need the packages httpx and trio-websocket ({exc.name or exc} is missing): "
        "pip install httpx trio-websocket"
    )
