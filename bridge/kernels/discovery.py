"""Finding kernels that are already running, the way ``jupyter console --existing`` does:
connection files in the Jupyter runtime directory, named in full, by a fragment, or the
most recent one; and whether each still answers its heartbeat."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import trio
import zmq

from bridge.errors import BridgeError, ConnectionFileError
from bridge.kernels.connection_info import ConnectionInfo
from bridge.kernels.encryption import curve_available, secure_client_socket
from bridge.zmqio import AsyncSocket

PING_TIMEOUT = 1.0


def runtime_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def _candidates(exclude: set[Path]) -> list[Path]:
    files = [p for p in runtime_dir().glob("kernel-*.json") if p.resolve() not in exclude]
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)


def resolve_connection_file(name: str | None, exclude: set[Path] | None = None) -> Path:
    """A path, a bare file name, a fragment of one (``5979``), or None for the newest
    kernel in the runtime dir (skipping ``exclude``: kernels this bridge started)."""
    exclude = exclude or set()
    if name is None:
        files = _candidates(exclude)
        if not files:
            raise ConnectionFileError(f"no running kernel found: no connection files in {runtime_dir()}")
        return files[0]
    path = Path(name).expanduser()
    if path.is_file():
        return path
    from jupyter_client.connect import find_connection_file

    try:
        return Path(find_connection_file(name, path=[".", str(runtime_dir())]))
    except OSError:
        raise ConnectionFileError(
            f"no connection file matches {name!r} (looked for a path, then *{name}* in {runtime_dir()})"
        ) from None


async def heartbeat_alive(info: ConnectionInfo, timeout: float = PING_TIMEOUT) -> bool:
    """A ping on the hb channel (as a CURVE client when the file has keys: an encrypted
    kernel does not answer a plain ping, and would look dead)."""
    if info.encrypted and not curve_available():
        return False
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    hb = AsyncSocket(sock)
    try:
        secure_client_socket(sock, info)
        sock.connect(info.address("hb"))
        await hb.send_multipart([b"ping"])
        with trio.move_on_after(timeout):
            await hb.recv_multipart()
            return True
        return hb.recv_multipart_nowait() is not None
    except zmq.ZMQError:
        return False
    finally:
        hb.close()


async def list_running(exclude: set[Path] | None = None) -> list[dict[str, Any]]:
    """Every connection file in the runtime dir, newest first, pinged in parallel."""
    entries: list[dict[str, Any]] = []
    async with trio.open_nursery() as nursery:
        for path in _candidates(exclude or set()):
            try:
                info = ConnectionInfo.load(path)
            except BridgeError:
                continue
            entry = {
                "connectionFile": str(path),
                "kernelName": info.kernel_name or None,
                "startTime": datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat().replace("+00:00", "Z"),
                "alive": False,
                "encrypted": info.encrypted,
                "owner": os.stat(path).st_uid == os.getuid(),
            }
            entries.append(entry)

            async def ping(entry: dict[str, Any] = entry, info: ConnectionInfo = info) -> None:
                entry["alive"] = await heartbeat_alive(info)

            nursery.start_soon(ping)
    for entry in entries:
        del entry["owner"]
    return entries
