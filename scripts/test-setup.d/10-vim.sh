#!/usr/bin/env bash
# The Vim adapter's tests (tests/editors/test_vim*.py) need Vim 9.0+ with +channel +job
# +textprop +popupwin +timers, and tmux. Installs what is missing; quick when all is there.
# Runs as root in CI (no stdin); elsewhere it only says what is missing.
set -euo pipefail

missing=()
command -v vim >/dev/null 2>&1 || missing+=(vim)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
    else
        echo "10-vim.sh: missing ${missing[*]}: install them to run the Vim adapter's tests" >&2
        exit 0
    fi
fi

if ! vim --not-a-term -N -u NONE -i NONE -es \
        -c 'if v:version < 900 || !has("channel") || !has("job") || !has("textprop") || !has("popupwin") || !has("timers") | cquit | endif' \
        -c 'qa!' </dev/null >/dev/null 2>&1; then
    echo "10-vim.sh: $(command -v vim) is not Vim 9.0+ with +channel +job +textprop +popupwin +timers" >&2
fi
