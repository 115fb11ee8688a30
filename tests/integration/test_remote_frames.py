"""Remote kernels without a server: WebSocket frames against jupyter_server's own codec,
server settings, and tokens kept out of logs. Milliseconds; no kernel."""

from __future__ import annotations

import logging
from types import ModuleType

import pytest

from bridge.errors import InvalidParams
from bridge.remote.config import _RedactTokens, resolve_server
from bridge.wire import MalformedMessage, MessageFactory
from bridge.wire.websocket import V1_SUBPROTOCOL, decode, decode_json, decode_v1, encode, encode_json, encode_v1


@pytest.fixture
def ws_codec() -> ModuleType:
    """jupyter_server's own WebSocket codec, the reference (a test dependency)."""
    return pytest.importorskip("jupyter_server.services.kernels.connection.base")


def sample(buffers: list[bytes] | None = None):  # type: ignore[no-untyped-def]
    factory = MessageFactory()
    parent = factory.build("execute_request", {"code": "1"})
    return factory.build("stream", {"name": "stdout", "text": "é\n"}, parent=parent, metadata={"m": 1}, buffers=buffers)


def test_v1_frames_are_what_jupyter_server_reads(ws_codec: ModuleType) -> None:
    msg = sample([b"\x00\x01", b"buf"])
    channel, parts = ws_codec.deserialize_msg_from_ws_v1(encode_v1("shell", msg))
    assert channel == "shell" and parts[4:] == [b"\x00\x01", b"buf"]
    assert decode_v1(encode_v1("shell", msg)) == ("shell", msg)


def test_v1_frames_jupyter_server_writes_are_read(ws_codec: ModuleType) -> None:
    msg = sample([b"x"])
    from bridge.wire.serialize import pack

    parts = [pack(msg.header), pack(msg.parent_header), pack(msg.metadata), pack(msg.content), b"x"]
    channel, got = decode(ws_codec.serialize_msg_to_ws_v1(parts, "iopub"), V1_SUBPROTOCOL)
    assert channel == "iopub" and got == msg


def test_json_protocol_both_ways_with_and_without_buffers(ws_codec: ModuleType) -> None:
    plain = sample()
    text = encode("stdin", plain, None)
    assert isinstance(text, str) and decode(text, None) == ("stdin", plain)
    with_buffers = sample([b"abc"])
    binary = encode_json("shell", with_buffers)
    assert isinstance(binary, bytes)
    assert ws_codec.deserialize_binary_message(binary)["buffers"] == [b"abc"]
    server_side = ws_codec.serialize_binary_message(
        {"channel": "iopub", "header": with_buffers.header, "parent_header": with_buffers.parent_header,
         "metadata": with_buffers.metadata, "content": with_buffers.content, "buffers": [b"abc"]}
    )  # fmt: skip
    assert decode_json(server_side) == ("iopub", with_buffers)


@pytest.mark.parametrize("frame", [b"", b"\x02" + b"\x00" * 7, (99).to_bytes(8, "little") + b"\x00" * 16, "text"])
def test_malformed_v1_frames_are_refused(frame: bytes | str) -> None:
    with pytest.raises(MalformedMessage):
        decode(frame, V1_SUBPROTOCOL)


@pytest.mark.parametrize(
    "frame", ["not json", "[1]", '{"header": {}}', '{"channel": "shell", "header": {"msg_type": "x"}}']
)
def test_malformed_json_frames_are_refused(frame: str) -> None:
    with pytest.raises(MalformedMessage):
        decode(frame, None)


def test_server_from_a_pasted_url_keeps_the_token_out_of_it() -> None:
    server = resolve_server("https://gpu.example:8888/lab?token=abc123", {})
    assert server.url == "https://gpu.example:8888/" and server.token == "abc123"
    assert "abc123" not in repr(server) and "abc123" not in server.display
    assert (
        server.ws_url("api/kernels/k/channels", session_id="s")
        == "wss://gpu.example:8888/api/kernels/k/channels?session_id=s"
    )


def test_named_server_with_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_GPU_TOKEN", "from-env")
    servers = {"gpu": {"url": "http://gpu:8888/base", "tokenEnv": "KB_GPU_TOKEN", "keepKernels": True}}
    server = resolve_server("gpu", servers)
    assert (server.name, server.url, server.token, server.keep_kernels) == (
        "gpu",
        "http://gpu:8888/base/",
        "from-env",
        True,
    )
    assert server.headers() == {"Authorization": "token from-env"}
    assert resolve_server({"name": "gpu", "keepKernels": False}, servers).keep_kernels is False


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("nope", "no server named 'nope'"),
        ({"url": "ftp://x"}, "server.url"),
        ({"url": "http://x", "tokenEnv": "KB_SURELY_UNSET_VAR"}, "KB_SURELY_UNSET_VAR is not set"),
        ({"url": "http://x", "keepKernels": "yes"}, "keepKernels"),
        (42, "server"),
    ],
)
def test_bad_server_params_name_the_field(value: object, words: str) -> None:
    with pytest.raises(InvalidParams) as err:
        resolve_server(value, {"gpu": {"url": "http://gpu/"}})
    assert words in err.value.message


@pytest.mark.parametrize(
    "line",
    [
        'initialize {"initializationOptions": {"servers": {"a": {"url": "http://x", "token": "s3cr3t-value"}}}}',
        "params={'server': {'url': 'http://x', 'token': 's3cr3t-value'}}",
        "GET http://x/api?token=s3cr3t-value&b=1",
        "headers Authorization: token s3cr3t-value",
    ],
)
def test_tokens_never_reach_the_log(line: str) -> None:
    record = logging.LogRecord("pygls", logging.DEBUG, __file__, 1, "%s", (line,), None)
    assert _RedactTokens().filter(record)
    assert "s3cr3t-value" not in record.getMessage() and "***" in record.getMessage()
