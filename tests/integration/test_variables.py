"""jupyter/variables: the namespace, bounded, silently."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.client import BridgeClient
from tests.integration.helpers import run


async def listed(bridge: BridgeClient, kernel: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    start = len(bridge.notifications)
    variables = await bridge.request("jupyter/variables", {"kernelId": kernel})
    return {v["name"]: v for v in variables}, bridge.notifications[start:]


@pytest.mark.parametrize("kernel_name", ["python3", "xpython"])
async def test_variables_are_listed_truncated_and_silent(bridge: BridgeClient, kernel_name: str) -> None:
    kernel = (await bridge.request("jupyter/startKernel", {"kernelName": kernel_name}))["kernelId"]
    reply, _ = await run(
        bridge, kernel, "import os\na = 1; b = 'x' * 10_000_000\nitems = [1, 2, 3]\ndef helper(): pass"
    )
    count = reply["executionCount"]
    variables, during = await listed(bridge, kernel)
    assert set(variables) == {"a", "b", "items"}  # no modules, functions, or IPython internals
    assert variables["a"] == {"name": "a", "type": "int", "summary": "1"}
    assert variables["b"]["type"] == "str" and variables["b"]["size"] == 10_000_000
    assert len(variables["b"]["summary"]) <= 200
    assert variables["items"]["size"] == 3 and variables["items"]["summary"] == "[1, 2, 3]"
    assert not [n for n in during if n["method"] == "jupyter/output"]  # nothing printed
    after, _ = await run(bridge, kernel, "1")
    assert after["executionCount"] == count + 1  # and nothing added to the history


async def test_a_kernel_whose_query_fails_is_asked_through_its_debugger(bridge: BridgeClient, kernel: str) -> None:
    """ipykernel advertises a debugger: when the Python query breaks (here the user shadowed
    ``globals``), its ``inspectVariables`` answers instead (no sizes on that path)."""
    await run(bridge, kernel, "a = 5; items = [1, 2]; globals = None")
    variables, during = await listed(bridge, kernel)
    assert variables["a"] == {"name": "a", "type": "int", "summary": "5"}
    assert variables["items"] == {"name": "items", "type": "list", "summary": "[1, 2]"}
    assert not [n for n in during if n["method"] == "jupyter/output"]
