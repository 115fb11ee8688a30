"""The floor: a minimal synchronous Jupyter client on pyzmq directly.

No jupyter_client, no bridge code: a DEALER for shell, a SUB for iopub, HMAC-SHA256 over
the four JSON frames (the messaging spec, "The Wire Protocol"). It does only what any
Python client must do for a round trip — build, sign, send; receive, verify, parse — so
what it costs is the least a Python client can cost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import zmq

DELIM = b"<IDS|MSG>"


def execute_content(code: str, *, silent: bool = False) -> dict[str, Any]:
    """An execute_request's content as every contender sends it (a silent run keeps no history)."""
    return {
        "code": code,
        "silent": silent,
        "store_history": not silent,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }


class RawClient:
    def __init__(self, info: dict[str, Any], ctx: zmq.Context[Any] | None = None) -> None:
        self.ctx = ctx or zmq.Context.instance()
        self.key = info["key"].encode()
        self.session = uuid.uuid4().hex
        self._n = 0
        ip, transport = info.get("ip", "127.0.0.1"), info.get("transport", "tcp")
        self.shell = self.ctx.socket(zmq.DEALER)
        self.shell.setsockopt(zmq.LINGER, 0)
        self.shell.setsockopt(zmq.ROUTING_ID, self.session.encode())
        self.shell.connect(f"{transport}://{ip}:{info['shell_port']}")
        self.iopub = self.ctx.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.LINGER, 0)
        self.iopub.setsockopt(zmq.RCVHWM, 0)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"{transport}://{ip}:{info['iopub_port']}")
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)

    def close(self) -> None:
        self.shell.close(0)
        self.iopub.close(0)

    # -- wire --------------------------------------------------------------------------

    def _sign(self, frames: list[bytes]) -> bytes:
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for f in frames:
            mac.update(f)
        return mac.hexdigest().encode()

    def send(self, msg_type: str, content: dict[str, Any]) -> str:
        self._n += 1
        msg_id = f"{self.session}_{self._n}"
        header = {
            "msg_id": msg_id,
            "session": self.session,
            "username": "bench",
            "date": datetime.now(UTC).isoformat(),
            "msg_type": msg_type,
            "version": "5.3",
        }
        frames = [json.dumps(x).encode() for x in (header, {}, {}, content)]
        self.shell.send_multipart([DELIM, self._sign(frames), *frames])
        return msg_id

    def _parse(self, parts: list[bytes]) -> dict[str, Any]:
        i = parts.index(DELIM)
        sig, frames = parts[i + 1], parts[i + 2 : i + 6]
        if not hmac.compare_digest(sig, self._sign(frames)):
            raise ValueError("bad signature")
        header, parent, _metadata, content = (json.loads(f) for f in frames)
        return {"header": header, "parent_header": parent, "content": content, "msg_type": header["msg_type"]}

    # -- requests ----------------------------------------------------------------------

    def request(
        self, msg_type: str, content: dict[str, Any], *, wait_idle: bool = True, timeout: float = 60.0
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Send on shell; return (reply, the request's iopub outputs) once the reply and the
        request's ``status: idle`` (the end of its outputs) are both in."""
        msg_id = self.send(msg_type, content)
        reply: dict[str, Any] | None = None
        idle = not wait_idle
        outputs: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while reply is None or not idle:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply to {msg_type}")
            for sock, _ in self.poller.poll(remaining * 1000):
                while True:
                    try:
                        parts = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    msg = self._parse(parts)
                    if msg["parent_header"].get("msg_id") != msg_id:
                        continue
                    if sock is self.shell:
                        reply = msg
                    elif msg["msg_type"] == "status":
                        idle = idle or msg["content"]["execution_state"] == "idle"
                    else:
                        outputs.append(msg)
        assert reply is not None
        return reply, outputs

    def execute(self, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return self.request("execute_request", execute_content(code))

    def wait_ready(self, timeout: float = 60.0) -> None:
        """kernel_info until shell answers and iopub delivers its idle (a SUB socket
        misses what is published before its subscription lands)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.request("kernel_info_request", {}, timeout=1.0)
                return
            except TimeoutError:
                continue
        raise TimeoutError("kernel not ready")


def load_connection_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)
