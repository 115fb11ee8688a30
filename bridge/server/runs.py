"""Runs from a document, as a stock LSP client starts them (code actions, code lenses).

One place puts together what such a run needs and a stock client cannot do itself: a
kernel for the document (server/autostart.py), its output page open so that ``input()``
can be answered there (server/page_input.py), the run's result pinned to its last line
(server/annotations.py: inlay hint and hover), work-done progress that interrupts when
cancelled (server/progress.py), and ``workspace/inlayHint/refresh`` when it starts and
ends. An editor with an adapter (``experimental.jupyterOutput``) gets none of the display
parts: it shows ``jupyter/output`` itself.

Runs from one document reach the kernel in the order the editor asked for them, even
when the first one waits for the kernel to start (a fair lock per document, held until
the execute_request is sent).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import trio
from lsprotocol import types

from bridge.errors import BridgeError, unwrap_group
from bridge.kernels.connection import Pending
from bridge.kernels.kernel import Kernel
from bridge.server import client_caps
from bridge.server.annotations import Annotations, RunRecord
from bridge.server.autostart import AutoStart
from bridge.server.context import Bridge
from bridge.server.execute import Execute, ExecuteParams
from bridge.server.page_input import PageInput
from bridge.server.params import Line, RunId
from bridge.server.progress import RunProgress
from bridge.wire import Message

log = logging.getLogger(__name__)


class _Hooks:
    """execute.RunHooks for one run: collects its output, knows how to cancel it."""

    def __init__(self, record: RunRecord | None, ask: Callable[[Message], Awaitable[str | None]] | None) -> None:
        self.record = record
        self.ask = ask
        self.cancel: Callable[[], None] = lambda: None
        self.on_sent: Callable[[], None] = lambda: None

    def sent(self, pending: Pending) -> None:
        self.on_sent()

    def output(self, msg: Message) -> None:
        if self.record is not None:
            self.record.output.add(msg.msg_type, msg.content)

    def cancel_with(self, cancel: Callable[[], None]) -> None:
        self.cancel = cancel


class _Outcome:
    def __init__(self) -> None:
        self.done = trio.Event()
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None

    def unwrap(self) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class DocumentRuns:
    def __init__(
        self, bridge: Bridge, execute: Execute, autostart: AutoStart, annotations: Annotations, sidecar: Any
    ) -> None:
        self.bridge = bridge
        self.execute = execute
        self.autostart = autostart
        self.annotations = annotations
        self.sidecar = sidecar
        self.page_input = PageInput(bridge, sidecar)
        self.progress = RunProgress(bridge)
        self._order: dict[str, trio.Lock] = {}
        self.last_kernel_id: str | None = None  # for kernel commands sent without a document
        self._refreshing = False
        self._refresh_again = False

    @property
    def shows_results(self) -> bool:
        """The bridge shows results itself (no adapter declared ``jupyterOutput``)."""
        return not self.bridge.settings.jupyter_output

    async def run(
        self,
        uri: str,
        code: str,
        first_line: int,
        last_line: int,
        what: str,
        *,
        wait: bool,
        run_id: RunId | None = None,
    ) -> dict[str, Any]:
        """Run ``code`` (document lines ``first_line``..``last_line``) on the document's
        kernel, starting one if needed. ``wait``: return the ExecuteResult; else return
        ``{kernelId}`` once the code is on its way (the result shows in the document).
        ``run_id``: the editor's name for the run (``jupyter.runCell``'s third argument)."""
        order = self._order.setdefault(uri, trio.Lock())
        outcome = _Outcome()
        async with order:
            kernel = await self.autostart.kernel_for(uri)
            self.last_kernel_id = kernel.kernel_id
            record: RunRecord | None = None
            ask: Callable[[Message], Awaitable[str | None]] | None = None
            allow_stdin = self.bridge.settings.jupyter_input
            if self.shows_results:
                url = await self.page_url(kernel)
                record = RunRecord(uri, first_line, last_line, what, kernel.kernel_id, page_url=url)
                if url is not None and not allow_stdin:
                    allow_stdin = True  # input() is answered on the output page
                    ask = partial(self.page_input.ask, kernel, url)
            hooks = _Hooks(record, ask)
            params = ExecuteParams(
                code=code, uri=uri, first_line=Line(first_line), allow_stdin=allow_stdin, run_id=run_id
            )
            request_id = self.bridge.request_id
            await self.bridge.protocol.nursery.start(
                self._execute, kernel, params, request_id, hooks, outcome, not wait
            )
        if wait:
            await outcome.done.wait()
            return outcome.unwrap()
        return {"kernelId": kernel.kernel_id}

    async def _execute(
        self,
        kernel: Kernel,
        params: ExecuteParams,
        request_id: Any,
        hooks: _Hooks,
        outcome: _Outcome,
        tell: bool,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        record = hooks.record
        done = trio.Event()
        started = False

        def sent() -> None:
            nonlocal started
            started = True
            task_status.started()

        hooks.on_sent = sent
        try:
            async with trio.open_nursery() as nursery:
                if record is not None:
                    self.annotations.add_run(record)
                    self.refresh_hints()
                    nursery.start_soon(self.progress.follow, record, done, lambda: hooks.cancel())
                try:
                    outcome.result = await self.execute.run(kernel, params, request_id, hooks)
                finally:
                    if record is not None:
                        record.finish(outcome.result or _failure(None))
                    done.set()
        except BaseException as group:
            exc = unwrap_group(group)
            if record is not None and isinstance(exc, Exception):
                record.finish(_failure(exc))
            if not started or not isinstance(exc, Exception):
                raise exc from None  # before sending: the command answers with it
            outcome.error = exc
            message = exc.message if isinstance(exc, BridgeError) else repr(exc)
            log.info("run from %s failed: %s", params.uri, message)
            if tell:  # nobody waits for the command's answer: say it
                self.page_input.show_message(f"kernel-bridge: the run failed: {message}")
        finally:
            outcome.done.set()
            if record is not None:
                self.refresh_hints()

    async def page_url(self, kernel: Kernel) -> str | None:
        """The kernel's output page, opened on its first run: its history then holds the
        outputs a hover links to, and ``input()`` is answered there. None if it cannot
        be served (input() then raises in the kernel, as for any client without input)."""
        if importlib.util.find_spec("hypercorn") is None:
            return None
        try:
            return str((await self.sidecar.open({"kernelId": kernel.kernel_id}))["url"])
        except BridgeError as exc:
            log.warning("no output page for kernel %s: %s", kernel.kernel_id, exc.message)
            return None

    def refresh_hints(self) -> None:
        """``workspace/inlayHint/refresh``, if the editor takes it; one at a time."""
        if not client_caps.inlay_hint_refresh(self.bridge.protocol):
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True

        async def refresh() -> None:
            try:
                while True:
                    self._refresh_again = False
                    try:
                        await self.bridge.protocol.request_editor(types.WORKSPACE_INLAY_HINT_REFRESH, None)
                    except Exception as exc:  # an editor's error answer: nothing to do about it
                        log.debug("inlay hint refresh: %s", exc)
                    if not self._refresh_again:
                        return
            finally:
                self._refreshing = False

        self.bridge.protocol.nursery.start_soon(refresh)


def _failure(exc: BaseException | None) -> dict[str, Any]:
    if exc is None:
        return {"status": "failed", "message": "the run did not finish"}
    message = exc.message if isinstance(exc, BridgeError) else str(exc) or type(exc).__name__
    return {"status": "failed", "message": message}
