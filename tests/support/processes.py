"""Process checks from ``/proc``: alive or gone, waiting for an end, CPU and memory.

One rule for "alive": a pid is alive while ``/proc/PID/stat`` exists and its state is
neither ``Z`` (zombie) nor ``X`` (dead). A zombie runs no code and holds no sockets or
files; only its parent's ``wait()`` is missing, and that parent is often one we do not
control (a kernel's reaper, a Jupyter server), so "the kernel is gone" must not wait for
it. ``os.kill(pid, 0)`` is not used: it succeeds on zombies.

Pids are reused, so check only pids whose process is known to have been alive moments
before (a kernel the test just asked for its pid, say).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import trio

from bridge.blocking_client import HANG_GUARD

__all__ = [
    "HANG_GUARD",
    "cpu_seconds",
    "kill_if_alive",
    "pid_alive",
    "reset_peak_rss",
    "rss_bytes",
    "wait_dead",
    "wait_dead_async",
    "wait_until",
]

POLL = 0.02  # seconds between checks: an exit gives no event we could wait on


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (the module's rule)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def wait_dead(pid: int, limit: float = HANG_GUARD) -> bool:
    """Blocking: True once ``pid`` is gone, False if it still runs after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


async def wait_dead_async(pid: int, limit: float = HANG_GUARD) -> bool:
    """``wait_dead`` for trio tests."""
    with trio.move_on_after(limit):
        while pid_alive(pid):
            await trio.sleep(POLL)
        return True
    return False


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Polls ``predicate``; the timeout only stops a hang, it asserts nothing on speed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kill_if_alive(pid: int) -> None:
    if pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) of a live process, from /proc, in seconds.

    ``/proc/PID/task/*/schedstat`` counts nanoseconds on the CPU per thread (precise);
    ``/proc/PID/stat`` only clock ticks. Threads that already exited are in neither, so
    read it while the process runs.
    """
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1e9


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak since start or since ``reset_peak_rss``)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no {field} for pid {pid}")


def reset_peak_rss(pid: int) -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
