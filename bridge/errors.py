"""Errors the editor sees, each carrying its JSON-RPC error code and an actionable message.

Spec: JSON-RPC 2.0 section 5.1 and LSP "ErrorCodes". Server-defined codes live in
-32099..-32000; the ones we use are listed in docs/protocol.md.

Plain data, no JSON-RPC library: the kernel and remote code raise these without knowing
who listens, and only ``bridge/server/`` (``jsonrpc_errors.py``) turns one into a
JSON-RPC error object (tests/unit/test_layers.py keeps pygls out of the lower layers).
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_CANCELLED = -32800

# kernel-bridge's own codes (documented in docs/protocol.md)
KERNEL_NOT_FOUND = -32001
KERNEL_START_FAILED = -32010
KERNEL_DIED = -32011
KERNEL_TIMEOUT = -32012
KERNELSPEC_NOT_FOUND = -32013
CONNECTION_FILE_ERROR = -32014
KERNEL_RESTARTING = -32015
VARIABLES_UNSUPPORTED = -32016
REMOTE_SERVER_ERROR = -32017
REQUEST_DROPPED = -32018
EXPORT_FAILED = -32019

# Every code an editor can get, and what it means in a word: the one table of them.
# docs/protocol.md's table of errors lists the same codes (tests/unit/test_errors.py).
ERROR_CODES: dict[int, str] = {
    PARSE_ERROR: "parse error",
    INVALID_REQUEST: "invalid request",
    METHOD_NOT_FOUND: "method not found",
    INVALID_PARAMS: "invalid params",
    INTERNAL_ERROR: "internal error",
    SERVER_NOT_INITIALIZED: "server not initialized",
    REQUEST_CANCELLED: "request cancelled",
    KERNEL_NOT_FOUND: "unknown kernelId",
    KERNEL_START_FAILED: "kernel failed to start",
    KERNEL_DIED: "kernel died",
    KERNEL_TIMEOUT: "kernel did not answer in time",
    KERNELSPEC_NOT_FOUND: "unknown kernelspec",
    CONNECTION_FILE_ERROR: "connection file missing or invalid",
    KERNEL_RESTARTING: "kernel restarting",
    VARIABLES_UNSUPPORTED: "variables not supported",
    REMOTE_SERVER_ERROR: "Jupyter server error",
    REQUEST_DROPPED: "request dropped by the kernel",
    EXPORT_FAILED: "cannot write the notebook",
}


class BridgeError(Exception):
    """An error with a code from ``ERROR_CODES``; its message is shown to the user as is,
    ``data`` (plain JSON, or None) goes into the JSON-RPC error's ``data``."""

    CODE = INTERNAL_ERROR

    def __init__(self, message: str, *, code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.CODE
        self.data = data

    def __str__(self) -> str:
        return self.message


class InvalidParams(BridgeError):
    CODE = INVALID_PARAMS


class KernelNotFound(BridgeError):
    CODE = KERNEL_NOT_FOUND


class KernelspecNotFound(BridgeError):
    CODE = KERNELSPEC_NOT_FOUND


class KernelStartFailed(BridgeError):
    CODE = KERNEL_START_FAILED


class KernelDied(BridgeError):
    CODE = KERNEL_DIED


class KernelTimeout(BridgeError):
    CODE = KERNEL_TIMEOUT


class ConnectionFileError(BridgeError):
    CODE = CONNECTION_FILE_ERROR


class KernelRestarting(BridgeError):
    CODE = KERNEL_RESTARTING


class ExportFailed(BridgeError):
    """jupyter/exportNotebook could not write its file (the message says where and why)."""

    CODE = EXPORT_FAILED


class VariablesUnsupported(BridgeError):
    """The kernel's language has no variables query and its kernel no debugger."""

    CODE = VARIABLES_UNSUPPORTED


class RemoteServerError(BridgeError):
    """A Jupyter server could not be reached, refused us, or failed; the message says which
    (bridge/remote/errors.py has its finer kinds)."""

    CODE = REMOTE_SERVER_ERROR


class RequestDropped(BridgeError):
    """The kernel went idle on a request and never replied (ipykernel does so when a
    SIGINT lands in its own dispatch code instead of the user's)."""

    CODE = REQUEST_DROPPED


def unwrap_group(exc: BaseException) -> BaseException:
    """Trio nurseries wrap errors in exception groups; an editor wants the one error
    that happened, with its code. Collapse groups of exactly one, recursively."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
