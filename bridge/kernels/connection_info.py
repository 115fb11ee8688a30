"""Connection files: what they hold, how we read them, where ours are written.

Format: jupyter_client docs/kernels.rst, "Connection files". Writing goes through
``jupyter_client.connect.write_connection_file`` (it picks free ports and writes 0600 via
``jupyter_core.paths.secure_write``); reading is a small validated JSON parse.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.errors import ConnectionFileError
from bridge.wire.signing import Signer

CHANNELS = ("shell", "iopub", "stdin", "control", "hb")


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    transport: str
    ip: str
    ports: dict[str, int]
    key: bytes
    signature_scheme: str
    kernel_name: str
    path: Path | None = None

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
        if transport not in ("tcp", "ipc"):
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
        return cls(
            transport=transport,
            ip=ip or "127.0.0.1",
            ports=ports,
            key=key.encode("utf-8"),
            signature_scheme=scheme,
            kernel_name=str(data.get("kernel_name", "") or ""),
            path=path,
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


def new_connection_file(kernel_name: str, *, transport: str = "tcp") -> ConnectionInfo:
    """Write a fresh connection file (0600) in the Jupyter runtime dir, ports on loopback.

    The key is 32 random bytes, hex-encoded, as jupyter_client does.
    """
    from jupyter_client.connect import write_connection_file
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = runtime / f"kernel-bridge-{uuid.uuid4()}.json"
    ip = str(runtime / f"kernel-bridge-{uuid.uuid4().hex[:12]}") if transport == "ipc" else "127.0.0.1"
    fname, info = write_connection_file(
        str(path),
        ip=ip,
        key=secrets.token_hex(32).encode("ascii"),
        transport=transport,
        signature_scheme="hmac-sha256",
        kernel_name=kernel_name,
    )
    return ConnectionInfo.from_dict(dict(info), Path(fname))
