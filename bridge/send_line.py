"""Senders that had to wait, kept in call order.

A kernel answers a channel's requests in the order it receives them, and the session
takes a reply to a later request as proof that an earlier one was dropped
(kernels/session.py). So messages must leave in the order they were sent, also when a
sender has to wait: for room under a zmq high-water mark, for a WebSocket being
reconnected. Waking every waiter at once would let them go in any order (trio makes no
promise about the order within a batch), and a newcomer could overtake them all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio


class SendLine:
    """A FIFO of waiting senders; the head goes, then hands over to the next."""

    def __init__(self) -> None:
        self._line: deque[trio.Event] = deque()

    def __bool__(self) -> bool:
        """Someone is waiting: a new sender must join the line, not try at once."""
        return bool(self._line)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait until every sender that joined before has left the line (sent, failed or
        cancelled); leaving hands the turn to the next."""
        turn = trio.Event()
        if not self._line:
            turn.set()
        self._line.append(turn)
        try:
            await turn.wait()
            yield
        finally:
            head = self._line[0] is turn
            self._line.remove(turn)
            if head and self._line:
                self._line[0].set()

    def release_all(self) -> None:
        """Let every waiter go now (the socket closed: each finds out and fails)."""
        for turn in self._line:
            turn.set()
