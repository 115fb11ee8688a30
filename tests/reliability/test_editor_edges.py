"""Editor-side cases the fuzzer leaves out, one behaviour per test: the protocol's edges
(huge bodies and ids, after ``shutdown``) and the bridge bugs the fuzzers found (fixed)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bridge.server.framing import frame
from tests.reliability.support import BridgeGone, Editor, bridge, stderr_tail

PARSE, INVALID_REQUEST, NOT_FOUND, INVALID_PARAMS, INTERNAL = -32700, -32600, -32601, -32602, -32603


@pytest.fixture(scope="module")
def shared() -> Iterator[Editor]:
    """One bridge for the tests that leave it as they found it."""
    with bridge() as ed:
        yield ed


@pytest.fixture
def editor(shared: Editor) -> Editor:
    shared.responses.clear()
    shared.null_errors.clear()
    return shared


@pytest.fixture
def own_editor() -> Iterator[Editor]:
    """A bridge of its own, for a test that may end it."""
    with bridge() as ed:
        yield ed


def after_sentinel(editor: Editor) -> None:
    """Everything the bridge answers synchronously to what was sent before has arrived once
    a request sent after it is answered (one ordered queue); then a little grace."""
    editor.request("jupyter/listKernels", timeout=10)
    editor.pump(0.2)


def answer_to(editor: Editor, body: bytes, msg_id: object = None) -> dict:
    """Send one framed body; its response (by id, or the next id-null error)."""
    editor.null_errors.clear()
    editor.send_raw(frame(body))
    if msg_id is None:
        editor.wait(lambda: bool(editor.null_errors), timeout=10, what="an id-null error")
        return editor.null_errors.pop(0)
    return editor.wait_response(msg_id, timeout=10)


def still_serving(editor: Editor) -> None:
    assert editor.process.poll() is None, stderr_tail(editor)
    assert editor.request("jupyter/listKernels", timeout=10) == []


def test_a_20_mb_body_is_read_and_answered(editor: Editor) -> None:
    code = "x = 1\n" * (20 * 1024 * 1024 // 6)
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 7, "method": "jupyter/execute", "params": {"kernelId": "nope", "code": code}}
    )
    reply = answer_to(editor, body.encode(), 7)
    assert reply["error"]["code"] == -32001
    still_serving(editor)


def test_a_1_mb_string_id_comes_back_exactly(editor: Editor) -> None:
    msg_id = "é" * (1024 * 1024)
    reply = answer_to(editor, json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": "nope"}).encode(), msg_id)
    assert reply["error"]["code"] == NOT_FOUND and reply["id"] == msg_id
    still_serving(editor)


def test_after_shutdown_requests_get_invalid_request_and_exit_ends_with_0(own_editor: Editor) -> None:
    editor = own_editor
    assert editor.request("shutdown") is None
    for method in ("jupyter/listKernels", "textDocument/hover", "nope"):
        msg_id = editor.request_nowait(method, {})
        assert editor.wait_response(msg_id)["error"]["code"] == INVALID_REQUEST
    editor.notify("jupyter/listKernels", {})  # a notification after shutdown: ignored
    editor.notify("exit")
    editor.read_to_eof()
    assert editor.process.wait(timeout=30) == 0
    assert not editor.responses and not editor.null_errors


def test_bytes_after_a_truncated_frame_at_stdin_eof_end_the_bridge_cleanly() -> None:
    with bridge() as editor:
        editor.send_raw(b'Content-Length: 100\r\n\r\n{"jsonrpc": "2.0", "id": 1, "met')
        editor.close_stdin()
        editor.read_to_eof()
        assert editor.process.wait(timeout=30) == 0
        assert not editor.responses


@pytest.mark.parametrize("depth", [1_500, 100_000])
def test_deeply_nested_json_is_a_parse_error_not_a_crash(own_editor: Editor, depth: int) -> None:
    editor = own_editor
    body = (
        b'{"jsonrpc": "2.0", "id": 1, "method": "jupyter/listKernels", "params": {"a": '
        + b"[" * depth
        + b"]" * depth
        + b"}}"
    )
    try:
        reply = answer_to(editor, body)
    except BridgeGone:
        pytest.fail(f"the bridge died:\n{stderr_tail(editor)}")
    assert reply["error"]["code"] == PARSE
    still_serving(editor)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32"])
def test_a_body_in_another_encoding_is_a_parse_error(editor: Editor, encoding: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "jupyter/listKernels"}).encode(encoding)
    editor.send_raw(frame(body))
    after_sentinel(editor)
    assert 5 not in editor.responses, "a UTF-16/32 body was executed as a request"
    assert [e["error"]["code"] for e in editor.null_errors] == [PARSE]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("initialized", {}),
        ("$/cancelRequest", {"id": 12345}),
        (
            "textDocument/didOpen",
            {"textDocument": {"uri": "file:///req.py", "languageId": "python", "version": 1, "text": ""}},
        ),
    ],
)
def test_a_request_to_a_notification_method_is_answered(editor: Editor, method: str, params: dict) -> None:
    msg_id = editor.request_nowait(method, params)
    after_sentinel(editor)
    assert msg_id in editor.responses, "no response"
    assert editor.responses[msg_id]["error"]["code"] in (INVALID_REQUEST, NOT_FOUND)


def test_no_method_and_scalar_params_is_an_invalid_request(editor: Editor) -> None:
    editor.send_raw(frame(b'{"jsonrpc": "2.0", "id": 9, "params": 3}'))
    after_sentinel(editor)
    assert 9 in editor.responses, "no response"
    assert editor.responses[9]["error"]["code"] == INVALID_REQUEST


@pytest.mark.parametrize("value", ["abc", {"a": "b"}])
def test_a_string_for_a_list_param_is_invalid_params(editor: Editor, value: object) -> None:
    msg_id = editor.request_nowait("jupyter/commOpen", {"kernelId": "nope", "targetName": "t", "buffers": value})
    reply = editor.wait_response(msg_id)
    assert reply["error"]["code"] == INVALID_PARAMS and "buffers" in reply["error"]["message"]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("textDocument/codeLens", {"textDocument": {"uri": "file:///never/opened.py"}}),
        ("workspace/executeCommand", {"command": "jupyter.runCell", "arguments": ["file:///never/opened.py", 0]}),
    ],
)
def test_a_document_that_was_never_opened_is_not_an_internal_error(editor: Editor, method: str, params: dict) -> None:
    msg_id = editor.request_nowait(method, params)
    reply = editor.wait_response(msg_id)
    assert reply.get("error", {}).get("code") != INTERNAL, reply
