#!/usr/bin/env bash
# The R kernel tests (tests/integration/test_irkernel.py) need IRkernel: Debian's
# r-cran-irkernel (R, IRkernel and its R dependencies), with its kernelspec `ir` registered
# in the test venv ($KB_VENV/share/jupyter/kernels/ir) where the venv's Jupyter finds it.
# Idempotent and quick once done (a dpkg query and a file check). Runs as root in CI (no
# stdin, CI=true) and fails loudly there when it cannot install; elsewhere it uses sudo -n,
# or only says what is missing (the R tests then skip outside CI).
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '50-irkernel: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# Outside CI a missing tool is a message; in CI it is a failure.
missing() { if [ "${CI:-}" = true ]; then die "$*"; else say "$*: the R tests will skip"; exit 0; fi; }

VENV=${KB_VENV:-.venv}
[ -x "$VENV/bin/python" ] || missing "no venv at $VENV (run bash scripts/test.sh, which makes it)"
VENV=$(cd "$VENV" && pwd)
SPEC=$VENV/share/jupyter/kernels/ir/kernel.json

# --- Debian's r-cran-irkernel -----------------------------------------------------------------
if ! dpkg-query -W -f='${Status}' r-cran-irkernel 2>/dev/null | grep -q 'install ok installed'; then
    command -v apt-get >/dev/null 2>&1 || missing "no apt-get: install R and IRkernel (https://irkernel.github.io)"
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
        sudo -n true 2>/dev/null || missing "r-cran-irkernel is not installed (apt-get install r-cran-irkernel)"
        SUDO=(sudo -n)
    fi
    say "installing Debian's r-cran-irkernel (first time: a minute or two)"
    apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq)
    # An image without package lists (or stale ones) knows no candidate: update first then.
    if ! apt-cache policy r-cran-irkernel 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        "${apt[@]}" update </dev/null
    fi
    "${apt[@]}" install -y --no-install-recommends r-cran-irkernel </dev/null >/dev/null \
        || { "${apt[@]}" update </dev/null && "${apt[@]}" install -y --no-install-recommends r-cran-irkernel </dev/null >/dev/null; } \
        || die "apt-get install r-cran-irkernel failed"
fi
command -v R >/dev/null 2>&1 || die "R is missing after apt-get install r-cran-irkernel"

# --- the kernelspec, in the venv ------------------------------------------------------------------
# Re-registered only when missing or when its R is gone (installspec needs `jupyter` on PATH).
if [ ! -f "$SPEC" ] || ! "$VENV/bin/python" - "$SPEC" <<'EOF'
import json, os, sys
argv = json.load(open(sys.argv[1]))["argv"]
sys.exit(0 if os.access(argv[0], os.X_OK) else 1)
EOF
then
    say "registering the IRkernel kernelspec 'ir' in $VENV"
    PATH="$VENV/bin:$PATH" KB_IR_PREFIX="$VENV" R --slave --no-restore \
        -e "IRkernel::installspec(name = 'ir', prefix = Sys.getenv('KB_IR_PREFIX'))" </dev/null >&2 \
        || die "IRkernel::installspec failed"
fi
[ -f "$SPEC" ] || die "no kernelspec at $SPEC after IRkernel::installspec"
