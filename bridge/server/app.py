"""The server's main task: stdio loops, the nurseries, and an orderly end.

Nursery layout (docs/architecture.md):

    serve
    ├── outgoing.pump            writes queued bytes to stdout
    └── kernels nursery          one task per kernel (its own nursery: readers, heartbeat,
        │                        process watcher)
        └── handlers nursery     the stdin reader, the signal watcher, one task per request

The end comes from stdin EOF, ``exit``, or SIGTERM/SIGINT/SIGHUP. Then request handlers
are cancelled, owned kernels are shut down (bounded, shielded), and queued output is
flushed (bounded).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio
from lsprotocol import types
from pygls.lsp.server import LanguageServer

from bridge import __version__
from bridge.remote.config import install_log_redaction
from bridge.server.context import Bridge, Settings
from bridge.server.dispatch import Dispatcher
from bridge.server.features import Features
from bridge.server.framing import Body, FrameReader
from bridge.server.protocol import OutgoingQueue, TrioLanguageServerProtocol

if TYPE_CHECKING:  # loaded with the first kernel request (bridge/server/features.py)
    from bridge.kernels.registry import KernelRegistry

log = logging.getLogger(__name__)

SHUTDOWN_BUDGET = 10.0
FLUSH_BUDGET = 2.0


def build_server() -> LanguageServer:
    return LanguageServer(
        "kernel-bridge",
        __version__,
        protocol_cls=TrioLanguageServerProtocol,
        text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
    )


async def serve(stdin: trio.abc.ReceiveStream, stdout: trio.abc.SendStream, settings: Settings | None = None) -> int:
    server = build_server()
    protocol: TrioLanguageServerProtocol = server.protocol  # type: ignore[assignment]
    outgoing = OutgoingQueue()
    stop = trio.Event()
    reason = "eof"

    spill_dir = _spill_dir()
    async with trio.open_nursery() as root:
        root.start_soon(_pump, outgoing, stdout)
        async with trio.open_nursery() as kernels_nursery:
            settings = settings or Settings()

            def make_registry() -> KernelRegistry:
                from bridge.kernels.kernel import KernelEvents
                from bridge.kernels.registry import KernelRegistry
                from bridge.server.execute import foreign_output, late_reply

                # kernel states reach the editor through the registry's events (server/lifecycle.py)
                events = KernelEvents(
                    foreign=lambda kernel, msg: foreign_output(bridge, kernel, msg),
                    comm=bridge.comm_relay.comm,
                    late_reply=lambda kernel, msg: late_reply(bridge, kernel, msg),
                )
                return KernelRegistry(kernels_nursery, events, transport=bridge.settings.transport)

            bridge = Bridge(protocol=protocol, make_registry=make_registry, settings=settings, spill_dir=spill_dir)
            install_log_redaction()  # tokens arrive in params and initializationOptions
            features = Features(server, bridge)
            features.register_lsp()

            @server.feature(types.INITIALIZE)
            def on_initialize(params: types.InitializeParams) -> None:
                bridge.settings.update(params.initialization_options)
                experimental = params.capabilities.experimental
                if isinstance(experimental, dict) and experimental.get("jupyterInput") is True:
                    bridge.settings.jupyter_input = True
                if isinstance(experimental, dict) and experimental.get("jupyterOutput") is True:
                    bridge.settings.jupyter_output = True
                if bridge.kernels_in_use:
                    bridge.registry.transport = bridge.settings.transport

            @server.feature(types.SHUTDOWN)
            async def on_shutdown(params: Any) -> None:
                if bridge.kernels_in_use:
                    await bridge.registry.shutdown_all()

            async with trio.open_nursery() as handlers:
                protocol.attach(handlers, outgoing)
                dispatcher = Dispatcher(protocol, load_features=features.load)

                async def read_stdin() -> None:
                    await _read_loop(stdin, dispatcher)
                    stop.set()

                async def watch_signals() -> None:
                    nonlocal reason
                    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
                        async for signum in signals:
                            reason = signal.Signals(signum).name
                            stop.set()
                            return

                async def watch_exit() -> None:
                    nonlocal reason
                    await protocol.exit_requested.wait()
                    reason = "exit"
                    stop.set()

                handlers.start_soon(read_stdin)
                handlers.start_soon(watch_signals)
                handlers.start_soon(watch_exit)
                await stop.wait()
                log.info("stopping: %s", reason)
                handlers.cancel_scope.cancel()
            if bridge.kernels_in_use:
                with trio.CancelScope(shield=True), trio.move_on_after(SHUTDOWN_BUDGET):
                    await bridge.registry.shutdown_all()
            kernels_nursery.cancel_scope.cancel()
        outgoing.close()
        root.cancel_scope.deadline = trio.current_time() + FLUSH_BUDGET
    if spill_dir is not None:
        shutil.rmtree(spill_dir, ignore_errors=True)
    if reason == "exit":
        return 0 if protocol.shutdown_requested else 1
    return 0


def _spill_dir() -> Path | None:
    """Where output left out of the editor is kept: private, removed when we exit."""
    from jupyter_core.paths import jupyter_runtime_dir

    try:
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        return Path(tempfile.mkdtemp(prefix=f"kernel-bridge-{os.getpid()}-", dir=runtime))
    except OSError as exc:
        log.warning("no directory for omitted output: %s", exc)
        return None


async def _pump(outgoing: OutgoingQueue, stdout: trio.abc.SendStream) -> None:
    try:
        await outgoing.pump(stdout)
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
        log.info("editor stopped reading (%s); output dropped from now on", exc)
        outgoing.close()


class _StdinReader:
    """``receive_some`` without its leading checkpoint on a pipe: read at once, park only
    when nothing is there. trio's FdStream yields before every read, one more task switch
    per request; here a read that found data after parking needs no other yield, and only
    reads returning data back to back (an editor flooding us) yield between them."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self._stream = stream
        self._fd = stream.fileno() if isinstance(stream, trio.lowlevel.FdStream) else None
        self._owe_checkpoint = False

    async def receive_some(self, max_bytes: int) -> bytes | bytearray:
        if self._fd is None:
            return await self._stream.receive_some(max_bytes)
        while True:
            try:
                data = os.read(self._fd, max_bytes)
            except BlockingIOError:
                self._owe_checkpoint = False
                await trio.lowlevel.wait_readable(self._fd)
                continue
            if self._owe_checkpoint:
                await trio.lowlevel.cancel_shielded_checkpoint()
            self._owe_checkpoint = True
            return data


async def _read_loop(stdin: trio.abc.ReceiveStream, dispatcher: Dispatcher) -> None:
    reader = FrameReader()
    source = _StdinReader(stdin)
    while True:
        try:
            data = await source.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            return
        if not data:
            return
        reader.feed(data)
        while (event := reader.next_event()) is not None:
            if isinstance(event, Body):
                dispatcher.handle_body(event.data)
            else:
                dispatcher.framing_error(event)
        await dispatcher.protocol.start_queued()
