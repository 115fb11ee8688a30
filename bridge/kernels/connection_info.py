"""Connection files: what they hold, how we read them, where ours are written.

Format: jupyter_client docs/kernels.rst, "Connection files", plus the CurveZMQ keys of
jupyter_client 8.10 (``curve_publickey`` / ``curve_secretkey``: the kernel's keypair, Z85
text; see bridge/kernels/encryption.py). Writing goes through
``jupyter_client.connect.write_connection_file`` (it picks free ports and writes 0600 via
``jupyter_core.paths.secure_write``); reading is a small validated JSON parse.
"""

from __future__ import annotations

import inspect
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import zmq
from zmq.utils import z85

from bridge.errors import ConnectionFileError
from bridge.wire.signing import Signer

TransportKind = Literal["tcp", "ipc"]
TRANSPORTS: tuple[TransportKind, ...] = ("tcp", "ipc")
# the ports a connection file names: the four message channels and the heartbeat
PortName = Literal["shell", "iopub", "stdin", "control", "hb"]
CHANNELS: tuple[PortName, ...] = ("shell", "iopub", "stdin", "control", "hb")
CURVE_FIELDS = ("curve_publickey", "curve_secretkey")
Z85_KEY_LENGTH = 40  # a 32-byte Curve25519 key in Z85 text


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    transport: TransportKind
    ip: str
    ports: dict[str, int]
    key: bytes = field(repr=False)
    signature_scheme: str
    kernel_name: str
    path: Path | None = None
    # the kernel's CurveZMQ keypair (Z85), when it runs encrypted; the secret is the kernel's
    curve_publickey: bytes | None = None
    curve_secretkey: bytes | None = field(default=None, repr=False)

    @property
    def encrypted(self) -> bool:
        """The kernel serves CurveZMQ: plain sockets get nothing from it."""
        return self.curve_publickey is not None or self.curve_secretkey is not None

    @property
    def curve_serverkey(self) -> bytes | None:
        """The kernel's public key, what a client needs; derived from the secret when a
        file carries only that (the secret alone determines the pair)."""
        if self.curve_publickey is not None:
            return self.curve_publickey
        if self.curve_secretkey is not None:
            return zmq.curve_public(self.curve_secretkey)
        return None

    def address(self, channel: str) -> str:
        port = self.ports[channel]
        if self.transport == "ipc":
            return f"ipc://{self.ip}-{port}"
        return f"{self.transport}://{self.ip}:{port}"

    @classmethod
    def from_dict(cls, data: Any, path: Path | None = None) -> ConnectionInfo:
        where = f"connection file {path}" if path else "connection info"
        if not isinstance(data, dict):
            raise ConnectionFileError(f"{where} is not a JSON object")
        ports: dict[str, int] = {}
        for channel in CHANNELS:
            port = data.get(f"{channel}_port")
            if not isinstance(port, int) or isinstance(port, bool) or port <= 0:
                raise ConnectionFileError(f"{where} has no valid {channel}_port (got {port!r})")
            ports[channel] = port
        transport = data.get("transport", "tcp")
        if transport not in TRANSPORTS:
            raise ConnectionFileError(f"{where}: unsupported transport {transport!r} (expected tcp or ipc)")
        ip = data.get("ip", "127.0.0.1")
        key = data.get("key", "")
        scheme = data.get("signature_scheme", "hmac-sha256")
        if not isinstance(ip, str) or not isinstance(key, str) or not isinstance(scheme, str):
            raise ConnectionFileError(f"{where}: ip, key and signature_scheme must be strings")
        try:
            Signer(key.encode("utf-8"), scheme)
        except ValueError as exc:
            raise ConnectionFileError(f"{where}: signature_scheme: {exc}") from None
        curve = {name: _z85_key(data.get(name), name, where) for name in CURVE_FIELDS}
        return cls(
            transport=cast(TransportKind, transport),
            ip=ip or "127.0.0.1",
            ports=ports,
            key=key.encode("utf-8"),
            signature_scheme=scheme,
            kernel_name=str(data.get("kernel_name", "") or ""),
            path=path,
            curve_publickey=curve["curve_publickey"],
            curve_secretkey=curve["curve_secretkey"],
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ConnectionInfo:
        p = Path(path).expanduser()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConnectionFileError(f"connection file {p} does not exist") from None
        except (OSError, ValueError) as exc:
            raise ConnectionFileError(f"cannot read connection file {p}: {exc}") from None
        return cls.from_dict(data, p)


def _z85_key(value: Any, name: str, where: str) -> bytes | None:
    """A Curve key field: absent/null/empty means none; anything else must be a Z85 key
    (a wrong one would only show later as a kernel that never answers)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != Z85_KEY_LENGTH:
        raise ConnectionFileError(f"{where}: {name} must be a {Z85_KEY_LENGTH}-character Z85 string")
    try:
        z85.decode(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError, KeyError, IndexError):
        raise ConnectionFileError(f"{where}: {name} is not valid Z85") from None
    return value.encode("ascii")


def new_connection_file(kernel_name: str, *, transport: TransportKind = "tcp", curve: bool = False) -> ConnectionInfo:
    """Write a fresh connection file (0600) in the Jupyter runtime dir, ports on loopback.

    The key is 32 random bytes, hex-encoded, as jupyter_client does. With ``curve``, a
    fresh CurveZMQ keypair for the kernel is written too, in jupyter_client's fields.
    """
    from jupyter_client.connect import write_connection_file
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = runtime / f"kernel-bridge-{uuid.uuid4()}.json"
    ip = str(runtime / f"kernel-bridge-{uuid.uuid4().hex[:12]}") if transport == "ipc" else "127.0.0.1"
    extra: dict[str, Any] = {}
    if curve:
        public, secret = zmq.curve_keypair()
        if "curve_publickey" in inspect.signature(write_connection_file).parameters:
            extra = {"curve_publickey": public, "curve_secretkey": secret}  # jupyter_client >= 8.10: bytes
        else:
            extra = {"curve_publickey": public.decode("ascii"), "curve_secretkey": secret.decode("ascii")}
    fname, info = write_connection_file(
        str(path),
        ip=ip,
        key=secrets.token_hex(32).encode("ascii"),
        transport=transport,
        signature_scheme="hmac-sha256",
        kernel_name=kernel_name,
        **extra,
    )
    return ConnectionInfo.from_dict(dict(info), Path(fname))
