"""Security properties, checked on the running processes rather than only on the files:
private files, loopback-only sockets, strong keys (HMAC, and CurveZMQ keys for kernels
that support them: what a plain peer gets from those is in
tests/integration/test_encryption.py), constant-time HMAC checks, the signature scheme of
the connection file honoured, nothing from a kernel executed or interpreted, and no key
left behind."""

from __future__ import annotations

import base64
import json
import os
import pickle
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.wire import DELIMITER, BadSignature, MessageFactory, Signer, deserialize, serialize
from tests.reliability.fake_kernel import FakeKernel
from tests.reliability.support import Editor, bridge, kernel_pid, stderr_text

LISTEN = "0A"


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket ``pid`` listens on, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for line in f:
                cols = line.split()
                local, state, inode = cols[1], cols[3], cols[9]
                if state == LISTEN and inode in inodes:
                    addr_hex, port_hex = local.split(":")
                    found.append((_address(addr_hex, width), int(port_hex, 16)))
    return found


def _address(hex_addr: str, width: int) -> str:
    raw = bytes.fromhex(hex_addr)
    if width == 8:
        return ".".join(str(b) for b in raw[::-1])  # little-endian IPv4
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    return ":".join(b"".join(words).hex()[i : i + 4] for i in range(0, 32, 4))


@pytest.fixture
def editor() -> Iterator[Editor]:
    with bridge() as ed:
        yield ed


def new_connection_files(runtime_dir: Path, before: set[Path]) -> list[Path]:
    return sorted(set(runtime_dir.glob("kernel-bridge-*.json")) - before)


