#!/usr/bin/env bash
# What the VS Code extension's tests need (tests/editors/test_vscode*.py):
#   - Debian packages: chromium (driven by playwright-core), ripgrep, and the headers
#     code-server's native modules build against;
#   - code-server, installed offline from the npm registry into a cache directory outside
#     the repository (its own install script downloads prebuilt binaries, which this
#     machine cannot): ${KB_CACHE:-$HOME/.cache/kernel-bridge}/code-server-$VERSION;
#   - the extension's npm dependencies (editors/vscode/node_modules, from package-lock.json).
# Idempotent and quick once done (a marker file per step). Fails loudly on any error.
# Runs as root in CI (no stdin, CI=true); elsewhere uses sudo for apt-get when needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)

CS_VERSION=4.100.3
CACHE=${KB_CACHE:-$HOME/.cache/kernel-bridge}
CS_PREFIX=$CACHE/code-server-$CS_VERSION
CS_DIR=$CS_PREFIX/node_modules/code-server
CS_MARKER=$CS_PREFIX/.kb-installed
EXT_DIR=$REPO/editors/vscode
APT_PACKAGES=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config python3 make g++)

say() { printf '20-vscode: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Native modules build against the headers of the node that runs them; point node-gyp at the
# system's (it would otherwise download them).
if [ -z "${npm_config_nodedir:-}" ]; then
    node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    [ -f "$node_prefix/include/node/node.h" ] && export npm_config_nodedir=$node_prefix
fi
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# --- Node.js: code-server 4.100 runs on Node 20 only -----------------------------------------
command -v node >/dev/null || die "node is not installed (code-server $CS_VERSION needs Node.js 20)"
command -v npm >/dev/null || die "npm is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || die "code-server $CS_VERSION needs Node.js 20; this node is $(node --version)"

# --- Debian packages -------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    SUDO=()
    [ "$(id -u)" = 0 ] || SUDO=(sudo -n)
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after apt-get install chromium"
[ -x /usr/bin/rg ] || die "/usr/bin/rg is missing after apt-get install ripgrep"

# --- code-server, offline ----------------------------------------------------------------------
if [ ! -f "$CS_MARKER" ]; then
    say "installing code-server $CS_VERSION into $CS_PREFIX (first time: a few minutes)"
    start=$(date +%s)
    mkdir -p "$CACHE"
    work=$(mktemp -d "$CACHE/.code-server-$CS_VERSION.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    (
        cd "$work"
        printf '{"name":"kb-code-server","private":true}\n' > package.json
        # --ignore-scripts: its postinstall would fetch prebuilt binaries; we do its steps below.
        npm install --no-audit --ignore-scripts --save-exact "code-server@$CS_VERSION" >&2
        npm rebuild argon2 >&2
        find node_modules/argon2 -name argon2.node | grep -q . || die "native module argon2 did not build"
        cd node_modules/code-server/lib/vscode
        npm install --no-audit --omit=dev --ignore-scripts >&2
        npm rebuild kerberos @parcel/watcher node-pty @vscode/spdlog @vscode/deviceid native-watchdog >&2
        for module in kerberos node-pty @vscode/spdlog @vscode/deviceid native-watchdog; do
            find "node_modules/$module" -name '*.node' -path '*Release*' | grep -q . || die "native module $module did not build"
        done
        # @vscode/ripgrep would download rg; use Debian's.
        mkdir -p node_modules/@vscode/ripgrep/bin
        ln -sf /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
        # The links code-server's postinstall.sh makes.
        ln -sfn node_modules node_modules.asar
        ln -sf code-linux.sh bin/remote-cli/code-server
        ln -sf browser-linux.sh bin/helpers/browser.sh
        cd extensions
        npm install --no-audit --omit=dev >&2
    )
    # Smoke test: it starts and reports its version.
    node "$work/node_modules/code-server/out/node/entry.js" --version >/dev/null \
        || die "the installed code-server does not run"
    rm -rf "$CS_PREFIX"
    mv "$work" "$CS_PREFIX"
    trap - EXIT
    date -u +%FT%TZ > "$CS_MARKER"
    say "code-server installed in $(( $(date +%s) - start )) s"
fi
[ -f "$CS_DIR/out/node/entry.js" ] || die "code-server is incomplete at $CS_DIR; remove $CS_PREFIX and rerun"

# --- the extension's npm dependencies ------------------------------------------------------------
# Reinstalled when package-lock.json changes. No install scripts: esbuild and vsce run without.
lock_sum=$(sha256sum "$EXT_DIR/package-lock.json" | cut -d' ' -f1)
deps_marker=$EXT_DIR/node_modules/.kb-lock-sha256
if [ ! -f "$deps_marker" ] || [ "$(cat "$deps_marker")" != "$lock_sum" ]; then
    say "installing the extension's npm dependencies (npm ci)"
    (cd "$EXT_DIR" && npm ci --no-audit --ignore-scripts >&2)
    echo "$lock_sum" > "$deps_marker"
fi
