"""The kernels the benchmarks run against: real ipykernels started with jupyter_client
(not by the bridge), so that every client attaches to the very same process."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.raw import RawClient, load_connection_file


def private_jupyter_dirs() -> None:
    """Runtime and IPython dirs of our own (inherited by the bridges and kernels we
    start): no connection files or history land in the user's, and the dirs go when the
    benchmark process exits."""
    for variable, prefix in (("JUPYTER_RUNTIME_DIR", "kb-bench-runtime-"), ("IPYTHONDIR", "kb-bench-ipython-")):
        if variable not in os.environ:
            os.environ[variable] = directory = tempfile.mkdtemp(prefix=prefix)
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


@contextmanager
def kernels(count: int) -> Iterator[list[Any]]:
    """``count`` python3 kernels, started in parallel and ready; shut down after."""
    from jupyter_client.manager import KernelManager

    managers = []
    try:
        for _ in range(count):
            km = KernelManager(kernel_name="python3")
            km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            managers.append(km)
        for km in managers:
            client = RawClient(load_connection_file(km.connection_file))
            try:
                client.wait_ready()
                client.execute("pass")  # the first execute imports a few things
            finally:
                client.close()
        yield managers
    finally:
        for km in managers:
            try:
                km.shutdown_kernel(now=True)
            except Exception:
                pass


def kernel_pid(km: Any) -> int:
    return int(km.provisioner.pid)
