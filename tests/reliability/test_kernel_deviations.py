"""Be liberal in what you accept: a kernel whose messages deviate from the spec in ways
that are harmless (jupyter_client reads them) works like ipykernel. Each example is a fake
kernel (tests/reliability/fake_kernel.py) that applies a generated set of deviations to
every message it sends, its kernel_info_reply included; the bridge must attach to it and
an execute must come back ``ok`` with its output."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.reliability.fake_kernel import FakeKernel
from tests.reliability.support import Editor, bridge, stderr_tail

Parts = dict[str, Any]
_n = itertools.count(1)


def _set(part: str, value: Any) -> Callable[[Parts], Parts]:
    def apply(parts: Parts) -> Parts:
        parts[part] = value
        return parts

    return apply


def _header_without(key: str) -> Callable[[Parts], Parts]:
    def apply(parts: Parts) -> Parts:
        parts["header"].pop(key, None)
        return parts

    return apply


def _header_with(key: str, value: Any) -> Callable[[Parts], Parts]:
    def apply(parts: Parts) -> Parts:
        parts["header"][key] = value
        return parts

    return apply


def _extra_content(parts: Parts) -> Parts:
    parts["content"]["x_vendor_field"] = {"nested": [1, 2, 3]}
    return parts


def _extra_parent_field(parts: Parts) -> Parts:
    if parts["parent_header"]:
        parts["parent_header"]["x_extra"] = True
    return parts


DEVIATIONS: dict[str, Callable[[Parts], Parts]] = {
    "metadata null": _set("metadata", None),
    "no version": _header_without("version"),
    "no date": _header_without("date"),
    "no username": _header_without("username"),
    "no session": _header_without("session"),
    "version 5.0": _header_with("version", "5.0"),
    "version 5.9": _header_with("version", "5.9"),
    "date with offset": _header_with("date", "2026-11-30T14:00:00+01:00"),
    "date without zone": _header_with("date", "2026-11-30T14:00:00.123456"),
    "date with a space": _header_with("date", "2026-11-30 14:00:00Z"),
    "date as a number": _header_with("date", 1764511200),
    "extra header field": _header_with("x_kernel_field", "hello"),
    "extra content field": _extra_content,
    "extra parent field": _extra_parent_field,
}


@pytest.fixture(scope="module")
def editor() -> Iterator[Editor]:
    with bridge() as editor:
        yield editor


def test_a_null_metadata_kernel_works_like_ipykernel(editor: Editor, tmp_path: Path) -> None:
    """The one widely used kernel that sends ``"metadata": null`` on every message."""
    run_with(editor, [DEVIATIONS["metadata null"]], tmp_path)


def test_tolerable_deviations_lose_nothing(editor: Editor, tmp_path: Path) -> None:
    @settings(derandomize=True, deadline=None, database=None, max_examples=15, suppress_health_check=list(HealthCheck))
    @given(st.sets(st.sampled_from(sorted(DEVIATIONS)), min_size=1, max_size=5))
    def check(names: set[str]) -> None:
        note(f"deviations: {sorted(names)}")
        run_with(editor, [DEVIATIONS[n] for n in sorted(names)], tmp_path)

    check()


def run_with(editor: Editor, deviations: list[Callable[[Parts], Parts]], directory: Path) -> None:
    def mangle(parts: Parts) -> Parts:
        for deviate in deviations:
            parts = deviate(parts)
        return parts

    fake = FakeKernel(mangle=mangle)
    try:
        ref = editor.request("jupyter/connectKernel", {"connectionFile": str(fake.connection_file(directory))})
        assert ref["implementation"] == "fake"
        code = f"deviant {next(_n)}"
        msg_id = editor.request_nowait("jupyter/execute", {"kernelId": ref["kernelId"], "code": code})
        reply = editor.result(msg_id, timeout=30)
        assert reply["status"] == "ok", stderr_tail(editor)
        text = "".join(o["content"]["text"] for o in editor.outputs(msg_id) if o["msgType"] == "stream")
        assert text == f"ran {code}\n"
        editor.request("jupyter/shutdownKernel", {"kernelId": ref["kernelId"]})
    finally:
        fake.close()
