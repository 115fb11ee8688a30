"""Comms (ipywidgets and friends): open/msg/close from the editor, and the kernel's
comm messages as ``jupyter/comm`` notifications. Binary buffers travel base64-encoded."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import attrs

from bridge.errors import InvalidParams
from bridge.kernels.kernel import Kernel
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.wire import Message


@attrs.define
class CommOpenParams:
    target_name: str
    kernel_id: str | None = None
    uri: str | None = None
    data: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    buffers: list[str] | None = None
    comm_id: str | None = None


@attrs.define
class CommMsgParams:
    comm_id: str
    kernel_id: str | None = None
    uri: str | None = None
    data: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    buffers: list[str] | None = None


def _decode(buffers: list[str] | None) -> list[bytes]:
    try:
        return [base64.b64decode(b, validate=True) for b in buffers or []]
    except (binascii.Error, ValueError):
        raise InvalidParams("invalid params: buffers: expected base64 strings") from None


class Comms:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def _send(self, p: CommOpenParams | CommMsgParams, msg_type: str, content: dict[str, Any]) -> None:
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        content["data"] = p.data or {}
        await kernel.connection.send("shell", msg_type, content, metadata=p.metadata, buffers=_decode(p.buffers))

    async def open(self, params: Any) -> dict[str, str]:
        p = parse_params(CommOpenParams, params)
        comm_id = p.comm_id or uuid.uuid4().hex
        await self._send(p, "comm_open", {"comm_id": comm_id, "target_name": p.target_name})
        return {"commId": comm_id}

    async def msg(self, params: Any) -> None:
        p = parse_params(CommMsgParams, params)
        await self._send(p, "comm_msg", {"comm_id": p.comm_id})

    async def close(self, params: Any) -> None:
        p = parse_params(CommMsgParams, params)
        await self._send(p, "comm_close", {"comm_id": p.comm_id})

    def register(self, server: Any) -> None:
        register_methods(
            server, {"jupyter/commOpen": self.open, "jupyter/commMsg": self.msg, "jupyter/commClose": self.close}
        )


def comm_notification(bridge: Bridge, kernel: Kernel, msg: Message) -> None:
    content = msg.content
    params: dict[str, Any] = {
        "kernelId": kernel.kernel_id,
        "msgType": msg.msg_type,
        "commId": content.get("comm_id"),
        "data": content.get("data", {}),
        "metadata": msg.metadata,
        "buffers": [base64.b64encode(b).decode("ascii") for b in msg.buffers],
    }
    if "target_name" in content:
        params["targetName"] = content["target_name"]
    bridge.notify("jupyter/comm", params)
