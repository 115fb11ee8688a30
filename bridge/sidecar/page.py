"""The sidecar page: one self-contained HTML document (its CSS and script inline), and
the Content-Security-Policy it is served with.

The script is allowed by its SHA-256 hash, so no other script can run in the page;
``default-src 'none'`` forbids every other load, images come only from ``data:`` URIs,
and the only connection is the page's WebSocket back to its own origin. Framing is
allowed (an editor may embed the page in a webview): the page shows outputs, and sends back
nothing but answers to open input() prompts (bridge/sidecar/prompts.py).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources


def _static(name: str) -> str:
    return resources.files("bridge.sidecar").joinpath("static", name).read_text(encoding="utf-8")


@cache
def page() -> tuple[bytes, str]:
    """The page's bytes and its Content-Security-Policy."""
    script = "\n" + _static("sidecar.js")
    html = _static("sidecar.html").replace("/*CSS*/\n", _static("sidecar.css")).replace("\n/*JS*/\n", script)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src 'sha256-{digest}'",
            # inline style: the page's own <style>, and the <style> of text/html outputs in
            # their sandboxed iframes (which inherit this policy)
            "style-src 'unsafe-inline'",
            "img-src data:",
            "connect-src 'self'",
            "frame-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return html.encode("utf-8"), csp
