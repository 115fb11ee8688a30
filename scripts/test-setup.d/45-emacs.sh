#!/usr/bin/env bash
# tests/editors/test_eglot*.py drive Emacs + eglot in batch mode: Debian's emacs-nox (28)
# and elpa-eglot (1.9). Installs what is missing; quick when both are there. Runs as root
# in CI (no stdin); elsewhere it uses sudo -n, or only says what is missing.
set -euo pipefail

say() { printf '45-emacs: %s\n' "$*" >&2; }

have_eglot() {
    command -v emacs >/dev/null 2>&1 && emacs --batch --eval "(require 'eglot)" </dev/null >/dev/null 2>&1
}

if ! have_eglot; then
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
        if sudo -n true 2>/dev/null; then
            SUDO=(sudo -n)
        else
            say "emacs with eglot is missing: apt-get install emacs-nox elpa-eglot to run the eglot tests"
            [ -n "${CI:-}" ] && exit 1
            exit 0
        fi
    fi
    command -v apt-get >/dev/null 2>&1 || { say "no apt-get: install Emacs 28+ and eglot"; exit 1; }
    say "installing Debian's emacs-nox and elpa-eglot"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends emacs-nox elpa-eglot </dev/null >/dev/null
    have_eglot || { say "ERROR: emacs cannot load eglot after apt-get install emacs-nox elpa-eglot"; exit 1; }
fi
