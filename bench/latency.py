"""Round trips: execute ``1+1``, complete and inspect, and the CPU each client spends per
request — every client against the same kernel, in interleaved blocks so that the noise
of a shared machine falls on all of them alike."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from bench.contenders import Async, Blocking, Bridge, Contender, Raw
from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor


@dataclass
class Sample:
    durations: list[float] = field(default_factory=list)
    cpu: float = 0.0  # the contender's own CPU (the bridge process for the bridge)
    client_cpu: float = 0.0  # this (editor/benchmark) process
    calls: int = 0


def interleaved(
    contenders: list[Contender], connection_file: str, op: str, arg: str, *, rounds: int, n: int, warmup: int, log: Any
) -> dict[str, Sample]:
    """``rounds`` rounds; in each, every contender connects, warms up, runs ``n`` timed
    calls and disconnects. The order rotates from round to round."""
    out = {c.name: Sample() for c in contenders}
    for r in range(rounds):
        order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
        for c in order:
            c.open(connection_file)
            try:
                c.block(op, arg, warmup)
                cpu0, client0 = c.cpu(), time.process_time()
                durations = c.block(op, arg, n)
                s = out[c.name]
                s.cpu += c.cpu() - cpu0
                s.client_cpu += time.process_time() - client0
                s.durations += durations
                s.calls += n
            finally:
                c.close()
        log(f"  {op}: round {r + 1}/{rounds}")
    return out


def roundtrip(report: Report, connection_file: str, editor: Editor, *, rounds: int, n: int, log: Any) -> None:
    raw, blocking, bridge = Raw(), Blocking(), Bridge(editor)
    contenders: list[Contender] = [raw, blocking, Async(), bridge]
    res = interleaved(contenders, connection_file, "execute", "1+1", rounds=rounds, n=n, warmup=10, log=log)
    scenario = "execute 1+1 round trip"
    base = report.add(Row.of(scenario, raw.name, res[raw.name].durations))
    rows = {}
    for c in contenders[1:]:
        rows[c.name] = report.add(Row.of(scenario, c.name, res[c.name].durations).against(base))
    b = rows[bridge.name]
    jc = rows[blocking.name]
    b.note = f"{b.p50 / jc.p50:.2f}× BlockingKernelClient p50"
    report.target("execute p50 ≤ 1.10× BlockingKernelClient", b.p50 / jc.p50, 1.10)

    # CPU per request: the client's own process for the in-process clients, the bridge
    # process for the bridge (what the editor itself spends is in the note).
    scenario = "CPU per execute"
    raw_cpu = res[raw.name].cpu / res[raw.name].calls * 1e3
    base = report.add(Row(scenario, raw.name + " (client process)", res[raw.name].calls, raw_cpu, raw_cpu))
    for c in contenders[1:]:
        s = res[c.name]
        per = s.cpu / s.calls * 1e3
        name = "bridge process" if c is bridge else c.name + " (client process)"
        row = report.add(Row(scenario, name, s.calls, per, per).against(base))
        if c is bridge:
            row.note = f"+ {s.client_cpu / s.calls * 1e3:.2f} ms in the editor (this process)"
    bridge_cpu = res[bridge.name].cpu / res[bridge.name].calls * 1e3
    protocol_cpu = editor_protocol_cpu()
    floor = raw_cpu + protocol_cpu
    row = report.add(
        Row(scenario, "floor: raw client + one JSON-RPC request, reply, output", 1, floor, floor).against(base)
    )
    row.note = f"+ {protocol_cpu * 1e3:.0f} µs of JSON-RPC work, in process, no scheduling"
    report.target(
        "bridge CPU per execute ≤ 1.3× raw client's", bridge_cpu / raw_cpu, 1.3, f"{bridge_cpu:.2f} vs {raw_cpu:.2f} ms"
    )
    report.target("execute p50 ≤ 1.08× raw pyzmq", b.ratio_p50 or 0, 1.08)


def editor_protocol_cpu(n: int = 5000) -> float:
    """The least a bridge must add to a raw client per execute, in ms of CPU: one
    JSON-RPC request parsed, its reply and one ``jupyter/output`` notification encoded
    and framed, with the bridge's own encoder, in this process (no I/O, no scheduling)."""
    from bridge.server.framing import frame
    from bridge.server.protocol import encode_json

    request = (
        b'{"jsonrpc":"2.0","id":12345,"method":"jupyter/execute",'
        b'"params":{"kernelId":"0b6c8f0e-5a3c-4d0e-9a57-3f2d1c0b9a88","code":"1+1"}}'
    )
    output = {
        "kernelId": "0b6c8f0e-5a3c-4d0e-9a57-3f2d1c0b9a88",
        "requestId": 12345,
        "msgId": "7f0e1d2c-3b4a-5968-7a8b-9c0d1e2f3a4b_1234_5",
        "msgType": "execute_result",
        "content": {"data": {"text/plain": "2"}, "metadata": {}, "execution_count": 7},
    }
    reply = {"status": "ok", "executionCount": 7}
    t0 = time.process_time()
    for _ in range(n):
        json.loads(request.decode("utf-8"))
        frame(encode_json({"jsonrpc": "2.0", "method": "jupyter/output", "params": output}))
        frame(encode_json({"jsonrpc": "2.0", "id": 12345, "result": reply}))
    return (time.process_time() - t0) / n * 1e3


def introspection(report: Report, connection_file: str, editor: Editor, *, rounds: int, n: int, log: Any) -> None:
    raw = Raw()
    bridge, lsp = Bridge(editor), Bridge(editor, lsp=True)
    contenders: list[Contender] = [raw, Blocking(), bridge, lsp]
    for op, lsp_method, label in (
        ("complete", "textDocument/completion", "complete_request"),
        ("inspect", "textDocument/hover", "inspect_request"),
    ):
        res = interleaved(contenders, connection_file, op, "", rounds=rounds, n=n, warmup=3, log=log)
        scenario = f"{label} round trip"
        base = report.add(Row.of(scenario, raw.name, res[raw.name].durations))
        for c in contenders[1:]:
            name = f"bridge {lsp_method}" if c is lsp else (f"bridge jupyter/{op}" if c is bridge else c.name)
            row = report.add(Row.of(scenario, name, res[c.name].durations).against(base))
            if c is lsp:
                limit = 1.05 if op == "complete" else 1.10
                report.target(f"{name} p50 ≤ {limit:.2f}× raw pyzmq", row.ratio_p50 or 0, limit)
            elif c is bridge:
                report.target(f"{name} p50 ≤ 1.15× raw pyzmq", row.ratio_p50 or 0, 1.15)
        if op == "inspect":  # (complete is the kernel's time: jedi dominates)
            scenario = "CPU per inspect_request"
            per = res[raw.name].cpu / res[raw.name].calls * 1e3
            base = report.add(Row(scenario, raw.name + " (client process)", res[raw.name].calls, per, per))
            for c, name in ((bridge, "bridge process, jupyter/inspect"), (lsp, "bridge process, textDocument/hover")):
                per = res[c.name].cpu / res[c.name].calls * 1e3
                report.add(Row(scenario, name, res[c.name].calls, per, per).against(base))
