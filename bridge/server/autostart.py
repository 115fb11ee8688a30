"""A kernel for a document, started when the editor first runs code from it.

A stock LSP client cannot send ``jupyter/startKernel``: all it knows is the document and
its ``languageId``. So the first run from a document with no kernel starts one and binds
it: the kernelspec from ``initializationOptions.kernels`` (keyed by languageId), else the
installed kernelspec whose ``language`` is the document's, else the configured
``defaultKernel``. ``autoStart`` says when: on the first run (default), when the document
opens, or never. Runs that arrive while the kernel starts wait for that one start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import trio
from lsprotocol import types

from bridge.errors import BridgeError, KernelNotFound, KernelspecNotFound, unwrap_group
from bridge.kernels.events import KernelRemoved, RegistryEvent
from bridge.server.context import Bridge

log = logging.getLogger(__name__)

# LSP languageIds (as Neovim, Helix, Emacs, Zed, Kate send them) → kernelspec ``language``
ALIASES = {
    "sh": "bash",
    "shellscript": "bash",
    "zsh": "bash",
    "js": "javascript",
    "javascriptreact": "javascript",
    "ts": "typescript",
    "typescriptreact": "typescript",
    "jl": "julia",
    "rmd": "r",
    "quarto": "python",
    "python3": "python",
    "ipython": "python",
}


class NoKernelFor(KernelspecNotFound):
    """No kernelspec is configured or installed for a document's language."""


def choose_kernelspec(
    language_id: str,
    specs: Sequence[Mapping[str, Any]],
    *,
    configured: Mapping[str, str],
    default_kernel: str,
    default_configured: bool,
) -> str:
    """The kernelspec to start for a document of ``language_id``; raises NoKernelFor with a
    message that names the setting to change. ``specs`` are ``listKernelspecs`` entries."""
    if language_id in configured:
        return configured[language_id]
    wanted = ALIASES.get(language_id.lower(), language_id.lower())
    matching = sorted(str(s["name"]) for s in specs if str(s.get("language", "")).lower() == wanted)
    if matching:
        return default_kernel if default_kernel in matching else matching[0]
    if default_configured:
        return default_kernel
    installed = ", ".join(f"{s['name']} ({s.get('language', '?')})" for s in specs) or "none"
    raise NoKernelFor(
        f"no kernel for {language_id!r} documents: no installed kernelspec has language {wanted!r} "
        f"(installed: {installed}). Set initializationOptions.kernels, e.g. "
        f'{{"kernels": {{"{language_id}": "<kernelspec>"}}}}, or initializationOptions.defaultKernel',
        data={"languageId": language_id, "setting": "initializationOptions.kernels"},
    )


class AutoStart:
    """Starts and binds one kernel per document, once, when a run needs it."""

    def __init__(self, bridge: Bridge, lifecycle: Any) -> None:
        self.bridge = bridge
        self.lifecycle = lifecycle  # server/lifecycle.py: its handlers take plain JSON
        self._starting: dict[str, trio.Event] = {}
        self._failed: dict[str, BaseException] = {}
        self.started: dict[str, str] = {}  # kernelId -> the document it was started for
        bridge.subscribe(self._on_kernel_event)

    def _on_kernel_event(self, event: RegistryEvent) -> None:
        """A kernel shut down (by whatever request) is no longer one we started."""
        if isinstance(event, KernelRemoved):
            self.started.pop(event.kernel_id, None)

    def language_of(self, uri: str) -> str:
        workspace = self.bridge.protocol.workspace
        if uri in workspace.text_documents:
            language = workspace.get_text_document(uri).language_id
            if language:
                return str(language)
        return "python" if uri.endswith(".py") else ""

    async def kernel_for(self, uri: str) -> Any:
        """The document's kernel, starting one if the settings allow it; raises a
        BridgeError the editor can act on (also shown with ``window/showMessage``)."""
        kernel = self.bridge.registry.for_document(uri)
        if kernel is not None:
            return kernel
        if self.bridge.settings.auto_start == "never":
            raise KernelNotFound(
                f'no kernel is bound to {uri}, and initializationOptions.autoStart is "never": '
                "start one with the code action “Start kernel …”"
            )
        return await self.start(uri)

    async def start(self, uri: str, kernel_name: str | None = None) -> Any:
        """Start (or wait for the start already under way of) the document's kernel."""
        starting = self._starting.get(uri)
        if starting is not None and kernel_name is None:
            await starting.wait()
            kernel = self.bridge.registry.for_document(uri)
            if kernel is None:
                raise self._failed.get(uri) or KernelNotFound(f"the kernel for {uri} did not start")
            return kernel
        done = self._starting[uri] = trio.Event()
        self._failed.pop(uri, None)
        try:
            name = kernel_name or await self._choose(uri)
            previous = self.bridge.registry.for_document(uri)
            ref = await self.lifecycle.start_kernel({"kernelName": name, "uri": uri, "cwd": _cwd(uri)})
            if previous is not None:
                await self._retire(previous)
            self.started[ref["kernelId"]] = uri
            log.info("started kernel %s (%s) for %s", ref["kernelId"], name, uri)
            return self.bridge.registry.get(ref["kernelId"])
        except BaseException as group:
            exc = unwrap_group(group)
            self._failed[uri] = exc
            if isinstance(exc, BridgeError):
                self.tell(f"kernel-bridge: {exc.message}")
            raise
        finally:
            done.set()
            if self._starting.get(uri) is done:
                del self._starting[uri]

    async def _choose(self, uri: str) -> str:
        settings = self.bridge.settings
        return choose_kernelspec(
            self.language_of(uri),
            await self.lifecycle.list_kernelspecs(None),
            configured=settings.kernels,
            default_kernel=settings.default_kernel,
            default_configured=settings.default_kernel_configured,
        )

    async def _retire(self, kernel: Any) -> None:
        """A document switched kernels: stop the one it had if the bridge started it for
        this document and no other open document uses it."""
        if self.started.get(kernel.kernel_id) is None:
            return
        workspace = self.bridge.protocol.workspace
        for other in workspace.text_documents:
            if self.bridge.registry.for_document(other) is kernel:
                return
        self.started.pop(kernel.kernel_id, None)
        try:
            await self.bridge.registry.shutdown(kernel.kernel_id)
        except BridgeError as exc:
            log.info("could not stop kernel %s: %s", kernel.kernel_id, exc.message)

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.bridge.protocol.notify(types.WINDOW_SHOW_MESSAGE, types.ShowMessageParams(type=kind, message=message))

    def on_open(self, uri: str) -> None:
        """``autoStart: "onOpen"``: start the document's kernel in the background."""
        if self.bridge.settings.auto_start != "onOpen" or self.bridge.settings.jupyter_output:
            return
        if self.bridge.registry.for_document(uri) is not None or uri in self._starting:
            return

        async def start() -> None:
            try:
                await self.start(uri)
            except BridgeError:
                pass  # already shown to the user (window/showMessage)

        self.bridge.protocol.nursery.start_soon(start)


def _cwd(uri: str) -> str | None:
    """A document's kernel runs in the document's directory (what a notebook does)."""
    if not uri.startswith("file://"):
        return None
    from pathlib import Path

    from pygls.uris import to_fs_path

    path = to_fs_path(uri)
    if path is None:
        return None
    folder = Path(path).parent
    return str(folder) if folder.is_dir() else None
