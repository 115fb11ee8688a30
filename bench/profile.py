"""Where the bridge's time goes: ``python -m bench.profile {execute,inspect,hover,complete,flood,coldstart}``.

Runs a bridge under cProfile — timed by the CPU time of its main thread, so waiting is not
counted — drives it from the benchmark editor against a fresh kernel, and prints the
hottest functions and the cumulative CPU of each layer per request. ``coldstart`` lists
the imports the bridge makes before its first reply that a stock pygls server does not.
(cProfile inflates small functions; read the shares, not the absolute numbers.)
"""

from __future__ import annotations

import argparse
import atexit
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time

LAYERS = [
    ("stdin read + JSON-RPC dispatch (dispatch.py, pygls)", "bridge/server/app.py", "_read_loop"),
    ("request handlers (server/*.py, run as trio tasks)", "bridge/server/protocol.py", "_run_async"),
    ("  of which: send to the kernel (wire.serialize, HMAC, zmq)", "bridge/transports/zmq.py", "send"),
    ("kernel readers: recv + verify + parse + route", "bridge/transports/zmq.py", "_read"),
    ("  of which: deliver (session rules, routing, notifications)", "bridge/kernels/connection.py", "deliver"),
    ("  of which: zmqio.recv_multipart", "bridge/zmqio.py", "recv_multipart"),
    ("  of which: wire.deserialize (HMAC, 4× json.loads)", "bridge/wire/serialize.py", "deserialize"),
    ("  of which: jupyter/status notifications", "bridge/server/app.py", "on_status"),
    ("responses through pygls (_send_handler_result)", "pygls/protocol/json_rpc.py", "_send_handler_result"),
    ("editor notifications encoded and written (notify_fast)", "bridge/server/protocol.py", "notify_fast"),
    ("stdout pump (OutgoingQueue.pump: what the pipe did not take at once)", "bridge/server/protocol.py", "pump"),
    ("trio scheduler (unrolled_run, own time)", "trio/_core/_run.py", "unrolled_run"),
]


def serve(out: str) -> None:
    """The bridge's own main() under a CPU-time profiler; stats written on any exit."""
    import cProfile

    profiler = cProfile.Profile(time.thread_time)

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(out)

    atexit.register(dump)
    sys.argv = ["kernel-bridge"]
    from bridge.cli import main

    profiler.enable()
    try:
        code = main()
    finally:
        dump()
        atexit.unregister(dump)
    os._exit(code or 0)


def drive(workload: str, out: str, count: int) -> int:
    from bench.contenders import Bridge
    from bench.floods import FLOOD
    from bench.kernels import kernels
    from bridge.blocking_client import BlockingClient as Editor

    with kernels(1) as (km,):
        editor = Editor([sys.executable, "-m", "bench.profile", "--serve", out], stderr=subprocess.DEVNULL)
        try:
            editor.initialize(initializationOptions={"completionTimeout": 60})
            contender = Bridge(editor, lsp=workload == "hover")
            contender.open(km.connection_file)
            if workload == "flood":
                editor.keep_notifications = False
                editor.request("jupyter/execute", {"kernelId": contender.kernel_id, "code": FLOOD})
                return 1
            op = "inspect" if workload == "hover" else workload
            for _ in range(count):
                contender.call(op, "1+1")
            return count
        finally:
            editor.close()


def report(out: str, requests: int) -> None:
    stats = pstats.Stats(out)
    print(f"\nCPU of the bridge's main thread per request ({requests} requests, start-up included in the totals):")
    raw = stats.stats  # type: ignore[attr-defined]
    for label, path, name in LAYERS:
        cum = sum(
            v[3] if name != "unrolled_run" else v[2] for (f, _, fn), v in raw.items() if fn == name and f.endswith(path)
        )
        print(f"  {cum / requests * 1e3:8.3f} ms  {label}")
    print("\nHottest functions (own CPU time):")
    stats.sort_stats("tottime").print_stats(25)


def coldstart() -> None:
    from bench.startup import PYGLS_ARGV, _imports
    from bridge.client_protocol import bridge_command as bridge_argv

    ours, theirs = _imports(bridge_argv()), _imports(PYGLS_ARGV)
    only = sorted(((us, name) for name, us in ours.items() if name not in theirs), reverse=True)
    print(
        f"bridge imports {sum(ours.values()) / 1000:.0f} ms (self times summed), stock pygls {sum(theirs.values()) / 1000:.0f} ms"
    )
    print(f"imported by the bridge only: {sum(us for us, _ in only) / 1000:.0f} ms; the largest:")
    for us, name in only[:30]:
        print(f"  {us / 1000:7.1f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "workload", nargs="?", choices=("execute", "inspect", "hover", "complete", "flood", "coldstart")
    )
    parser.add_argument("--count", type=int, default=1000, help="requests to drive (default 1000)")
    parser.add_argument("--save", metavar="FILE", help="also keep the cProfile stats (for pstats' print_callers)")
    parser.add_argument("--serve", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.workload is None:
        parser.error("a workload is required")
    from bench.kernels import private_jupyter_dirs

    private_jupyter_dirs()
    if args.workload == "coldstart":
        coldstart()
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bridge.prof")
        requests = drive(args.workload, out, args.count)
        for _ in range(100):  # the bridge writes its stats as it exits
            if os.path.exists(out):
                break
            time.sleep(0.1)
        report(out, requests)
        if args.save:
            shutil.copyfile(out, args.save)


if __name__ == "__main__":
    main()
