"""N kernels with concurrent executes: one execute in flight per kernel, the next sent as
soon as the previous one is answered; throughput and CPU per execute, the raw pyzmq
client (one thread, one poller over every kernel's sockets) against the bridge.

``gateway`` (opt-in: ``python -m bench --only gateway``, it needs the Enterprise Gateway venv
of scripts/test-setup.d/60-enterprise-gateway.sh): the same load from one bridge on 16 kernels
behind a real Jupyter Enterprise Gateway (its local process proxy; the bridge on its REST API
and one WebSocket per kernel, as on a cluster) against 16 local kernels over ZeroMQ."""

from __future__ import annotations

import secrets
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import zmq

from bench.kernels import kernels
from bench.raw import RawClient, execute_content, load_connection_file
from bench.stats import Report, Row
from bridge.blocking_client import BlockingClient as Editor
from bridge.blocking_client import RpcError

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
        inflight[i] = clients[i].send("execute_request", execute_content(CODE))

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


def multikernel(
    report: Report, editor: Editor, *, counts: tuple[int, ...], executes: int, rounds: int, log: Any
) -> None:
    """``executes`` in total per round for each N (split over the N kernels)."""
    from tests.support.processes import cpu_seconds

    with kernels(max(counts)) as managers:
        log(f"  {max(counts)} kernels ready")
        for count in counts:
            files = [km.connection_file for km in managers[:count]]
            per_kernel = max(1, executes // count)
            total = per_kernel * count
            raw_t, bridge_t, raw_cpu, bridge_cpu = [], [], 0.0, 0.0
            for r in range(rounds):
                for who in ("raw", "bridge") if r % 2 == 0 else ("bridge", "raw"):
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
                        ids = [
                            editor.request("jupyter/connectKernel", {"connectionFile": f})["kernelId"] for f in files
                        ]
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
            base = report.add(
                Row.of(scenario, "raw pyzmq", raw_t, note=f"{1 / (sorted(raw_t)[len(raw_t) // 2]):.0f} executes/s")
            )
            row = report.add(Row.of(scenario, "bridge (jupyter/)", bridge_t).against(base))
            row.note = f"{1 / (sorted(bridge_t)[len(bridge_t) // 2]):.0f} executes/s"
            n = total * rounds
            scenario = f"{count} kernel{'s' if count > 1 else ''}, concurrent executes: CPU per execute"
            base = report.add(Row(scenario, "raw pyzmq (client process)", n, raw_cpu / n * 1e3, raw_cpu / n * 1e3))
            report.add(Row(scenario, "bridge process", n, bridge_cpu / n * 1e3, bridge_cpu / n * 1e3).against(base))
            log(f"  {count} kernels: {rounds} rounds of {total} executes")


# -- 16 kernels behind Enterprise Gateway --------------------------------------------------


def _timed_concurrent(editor: Editor, kernel_ids: list[str], per_kernel: int) -> list[float]:
    """As ``_bridge_concurrent``; the latency of each execute (request written to response read)."""
    remaining = {k: per_kernel - 1 for k in kernel_ids}
    sent: dict[Any, tuple[str, float]] = {}
    latencies: list[float] = []

    def send(kernel_id: str) -> None:
        sent[editor.request_nowait("jupyter/execute", {"kernelId": kernel_id, "code": CODE})] = (
            kernel_id,
            time.perf_counter(),
        )

    for k in kernel_ids:
        send(k)
    while sent:
        editor.wait(lambda: any(i in editor.responses for i in sent), what="an execute reply")
        now = time.perf_counter()
        for msg_id in [i for i in sent if i in editor.responses]:
            kernel_id, t0 = sent.pop(msg_id)
            latencies.append(now - t0)
            result = editor.result(msg_id)
            assert result["status"] == "ok", result
            if remaining[kernel_id]:
                remaining[kernel_id] -= 1
                send(kernel_id)
    return latencies


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gateway_kernels(editor: Editor, server: dict[str, str], count: int, log: Any) -> list[str]:
    """``count`` kernels started on the gateway with its REST API (not by the bridge, which only
    attaches to them, as to the local ones), each checked by attaching and running code once.
    One that does not come up is deleted and replaced: a kernel EG launches can lose the race
    for its ports to another process ("Address already in use"), and EG restarts it on the
    same ports, in vain."""
    import httpx

    url, headers = server["url"], {"Authorization": f"token {server['token']}"}
    ready: list[str] = []
    with httpx.Client(headers=headers, timeout=120, trust_env=False) as client:
        for _ in range(3 * count):
            if len(ready) == count:
                return ready
            response = client.post(
                url + "api/kernels", json={"name": "python3", "env": {"KERNEL_USERNAME": "kb-bench"}}
            )
            response.raise_for_status()
            remote_id = response.json()["id"]
            try:
                kernel_id = editor.request("jupyter/connectKernel", {"server": server, "kernelId": remote_id})[
                    "kernelId"
                ]
                editor.request("jupyter/execute", {"kernelId": kernel_id, "code": "pass"})
                editor.request("jupyter/shutdownKernel", {"kernelId": kernel_id})
                ready.append(remote_id)
            except RpcError as exc:
                log(f"  gateway kernel {remote_id} did not come up ({exc.message}); replacing it")
                client.delete(url + f"api/kernels/{remote_id}")
    raise RuntimeError(f"Enterprise Gateway could not start {count} working kernels")


def gateway(report: Report, *, count: int, executes: int, rounds: int, log: Any) -> None:
    """One bridge, ``count`` kernels at a time, one execute in flight per kernel: local kernels
    (ZeroMQ) against kernels behind Enterprise Gateway (HTTP + WebSocket). Both sets run the
    same ipykernel; the bridge attaches to each set in turn (``connectKernel``) and detaches
    after, so neither set's heartbeats or pings cost anything during the other's turn."""
    import subprocess

    from tests.integration.http_servers import enterprise_gateway_missing, enterprise_gateway_process
    from tests.support.processes import cpu_seconds

    missing = enterprise_gateway_missing()
    if missing:
        raise SystemExit(f"gateway: {missing}")
    token = secrets.token_hex(16)
    per_kernel = max(1, executes // count)
    total = per_kernel * count
    with (
        tempfile.TemporaryDirectory(prefix="kb-bench-eg-") as root,
        kernels(count) as managers,
        enterprise_gateway_process(_free_port(), token, Path(root)) as eg,
    ):
        server = {"url": eg.url, "token": token}
        files = [km.connection_file for km in managers]
        samples: dict[str, list[float]] = {"local": [], "gateway": []}
        bridge_cpu = {"local": 0.0, "gateway": 0.0}
        gateway_cpu = 0.0  # EG's own CPU while it relays the gateway set's executes
        wall = {"local": 0.0, "gateway": 0.0}
        editor = Editor(stderr=subprocess.DEVNULL)
        try:
            editor.initialize()
            remote_ids = _gateway_kernels(editor, server, count, log)
            log(f"  {count} local kernels and {count} behind Enterprise Gateway ready")
            for r in range(rounds):
                for who in ("local", "gateway") if r % 2 == 0 else ("gateway", "local"):
                    if who == "local":
                        ids = [
                            editor.request("jupyter/connectKernel", {"connectionFile": f})["kernelId"] for f in files
                        ]
                    else:
                        ids = [
                            editor.request("jupyter/connectKernel", {"server": server, "kernelId": k})["kernelId"]
                            for k in remote_ids
                        ]
                    _timed_concurrent(editor, ids, 2)  # warm-up: first messages on each new link
                    editor.keep_notifications = False
                    try:
                        cpu0, eg0, t0 = cpu_seconds(editor.pid), cpu_seconds(eg.pid), time.perf_counter()
                        samples[who] += _timed_concurrent(editor, ids, per_kernel)
                        wall[who] += time.perf_counter() - t0
                        bridge_cpu[who] += cpu_seconds(editor.pid) - cpu0
                        if who == "gateway":
                            gateway_cpu += cpu_seconds(eg.pid) - eg0
                    finally:
                        editor.keep_notifications = True
                        for k in ids:
                            editor.request("jupyter/shutdownKernel", {"kernelId": k})  # attached: detach only
                log(f"  round {r + 1}/{rounds}: {total} executes on each set")
        finally:
            editor.close()
    n = total * rounds
    scenario = f"{count} kernels, concurrent executes: latency per execute (one in flight per kernel)"
    base = report.add(
        Row.of(scenario, "bridge, local kernels (ZeroMQ)", samples["local"], note=f"{n / wall['local']:.0f} executes/s")
    )
    row = report.add(Row.of(scenario, "bridge, kernels behind Enterprise Gateway", samples["gateway"]).against(base))
    row.note = f"{n / wall['gateway']:.0f} executes/s; HTTP + WebSocket to EG 3.3, which relays over ZeroMQ"
    scenario = f"{count} kernels, concurrent executes: CPU per execute"
    base = report.add(
        Row(scenario, "bridge process, local kernels", n, bridge_cpu["local"] / n * 1e3, bridge_cpu["local"] / n * 1e3)
    )
    report.add(
        Row(
            scenario,
            "bridge process, kernels behind EG",
            n,
            bridge_cpu["gateway"] / n * 1e3,
            bridge_cpu["gateway"] / n * 1e3,
        ).against(base)
    )
    report.add(
        Row(scenario, "Enterprise Gateway process (relaying)", n, gateway_cpu / n * 1e3, gateway_cpu / n * 1e3).against(
            base
        )
    )
