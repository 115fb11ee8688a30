"""The editor client's core (bridge/client_protocol.py) over bytes: what both drivers rely on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridge.client_protocol import (
    NOTIFICATION,
    NULL_ID_ERROR,
    RESPONSE,
    SERVER_REQUEST,
    BadFrame,
    ClientProtocol,
    RpcError,
    result_of,
)
from bridge.server.framing import Body, FrameReader, frame


def wire(*messages: Any) -> bytes:
    return b"".join(frame(json.dumps(m).encode()) for m in messages)


def output(request_id: int, text: str) -> dict[str, Any]:
    params = {"requestId": request_id, "msgType": "stream", "content": {"name": "stdout", "text": text}}
    return {"jsonrpc": "2.0", "method": "jupyter/output", "params": params}


def decoded(data: bytes) -> dict[str, Any]:
    reader = FrameReader()
    reader.feed(data)
    event = reader.next_event()
    assert isinstance(event, Body)
    parsed: dict[str, Any] = json.loads(event.data)
    return parsed


def test_requests_get_fresh_ids_and_leave_out_absent_params() -> None:
    client = ClientProtocol()
    first, data = client.encode_request("jupyter/listKernels")
    second, _ = client.encode_request("jupyter/listKernels", {})
    assert (first, second) == (1, 2)
    assert decoded(data) == {"jsonrpc": "2.0", "id": 1, "method": "jupyter/listKernels"}
    assert client.encode_request("x", None, msg_id="mine")[0] == "mine"


def test_a_message_split_across_reads_arrives_once_whole() -> None:
    client = ClientProtocol()
    data = wire({"jsonrpc": "2.0", "id": 1, "result": 42})
    assert client.receive_data(data[:7]) == []
    (message,) = client.receive_data(data[7:])
    assert message["result"] == 42 and client.bytes_received == len(data)


def test_each_kind_of_message_is_recorded_and_named() -> None:
    client = ClientProtocol()
    messages = client.receive_data(
        wire(
            output(1, "a"),
            {"jsonrpc": "2.0", "id": 1, "result": {"status": "ok"}},
            {"jsonrpc": "2.0", "id": 7, "method": "jupyter/input", "params": {"prompt": "? "}},
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}},
        )
    )
    assert [client.handle(m) for m in messages] == [NOTIFICATION, RESPONSE, SERVER_REQUEST, NULL_ID_ERROR]
    assert client.outputs(1) == [output(1, "a")["params"]] and client.outputs(2) == []
    assert client.notifications_before[1] == 1, "outputs before their reply are counted"
    assert result_of(client.take_response(1) or {}) == {"status": "ok"}
    assert client.server_requests[0]["method"] == "jupyter/input"
    assert client.null_errors[0]["error"]["code"] == -32700


def test_a_flood_can_be_counted_without_being_kept() -> None:
    client = ClientProtocol(keep_notifications=False)
    for message in client.receive_data(wire(*[output(1, "x")] * 3)):
        client.handle(message)
    assert client.notification_count == 3 and client.notifications == []


def test_an_error_response_raises_with_its_code_and_data() -> None:
    with pytest.raises(RpcError) as raised:
        result_of({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "kernelId", "data": [1]}})
    assert (raised.value.code, raised.value.message, raised.value.data) == (-32602, "kernelId", [1])


def test_end_of_output_and_bad_frames() -> None:
    client = ClientProtocol()
    assert client.receive_data(b"") == [] and client.eof
    with pytest.raises(BadFrame):
        ClientProtocol().receive_data(b"Content-Length: x\r\n\r\n{}")


def test_a_reply_to_a_server_request_echoes_its_id() -> None:
    reply = decoded(ClientProtocol().encode_reply(7, {"result": "42"}))
    assert reply == {"jsonrpc": "2.0", "id": 7, "result": "42"}
