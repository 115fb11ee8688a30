"""Protocol 4.x adaptation over plain messages."""

from __future__ import annotations

from bridge.wire import MessageFactory
from bridge.wire.adapt import from_v4, speaks_v4, to_v4

factory = MessageFactory(session="s")


def test_only_kernel_info_decides_the_protocol() -> None:
    assert speaks_v4(factory.build("kernel_info_reply", {"protocol_version": [4, 1]}))
    assert speaks_v4(factory.build("kernel_info_reply", {"protocol_version": "4.1"}))
    assert not speaks_v4(factory.build("kernel_info_reply", {"protocol_version": "5.3"}))
    assert not speaks_v4(factory.build("kernel_info_reply", {}))


def test_pyout_and_old_stream_become_v5() -> None:
    pyout = factory.build("pyout", {"data": {"text/plain": "1"}, "execution_count": 1, "metadata": {}})
    pyout.header.pop("version")
    assert from_v4(pyout).msg_type == "execute_result"
    stream = factory.build("stream", {"name": "stdout", "data": "x"})
    stream.header.pop("version")
    assert from_v4(stream).content == {"name": "stdout", "text": "x"}


def test_inspect_request_becomes_object_info_with_the_name_at_the_cursor() -> None:
    msg = to_v4(factory.build("inspect_request", {"code": "a = os.path.join(", "cursor_pos": 17, "detail_level": 1}))
    assert msg.msg_type == "object_info_request"
    assert msg.content == {"oname": "os.path.join", "detail_level": 1}
    assert "version" not in msg.header


def test_complete_reply_positions_come_from_the_request() -> None:
    request = factory.build("complete_request", {"code": "import o", "cursor_pos": 8})
    reply = factory.build("complete_reply", {"status": "ok", "matches": ["os"], "matched_text": "o"}, parent=request)
    reply.header.pop("version")
    adapted = from_v4(reply, request)
    assert (adapted.content["cursor_start"], adapted.content["cursor_end"]) == (7, 8)


def test_adaptation_does_not_mutate_the_original() -> None:
    original = factory.build("execute_request", {"code": "1"})
    to_v4(original)
    assert "user_variables" not in original.content and original.header["version"] == "5.3"
