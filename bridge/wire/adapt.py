"""Protocol 4.x kernels (pyin/pyout/pyerr, object_info_request, the old complete and
stream fields), adapted both ways so the editor API stays the same.

The mapping is jupyter_client's (``jupyter_client.adapter``: pure functions over message
dicts), imported only when a 4.x kernel shows up. What it cannot do alone — a v4
complete_reply only says how much text matched, not where — is finished here with the
request that asked.
"""

from __future__ import annotations

import copy
from typing import Any

from bridge.wire.message import Message


def speaks_v4(kernel_info_reply: Message) -> bool:
    """Whether a kernel_info_reply comes from a 4.x kernel: its protocol_version is a list
    (4.x: ``[4, 1]``) or a "4.x" string. Only this reply decides: some 5.x kernels omit
    the header's ``version``, so headers alone would misjudge them."""
    version = kernel_info_reply.content.get("protocol_version")
    if isinstance(version, list):
        return bool(version) and version[0] == 4
    return isinstance(version, str) and version.split(".")[0] == "4"


def _as_dict(msg: Message) -> dict[str, Any]:
    return {
        "header": copy.deepcopy(msg.header),
        "parent_header": copy.deepcopy(msg.parent_header),
        "metadata": copy.deepcopy(msg.metadata),
        "content": copy.deepcopy(msg.content),
        "msg_type": msg.msg_type,
    }


def _from_dict(d: dict[str, Any], template: Message) -> Message:
    return Message(
        header=d["header"],
        parent_header=d["parent_header"],
        metadata=d["metadata"],
        content=d["content"],
        buffers=template.buffers,
        idents=template.idents,
    )


def to_v4(msg: Message) -> Message:
    """An outgoing v5 message as a 4.x kernel wants it."""
    from jupyter_client.adapter import V5toV4

    return _from_dict(V5toV4()(_as_dict(msg)), msg)


def from_v4(msg: Message, request: Message | None = None) -> Message:
    """An incoming 4.x message as v5; ``request`` is ours that it answers, if any."""
    from jupyter_client.adapter import V4toV5

    adapted = _from_dict(V4toV5()(_as_dict(msg)), msg)
    content = adapted.content
    if adapted.msg_type == "complete_reply" and request is not None and content.get("cursor_end") is None:
        cursor = int(request.content.get("cursor_pos", len(request.content.get("code", ""))))
        start = content.get("cursor_start")
        content["cursor_end"] = cursor
        content["cursor_start"] = cursor if start is None else cursor + int(start)
    return adapted
