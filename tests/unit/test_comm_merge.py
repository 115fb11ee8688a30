"""Widget updates merged for an editor that is behind (bridge/server/comms.py): the latest
value of each key wins, buffers follow their keys, and only plain updates merge."""

from __future__ import annotations

from typing import Any

from bridge.server.comms import is_state_update, merge_updates


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
