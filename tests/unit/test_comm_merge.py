"""Comm notifications held for an editor that is behind (bridge/server/comm_relay.py): widget
updates merged (the latest value of each key wins, buffers follow their keys, only plain
updates merge), and the rest bounded (past the limit, what a widget library can do without
is left out, and the editor is told)."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any, cast

from bridge.kernels.kernel import Kernel
from bridge.outputs import COALESCE_HIGH_WATER
from bridge.server.comm_relay import CommRelay, is_state_update, merge_updates
from bridge.server.protocol import OutgoingQueue
from bridge.wire import Message


def update(
    state: dict[str, Any], paths: list[list[str]] | None = None, buffers: list[str] | None = None, **ids: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"method": "update", "state": state}
    if paths is not None:
        data["buffer_paths"] = paths
    return {
        "kernelId": "k",
        "msgType": "comm_msg",
        "commId": "c",
        "msgId": ids.get("msg_id", "m1"),
        "parentId": "p",
        "data": data,
        "metadata": {},
        "buffers": buffers or [],
    }


def test_the_later_value_of_each_key_wins_and_other_keys_stay() -> None:
    merged = merge_updates(update({"value": 1, "max": 10}), update({"value": 2}, msg_id="m2"))
    assert merged["data"]["state"] == {"max": 10, "value": 2}
    assert merged["msgId"] == "m2"


def test_buffers_follow_their_keys() -> None:
    earlier = update({"value": 1}, [["image"], ["mask"]], ["QQ==", "Qg=="])
    later = update({}, [["image"]], ["Qw=="])
    merged = merge_updates(earlier, later)
    assert merged["data"]["buffer_paths"] == [["mask"], ["image"]]
    assert merged["buffers"] == ["Qg==", "Qw=="]
    assert merged["data"]["state"] == {"value": 1}


def test_a_key_set_in_state_drops_its_earlier_buffer() -> None:
    merged = merge_updates(update({}, [["image"]], ["QQ=="]), update({"image": None}))
    assert "buffer_paths" not in merged["data"] and merged["buffers"] == []
    assert merged["data"]["state"] == {"image": None}


def test_only_plain_updates_merge() -> None:
    assert is_state_update(update({"value": 1}))
    echo = update({"value": 1})
    echo["data"]["method"] = "echo_update"
    assert not is_state_update(echo)
    custom = update({})
    custom["data"] = {"method": "custom", "content": {}}
    assert not is_state_update(custom)
    assert not is_state_update({**update({"value": 1}), "msgType": "comm_open"})
    assert not is_state_update(update({}, [["image"]], []))  # buffers and paths disagree


# -- held for an editor that is behind, within a bound -------------------------------------


class Editor:
    """The outgoing queue as the relay sees it, and what it was sent."""

    def __init__(self) -> None:
        self.queue = OutgoingQueue()
        self.queue.pending_bytes = COALESCE_HIGH_WATER  # behind
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def notify(self, method: str, params: Any) -> int:
        self.sent.append((method, params))
        size = len(json.dumps(params))
        self.queue.pending_bytes += size
        return size

    def catch_up(self) -> None:
        self.queue.pending_bytes = 0
        for hook in list(self.queue.drain_hooks):
            hook()


def kernel(kernel_id: str = "k") -> Kernel:
    return cast(Kernel, SimpleNamespace(kernel_id=kernel_id))


def message(msg_type: str, comm_id: str, data: dict[str, Any], parent: str = "p") -> Message:
    content: dict[str, Any] = {"comm_id": comm_id, "data": data}
    if msg_type == "comm_open":
        content["target_name"] = "t"
    return Message(
        header={"msg_id": uuid.uuid4().hex, "msg_type": msg_type}, parent_header={"msg_id": parent}, content=content
    )


def custom(comm_id: str = "c", i: int = 0) -> Message:
    return message("comm_msg", comm_id, {"i": i, "pad": "x" * 1000})


def relay_for(editor: Editor, limit: int = 10_000) -> CommRelay:
    return CommRelay(editor.notify, lambda: editor.queue, limit=limit)


def test_past_the_limit_custom_messages_are_left_out_and_the_editor_is_told_once_per_kernel() -> None:
    editor = Editor()
    relay = relay_for(editor)
    for i in range(100):
        relay.comm(kernel(), custom("c", i))
        assert relay.held_bytes <= relay.limit
    relay.comm(kernel("other"), custom("d"))  # the bound is the bridge's: full for every kernel
    assert editor.sent == []
    editor.catch_up()
    kept = [p["data"]["i"] for m, p in editor.sent if m == "jupyter/comm"]
    assert kept == list(range(len(kept))) and 0 < len(kept) < 100  # a prefix, in order
    notices = [p for m, p in editor.sent if m == "jupyter/commLimit"]
    assert [(n["kernelId"], n["omittedMessages"], n["commIds"]) for n in notices] == [
        ("k", 100 - len(kept), ["c"]),
        ("other", 1, ["d"]),
    ]
    assert notices[0]["omittedBytes"] > 1000 * (100 - len(kept))
    assert [m for m, _ in editor.sent[-2:]] == ["jupyter/commLimit"] * 2  # after what was held
    assert relay.held_bytes == 0 and not editor.queue.drain_hooks


def test_once_one_is_left_out_so_are_the_kernels_next_ones_until_the_editor_catches_up() -> None:
    editor = Editor()
    relay = relay_for(editor, limit=2500)
    relay.comm(kernel(), custom("c", 0))
    relay.comm(kernel(), message("comm_msg", "c", {"i": 1, "pad": "x" * 5000}))  # does not fit
    relay.comm(kernel(), message("comm_msg", "c", {"i": 2}))  # would fit, but follows a gap
    editor.catch_up()
    assert [p["data"]["i"] for m, p in editor.sent if m == "jupyter/comm"] == [0]
    assert editor.sent[-1][1]["omittedMessages"] == 2
    editor.sent.clear()
    editor.queue.pending_bytes = COALESCE_HIGH_WATER
    relay.comm(kernel(), custom("c", 3))  # a new episode
    editor.catch_up()
    assert [m for m, _ in editor.sent] == ["jupyter/comm"]


def test_opens_closes_echoes_and_idles_are_never_left_out() -> None:
    editor = Editor()
    relay = relay_for(editor, limit=1500)
    relay.comm(kernel(), custom("c", 0))
    relay.comm(kernel(), custom("c", 1))  # left out
    relay.comm(kernel(), message("comm_open", "n", {"state": {}}))
    relay.comm(kernel(), message("comm_msg", "c", {"method": "echo_update", "state": {"value": 1}}))
    relay.idle(kernel(), message("status", "", {}, parent="mine"))
    relay.comm(kernel(), message("comm_close", "n", {}))
    editor.catch_up()
    assert [(m, p.get("msgType")) for m, p in editor.sent] == [
        ("jupyter/comm", "comm_msg"),
        ("jupyter/comm", "comm_open"),
        ("jupyter/comm", "comm_msg"),
        ("jupyter/commIdle", None),
        ("jupyter/comm", "comm_close"),
        ("jupyter/commLimit", None),
    ]
    assert editor.sent[2][1]["data"]["method"] == "echo_update"
    assert editor.sent[-1][1]["omittedMessages"] == 1


def test_updates_still_merge_past_the_limit_and_across_what_was_left_out() -> None:
    editor = Editor()
    relay = relay_for(editor, limit=1500)
    relay.comm(kernel(), message("comm_msg", "s", {"method": "update", "state": {"value": 0}}))
    for i in range(1, 50):
        relay.comm(kernel(), custom("c", i))  # all but the first left out
        relay.comm(kernel(), message("comm_msg", "s", {"method": "update", "state": {"value": i}}))
    editor.catch_up()
    updates = [p for m, p in editor.sent if m == "jupyter/comm" and p["commId"] == "s"]
    assert [u["data"]["state"]["value"] for u in updates] == [0, 49]  # the first custom one came between
    assert relay.merged == 48


def test_what_waits_goes_out_as_the_editor_reads_it_and_the_notice_last() -> None:
    editor = Editor()
    relay = relay_for(editor, limit=1024 * 1024)
    for i in range(2000):  # 2 MB: past the limit
        relay.comm(kernel(), custom("c", i))
    held = relay.held_bytes
    editor.catch_up()
    first = len(editor.sent)
    assert 0 < first and editor.queue.pending_bytes >= COALESCE_HIGH_WATER  # behind again: the rest waits
    assert relay.held_bytes < held and all(m == "jupyter/comm" for m, _ in editor.sent)
    relay.comm(kernel(), message("comm_close", "c", {}))  # still in order behind what waits
    while relay.held_bytes:
        editor.catch_up()
    assert [p["data"].get("i") for _, p in editor.sent[:-2]] == list(range(len(editor.sent) - 2))
    assert [(m, p.get("msgType")) for m, p in editor.sent[-2:]] == [
        ("jupyter/comm", "comm_close"),
        ("jupyter/commLimit", None),
    ]
    assert len(editor.sent) - 2 + editor.sent[-1][1]["omittedMessages"] == 2000
    assert not editor.queue.drain_hooks


def test_an_update_still_waiting_after_a_partial_flush_takes_the_next_one() -> None:
    editor = Editor()
    relay = relay_for(editor, limit=4 * 1024 * 1024)
    for i in range(400):  # ~400 KB: more than one drain's worth
        relay.comm(kernel(), custom(f"c{i}", i))
    relay.comm(kernel(), message("comm_msg", "s", {"method": "update", "state": {"value": 1}}))
    editor.catch_up()
    assert relay.held_bytes  # the update still waits
    relay.comm(kernel(), message("comm_msg", "s", {"method": "update", "state": {"value": 2}}))
    while relay.held_bytes:
        editor.catch_up()
    updates = [p for _, p in editor.sent if p["commId"] == "s"]
    assert [u["data"]["state"]["value"] for u in updates] == [2] and relay.merged == 1
