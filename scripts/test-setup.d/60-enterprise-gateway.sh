#!/usr/bin/env bash
# Jupyter Enterprise Gateway for tests/integration/test_enterprise_gateway.py (and the opt-in
# `python -m bench --only gateway` row), in a virtual environment of its own: EG 3.3 needs
# jupyter_server<2, jupyter_client<7 and pyzmq<25, which the test venv cannot hold beside the
# bridge's pins. It goes to $KB_EG_VENV, by default $KB_VENV/enterprise-gateway (inside the test
# venv's directory, outside the repository's files; the tests find it there from sys.prefix),
# with every package pinned by requirements/enterprise-gateway.txt.
# Idempotent and quick once done (a marker holds the requirements file's checksum: a changed
# file rebuilds the venv). No stdin; fails loudly on any error.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '60-enterprise-gateway: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

REQUIREMENTS=requirements/enterprise-gateway.txt
[ -n "${KB_VENV:-}" ] || die "KB_VENV is not set (scripts/test.sh sets it)"
[ -x "$KB_VENV/bin/python" ] || die "no test venv at $KB_VENV"
EG_VENV=${KB_EG_VENV:-$KB_VENV/enterprise-gateway}
MARKER=$EG_VENV/.kb-requirements-sha256
want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$want" ] && [ -x "$EG_VENV/bin/python" ]; then
    exit 0
fi

say "installing Jupyter Enterprise Gateway into $EG_VENV (first time: a few minutes)"
start=$(date +%s)
rm -rf "$EG_VENV"
# the test venv's interpreter: venv builds on its base Python, the same one as the tests'
"$KB_VENV/bin/python" -m venv "$EG_VENV"
"$EG_VENV/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    -r "$REQUIREMENTS" </dev/null >&2 || die "pip could not install $REQUIREMENTS"
"$EG_VENV/bin/python" -m pip check --disable-pip-version-check >&2 \
    || die "the packages of $REQUIREMENTS do not fit together"
# smoke test: the gateway's application imports and reports its version
version=$("$EG_VENV/bin/python" -m enterprise_gateway --version </dev/null 2>&1 | tail -n1) \
    || die "the installed Enterprise Gateway does not run: $version"
echo "$want" > "$MARKER"
say "Enterprise Gateway $version installed in $(( $(date +%s) - start )) s"
