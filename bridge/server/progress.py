"""A run as LSP work-done progress: "Running cell · lines 3–5 · 12 s", cancellable.

Every LSP client shows server-initiated progress (``window/workDoneProgress/create``, then
``$/progress`` begin/report/end) somewhere — a spinner, the status line, a notification —
and most let the user cancel it. Cancelling (``window/workDoneProgress/cancel``) does what
``$/cancelRequest`` does to an execute: the kernel is interrupted, and the run ends with
the kernel's own reply. pygls keeps cancellable tokens in ``protocol.progress.tokens`` and
cancels the token's future on a cancel; the future's callback calls ours.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from bridge.server import client_caps
from bridge.server.annotations import RunRecord
from bridge.server.context import Bridge
from bridge.server.run_output import hint_label

log = logging.getLogger(__name__)

REPORT_EVERY = 1.0  # seconds between "· 12 s" updates
_tokens = itertools.count(1)


class RunProgress:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def supported(self) -> bool:
        return client_caps.work_done_progress(self.bridge.protocol)

    async def follow(self, record: RunRecord, done: trio.Event, cancel: Callable[[], None]) -> None:
        """Show ``record`` as progress until ``done``; a cancel from the editor calls
        ``cancel`` (an interrupt). Returns at once if the editor does not do progress."""
        if not self.supported():
            return
        protocol = self.bridge.protocol
        token = f"kernel-bridge-run-{next(_tokens)}"
        try:
            await protocol.request_editor(
                types.WINDOW_WORK_DONE_PROGRESS_CREATE, types.WorkDoneProgressCreateParams(token=token)
            )
        except JsonRpcException as exc:
            log.info("the editor refused a progress token: %s", exc)
            return
        cancelled: Future[None] = Future()
        cancelled.add_done_callback(lambda f: cancel() if f.cancelled() else None)
        protocol.progress.tokens[token] = cancelled
        title = f"Running {record.what}"
        try:
            self._send(token, {"kind": "begin", "title": title, "message": record.lines, "cancellable": True})
            while not done.is_set():
                with trio.move_on_after(REPORT_EVERY):
                    await done.wait()
                if not done.is_set():
                    seconds = trio.current_time() - record.started
                    self._send(
                        token, {"kind": "report", "message": f"{record.lines} · {seconds:.0f} s", "cancellable": True}
                    )
        finally:
            protocol.progress.tokens.pop(token, None)
            limit = self.bridge.settings.inlay_hint_max_length
            self._send(token, {"kind": "end", "message": hint_label(record.output, record.result, limit)})

    def _send(self, token: str, value: dict[str, Any]) -> None:
        self.bridge.protocol.notify_fast("$/progress", {"token": token, "value": value})
