"""Errors talking to a Jupyter server, each naming the server and what to check.

The token never appears in a message (``ServerConfig.redact``)."""

from __future__ import annotations

from bridge.errors import RemoteServerError

__all__ = ["HttpError", "RemoteNotFound", "RemoteServerError", "missing_dependency"]


class HttpError(RemoteServerError):
    """The server answered an HTTP error other than 401/403/404; its status lets callers say
    better what went wrong (an unknown kernelspec is an HTTP 500)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class RemoteNotFound(RemoteServerError):
    """The server answered 404: callers turn this into what was missing (kernel, kernelspec)."""


def missing_dependency(exc: ImportError) -> RemoteServerError:
    return RemoteServerError(
        f"remote kernels need the packages httpx and trio-websocket ({exc.name or exc} is missing): "
        "pip install httpx trio-websocket"
    )
