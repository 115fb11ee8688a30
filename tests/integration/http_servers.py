"""A Jupyter server of some kind (jupyter_server, Kernel Gateway) as a real process for a test."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.helpers import HANG_GUARD


@contextmanager
def server_process(argv: list[str], url: str, root: Path, *, name: str) -> Iterator[None]:
    """Run ``argv`` in ``root`` with private Jupyter runtime and config directories until the
    block ends (TERM, then KILL); enter the block once ``url`` answers HTTP at all (a 401 for
    want of a token counts: the server is up). Its output goes to ``root/<name>.log``."""
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": tempfile.mkdtemp(prefix=f"kb-{name}-runtime-"),
        "JUPYTER_CONFIG_DIR": tempfile.mkdtemp(prefix=f"kb-{name}-config-"),
    }
    env.pop("KG_AUTH_TOKEN", None)  # Kernel Gateway would take its token from here
    log_path = root / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        try:
            deadline = time.monotonic() + HANG_GUARD
            while True:
                try:
                    with urllib.request.urlopen(url + "api", timeout=2):
                        break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not start: " + log_path.read_text()[-2000:]) from None
                    time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
