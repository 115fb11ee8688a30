"""``jupyter/variables``: the kernel's user namespace as ``[{name, type, summary, size?,
shape?}]``, printing nothing into the user's output and adding nothing to its history.

For Python kernels: a silent execute (no output, ``store_history: false``) whose
``user_expressions`` builds the list inside the kernel with ``reprlib`` — bounded reprs, so
a 1 GB object never comes back whole — with sizes and array shapes. This is preferred
over the debugger even where one is advertised: it works the same on every Python kernel,
gives sizes, and xeus-python 0.19 crashes on ``inspectVariables`` when its debugger has not
been started. Other kernels that advertise a debugger (``supported_features`` or
``debugger: true``) get a ``debug_request`` ``inspectVariables`` on control; the rest get
a clear "not supported". Answers are parsed as JSON only; nothing from the kernel is
evaluated here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs

from bridge.errors import BridgeError, KernelTimeout, RequestDropped
from bridge.kernels.kernel import Kernel
from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params

log = logging.getLogger(__name__)

VARIABLES_UNSUPPORTED = -32016
SUMMARY_CHARS = 200
MAX_VARIABLES = 1000
DEBUG_REPLY_WAIT = 5.0

# One expression (user_expressions take expressions, not statements). Its repr is JSON.
PYTHON_EXPRESSION = """(lambda ns, reprlib=__import__('reprlib'), json=__import__('json'), types=__import__('types'): \
type('KBVars', (), {'__repr__': (lambda r: lambda self: r)(json.dumps([dict(
    name=k, type=type(v).__name__, summary=(lambda rp: (setattr(rp, 'maxstring', %(chars)d), \
setattr(rp, 'maxother', %(chars)d), setattr(rp, 'maxlong', 60), rp.repr(v))[-1])(reprlib.Repr()),
    size=(len(v) if isinstance(v, (str, bytes, list, tuple, dict, set, frozenset)) else None),
    shape=(list(v.shape) if type(v).__module__.split('.')[0] in ('numpy', 'pandas') \
and isinstance(getattr(v, 'shape', None), tuple) else None))
    for k, v in list(ns.items())[:%(max)d]
    if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython')
    and not isinstance(v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))
], default=str))})())(globals())""" % {"chars": SUMMARY_CHARS, "max": MAX_VARIABLES}


class VariablesUnsupported(BridgeError):
    CODE = VARIABLES_UNSUPPORTED


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
        if language == "python":
            return await self._from_user_expressions(kernel)
        # protocol 5.5 lists features; earlier kernels set ``debugger: true``
        if info.get("debugger") is True or "debugger" in (info.get("supported_features") or []):
            found = await self._from_debugger(kernel)
            if found is not None:
                return found
        raise VariablesUnsupported(
            f"listing variables is not supported by this kernel ({info.get('implementation', 'unknown')}, "
            f"language {language or 'unknown'}): it has no debugger and is not a Python kernel"
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
            out.append({"name": var["name"], "type": str(var.get("type", "")), "summary": _clip(str(var.get("value", "")))})
        return out

    async def _from_user_expressions(self, kernel: Kernel) -> list[dict[str, Any]]:
        content = {
            "code": "",
            "silent": True,
            "store_history": False,
            "user_expressions": {"kb": PYTHON_EXPRESSION},
            "allow_stdin": False,
            "stop_on_error": False,
        }
        reply = await kernel.connection.request("shell", "execute_request", content)
        result = reply.content.get("user_expressions", {}).get("kb", {})
        if result.get("status") != "ok":
            raise VariablesUnsupported(f"the kernel could not list its variables: {result.get('ename', '')} {result.get('evalue', '')}")
        try:
            entries = json.loads(result["data"]["text/plain"])
        except (KeyError, TypeError, ValueError):
            raise VariablesUnsupported("the kernel's variable listing was not JSON") from None
        out = []
        for entry in entries if isinstance(entries, list) else []:
            item = {"name": entry.get("name"), "type": entry.get("type"), "summary": _clip(str(entry.get("summary", "")))}
            for key in ("size", "shape"):
                if entry.get(key) is not None:
                    item[key] = entry[key]
            out.append(item)
        return out

    def register(self, server: Any) -> None:
        register_methods(server, {"jupyter/variables": self.variables})
