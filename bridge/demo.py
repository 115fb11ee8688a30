"""``kernel-bridge --demo CODE``: the editor's side of one round trip, printed."""

from __future__ import annotations

import json
import sys
from typing import Any

from bridge.client import spawn_bridge


def _show(direction: str, method: str, payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    if len(text) > 300:
        text = text[:300] + "…"
    print(f"{direction} {method} {text}", flush=True)


async def run_demo(code: str, kernel_name: str) -> int:
    async with spawn_bridge(stderr=sys.stderr) as client:
        init = await client.initialize()
        _show("<-", "initialize", {"serverInfo": init.get("serverInfo")})
        kernel = await client.request("jupyter/startKernel", {"kernelName": kernel_name})
        _show("<-", "jupyter/startKernel", kernel)
        _show("->", "jupyter/execute", {"code": code})
        seen = len(client.notifications)
        reply = await client.request("jupyter/execute", {"kernelId": kernel["kernelId"], "code": code})
        for note in client.notifications[seen:]:
            if note["method"] == "jupyter/output":
                p = note["params"]
                _show("<-", f"jupyter/output [{p['msgType']}]", p["content"])
        _show("<-", "jupyter/execute", reply)
        for note in client.notifications[seen:]:
            p = note["params"]
            if note["method"] == "jupyter/output" and p["msgType"] == "stream":
                sys.stdout.write(p["content"].get("text", ""))
            elif note["method"] == "jupyter/output" and p["msgType"] == "execute_result":
                print(p["content"]["data"].get("text/plain", ""))
            elif note["method"] == "jupyter/output" and p["msgType"] == "error":
                print("\n".join(p["content"].get("traceback", [])))
        await client.request("shutdown")
        await client.notify("exit")
        return 0 if reply.get("status") == "ok" else 1
