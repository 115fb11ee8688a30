"""Shared fixtures. Integration tests drive the installed ``kernel-bridge`` over real
pipes against real kernels; each test session gets its own Jupyter runtime dir."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

_RUNTIME = Path(tempfile.mkdtemp(prefix="kb-runtime-"))
os.environ["JUPYTER_RUNTIME_DIR"] = str(_RUNTIME)
# kernels keep history in IPYTHONDIR: keep the tests' out of the user's, and apart
os.environ["IPYTHONDIR"] = tempfile.mkdtemp(prefix="kb-ipython-")

from bridge.client import BridgeClient, spawn_bridge  # noqa: E402


@pytest.fixture
def runtime_dir() -> Path:
    return _RUNTIME


@pytest.fixture
def jupyter_client_kernel() -> Iterator[KernelManager]:
    """A python3 kernel started by jupyter_client, not by the bridge."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        yield km
    finally:
        km.shutdown_kernel(now=True)


@pytest.fixture
async def bridge() -> AsyncIterator[BridgeClient]:
    """A bridge that has answered ``initialize``."""
    async with spawn_bridge() as client:
        await client.initialize()
        yield client


@pytest.fixture
async def kernel(bridge: BridgeClient) -> AsyncIterator[str]:
    """A python3 kernel started through the bridge; its kernelId."""
    result = await bridge.request("jupyter/startKernel", {"kernelName": "python3"})
    yield result["kernelId"]
