"""Comms (ipywidgets and friends): open/msg/close from the editor, and the kernel's comm
messages as ``jupyter/comm`` notifications. Binary buffers travel base64-encoded.

An editor that renders widgets (VS Code's output view) runs the same widget library as
JupyterLab, which needs three things from its link to the kernel: the ``msg_id`` of each
comm message it sends (``jupyter/commMsg`` answers it), the parent of each message it gets
(``jupyter/comm`` carries ``msgId`` and ``parentId``: a model matches the kernel's
``echo_update`` and its ``request_state`` answer by them), and the kernel going idle on
each message it sent (``jupyter/commIdle``: the library sends a model's next change only
then, and a view opened late knows a comm will not answer).

The hazard: a slider dragged, or a progress bar in a loop, makes a kernel send hundreds of
``update`` messages a second. While the editor is behind (the outgoing queue holds more than
``COALESCE_HIGH_WATER`` bytes) comm notifications wait here, and an ``update`` merges into the
same model's update of the same request still waiting (latest value of each key wins; the
rule of bridge/sidecar/widgets.py) unless something else was queued since: a flood costs a
slow editor one notification per model, and the bridge's queue stays bounded.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import deque
from typing import Any

import attrs

from bridge.errors import InvalidParams
from bridge.kernels.kernel import Kernel
from bridge.outputs import COALESCE_HIGH_WATER
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.widget_state import is_mergeable_update, merge_update
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


def comm_params(kernel: Kernel, msg: Message) -> dict[str, Any]:
    """The ``jupyter/comm`` params of one kernel comm message."""
    content = msg.content
    data = content.get("data")
    params: dict[str, Any] = {
        "kernelId": kernel.kernel_id,
        "msgType": msg.msg_type,
        "commId": content.get("comm_id"),
        "msgId": msg.msg_id,
        "parentId": msg.parent_id,
        "data": data if isinstance(data, dict) else {},
        "metadata": msg.metadata,
        "buffers": [base64.b64encode(b).decode("ascii") for b in msg.buffers],
    }
    if "target_name" in content:
        params["targetName"] = content["target_name"]
    return params


def is_state_update(params: dict[str, Any]) -> bool:
    """A ``jupyter/comm`` that may merge with the same model's next one (bridge/widget_state.py)."""
    return isinstance(params["commId"], str) and is_mergeable_update(
        params["msgType"], params["data"], len(params["buffers"])
    )


def merge_updates(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """``earlier`` followed by ``later`` (both ``is_state_update``), with ``later``'s ids
    (the parent is the same: see ``_Slot``)."""
    data, buffers = merge_update(earlier["data"], earlier["buffers"], later["data"], later["buffers"])
    return {**later, "data": data, "buffers": buffers}


@attrs.define
class _Held:
    method: str
    params: dict[str, Any]


class CommRelay:
    """Comm notifications on their way to the editor: straight out while it keeps up; held,
    in order, with state updates merged per model, while it is behind (module docstring)."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self._held: deque[_Held] = deque()
        # (kernelId, commId, parentId) -> its held update, while only updates came since
        self._mergeable: dict[tuple[str, str, str | None], _Held] = {}
        self._listening: set[str] = set()  # ids of the kernels whose iopub is watched
        self.merged = 0

    def _behind(self) -> bool:
        return self.bridge.protocol.outgoing.pending_bytes >= COALESCE_HIGH_WATER

    def comm(self, kernel: Kernel, msg: Message) -> None:
        params = comm_params(kernel, msg)
        if not self._held and not self._behind():
            self.bridge.notify("jupyter/comm", params)
            return
        if is_state_update(params):
            key = (params["kernelId"], params["commId"], params["parentId"])
            held = self._mergeable.get(key)
            if held is not None:
                held.params = merge_updates(held.params, params)
                self.merged += 1
                return
            self._hold(_Held("jupyter/comm", params))
            self._mergeable[key] = self._held[-1]
            return
        self._mergeable.clear()
        self._hold(_Held("jupyter/comm", params))

    def idle(self, kernel: Kernel, msg: Message) -> None:
        """The kernel went idle on a comm message of ours: after what it sent for it."""
        params = {"kernelId": kernel.kernel_id, "parentId": msg.parent_id}
        if not self._held and not self._behind():
            self.bridge.notify("jupyter/commIdle", params)
            return
        self._mergeable.clear()
        self._hold(_Held("jupyter/commIdle", params))

    def _hold(self, item: _Held) -> None:
        if not self._held:
            self.bridge.protocol.outgoing.drain_hooks.add(self.flush)
        self._held.append(item)

    def flush(self) -> None:
        """The editor caught up (``OutgoingQueue`` calls this on drain): what waits, in order."""
        self._mergeable.clear()
        while self._held:
            item = self._held.popleft()
            self.bridge.notify(item.method, item.params)
        self.bridge.protocol.outgoing.drain_hooks.discard(self.flush)

    def listen(self, kernel: Kernel) -> None:
        """Watch ``kernel``'s iopub (and its successors' after a restart: the registry's
        listeners follow them) for the idle after each comm message this bridge sends."""
        if kernel.kernel_id in self._listening:
            return
        self._listening.add(kernel.kernel_id)

        def on_iopub(current: Kernel, msg: Message) -> None:
            parent = msg.parent_header
            if (
                msg.msg_type == "status"
                and msg.content.get("execution_state") == "idle"
                and parent.get("msg_type") == "comm_msg"
                and parent.get("session") == current.connection.factory.session
            ):
                self.idle(current, msg)

        self.bridge.registry.listen_iopub(kernel.kernel_id, on_iopub)


_relays: dict[int, CommRelay] = {}


def relay_of(bridge: Bridge) -> CommRelay:
    """The bridge's one relay (a bridge lives as long as its process)."""
    relay = _relays.get(id(bridge))
    if relay is None or relay.bridge is not bridge:
        relay = _relays[id(bridge)] = CommRelay(bridge)
    return relay


class Comms:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def _send(
        self, p: CommOpenParams | CommMsgParams, msg_type: str, content: dict[str, Any], *, listen: bool = False
    ) -> Message:
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        content["data"] = p.data or {}
        buffers = _decode(p.buffers)
        if listen:
            relay_of(self.bridge).listen(kernel)
        return await kernel.connection.send("shell", msg_type, content, metadata=p.metadata, buffers=buffers)

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


def comm_notification(bridge: Bridge, kernel: Kernel, msg: Message) -> None:
    relay_of(bridge).comm(kernel, msg)
