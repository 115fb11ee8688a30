"""N kernels with concurrent executes: one execute in flight per kernel, the next sent as
soon as the previous one is answered; throughput and CPU per execute, the raw pyzmq
client (one thread, one poller over every kernel's sockets) against the bridge."""

from __future__ import annotations

import time
from typing import Any

import zmq

from bench.editor import Editor
from bench.kernels import kernels
from bench.raw import RawClient, load_connection_file
from bench.stats import Report, Row

CODE = "1+1"


def _raw_concurrent(clients: list[RawClient], per_kernel: int) -> None:
    poller = zmq.Poller()
    owner: dict[Any, int] = {}
    for i, c in enumerate(clients):
        for sock in (c.shell, c.iopub):
            poller.register(sock, zmq.POLLIN)
            owner[sock] = i
    remaining = [per_kernel] * len(clients)
    inflight: list[str | None] = [None] * len(clients)
    replied = [False] * len(clients)
    idle = [False] * len(clients)

    def start(i: int) -> None:
        remaining[i] -= 1
        replied[i] = idle[i] = False
        inflight[i] = clients[i].send(
            "execute_request",
            {"code": CODE, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        )

    for i in range(len(clients)):
        start(i)
    deadline = time.monotonic() + 300
    while any(m is not None for m in inflight):
        if time.monotonic() > deadline:
            raise TimeoutError("raw concurrent executes stalled")
        for sock, _ in poller.poll(1000):
            i = owner[sock]
            c = clients[i]
            while True:
                try:
                    parts = sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                msg = c._parse(parts)
                if inflight[i] is None or msg["parent_header"].get("msg_id") != inflight[i]:
                    continue
                if sock is c.shell:
                    replied[i] = True
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle[i] = True
                if replied[i] and idle[i]:
                    inflight[i] = None
                    if remaining[i]:
                        start(i)


def _bridge_concurrent(editor: Editor, kernel_ids: list[str], per_kernel: int) -> None:
    remaining = {k: per_kernel - 1 for k in kernel_ids}
    inflight = {editor.request_nowait("jupyter/execute", {"kernelId": k, "code": CODE}): k for k in kernel_ids}
    while inflight:
        editor.wait(lambda: any(i in editor.responses for i in inflight), what="an execute reply")
        for msg_id in [i for i in inflight if i in editor.responses]:
            kernel_id = inflight.pop(msg_id)
            result = editor.result(msg_id)
            assert result["status"] == "ok", result
            if remaining[kernel_id]:
                remaining[kernel_id] -= 1
                inflight[editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": CODE})] = kernel_id


def multikernel(report: Report, editor: Editor, *, counts: tuple[int, ...], executes: int, rounds: int, log: Any) -> None:
    """``executes`` in total per round for each N (split over the N kernels)."""
    from bench.editor import cpu_seconds

    with kernels(max(counts)) as managers:
        log(f"  {max(counts)} kernels ready")
        for count in counts:
            files = [km.connection_file for km in managers[:count]]
            per_kernel = max(1, executes // count)
            total = per_kernel * count
            raw_t, bridge_t, raw_cpu, bridge_cpu = [], [], 0.0, 0.0
            for r in range(rounds):
                for who in (("raw", "bridge") if r % 2 == 0 else ("bridge", "raw")):
                    if who == "raw":
                        clients = [RawClient(load_connection_file(f)) for f in files]
                        try:
                            for c in clients:
                                c.wait_ready()
                            cpu0, t0 = time.process_time(), time.perf_counter()
                            _raw_concurrent(clients, per_kernel)
                            raw_t.append((time.perf_counter() - t0) / total)
                            raw_cpu += time.process_time() - cpu0
                        finally:
                            for c in clients:
                                c.close()
                    else:
                        ids = [editor.request("jupyter/connectKernel", {"connectionFile": f})["kernelId"] for f in files]
                        editor.keep_notifications = False
                        try:
                            cpu0, t0 = cpu_seconds(editor.pid), time.perf_counter()
                            _bridge_concurrent(editor, ids, per_kernel)
                            bridge_t.append((time.perf_counter() - t0) / total)
                            bridge_cpu += cpu_seconds(editor.pid) - cpu0
                        finally:
                            editor.keep_notifications = True
                            for k in ids:
                                editor.request("jupyter/shutdownKernel", {"kernelId": k})
            scenario = f"{count} kernel{'s' if count > 1 else ''}, concurrent executes: wall time per execute"
            base = report.add(Row.of(scenario, "raw pyzmq", raw_t, note=f"{1 / (sorted(raw_t)[len(raw_t) // 2]):.0f} executes/s"))
            row = report.add(Row.of(scenario, "bridge (jupyter/)", bridge_t).against(base))
            row.note = f"{1 / (sorted(bridge_t)[len(bridge_t) // 2]):.0f} executes/s"
            n = total * rounds
            scenario = f"{count} kernel{'s' if count > 1 else ''}, concurrent executes: CPU per execute"
            base = report.add(Row(scenario, "raw pyzmq (client process)", n, raw_cpu / n * 1e3, raw_cpu / n * 1e3))
            report.add(Row(scenario, "bridge process", n, bridge_cpu / n * 1e3, bridge_cpu / n * 1e3).against(base))
            log(f"  {count} kernels: {rounds} rounds of {total} executes")
