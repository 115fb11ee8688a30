"""Deletes the remote kernels a bridge started when that bridge dies without doing it itself.

A bridge that ends normally (stdin EOF, ``shutdown``/``exit``, SIGTERM, SIGINT) deletes the
kernels it started on Jupyter servers. One killed with SIGKILL (or by the OOM killer, or a
crash in native code) cannot, and the kernels would run on until the server culls them. So,
the first time the bridge starts a remote kernel it owns, it spawns this small helper
(``python -m bridge.remote.reaper``, standard library only) in a session of its own, and
tells it on a pipe which kernels it owns (server url, TLS options, token, kernel id) and
which it has deleted. When the pipe reaches EOF — the bridge is gone, however it went — the
helper deletes what is left (each DELETE bounded) and exits. After a normal end nothing is
left and it exits at once.

The token travels on the pipe only: never in the helper's argv or environment, never logged.
The helper does not inherit the bridge's environment, where a server's ``tokenEnv`` names a
variable holding a token: it gets only what it needs to run Python and to reach the servers
the way the bridge does (``HELPER_ENVIRONMENT``: path, locale, Python's own variables,
proxies, CA certificates).
Kernels of a server with ``keepKernels`` and attached kernels are never handed to it. It cannot
help when the machine, the network or the server goes away, or when something kills the
helper too (it ignores SIGINT and SIGHUP and is in its own session, so a terminal's Ctrl-C or
hangup or a kill of the bridge's process group does not reach it).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.remote.config import ServerConfig

log = logging.getLogger(__name__)

DELETE_TIMEOUT = 10.0  # each DELETE the helper makes, all in parallel
# the variables of the bridge's environment the helper gets (proxies in either case)
HELPER_ENVIRONMENT = frozenset({
    "PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE",
    "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "VIRTUAL_ENV",
    "SSL_CERT_FILE", "SSL_CERT_DIR",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
})  # fmt: skip


def helper_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Of ``environ``, only what the helper needs: tokens stay out (``tokenEnv``)."""
    return {name: value for name, value in environ.items() if name.upper() in HELPER_ENVIRONMENT}


class Reaper:
    """The bridge's side: the helper process and the pipe to it (spawned on first use)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._broken = False

    def watch(self, server: ServerConfig, remote_id: str) -> None:
        """Kernel ``remote_id`` was started for the bridge: delete it if the bridge dies first."""
        self._send(
            {
                "op": "add",
                "url": server.url,
                "id": remote_id,
                "token": server.token,
                "caFile": server.ca_file,
                "verifyTls": server.verify_tls,
            }
        )

    def forget(self, server: ServerConfig, remote_id: str) -> None:
        """Kernel ``remote_id`` is deleted (or no longer ours to delete)."""
        if self._process is not None:
            self._send({"op": "remove", "url": server.url, "id": remote_id})

    def _send(self, message: dict[str, Any]) -> None:
        """Never raises: the helper is a safety net, the bridge works without it."""
        if self._broken:
            return
        try:
            if self._process is None:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "bridge.remote.reaper"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,  # an editor reading our stderr must see its EOF when we go
                    start_new_session=True,
                    cwd="/",
                    env=helper_environment(os.environ),
                )
            stdin = self._process.stdin
            assert stdin is not None
            stdin.write(json.dumps(message).encode() + b"\n")  # a few hundred bytes: the pipe takes it
            stdin.flush()
        except (OSError, ValueError) as exc:
            self._broken = True
            log.warning(
                "cannot hand remote kernels to the cleanup helper (%s): a killed bridge would leave them running", exc
            )


REAPER = Reaper()


# -- the helper process -------------------------------------------------------------------


def _delete(entry: dict[str, Any]) -> None:
    url = str(entry["url"]) + "api/kernels/" + urllib.parse.quote(str(entry["id"]), safe="")
    request = urllib.request.Request(url, method="DELETE")
    if entry.get("token"):
        request.add_header("Authorization", f"token {entry['token']}")
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context(cafile=entry.get("caFile"))
        if entry.get("verifyTls") is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=DELETE_TIMEOUT, context=context):
            pass
    except (urllib.error.URLError, OSError, ValueError):
        pass  # gone already (404), or the server is: nothing more to do from here


def serve(pipe: IO[bytes]) -> int:
    """Read the bridge's messages until EOF, then delete the kernels still listed."""
    owned: dict[tuple[str, str], dict[str, Any]] = {}
    for line in pipe:
        try:
            message = json.loads(line)
            key = (str(message["url"]), str(message["id"]))
        except (ValueError, KeyError, TypeError):
            continue
        if message.get("op") == "add":
            owned[key] = message
        else:
            owned.pop(key, None)
    threads = [threading.Thread(target=_delete, args=(entry,), daemon=True) for entry in owned.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DELETE_TIMEOUT + 5)
    return 0


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    return serve(sys.stdin.buffer)


if __name__ == "__main__":
    sys.exit(main())
