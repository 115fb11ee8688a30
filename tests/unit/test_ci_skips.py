"""In CI a skipped test fails the run (tests/conftest.py), except the opt-in soak: a
pytest run in a subprocess, on test files written here, with and without CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SKIPS = """
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="the tool is missing")
def test_marked():
    pass

def test_inside():
    pytest.skip("decided at run time")

@pytest.fixture
def needs_tool():
    pytest.skip("no tool for the fixture")

def test_fixture(needs_tool):
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
"""


SOAK = "import pytest\n\n@pytest.mark.skipif(True, reason='opt-in')\ndef test_soak():\n    pass\n"
MODULE = "import pytest\npytest.importorskip('no_such_module_kb')\n"


def pytest_run(tmp_path: Path, files: dict[str, str], ci: str | None) -> tuple[int, str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    # the rule under test is tests/conftest.py's alone (-p tests.conftest): the installed
    # plugins are left out, pytest-trio above all, whose import of hypothesis took 2.5 of
    # the 4 s each of these runs took
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp_path / "pytest.ini"),
            "-rfEs",
            str(tmp_path),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout


def test_in_ci_every_skip_fails_but_the_soaks(tmp_path: Path) -> None:
    code, out = pytest_run(tmp_path, {"test_skips.py": SKIPS, "tests/reliability/test_soak.py": SOAK}, "true")
    assert code == 1, out
    # a skip in a test's setup (a skipif mark, a fixture) is an error, in its call a failure
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed, 2 errors" in out.strip().splitlines()[-1], out
    for reason in ("the tool is missing", "decided at run time", "no tool for the fixture"):
        assert f"skipped in CI (CI=true), which fails the run: {reason}" in out, out
    assert "tests/reliability/test_soak.py:3: opt-in" in out  # the soak's skip stays a skip


def test_in_ci_a_skipped_module_is_a_collection_error(tmp_path: Path) -> None:
    code, out = pytest_run(tmp_path, {"test_module.py": MODULE}, "true")
    assert code == 2, out  # pytest stops on collection errors
    assert "skipped in CI (CI=true), which fails the run: could not import 'no_such_module_kb'" in out, out


def test_outside_ci_skips_are_skips(tmp_path: Path) -> None:
    files = {"test_skips.py": SKIPS, "test_module.py": MODULE, "tests/reliability/test_soak.py": SOAK}
    code, out = pytest_run(tmp_path, files, None)
    assert code == 0, out
    assert "1 passed, 5 skipped, 1 xfailed" in out.strip().splitlines()[-1], out
