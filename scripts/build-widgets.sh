#!/usr/bin/env bash
# Builds the sidecar page's widget manager (@jupyter-widgets/html-manager and the page's
# widget code in sidecar-widgets/src) into the files the package ships and the repository
# commits, so that installing kernel-bridge needs no node:
#   bridge/sidecar/static/sidecar-widgets.js, sidecar-widgets.css, sidecar-widgets-licenses.txt
#
#   bash scripts/build-widgets.sh            rebuild them (after changing sidecar-widgets/)
#   bash scripts/build-widgets.sh --check    build into a temporary directory and compare
#                                            byte for byte with the committed files
#
# Needs node and npm (the npm registry; packages pinned by sidecar-widgets/package-lock.json).
# The same lock file and sources give the same bytes: tests/sidecar/test_widgets_bundle.py
# runs --check.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SRC=$REPO/sidecar-widgets
STATIC=$REPO/bridge/sidecar/static
FILES=(sidecar-widgets.js sidecar-widgets.css sidecar-widgets-licenses.txt)

say() { printf 'build-widgets: %s\n' "$*" >&2; }
command -v node >/dev/null || { say "ERROR: node is not installed (needed to build the widget bundle)"; exit 1; }
command -v npm >/dev/null || { say "ERROR: npm is not installed"; exit 1; }
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# npm ci only when node_modules is not what the lock file says (it reinstalls everything)
stamp=$SRC/node_modules/.kb-package-lock.json
if ! cmp -s "$SRC/package-lock.json" "$stamp" 2>/dev/null; then
    say "npm ci in sidecar-widgets/"
    (cd "$SRC" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$SRC/package-lock.json" "$stamp"
fi

if [ "${1:-}" = "--check" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    node "$SRC/build.mjs" --outdir "$out" >/dev/null
    status=0
    for f in "${FILES[@]}"; do
        if ! cmp -s "$out/$f" "$STATIC/$f"; then
            say "bridge/sidecar/static/$f differs from what sidecar-widgets/ builds: run bash scripts/build-widgets.sh and commit it"
            status=1
        fi
    done
    [ $status = 0 ] && say "the committed widget bundle is what sidecar-widgets/ builds"
    exit $status
fi
node "$SRC/build.mjs" --outdir "$STATIC"
