"""A widget model's ``update`` messages merged while their reader is behind: one rule for
the two places that hold updates back (toward the editor, server/comm_relay.py; toward pages,
sidecar/hub.py), so that a slider dragged or a progress bar at 1 kHz costs the latest state,
not every step.

Jupyter widgets protocol 2.x: an ``update`` sets some keys of the model's state, in
``state`` or, for binary values, as ``buffers`` at ``buffer_paths`` (whose first element
is the key). Merged, the later message's keys win and the earlier one's others stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

B = TypeVar("B")  # a buffer: bytes toward pages, base64 text toward the editor


def is_mergeable_update(msg_type: Any, data: Any, buffer_count: int) -> bool:
    """A kernel's ``update`` (not ``echo_update``: the view that caused it matches its
    parent) whose buffers and paths agree, so that it can be merged without a loss."""
    if msg_type != "comm_msg" or not isinstance(data, dict):
        return False
    paths = data.get("buffer_paths", [])
    return (
        data.get("method") == "update"
        and isinstance(data.get("state"), dict)
        and isinstance(paths, list)
        and len(paths) == buffer_count
        and all(isinstance(p, list) and p and isinstance(p[0], str) for p in paths)
    )


def merge_update(
    data: dict[str, Any], buffers: Sequence[B], later_data: dict[str, Any], later_buffers: Sequence[B]
) -> tuple[dict[str, Any], list[B]]:
    """``data`` followed by ``later_data`` (both ``is_mergeable_update``): the message data
    and buffers of one update that has the same effect."""
    paths, later_paths = data.get("buffer_paths", []), later_data.get("buffer_paths", [])
    replaced = set(later_data["state"]) | {p[0] for p in later_paths}
    state = {k: v for k, v in data["state"].items() if k not in replaced}
    state.update(later_data["state"])
    kept = [(p, b) for p, b in zip(paths, buffers, strict=True) if p[0] not in replaced]
    merged = {**later_data, "state": state}
    buffer_paths = [p for p, _ in kept] + list(later_paths)
    if buffer_paths:
        merged["buffer_paths"] = buffer_paths
    else:
        merged.pop("buffer_paths", None)
    return merged, [b for _, b in kept] + list(later_buffers)
