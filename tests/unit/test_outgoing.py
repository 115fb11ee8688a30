"""The editor-bound byte queue on a real pipe: written at once while the pipe takes it,
queued (in order) once it does not, never blocking the writer."""

from __future__ import annotations

import os

import trio
import trio.testing

from bridge.server.protocol import DIRECT_WRITE_MAX, OutgoingQueue


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


async def test_writes_go_out_in_order_whether_direct_or_queued() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    queue = OutgoingQueue()
    stream = trio.lowlevel.FdStream(write_fd)
    expected = []
    received = bytearray()
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(queue.pump, stream)
            await trio.testing.wait_all_tasks_blocked()
            small = [f"message {i};".encode() for i in range(100)]
            for data in small:
                queue.write(data)
            assert queue.pending_bytes == 0  # the pipe took them at once: nothing queued
            expected += small
            # fill the pipe without reading: what does not fit is queued, and later small
            # writes queue behind it instead of overtaking it
            big = b"x" * (4 * DIRECT_WRITE_MAX)
            for i in range(8):
                queue.write(big)
                queue.write(f"after {i};".encode())
                expected += [big, f"after {i};".encode()]
            assert queue.pending_bytes > 0
            with trio.fail_after(30):  # a hang guard
                while len(received) < sum(map(len, expected)):
                    received += _drain(read_fd)
                    await trio.sleep(0.01)
            queue.close()
    finally:
        await stream.aclose()
        os.close(read_fd)
    assert bytes(received) == b"".join(expected)
    assert queue.pending_bytes == 0
