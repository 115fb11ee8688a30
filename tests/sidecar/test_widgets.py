"""Widgets in the sidecar's pure core (bridge/sidecar/widgets.py, frames.py, the hub): which
comm messages reach pages, how a slow page's queue merges a model's updates without
reordering what matters, binary frames, and what a page may send. No kernel, no sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridge.outputs import widget_placeholder
from bridge.sidecar.frames import FrameError, decode_frame, encode_frame
from bridge.sidecar.hub import SidecarHub, Subscriber
from bridge.sidecar.widgets import PageCommInfo, PageCommMsg, PageMessageError, parse_page_message
from bridge.wire import Message


class NoLink:
    """A hub needs a link to the kernel to forward widget messages; these tests send nothing."""

    async def send_comm_msg(
        self, comm_id: str, data: dict[str, Any], metadata: dict[str, Any], buffers: list[bytes]
    ) -> str:
        raise AssertionError("not used")

    async def widget_comms(self) -> dict[str, Any]:
        raise AssertionError("not used")


def comm(
    msg_type: str,
    comm_id: str,
    data: dict[str, Any],
    *,
    target: str | None = None,
    buffers: list[bytes] | None = None,
    parent: str = "p1",
) -> Message:
    content: dict[str, Any] = {"comm_id": comm_id, "data": data}
    if target is not None:
        content["target_name"] = target
    return Message(
        header={"msg_type": msg_type, "msg_id": f"m-{comm_id}"},
        parent_header={"msg_id": parent, "session": "s"},
        metadata={"version": "2.1.0"} if msg_type == "comm_open" else {},
        content=content,
        buffers=buffers or [],
    )


def update(comm_id: str, parent: str = "p1", **state: Any) -> Message:
    return comm("comm_msg", comm_id, {"method": "update", "state": state, "buffer_paths": []}, parent=parent)


def stream(text: str) -> Message:
    return Message(
        header={"msg_type": "stream", "msg_id": "s"},
        parent_header={"msg_id": "p1", "session": "s"},
        content={"name": "stdout", "text": text},
    )


def hub_with_page(**queue: Any) -> tuple[SidecarHub, Subscriber]:
    hub = SidecarHub("python3 · k1", kernel_id="k1", link=NoLink(), **queue)
    page = hub.subscribe()
    page.take_batch()  # hello
    return hub, page


def events(page: Subscriber) -> list[dict[str, Any]]:
    """The page's queued events; binary frames decoded, their buffers under ``_buffers``."""
    out = []
    for frame in page.take_batch(max_chars=1 << 30):
        if isinstance(frame, bytes):
            header, buffers = decode_frame(frame)
            out.append({**header, "_buffers": buffers})
        else:
            out.append(json.loads(frame))
    return out


def open_widget(hub: SidecarHub, comm_id: str, **state: Any) -> None:
    hub.publish_iopub(comm("comm_open", comm_id, {"state": state, "buffer_paths": []}, target="jupyter.widget"))


def test_widget_comm_messages_reach_pages_and_other_comms_do_not() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "w1", value=1)
    hub.publish_iopub(comm("comm_open", "c9", {}, target="some.other.target"))
    hub.publish_iopub(update("w1", value=2))
    hub.publish_iopub(update("c9", value=2))
    hub.publish_iopub(update("never-opened", value=2))
    hub.publish_iopub(comm("comm_close", "w1", {}))
    hub.publish_iopub(update("w1", value=3))  # closed: no longer a widget
    seen = events(page)
    assert [(e["msgType"], e["commId"]) for e in seen] == [
        ("comm_open", "w1"),
        ("comm_msg", "w1"),
        ("comm_close", "w1"),
    ]
    assert seen[0]["targetName"] == "jupyter.widget" and seen[0]["metadata"] == {"version": "2.1.0"}
    assert seen[1]["data"]["state"] == {"value": 2} and seen[1]["parentId"] == "p1"


def test_without_a_link_to_the_kernel_pages_get_no_widget_messages() -> None:
    hub = SidecarHub("standalone")
    page = hub.subscribe()
    assert json.loads(page.take_batch()[0])["widgets"] is False
    hub.publish_iopub(comm("comm_open", "w1", {"state": {}}, target="jupyter.widget"))
    assert len(page) == 0


def test_comm_traffic_is_live_only_not_in_the_history() -> None:
    hub, _ = hub_with_page()
    open_widget(hub, "w1", value=1)
    hub.publish_iopub(update("w1", value=2))
    assert len(hub.history) == 0


