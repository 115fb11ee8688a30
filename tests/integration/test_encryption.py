"""CurveZMQ transport encryption for local kernels (docs/protocol.md, "Encryption").

Checked on the wire: a peer that has the connection file's HMAC key but no Curve keys gets
nothing from an encrypted kernel (no reply, no iopub, no heartbeat), while a Curve client
with the file's server key, set up here with raw pyzmq independently of the bridge's code,
gets everything. The same plain probe answers at once against a plain kernel, so its
silence means encryption, not a broken probe.
"""

from __future__ import annotations

import json
import stat
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
import zmq
from jupyter_client.connect import write_connection_file
from jupyter_client.manager import KernelManager

from bridge.client import BridgeClient, RpcError, spawn_bridge
from bridge.wire import MessageFactory, Signer, deserialize, serialize
from tests.integration.helpers import HANG_GUARD, run, stdout_text

# How long a plain peer is given to get anything: a plain kernel answers in milliseconds.
PLAIN_WAIT = 2.0


def new_files(runtime_dir: Path, before: set[Path]) -> list[Path]:
    return sorted(set(runtime_dir.glob("kernel-bridge-*.json")) - before)


@pytest.fixture
def plain_spec_path(tmp_path: Path) -> Path:
    """A JUPYTER_PATH with ``plainpy``: ipykernel's python3 spec without its
    ``metadata.supported_encryption`` (a kernel that does not declare Curve support)."""
    spec_dir = tmp_path / "kernels" / "plainpy"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (no curve declared)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return tmp_path


SEND_WAIT_MS = 5000


@contextmanager
def peers(info: dict[str, Any], *, curve: bool) -> Iterator[dict[str, zmq.Socket[bytes]]]:
    """shell DEALER, iopub SUB and hb REQ connected to the kernel of ``info``; with
    ``curve``, as CURVE clients of its public key (raw pyzmq, not the bridge's code)."""
    ctx = zmq.Context()
    socks: dict[str, zmq.Socket[bytes]] = {
        "shell": ctx.socket(zmq.DEALER),
        "iopub": ctx.socket(zmq.SUB),
        "hb": ctx.socket(zmq.REQ),
    }
    try:
        for channel, sock in socks.items():
            sock.setsockopt(zmq.LINGER, 0)
            # a DEALER or REQ with no pipe blocks on send: the plain peer's pipe goes with
            # each refused handshake (seen: a send waiting for 8 minutes in a loaded run)
            sock.setsockopt(zmq.SNDTIMEO, SEND_WAIT_MS)
            if curve:
                public, secret = zmq.curve_keypair()
                sock.curve_serverkey = info["curve_publickey"].encode("ascii")
                sock.curve_publickey = public
                sock.curve_secretkey = secret
            if channel == "iopub":
                sock.setsockopt(zmq.SUBSCRIBE, b"")
            sock.connect(f"tcp://{info['ip']}:{info[f'{channel}_port']}")
        yield socks
    finally:
        for sock in socks.values():
            sock.close(linger=0)
        ctx.term()


def send_kernel_info(sock: zmq.Socket[bytes], info: dict[str, Any]) -> None:
    """A correctly signed kernel_info_request: a plain peer lacks only the Curve keys."""
    msg = MessageFactory().build("kernel_info_request", {})
    sock.send_multipart(serialize(msg, Signer(info["key"].encode(), info["signature_scheme"])))


async def poll(sock: zmq.Socket[bytes], seconds: float) -> list[bytes] | None:
    """A message if one arrives within ``seconds``, else None."""
    if await trio.to_thread.run_sync(sock.poll, int(seconds * 1000)):
        return sock.recv_multipart()
    return None


async def wait_for_stream(sock: zmq.Socket[bytes], info: dict[str, Any], text: str, seconds: float) -> bool:
    signer = Signer(info["key"].encode(), info["signature_scheme"])
    with trio.move_on_after(seconds):
        while True:
            parts = await poll(sock, 0.2)
            if parts is None:
                continue
            msg = deserialize(parts, signer)
            if msg.msg_type == "stream" and text in msg.content.get("text", ""):
                return True
    return False


async def start(client: BridgeClient, runtime_dir: Path, **params: Any) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    before = set(runtime_dir.glob("kernel-bridge-*.json"))
    kernel = await client.request("jupyter/startKernel", params)
    (path,) = new_files(runtime_dir, before)
    return kernel, path, json.loads(path.read_text())


async def test_by_default_a_curve_kernel_runs_encrypted_and_plain_peers_get_nothing(runtime_dir: Path) -> None:
    assert zmq.has("curve")
    async with spawn_bridge() as client:
        await client.initialize()
        kernel, path, info = await start(client, runtime_dir)
        kernel_id = kernel["kernelId"]
        assert kernel["encrypted"] is True
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        public, secret = info["curve_publickey"].encode(), info["curve_secretkey"].encode()
        assert len(public) == len(secret) == 40 and zmq.curve_public(secret) == public
        reply, outs = await run(client, kernel_id, "print('sealed')")
        assert reply["status"] == "ok" and stdout_text(outs) == "sealed\n"
        listed = await client.request("jupyter/listKernels")
        assert listed[0]["encrypted"] is True

        with peers(info, curve=False) as plain, peers(info, curve=True) as sealed:
            for socks in (plain, sealed):
                try:
                    send_kernel_info(socks["shell"], info)
                    socks["hb"].send(b"ping")
                except zmq.Again:
                    # no pipe to send on: the kernel refused the handshake, which is the point
                    assert socks is plain
            # the Curve peer (the control) gets everything ...
            reply_parts = await poll(sealed["shell"], HANG_GUARD)
            assert reply_parts is not None
            assert deserialize(reply_parts, Signer(info["key"].encode())).msg_type == "kernel_info_reply"
            assert await poll(sealed["hb"], HANG_GUARD) == [b"ping"]
            seen = False
            with trio.fail_after(HANG_GUARD):
                while not seen:  # until the SUB's subscription has reached the kernel
                    await run(client, kernel_id, "print('broadcast')")
                    seen = await wait_for_stream(sealed["iopub"], info, "broadcast", 0.5)
            # ... and the plain peer, with the same HMAC key and the same chances, nothing
            await run(client, kernel_id, "print('broadcast')")
            assert await poll(plain["shell"], PLAIN_WAIT) is None
            assert await poll(plain["iopub"], 0.1) is None
            assert await poll(plain["hb"], 0.1) is None
        reply, outs = await run(client, kernel_id, "print('still fine')")
        assert stdout_text(outs) == "still fine\n"


