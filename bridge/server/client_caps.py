"""What the editor's LSP client said it supports (``initialize`` capabilities), asked in
one place: a server request the client did not declare is an error in some clients and
a silent no-op in others, so the bridge sends only what was declared."""

from __future__ import annotations

from typing import Any


def _get(obj: Any, *path: str) -> Any:
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def _caps(protocol: Any) -> Any:
    return getattr(protocol, "client_capabilities", None)


def work_done_progress(protocol: Any) -> bool:
    return _get(_caps(protocol), "window", "work_done_progress") is True


def show_document(protocol: Any) -> bool:
    return _get(_caps(protocol), "window", "show_document", "support") is True


def inlay_hint_refresh(protocol: Any) -> bool:
    return _get(_caps(protocol), "workspace", "inlay_hint", "refresh_support") is True


def code_lens_refresh(protocol: Any) -> bool:
    return _get(_caps(protocol), "workspace", "code_lens", "refresh_support") is True


def hover_markdown(protocol: Any) -> bool:
    """Markdown hovers, unless the client listed the formats it takes without it (eglot 1.9
    without markdown-mode takes plain text only)."""
    formats = _get(_caps(protocol), "text_document", "hover", "content_format")
    return not formats or any(str(getattr(f, "value", f)) == "markdown" for f in formats)
