"""Comms both ways (ipykernel's comm manager), and other clients on the same kernel."""

from __future__ import annotations

import base64

import pytest
from jupyter_client.manager import KernelManager

from bridge.client import BridgeClient, spawn_bridge
from tests.integration.helpers import HANG_GUARD, run

ECHO_TARGET = """
def _open(comm, open_msg):
    @comm.on_msg
    def _echo(msg):
        data = msg['content']['data']
        comm.send({'echo': data, 'nbuf': len(msg['buffers'])}, buffers=[b'\\x00pong'])
    comm.send({'opened': open_msg['content']['data']})
get_ipython().kernel.comm_manager.register_target('echo', _open)
"""


async def test_comm_opened_by_the_editor_round_trips(bridge: BridgeClient, kernel: str) -> None:
    reply, _ = await run(bridge, kernel, ECHO_TARGET)
    assert reply["status"] == "ok"
    start = len(bridge.notifications)
    opened = await bridge.request("jupyter/commOpen", {"kernelId": kernel, "targetName": "echo", "data": {"hello": 1}})
    comm_id = opened["commId"]
    first = await bridge.wait_for(lambda n: n["method"] == "jupyter/comm", start)
    assert first["params"]["commId"] == comm_id and first["params"]["data"] == {"opened": {"hello": 1}}
    start = len(bridge.notifications)
    buf = base64.b64encode(b"\x01\x02ping").decode()
    await bridge.request(
        "jupyter/commMsg", {"kernelId": kernel, "commId": comm_id, "data": {"x": [1, 2]}, "buffers": [buf]}
    )
    echo = await bridge.wait_for(lambda n: n["method"] == "jupyter/comm", start)
    assert echo["params"]["msgType"] == "comm_msg"
    assert echo["params"]["data"] == {"echo": {"x": [1, 2]}, "nbuf": 1}
    assert base64.b64decode(echo["params"]["buffers"][0]) == b"\x00pong"
    info = await bridge.request("jupyter/commInfo", {"kernelId": kernel, "targetName": "echo"})
    assert comm_id in info["comms"]
    await bridge.request("jupyter/commClose", {"kernelId": kernel, "commId": comm_id})
    info = await bridge.request("jupyter/commInfo", {"kernelId": kernel})
    assert comm_id not in info["comms"]


async def test_comm_opened_by_the_kernel_reaches_the_editor(bridge: BridgeClient, kernel: str) -> None:
    start = len(bridge.notifications)
    code = (
        "import comm\nc = comm.create_comm(target_name='from_kernel', data={'v': 7})\nc.send({'more': True})\nc.close()"
    )
    reply, outs = await run(bridge, kernel, code)
    assert reply["status"] == "ok" and outs == []
    comms = [n["params"] for n in bridge.notifications[start:] if n["method"] == "jupyter/comm"]
    assert [c["msgType"] for c in comms] == ["comm_open", "comm_msg", "comm_close"]
    assert comms[0]["targetName"] == "from_kernel" and comms[0]["data"] == {"v": 7}
    assert len({c["commId"] for c in comms}) == 1


async def test_bad_buffers_are_invalid_params(bridge: BridgeClient, kernel: str) -> None:
    from bridge.client import RpcError

    with pytest.raises(RpcError) as info:
        await bridge.request(
            "jupyter/commMsg", {"kernelId": kernel, "commId": "x", "data": {}, "buffers": ["not base64!"]}
        )
    assert info.value.code == -32602 and "buffers" in info.value.message


async def test_another_clients_run_reaches_the_editor(jupyter_client_kernel: KernelManager) -> None:
    async with spawn_bridge() as client:
        kernel = (
            await client.request("jupyter/connectKernel", {"connectionFile": jupyter_client_kernel.connection_file})
        )["kernelId"]
        await run(client, kernel, "1")  # this editor's own run: execution count 1
        start = len(client.notifications)
        kc = jupyter_client_kernel.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=HANG_GUARD)
            kc.execute_interactive("print('from the console next door'); 40 + 2", timeout=HANG_GUARD)
        finally:
            kc.stop_channels()
        result = await client.wait_for(
            lambda n: n["method"] == "jupyter/output" and n["params"]["msgType"] == "execute_result", start
        )
        others = [n["params"] for n in client.notifications[start:] if n["method"] == "jupyter/output"]
        assert all(o["requestId"] is None and o["origin"] == "other" for o in others)
        types = [o["msgType"] for o in others]
        assert types[0] == "execute_input" and others[0]["content"]["code"].startswith("print(")
        assert others[0]["content"]["execution_count"] == 2
        assert {"kernelId": kernel, "msgType": "stream"}.items() <= next(
            o for o in others if o["msgType"] == "stream"
        ).items()
        assert result["params"]["content"]["data"]["text/plain"] == "42"
