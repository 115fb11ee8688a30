"""From one JSON-RPC body to pygls dispatch, answering what pygls would not.

pygls logs and drops bodies it cannot parse; JSON-RPC 2.0 wants an answer: -32700 for
bytes that are not JSON, -32600 for JSON that is not a request, -32602 when the params
do not fit the method's type. Requests before ``initialize`` get -32002 (LSP), except
the ``jupyter/`` methods, so that a plain JSON-RPC client can drive kernels directly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

from bridge import errors
from bridge.server.protocol import TrioLanguageServerProtocol

log = logging.getLogger(__name__)


def _is_notification_method(method: str) -> bool:
    """An LSP method that only exists as a notification (initialized, didOpen, $/cancelRequest…)."""
    if method == "$/cancelRequest":
        return True
    entry = types.METHOD_TO_TYPES.get(method)
    if entry is None or entry[0] is None:
        return False
    return "id" not in {a.name for a in getattr(entry[0], "__attrs_attrs__", ())}


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


class Dispatcher:
    def __init__(self, protocol: TrioLanguageServerProtocol, load_features: Callable[[], Any] | None = None) -> None:
        self.protocol = protocol
        self.initialized = False
        # registers the jupyter/ methods, whose code loads on first use (server/features.py)
        self._load_features = load_features

    def error(self, msg_id: Any, code: int, message: str) -> None:
        payload = {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
        self.protocol._send_data(payload)

    def handle_body(self, body: bytes) -> None:
        try:
            # decode first: json.loads(bytes) would also accept UTF-16/32, and LSP says UTF-8
            obj = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # invalid UTF-8 or JSON; absurd nesting
            detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            self.error(None, errors.PARSE_ERROR, f"Parse error: {detail}")
            return
        if isinstance(obj, list):
            self.error(None, errors.INVALID_REQUEST, "Invalid Request: batches are not supported (LSP has none)")
            return
        if not isinstance(obj, dict):
            self.error(None, errors.INVALID_REQUEST, f"Invalid Request: expected an object, got {type(obj).__name__}")
            return
        self.handle_object(obj)

    def handle_object(self, obj: dict[str, Any]) -> None:
        msg_id = obj.get("id")
        has_id = "id" in obj
        reply_id = msg_id if _valid_id(msg_id) else None
        if obj.get("jsonrpc") != "2.0":
            self.error(reply_id, errors.INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"')
            return
        if has_id and not _valid_id(msg_id):
            self.error(None, errors.INVALID_REQUEST, "Invalid Request: id must be a string or an integer")
            return
        method = obj.get("method")
        if "method" in obj and not isinstance(method, str):
            self.error(reply_id, errors.INVALID_REQUEST, "Invalid Request: method must be a string")
            return
        if method is None:
            if has_id and ("result" in obj or "error" in obj):
                self._dispatch(obj)  # an answer to one of our requests
            else:
                self.error(reply_id, errors.INVALID_REQUEST, "Invalid Request: no method")
            return
        if obj.get("params") is not None and not isinstance(obj["params"], (dict, list)):
            if has_id:
                self.error(msg_id, errors.INVALID_PARAMS, "Invalid params: params must be an object or an array")
            return
        if has_id and _is_notification_method(method):
            self.error(msg_id, errors.INVALID_REQUEST, f"Invalid Request: {method} is a notification; send it without an id")
            return
        is_request = has_id
        if is_request:
            if self.protocol.shutdown_requested:
                self.error(msg_id, errors.INVALID_REQUEST, "Invalid Request: the server is shutting down")
                return
            if method == types.INITIALIZE:
                self.initialized = True
            elif not self.initialized and not method.startswith("jupyter/"):
                self.error(msg_id, errors.SERVER_NOT_INITIALIZED, "Server not initialized: send initialize first")
                return
        elif method != types.EXIT and self.protocol.shutdown_requested:
            return
        obj.setdefault("params", None)
        if self._load_features is not None and method.startswith("jupyter/"):
            load, self._load_features = self._load_features, None
            load()
        self._dispatch(obj)

    def _dispatch(self, obj: dict[str, Any]) -> None:
        method = obj.get("method")
        if method is not None and "id" in obj and (handler := self.protocol.own_handler(method)) is not None:
            self.protocol.start_request(obj["id"], handler, obj["params"])
            return
        try:
            if method is None and "result" in obj:
                # An answer to one of our requests (jupyter/input): keep it plain JSON.
                message: Any = JsonRPCResponseMessage(id=obj["id"], jsonrpc="2.0", result=obj["result"])
            elif method is not None and self.protocol.get_message_type(method) is None:
                # Our own methods: hand the params over as plain JSON (pygls would turn
                # them into namedtuples); bridge/server/params.py types them.
                if "id" in obj:
                    message = JsonRPCRequestMessage(id=obj["id"], method=method, jsonrpc="2.0", params=obj["params"])
                else:
                    message = JsonRPCNotification(method=method, jsonrpc="2.0", params=obj["params"])
            else:
                message = self.protocol.structure_message(obj)
        except JsonRpcException as exc:
            if "id" in obj and "method" in obj:
                detail = exc.message
                if exc.__cause__ is not None:
                    try:
                        detail = "; ".join(cattrs.transform_error(exc.__cause__))
                    except Exception:
                        pass
                self.error(obj["id"], errors.INVALID_PARAMS, f"Invalid params for {obj['method']}: {detail}")
            else:
                log.debug("dropped an undecodable message: %s", exc)
            return
        try:
            self.protocol.handle_message(message)
        except Exception:
            log.exception("failed to dispatch %s", obj.get("method"))
            if "id" in obj and "method" in obj:
                self.error(obj["id"], errors.INTERNAL_ERROR, "Internal error while dispatching the request")
