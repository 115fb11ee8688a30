"""A fake kernel on real zmq sockets, run in a thread: it answers ``kernel_info`` (so
``jupyter/connectKernel`` succeeds) and ``execute_request`` properly, and can send anything
at all on iopub, shell and stdin — which is what the kernel-side fuzzer needs.

Built on the bridge's sans-IO wire layer (``bridge.wire``) for the messages it means to be
valid; the abuse is built from raw frames.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq

from bridge.wire import DELIMITER, Message, MessageFactory, Signer, WireError, deserialize, serialize

Frames = list[bytes]
# What the kernel does on an execute_request, in its own thread: gets the kernel and the
# request, returns the execute_reply content (or None to send no reply).
Script = Callable[["FakeKernel", Message], "dict[str, Any] | None"]
# Rewrites every message the kernel sends (its four JSON parts, by name) before it is
# signed: how a real kernel's harmless deviations from the spec are played.
Mangle = Callable[[dict[str, Any]], dict[str, Any]]


class FakeKernel:
    def __init__(
        self,
        key: bytes = b"fake-kernel-key-0123456789abcdef",
        scheme: str = "hmac-sha256",
        *,
        answer_kernel_info: bool = True,
        publish_status: bool = True,
        mangle: Mangle | None = None,
    ) -> None:
        self.key = key
        self.scheme = scheme
        self.signer = Signer(key, scheme)
        self.factory = MessageFactory(session="fake-kernel-" + uuid.uuid4().hex[:8], username="fake")
        self.answer_kernel_info = answer_kernel_info
        self.publish_status = publish_status
        self.mangle = mangle
        self.ctx: zmq.Context[Any] = zmq.Context()
        self.sockets = {
            "shell": self.ctx.socket(zmq.ROUTER),
            "control": self.ctx.socket(zmq.ROUTER),
            "stdin": self.ctx.socket(zmq.ROUTER),
            "iopub": self.ctx.socket(zmq.PUB),
            "hb": self.ctx.socket(zmq.REP),
        }
        for sock in self.sockets.values():
            sock.setsockopt(zmq.LINGER, 0)
        for name in ("shell", "control", "stdin"):  # fail loudly instead of dropping
            self.sockets[name].setsockopt(zmq.ROUTER_MANDATORY, 1)
        self.sockets["iopub"].setsockopt(zmq.SNDHWM, 0)
        self.ports = {name: s.bind_to_random_port("tcp://127.0.0.1") for name, s in self.sockets.items()}
        self._wake_recv = self.ctx.socket(zmq.PAIR)
        self._wake_recv.bind(f"inproc://wake-{id(self)}")
        self._wake_send = self.ctx.socket(zmq.PAIR)
        self._wake_send.connect(f"inproc://wake-{id(self)}")
        self._calls: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        self.scripts: queue.Queue[Script] = queue.Queue()
        self.received: list[tuple[str, Message]] = []  # verified messages from the bridge
        self.refused: list[tuple[str, str]] = []  # messages from the bridge we could not verify
        self.execution_count = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="fake-kernel", daemon=True)
        self._thread.start()

    # -- setup and teardown ----------------------------------------------------------------

    def connection_file(self, directory: Path, *, key: bytes | None = None, scheme: str | None = None) -> Path:
        info: dict[str, Any] = {f"{name}_port": port for name, port in self.ports.items()}
        info.update(
            ip="127.0.0.1",
            transport="tcp",
            key=(self.key if key is None else key).decode(),
            signature_scheme=scheme or self.scheme,
            kernel_name="fake",
        )
        path = directory / f"kernel-fake-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(info))
        path.chmod(0o600)
        return path

    def close(self) -> None:
        self._stop.set()
        self._wake_send.send(b"")
        self._thread.join(10)
        for sock in [*self.sockets.values(), self._wake_recv, self._wake_send]:
            sock.close(0)
        self.ctx.term()

    # -- running code in the kernel's thread -----------------------------------------------

    def call(self, fn: Callable[[], Any], timeout: float = 30) -> Any:
        """Run ``fn`` in the kernel thread (which owns the sockets) and return its result."""
        done: queue.Queue[Any] = queue.Queue()
        self._calls.put((fn, done))
        self._wake_send.send(b"")
        ok, value = done.get(timeout=timeout)
        if not ok:
            raise value
        return value

    def messages(self, channel: str | None = None, msg_type: str | None = None) -> list[Message]:
        with self._lock:
            return [
                m
                for c, m in self.received
                if (channel is None or c == channel) and (msg_type is None or m.msg_type == msg_type)
            ]

    # -- building and sending (kernel thread only) ------------------------------------------

    def build(self, msg_type: str, content: dict[str, Any], parent: Message | dict[str, Any] | None = None) -> Message:
        msg = self.factory.build(msg_type, content)
        if isinstance(parent, Message):
            msg.parent_header = dict(parent.header)
        elif parent is not None:
            msg.parent_header = dict(parent)
        return msg

    def frames(self, msg: Message, *, topic: bool = True) -> Frames:
        """The message signed with the kernel's key; iopub messages carry a topic ident."""
        if self.mangle is None:
            wire = serialize(msg, self.signer)
        else:
            parts = self.mangle(
                {
                    "header": dict(msg.header),
                    "parent_header": dict(msg.parent_header),
                    "metadata": dict(msg.metadata),
                    "content": dict(msg.content),
                }
            )
            jsons = [json.dumps(parts[name]).encode() for name in ("header", "parent_header", "metadata", "content")]
            wire = [DELIMITER, self.signer.sign(jsons), *jsons]
        return [f"kernel.fake.{msg.msg_type}".encode(), *wire] if topic else wire

    def send_raw(self, channel: str, frames: Frames, *, to: Message | None = None) -> None:
        """Send frames as they are; on a ROUTER (shell, control, stdin), addressed to the
        bridge client that sent ``to`` (its stdin socket has the shell socket's identity)."""
        sock = self.sockets[channel]
        if channel in ("shell", "control", "stdin"):
            assert to is not None, "a ROUTER needs the peer's identity"
            frames = [*to.idents, *frames]
        sock.send_multipart(frames)

    def publish(self, msg_type: str, content: dict[str, Any], parent: Message | dict[str, Any] | None) -> Message:
        msg = self.build(msg_type, content, parent)
        self.send_raw("iopub", self.frames(msg))
        return msg

    def reply(self, channel: str, request: Message, msg_type: str, content: dict[str, Any]) -> Message:
        msg = self.build(msg_type, content, request)
        self.send_raw(channel, self.frames(msg, topic=False), to=request)
        return msg

    # -- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        poller = zmq.Poller()
        for name in ("shell", "control", "stdin", "hb"):
            poller.register(self.sockets[name], zmq.POLLIN)
        poller.register(self._wake_recv, zmq.POLLIN)
        while not self._stop.is_set():
            for sock, _ in poller.poll(1000):
                if sock is self._wake_recv:
                    self._wake_recv.recv()
                    self._run_calls()
                elif sock is self.sockets["hb"]:
                    sock.send_multipart(sock.recv_multipart())
                else:
                    channel = next(n for n, s in self.sockets.items() if s is sock)
                    self._on_request(channel, sock.recv_multipart())

    def _run_calls(self) -> None:
        while True:
            try:
                fn, done = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((True, fn()))
            except BaseException as exc:  # handed to the caller
                done.put((False, exc))

    def _on_request(self, channel: str, parts: Frames) -> None:
        try:
            msg = deserialize(parts, self.signer)
        except WireError as exc:
            with self._lock:
                self.refused.append((channel, str(exc)))
            return
        with self._lock:
            self.received.append((channel, msg))
        if channel == "stdin":
            return
        kind = msg.msg_type
        if kind == "kernel_info_request":
            if not self.answer_kernel_info:
                return
            self._status("busy", msg)
            self.reply(
                channel,
                msg,
                "kernel_info_reply",
                {
                    "status": "ok",
                    "protocol_version": "5.3",
                    "implementation": "fake",
                    "implementation_version": "0",
                    "language_info": {
                        "name": "python",
                        "version": "3",
                        "mimetype": "text/x-python",
                        "file_extension": ".py",
                    },
                    "banner": "a fake kernel",
                    "help_links": [],
                },
            )
            self._status("idle", msg)
        elif kind == "execute_request":
            self.execution_count += 1
            try:
                script = self.scripts.get_nowait()
            except queue.Empty:
                script = _plain_execute
            self._status("busy", msg)
            content = script(self, msg)
            if content is not None:
                self.reply(channel, msg, "execute_reply", content)
            self._status("idle", msg)
        elif kind in ("shutdown_request", "interrupt_request"):
            self.reply(channel, msg, kind.replace("_request", "_reply"), {"status": "ok", "restart": False})
        elif kind.endswith("_request"):
            self._status("busy", msg)
            self.reply(channel, msg, kind.replace("_request", "_reply"), {"status": "ok"})
            self._status("idle", msg)

    def _status(self, state: str, parent: Message) -> None:
        if self.publish_status:
            self.publish("status", {"execution_state": state}, parent)


def _plain_execute(kernel: FakeKernel, request: Message) -> dict[str, Any]:
    kernel.publish("stream", {"name": "stdout", "text": f"ran {request.content.get('code')!s}\n"}, request)
    return {"status": "ok", "execution_count": kernel.execution_count, "user_expressions": {}, "payload": []}


def plain_reply(kernel: FakeKernel) -> dict[str, Any]:
    return {"status": "ok", "execution_count": kernel.execution_count, "user_expressions": {}, "payload": []}


__all__ = ["DELIMITER", "FakeKernel", "Frames", "Mangle", "Script", "plain_reply"]
