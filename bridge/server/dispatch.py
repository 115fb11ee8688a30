"""From one JSON-RPC body to pygls dispatch, answering what pygls would not.

pygls logs and drops bodies it cannot parse; JSON-RPC 2.0 wants an answer: -32700 for
bytes that are not JSON, -32600 for JSON that is not a request, -32602 when the params
do not fit the method's type. Requests before ``initialize`` get -32002 (LSP), except
the ``jupyter/`` methods, so that a plain JSON-RPC client can drive kernels directly.

Params nested deeper than ``MAX_PARAMS_DEPTH`` are refused here (-32602), before anything
walks them: every later step that recurses (cattrs, ``json.dumps`` of a kernel message)
would hit Python's recursion limit somewhere, as an internal error. (Deeper than the parser
itself goes, it is -32700.) A body too big to read (``FramingError.oversized``) gets its
answer with the request's ``id`` when that can be found in its first or last bytes
(``request_id_in``), so that the editor's request does not wait forever.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

from bridge import errors
from bridge.server.framing import FramingError
from bridge.server.lsp_fast import FAST_METHODS
from bridge.server.protocol import TrioLanguageServerProtocol

log = logging.getLogger(__name__)

MAX_PARAMS_DEPTH = 100  # objects and arrays, params itself counting as one

_STRING = rb'"(?:[^"\\]|\\.)*"'
_ID = rb"(-?[0-9]+|" + _STRING + rb")"
# the id first, or after "jsonrpc"/"method" only: how editors' encoders write requests
_HEAD_ID = re.compile(
    rb'\A\s*\{\s*(?:"(?:jsonrpc|method)"\s*:\s*' + _STRING + rb"\s*,\s*)*" + rb'"id"\s*:\s*' + _ID + rb"\s*[,}]", re.S
)
# or the last member: nothing but the object's closing brace after it
_TAIL_ID = re.compile(rb',\s*"id"\s*:\s*' + _ID + rb"\s*\}\s*\Z", re.S)


def request_id_in(head: bytes, tail: bytes) -> int | str | None:
    """The ``id`` of a request body that cannot be parsed, from its first and last bytes:
    found only where it is certainly the top-level member, else None."""
    for pattern, text in ((_HEAD_ID, head), (_TAIL_ID, tail)):
        found = pattern.search(text)
        if found is None:
            continue
        try:
            value = json.loads(found.group(1))
        except ValueError:
            continue
        if _valid_id(value):
            return value  # type: ignore[no-any-return]
    return None


def _too_deep(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels in ``value``; a loop,
    not a recursion, since the point is to survive any depth."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _deep_field(params: Any) -> str | None:
    """The params field nested more than ``MAX_PARAMS_DEPTH`` levels (or ``params``)."""
    if not isinstance(params, (dict, list)) or not _too_deep(params, MAX_PARAMS_DEPTH):
        return None
    if isinstance(params, dict):
        for name, value in params.items():
            if isinstance(value, (dict, list)) and _too_deep(value, MAX_PARAMS_DEPTH - 1):
                return str(name)
    return "params"


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

    def framing_error(self, event: FramingError) -> None:
        """A header block refused (-32700), or a body too big to read (-32600, answered
        with its request's id when that can be found in the bytes that went by)."""
        if event.oversized is None:
            self.error(None, errors.PARSE_ERROR, f"Parse error: {event.message}")
            return
        msg_id = request_id_in(event.head, event.tail)
        log.warning("refused a message of %d bytes (id %r): over the limit", event.oversized, msg_id)
        self.error(msg_id, errors.INVALID_REQUEST, f"Invalid Request: {event.message}")

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
        deep = _deep_field(obj.get("params"))
        if deep is not None:
            if has_id:
                self.error(
                    msg_id,
                    errors.INVALID_PARAMS,
                    f"invalid params: {deep}: nested more than {MAX_PARAMS_DEPTH} levels deep",
                )
            else:
                log.warning("dropped a %s notification whose params nest more than %d levels", method, MAX_PARAMS_DEPTH)
            return
        if has_id and _is_notification_method(method):
            self.error(
                msg_id, errors.INVALID_REQUEST, f"Invalid Request: {method} is a notification; send it without an id"
            )
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
        if method is not None and "id" in obj:
            if (handler := self.protocol.own_handler(method)) is not None:
                self.protocol.start_request(obj["id"], handler, obj["params"])
                return
            if (fast := FAST_METHODS.get(method)) is not None and (handler := self.protocol.fm.features.get(method)):
                params = fast[0](obj["params"])
                if params is not None:  # else pygls' path, which names what is wrong
                    self.protocol.start_request(obj["id"], handler, params, fast[1])
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
