"""A Jupyter server of some kind (jupyter_server, Kernel Gateway, Enterprise Gateway) as a real
process for a test (or a benchmark)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.integration.helpers import HANG_GUARD


@contextmanager
def server_process(
    argv: list[str], url: str, root: Path, *, name: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` in ``root`` with private Jupyter runtime and config directories (and
    ``env`` on top of ours) until the block ends (TERM, then KILL); enter the block once
    ``url`` answers HTTP at all (a 401 for want of a token counts: the server is up). Its
    output goes to ``root/<name>.log``. Yields the process (benchmarks read its CPU time)."""
    private = [tempfile.mkdtemp(prefix=f"kb-{name}-runtime-"), tempfile.mkdtemp(prefix=f"kb-{name}-config-")]
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": private[0],
        "JUPYTER_CONFIG_DIR": private[1],
        **(env or {}),
    }
    for variable in ("KG_AUTH_TOKEN", "EG_AUTH_TOKEN"):  # the gateways would take their token from here
        env.pop(variable, None)
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
            yield process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for directory in private:
                shutil.rmtree(directory, ignore_errors=True)


# -- Enterprise Gateway, from its own venv ---------------------------------------------------

# the process proxy EG uses for a kernelspec without one: the kernel is a local process
LOCAL_PROCESS_PROXY = "enterprise_gateway.services.processproxies.processproxy.LocalProcessProxy"


def enterprise_gateway_venv() -> Path:
    """Where scripts/test-setup.d/60-enterprise-gateway.sh puts it: ``$KB_EG_VENV``, else
    ``enterprise-gateway`` in the test venv (a link to the machine's cached build)."""
    return Path(os.environ.get("KB_EG_VENV") or Path(sys.prefix) / "enterprise-gateway")


def enterprise_gateway_missing() -> str | None:
    """Why Enterprise Gateway cannot run here, or None."""
    venv = enterprise_gateway_venv()
    if not (venv / ".kb-requirements-sha256").is_file() or not os.access(venv / "bin" / "python", os.X_OK):
        return (
            f"Jupyter Enterprise Gateway is not installed in {venv}: "
            f"KB_VENV={sys.prefix} bash scripts/test-setup.d/60-enterprise-gateway.sh (scripts/test.sh runs it)"
        )
    return None


# kernelspec name -> (display name, the module that launches it): the test venv's kernels
LOCAL_KERNELS = {
    "python3": ("Python 3 (Enterprise Gateway, local process)", "ipykernel_launcher"),
    "xpython": ("xeus-python (Enterprise Gateway, local process)", "xpython_launcher"),
}


def write_local_kernelspecs(data_dir: Path) -> None:
    """Kernelspecs as EG's docs give for local kernels ("Local Mode"), in ``data_dir/kernels``:
    the kernels run this interpreter's ipykernel and xeus-python (the test venv's, not EG's, as
    a kernel image on a cluster is not the gateway's), launched by EG's LocalProcessProxy."""
    for name, (display_name, launcher) in LOCAL_KERNELS.items():
        spec = {
            "display_name": display_name,
            "language": "python",
            "interrupt_mode": "signal",
            "metadata": {"process_proxy": {"class_name": LOCAL_PROCESS_PROXY}},
            "argv": [sys.executable, "-m", launcher, "-f", "{connection_file}"],
        }
        spec_dir = data_dir / "kernels" / name
        spec_dir.mkdir(parents=True, exist_ok=True)
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


@dataclass(frozen=True)
class RunningGateway:
    url: str
    pid: int


@contextmanager
def enterprise_gateway_process(port: int, token: str, root: Path, *extra_args: str) -> Iterator[RunningGateway]:
    """``python -m enterprise_gateway`` from its venv on 127.0.0.1:``port`` with ``token``, its
    kernelspecs (``LOCAL_KERNELS``, local process proxy) in ``root``, until the block ends."""
    missing = enterprise_gateway_missing()
    if missing:
        raise RuntimeError(missing)
    data_dir = root / "jupyter-data"
    write_local_kernelspecs(data_dir)
    argv = [
        str(enterprise_gateway_venv() / "bin" / "python"), "-m", "enterprise_gateway",
        "--EnterpriseGatewayApp.ip=127.0.0.1", f"--EnterpriseGatewayApp.port={port}",
        "--EnterpriseGatewayApp.port_retries=0", f"--EnterpriseGatewayApp.auth_token={token}", *extra_args,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    # JUPYTER_PATH: our kernelspec first; JUPYTER_DATA_DIR: none of the user's own
    env = {"JUPYTER_PATH": str(data_dir), "JUPYTER_DATA_DIR": str(root / "user-data")}
    with server_process(argv, url, root, name="enterprise-gateway", env=env) as process:
        yield RunningGateway(url, process.pid)
