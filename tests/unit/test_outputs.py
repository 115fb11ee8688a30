"""The output sink over plain messages: coalescing, the cap, the spill file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.outputs import SPILL_SLICE, OutputSink, utf8_size
from bridge.wire import MessageFactory

factory = MessageFactory(session="s")


def stream(text: str, name: str = "stdout") -> Any:
    return factory.build("stream", {"name": name, "text": text})


def make(tmp_path: Path, limit: int = 1000, backlog: int = 0) -> tuple[OutputSink, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def emit(params: dict[str, Any]) -> int:
        sent.append(params)
        return len(str(params["content"]))

    sink = OutputSink(
        emit, base={"kernelId": "k", "requestId": 1}, backlog=lambda: backlog, spill_dir=tmp_path, limit=limit
    )
    return sink, sent


def test_streams_pass_straight_through_when_the_editor_keeps_up(tmp_path: Path) -> None:
    sink, sent = make(tmp_path)
    sink.deliver(stream("a\n"))
    sink.deliver(stream("b\n"))
    assert [p["content"]["text"] for p in sent] == ["a\n", "b\n"]
    assert sink.finish() is None


def test_streams_coalesce_while_the_editor_is_behind(tmp_path: Path) -> None:
    sink, sent = make(tmp_path, backlog=10**9)
    for i in range(100):
        sink.deliver(stream(f"{i}\n"))
    sink.deliver(stream("err\n", "stderr"))
    assert [p["content"]["name"] for p in sent] == ["stdout"]  # stderr waits for more or the end
    sink.finish()
    assert [p["content"]["text"] for p in sent] == ["".join(f"{i}\n" for i in range(100)), "err\n"]


def test_other_outputs_flush_pending_stream_first(tmp_path: Path) -> None:
    sink, sent = make(tmp_path, backlog=10**9)
    sink.deliver(stream("before\n"))
    sink.deliver(factory.build("display_data", {"data": {"text/plain": "x"}, "metadata": {}}))
    assert [p["msgType"] for p in sent] == ["stream", "display_data"]


def test_past_the_cap_the_head_is_sent_and_the_rest_is_kept_in_a_file(tmp_path: Path) -> None:
    sink, sent = make(tmp_path, limit=2000, backlog=10**9)
    lines = "".join(f"line {i}\n" for i in range(1000))
    sink.deliver(stream(lines))
    limit = sink.finish()
    shown = "".join(p["content"]["text"] for p in sent)
    assert shown and lines.startswith(shown) and shown.endswith("\n")
    assert limit is not None and limit["omittedBytes"] == len(lines) - len(shown)
    assert Path(limit["file"]).read_text() == lines  # the whole stream output


def test_non_stream_outputs_past_the_cap_are_counted(tmp_path: Path) -> None:
    sink, sent = make(tmp_path, limit=100)
    big = factory.build("display_data", {"data": {"text/plain": "x" * 500}, "metadata": {}})
    sink.deliver(big)
    limit = sink.finish()
    assert sent == [] and limit is not None and limit["omittedMessages"] == 1


def test_utf8_size_agrees_with_encoding_across_slice_boundaries() -> None:
    for text in ("", "ascii only", "é" * (SPILL_SLICE + 3), "a" * (SPILL_SLICE - 1) + "😀" * 5, "\udcff lone"):
        assert utf8_size(text) == len(text.encode("utf-8", "replace"))


def test_a_spill_larger_than_a_slice_is_written_whole(tmp_path: Path) -> None:
    sink, _ = make(tmp_path, limit=100)
    text = "".join(f"{i} ünïcode\n" for i in range(SPILL_SLICE // 8))  # ~1.4 slices
    sink.deliver(stream(text))
    limit = sink.finish()
    assert limit is not None and Path(limit["file"]).read_text(encoding="utf-8") == text
    assert limit["omittedBytes"] == len(text.encode("utf-8"))  # nothing fit under 100 bytes