def test_a_slow_pages_updates_merge_per_model_latest_value_wins() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "bar", value=0)
    open_widget(hub, "label", value="")
    for i in range(1, 1001):  # a progress bar: its value and its label, a thousand times
        hub.publish_iopub(update("bar", value=i))
        hub.publish_iopub(update("label", value=f"{i}/1000", description="steps"))
    seen = events(page)
    assert [(e["msgType"], e["commId"]) for e in seen] == [
        ("comm_open", "bar"),
        ("comm_open", "label"),
        ("comm_msg", "bar"),
        ("comm_msg", "label"),
    ]
    assert seen[2]["data"]["state"] == {"value": 1000}
    assert seen[3]["data"]["state"] == {"value": "1000/1000", "description": "steps"}
    assert page.merged == 1998


def test_keys_set_earlier_survive_a_merge() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "w", value=0)
    hub.publish_iopub(update("w", value=1, description="a"))
    hub.publish_iopub(update("w", value=2))
    (*_, merged) = events(page)
    assert merged["data"]["state"] == {"value": 2, "description": "a"}


def test_updates_do_not_merge_across_an_output_or_another_kind_of_message() -> None:
    # an Output widget: its msg_id must change before the outputs it captures, and back after
    hub, page = hub_with_page()
    open_widget(hub, "out", msg_id="")
    hub.publish_iopub(update("out", msg_id="run-1"))
    hub.publish_iopub(stream("captured\n"))
    hub.publish_iopub(update("out", msg_id=""))
    hub.publish_iopub(comm("comm_msg", "out", {"method": "echo_update", "state": {"msg_id": "x"}, "buffer_paths": []}))
    hub.publish_iopub(update("out", msg_id="run-2"))
    kinds = [(e["type"], e.get("data", {}).get("state")) for e in events(page)]
    assert kinds == [
        ("comm", {"msg_id": ""}),
        ("comm", {"msg_id": "run-1"}),
        ("output", None),
        ("comm", {"msg_id": ""}),
        ("comm", {"msg_id": "x"}),
        ("comm", {"msg_id": "run-2"}),
    ]
    assert page.merged == 0


def test_updates_of_different_requests_do_not_merge() -> None:
    # a page asked for the state (request_state): it knows the answer by its parent
    hub, page = hub_with_page()
    open_widget(hub, "w", value=0)
    hub.publish_iopub(update("w", parent="page-request", value=1, description="full state"))
    hub.publish_iopub(update("w", parent="background-thread", value=2))
    hub.publish_iopub(update("w", parent="background-thread", value=3))
    seen = [(e["parentId"], e["data"]["state"]) for e in events(page)[1:]]
    assert seen == [("page-request", {"value": 1, "description": "full state"}), ("background-thread", {"value": 3})]


def test_an_update_taken_by_the_page_merges_no_more() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "w", value=0)
    hub.publish_iopub(update("w", value=1))
    assert [e["data"]["state"] for e in events(page)[1:]] == [{"value": 1}]
    hub.publish_iopub(update("w", value=2))
    assert [e["data"]["state"] for e in events(page)] == [{"value": 2}]


def test_a_merge_keeps_the_buffers_of_keys_it_does_not_replace() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "img", value=b"")
    hub.publish_iopub(
        comm(
            "comm_msg",
            "img",
            {"method": "update", "state": {"width": "10"}, "buffer_paths": [["value"]]},
            buffers=[b"first"],
        )
    )
    hub.publish_iopub(
        comm(
            "comm_msg",
            "img",
            {"method": "update", "state": {"width": "20"}, "buffer_paths": [["other"]]},
            buffers=[b"second"],
        )
    )
    hub.publish_iopub(
        comm("comm_msg", "img", {"method": "update", "state": {}, "buffer_paths": [["value"]]}, buffers=[b"third"])
    )
    (*_, merged) = events(page)
    assert merged["data"]["state"] == {"width": "20"}
    assert merged["data"]["buffer_paths"] == [["other"], ["value"]]
    assert merged["_buffers"] == [b"second", b"third"]


def test_messages_with_buffers_are_binary_frames() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "img")
    hub.publish_iopub(comm("comm_msg", "img", {"method": "custom", "content": {"x": 1}}, buffers=[b"\x00\x01", b""]))
    hub.publish_iopub(stream("after\n"))
    frames = page.take_batch()
    assert isinstance(frames[1], bytes) and isinstance(frames[2], str)
    header, buffers = decode_frame(frames[1])
    assert header["data"] == {"method": "custom", "content": {"x": 1}} and buffers == [b"\x00\x01", b""]


