"""jupyter/execute: outputs as notifications, all before the reply."""

from __future__ import annotations

import pytest
import trio

from bridge.client import BridgeClient, RpcError
from tests.integration.helpers import HANG_GUARD, run, stdout_text


async def test_stream_and_execute_result(bridge: BridgeClient, kernel: str) -> None:
    reply, outs = await run(bridge, kernel, "print('hi'); 6*7")
    assert reply == {"status": "ok", "executionCount": 1}
    assert [o["msgType"] for o in outs] == ["stream", "execute_result"]
    assert outs[0]["content"] == {"name": "stdout", "text": "hi\n"}
    assert outs[1]["content"]["data"]["text/plain"] == "42"
    assert outs[1]["content"]["execution_count"] == 1
    assert all(o["kernelId"] == kernel and o["msgId"] for o in outs)


async def test_run_id_is_echoed_in_each_output(bridge: BridgeClient, kernel: str) -> None:
    """An editor names its runs (runId) instead of keying them by JSON-RPC ids."""
    reply, outs = await run(bridge, kernel, "print('a'); 1", runId="cell-7")
    assert reply["status"] == "ok"
    assert [(o["msgType"], o["runId"]) for o in outs] == [("stream", "cell-7"), ("execute_result", "cell-7")]
    _, unnamed = await run(bridge, kernel, "print('b')")
    assert ["runId" in o for o in unnamed] == [False]


async def test_run_id_must_be_a_short_string(bridge: BridgeClient, kernel: str) -> None:
    for bad, says in ((7, "expected a string"), ("", "expected 1 to 256 characters"), ("x" * 257, "got 257")):
        with pytest.raises(RpcError) as info:
            await run(bridge, kernel, "1", runId=bad)
        assert info.value.code == -32602 and "runId" in info.value.message and says in info.value.message


async def test_stderr_stream(bridge: BridgeClient, kernel: str) -> None:
    _, outs = await run(bridge, kernel, "import sys; print('oops', file=sys.stderr)")
    assert [(o["content"]["name"], o["content"]["text"]) for o in outs] == [("stderr", "oops\n")]


async def test_display_data_and_update_display_data(bridge: BridgeClient, kernel: str) -> None:
    code = (
        "from IPython.display import display, HTML\n"
        "h = display(HTML('<b>one</b>'), display_id='d1')\n"
        "h.update(HTML('<b>two</b>'))\n"
    )
    reply, outs = await run(bridge, kernel, code)
    assert reply["status"] == "ok"
    assert [o["msgType"] for o in outs] == ["display_data", "update_display_data"]
    assert outs[0]["content"]["data"]["text/html"] == "<b>one</b>"
    assert outs[0]["content"]["transient"] == {"display_id": "d1"}
    assert outs[1]["content"]["data"]["text/html"] == "<b>two</b>"


async def test_clear_output(bridge: BridgeClient, kernel: str) -> None:
    _, outs = await run(
        bridge, kernel, "from IPython.display import clear_output\nprint('a')\nclear_output(wait=True)\nprint('b')"
    )
    assert [o["msgType"] for o in outs] == ["stream", "clear_output", "stream"]
    assert outs[1]["content"] == {"wait": True}


async def test_error_reply_carries_traceback_and_error_output(bridge: BridgeClient, kernel: str) -> None:
    reply, outs = await run(bridge, kernel, "1/0")
    assert reply["status"] == "error"
    assert reply["ename"] == "ZeroDivisionError"
    assert "division by zero" in reply["evalue"]
    assert any("ZeroDivisionError" in line for line in reply["traceback"])
    assert [o["msgType"] for o in outs] == ["error"]
    assert outs[0]["content"]["ename"] == "ZeroDivisionError"


async def test_silent_execute_has_no_result_and_no_count(bridge: BridgeClient, kernel: str) -> None:
    reply, outs = await run(bridge, kernel, "1+1", silent=True)
    assert reply["status"] == "ok"
    assert outs == []
    reply, _ = await run(bridge, kernel, "1+1")
    assert reply["executionCount"] == 1


async def test_store_history_false_keeps_the_count(bridge: BridgeClient, kernel: str) -> None:
    await run(bridge, kernel, "1", storeHistory=False)
    reply, _ = await run(bridge, kernel, "2")
    assert reply["executionCount"] == 1


async def test_user_expressions_are_returned(bridge: BridgeClient, kernel: str) -> None:
    reply, _ = await run(bridge, kernel, "a = 21", userExpressions={"double": "a*2"})
    assert reply["userExpressions"]["double"]["data"]["text/plain"] == "42"


async def test_every_output_arrives_before_the_reply(bridge: BridgeClient, kernel: str) -> None:
    """iopub and shell race; the reply must still come after the last output."""
    code = "import sys\nfor i in range(2000):\n    print(i)\n    sys.stdout.flush() if i % 100 == 0 else None\n"
    reply, outs = await run(bridge, kernel, code)
    assert reply["status"] == "ok"
    assert stdout_text(outs) == "".join(f"{i}\n" for i in range(2000))


async def test_several_executes_in_flight_are_answered_in_order(bridge: BridgeClient, kernel: str) -> None:
    replies: dict[int, dict[str, object]] = {}
    texts: dict[int, str] = {}

    async def one(i: int) -> None:
        reply, outs = await run(bridge, kernel, f"import time; time.sleep(0.05); print({i})")
        replies[i] = reply
        texts[i] = stdout_text(outs)

    with trio.fail_after(HANG_GUARD):
        async with trio.open_nursery() as nursery:
            for i in range(8):
                nursery.start_soon(one, i)
    assert all(r["status"] == "ok" for r in replies.values())
    assert texts == {i: f"{i}\n" for i in range(8)}
    assert sorted(int(r["executionCount"]) for r in replies.values()) == list(range(1, 9))


async def test_busy_and_idle_are_reported(bridge: BridgeClient, kernel: str) -> None:
    start = len(bridge.notifications)
    await run(bridge, kernel, "import time; time.sleep(0.2)")
    states = [n["params"]["executionState"] for n in bridge.notifications[start:] if n["method"] == "jupyter/status"]
    assert "busy" in states
    await bridge.wait_for(lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "idle", start)


async def test_non_ascii_code_and_output(bridge: BridgeClient, kernel: str) -> None:
    reply, outs = await run(bridge, kernel, "print('héllo 世界 😀')")
    assert reply["status"] == "ok"
    assert stdout_text(outs) == "héllo 世界 😀\n"


async def test_executes_written_back_to_back_run_in_the_order_sent(bridge: BridgeClient, kernel: str) -> None:
    """Trio shuffles tasks started together; the bridge must not let that reorder runs."""
    import json

    from bridge.server.framing import frame

    await run(bridge, kernel, "order = []")
    ids = [bridge.new_id() for _ in range(30)]
    waiting = {i: trio.open_memory_channel[dict[str, object]](1) for i in ids}
    for i, (send, _) in waiting.items():
        bridge._waiting[i] = send
    burst = b"".join(
        frame(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "jupyter/execute",
                    "params": {"kernelId": kernel, "code": f"order.append({n})"},
                }
            ).encode()
        )
        for n, i in enumerate(ids)
    )
    await bridge.send_raw(burst)  # one write: the bridge reads them all at once
    with trio.fail_after(HANG_GUARD):
        replies = [await receive.receive() for _, receive in waiting.values()]
    counts = [r["result"]["executionCount"] for r in replies]
    assert counts == sorted(counts)
    _, outs = await run(bridge, kernel, "print(order)")
    assert stdout_text(outs) == f"{list(range(30))}\n"
