"""The sidecar's pure core: iopub → page events, the bounded history, the bounded queue
of each page. No kernel, no sockets."""

from __future__ import annotations

import json
from typing import Any

import trio

from bridge.sidecar.hub import EVENT_MAX_CHARS, History, SidecarHub, Subscriber, encode, event_from_iopub
from bridge.wire import Message


def iopub(
    msg_type: str, content: dict[str, Any], parent: str | None = "p1", session: str = "editor-session"
) -> Message:
    parent_header = {"msg_id": parent, "session": session} if parent else {}
    return Message(header={"msg_type": msg_type, "msg_id": "m"}, parent_header=parent_header, content=content)


def stream(text: str, parent: str = "p1", name: str = "stdout") -> Message:
    return iopub("stream", {"name": name, "text": text}, parent)


def display(data: dict[str, Any], parent: str = "p1", display_id: str | None = None) -> Message:
    transient = {"display_id": display_id} if display_id else {}
    return iopub("display_data", {"data": data, "metadata": {}, "transient": transient}, parent)


def replay(hub: SidecarHub) -> list[dict[str, Any]]:
    """What a page opened now is sent: hello, then the history."""
    return [json.loads(t) for t in hub.subscribe().take_batch(max_chars=1 << 30)]


def outputs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "output"]


def test_output_messages_become_events_with_their_request_and_origin() -> None:
    event = event_from_iopub(stream("hi\n"), "other")
    assert event == {
        "type": "output",
        "msgType": "stream",
        "parentId": "p1",
        "session": "editor-s",
        "content": {"name": "stdout", "text": "hi\n"},
        "origin": "other",
    }


def test_status_becomes_a_state_and_other_messages_are_not_shown() -> None:
    status = event_from_iopub(iopub("status", {"execution_state": "busy"}))
    assert status == {"type": "status", "executionState": "busy", "parentId": "p1"}
    assert event_from_iopub(iopub("comm_msg", {"comm_id": "c", "data": {}})) is None
    assert event_from_iopub(iopub("shutdown_reply", {})) is None


def test_a_page_opened_late_gets_hello_then_the_history_in_order() -> None:
    hub = SidecarHub("python3 · k1", kernel_id="k1")
    hub.publish_iopub(iopub("execute_input", {"code": "1", "execution_count": 1}))
    hub.publish_iopub(display({"text/plain": "x"}))
    hub.publish_iopub(iopub("status", {"execution_state": "idle"}))
    events = replay(hub)
    assert events[0] == {
        "type": "hello",
        "label": "python3 · k1",
        "kernelId": "k1",
        "executionState": "idle",
        "evicted": 0,
        "widgets": False,
    }
    assert [e["msgType"] for e in outputs(events)] == ["execute_input", "display_data"]


def test_history_is_bounded_by_count_and_counts_what_it_evicted() -> None:
    hub = SidecarHub("k", history=History(max_events=5))
    for n in range(12):
        hub.publish_iopub(display({"text/plain": str(n)}, parent=f"p{n}"))
    events = replay(hub)
    assert [e["content"]["data"]["text/plain"] for e in outputs(events)] == ["7", "8", "9", "10", "11"]
    assert events[0]["evicted"] == 7


def test_history_is_bounded_by_size() -> None:
    history = History(max_chars=10_000)
    hub = SidecarHub("k", history=history)
    for n in range(50):
        hub.publish_iopub(display({"image/png": "A" * 1000}, parent=f"p{n}"))
    assert history.chars <= 10_000
    assert 5 <= len(history) < 10


def test_an_output_too_large_is_replaced_by_a_note() -> None:
    hub = SidecarHub("k")
    page = hub.subscribe()
    hub.publish_iopub(display({"image/png": "A" * (EVENT_MAX_CHARS + 1), "text/plain": "fig"}))
    (event,) = outputs([json.loads(t) for t in page.take_batch()])
    assert event["msgType"] == "omitted" and event["content"]["mimeTypes"] == ["image/png", "text/plain"]
    assert hub.history.chars < 1000


def test_consecutive_stream_text_of_a_request_is_one_history_entry() -> None:
    hub = SidecarHub("k")
    for n in range(100):
        hub.publish_iopub(stream(f"{n}\n"))
    hub.publish_iopub(stream("oops\n", name="stderr"))
    hub.publish_iopub(stream("more\n", parent="p2"))
    events = outputs(replay(hub))
    assert [(e["parentId"], e["content"]["name"]) for e in events] == [
        ("p1", "stdout"),
        ("p1", "stderr"),
        ("p2", "stdout"),
    ]
    assert events[0]["content"]["text"] == "".join(f"{n}\n" for n in range(100))


