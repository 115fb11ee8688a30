#!/usr/bin/env bash
# Install everything the test suite needs into .venv (or $KB_VENV) and run it.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${KB_VENV:-.venv}
# the venv and this checkout in it (skipped when it is already installed from these pins)
KB_VENV="$VENV" bash scripts/venv.sh
VENV=$(cd "$VENV" && pwd)
# Editor test dependencies (Vim, tmux, code-server, chromium…): each script installs what is
# missing and is quick when everything is already there.
for setup in scripts/test-setup.d/*.sh; do
    [ -e "$setup" ] || continue
    KB_VENV="$VENV" bash "$setup"
done
export PATH="$VENV/bin:$PATH"
# lint, format and types first: cheap, and a failure there is a failure of the run
KB_VENV="$VENV" KB_INSTALLED=1 bash scripts/check.sh
# two worker processes (pytest-xdist), each test file whole on one of them: module-scoped
# fixtures (one Neovim, one VS Code workbench per file) stay shared; KB_TEST_WORKERS=0 runs
# everything in this process
exec "$VENV/bin/python" -m pytest -n "${KB_TEST_WORKERS:-2}" --dist loadfile "$@"
