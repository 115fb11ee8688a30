"""``kernel-bridge sidecar --existing [FILE]``: a sidecar for a kernel run by anyone else.

It subscribes to the kernel's iopub channel (a SUB socket from the connection file,
messages checked with the file's key) and never sends anything to the kernel — not even
heartbeats — so it cannot disturb it, and it does not notice when the kernel ends: it
serves until Ctrl-C (or SIGTERM). FILE is found the way ``jupyter console --existing``
finds it: a path, a name or fragment in the Jupyter runtime dir, or (omitted) the newest.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import webbrowser
from functools import partial
from typing import Any

import trio
import zmq

from bridge.errors import BridgeError, unwrap_group
from bridge.kernels.connection_info import ConnectionInfo
from bridge.kernels.encryption import secure_client_socket
from bridge.sidecar.hub import SidecarHub
from bridge.wire import Message, ReplayGuard, Signer, WireError, deserialize
from bridge.zmqio import AsyncSocket

log = logging.getLogger(__name__)

# iopub types of protocol 4.x kernels (IPython 2 era); adapted to 5.x for the page
_V4_TYPES = frozenset({"pyin", "pyout", "pyerr"})


def _adapt(msg: Message) -> Message:
    """A 4.x iopub message as 5.x. We cannot ask the kernel which protocol it speaks (we
    send nothing), so the message's own shape decides."""
    if msg.msg_type in _V4_TYPES or (msg.msg_type == "stream" and "text" not in msg.content and "data" in msg.content):
        from bridge.wire.adapt import from_v4

        return from_v4(msg)
    return msg


async def read_iopub(
    info: ConnectionInfo, hub: SidecarHub, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Feed ``hub`` from the kernel's iopub channel until cancelled."""
    signer = Signer(info.key, info.signature_scheme)
    guard = ReplayGuard()
    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVHWM, 0)  # never drop on our side; we drain promptly
    sock.setsockopt(zmq.SUBSCRIBE, b"")
    secure_client_socket(sock, info)  # a curve kernel publishes to CURVE clients only
    sock.connect(info.address("iopub"))
    iopub = AsyncSocket(sock)
    try:
        task_status.started()
        while True:
            parts = await iopub.recv_multipart()
            try:
                msg = _adapt(deserialize(parts, signer, guard))
            except (WireError, KeyError, TypeError, ValueError) as exc:
                log.debug("dropped an iopub message: %s", exc)
                continue
            hub.publish_iopub(msg)
    finally:
        iopub.close()


async def serve(
    info: ConnectionInfo,
    *,
    port: int = 0,
    open_browser: bool = False,
    announce: Any = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the sidecar of the kernel behind ``info`` until cancelled."""
    from bridge.sidecar.http import SidecarServer

    name = info.path.name if info.path else "kernel"
    hub = SidecarHub(f"{info.kernel_name or 'kernel'} · {name}" if info.kernel_name else name)
    server = SidecarServer(hub, port=port)
    async with trio.open_nursery() as nursery:
        await nursery.start(read_iopub, info, hub)
        url = await nursery.start(server.run)
        if announce is not None:
            announce(url)
        if open_browser:
            webbrowser.open(url)  # a subprocess for the usual browsers; returns at once
        task_status.started(url)


async def _main(info: ConnectionInfo, port: int, open_browser: bool) -> None:
    def announce(url: str) -> None:
        print(url, flush=True)
        where = info.path or "its connection info"
        print(
            f"kernel-bridge sidecar: showing the outputs of the kernel of {where}; Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )

    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(serve, info, port=port, open_browser=open_browser, announce=announce))
            async for _ in signals:
                break
            nursery.cancel_scope.cancel()


def main(argv: list[str] | None = None) -> int:
    """The ``kernel-bridge sidecar`` command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="kernel-bridge sidecar",
        description="Serve a page on 127.0.0.1 that shows a running kernel's outputs live (from every client).",
    )
    parser.add_argument(
        "--existing",
        nargs="?",
        const="",
        required=True,
        metavar="FILE",
        help="the kernel's connection file: a path, a name or fragment in the Jupyter runtime dir, or nothing for the newest",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    parser.add_argument("--log-level", default=os.environ.get("KERNEL_BRIDGE_LOG", "WARNING"), help="stderr log level")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="kernel-bridge sidecar %(levelname)s %(name)s: %(message)s",
    )

    from bridge.kernels.discovery import resolve_connection_file

    try:
        info = ConnectionInfo.load(trio.run(resolve_connection_file, args.existing or None))
    except BridgeError as exc:
        print(f"kernel-bridge sidecar: {exc.message}", file=sys.stderr)
        return 2
    try:
        trio.run(_main, info, args.port, args.open)
    except Exception as exc:
        error = unwrap_group(exc)
        if not isinstance(error, OSError):
            raise
        print(f"kernel-bridge sidecar: cannot serve on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0