def test_started_kernels_listen_on_loopback_only_and_the_bridge_listens_nowhere(
    editor: Editor, runtime_dir: Path
) -> None:
    before = set(runtime_dir.glob("kernel-bridge-*.json"))
    kernel_id = editor.request("jupyter/startKernel", {})["kernelId"]
    (path,) = new_connection_files(runtime_dir, before)
    info = json.loads(path.read_text())
    pid = kernel_pid(editor, kernel_id)
    sockets = listening_sockets(pid)
    ports = {info[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")}
    assert ports <= {port for _, port in sockets}, (ports, sockets)
    assert all(addr == "127.0.0.1" for addr, _ in sockets), sockets
    assert listening_sockets(editor.pid) == []


def test_connection_files_are_private_with_a_strong_unique_key(editor: Editor, runtime_dir: Path) -> None:
    before = set(runtime_dir.glob("kernel-bridge-*.json"))
    for _ in range(2):
        editor.request("jupyter/startKernel", {})
    paths = new_connection_files(runtime_dir, before)
    assert len(paths) == 2
    keys = []
    curve_keys = []
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        info = json.loads(path.read_text())
        assert info["signature_scheme"] == "hmac-sha256" and info["ip"] == "127.0.0.1"
        key = bytes.fromhex(info["key"])
        assert len(key) >= 32 and len(set(key)) > 8, "not 32 random bytes"
        keys.append(key)
        # python3's kernelspec declares curve: a CurveZMQ keypair of its own (tests/integration/test_encryption.py)
        curve_keys.append((info["curve_publickey"], info["curve_secretkey"]))
    assert keys[0] != keys[1]
    assert curve_keys[0] != curve_keys[1] and len({k for pair in curve_keys for k in pair}) == 4
    assert stat.S_IMODE(runtime_dir.stat().st_mode) & 0o077 == 0, "the runtime dir is readable by others"


def test_no_key_is_left_behind(runtime_dir: Path) -> None:
    """Connection files of kernels the bridge started go with the kernel and with the bridge;
    the output spill directory goes with the bridge."""
    before = set(runtime_dir.glob("kernel-bridge-*.json"))
    with bridge() as editor:
        a = editor.request("jupyter/startKernel", {})["kernelId"]
        editor.request("jupyter/startKernel", {})
        assert len(new_connection_files(runtime_dir, before)) == 2
        editor.request("jupyter/shutdownKernel", {"kernelId": a})
        assert len(new_connection_files(runtime_dir, before)) == 1
        spill = [p for p in runtime_dir.glob(f"kernel-bridge-{editor.pid}-*") if p.is_dir()]
        assert spill and all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in spill)
        pid = editor.pid
    assert new_connection_files(runtime_dir, before) == []
    assert not list(runtime_dir.glob(f"kernel-bridge-{pid}-*"))


def test_the_kept_output_file_is_private(editor: Editor) -> None:
    kernel_id = editor.request("jupyter/startKernel", {})["kernelId"]
    start = len(editor.notifications)
    editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "print('s' * 5_000_000)"})
    (limit,) = [n["params"] for n in editor.notifications[start:] if n["method"] == "jupyter/outputLimit"]
    path = Path(limit["file"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_an_attached_kernels_connection_file_is_left_alone(editor: Editor, tmp_path: Path) -> None:
    fake = FakeKernel()
    try:
        path = fake.connection_file(tmp_path)
        text = path.read_text()
        kernel_id = editor.request("jupyter/connectKernel", {"connectionFile": str(path)})["kernelId"]
        editor.request("jupyter/shutdownKernel", {"kernelId": kernel_id})
        assert path.read_text() == text
    finally:
        fake.close()


# -- HMAC ----------------------------------------------------------------------------------


def _signed_frames(key: bytes = b"k" * 32) -> tuple[Signer, list[bytes]]:
    signer = Signer(key)
    msg = MessageFactory().build("stream", {"name": "stdout", "text": "hi"})
    return signer, serialize(msg, signer)


def test_the_verdict_on_a_signature_is_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constant time: the comparison goes through hmac.compare_digest, and only through it
    (made to answer "equal", it lets a forged signature through: no other check decides)."""
    import bridge.wire.signing as signing

    calls: list[tuple[bytes, bytes]] = []
    real = signing.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    signer, frames = _signed_frames()
    deserialize(frames, signer)
    assert len(calls) == 1 and frames[1] in calls[0]
    forged = list(frames)
    forged[1] = b"0" * 64
    with pytest.raises(BadSignature):
        deserialize(forged, signer)
    monkeypatch.setattr(signing.hmac, "compare_digest", lambda a, b: True)
    assert deserialize(forged, signer).content == {"name": "stdout", "text": "hi"}


@pytest.mark.parametrize("scheme", ["hmac-sha256", "hmac-sha512", "hmac-sha1"])
def test_the_wire_layer_signs_with_the_scheme_and_refuses_the_others(scheme: str) -> None:
    right = Signer(b"k" * 32, scheme)
    msg = MessageFactory().build("stream", {"name": "stdout", "text": "hi"})
    wire = serialize(msg, right)
    assert deserialize(wire, right).content == msg.content
    for other in {"hmac-sha256", "hmac-sha512", "hmac-sha1"} - {scheme}:
        with pytest.raises(BadSignature):
            deserialize(wire, Signer(b"k" * 32, other))


def test_the_connection_files_signature_scheme_is_honoured(editor: Editor, tmp_path: Path) -> None:
    """A kernel on hmac-sha512: the bridge signs with sha512 (the kernel verifies every
    message it gets) and drops a message signed with sha256 under the same key."""
    fake = FakeKernel(scheme="hmac-sha512")
    try:
        kernel_id = editor.request("jupyter/connectKernel", {"connectionFile": str(fake.connection_file(tmp_path))})[
            "kernelId"
        ]

        def script(k: FakeKernel, req: Any) -> dict[str, Any]:
            sha256 = k.build("stream", {"name": "stdout", "text": "signed with sha256\n"}, req)
            k.send_raw("iopub", [b"t", *serialize(sha256, Signer(k.key, "hmac-sha256"))])
            k.publish("stream", {"name": "stdout", "text": "signed with sha512\n"}, req)
            return {"status": "ok", "execution_count": k.execution_count}

        fake.scripts.put(script)
        start = len(editor.notifications)
        msg_id = editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": "x"})
        assert editor.result(msg_id)["status"] == "ok"
        texts = [
            n["params"]["content"]["text"] for n in editor.notifications[start:] if n["method"] == "jupyter/output"
        ]
        assert texts == ["signed with sha512\n"]
        assert not fake.refused and fake.messages("shell", "execute_request")
    finally:
        fake.close()


# -- nothing from a kernel is executed or interpreted ------------------------------------------


class _Boom:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (open, (self.marker, "w"))


def test_nothing_a_kernel_sends_is_executed_or_interpreted(editor: Editor, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    shell_words = f"$(touch {marker}) `touch {marker}`; touch {marker}"
    python_words = f"__import__('os').system('touch {marker}')"
    payload = pickle.dumps(_Boom(str(marker)))
    contents: list[tuple[str, dict[str, Any]]] = [
        (
            "stream",
            {
                "name": "stdout",
                "text": shell_words + "\n" + python_words + "\n\x1b]8;;file:///etc/passwd\x1b\\link\x1b]8;;\x1b\\\n",
            },
        ),
        (
            "display_data",
            {
                "data": {
                    "text/html": f"<script>fetch('file://{marker}')</script>",
                    "application/javascript": python_words,
                    "application/x-python-pickle": base64.b64encode(payload).decode(),
                    "text/plain": "{{7*7}} %(x)s {0.__class__}",
                },
                "metadata": {"__class__": "os.system", "file": "../../../../etc/passwd"},
            },
        ),
        ("execute_result", {"data": {"text/plain": python_words}, "metadata": {}, "execution_count": 1}),
        ("error", {"ename": "$(reboot)", "evalue": python_words, "traceback": [shell_words]}),
    ]

    fake = FakeKernel()
    try:
        kernel_id = editor.request("jupyter/connectKernel", {"connectionFile": str(fake.connection_file(tmp_path))})[
            "kernelId"
        ]

        def script(k: FakeKernel, req: Any) -> dict[str, Any]:
            for msg_type, content in contents:
                k.publish(msg_type, content, req)
            opened = k.build(
                "comm_open", {"comm_id": "c1", "target_name": python_words, "data": {"code": python_words}}, req
            )
            opened.buffers = [payload]
            k.send_raw("iopub", k.frames(opened))
            return {
                "status": "ok",
                "execution_count": k.execution_count,
                "user_expressions": {"x": {"status": "ok", "data": {"text/plain": python_words}}},
            }

        fake.scripts.put(script)
        start = len(editor.notifications)
        msg_id = editor.request_nowait(
            "jupyter/execute", {"kernelId": kernel_id, "code": "x", "userExpressions": {"x": "1"}}
        )
        result = editor.result(msg_id)
        notes = editor.notifications[start:]
        outputs = [(n["params"]["msgType"], n["params"]["content"]) for n in notes if n["method"] == "jupyter/output"]
        assert outputs == contents  # exactly as the kernel sent them
        (comm,) = [n["params"] for n in notes if n["method"] == "jupyter/comm"]
        assert comm["targetName"] == python_words and base64.b64decode(comm["buffers"][0]) == payload
        assert result["userExpressions"]["x"]["data"]["text/plain"] == python_words
    finally:
        fake.close()
    assert not marker.exists()
    assert "Traceback" not in stderr_text(editor)


def test_the_delimiter_inside_a_frame_does_not_confuse_framing() -> None:
    """A kernel's text containing b"<IDS|MSG>" is content, not a frame boundary."""
    signer = Signer(b"k" * 32)
    msg = MessageFactory().build("stream", {"name": "stdout", "text": DELIMITER.decode()})
    parsed = deserialize([b"topic", *serialize(msg, signer)], signer)
    assert parsed.content["text"] == "<IDS|MSG>" and parsed.idents == [b"topic"]