def test_a_restart_forgets_the_kernels_widgets() -> None:
    hub, page = hub_with_page()
    open_widget(hub, "w")
    hub.kernel_event("restarted")
    hub.publish_iopub(update("w", value=1))
    assert [e["type"] for e in events(page)] == ["comm", "kernel"]
    assert "w" not in hub.widget_comms


def test_a_page_queue_stays_bounded_with_updates_in_it() -> None:
    hub, page = hub_with_page(queue_max_events=10)
    for i in range(30):
        open_widget(hub, f"w{i}", value=0)  # opens are never merged
        hub.publish_iopub(update(f"w{i}", value=1))
    assert len(page) == 10 and page.dropped == 50
    seen = events(page)
    assert seen[0] == {"type": "dropped", "count": 50} and len(seen) == 11


# -- binary frames ---------------------------------------------------------------------------


def test_frames_round_trip() -> None:
    frame = encode_frame({"type": "comm", "text": "é"}, [b"abc", b"", bytes(range(256))])
    header, buffers = decode_frame(frame)
    assert header == {"type": "comm", "text": "é"} and buffers == [b"abc", b"", bytes(range(256))]


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00\x00",
        b"\x00\x00\x00\x09{}",
        b"\x00\x00\x00\x02{}",
        b'\x00\x00\x00\x0e{"buffers":[3]}ab',
        b"\x00\x00\x00\x01x",
    ],
)
def test_malformed_frames_are_refused(frame: bytes) -> None:
    with pytest.raises(FrameError):
        decode_frame(frame)


# -- what pages send -------------------------------------------------------------------------


def test_a_page_comm_msg_with_buffers() -> None:
    frame = encode_frame({"type": "comm_msg", "ref": "p1", "commId": "w", "data": {"method": "update"}}, [b"xy"])
    assert parse_page_message(None, frame) == PageCommMsg("p1", "w", {"method": "update"}, {}, [b"xy"])
    assert parse_page_message('{"type": "comm_info", "ref": "p2"}', None) == PageCommInfo("p2")


@pytest.mark.parametrize(
    ("text", "ref", "names"),
    [
        ("not json", None, "not a page message"),
        ("[1]", None, "JSON object"),
        ('{"type": "comm_msg", "commId": "w", "data": {}}', None, "ref"),
        ('{"type": "execute_request", "ref": "p1"}', "p1", "type"),
        ('{"type": "comm_open", "ref": "p1"}', "p1", "type"),
        ('{"type": "comm_msg", "ref": "p1", "data": {}}', "p1", "commId"),
        ('{"type": "comm_msg", "ref": "p1", "commId": "w", "data": []}', "p1", "data"),
        ('{"type": "comm_msg", "ref": "p1", "commId": "w", "data": {}, "metadata": 3}', "p1", "metadata"),
    ],
)
def test_what_a_page_may_not_send_is_refused_naming_the_field(text: str, ref: str | None, names: str) -> None:
    with pytest.raises(PageMessageError) as info:
        parse_page_message(text, None)
    assert info.value.ref == ref and names in str(info.value)


# -- editors without a page --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repr_text", "line"),
    [
        ("IntSlider(value=3)", "[IntSlider widget: "),
        ("interactive(children=(IntSlider(value=5, description='x', max=10), Output()))", "[interact widget: "),
        ("  0%|          | 0/1000 [00:00<?, ?it/s]", "[widget: "),  # tqdm's bar
        (["HBox(children=", "(...))"], "[HBox widget: "),
    ],
)
def test_an_editor_gets_one_line_pointing_to_the_page_instead_of_a_widgets_repr(repr_text: Any, line: str) -> None:
    view = {"version_major": 2, "version_minor": 0, "model_id": "abc"}
    content = {"data": {"text/plain": repr_text, "application/vnd.jupyter.widget-view+json": view}, "metadata": {}}
    text = widget_placeholder(content)["data"]["text/plain"]
    assert text.startswith(line) and "\n" not in text and ":JupyterSidecar" in text and "jupyter/openSidecar" in text
    assert widget_placeholder(content)["data"]["application/vnd.jupyter.widget-view+json"] == view
    plain = {"data": {"text/plain": "IntSlider(value=3)"}, "metadata": {}}
    assert widget_placeholder(plain) is plain
