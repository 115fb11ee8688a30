#!/usr/bin/env bash
# Jupyter Enterprise Gateway for tests/integration/test_enterprise_gateway.py (and the opt-in
# `python -m bench --only gateway` row), in a virtual environment of its own: EG 3.3 needs
# jupyter_server<2, jupyter_client<7 and pyzmq<25, which the test venv cannot hold beside the
# bridge's pins. Every package is pinned by requirements/enterprise-gateway.txt.
#
# The venv is built once per machine (like code-server in 20-vscode.sh) in
#   ${KB_CACHE:-$HOME/.cache/kernel-bridge}/enterprise-gateway-<key>
# (key: the requirements file and the Python version), outside the repository, and linked
# from the test venv as $KB_VENV/enterprise-gateway, where the tests look for it
# (tests/integration/http_servers.py). $KB_EG_VENV, if set, is used as the venv instead.
# Idempotent and quick once done; no stdin; fails loudly on any error.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '60-enterprise-gateway: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

REQUIREMENTS=requirements/enterprise-gateway.txt
MARKER_NAME=.kb-requirements-sha256
[ -n "${KB_VENV:-}" ] || die "KB_VENV is not set (scripts/test.sh sets it)"
[ -x "$KB_VENV/bin/python" ] || die "no test venv at $KB_VENV"
PYTHON_VERSION=$("$KB_VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
want=$(grep -v '^#' "$REQUIREMENTS" | sha256sum | cut -d' ' -f1)  # the pins, not the comments
key=$(printf '%s python%s' "$want" "$PYTHON_VERSION" | sha256sum | cut -c1-16)
CACHE=${KB_CACHE:-$HOME/.cache/kernel-bridge}
EG_VENV=${KB_EG_VENV:-$CACHE/enterprise-gateway-$key}

installed() { [ -f "$1/$MARKER_NAME" ] && [ "$(cat "$1/$MARKER_NAME")" = "$want" ] && [ -x "$1/bin/python" ]; }

if ! installed "$EG_VENV"; then
    say "installing Jupyter Enterprise Gateway into $EG_VENV (first time: a few minutes)"
    start=$(date +%s)
    mkdir -p "$(dirname "$EG_VENV")"
    # built aside, then moved into place: a concurrent run (another worktree) never sees half of it
    work=$(mktemp -d "$EG_VENV.building.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    # the test venv's interpreter: venv builds on its base Python, the same one as the tests'
    "$KB_VENV/bin/python" -m venv "$work"
    "$work/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
        -r "$REQUIREMENTS" </dev/null >&2 || die "pip could not install $REQUIREMENTS"
    "$work/bin/python" -m pip check --disable-pip-version-check >&2 \
        || die "the packages of $REQUIREMENTS do not fit together"
    # smoke test: the gateway's application imports and reports its version
    version=$("$work/bin/python" -m enterprise_gateway --version </dev/null 2>&1 | tail -n1) \
        || die "the installed Enterprise Gateway does not run: $version"
    echo "$want" > "$work/$MARKER_NAME"
    if installed "$EG_VENV"; then  # another run finished first
        rm -rf "$work"
    else
        rm -rf "$EG_VENV"
        mv -T "$work" "$EG_VENV" 2>/dev/null || installed "$EG_VENV" || die "cannot move the venv to $EG_VENV"
    fi
    trap - EXIT
    rm -rf "$work"
    say "Enterprise Gateway $version installed in $(( $(date +%s) - start )) s"
fi
# (the venv may have been moved into place: only `python -m` is used, never its scripts' #! lines)
if [ -z "${KB_EG_VENV:-}" ]; then
    link=$KB_VENV/enterprise-gateway
    [ -L "$link" ] || rm -rf "$link"  # a directory left by an older layout
    ln -sfn "$EG_VENV" "$link"
fi
