"""``input()`` for an editor that cannot answer ``jupyter/input``: the output page asks.

LSP has no request for "type a line of text": ``window/showMessageRequest`` only offers
buttons. So the prompt appears on the kernel's output page (the sidecar) as an input
field, and the editor is told with ``window/showMessageRequest`` ("The kernel asks: who?"
— Answer in browser / Interrupt), so that a run never waits silently. "Answer in
browser" opens the page (``window/showDocument``, external); "Interrupt" interrupts the
kernel, and ``input()`` raises KeyboardInterrupt. An interrupt from anywhere withdraws the
prompt from the page and the question from the editor.
"""

from __future__ import annotations

import logging

import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from bridge.errors import BridgeError
from bridge.kernels.kernel import Kernel
from bridge.server import client_caps
from bridge.server.context import Bridge
from bridge.wire import Message

log = logging.getLogger(__name__)

ANSWER_IN_BROWSER = "Answer in browser"
INTERRUPT = "Interrupt"


class PageInput:
    def __init__(self, bridge: Bridge, sidecar: object) -> None:
        self.bridge = bridge
        self.sidecar = sidecar  # server/sidecar.py: hub_for(kernelId)

    async def ask(self, kernel: Kernel, url: str, msg: Message) -> str | None:
        """The answer typed into the page; None if the prompt could not be shown (the
        kernel is then interrupted: input() raises KeyboardInterrupt, it never hangs)."""
        prompt = str(msg.content.get("prompt", ""))
        password = bool(msg.content.get("password", False))
        hub = self.sidecar.hub_for(kernel.kernel_id)  # type: ignore[attr-defined]
        if hub is None:
            self.show_message("kernel-bridge: the kernel asks for input, but its output page is gone; interrupting it")
            await self._interrupt(kernel)
            return None
        answers: list[str] = []
        got = trio.Event()

        def on_answer(value: str) -> None:
            if not got.is_set():
                answers.append(value)
                got.set()

        prompt_id = hub.ask(prompt, password, msg.parent_id, on_answer)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._tell_user, kernel, url, prompt, password)
                await got.wait()
                nursery.cancel_scope.cancel()  # withdraws the question ($/cancelRequest)
        finally:
            hub.close_prompt(prompt_id, got.is_set())
        return answers[0]

    async def _tell_user(self, kernel: Kernel, url: str, prompt: str, password: bool) -> None:
        asks = "The kernel asks for a password" if password else "The kernel asks"
        question = prompt.strip() or "input()"
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=f"{asks}: {question} — answer it on the output page",
            actions=[types.MessageActionItem(title=ANSWER_IN_BROWSER), types.MessageActionItem(title=INTERRUPT)],
        )
        try:
            choice = await self.bridge.protocol.request_editor(types.WINDOW_SHOW_MESSAGE_REQUEST, params)
        except JsonRpcException as exc:
            log.info("the editor did not show the input question (%s); the page has the prompt", exc)
            self.show_message(f"kernel-bridge: {asks}: {question} — answer it on the output page: {url}")
            return
        title = choice.get("title") if isinstance(choice, dict) else None
        if title == ANSWER_IN_BROWSER:
            await self.show_page(url)
        elif title == INTERRUPT:
            await self._interrupt(kernel)

    async def show_page(self, url: str) -> bool:
        """Open ``url`` in the user's browser through the editor; else say where it is."""
        if client_caps.show_document(self.bridge.protocol):
            try:
                shown = await self.bridge.protocol.request_editor(
                    types.WINDOW_SHOW_DOCUMENT, types.ShowDocumentParams(uri=url, external=True, take_focus=True)
                )
                if isinstance(shown, dict) and shown.get("success") is True:
                    return True
            except JsonRpcException as exc:
                log.info("the editor could not open the output page: %s", exc)
        self.show_message(f"kernel-bridge: the output page is {url}", types.MessageType.Info)
        return False

    async def _interrupt(self, kernel: Kernel) -> None:
        try:
            await kernel.interrupt()
        except BridgeError as exc:
            self.show_message(f"kernel-bridge: could not interrupt the kernel: {exc.message}")

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.bridge.protocol.notify(types.WINDOW_SHOW_MESSAGE, types.ShowMessageParams(type=kind, message=message))
