"""Shell requests whose reply content goes back as is: complete, inspect, is_complete,
history, comm_info, and the generic ``jupyter/request`` for everything else.

One exception: terminal overstrike in an inspect reply's ``text/plain`` (R's help comes
as ``_\bA_\br…``) is removed, since no editor can show it; ANSI colours stay, editors
strip or render those."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from bridge.errors import InvalidParams
from bridge.kernels.session import Channel
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.text import strip_overstrike


@attrs.define(kw_only=True)
class KernelRef:
    kernel_id: str | None = None
    uri: str | None = None


@attrs.define(kw_only=True)
class CompleteParams(KernelRef):
    code: str
    cursor_pos: int | None = None


@attrs.define(kw_only=True)
class InspectParams(KernelRef):
    code: str
    cursor_pos: int | None = None
    detail_level: int = 0


@attrs.define(kw_only=True)
class IsCompleteParams(KernelRef):
    code: str


@attrs.define(kw_only=True)
class HistoryParams(KernelRef):
    hist_access_type: Literal["tail", "range", "search"] = "tail"
    output: bool = False
    raw: bool = True
    session: int | None = None
    start: int | None = None
    stop: int | None = None
    n: int | None = 10
    pattern: str | None = None
    unique: bool = False


@attrs.define(kw_only=True)
class CommInfoParams(KernelRef):
    target_name: str | None = None


@attrs.define(kw_only=True)
class GenericRequestParams(KernelRef):
    channel: Literal["shell", "control"] = "shell"
    msg_type: str
    content: dict[str, Any] | None = None


def _cursor(code: str, cursor_pos: int | None) -> int:
    if cursor_pos is None:
        return len(code)
    if not 0 <= cursor_pos <= len(code):
        raise InvalidParams(f"invalid params: cursorPos: {cursor_pos} is outside the code (0..{len(code)} code points)")
    return cursor_pos


class Introspection:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def _shell(self, ref: KernelRef, msg_type: str, content: dict[str, Any], channel: Channel = "shell") -> Any:
        kernel = self.bridge.registry.resolve(ref.kernel_id, ref.uri)
        reply = await kernel.connection.request(channel, msg_type, content)
        return reply.content

    async def complete(self, params: Any) -> Any:
        p = parse_params(CompleteParams, params)
        return await self._shell(p, "complete_request", {"code": p.code, "cursor_pos": _cursor(p.code, p.cursor_pos)})

    async def inspect(self, params: Any) -> Any:
        p = parse_params(InspectParams, params)
        content = {"code": p.code, "cursor_pos": _cursor(p.code, p.cursor_pos), "detail_level": p.detail_level}
        reply = await self._shell(p, "inspect_request", content)
        data = reply.get("data") if isinstance(reply, dict) else None
        if isinstance(data, dict) and isinstance(data.get("text/plain"), str):
            data["text/plain"] = strip_overstrike(data["text/plain"])
        return reply

    async def is_complete(self, params: Any) -> Any:
        p = parse_params(IsCompleteParams, params)
        return await self._shell(p, "is_complete_request", {"code": p.code})

    async def history(self, params: Any) -> Any:
        p = parse_params(HistoryParams, params)
        content: dict[str, Any] = {
            "hist_access_type": p.hist_access_type,
            "output": p.output,
            "raw": p.raw,
            "unique": p.unique,
        }
        for key, value in (
            ("session", p.session),
            ("start", p.start),
            ("stop", p.stop),
            ("n", p.n),
            ("pattern", p.pattern),
        ):
            if value is not None:
                content[key] = value
        return await self._shell(p, "history_request", content)

    async def comm_info(self, params: Any) -> Any:
        p = parse_params(CommInfoParams, params)
        return await self._shell(p, "comm_info_request", {"target_name": p.target_name} if p.target_name else {})

    async def request(self, params: Any) -> Any:
        p = parse_params(GenericRequestParams, params)
        if not p.msg_type.endswith("_request"):
            raise InvalidParams(f"invalid params: msgType: {p.msg_type!r} is not a *_request message type")
        return await self._shell(p, p.msg_type, p.content or {}, channel=p.channel)

    def register(self, server: Any) -> None:
        register_methods(
            server,
            {
                "jupyter/complete": self.complete,
                "jupyter/inspect": self.inspect,
                "jupyter/isComplete": self.is_complete,
                "jupyter/history": self.history,
                "jupyter/commInfo": self.comm_info,
                "jupyter/request": self.request,
            },
        )
