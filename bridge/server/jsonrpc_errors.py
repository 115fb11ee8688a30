"""Where a ``BridgeError`` (plain data: code, message, data) becomes a JSON-RPC error.

The only crossing between the bridge's errors and pygls: the kernel and remote layers
raise ``BridgeError`` without knowing about JSON-RPC, and the request runner
(``TrioLanguageServerProtocol``) hands pygls what it understands.
"""

from __future__ import annotations

from pygls.exceptions import JsonRpcException

from bridge.errors import BridgeError


def as_jsonrpc(exc: BaseException) -> BaseException:
    """``exc`` as pygls words an error response: a BridgeError becomes a JsonRpcException
    with the same code, message and data; anything else is left as it is."""
    if isinstance(exc, BridgeError):
        error = JsonRpcException(exc.message, exc.code, exc.data)
        error.__cause__ = exc
        return error
    return exc
