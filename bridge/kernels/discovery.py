"""Finding kernels that are already running, the way ``jupyter console --existing`` does:
connection files in the Jupyter runtime directory, named in full, by a fragment, or the
most recent one; and whether each still answers its heartbeat.

A connection file outlives its kernel whenever the kernel's owner could not remove it (a
bridge or a ``jupyter console`` that was SIGKILLed, a crash). Such a file is *stale*: nothing
listens on any of its ports any more, which a plain connect tells at once (refused), where a
heartbeat ping can only time out. Stale files are marked so in the list and never picked as
"the newest"; they are not deleted (they are not ours to delete, and a kernel that is still
starting has not bound its ports yet either).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trio
import zmq

from bridge.errors import BridgeError, ConnectionFileError
from bridge.kernels.connection_info import CHANNELS, ConnectionInfo
from bridge.kernels.encryption import curve_available, secure_client_socket
from bridge.zmqio import AsyncSocket

PING_TIMEOUT = 1.0
PROBES_AT_ONCE = 64  # plain connects in flight while checking many files (file descriptors)


def runtime_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def _candidates(exclude: set[Path]) -> list[Path]:
    """The runtime dir's connection files, newest first (a file removed meanwhile is skipped)."""
    dated = []
    for path in runtime_dir().glob("kernel-*.json"):
        try:
            if path.resolve() not in exclude:
                dated.append((path.stat().st_mtime, path))
        except OSError:
            continue
    return [path for _, path in sorted(dated, key=lambda item: item[0], reverse=True)]


def _load(path: Path) -> ConnectionInfo | None:
    try:
        return ConnectionInfo.load(path)
    except BridgeError:
        return None


async def resolve_connection_file(name: str | None, exclude: set[Path] | None = None) -> Path:
    """A path, a bare file name, a fragment of one (``5979``), or None for the newest
    kernel in the runtime dir that is not gone (skipping ``exclude``: kernels this bridge
    started)."""
    exclude = exclude or set()
    if name is None:
        return await _newest_running(exclude)
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


async def _newest_running(exclude: set[Path]) -> Path:
    """Newest first, one at a time: a stale file is refused at once, and the first file
    that is not stale is the answer."""
    files = _candidates(exclude)
    if not files:
        raise ConnectionFileError(f"no running kernel found: no connection files in {runtime_dir()}")
    limiter = trio.CapacityLimiter(PROBES_AT_ONCE)
    for path in files:
        info = _load(path)
        if info is not None and not await kernel_gone(info, limiter):
            return path
    raise ConnectionFileError(
        f"no running kernel found: the {len(files)} connection file(s) in {runtime_dir()} are unreadable or "
        "of kernels that are gone (nothing listens on their ports)"
    )


async def kernel_gone(info: ConnectionInfo, limiter: trio.CapacityLimiter, timeout: float = PING_TIMEOUT) -> bool:
    """Whether every one of the kernel's ports refuses a connection: its process is gone.
    Only a refusal counts; a connect that hangs (another machine) or succeeds does not."""
    refused: list[str] = []

    async def probe(channel: str) -> None:
        async with limiter:
            if await _refused(info, info.ports[channel]):
                refused.append(channel)

    with trio.move_on_after(timeout):
        async with trio.open_nursery() as nursery:
            for channel in CHANNELS:
                nursery.start_soon(probe, channel)
    return len(refused) == len(CHANNELS)


async def _refused(info: ConnectionInfo, port: int) -> bool:
    if info.transport == "ipc":
        family, address = socket.AF_UNIX, f"{info.ip}-{port}"
        if not Path(address).exists():
            return True
        target: Any = address
    else:
        # the family zmq uses: IPv4 unless the address is an IPv6 one ("localhost" is 127.0.0.1)
        family = socket.AF_INET6 if ":" in info.ip else socket.AF_INET
        try:
            (family, _, _, _, target), *_ = await trio.socket.getaddrinfo(info.ip, port, family, socket.SOCK_STREAM)
        except OSError:
            return False
    with trio.socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            await sock.connect(target)
        except (ConnectionRefusedError, FileNotFoundError):
            return True
        except OSError:
            return False
    return False


async def heartbeat_alive(info: ConnectionInfo, timeout: float = PING_TIMEOUT) -> bool:
    """A ping on the hb channel (as a CURVE client when the file has keys: an encrypted
    kernel does not answer a plain ping, and would look dead)."""
    if info.encrypted and not curve_available():
        return False
    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.REQ)
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
    """Every connection file in the runtime dir, newest first; each pinged and checked
    for staleness, all in parallel."""
    entries: list[dict[str, Any]] = []
    limiter = trio.CapacityLimiter(PROBES_AT_ONCE)

    async def check(entry: dict[str, Any], info: ConnectionInfo) -> None:
        async with trio.open_nursery() as both:

            async def ping() -> None:
                entry["alive"] = await heartbeat_alive(info)
                if entry["alive"]:
                    both.cancel_scope.cancel()

            async def probe() -> None:
                if await kernel_gone(info, limiter):
                    entry["stale"] = True  # no need to wait for the ping to time out
                    both.cancel_scope.cancel()

            both.start_soon(ping)
            both.start_soon(probe)

    async with trio.open_nursery() as nursery:
        for path in _candidates(exclude or set()):
            info = _load(path)
            try:
                started = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except OSError:
                continue
            if info is None:
                continue
            entry = {
                "connectionFile": str(path),
                "kernelName": info.kernel_name or None,
                "startTime": started.isoformat().replace("+00:00", "Z"),
                "alive": False,
                "stale": False,
                "encrypted": info.encrypted,
            }
            nursery.start_soon(check, entry, info)
            entries.append(entry)
    return entries
