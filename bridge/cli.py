"""The ``kernel-bridge`` command.

``kernel-bridge`` serves JSON-RPC/LSP on stdio (what editors start).
``kernel-bridge --demo CODE`` starts a bridge as a subprocess, the way an editor would,
runs CODE on the default kernel and prints the exchange: a round trip in a terminal.
``kernel-bridge sidecar --existing [FILE]`` serves a page that shows a running kernel's
outputs live (docs/sidecar.md).
"""

from __future__ import annotations

import gc

# Start-up builds hundreds of thousands of long-lived objects (lsprotocol's types, cattrs'
# converters): collecting while they are made only scans them again and again. Collection
# resumes, with them frozen out of it, once the server is imported (``_startup_done``).
gc.disable()

import argparse  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import trio  # noqa: E402

from bridge import __version__  # noqa: E402


def _startup_done() -> None:
    """Freeze what start-up made (it lives as long as the process) and collect again."""
    gc.freeze()
    gc.enable()


def _stdio_streams() -> tuple[trio.lowlevel.FdStream, trio.lowlevel.FdStream]:
    """Own fds 0 and 1 for the protocol, and point fd 1 at stderr for everything else,
    so a stray print (ours or a library's) can never corrupt the editor's channel."""
    stdin_fd = os.dup(0)
    stdout_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return trio.lowlevel.FdStream(stdin_fd), trio.lowlevel.FdStream(stdout_fd)


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["sidecar"]:
        _startup_done()
        from bridge.sidecar.standalone import main as sidecar_main

        return sidecar_main(args_in[1:])
    parser = argparse.ArgumentParser(
        prog="kernel-bridge",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="kernel-bridge sidecar --existing [FILE]: a page that shows a running kernel's outputs live (sidecar --help)",
    )
    parser.add_argument("--version", action="version", version=f"kernel-bridge {__version__}")
    parser.add_argument("--log-level", default=os.environ.get("KERNEL_BRIDGE_LOG", "WARNING"), help="stderr log level")
    parser.add_argument("--kernel", default=None, help="default kernelspec name (default: python3)")
    parser.add_argument(
        "--startup-timeout", type=_seconds, default=60.0, help="seconds a kernel may take to become ready"
    )
    parser.add_argument(
        "--transport",
        choices=("tcp", "ipc"),
        default="tcp",
        help="for kernels the bridge starts (default: tcp on 127.0.0.1)",
    )
    parser.add_argument(
        "--encryption",
        choices=("auto", "off", "required"),
        default="auto",
        help="CurveZMQ for local kernels: auto (when the kernelspec supports it; default), off, or required",
    )
    parser.add_argument(
        "--demo", metavar="CODE", help="run CODE on a fresh kernel through a bridge subprocess and print the exchange"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="kernel-bridge %(levelname)s %(name)s: %(message)s"
    )
    if args.log_level.upper() != "DEBUG":
        # pygls logs every handler error with a traceback; ours reach the editor as errors.
        logging.getLogger("pygls").setLevel(logging.CRITICAL)
    if args.demo is not None:
        _startup_done()
        from bridge.demo import run_demo

        return trio.run(run_demo, args.demo, args.kernel or "python3")

    from bridge.server.app import serve
    from bridge.server.context import Settings

    _startup_done()

    settings = Settings(
        default_kernel=args.kernel or "python3",
        default_kernel_configured=args.kernel is not None,
        startup_timeout=args.startup_timeout,
        transport=args.transport,
        encryption=args.encryption,
    )
    stdin, stdout = _stdio_streams()
    return trio.run(serve, stdin, stdout, settings)


if __name__ == "__main__":
    raise SystemExit(main())
