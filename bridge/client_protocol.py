"""The editor's side of a JSON-RPC conversation with a bridge, with no I/O (h11's shape).

Two drivers move its bytes: ``bridge/client.py`` on trio (the demo, the async tests) and
``bridge/blocking_client.py`` on plain pipes and ``select`` (the benchmarks, the
hypothesis-driven tests). The benchmarks time the bridge through the blocking one, so the
rules live here once and neither driver pays for the other: a driver feeds what it read
to ``receive_data``, hands each message to ``handle``, and acts on the kind it gets back
(wake a waiter, answer a server request); sending is ``encode_*`` then a write.

What every editor keeps is kept here: notifications in arrival order (or only counted,
for floods), responses by id with how many notifications came before each (the bridge
promises outputs before their reply), ``id: null`` errors, and the requests the bridge
sends the editor (``jupyter/input``, ``workspace/*`` refreshes).
"""

from __future__ import annotations

import itertools
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Literal

from bridge.server.framing import Body, FrameReader, frame

Message = dict[str, Any]


class RpcError(Exception):
    """An error response: ``code`` and ``message`` as the bridge sent them (docs/protocol.md)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data

    @classmethod
    def from_response(cls, response: Message) -> RpcError:
        err = response["error"]
        return cls(err.get("code"), err.get("message", ""), err.get("data"))


class BridgeGone(EOFError):
    """The bridge closed its stdout (it exited or crashed) before what we waited for came."""


class BadFrame(Exception):
    """The bridge wrote something that is not a ``Content-Length`` frame: a bridge bug."""


# What ``handle`` says a message is, for the driver to act on. Plain constants, not event
# objects: the blocking driver's own cost per message is part of what the benchmarks
# time, so the core allocates nothing per message beyond the parsed JSON.
Kind = Literal["response", "notification", "server_request", "null_id_error"]
RESPONSE: Kind = "response"  # a result or error for one of our requests
NOTIFICATION: Kind = "notification"
SERVER_REQUEST: Kind = "server_request"  # the bridge asks the editor (jupyter/input…) and waits
NULL_ID_ERROR: Kind = "null_id_error"  # an error for a message whose id the bridge could not read


def bridge_command() -> list[str]:
    """``$KB_BRIDGE_CMD`` if set (to measure or test a patched copy: ``PYTHONPATH=/tmp/copy
    KB_BRIDGE_CMD="python -P -m bridge"``), else the installed ``kernel-bridge`` beside this
    interpreter, else ``python -m bridge``."""
    if os.environ.get("KB_BRIDGE_CMD"):
        return shlex.split(os.environ["KB_BRIDGE_CMD"])
    script = Path(sys.executable).with_name("kernel-bridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge"]


def initialize_params(capabilities: dict[str, Any] | None, extra: dict[str, Any]) -> Message:
    return {"processId": os.getpid(), "rootUri": None, "capabilities": capabilities or {}, **extra}


class ClientProtocol:
    """Bytes in (``receive_data``), messages out (``handle``), bytes to write (``encode_*``)."""

    def __init__(self, *, keep_notifications: bool = True) -> None:
        self._reader = FrameReader()
        self._ids = itertools.count(1)
        self.notifications: list[Message] = []
        # False: count notifications without keeping them (a flood would fill memory)
        self.keep_notifications = keep_notifications
        self.notification_count = 0
        self.responses: dict[Any, Message] = {}
        # per response id, how many notifications had arrived before it (ordering checks)
        self.notifications_before: dict[Any, int] = {}
        self.null_errors: list[Message] = []
        self.server_requests: list[Message] = []
        self.bytes_received = 0
        self.eof = False

    # -- sending ---------------------------------------------------------------------

    def new_id(self) -> int:
        return next(self._ids)

    def encode(self, message: Any) -> bytes:
        return frame(json.dumps(message).encode("utf-8"))

    def encode_request(self, method: str, params: Any = None, msg_id: Any = None) -> tuple[Any, bytes]:
        """A request's id (a new one unless given) and its frame; ``params`` left out when None."""
        if msg_id is None:
            msg_id = self.new_id()
        message: Message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        return msg_id, frame(json.dumps(message).encode("utf-8"))

    def encode_notification(self, method: str, params: Any = None) -> bytes:
        return self.encode({"jsonrpc": "2.0", "method": method, "params": params})

    def encode_reply(self, request_id: Any, reply: Message) -> bytes:
        """Our answer to a server request; ``reply`` holds ``result`` or ``error``."""
        return self.encode({"jsonrpc": "2.0", "id": request_id, **reply})

    # -- receiving -------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray) -> list[Message]:
        """The complete messages in what was read so far; ``b""`` marks the end of output."""
        if not data:
            self.eof = True
            return []
        self.bytes_received += len(data)
        self._reader.feed(data)
        messages = []
        while (event := self._reader.next_event()) is not None:
            if not isinstance(event, Body):
                raise BadFrame(f"the bridge sent a bad frame: {event}")
            messages.append(json.loads(event.data))
        return messages

    def handle(self, message: Message) -> Kind:
        """Record ``message`` and say what it is, for the driver to act on."""
        if "method" in message:
            if "id" in message:
                self.server_requests.append(message)
                return SERVER_REQUEST
            self.notification_count += 1
            if self.keep_notifications:
                self.notifications.append(message)
            return NOTIFICATION
        msg_id = message.get("id")
        if msg_id is None:
            self.null_errors.append(message)
            return NULL_ID_ERROR
        self.responses[msg_id] = message
        self.notifications_before[msg_id] = self.notification_count
        return RESPONSE

    def take_response(self, msg_id: Any) -> Message | None:
        return self.responses.pop(msg_id, None)

    def outputs(self, request_id: Any = None) -> list[Message]:
        """The ``jupyter/output`` params kept so far, all or one request's, in arrival order."""
        return [
            n["params"]
            for n in self.notifications
            if n["method"] == "jupyter/output" and (request_id is None or n["params"].get("requestId") == request_id)
        ]


def result_of(response: Message) -> Any:
    """A response's ``result``; RpcError for an error response."""
    if "error" in response:
        raise RpcError.from_response(response)
    return response.get("result")
