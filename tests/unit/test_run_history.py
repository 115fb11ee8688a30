"""The run history behind ``jupyter/exportNotebook`` (bridge/server/run_history.py): what
a run keeps of its iopub messages, and the bounds. No kernel: messages built here."""

from __future__ import annotations

from typing import Any

from bridge.outputs import rough_size
from bridge.server.run_history import RunHistories, RunHistory
from bridge.wire import Message

_seq = 0


def msg(msg_type: str, **content: Any) -> Message:
    global _seq
    _seq += 1
    return Message(header={"msg_id": f"m{_seq}", "msg_type": msg_type}, content=content)


def stream(text: str, name: str = "stdout") -> Message:
    return msg("stream", name=name, text=text)


def contents(history: RunHistory) -> list[list[tuple[str, dict[str, Any]]]]:
    return [[(o.msg_type, o.as_content()) for o in run.outputs] for run in history.runs]


def test_a_run_keeps_its_count_outputs_and_status_merging_consecutive_streams() -> None:
    history = RunHistory()
    run = history.begin("print('a'); 1", "file:///a.py", limit=10_000)
    run.record(msg("status", execution_state="busy"))
    run.record(msg("execute_input", code="print('a'); 1", execution_count=3))
    for m in (stream("a"), stream("b\n"), stream("oops\n", "stderr"), stream("c\n")):
        run.record(m)
    run.record(msg("execute_result", data={"text/plain": "1"}, metadata={}, execution_count=3))
    assert run.execution_count == 3 and run.status == "running"
    run.finish({"status": "ok", "execution_count": 3})
    assert run.status == "ok" and run.uri == "file:///a.py"
    assert contents(history) == [
        [
            ("stream", {"name": "stdout", "text": "ab\n"}),
            ("stream", {"name": "stderr", "text": "oops\n"}),
            ("stream", {"name": "stdout", "text": "c\n"}),
            ("execute_result", {"data": {"text/plain": "1"}, "metadata": {}, "execution_count": 3}),
        ]
    ]


def test_a_run_without_a_reply_is_failed() -> None:
    run = RunHistory().begin("import os; os._exit(1)", None, limit=10_000)
    run.finish(None)
    assert run.status == "failed" and run.reply is None


def test_clear_output_empties_the_run_now_or_before_its_next_output() -> None:
    history = RunHistory()
    run = history.begin("…", None, limit=10_000)
    run.record(stream("old\n"))
    run.record(msg("clear_output", wait=False))
    run.record(stream("mid\n"))
    run.record(msg("clear_output", wait=True))
    assert contents(history) == [[("stream", {"name": "stdout", "text": "mid\n"})]]
    run.record(stream("new\n"))
    assert contents(history) == [[("stream", {"name": "stdout", "text": "new\n"})]]
    assert history.bytes == run.size == len("…".encode()) + len("new\n")


def test_update_display_data_changes_the_display_where_it_was_made() -> None:
    history = RunHistory()
    shown = msg("display_data", data={"text/plain": "v1"}, metadata={}, transient={"display_id": "d"})
    first = history.begin("h = display(..., display_id=True)", None, limit=10_000)
    first.record(shown)
    second = history.begin("h.update(...)", None, limit=10_000)
    second.record(
        msg("update_display_data", data={"text/plain": "v2 longer"}, metadata={"m": 1}, transient={"display_id": "d"})
    )
    second.record(msg("update_display_data", data={"text/plain": "?"}, metadata={}, transient={"display_id": "other"}))
    assert contents(history) == [
        [
            (
                "display_data",
                {"data": {"text/plain": "v2 longer"}, "metadata": {"m": 1}, "transient": {"display_id": "d"}},
            )
        ],
        [],
    ]
    assert shown.content["data"] == {"text/plain": "v1"}  # the kernel's message is not changed
    assert history.bytes == first.size + second.size


def test_a_run_keeps_the_head_of_its_output_up_to_the_limit_and_counts_the_rest() -> None:
    run = RunHistory().begin("flood", None, limit=100)
    run.record(stream("".join(f"{i}\n" for i in range(30))))  # 80 bytes
    run.record(stream("".join(f"{i}\n" for i in range(30, 40))))  # 30 bytes: 20 fit, cut at a newline
    run.record(msg("display_data", data={"text/plain": "x"}, metadata={}))
    text = run.outputs[0].as_content()["text"]
    assert text == "".join(f"{i}\n" for i in range(36))
    assert run.output_bytes == len(text) <= 100
    assert run.omitted_messages == 2
    assert run.omitted_bytes == (110 - len(text)) + rough_size({"data": {"text/plain": "x"}, "metadata": {}})


def test_a_kernel_keeps_its_newest_runs_within_the_bounds_and_counts_the_dropped() -> None:
    history = RunHistory(max_runs=3, max_bytes=1000)
    for i in range(5):
        history.begin(f"run {i}", None, limit=10_000)
    assert [r.code for r in history.runs] == ["run 2", "run 3", "run 4"] and history.dropped == 2
    big = history.begin("big", None, limit=10_000)
    big.record(stream("x" * 996))
    # the run being recorded stays; older ones go to make room
    assert [r.code for r in history.runs] == ["big"] and history.dropped == 5
    assert history.bytes == big.size == 999


def test_histories_forget_kernels_that_are_gone() -> None:
    live = {"k1", "k2"}
    histories = RunHistories(lambda: live)
    histories.begin("k1", "a", None, 100)
    histories.begin("k2", "b", None, 100)
    live.discard("k1")
    histories.begin("k2", "c", None, 100)
    assert list(histories.get("k1").runs) == []
    assert [r.code for r in histories.get("k2").runs] == ["b", "c"]
