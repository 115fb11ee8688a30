#!/usr/bin/env bash
# The output sidecar's browser tests (tests/sidecar/test_page.py, tests/integration/test_sidecar.py)
# drive Debian's chromium with playwright for Python (the `test` extra; it brings its own node
# driver and downloads no browser). This installs Debian's chromium if /usr/bin/chromium is
# missing; quick when it is there. Runs as root in CI (no stdin); elsewhere it uses sudo -n,
# or only says what is missing (those tests then skip).
set -euo pipefail

say() { printf '30-chromium: %s\n' "$*" >&2; }

if [ ! -x /usr/bin/chromium ]; then
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
        if sudo -n true 2>/dev/null; then
            SUDO=(sudo -n)
        else
            say "/usr/bin/chromium is missing: apt-get install chromium to run the sidecar's browser tests"
            exit 0
        fi
    fi
    command -v apt-get >/dev/null 2>&1 || { say "no apt-get: install chromium as /usr/bin/chromium"; exit 0; }
    say "installing Debian's chromium"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium </dev/null >/dev/null
    [ -x /usr/bin/chromium ] || { say "ERROR: /usr/bin/chromium is missing after apt-get install chromium"; exit 1; }
fi

if [ -n "${KB_VENV:-}" ] && ! "$KB_VENV/bin/python" -c 'import playwright' 2>/dev/null; then
    say "playwright for Python is not in $KB_VENV: the sidecar's browser tests will skip (it comes with .[test])"
fi
