#!/usr/bin/env bash
# Install everything the test suite needs into .venv (or $KB_VENV) and run it.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${KB_VENV:-.venv}
PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[test]'
exec "$VENV/bin/python" -m pytest "$@"
