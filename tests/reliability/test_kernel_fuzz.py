"""Fuzzing the kernel side: a fake kernel (tests/reliability/fake_kernel.py) that the
bridge attaches to with ``jupyter/connectKernel`` answers each ``jupyter/execute``
properly, and meanwhile sends generated abuse on iopub, shell and stdin: truncated
multiparts, bad JSON, forged HMACs (wrong key, wrong digest, flipped, empty, truncated), frames that are not JSON objects,
replayed messages (within an execute and from earlier ones), oversized frames, JSON nested
past the recursion limit, forged replies and prompts.

After each execute the editor must have seen exactly what was valid: the request's real
outputs and reply, and — as docs/protocol.md says — valid messages with a parent the bridge
did not send forwarded with ``requestId: null, origin: "other"`` (NaN and Infinity, which
are not JSON, as null). Nothing forged,
malformed or replayed reaches the editor (every such message carries a DROPME marker), the
kernel is never declared dead, each valid ``input_request`` gets exactly one
``input_reply`` and a forged one none, and the drops are logged at debug level.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from bridge.wire import DELIMITER, Message
from tests.reliability.fake_kernel import FakeKernel, Frames, plain_reply
from tests.reliability.support import Editor, bridge, stderr_tail
from tests.support.processes import wait_until

_n = itertools.count(1)
MARK = "DROPME"


@dataclass
class Expected:
    """What one execute must show the editor, filled in by the moves as they are sent."""

    stdout: list[str] = field(default_factory=list)
    own: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # non-stream outputs of the request
    foreign: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # msg_id, msg_type, content
    input_requests: int = 0
    sent: int = 0  # abuse messages sent


@dataclass(frozen=True)
class Move:
    kind: str
    variant: str = ""
    size: int = 0
    content: Any = None


# -- emitting moves (in the fake kernel's thread) -------------------------------------------

_old_frames: list[Frames] = []  # valid messages already delivered, for cross-execute replays


def _foreign_parent() -> dict[str, Any]:
    return {
        "msg_id": f"another-client-{next(_n)}",
        "session": "another-client",
        "msg_type": "execute_request",
        "username": "x",
        "date": "2020-01-01T00:00:00Z",
        "version": "5.3",
    }


def _signed(
    k: FakeKernel, header: bytes, parent: bytes, metadata: bytes, content: bytes, *, topic: bool = True
) -> Frames:
    frames = [header, parent, metadata, content]
    out = [DELIMITER, k.signer.sign(frames), *frames]
    return [b"kernel.fake.stream", *out] if topic else out


def _json_frames(msg: Message) -> list[bytes]:
    return [json.dumps(x).encode() for x in (msg.header, msg.parent_header, msg.metadata, msg.content)]


def _forge(k: FakeKernel, frames: Frames, variant: str) -> Frames:
    """``frames`` (valid, with a topic) with a signature that must not verify."""
    at = frames.index(DELIMITER)
    sig = frames[at + 1]
    body = frames[at + 2 : at + 6]
    if variant == "wrong-key":
        sig = hmac.new(b"not-the-key", b"".join(body), hashlib.sha256).hexdigest().encode()
    elif variant == "wrong-digest":  # the right key, another scheme than the connection file's
        sig = hmac.new(k.key, b"".join(body), hashlib.sha1).hexdigest().encode()
    elif variant == "flipped":
        sig = sig[:-1] + (b"0" if sig[-1:] != b"0" else b"1")
    elif variant == "empty":
        sig = b""
    elif variant == "uppercase":
        sig = sig.upper()
    elif variant == "truncated":
        sig = sig[:32]
    elif variant == "random":
        sig = hashlib.sha256(str(next(_n)).encode()).hexdigest().encode()
    elif variant == "other-message":
        other = k.build("stream", {"name": "stdout", "text": "something else"})
        sig = k.frames(other)[2]
    elif variant == "huge":
        sig = b"0" * (4 * 1024 * 1024)
    return [*frames[: at + 1], sig, *frames[at + 2 :]]


def emit(k: FakeKernel, req: Message, move: Move, exp: Expected) -> None:
    n = next(_n)
    kind, variant = move.kind, move.variant
    drop = f"{MARK}-{kind}-{variant}-{n}\n"
    if kind == "valid":
        if variant == "stream":
            text = f"valid {n}\n"
            k.publish("stream", {"name": "stdout", "text": text}, req)
            exp.stdout.append(text)
        else:
            content = {"data": {"text/plain": f"valid {variant} {n}"}, "metadata": {}}
            if variant == "execute_result":
                content["execution_count"] = k.execution_count
            k.publish(variant, content, req)
            exp.own.append((variant, content))
        return
    if kind == "nan-foreign":  # valid and signed, but NaN/Infinity are not JSON: they arrive as null
        msg = k.build("display_data", {}, _foreign_parent())
        head = [json.dumps(x).encode() for x in (msg.header, msg.parent_header, msg.metadata)]
        raw = b'{"data": {"text/plain": "nan %d"}, "metadata": {"v": NaN, "w": [Infinity, -Infinity]}}' % n
        k.send_raw("iopub", _signed(k, *head, raw))
        exp.foreign.append(
            (
                msg.msg_id,
                "display_data",
                {"data": {"text/plain": f"nan {n}"}, "metadata": {"v": None, "w": [None, None]}},
            )
        )
        return
    if kind in ("foreign", "odd-foreign"):
        msg_type = variant or "stream"
        content = move.content if kind == "odd-foreign" else {"name": "stdout", "text": f"from another client {n}\n"}
        msg = k.publish(msg_type, content, _foreign_parent())
        exp.foreign.append((msg.msg_id, msg_type, content))
        return
    exp.sent += 1
    if kind == "replay":
        text = f"replayed once {n}\n"
        frames = k.frames(k.build("stream", {"name": "stdout", "text": text}, req))
        k.send_raw("iopub", frames)
        k.send_raw("iopub", frames)
        exp.stdout.append(text)
        _old_frames.append(frames)
    elif kind == "replay-old":
        if _old_frames:
            k.send_raw("iopub", _old_frames[n % len(_old_frames)])
    elif kind == "forged":
        k.send_raw("iopub", _forge(k, k.frames(k.build("stream", {"name": "stdout", "text": drop}, req)), variant))
    elif kind == "truncated":
        frames = k.frames(k.build("stream", {"name": "stdout", "text": drop}, req))
        at = frames.index(DELIMITER)
        if variant == "no-delimiter":
            cut = [f for f in frames if f != DELIMITER]
        elif variant == "only-idents":
            cut = frames[:at]
        elif variant == "empty-frame":
            cut = [b""]
        else:  # keep 0..4 of the 5 frames after the delimiter
            cut = frames[: at + 1 + int(variant)]
        k.send_raw("iopub", cut)
    elif kind == "bad-json":  # correctly signed, but not a message
        msg = k.build("stream", {"name": "stdout", "text": drop}, req)
        frames = _json_frames(msg)
        if variant in ("no-msg-type", "no-msg-id"):
            key = variant[len("no-") :].replace("-", "_")
            frames[0] = json.dumps({name: v for name, v in msg.header.items() if name != key}).encode()
        else:
            which = ["header", "parent", "metadata", "content"].index(move.content)
            frames[which] = {
                "deep": b'{"x": ' + b"[" * 5000 + json.dumps(drop).encode() + b"]" * 5000 + b"}",
                "not-json": b"{not json " + drop.encode(),
                "invalid-utf8": b'{"x": "' + drop.encode().strip() + b'\xff\xfe"}',
                "array": json.dumps([drop]).encode(),
                "null": b"null",
                "string": json.dumps(drop).encode(),
            }[variant]
        k.send_raw("iopub", _signed(k, *frames))
    elif kind == "oversized":
        blob = (drop * (move.size // len(drop) + 1))[: move.size]
        frames = k.frames(k.build("stream", {"name": "stdout", "text": blob}, req))
        if variant == "forged":
            frames = _forge(k, frames, "flipped")
        elif variant == "buffer":  # a huge extra frame on a forged message
            frames = [*_forge(k, frames[:7], "random"), b"\0" * move.size]
        k.send_raw("iopub", frames)
    elif kind == "shell-forged":
        forged = k.build(
            "execute_reply",
            {"status": "error", "ename": MARK, "evalue": drop, "traceback": [], "execution_count": -1},
            req,
        )
        k.send_raw("shell", _forge(k, k.frames(forged, topic=False), variant), to=req)
    elif kind == "shell-unknown":  # valid, but answers nothing we asked
        other = k.build(
            "execute_reply",
            {"status": "error", "ename": MARK, "evalue": drop, "traceback": [], "execution_count": -1},
            _foreign_parent(),
        )
        k.send_raw("shell", k.frames(other, topic=False), to=req)
    elif kind == "shell-truncated":
        forged = k.build("execute_reply", {"status": "error", "ename": MARK, "evalue": drop}, req)
        k.send_raw("shell", k.frames(forged, topic=False)[:3], to=req)
    elif kind == "stdin-forged":
        prompt = k.build("input_request", {"prompt": drop, "password": False}, req)
        k.send_raw("stdin", _forge(k, k.frames(prompt, topic=False), variant), to=req)
    elif kind == "stdin-valid":
        parent: Any = req if variant == "own" else _foreign_parent()
        k.send_raw(
            "stdin",
            k.frames(k.build("input_request", {"prompt": "valid prompt", "password": False}, parent), topic=False),
            to=req,
        )
        exp.input_requests += 1
    else:
        raise AssertionError(kind)


# -- strategies -------------------------------------------------------------------------------

SIGNATURE_VARIANTS = [
    "wrong-key",
    "wrong-digest",
    "flipped",
    "empty",
    "uppercase",
    "truncated",
    "random",
    "other-message",
]
odd_contents = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(10**18), 10**18)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)
moves = st.one_of(
    st.builds(Move, st.just("valid"), st.sampled_from(["stream", "display_data", "execute_result", "error"])),
    st.builds(
        Move,
        st.just("foreign"),
        st.sampled_from(["stream", "display_data", "execute_result", "error", "execute_input"]),
    ),
    st.builds(
        Move,
        st.just("odd-foreign"),
        st.sampled_from(["stream", "display_data", "execute_result", "error", "clear_output"]),
        content=odd_contents,
    ),
    st.builds(Move, st.just("nan-foreign")),
    st.builds(Move, st.just("replay")),
    st.builds(Move, st.just("replay-old")),
    st.builds(Move, st.just("forged"), st.sampled_from(SIGNATURE_VARIANTS + ["huge"])),
    st.builds(
        Move,
        st.just("truncated"),
        st.sampled_from(["no-delimiter", "only-idents", "empty-frame", "0", "1", "2", "3", "4"]),
    ),
    st.builds(
        Move,
        st.just("bad-json"),
        st.sampled_from(["not-json", "invalid-utf8", "array", "string", "no-msg-type", "no-msg-id", "deep"]),
        content=st.sampled_from(["header", "parent", "metadata", "content"]),
    ),
    # a null parent, metadata or content is read as {} (as jupyter_client reads it:
    # test_kernel_deviations.py); a null header is not a message
    st.builds(Move, st.just("bad-json"), st.just("null"), content=st.just("header")),
    st.builds(
        Move,
        st.just("oversized"),
        st.sampled_from(["forged", "buffer"]),
        size=st.sampled_from([65_537, 1_000_000, 3_000_000]),
    ),
    st.builds(Move, st.just("shell-forged"), st.sampled_from(SIGNATURE_VARIANTS)),
    st.builds(Move, st.just("shell-unknown")),
    st.builds(Move, st.just("shell-truncated")),
    st.builds(Move, st.just("stdin-forged"), st.sampled_from(SIGNATURE_VARIANTS)),
    st.builds(Move, st.just("stdin-valid"), st.sampled_from(["own", "foreign"])),
)


# -- the test ---------------------------------------------------------------------------------


@pytest.fixture
def attached(tmp_path: Path) -> Iterator[tuple[Editor, FakeKernel, str]]:
    fake = FakeKernel()
    try:
        with bridge(["--log-level", "DEBUG"]) as editor:
            kernel_id = editor.request(
                "jupyter/connectKernel", {"connectionFile": str(fake.connection_file(tmp_path))}
            )["kernelId"]
            yield editor, fake, kernel_id
    finally:
        fake.close()


def run_execute(
    editor: Editor, fake: FakeKernel, kernel_id: str, script_moves: list[Move]
) -> tuple[dict[str, Any], Expected, int, Any]:
    exp = Expected()

    def script(k: FakeKernel, req: Message) -> dict[str, Any]:
        for move in script_moves:
            emit(k, req, move, exp)
        return plain_reply(k)

    fake.scripts.put(script)
    start = len(editor.notifications)
    msg_id = editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": f"fuzz {next(_n)}"})
    reply = editor.result(msg_id, timeout=30)
    return reply, exp, start, msg_id


def test_only_valid_kernel_messages_reach_the_editor(attached: tuple[Editor, FakeKernel, str]) -> None:
    editor, fake, kernel_id = attached
    replies_before = [0]

    @settings(derandomize=True, deadline=None, database=None, max_examples=250, suppress_health_check=list(HealthCheck))
    @given(st.lists(moves, min_size=1, max_size=8))
    def abuse(script_moves: list[Move]) -> None:
        note(repr(script_moves))
        editor.notifications.clear()
        reply, exp, start, msg_id = run_execute(editor, fake, kernel_id, script_moves)
        assert reply == {"status": "ok", "executionCount": fake.execution_count}, reply
        notes = editor.notifications[start:]
        assert MARK not in json.dumps(notes), [n for n in notes if MARK in json.dumps(n)]
        outputs = [
            n["params"] for n in notes if n["method"] == "jupyter/output" and n["params"]["kernelId"] == kernel_id
        ]
        mine = [o for o in outputs if o["requestId"] == msg_id]
        text = "".join(o["content"]["text"] for o in mine if o["msgType"] == "stream")
        assert text == "".join(exp.stdout)
        assert [(o["msgType"], o["content"]) for o in mine if o["msgType"] != "stream"] == exp.own
        foreign = [o for o in outputs if o["requestId"] is None]
        assert [(o["msgId"], o["msgType"], o["content"]) for o in foreign] == exp.foreign
        assert all(o["origin"] == "other" for o in foreign)
        assert len(mine) + len(foreign) == len(outputs)
        assert not [n for n in notes if n["method"] == "jupyter/status" and n["params"]["executionState"] == "dead"]
        # every valid input_request is answered once ("" when nobody can answer), a forged one never
        want = replies_before[0] + exp.input_requests
        deadline = time.monotonic() + 10
        while len(fake.messages("stdin", "input_reply")) < want and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05 if exp.input_requests else 0)
        got = fake.messages("stdin", "input_reply")
        assert len(got) == want, (len(got), want)
        assert all(m.content == {"value": ""} for m in got)
        replies_before[0] = want

    abuse()
    assert editor.process.poll() is None, stderr_tail(editor)
    # the bridge's own messages all verified on the kernel's side
    assert not fake.refused, fake.refused[:5]


def test_drops_are_logged_at_debug(attached: tuple[Editor, FakeKernel, str]) -> None:
    editor, fake, kernel_id = attached
    kinds = [
        Move("forged", "flipped"),
        Move("replay"),
        Move("truncated", "no-delimiter"),
        Move("truncated", "2"),
        Move("bad-json", "not-json", content="content"),
        Move("bad-json", "array", content="parent"),
        Move("shell-forged", "wrong-key"),
        Move("stdin-forged", "empty"),
        Move("shell-unknown"),
    ]
    reply, _, _, _ = run_execute(editor, fake, kernel_id, kinds)
    assert reply["status"] == "ok"
    expected = [
        ("iopub", "signature"),
        ("iopub", "replayed"),
        ("iopub", "delimiter"),
        ("iopub", "frames after the delimiter"),
        ("iopub", "JSON frame"),
        ("iopub", "not an object"),
        ("shell", "signature"),
        ("stdin", "signature"),
    ]

    def logged(line: str, channel: str, why: str) -> bool:
        return f"on {channel}" in line and why in line and "DEBUG" in line

    def read_log() -> str:
        editor.request("jupyter/listKernels")
        with open(editor.stderr_path) as f:  # type: ignore[attr-defined]
            return f.read()

    def all_logged() -> bool:
        dropped = [line for line in read_log().splitlines() if "dropped" in line]
        return all(any(logged(line, c, w) for line in dropped) for c, w in expected)

    # each channel has its own reader: a drop on stdin may be logged after the execute's reply
    wait_until(all_logged, "every channel's drops to be logged")
    log = read_log()
    dropped = [line for line in log.splitlines() if "dropped" in line]
    for channel, why in expected:
        assert any(logged(line, channel, why) for line in dropped), (
            channel,
            why,
            dropped,
        )
    assert any("reply to an unknown request" in line and "DEBUG" in line for line in log.splitlines())
