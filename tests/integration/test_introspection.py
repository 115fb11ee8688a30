"""complete / inspect / isComplete / history / commInfo / the generic request."""

from __future__ import annotations

import uuid

import pytest

from bridge.client import BridgeClient, RpcError
from tests.integration.helpers import run


async def test_complete_counts_code_points(bridge: BridgeClient, kernel: str) -> None:
    code = "s = '😀世界'; import o"
    reply = await bridge.request("jupyter/complete", {"kernelId": kernel, "code": code, "cursorPos": len(code)})
    assert reply["status"] == "ok"
    assert "os" in reply["matches"]
    assert reply["cursor_start"] == len(code) - 1 and reply["cursor_end"] == len(code)


async def test_complete_cursor_defaults_to_the_end(bridge: BridgeClient, kernel: str) -> None:
    reply = await bridge.request("jupyter/complete", {"kernelId": kernel, "code": "pri"})
    assert "print" in reply["matches"]


async def test_complete_rejects_a_cursor_outside_the_code(bridge: BridgeClient, kernel: str) -> None:
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/complete", {"kernelId": kernel, "code": "ab", "cursorPos": 5})
    assert info.value.code == -32602 and "cursorPos" in info.value.message


async def test_inspect(bridge: BridgeClient, kernel: str) -> None:
    reply = await bridge.request(
        "jupyter/inspect", {"kernelId": kernel, "code": "print", "cursorPos": 5, "detailLevel": 0}
    )
    assert reply["found"] is True
    assert "Prints the values" in reply["data"]["text/plain"]


async def test_is_complete(bridge: BridgeClient, kernel: str) -> None:
    assert (await bridge.request("jupyter/isComplete", {"kernelId": kernel, "code": "x = 1"}))["status"] == "complete"
    incomplete = await bridge.request("jupyter/isComplete", {"kernelId": kernel, "code": "for i in x:"})
    assert incomplete["status"] == "incomplete"
    assert incomplete["indent"] == "    "
    assert (await bridge.request("jupyter/isComplete", {"kernelId": kernel, "code": "x = )"}))["status"] == "invalid"


async def test_history(bridge: BridgeClient, kernel: str) -> None:
    marker = uuid.uuid4().hex[:8]
    await run(bridge, kernel, f"first_{marker} = 1")
    await run(bridge, kernel, f"second_{marker} = 2")
    reply = await bridge.request("jupyter/history", {"kernelId": kernel, "histAccessType": "tail", "n": 2})
    assert [entry[2] for entry in reply["history"]] == [f"first_{marker} = 1", f"second_{marker} = 2"]
    found = await bridge.request(
        "jupyter/history", {"kernelId": kernel, "histAccessType": "search", "pattern": f"second_{marker}*"}
    )
    assert [entry[2] for entry in found["history"]] == [f"second_{marker} = 2"]


async def test_comm_info(bridge: BridgeClient, kernel: str) -> None:
    reply = await bridge.request("jupyter/commInfo", {"kernelId": kernel})
    assert reply["status"] == "ok" and reply["comms"] == {}


async def test_generic_request_on_shell_and_control(bridge: BridgeClient, kernel: str) -> None:
    info = await bridge.request(
        "jupyter/request", {"kernelId": kernel, "channel": "control", "msgType": "kernel_info_request"}
    )
    assert info["language_info"]["name"] == "python"
    usage = await bridge.request(
        "jupyter/request", {"kernelId": kernel, "channel": "control", "msgType": "usage_request"}
    )
    assert "kernel_cpu" in usage or "host_cpu_percent" in usage
    with pytest.raises(RpcError) as err:
        await bridge.request(
            "jupyter/request", {"kernelId": kernel, "channel": "iopub", "msgType": "kernel_info_request"}
        )
    assert err.value.code == -32602 and "channel" in err.value.message


async def test_methods_accept_a_bound_document_uri(bridge: BridgeClient) -> None:
    uri = "file:///tmp/bound.py"
    await bridge.request("jupyter/startKernel", {"uri": uri})
    reply = await bridge.request("jupyter/complete", {"uri": uri, "code": "import o"})
    assert "os" in reply["matches"]
    result = await bridge.request("jupyter/execute", {"uri": uri, "code": "1+1"})
    assert result["status"] == "ok"
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/execute", {"uri": "file:///unbound.py", "code": "1"})
    assert info.value.code == -32001 and "no kernel is bound" in info.value.message
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/execute", {"code": "1"})
    assert info.value.code == -32602 and "kernelId or uri" in info.value.message


async def test_a_second_document_can_be_bound_to_a_running_kernel(bridge: BridgeClient) -> None:
    first, second = "file:///tmp/first.py", "file:///tmp/second.py"
    kernel = (await bridge.request("jupyter/startKernel", {"uri": first}))["kernelId"]
    assert await bridge.request("jupyter/bindDocument", {"uri": second, "kernelId": kernel}) is None
    await run(bridge, kernel, "shared_name = 1")
    reply = await bridge.request("jupyter/complete", {"uri": second, "code": "shared_na"})
    assert "shared_name" in reply["matches"]
    with pytest.raises(RpcError) as info:
        await bridge.request("jupyter/bindDocument", {"uri": second, "kernelId": "nope"})
    assert info.value.code == -32001
