"""Which requests the bridge answers, and when their code loads.

An editor waits for the ``initialize`` reply before anything else, and that reply needs
only the LSP capabilities: so the LSP methods are registered here at start-up, with the
options that go into the reply, while the feature modules (and through them the kernel
machinery: zmq, process launching, the remote client) are imported on the first request
that needs them. The ``jupyter/`` methods are registered then too (the dispatcher calls
``Features.load`` before it routes the first one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from bridge.server.context import Bridge

if TYPE_CHECKING:
    from bridge.server.lsp_features import LspFeatures

RUN_CELL = "jupyter.runCell"


class Features:
    def __init__(self, server: Any, bridge: Bridge) -> None:
        self._server = server
        self._bridge = bridge
        self._lsp: LspFeatures | None = None

    def load(self) -> LspFeatures:
        """Import and register every feature (once); the LSP features' implementation."""
        if self._lsp is None:
            from bridge.server.comms import Comms
            from bridge.server.execute import Execute
            from bridge.server.introspection import Introspection
            from bridge.server.lifecycle import Lifecycle
            from bridge.server.lsp_features import LspFeatures
            from bridge.server.sidecar import Sidecar
            from bridge.server.variables import Variables

            bridge = self._bridge
            execute = Execute(bridge)
            for feature in (Lifecycle(bridge), execute, Introspection(bridge), Comms(bridge), Variables(bridge), Sidecar(bridge)):
                feature.register(self._server)
            self._lsp = LspFeatures(bridge, execute)
        return self._lsp

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

        async def run_cell(*args: Any) -> dict[str, Any]:
            return await self.load().run_cell(*args)

        server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))(completion)
        server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
        server.feature(
            types.TEXT_DOCUMENT_SIGNATURE_HELP, types.SignatureHelpOptions(trigger_characters=["(", ","])
        )(signature_help)
        server.feature(types.TEXT_DOCUMENT_CODE_LENS)(code_lens)
        server.command(RUN_CELL)(run_cell)
