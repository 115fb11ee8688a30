#!/usr/bin/env bash
# Makes the test venv ($KB_VENV, default .venv) and installs this checkout into it, editable,
# with the test extra at the pins of requirements/constraints.txt. Used by scripts/test.sh and
# scripts/check.sh.
#
# pip takes half a minute even when nothing changed (it rebuilds the editable wheel in a fresh
# build environment and resolves every pin again), so the install is skipped when the venv
# holds a stamp of what it was installed from: this checkout's path, its pyproject.toml and
# constraints, and the venv's Python. Any change to those reinstalls; KB_REINSTALL=1 forces it.
# The code itself needs no reinstall: the install is editable.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${KB_VENV:-.venv}
PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
stamp=$VENV/.kb-installed
want=$({ pwd; "$VENV/bin/python" -VV; cat pyproject.toml requirements/constraints.txt; } | sha256sum | cut -d' ' -f1)
if [ -n "${KB_REINSTALL:-}" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -f "$stamp"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[test]'
    echo "$want" > "$stamp"
fi
