"""Comms (ipywidgets and friends): open/msg/close from the editor, and the kernel's comm
messages as ``jupyter/comm`` notifications. Binary buffers travel base64-encoded.

An editor that renders widgets (VS Code's output view) runs the same widget library as
JupyterLab, which needs three things from its link to the kernel: the ``msg_id`` of each
comm message it sends (``jupyter/commMsg`` answers it), the parent of each message it gets
(``jupyter/comm`` carries ``msgId`` and ``parentId``: a model matches the kernel's
``echo_update`` and its ``request_state`` answer by them), and the kernel going idle on
each message it sent (``jupyter/commIdle``: the library sends a model's next change only
then, and a view opened late knows a comm will not answer).

The kernel's side reaches the editor through the bridge's ``CommRelay``
(server/comm_relay.py), which holds, merges and bounds comm notifications while the editor is
behind.
"""

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
        self._listening: set[str] = set()  # ids of the kernels whose iopub is watched

    async def _send(
        self, p: CommOpenParams | CommMsgParams, msg_type: str, content: dict[str, Any], *, listen: bool = False
    ) -> Message:
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        content["data"] = p.data or {}
        buffers = _decode(p.buffers)
        if listen:
            self._listen(kernel)
        return await kernel.connection.send("shell", msg_type, content, metadata=p.metadata, buffers=buffers)

    def _listen(self, kernel: Kernel) -> None:
        """Watch ``kernel``'s iopub (and its successors' after a restart: the registry's
        listeners follow them) for the idle after each comm message this bridge sends."""
        if kernel.kernel_id in self._listening:
            return
        self._listening.add(kernel.kernel_id)
        relay = self.bridge.comm_relay

        def on_iopub(current: Kernel, msg: Message) -> None:
            parent = msg.parent_header
            if (
                msg.msg_type == "status"
                and msg.content.get("execution_state") == "idle"
                and parent.get("msg_type") == "comm_msg"
                and parent.get("session") == current.connection.factory.session
            ):
                relay.idle(current, msg)

        self.bridge.registry.listen_iopub(kernel.kernel_id, on_iopub)

    async def open(self, params: Any) -> dict[str, str]:
        p = parse_params(CommOpenParams, params)
        comm_id = p.comm_id or uuid.uuid4().hex
        await self._send(p, "comm_open", {"comm_id": comm_id, "target_name": p.target_name})
        return {"commId": comm_id}

    async def msg(self, params: Any) -> dict[str, str]:
        p = parse_params(CommMsgParams, params)
        sent = await self._send(p, "comm_msg", {"comm_id": p.comm_id}, listen=True)
        return {"msgId": sent.msg_id}

    async def close(self, params: Any) -> None:
        p = parse_params(CommMsgParams, params)
        await self._send(p, "comm_close", {"comm_id": p.comm_id})

    def register(self, server: Any) -> None:
        register_methods(
            server, {"jupyter/commOpen": self.open, "jupyter/commMsg": self.msg, "jupyter/commClose": self.close}
        )
