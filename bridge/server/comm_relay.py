"""The kernels' comm messages on their way to the editor as ``jupyter/comm`` notifications,
held while the editor is behind, and bounded while held.

The hazard: a slider dragged, or a progress bar in a loop, makes a kernel send hundreds of
``update`` messages a second; a kernel can also send custom comm messages in a loop (a
canvas widget drawing, a library streaming its own protocol). While the editor is behind (the
outgoing queue holds more than ``COALESCE_HIGH_WATER`` bytes) comm notifications wait here:

* an ``update`` merges into the same model's update of the same request still waiting (latest
  value of each key wins; bridge/widget_state.py) unless something else was held since: a
  flood of updates costs a slow editor one notification per model;
* every other message waits in order, and what waits is counted (``held_bytes``). Past
  ``COMM_HOLD_LIMIT``, a kernel's messages that a widget library can do without are left
  out until the editor catches up, and it is then told what was left out, once per kernel
  (``jupyter/commLimit``), as ``jupyter/outputLimit`` tells it for outputs. Never left
  out: ``comm_open`` and ``comm_close`` (a library that misses one holds a model the kernel
  does not have, or lacks one it does, and every later message to it fails), ipywidgets'
  ``echo_update`` (the library ignores the kernel's values of a key until the echo of its
  own change comes) and ``jupyter/commIdle`` (it sends a model's next change only then);
  merged updates are never left out either (bounded per model). These come at the pace of
  widgets created or of the editor's own messages, not of a loop's iterations.

What waits goes out as the editor reads it, a high-water mark's worth per drain of the
outgoing queue, so that the bound holds here and the queue does not take the whole backlog
at once.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from bridge.outputs import COALESCE_HIGH_WATER, rough_size
from bridge.widget_state import is_mergeable_update, merge_update

if TYPE_CHECKING:
    from bridge.kernels.kernel import Kernel
    from bridge.server.protocol import OutgoingQueue
    from bridge.wire import Message

COMM_HOLD_LIMIT = 4 * 1024 * 1024  # bytes of comm notifications held for an editor that is behind
MAX_NAMED_COMMS = 100  # commIds listed in one jupyter/commLimit


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


def may_be_left_out(params: dict[str, Any]) -> bool:
    """A ``jupyter/comm`` that is not a state update and that a widget library stays
    consistent without (module docstring): custom messages, mostly."""
    if params["msgType"] in ("comm_open", "comm_close") or is_state_update(params):
        return False
    return bool(params["data"].get("method") != "echo_update")


def merge_updates(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """``earlier`` followed by ``later`` (both ``is_state_update``), with ``later``'s ids
    (the parent is the same: the relay merges only updates of one parent)."""
    data, buffers = merge_update(earlier["data"], earlier["buffers"], later["data"], later["buffers"])
    return {**later, "data": data, "buffers": buffers}


_UpdateKey = tuple[str, str, str | None]  # kernelId, commId, parentId


@attrs.define
class _Held:
    method: str
    params: dict[str, Any]
    size: int  # estimated bytes of its JSON
    key: _UpdateKey | None = None  # a state update's, while later ones may merge into it


@attrs.define
class _LeftOut:
    """What one kernel's comms lost in one episode of the editor being behind."""

    messages: int = 0
    nbytes: int = 0
    comm_ids: dict[str, None] = attrs.Factory(dict)  # in order, at most MAX_NAMED_COMMS

    def params(self, kernel_id: str) -> dict[str, Any]:
        return {
            "kernelId": kernel_id,
            "omittedMessages": self.messages,
            "omittedBytes": self.nbytes,
            "commIds": list(self.comm_ids),
        }


