#!/usr/bin/env bash
# Lint, format and type checks, with the versions pinned in pyproject's test extra:
#   ruff check (pyflakes, pycodestyle, isort, bugbear, pyupgrade), ruff format --check,
#   mypy --strict on bridge/.
# Usage: bash scripts/check.sh        (installs the test extra into .venv or $KB_VENV first)
#        KB_INSTALLED=1 bash scripts/check.sh   (scripts/test.sh: the venv is ready)
# To fix what the formatter and the linter can: .venv/bin/ruff format . && .venv/bin/ruff check --fix .
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${KB_VENV:-.venv}
[ -n "${KB_INSTALLED:-}" ] || KB_VENV="$VENV" bash scripts/venv.sh
status=0
echo "check: ruff check" >&2
"$VENV/bin/ruff" check bridge tests bench scripts || status=1
echo "check: ruff format --check" >&2
"$VENV/bin/ruff" format --check bridge tests bench scripts || status=1
echo "check: mypy (strict, bridge/)" >&2
"$VENV/bin/mypy" || status=1
[ "$status" = 0 ] && echo "check: all passed" >&2
exit "$status"
