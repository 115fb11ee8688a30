"""A kernel speaking protocol 4.1 (pyin/pyout, object_info, the old complete and stream
fields): a small fake peer on real zmq sockets, driven through the bridge with the same
editor API as any 5.x kernel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio
import zmq

from bridge.client import BridgeClient
from bridge.wire import Message, MessageFactory, Signer, deserialize, serialize
from bridge.zmqio import AsyncSocket
from tests.integration.helpers import run, stdout_text

KEY = b"protocol-four-test-key"


class FakeV4Kernel:
    """Answers like an IPython 2.x kernel would (protocol 4.1): no header version."""

    def __init__(self, ctx: zmq.Context[Any]) -> None:
        self.signer = Signer(KEY)
        self.factory = MessageFactory(session="fake-v4")
        self.received: list[Message] = []
        self.sockets = {
            "shell": ctx.socket(zmq.ROUTER),
            "control": ctx.socket(zmq.ROUTER),
            "stdin": ctx.socket(zmq.ROUTER),
            "iopub": ctx.socket(zmq.PUB),
            "hb": ctx.socket(zmq.REP),
        }
        self.ports = {name: s.bind_to_random_port("tcp://127.0.0.1") for name, s in self.sockets.items()}
        self.io = {name: AsyncSocket(s) for name, s in self.sockets.items()}
        self.count = 0

    def connection_file(self, directory: Path) -> Path:
        path = directory / "kernel-v4.json"
        info = {f"{name}_port": port for name, port in self.ports.items()}
        info.update(ip="127.0.0.1", transport="tcp", key=KEY.decode(), signature_scheme="hmac-sha256")
        path.write_text(json.dumps(info))
        return path

    def v4(self, msg_type: str, content: dict[str, Any], parent: Message) -> Message:
        msg = self.factory.build(msg_type, content, parent=parent)
        msg.header.pop("version")
        msg.parent_header.pop("version", None)
        return msg

    async def publish(self, msg_type: str, content: dict[str, Any], parent: Message) -> None:
        await self.io["iopub"].send_multipart(serialize(self.v4(msg_type, content, parent), self.signer))

    async def reply(self, channel: str, request: Message, msg_type: str, content: dict[str, Any]) -> None:
        msg = self.v4(msg_type, content, request)
        msg.idents = request.idents
        await self.io[channel].send_multipart(serialize(msg, self.signer))

    async def serve_hb(self) -> None:
        while True:
            await self.io["hb"].send_multipart(await self.io["hb"].recv_multipart())

    async def serve(self, channel: str) -> None:
        while True:
            request = deserialize(await self.io[channel].recv_multipart(), self.signer)
            self.received.append(request)
            await self.publish("status", {"execution_state": "busy"}, request)
            await self.answer(channel, request)
            await self.publish("status", {"execution_state": "idle"}, request)

    async def answer(self, channel: str, req: Message) -> None:
        kind = req.msg_type
        if kind == "kernel_info_request":
            await self.reply(
                channel,
                req,
                "kernel_info_reply",
                {
                    "protocol_version": [4, 1],
                    "language": "python",
                    "language_version": [3, 11],
                    "ipython_version": [2, 4, 1],
                },
            )
        elif kind == "execute_request":
            self.count += 1
            await self.publish("pyin", {"code": req.content["code"], "execution_count": self.count}, req)
            await self.publish("stream", {"name": "stdout", "data": "hello from v4\n"}, req)
            await self.publish(
                "pyout", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": self.count}, req
            )
            await self.reply(
                channel,
                req,
                "execute_reply",
                {
                    "status": "ok",
                    "execution_count": self.count,
                    "user_variables": {},
                    "payload": [],
                    "user_expressions": {},
                },
            )
        elif kind == "object_info_request":
            await self.reply(
                channel,
                req,
                "object_info_reply",
                {
                    "name": req.content["oname"],
                    "found": True,
                    "definition": "print(*args)",
                    "docstring": "Prints the values.",
                },
            )
        elif kind == "complete_request":
            await self.reply(
                channel, req, "complete_reply", {"status": "ok", "matches": ["print"], "matched_text": "pri"}
            )

    def close(self) -> None:
        for s in self.io.values():
            s.close()


@pytest.fixture
async def fake_v4(tmp_path: Path) -> AsyncIterator[tuple[FakeV4Kernel, Path]]:
    ctx = zmq.Context()
    kernel = FakeV4Kernel(ctx)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(kernel.serve, "shell")
            nursery.start_soon(kernel.serve, "control")
            nursery.start_soon(kernel.serve_hb)
            yield kernel, kernel.connection_file(tmp_path)
            nursery.cancel_scope.cancel()
    finally:
        kernel.close()
        ctx.term()


async def test_protocol_4_kernel_round_trip(bridge: BridgeClient, fake_v4: tuple[FakeV4Kernel, Path]) -> None:
    fake, path = fake_v4
    kernel = await bridge.request("jupyter/connectKernel", {"connectionFile": str(path)})
    info = await bridge.request("jupyter/kernelInfo", {"kernelId": kernel["kernelId"]})
    assert info["protocol_version"] == "4.1"
    assert info["language_info"]["name"] == "python" and info["implementation"] == "ipython"

    reply, outs = await run(bridge, kernel["kernelId"], "print('hello'); 6*7")
    assert reply == {"status": "ok", "executionCount": 1}
    assert [o["msgType"] for o in outs] == ["stream", "execute_result"]
    assert stdout_text(outs) == "hello from v4\n"
    assert outs[1]["content"]["data"]["text/plain"] == "42"
    execute = next(m for m in fake.received if m.msg_type == "execute_request")
    assert execute.content["user_variables"] == [] and "version" not in execute.header

    inspect = await bridge.request(
        "jupyter/inspect", {"kernelId": kernel["kernelId"], "code": "x = print", "cursorPos": 9}
    )
    assert inspect["found"] is True and inspect["data"]["text/plain"] == "print(*args)\nPrints the values."
    object_info = next(m for m in fake.received if m.msg_type == "object_info_request")
    assert object_info.content == {"oname": "print", "detail_level": 0}

    complete = await bridge.request(
        "jupyter/complete", {"kernelId": kernel["kernelId"], "code": "x = 1\npri", "cursorPos": 9}
    )
    assert complete["matches"] == ["print"]
    assert (complete["cursor_start"], complete["cursor_end"]) == (6, 9)
    request = next(m for m in fake.received if m.msg_type == "complete_request")
    assert request.content == {"text": "", "line": "pri", "block": None, "cursor_pos": 3}