class CommRelay:
    """Comm notifications on their way to the editor: straight out while it keeps up; held,
    in order, with state updates merged per model and within ``limit`` bytes, while it is
    behind (module docstring). One per bridge (``Bridge.comm_relay``)."""

    def __init__(
        self,
        notify: Callable[[str, Any], int],
        outgoing: Callable[[], OutgoingQueue],
        limit: int = COMM_HOLD_LIMIT,
    ) -> None:
        self._notify = notify
        self._outgoing = outgoing  # a getter: the queue is attached after the bridge is made
        self.limit = limit
        self._held: deque[_Held] = deque()
        self.held_bytes = 0
        # (kernelId, commId, parentId) -> its held update, while only updates came since
        self._mergeable: dict[_UpdateKey, _Held] = {}
        self._left_out: dict[str, _LeftOut] = {}  # kernelId -> what it lost, since the editor was last caught up
        self.merged = 0

    def _behind(self) -> bool:
        return self._outgoing().pending_bytes >= COALESCE_HIGH_WATER

    @property
    def _waiting(self) -> bool:
        """Something waits for the editor to catch up (held, or a notice of what was left out)."""
        return bool(self._held or self._left_out)

    def comm(self, kernel: Kernel, msg: Message) -> None:
        params = comm_params(kernel, msg)
        if not self._waiting and not self._behind():
            self._notify("jupyter/comm", params)
            return
        if is_state_update(params):
            key = (params["kernelId"], params["commId"], params["parentId"])
            held = self._mergeable.get(key)
            if held is not None:
                held.params = merge_updates(held.params, params)
                size = rough_size(held.params)
                self.held_bytes += size - held.size
                held.size = size
                self.merged += 1
                return
            self._mergeable[key] = self._hold("jupyter/comm", params, key=key)
            return
        size = rough_size(params)
        kernel_id = params["kernelId"]
        if may_be_left_out(params) and (kernel_id in self._left_out or self.held_bytes + size > self.limit):
            # once one is left out, so are the kernel's next ones this episode: a custom
            # protocol then misses one stretch of messages, not a scattering
            self._leave_out(kernel_id, params["commId"], size)
            return
        self._mergeable.clear()
        self._hold("jupyter/comm", params, size)

    def idle(self, kernel: Kernel, msg: Message) -> None:
        """The kernel went idle on a comm message of ours: after what it sent for it."""
        params = {"kernelId": kernel.kernel_id, "parentId": msg.parent_id}
        if not self._waiting and not self._behind():
            self._notify("jupyter/commIdle", params)
            return
        self._mergeable.clear()
        self._hold("jupyter/commIdle", params)

    def _start_waiting(self) -> None:
        if not self._waiting:
            self._outgoing().drain_hooks.add(self.flush)

    def _hold(
        self, method: str, params: dict[str, Any], size: int | None = None, key: _UpdateKey | None = None
    ) -> _Held:
        self._start_waiting()
        item = _Held(method, params, rough_size(params) if size is None else size, key)
        self._held.append(item)
        self.held_bytes += item.size
        return item

    def _leave_out(self, kernel_id: str, comm_id: Any, size: int) -> None:
        self._start_waiting()
        left_out = self._left_out.setdefault(kernel_id, _LeftOut())
        left_out.messages += 1
        left_out.nbytes += size
        if isinstance(comm_id, str) and len(left_out.comm_ids) < MAX_NAMED_COMMS:
            left_out.comm_ids[comm_id] = None

    def flush(self) -> None:
        """The editor caught up (``OutgoingQueue`` calls this on drain): what waits, in
        order, until it is behind again (the rest waits for the next drain: the outgoing
        queue stays near its high-water mark, the bound stays here); once all is sent, what
        was left out."""
        while self._held:
            if self._behind():
                return
            item = self._held.popleft()
            self.held_bytes -= item.size
            if item.key is not None and self._mergeable.get(item.key) is item:
                del self._mergeable[item.key]
            self._notify(item.method, item.params)
        left_out, self._left_out = self._left_out, {}
        for kernel_id, lost in left_out.items():
            self._notify("jupyter/commLimit", lost.params(kernel_id))
        self._outgoing().drain_hooks.discard(self.flush)
