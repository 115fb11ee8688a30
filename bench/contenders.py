"""The clients compared, each able to run a timed block of one operation against the
same kernel: the raw pyzmq floor, jupyter_client's blocking and asyncio clients, and an
editor driving ``kernel-bridge`` over real pipes (through the ``jupyter/`` methods and
through LSP).

Only one client is connected to the kernel at a time (``open`` before its block,
``close`` after): iopub is broadcast, and a second subscriber would make one client pay
for the other's traffic.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.raw import RawClient, load_connection_file
from bridge.blocking_client import BlockingClient as Editor
from tests.support.processes import cpu_seconds

# One document for the LSP requests; the jupyter/ methods and the baselines send the very
# same code and cursor positions (code points), so every client asks the kernel the same.
DOC_URI = "file:///bench/doc.py"
DOC_TEXT = "import os\nos.path.jo\nprint"
COMPLETE_POS = len("import os\nos.path.jo")  # end of line 1
INSPECT_POS = len("import os\nos.path.jo\npri")  # inside "print" on line 2
LSP_COMPLETE = {"line": 1, "character": len("os.path.jo")}
LSP_HOVER = {"line": 2, "character": 3}

OPS = ("execute", "complete", "inspect")


class Contender:
    name = "?"
    ops: tuple[str, ...] = OPS

    def open(self, connection_file: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def call(self, op: str, arg: str) -> None:
        raise NotImplementedError

    def cpu(self) -> float:
        """CPU seconds this client has cost so far (a counter: take differences)."""
        return time.process_time()

    def block(self, op: str, arg: str, n: int) -> list[float]:
        durations = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.call(op, arg)
            durations.append(time.perf_counter() - t0)
        return durations


class Raw(Contender):
    name = "raw pyzmq"

    def __init__(self) -> None:
        self.client: RawClient | None = None

    def open(self, connection_file: str) -> None:
        self.client = RawClient(load_connection_file(connection_file))
        self.client.wait_ready()

    def close(self) -> None:
        assert self.client is not None
        self.client.close()
        self.client = None

    def call(self, op: str, arg: str) -> None:
        c = self.client
        assert c is not None
        if op == "execute":
            reply, _ = c.execute(arg)
        elif op == "complete":
            reply, _ = c.request("complete_request", {"code": DOC_TEXT, "cursor_pos": COMPLETE_POS})
        elif op == "inspect":
            reply, _ = c.request("inspect_request", {"code": DOC_TEXT, "cursor_pos": INSPECT_POS, "detail_level": 0})
        else:
            raise ValueError(op)
        assert reply["content"]["status"] == "ok", reply["content"]


def _wait_idle_and_reply_blocking(kc: Any, msg_id: str, timeout: float = 60) -> dict[str, Any]:
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


class Blocking(Contender):
    name = "BlockingKernelClient"

    def __init__(self) -> None:
        self.kc: Any = None

    def open(self, connection_file: str) -> None:
        from jupyter_client.blocking.client import BlockingKernelClient

        self.kc = BlockingKernelClient(connection_file=connection_file)
        self.kc.load_connection_file()
        self.kc.start_channels(hb=False)
        self.kc.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.kc.stop_channels()
        self.kc = None

    def call(self, op: str, arg: str) -> None:
        kc = self.kc
        if op == "execute":
            msg_id = kc.execute(arg)
        elif op == "complete":
            msg_id = kc.complete(DOC_TEXT, COMPLETE_POS)
        elif op == "inspect":
            msg_id = kc.inspect(DOC_TEXT, INSPECT_POS, 0)
        else:
            raise ValueError(op)
        reply = _wait_idle_and_reply_blocking(kc, msg_id)
        assert reply["content"]["status"] == "ok", reply["content"]


class Async(Contender):
    name = "AsyncKernelClient"

    def __init__(self) -> None:
        self.kc: Any = None
        self.loop = asyncio.new_event_loop()

    def open(self, connection_file: str) -> None:
        from jupyter_client.asynchronous.client import AsyncKernelClient

        async def start() -> Any:
            kc = AsyncKernelClient(connection_file=connection_file)
            kc.load_connection_file()
            kc.start_channels(hb=False)
            await kc.wait_for_ready(timeout=60)
            return kc

        self.kc = self.loop.run_until_complete(start())

    def close(self) -> None:
        self.kc.stop_channels()
        self.kc = None

    async def _call(self, op: str, arg: str) -> None:
        kc = self.kc
        if op == "execute":
            msg_id = kc.execute(arg)
        elif op == "complete":
            msg_id = kc.complete(DOC_TEXT, COMPLETE_POS)
        elif op == "inspect":
            msg_id = kc.inspect(DOC_TEXT, INSPECT_POS, 0)
        else:
            raise ValueError(op)
        while True:
            msg = await kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    break
        while True:
            reply = await kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", reply["content"]

    def call(self, op: str, arg: str) -> None:
        self.loop.run_until_complete(self._call(op, arg))

    def block(self, op: str, arg: str, n: int) -> list[float]:
        async def run() -> list[float]:  # time inside the loop: no run_until_complete per call
            durations = []
            for _ in range(n):
                t0 = time.perf_counter()
                await self._call(op, arg)
                durations.append(time.perf_counter() - t0)
            return durations

        return self.loop.run_until_complete(run())


class Bridge(Contender):
    """An editor on the installed ``kernel-bridge``: ``jupyter/connectKernel`` to the
    benchmark's kernel, then ``jupyter/*`` requests (``lsp=False``) or
    ``textDocument/completion`` and ``hover`` on a document bound to it (``lsp=True``).
    Times run from the request written to the response read, every ``jupyter/output``
    before it parsed."""

    def __init__(self, editor: Editor, *, lsp: bool = False) -> None:
        self.editor = editor
        self.lsp = lsp
        self.name = "bridge (LSP)" if lsp else "bridge (jupyter/)"
        self.kernel_id: str | None = None
        self._opened = False

    def open(self, connection_file: str) -> None:
        params: dict[str, Any] = {"connectionFile": connection_file}
        if self.lsp:
            params["uri"] = DOC_URI
        self.kernel_id = self.editor.request("jupyter/connectKernel", params)["kernelId"]
        if self.lsp and not self._opened:
            self.editor.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": DOC_URI, "languageId": "python", "version": 1, "text": DOC_TEXT}},
            )
            self._opened = True

    def close(self) -> None:
        self.editor.request("jupyter/shutdownKernel", {"kernelId": self.kernel_id})  # attached: detaches only
        self.kernel_id = None
        self.editor.notifications.clear()

    def cpu(self) -> float:
        return cpu_seconds(self.editor.pid)

    def call(self, op: str, arg: str) -> None:
        ed = self.editor
        kid = self.kernel_id
        if op == "execute":
            result = ed.request("jupyter/execute", {"kernelId": kid, "code": arg})
            assert result["status"] == "ok", result
        elif op == "complete" and self.lsp:
            result = ed.request("textDocument/completion", {"textDocument": {"uri": DOC_URI}, "position": LSP_COMPLETE})
            assert result["items"], result
        elif op == "inspect" and self.lsp:
            result = ed.request("textDocument/hover", {"textDocument": {"uri": DOC_URI}, "position": LSP_HOVER})
            assert result is not None
        elif op == "complete":
            result = ed.request("jupyter/complete", {"kernelId": kid, "code": DOC_TEXT, "cursorPos": COMPLETE_POS})
            assert result["status"] == "ok", result
        elif op == "inspect":
            result = ed.request(
                "jupyter/inspect", {"kernelId": kid, "code": DOC_TEXT, "cursorPos": INSPECT_POS, "detailLevel": 0}
            )
            assert result["status"] == "ok", result
        else:
            raise ValueError(op)
        if len(ed.notifications) > 10_000:
            ed.notifications.clear()
