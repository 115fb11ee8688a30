"""Which requests the bridge answers, and when their code loads.

An editor waits for the ``initialize`` reply before anything else, and that reply needs
only the LSP capabilities: so the LSP methods and commands are registered here at
start-up, with the options that go into the reply, while the feature modules (and through
them the kernel machinery: zmq, process launching, the remote client) are imported on the
first request that needs them. The ``jupyter/`` methods are registered then too (the
dispatcher calls ``Features.load`` before it routes the first one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from bridge.server.commands import COMMANDS, KINDS, RUN_CELL
from bridge.server.context import Bridge

if TYPE_CHECKING:
    from bridge.server.lsp_features import LspFeatures


class Features:
    def __init__(self, server: Any, bridge: Bridge) -> None:
        self._server = server
        self._bridge = bridge
        self._lsp: LspFeatures | None = None

    def load(self) -> LspFeatures:
        """Import and register every feature (once); the LSP features' implementation."""
        if self._lsp is None:
            from bridge.server.annotations import Annotations
            from bridge.server.autostart import AutoStart
            from bridge.server.code_actions import CodeActions
            from bridge.server.comms import Comms
            from bridge.server.execute import Execute
            from bridge.server.export import NotebookExport
            from bridge.server.introspection import Introspection
            from bridge.server.lifecycle import Lifecycle
            from bridge.server.lsp_features import LspFeatures
            from bridge.server.runs import DocumentRuns
            from bridge.server.sidecar import Sidecar
            from bridge.server.variables import Variables

            bridge = self._bridge
            execute = Execute(bridge)
            lifecycle = Lifecycle(bridge)
            sidecar = Sidecar(bridge)
            variables = Variables(bridge)
            export = NotebookExport(bridge, execute.history)
            for feature in (lifecycle, execute, Introspection(bridge), Comms(bridge), variables, sidecar, export):
                feature.register(self._server)
            annotations = Annotations(bridge)
            bridge.publish_run_diagnostics = annotations.publish_diagnostics
            runs = DocumentRuns(bridge, execute, AutoStart(bridge, lifecycle), annotations, sidecar)
            actions = CodeActions(bridge, runs, lifecycle, sidecar, variables)
            self._lsp = LspFeatures(bridge, execute, runs, actions)
        return self._lsp

    @property
    def loaded(self) -> bool:
        return self._lsp is not None

    def register_lsp(self) -> None:
        """The LSP methods, with the options the ``initialize`` reply advertises."""
        server = self._server

        async def completion(params: types.CompletionParams) -> types.CompletionList:
            return await self.load().completion(params)

        async def hover(params: types.HoverParams) -> types.Hover | None:
            return await self.load().hover(params)

        async def signature_help(params: types.SignatureHelpParams) -> types.SignatureHelp | None:
            return await self.load().signature_help(params)

        def code_lens(params: types.CodeLensParams) -> list[types.CodeLens]:
            return self.load().code_lens(params)

        async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
            return await self.load().actions.code_actions(params)

        def inlay_hint(params: types.InlayHintParams) -> list[types.InlayHint]:
            return self.load().inlay_hints(params)

        async def run_cell(*args: Any) -> dict[str, Any]:
            return await self.load().run_cell(*args)

        def did_open(params: types.DidOpenTextDocumentParams) -> None:
            # nothing to follow before the first run, unless kernels start on open
            if self.loaded or self._bridge.settings.auto_start == "onOpen":
                self.load().did_open(params)

        def did_change(params: types.DidChangeTextDocumentParams) -> None:
            if self.loaded:
                self.load().did_change(params)

        def did_close(params: types.DidCloseTextDocumentParams) -> None:
            if self.loaded:
                self.load().did_close(params)

        server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))(completion)
        server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
        server.feature(types.TEXT_DOCUMENT_SIGNATURE_HELP, types.SignatureHelpOptions(trigger_characters=["(", ","]))(
            signature_help
        )
        server.feature(types.TEXT_DOCUMENT_CODE_LENS)(code_lens)
        server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(code_action_kinds=list(KINDS)),
        )(code_action)
        server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))(inlay_hint)
        server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
        server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
        server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)
        server.command(RUN_CELL)(run_cell)
        for name in COMMANDS:
            server.command(name)(self._command(name))

    def _command(self, name: str) -> Any:
        async def command(*args: Any) -> Any:
            return await self.load().actions.commands()[name](*args)

        return command
