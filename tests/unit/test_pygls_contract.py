"""bridge/server/protocol.py overrides private pygls API. If pygls moves it, fail here,
loudly, rather than somewhere obscure at run time."""

from __future__ import annotations

import inspect

import pygls
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCProtocol, JsonRPCRequestMessage


def test_pygls_minor_version_is_the_pinned_one() -> None:
    from importlib.metadata import version

    assert version("pygls").startswith("2.1."), "re-check bridge/server/protocol.py against the new pygls"
    assert pygls is not None


def test_private_hooks_we_override_still_exist_with_their_signatures() -> None:
    sig = inspect.signature(JsonRPCProtocol._execute_handler)
    assert list(sig.parameters) == ["self", "msg_id", "handler", "callback", "args", "kwargs"]
    assert list(inspect.signature(JsonRPCProtocol._handle_cancel_notification).parameters) == ["self", "msg_id"]
    assert list(inspect.signature(JsonRPCProtocol._send_data).parameters) == ["self", "data"]
    assert list(inspect.signature(JsonRPCProtocol._send_handler_result).parameters) == ["self", "future", "msg_id"]
    assert hasattr(LanguageServerProtocol, "lsp_exit")
    assert hasattr(JsonRPCProtocol, "_request_futures") or "_request_futures" in inspect.getsource(
        JsonRPCProtocol.__init__
    )


def test_generic_message_classes_take_raw_params() -> None:
    req = JsonRPCRequestMessage(id=1, method="jupyter/x", jsonrpc="2.0", params={"a": 1})
    note = JsonRPCNotification(method="jupyter/y", jsonrpc="2.0", params=None)
    assert req.params == {"a": 1} and note.params is None
