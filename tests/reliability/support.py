"""What the reliability tests share: a bridge on real pipes driven synchronously (so that
hypothesis can feed one bridge thousands of cases), its stderr kept for failure messages,
and the checks on processes every test kind shares (tests/support/processes.py)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tests.support.client import HANG_GUARD, BridgeGone, RpcError, bridge_command, outputs_since
from tests.support.client import BlockingClient as Editor
from tests.support.processes import cpu_seconds, kill_if_alive, pid_alive, rss_bytes, wait_dead

__all__ = [
    "HANG_GUARD",
    "BridgeGone",
    "Editor",
    "RpcError",
    "bridge",
    "cpu_seconds",
    "kernel_pid",
    "kill_if_alive",
    "outputs_since",
    "pid_alive",
    "rss_bytes",
    "stderr_tail",
    "wait_dead",
    "wait_status",
]


@contextmanager
def bridge(
    args: Sequence[str] = (), *, env: dict[str, str] | None = None, initialize: bool = True, **init: Any
) -> Iterator[Editor]:
    """A ``kernel-bridge`` subprocess (stderr kept in a temp file, see ``stderr_tail``);
    closed (stdin EOF, bounded wait, then kill) on exit."""
    with tempfile.NamedTemporaryFile(prefix="kb-stderr-", suffix=".log", delete=False) as err:
        path = err.name
    with open(path, "wb") as err:
        editor = Editor([*bridge_command(), *args], env=env, stderr=err)
    editor.stderr_path = path  # type: ignore[attr-defined]
    try:
        if initialize:
            editor.initialize(**init)
        yield editor
    finally:
        editor.close()
        os.unlink(path)


def stderr_tail(editor: Editor, lines: int = 40) -> str:
    path = getattr(editor, "stderr_path", None)
    if path is None:
        return "(stderr not kept)"
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def stderr_text(editor: Editor) -> str:
    with open(editor.stderr_path, "rb") as f:  # type: ignore[attr-defined]
        return f.read().decode("utf-8", "replace")


def kernel_pid(editor: Editor, kernel_id: str) -> int:
    start = len(editor.notifications)
    reply = editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "import os; os.getpid()"})
    assert reply["status"] == "ok", reply
    (result,) = [o for o in outputs_since(editor, start) if o["msgType"] == "execute_result"]
    return int(result["content"]["data"]["text/plain"])


def wait_status(
    editor: Editor, kernel_id: str, state: str, start: int = 0, timeout: float = HANG_GUARD
) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def seen() -> bool:
        for n in editor.notifications[start:]:
            p = n["params"] if n["method"] == "jupyter/status" else None
            if p and p["kernelId"] == kernel_id and p["executionState"] == state:
                found.append(p)
                return True
        return False

    editor.wait(seen, timeout=timeout, what=f"jupyter/status {state} for {kernel_id}")
    return found[0]