def test_clear_output_drops_the_requests_earlier_outputs_from_history() -> None:
    hub = SidecarHub("k")
    hub.publish_iopub(iopub("execute_input", {"code": "loop()", "execution_count": 1}))
    hub.publish_iopub(stream("other request\n", parent="p0"))
    hub.publish_iopub(stream("step 1\n"))
    hub.publish_iopub(iopub("clear_output", {"wait": False}))
    hub.publish_iopub(stream("step 2\n"))
    events = outputs(replay(hub))
    assert [e["msgType"] for e in events] == ["execute_input", "stream", "stream"]
    assert [e["content"]["text"] for e in events[1:]] == ["other request\n", "step 2\n"]


def test_clear_output_wait_clears_at_the_next_output() -> None:
    hub = SidecarHub("k")
    hub.publish_iopub(stream("step 1\n"))
    hub.publish_iopub(iopub("clear_output", {"wait": True}))
    assert [e["content"]["text"] for e in outputs(replay(hub))] == ["step 1\n"]
    hub.publish_iopub(stream("step 2\n"))
    assert [e["content"]["text"] for e in outputs(replay(hub))] == ["step 2\n"]


def test_update_display_data_rewrites_the_display_in_history() -> None:
    hub = SidecarHub("k")
    hub.publish_iopub(display({"text/plain": "0%"}, display_id="bar"))
    for n in range(1, 101):
        hub.publish_iopub(
            iopub(
                "update_display_data",
                {"data": {"text/plain": f"{n}%"}, "metadata": {}, "transient": {"display_id": "bar"}},
                "p9",
            )
        )
    (event,) = outputs(replay(hub))
    assert event["msgType"] == "display_data" and event["content"]["data"] == {"text/plain": "100%"}


def test_live_pages_get_every_event_including_updates_and_clears() -> None:
    hub = SidecarHub("k")
    page = hub.subscribe()
    page.take_batch()  # hello
    hub.publish_iopub(display({"text/plain": "0%"}, display_id="bar"))
    hub.publish_iopub(
        iopub("update_display_data", {"data": {"text/plain": "1%"}, "metadata": {}, "transient": {"display_id": "bar"}})
    )
    hub.publish_iopub(iopub("clear_output", {"wait": True}))
    assert [json.loads(t)["msgType"] for t in page.take_batch()] == [
        "display_data",
        "update_display_data",
        "clear_output",
    ]


def test_a_slow_page_drops_its_oldest_events_and_is_told_how_many() -> None:
    page = Subscriber(max_events=10, max_chars=1 << 20)
    for n in range(25):
        page.push(encode({"type": "output", "n": n}))
    assert len(page) == 10
    batch = [json.loads(t) for t in page.take_batch()]
    assert batch[0] == {"type": "dropped", "count": 15}
    assert [e["n"] for e in batch[1:]] == list(range(15, 25))


def test_a_slow_page_is_bounded_by_size() -> None:
    page = Subscriber(max_events=1000, max_chars=10_000)
    for _ in range(100):
        page.push("x" * 1000)
    assert page.chars <= 10_000 and page.dropped == 90


def test_batches_are_bounded_but_never_empty() -> None:
    page = Subscriber()
    page.push("a" * 500)
    page.push("b" * 500)
    assert page.take_batch(max_chars=100) == ["a" * 500]
    assert page.take_batch(max_chars=100) == ["b" * 500]


async def test_next_batch_waits_for_an_event_and_ends_when_closed() -> None:
    hub = SidecarHub("k")
    page = hub.subscribe()
    assert json.loads((await page.next_batch())[0])["type"] == "hello"
    got: list[list[str]] = []

    async def reader() -> None:
        got.append(await page.next_batch())
        got.append(await page.next_batch())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        hub.publish_iopub(stream("x\n"))
        await trio.testing.wait_all_tasks_blocked()
        hub.unsubscribe(page)
    assert len(got[0]) == 1 and got[1] == []
    assert not hub.subscribers


def test_a_listener_never_raises_into_the_kernel_reader() -> None:
    hub = SidecarHub("k")
    bad = iopub("display_data", {"data": {"text/plain": float("nan")}})  # not JSON for a page
    hub.publish_iopub(bad)
    weird = Message(
        header={"msg_type": "stream", "msg_id": "m"}, parent_header={"session": 42}, content={"name": "stdout"}
    )
    hub.publish_iopub(weird)
    assert len(hub.history) == 1  # the second one, without a session prefix


def test_kernel_events_are_kept_for_late_pages() -> None:
    hub = SidecarHub("k")
    hub.kernel_event("restarted")
    hub.kernel_event("dead", reason="exit code -9")
    events = replay(hub)
    assert [e for e in events if e["type"] == "kernel"] == [
        {"type": "kernel", "event": "restarted"},
        {"type": "kernel", "event": "dead", "reason": "exit code -9"},
    ]
    assert events[0]["executionState"] == "dead"
