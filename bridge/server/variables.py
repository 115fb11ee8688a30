"""``jupyter/variables``: the kernel's user namespace as ``[{name, type, summary, size?,
shape?}]``, printing nothing into the user's output and adding nothing to its history.

Per language, a small query the kernel runs silently (``variable_queries.QUERIES``:
Python, R, Julia) builds the bounded list inside the kernel. A language in that table is
asked that way even when its kernel advertises a debugger: the query works the same on
every kernel of the language, gives sizes, and xeus-python 0.19 crashes on
``inspectVariables`` when its debugger has not been started. Kernels of other languages
that advertise a debugger (``supported_features`` or ``debugger: true``) get a
``debug_request`` ``inspectVariables`` on control, as do those whose query fails; the rest
get a clear "not supported". Answers are parsed as JSON only; nothing from the kernel is
evaluated here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs

from bridge.errors import KernelTimeout, RequestDropped, VariablesUnsupported
from bridge.kernels.kernel import Kernel
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.server.variable_queries import MAX_VARIABLES, SUMMARY_CHARS, VARIABLES_MIME, VariableQuery, query_for
from bridge.wire import Message

log = logging.getLogger(__name__)

DEBUG_REPLY_WAIT = 5.0


@attrs.define
class VariablesParams:
    kernel_id: str | None = None
    uri: str | None = None


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


class Variables:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def variables(self, params: Any) -> list[dict[str, Any]]:
        p = parse_params(VariablesParams, params)
        kernel = self.bridge.registry.resolve(p.kernel_id, p.uri)
        info = kernel.connection.kernel_info
        language = str(info.get("language_info", {}).get("name", "")).lower()
        # protocol 5.5 lists features; earlier kernels set ``debugger: true``
        has_debugger = info.get("debugger") is True or "debugger" in (info.get("supported_features") or [])
        query = query_for(language)
        if query is not None:
            try:
                return await self._from_query(kernel, query)
            except VariablesUnsupported:
                if not has_debugger:
                    raise
                log.debug("kernel %s: the %s variables query failed; asking its debugger", kernel.kernel_id, language)
        if has_debugger:
            found = await self._from_debugger(kernel)
            if found is not None:
                return found
        raise VariablesUnsupported(
            f"listing variables is not supported by this kernel ({info.get('implementation', 'unknown')}, "
            f"language {language or 'unknown'}): it has no debugger and kernel-bridge has no variables query "
            "for its language"
        )

    async def _from_debugger(self, kernel: Kernel) -> list[dict[str, Any]] | None:
        request = {"type": "request", "seq": 1, "command": "inspectVariables", "arguments": {}}
        try:
            reply = await kernel.connection.request("control", "debug_request", request, timeout=DEBUG_REPLY_WAIT)
        except (KernelTimeout, RequestDropped):  # a kernel goes idle on a request type it does not handle
            log.debug("kernel %s advertises a debugger but does not answer debug_request", kernel.kernel_id)
            return None
        body = reply.content.get("body") if reply.content.get("success") else None
        if not isinstance(body, dict) or not isinstance(body.get("variables"), list):
            log.debug("inspectVariables failed: %s", reply.content.get("message"))
            return None
        out = []
        for var in body["variables"][:MAX_VARIABLES]:
            if not isinstance(var, dict) or not isinstance(var.get("name"), str):
                continue
            if var["name"] in ("special variables", "function variables") and not var.get("type"):
                continue  # debugpy's groups, not user variables
            out.append(
                {"name": var["name"], "type": str(var.get("type", "")), "summary": _clip(str(var.get("value", "")))}
            )
        return out

    async def _from_query(self, kernel: Kernel, query: VariableQuery) -> list[dict[str, Any]]:
        """Run ``query`` in a silent execute and read its JSON from where its route puts it."""
        by_expression = query.route == "user_expression"
        content = {
            "code": "" if by_expression else query.code,
            "silent": True,
            "store_history": False,
            "user_expressions": {"kb": query.code} if by_expression else {},
            "allow_stdin": False,
            "stop_on_error": False,
        }
        published: list[Any] = []

        def on_iopub(msg: Message) -> None:
            data = msg.content.get("data")
            if msg.msg_type == "display_data" and isinstance(data, dict) and VARIABLES_MIME in data:
                published.append(data[VARIABLES_MIME])

        if by_expression:
            reply = await kernel.connection.request("shell", "execute_request", content, private=True)
            result = reply.content.get("user_expressions", {}).get("kb", {})
            if result.get("status") != "ok":
                raise VariablesUnsupported(
                    f"the kernel could not list its variables: {result.get('ename', '')} {result.get('evalue', '')}"
                )
            answer = (result.get("data") or {}).get("text/plain")
        else:
            # wait_idle: the display_data travels on iopub, and may land after the shell reply
            await kernel.connection.request(
                "shell", "execute_request", content, on_iopub=on_iopub, wait_idle=True, private=True
            )
            if not published:
                raise VariablesUnsupported("the kernel published no variable listing (its variables query did not run)")
            answer = published[-1]
        return parse_listing(answer)

    def register(self, server: Any) -> None:
        register_methods(server, {"jupyter/variables": self.variables})


def parse_listing(answer: Any) -> list[dict[str, Any]]:
    """The query's JSON → the editor's list; anything malformed is left out, never evaluated."""
    try:
        entries = json.loads(answer) if isinstance(answer, str) else answer
    except ValueError:
        raise VariablesUnsupported("the kernel's variable listing was not JSON") from None
    if isinstance(entries, dict) and "error" in entries:
        raise VariablesUnsupported(f"the kernel could not list its variables: {entries['error']}")
    if not isinstance(entries, list):
        raise VariablesUnsupported("the kernel's variable listing was not a JSON array")
    out = []
    for entry in entries[:MAX_VARIABLES]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        item = {
            "name": entry["name"],
            "type": str(entry.get("type", "")),
            "summary": _clip(str(entry.get("summary", ""))),
        }
        for key in ("size", "shape"):
            if entry.get(key) is not None:
                item[key] = entry[key]
        out.append(item)
    return out
