"""The committed widget bundle (bridge/sidecar/static/sidecar-widgets.*) is what
scripts/build-widgets.sh builds from sidecar-widgets/ — byte for byte, with the npm
packages of its package-lock.json. Needs node and npm (the npm registry, or npm's cache)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_widget_bundle_is_what_the_script_builds() -> None:
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed to build the widget bundle"
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "build-widgets.sh"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr


def test_the_bundle_ships_the_licenses_of_what_it_contains() -> None:
    licenses = (REPO / "bridge" / "sidecar" / "static" / "sidecar-widgets-licenses.txt").read_text(encoding="utf-8")
    for package in (
        "@jupyter-widgets/html-manager 1.0.15",
        "@jupyter-widgets/controls 5.0.13",
        "@lumino/widgets",
        "backbone",
        "jquery",
    ):
        assert f"\n{package}" in licenses, package
    assert "Copyright" in licenses
