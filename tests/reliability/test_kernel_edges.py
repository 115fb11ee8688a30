"""Kernel-side cases one at a time: kernels that never become ready, a connection file
with the wrong key or an unknown signature scheme, and what an authenticated but odd
kernel may send (NaN, deep nesting)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from bridge.wire import Message
from tests.reliability.fake_kernel import FakeKernel, plain_reply
from tests.reliability.support import HANG_GUARD, Editor, RpcError, bridge, stderr_tail

START_FAILED, CONNECTION_FILE, KERNEL_DIED = -32010, -32014, -32011


@pytest.fixture
def editor() -> Iterator[Editor]:
    with bridge() as ed:
        yield ed


@pytest.fixture
def fake() -> Iterator[FakeKernel]:
    kernel = FakeKernel()
    try:
        yield kernel
    finally:
        kernel.close()


def connect(editor: Editor, path: Path, timeout: float = 2) -> Any:
    return editor.request("jupyter/connectKernel", {"connectionFile": str(path), "startupTimeout": timeout})


def test_a_kernel_that_never_answers_kernel_info_fails_start_up_clearly(editor: Editor, tmp_path: Path) -> None:
    silent = FakeKernel(answer_kernel_info=False)
    try:
        t0 = time.monotonic()
        with pytest.raises(RpcError) as info:
            connect(editor, silent.connection_file(tmp_path))
        assert time.monotonic() - t0 < HANG_GUARD
        assert info.value.code == START_FAILED
        assert "did not become ready within 2 s" in info.value.message
        assert silent.messages("shell", "kernel_info_request"), "the bridge never asked"
    finally:
        silent.close()
    assert editor.request("jupyter/listKernels") == []


def test_a_kernel_whose_iopub_stays_silent_is_not_ready(editor: Editor, tmp_path: Path) -> None:
    """kernel_info answered on shell, but no status on iopub: the first execute could lose
    outputs, so start-up fails (docs/protocol.md, startKernel)."""
    mute = FakeKernel(publish_status=False)
    try:
        with pytest.raises(RpcError) as info:
            connect(editor, mute.connection_file(tmp_path))
        assert info.value.code == START_FAILED
        assert len(mute.messages("shell", "kernel_info_request")) >= 1
    finally:
        mute.close()
    assert editor.request("jupyter/listKernels") == []


def test_a_kernel_whose_messages_cannot_be_read_fails_start_up_at_once_saying_why(
    editor: Editor, tmp_path: Path
) -> None:
    """Its messages arrive but none can be read: waiting out startupTimeout would only
    hide the reason."""

    def unreadable(parts: dict[str, Any]) -> dict[str, Any]:
        parts["metadata"] = ["not", "an", "object"]
        return parts

    garbled = FakeKernel(mangle=unreadable)
    try:
        with pytest.raises(RpcError) as info:
            connect(editor, garbled.connection_file(tmp_path), timeout=600)
        assert info.value.code == START_FAILED
        assert "messages kernel-bridge could not read" in info.value.message
        assert "metadata is a list, not an object" in info.value.message
        assert "within 600 s" not in info.value.message
    finally:
        garbled.close()
    assert editor.request("jupyter/listKernels") == []


@pytest.fixture(scope="module")
def real_kernel() -> Iterator[KernelManager]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=HANG_GUARD)
        kc.stop_channels()
        yield km
    finally:
        km.shutdown_kernel(now=True)


def wrong_key_file(km: KernelManager, tmp_path: Path) -> Path:
    info = json.loads(Path(km.connection_file).read_text())
    info["key"] = "0" * 64
    path = tmp_path / "kernel-wrong-key.json"
    path.write_text(json.dumps(info))
    return path


def test_a_connection_file_with_the_wrong_key_fails_start_up(
    editor: Editor, real_kernel: KernelManager, tmp_path: Path
) -> None:
    with pytest.raises(RpcError) as info:
        connect(editor, wrong_key_file(real_kernel, tmp_path), timeout=3)
    assert info.value.code == START_FAILED
    assert editor.request("jupyter/listKernels") == []
    assert not [n for n in editor.notifications if n["method"] == "jupyter/output"]
    # the right key still works, on the same bridge
    kernel = editor.request("jupyter/connectKernel", {"connectionFile": real_kernel.connection_file})
    assert editor.request("jupyter/execute", {"kernelId": kernel["kernelId"], "code": "1+1"})["status"] == "ok"


def test_the_wrong_key_error_names_the_signature(editor: Editor, real_kernel: KernelManager, tmp_path: Path) -> None:
    with pytest.raises(RpcError) as info:
        connect(editor, wrong_key_file(real_kernel, tmp_path), timeout=3)
    assert "signature" in info.value.message or "key" in info.value.message


@pytest.mark.parametrize("scheme", ["hmac-nope", "md5", ""])
def test_an_unknown_signature_scheme_is_a_connection_file_error(
    editor: Editor, fake: FakeKernel, tmp_path: Path, scheme: str
) -> None:
    path = fake.connection_file(tmp_path)
    info = json.loads(path.read_text())
    info["signature_scheme"] = scheme
    path.write_text(json.dumps(info))
    with pytest.raises(RpcError) as err:
        connect(editor, path)
    assert err.value.code == CONNECTION_FILE and "signature_scheme" in err.value.message


def _send_foreign(fake: FakeKernel, raw_content: bytes) -> None:
    """A valid, signed display_data from another client whose content frame is ``raw_content``."""

    def send() -> None:
        msg = fake.build("display_data", {}, {"msg_id": "someone-else", "session": "other"})
        frames = [json.dumps(x).encode() for x in (msg.header, msg.parent_header, msg.metadata)] + [raw_content]
        fake.send_raw("iopub", [b"kernel.fake.display_data", b"<IDS|MSG>", fake.signer.sign(frames), *frames])

    fake.call(send)


def test_nan_from_a_kernel_never_reaches_the_editor_as_invalid_json(
    editor: Editor, fake: FakeKernel, tmp_path: Path
) -> None:
    kernel_id = connect(editor, fake.connection_file(tmp_path))["kernelId"]
    raw: list[bytes] = []
    original = editor._reader.next_event

    def keep_bodies() -> Any:
        event = original()
        if event is not None:
            raw.append(event.data)
        return event

    editor._reader.next_event = keep_bodies  # type: ignore[method-assign]
    _send_foreign(fake, b'{"data": {"text/plain": "nan"}, "metadata": {"v": NaN, "w": Infinity}}')
    assert editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "after"})["status"] == "ok"

    def strict(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    for body in raw:
        json.loads(body, parse_constant=strict)


def test_deeply_nested_json_from_a_kernel_is_dropped_not_fatal(
    editor: Editor, fake: FakeKernel, tmp_path: Path
) -> None:
    kernel_id = connect(editor, fake.connection_file(tmp_path))["kernelId"]
    _send_foreign(fake, b'{"data": {"text/plain": "deep"}, "metadata": {"v": ' + b"[" * 5000 + b"]" * 5000 + b"}}")
    try:
        result = editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "after"}, timeout=10)
    except RpcError as exc:
        pytest.fail(f"the kernel connection did not survive: {exc.code} {exc.message}")
    assert result["status"] == "ok"
    assert not [
        n for n in editor.notifications if n["method"] == "jupyter/status" and n["params"]["executionState"] == "dead"
    ]


def test_a_valid_message_with_an_unknown_parent_is_forwarded_as_other(
    editor: Editor, fake: FakeKernel, tmp_path: Path
) -> None:
    kernel_id = connect(editor, fake.connection_file(tmp_path))["kernelId"]
    content = b'{"data": {"text/plain": "from elsewhere"}, "metadata": {}}'
    _send_foreign(fake, content)
    editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "x"})
    (out,) = [
        n["params"]
        for n in editor.notifications
        if n["method"] == "jupyter/output" and n["params"]["requestId"] is None
    ]
    assert out["origin"] == "other" and out["content"] == json.loads(content) and out["kernelId"] == kernel_id


def test_a_reply_forged_for_a_pending_request_does_not_answer_it(
    editor: Editor, fake: FakeKernel, tmp_path: Path
) -> None:
    """The forged execute_reply arrives first, carrying the right parent; the real one later."""
    kernel_id = connect(editor, fake.connection_file(tmp_path))["kernelId"]

    def script(k: FakeKernel, req: Message) -> dict[str, Any]:
        forged = k.build(
            "execute_reply",
            {"status": "error", "ename": "Forged", "evalue": "", "traceback": [], "execution_count": 99},
            req,
        )
        frames = k.frames(forged, topic=False)
        frames[1] = b"f" * 64
        k.send_raw("shell", frames, to=req)
        time.sleep(0.2)
        return plain_reply(k)

    fake.scripts.put(script)
    assert editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "x"}) == {
        "status": "ok",
        "executionCount": fake.execution_count,
    }
    assert editor.process.poll() is None, stderr_tail(editor)


def test_an_execute_the_kernel_goes_idle_on_is_answered_and_its_late_reply_still_reaches_the_editor(
    editor: Editor, fake: FakeKernel, tmp_path: Path
) -> None:
    """An execute the kernel goes idle on without answering is still answered (-32018,
    DROP_AFTER_IDLE_SECONDS after the idle) and the kernel stays usable. Never thrown away:
    the kernel's word after -32018 comes as jupyter/lateReply, and an iopub shutdown_reply
    (a broadcast, not a late reply) does not."""
    kernel_id = connect(editor, fake.connection_file(tmp_path))["kernelId"]
    fake.scripts.put(lambda k, req: None)  # busy, then idle, and no execute_reply
    msg_id = editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "late"})
    try:
        dropped = editor.wait_response(msg_id, timeout=30)
    except TimeoutError:
        pytest.fail("the execute was never answered")
    assert dropped["error"]["code"] == -32018 and "went idle without replying" in dropped["error"]["message"], dropped
    request = fake.messages("shell", "execute_request")[-1]
    fake.call(
        lambda: fake.publish(
            "shutdown_reply",
            {"status": "ok", "restart": False},
            {"msg_id": "another-client-1", "session": "another-client", "msg_type": "shutdown_request"},
        )
    )
    fake.call(lambda: fake.reply("shell", request, "execute_reply", plain_reply(fake)))

    def late() -> list[dict[str, Any]]:
        return [n["params"] for n in editor.notifications if n["method"] == "jupyter/lateReply"]

    editor.wait(lambda: bool(late()), what="the late reply")
    (params,) = late()
    assert params["kernelId"] == kernel_id and params["msgType"] == "execute_reply"
    assert params["parentMsgId"] == request.msg_id and params["content"]["status"] == "ok"
    assert editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "after"})["status"] == "ok"
    assert not [
        n
        for n in editor.notifications
        if n["method"] == "jupyter/output" and n["params"]["msgType"] == "shutdown_reply"
    ]
