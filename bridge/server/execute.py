"""``jupyter/execute``: an editor request becomes an execute_request; its iopub outputs
become ``jupyter/output`` notifications, all sent before the reply (see
KernelConnection.request(wait_idle=True) for how "all" is bounded)."""

from __future__ import annotations

from typing import Any

import attrs

from bridge.server.context import Bridge, register_methods
from bridge.server.params import parse_params
from bridge.wire import Message

OUTPUT_TYPES = frozenset(
    {"stream", "display_data", "update_display_data", "execute_result", "error", "clear_output"}
)


@attrs.define
class ExecuteParams:
    kernel_id: str
    code: str
    silent: bool = False
    store_history: bool = True
    stop_on_error: bool = True
    user_expressions: dict[str, Any] | None = None


def output_params(kernel_id: str, request_id: Any, msg: Message) -> dict[str, Any]:
    return {
        "kernelId": kernel_id,
        "requestId": request_id,
        "msgId": msg.msg_id,
        "msgType": msg.msg_type,
        "content": msg.content,
    }


class Execute:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def execute(self, params: Any) -> dict[str, Any]:
        p = parse_params(ExecuteParams, params)
        kernel = self.bridge.registry.get(p.kernel_id)
        request_id = self.bridge.request_id
        notify = self.bridge.notify

        def on_iopub(msg: Message) -> None:
            if msg.msg_type in OUTPUT_TYPES:
                notify("jupyter/output", output_params(kernel.kernel_id, request_id, msg))

        reply = await kernel.connection.request(
            "shell",
            "execute_request",
            {
                "code": p.code,
                "silent": p.silent,
                "store_history": p.store_history,
                "user_expressions": p.user_expressions or {},
                "allow_stdin": False,
                "stop_on_error": p.stop_on_error,
            },
            on_iopub=on_iopub,
            wait_idle=True,
        )
        return execute_result(reply.content)

    def register(self, server: Any) -> None:
        register_methods(server, {"jupyter/execute": self.execute})


def execute_result(content: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"status": content.get("status", "error"), "executionCount": content.get("execution_count")}
    if result["status"] == "error":
        result["ename"] = content.get("ename", "")
        result["evalue"] = content.get("evalue", "")
        result["traceback"] = content.get("traceback", [])
    if "user_expressions" in content and content["user_expressions"]:
        result["userExpressions"] = content["user_expressions"]
    return result


def foreign_output(bridge: Bridge, kernel: Any, msg: Message) -> None:
    """iopub traffic we did not ask for (another client of the kernel, or a late message
    of ours) still reaches the editor, with ``requestId: null``: nothing is lost."""
    if msg.msg_type in OUTPUT_TYPES or msg.msg_type == "execute_input":
        params = output_params(kernel.kernel_id, None, msg)
        params["origin"] = "self" if msg.parent_header.get("session") == kernel.connection.factory.session else "other"
        bridge.notify("jupyter/output", params)
