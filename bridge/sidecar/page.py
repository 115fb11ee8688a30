"""The sidecar page: one self-contained HTML document (its CSS and scripts inline), and
the Content-Security-Policy it is served with.

Two scripts: the widget manager (``sidecar-widgets.js``, built from sidecar-widgets/ by
scripts/build-widgets.sh: @jupyter-widgets/html-manager and the page's widget code) and the
page's own (``sidecar.js``). Each is allowed by its SHA-256 hash, so no other script can run
in the page (no eval either: the CSP has no 'unsafe-eval');
``default-src 'none'`` forbids every other load, images come only from ``data:`` URIs (and
``blob:`` ones its scripts make), fonts from ``data:``, and the only connection is the page's
WebSocket back to its own origin. Framing is allowed (an editor may embed the page in a
webview): the page shows outputs, and sends back nothing but answers to open input() prompts
(bridge/sidecar/prompts.py) and widget messages (bridge/sidecar/widgets.py).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources


def _static(name: str) -> str:
    return resources.files("bridge.sidecar").joinpath("static", name).read_text(encoding="utf-8")


def _digest(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


@cache
def page() -> tuple[bytes, str]:
    """The page's bytes and its Content-Security-Policy."""
    script = "\n" + _static("sidecar.js")
    widgets = "\n" + _static("sidecar-widgets.js")
    css = _static("sidecar-widgets.css") + "\n" + _static("sidecar.css")
    parts = {"/*CSS*/\n": css, "\n/*WIDGETS*/\n": widgets, "\n/*JS*/\n": script}
    # one pass: what is put in is not searched again
    html = re.sub("|".join(map(re.escape, parts)), lambda m: parts[m.group(0)], _static("sidecar.html"))
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_digest(widgets)} {_digest(script)}",
            # inline style: the page's own <style>, and the <style> of text/html outputs in
            # their sandboxed iframes (which inherit this policy)
            "style-src 'unsafe-inline'",
            # data: for images in outputs and the widgets' CSS; blob: for the Image widget,
            # which shows its bytes through URL.createObjectURL
            "img-src data: blob:",
            "font-src data:",  # the widgets' icons (Font Awesome, inlined)
            "connect-src 'self'",
            "frame-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return html.encode("utf-8"), csp
