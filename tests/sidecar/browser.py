"""Headless Chromium for the sidecar tests: Debian's ``/usr/bin/chromium`` driven by
playwright for Python (its own node driver; no browser download). Playwright's sync API
runs in one worker thread; the test's trio code is reached from it with
``trio.from_thread``."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# each wait of playwright's; only stops a hang
STEP_TIMEOUT_MS = 30_000


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright for Python is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (scripts/test-setup.d/30-chromium.sh installs Debian's chromium)"
    return None


# a mark (not pytest.skip inside an async test, where pytest-trio loses the reason)
needs_browser = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@contextmanager
def chromium() -> Iterator[Any]:
    """A browser context with a throw-away profile; closed (and chromium gone) on exit."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kb-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1000, "height": 900},
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def watch_errors(page: Any) -> list[str]:
    """Collect the page's script errors and console errors as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    return errors
