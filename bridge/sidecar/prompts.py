"""A kernel's open ``input()`` prompts, answered from the output page.

A stock LSP client has no way to ask the user for a line of text on the server's behalf
(``window/showMessageRequest`` offers buttons, not a text field). The output page can: it
shows each open prompt as an input field (a password prompt as a hidden one), and sends
back the answer over its WebSocket. Pure (no I/O): the bridge opens a prompt with a
callback, a page's answer calls it, and closing the prompt tells every page to remove it.

Events (docs/sidecar.md, "Page protocol"): ``input {id, prompt, password, parentId}`` and
``inputDone {id, answered}``. A page can only answer a prompt that is open, by its random
id; the answer is cut to ``MAX_ANSWER_CHARS``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 64 * 1024
MAX_OPEN = 16


@dataclass
class _Prompt:
    event: dict[str, Any]
    on_answer: Callable[[str], None]


class Prompts:
    def __init__(self) -> None:
        self._open: dict[str, _Prompt] = {}

    def open(
        self, prompt: str, password: bool, parent_id: str | None, on_answer: Callable[[str], None]
    ) -> dict[str, Any]:
        """A new prompt; returns its ``input`` event (for the pages)."""
        prompt_id = secrets.token_urlsafe(12)
        event = {"type": "input", "id": prompt_id, "prompt": prompt, "password": password, "parentId": parent_id}
        self._open[prompt_id] = _Prompt(event, on_answer)
        while len(self._open) > MAX_OPEN:  # a kernel asking in a loop with nobody answering
            self._open.pop(next(iter(self._open)))
        return event

    def close(self, prompt_id: str, answered: bool) -> dict[str, Any] | None:
        """The prompt is over (answered here or elsewhere, or interrupted): its
        ``inputDone`` event, or None if it was not open."""
        if self._open.pop(prompt_id, None) is None:
            return None
        return {"type": "inputDone", "id": prompt_id, "answered": answered}

    def answer(self, prompt_id: Any, value: Any) -> bool:
        """A page's answer: handed to the prompt's callback if that prompt is open."""
        if not isinstance(prompt_id, str) or not isinstance(value, str):
            return False
        prompt = self._open.get(prompt_id)
        if prompt is None:
            return False
        try:
            prompt.on_answer(value[:MAX_ANSWER_CHARS])
        except Exception:
            log.exception("an input answer could not be delivered")
            return False
        return True

    def events(self) -> list[dict[str, Any]]:
        """The open prompts, for a page that connects now."""
        return [p.event for p in self._open.values()]
