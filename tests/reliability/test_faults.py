"""Faults, further than tests/integration goes: kernels killed or stopped with every kind
of request pending, bridges ending with busy and stopped kernels, editors that close a
pipe mid-stream or write 10,000 requests without reading, 100 executes at once.

Times are never asserted here (the machine is shared): the waits are hang guards; the
measured times are in bench/RESULTS.md (``python -m bench --only faults,bridge-end``).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bridge.server.framing import frame
from tests.reliability.support import (
    HANG_GUARD,
    Editor,
    RpcError,
    bridge,
    kernel_pid,
    kill_if_alive,
    outputs_since,
    pid_alive,
    stderr_tail,
    wait_dead,
    wait_status,
)

DIED = -32011


@pytest.fixture
def editor() -> Iterator[Editor]:
    with bridge(capabilities={"experimental": {"jupyterInput": True}}) as ed:
        yield ed


def start(editor: Editor) -> tuple[str, int]:
    kernel_id = editor.request("jupyter/startKernel", {})["kernelId"]
    return kernel_id, kernel_pid(editor, kernel_id)


def fails_with(editor: Editor, msg_id: Any, code: int) -> RpcError:
    with pytest.raises(RpcError) as info:
        editor.result(msg_id)
    assert info.value.code == code, info.value
    return info.value


def test_sigkill_mid_execute_fails_every_kind_of_pending_request(editor: Editor) -> None:
    kernel_id, pid = start(editor)
    mark = len(editor.notifications)
    prompts = len(editor.server_requests)
    running = editor.request_nowait(
        "jupyter/execute",
        {"kernelId": kernel_id, "code": "print('before the kill', flush=True)\nimport time; time.sleep(600)"},
    )
    editor.wait(
        lambda: any(o["msgType"] == "stream" for o in outputs_since(editor, mark, running)), what="the first output"
    )
    pending = [
        running,
        editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "print('queued')"}),
        editor.request_nowait("jupyter/complete", {"kernelId": kernel_id, "code": "pri"}),
        editor.request_nowait("jupyter/inspect", {"kernelId": kernel_id, "code": "print"}),
        editor.request_nowait("jupyter/kernelInfo", {"kernelId": kernel_id}),
        editor.request_nowait("jupyter/isComplete", {"kernelId": kernel_id, "code": "x"}),
    ]
    os.kill(pid, signal.SIGKILL)
    for msg_id in pending:
        assert "exit code -9" in fails_with(editor, msg_id, DIED).message
    dead = wait_status(editor, kernel_id, "dead", mark)
    assert dead["exitCode"] == -9
    assert [o["content"]["text"] for o in outputs_since(editor, mark) if o["msgType"] == "stream"] == [
        "before the kill\n"
    ]
    assert len(editor.server_requests) == prompts  # no jupyter/input was involved
    # a dead kernel refuses new work at once, then restarts under the same id
    fails_with(editor, editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "1"}), DIED)
    assert editor.request("jupyter/restartKernel", {"kernelId": kernel_id})["kernelId"] == kernel_id
    assert editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "1+1"})["status"] == "ok"


def test_sigkill_with_an_input_prompt_open_withdraws_the_prompt(editor: Editor) -> None:
    kernel_id, pid = start(editor)
    asked = len(editor.server_requests)
    msg_id = editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "input('name? ')"})
    editor.wait(lambda: len(editor.server_requests) > asked, what="the jupyter/input prompt")
    prompt = editor.server_requests[-1]
    assert prompt["method"] == "jupyter/input"
    mark = len(editor.notifications)
    os.kill(pid, signal.SIGKILL)
    fails_with(editor, msg_id, DIED)
    editor.wait(
        lambda: any(
            n["method"] == "$/cancelRequest" and n["params"]["id"] == prompt["id"] for n in editor.notifications[mark:]
        ),
        what="$/cancelRequest for the prompt",
    )
    # a late answer from the editor is harmless
    editor.send({"jsonrpc": "2.0", "id": prompt["id"], "result": {"value": "too late"}})
    assert editor.request("jupyter/listKernels")[0]["executionState"] == "dead"


def test_sigkill_mid_flood(editor: Editor) -> None:
    kernel_id, pid = start(editor)
    mark = len(editor.notifications)
    flood = editor.request_nowait(
        "jupyter/execute", {"kernelId": kernel_id, "code": "i = 0\nwhile True:\n    print(i); i += 1"}
    )
    editor.wait(lambda: len(outputs_since(editor, mark, flood)) >= 3, what="a few outputs")
    os.kill(pid, signal.SIGKILL)
    fails_with(editor, flood, DIED)
    wait_status(editor, kernel_id, "dead", mark)
    text = "".join(o["content"]["text"] for o in outputs_since(editor, mark, flood))
    lines = text.splitlines()
    assert lines[:-1] == [str(i) for i in range(len(lines) - 1)]  # in order, nothing lost before the kill
    assert editor.request("jupyter/restartKernel", {"kernelId": kernel_id})["kernelId"] == kernel_id


def test_a_stopped_kernel_fails_its_pending_requests_and_restarts(editor: Editor) -> None:
    kernel_id, pid = start(editor)
    mark = len(editor.notifications)
    try:
        os.kill(pid, signal.SIGSTOP)
        pending = editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "1+1"})
        dead = wait_status(editor, kernel_id, "dead", mark)
        assert "heartbeat" in dead["reason"]
        fails_with(editor, pending, DIED)
        editor.request("jupyter/restartKernel", {"kernelId": kernel_id})
        assert wait_dead(pid), "the stopped kernel survived its restart"
        assert editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "1+1"})["status"] == "ok"
    finally:
        kill_if_alive(pid)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "stdin EOF"])
def test_no_kernel_survives_the_bridge_idle_busy_or_stopped(how: str) -> None:
    """Three kernels: idle, busy in a loop, and SIGSTOPped (it cannot even handle SIGTERM)."""
    with bridge() as editor:
        kernels = [start(editor) for _ in range(3)]
        pids = [pid for _, pid in kernels]
        try:
            editor.request_nowait("jupyter/execute", {"kernelId": kernels[1][0], "code": "while True: pass"})
            os.kill(pids[2], signal.SIGSTOP)
            time.sleep(0.2)
            if how == "stdin EOF":
                editor.close_stdin()
            else:
                editor.process.send_signal(getattr(signal, how))
            for pid in pids:
                assert wait_dead(pid), f"kernel {pid} outlived a bridge ended by {how}"
            assert editor.process.wait(timeout=HANG_GUARD) in ((0,) if how != "SIGKILL" else (-9,))
        finally:
            for pid in pids:
                kill_if_alive(pid)


def test_editor_closing_stdin_mid_flood_ends_the_bridge_and_its_kernel() -> None:
    with bridge() as editor:
        kernel_id, pid = start(editor)
        mark = len(editor.notifications)
        editor.request_nowait(
            "jupyter/execute", {"kernelId": kernel_id, "code": "i = 0\nwhile True:\n    print(i); i += 1"}
        )
        editor.wait(lambda: len(outputs_since(editor, mark)) >= 3, what="the flood")
        editor.close_stdin()
        editor.read_to_eof()
        assert editor.process.wait(timeout=HANG_GUARD) == 0, stderr_tail(editor)
        assert wait_dead(pid)


def test_editor_closing_its_end_of_stdout_mid_flood_does_not_kill_the_bridge() -> None:
    """The editor stops reading for good (closes the pipe): the bridge drops its output
    (EPIPE, not SIGPIPE), keeps its kernel, and ends normally when stdin closes."""
    with bridge() as editor:
        kernel_id, pid = start(editor)
        mark = len(editor.notifications)
        editor.request_nowait(
            "jupyter/execute", {"kernelId": kernel_id, "code": "for i in range(3_000_000):\n    print(i)"}
        )
        editor.wait(lambda: len(outputs_since(editor, mark)) >= 3, what="the flood")
        assert editor.process.stdout is not None
        editor.process.stdout.close()
        editor.eof = True
        time.sleep(1.0)
        assert editor.process.poll() is None, "the bridge died when the editor closed its stdout"
        assert pid_alive(pid)
        editor.send({"jsonrpc": "2.0", "id": 1, "method": "jupyter/listKernels"}, read=False)  # still read and served
        editor.close_stdin()
        assert editor.process.wait(timeout=HANG_GUARD) == 0, stderr_tail(editor)
        assert wait_dead(pid)


def test_10000_requests_written_without_reading_are_all_answered(editor: Editor) -> None:
    """Stock pygls stops reading stdin once its stdout pipe is full (bench: "stuck editor");
    the bridge keeps reading, queues the answers, and sends them all once the editor reads.
    A kernel flood runs meanwhile, so outputs pile up too."""
    kernel_id, _ = start(editor)
    flood = editor.request_nowait(
        "jupyter/execute", {"kernelId": kernel_id, "code": "for i in range(100_000):\n    print(i)"}, read=False
    )
    ids = list(range(1_000_000, 1_010_000))
    blob = b"".join(
        frame(json.dumps({"jsonrpc": "2.0", "id": i, "method": "jupyter/listKernels"}).encode()) for i in ids
    )
    editor.send_raw(blob, read=False, timeout=HANG_GUARD)  # TimeoutError if the bridge stopped reading
    editor.wait(
        lambda: all(i in editor.responses for i in ids) and flood in editor.responses, what="all 10,001 answers"
    )
    assert all(editor.responses[i]["result"][0]["kernelId"] == kernel_id for i in ids)
    assert editor.result(flood)["status"] == "ok"
    text = "".join(o["content"]["text"] for o in editor.outputs(flood) if o["msgType"] == "stream")
    assert text == "".join(f"{i}\n" for i in range(100_000))


def test_100_concurrent_executes(editor: Editor) -> None:
    kernel_id, _ = start(editor)
    mark = len(editor.notifications)
    ids = [
        editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": f"print({n}); {n} * 2"})
        for n in range(100)
    ]
    editor.wait(lambda: all(i in editor.responses for i in ids), what="100 replies")
    counts = []
    for n, msg_id in enumerate(ids):
        result = editor.result(msg_id)
        assert result["status"] == "ok", result
        counts.append(result["executionCount"])
        outs = outputs_since(editor, mark, msg_id)
        # (print() may reach the kernel's stdout in two writes, hence two stream messages)
        assert "".join(o["content"]["text"] for o in outs if o["msgType"] == "stream") == f"{n}\n", outs
        assert [o["content"]["data"]["text/plain"] for o in outs if o["msgType"] == "execute_result"] == [str(n * 2)], (
            outs
        )
        assert outs[-1]["msgType"] == "execute_result"
    assert counts == sorted(counts) and len(set(counts)) == 100  # run in the order sent
    assert not [o for o in outputs_since(editor, mark) if o["requestId"] is None]


def test_4000_pipelined_executes_all_come_back_ok(editor: Editor) -> None:
    """Under a backlog ipykernel's shell replies trail its iopub idle by seconds: none of
    them may be taken for a dropped request, and each result still precedes its reply.
    4,000 sent at once wedge ipykernel 7 (88 answered, then nothing): past
    ``MAX_IN_FLIGHT`` the bridge holds requests back, in order, until replies make room."""
    kernel_id, _ = start(editor)
    mark = len(editor.notifications)
    n = 4000
    ids = [editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": f"{i} * 2"}) for i in range(n)]
    editor.wait(lambda: all(i in editor.responses for i in ids), timeout=600, what=f"{n} replies")  # a hang guard only
    errors = [editor.responses[i]["error"] for i in ids if "error" in editor.responses[i]]
    assert errors == []
    assert [editor.result(i)["status"] for i in ids] == ["ok"] * n
    result_at: dict[Any, int] = {}
    for index, note in enumerate(editor.notifications[mark:], start=mark):
        params = note["params"]
        if note["method"] == "jupyter/output" and params["msgType"] == "execute_result":
            result_at[params["requestId"]] = index
    missing = [i for i, msg_id in enumerate(ids) if msg_id not in result_at]
    assert missing == [], f"{len(missing)} executes have no execute_result"
    for i, msg_id in enumerate(ids):
        assert result_at[msg_id] < editor.notifications_before[msg_id], f"execute {i}'s result came after its reply"
    assert not [o for o in outputs_since(editor, mark) if o["requestId"] is None]


def test_cancelling_many_queued_executes_leaves_the_kernel_usable(editor: Editor) -> None:
    kernel_id, _ = start(editor)
    ids = [
        editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "import time; time.sleep(0.05)"})
        for _ in range(30)
    ]
    for msg_id in ids[1:]:
        editor.notify("$/cancelRequest", {"id": msg_id})
    outcomes = []
    for msg_id in ids:
        try:
            outcomes.append(editor.result(msg_id, timeout=20)["status"])  # answers take milliseconds
        except RpcError as exc:
            outcomes.append(exc.code)
    assert set(outcomes) <= {"ok", "error", "aborted", -32800}, outcomes
    after = editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "1+1"})
    assert after["status"] == "ok", (after, outcomes)


def test_an_execute_cancelled_on_arrival_gets_the_kernels_reply(editor: Editor) -> None:
    kernel_id, _ = start(editor)
    first, second = 901, 902
    editor.send_raw(
        b"".join(
            frame(json.dumps(m).encode())
            for m in (
                {
                    "jsonrpc": "2.0",
                    "id": first,
                    "method": "jupyter/execute",
                    "params": {"kernelId": kernel_id, "code": "import time; time.sleep(0.5)"},
                },
                {
                    "jsonrpc": "2.0",
                    "id": second,
                    "method": "jupyter/execute",
                    "params": {"kernelId": kernel_id, "code": "import time; time.sleep(30)"},
                },
                {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": second}},
            )
        )
    )
    assert editor.result(first)["status"] == "ok"
    try:
        assert editor.result(second)["status"] in ("error", "aborted")
    except RpcError as exc:  # the interrupt landed in ipykernel's dispatch code: it dropped the request
        assert exc.code == -32800 and "before it ran the code" in exc.message
