"""Output floods: coalesced, capped, kept in a bounded file, memory back to baseline,
and the bridge answers other requests while a flood runs."""

from __future__ import annotations

from pathlib import Path

import trio

from bridge.client import BridgeClient
from tests.integration.helpers import HANG_GUARD, run, stdout_text


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_200k_lines_arrive_complete_in_order_and_coalesced(bridge: BridgeClient, kernel: str) -> None:
    reply, outs = await run(bridge, kernel, "for i in range(200_000):\n    print(i)")
    assert reply["status"] == "ok"
    assert stdout_text(outs) == "".join(f"{i}\n" for i in range(200_000))
    assert len(outs) < 200_000 // 10  # coalesced: far fewer notifications than lines


async def test_a_50mb_string_is_capped_kept_in_a_file_and_memory_returns(bridge: BridgeClient, kernel: str) -> None:
    await run(bridge, kernel, "print('warm up')")
    baseline = rss_bytes(bridge.process.pid)
    msg_id = bridge.new_id()
    start = len(bridge.notifications)
    with trio.fail_after(HANG_GUARD * 2):
        reply = await bridge.request(
            "jupyter/execute", {"kernelId": kernel, "code": "print('x' * 50_000_000)"}, msg_id=msg_id
        )
    assert reply["status"] == "ok"
    limit = next(n["params"] for n in bridge.notifications[start:] if n["method"] == "jupyter/outputLimit")
    assert limit["requestId"] == msg_id and limit["kernelId"] == kernel
    kept = Path(limit["file"])
    assert kept.stat().st_size == 50_000_001  # the whole output
    assert kept.read_text()[:10] == "x" * 10
    sent = sum(len(o["content"].get("text", "")) for o in bridge.outputs(msg_id))
    assert 0 < sent <= 4 * 1024 * 1024  # the head, up to the cap
    assert sent + limit["omittedBytes"] == 50_000_001
    assert bridge.bytes_received < 8 * 1024 * 1024  # nothing like 50 MB went to the editor
    await run(bridge, kernel, "1")
    assert rss_bytes(bridge.process.pid) - baseline < 40 * 1024 * 1024


async def test_the_bridge_answers_while_a_flood_runs(bridge: BridgeClient, tmp_path: Path) -> None:
    """The flood prints until the test has had its answers (then it creates ``stop``):
    the answers cannot have waited for its end, however fast the machine is, and the
    test does not wait for a flood of a fixed length to drain (1.5 M lines took 15 s)."""
    stop = tmp_path / "stop"
    flood_code = f"import os\ni = 0\nwhile i % 1000 or not os.path.exists({str(stop)!r}):\n    print(i)\n    i += 1"
    uri = "file:///tmp/flood.py"
    kernel = (await bridge.request("jupyter/startKernel", {"uri": uri}))["kernelId"]
    await bridge.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "import o"}}
    )
    order: list[str] = []
    async with trio.open_nursery() as nursery:

        async def flood() -> None:
            reply, outs = await run(bridge, kernel, flood_code)
            assert reply["status"] == "ok" and outs
            order.append("flood done")

        start = len(bridge.notifications)
        nursery.start_soon(flood)
        await bridge.wait_for(lambda n: n["method"] == "jupyter/output" and n["params"]["kernelId"] == kernel, start)
        completion = await bridge.request(
            "textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 8}}
        )
        order.append("completion answered")
        assert completion == {"isIncomplete": True, "items": []}
        assert [k["kernelId"] for k in await bridge.request("jupyter/listKernels")] == [kernel]
        order.append("listKernels answered")
        stop.touch()
    assert order == ["completion answered", "listKernels answered", "flood done"]