async def test_encryption_off_gives_a_plain_kernel_that_the_plain_probe_reaches(runtime_dir: Path) -> None:
    async with spawn_bridge(["--encryption", "off"]) as client:
        await client.initialize()
        kernel, _, info = await start(client, runtime_dir)
        assert kernel["encrypted"] is False
        assert "curve_publickey" not in info and "curve_secretkey" not in info
        with peers(info, curve=False) as plain:
            send_kernel_info(plain["shell"], info)
            plain["hb"].send(b"ping")
            reply = await poll(plain["shell"], HANG_GUARD)
            assert (
                reply is not None and deserialize(reply, Signer(info["key"].encode())).msg_type == "kernel_info_reply"
            )
            assert await poll(plain["hb"], HANG_GUARD) == [b"ping"]
            seen = False
            with trio.fail_after(HANG_GUARD):
                while not seen:
                    reply, outs = await run(client, kernel["kernelId"], "print('plain')")
                    assert stdout_text(outs) == "plain\n"
                    seen = await wait_for_stream(plain["iopub"], info, "plain", 0.5)


async def test_auto_starts_a_kernel_without_declared_curve_support_plain(
    runtime_dir: Path, plain_spec_path: Path
) -> None:
    async with spawn_bridge(env={"JUPYTER_PATH": str(plain_spec_path)}) as client:
        await client.initialize()
        kernel, _, info = await start(client, runtime_dir, kernelName="plainpy")
        assert kernel["encrypted"] is False and "curve_publickey" not in info
        reply, outs = await run(client, kernel["kernelId"], "print('no curve')")
        assert stdout_text(outs) == "no curve\n"


async def test_required_refuses_kernels_and_connection_files_without_curve(
    runtime_dir: Path, plain_spec_path: Path, tmp_path: Path
) -> None:
    plain_file, _ = write_connection_file(str(tmp_path / "kernel-plain.json"), key=b"k" * 32)
    async with spawn_bridge(env={"JUPYTER_PATH": str(plain_spec_path)}) as client:
        await client.initialize(initializationOptions={"encryption": "required"})
        before = set(runtime_dir.glob("kernel-bridge-*.json"))
        with pytest.raises(RpcError) as refused:
            await client.request("jupyter/startKernel", {"kernelName": "plainpy"})
        assert refused.value.code == -32010
        assert "'plainpy'" in refused.value.message and "supported_encryption" in refused.value.message
        assert "required" in refused.value.message
        assert refused.value.data == {"kernelName": "plainpy", "encryption": "required"}
        assert new_files(runtime_dir, before) == []  # nothing was started, no key written
        with pytest.raises(RpcError) as refused:
            await client.request("jupyter/connectKernel", {"connectionFile": plain_file})
        assert refused.value.code == -32014
        assert plain_file in refused.value.message and "required" in refused.value.message
        assert refused.value.data == {"connectionFile": plain_file, "encryption": "required"}
        assert await client.request("jupyter/listKernels") == []
        # a kernelspec that declares curve starts, encrypted
        kernel = await client.request("jupyter/startKernel", {"kernelName": "python3"})
        assert kernel["encrypted"] is True
        reply, _ = await run(client, kernel["kernelId"], "1 + 1")
        assert reply["status"] == "ok"


async def test_connect_to_a_curve_kernel_started_by_jupyter_client(runtime_dir: Path) -> None:
    km = KernelManager(kernel_name="python3", connection_file=str(runtime_dir / f"kernel-jc-{uuid.uuid4()}.json"))
    km.start_kernel(transport_encryption="auto")
    try:
        info = json.loads(Path(km.connection_file).read_text())
        assert "curve_publickey" in info and "curve_secretkey" in info
        async with spawn_bridge() as client:
            await client.initialize(initializationOptions={"encryption": "required"})
            running = await client.request("jupyter/listRunningKernels")
            (entry,) = [e for e in running if e["connectionFile"] == km.connection_file]
            assert entry["alive"] is True and entry["encrypted"] is True
            kernel = await client.request("jupyter/connectKernel", {"connectionFile": km.connection_file})
            assert kernel["encrypted"] is True
            reply, outs = await run(client, kernel["kernelId"], "print('over curve')")
            assert reply["status"] == "ok" and stdout_text(outs) == "over curve\n"
            await client.request("jupyter/shutdownKernel", {"kernelId": kernel["kernelId"]})
        assert km.is_alive()
    finally:
        km.shutdown_kernel(now=True)
