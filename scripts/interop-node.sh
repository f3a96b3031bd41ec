#!/usr/bin/env bash
# Interop check: what Authing's official Node SDK (authing-node-sdk 4.0.1, from the npm
# registry) sends, compared with what this SDK sends for the same arguments.
#
#   scripts/interop-node.sh
#       Install the pins, then run the comparison (crates/authing/tests/node_sdk.rs) and
#       print its report: per case, the same request or how the two differ.
#   scripts/interop-node.sh modules
#       Install the pins and print their node_modules directory.
#   scripts/interop-node.sh record CASES OUT [QUERIES]
#       Install the pins, then let scripts/interop_node.js call the Node SDK for each case of
#       CASES against a recorder on 127.0.0.1 and write what it sent to OUT (the test runs
#       this).
#
# The pins are scripts/interop-node/package-lock.json (every package with its integrity),
# installed with `npm ci` into a cache directory that is reused while the lock is unchanged.
# Needs node and npm (Node.js 18 or later), and the npm registry on the first run.
#
# Environment:
#   INTEROP_NODE_CACHE  the install directory (default: target/interop-node-sdk)
#   INTEROP_TIMEOUT     seconds allowed to the Node SDK calls (default: 120)
#   CARGO_TARGET_DIR    honoured by the cargo test of the first form
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PINS="$ROOT/scripts/interop-node"
CACHE=${INTEROP_NODE_CACHE:-$ROOT/target/interop-node-sdk}
INTEROP_TIMEOUT=${INTEROP_TIMEOUT:-120}

log() { printf '[interop-node] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v node >/dev/null || die "node not found (Node.js 18 or later is needed)"
command -v npm >/dev/null || die "npm not found"

# --- the pinned packages (reused while the lock is unchanged) ------------------------------
install() {
    local stamp_want stamp="$CACHE/.interop-node-lock.sha256"
    stamp_want=$(cat "$PINS/package.json" "$PINS/package-lock.json" | sha256sum | cut -d' ' -f1)
    mkdir -p "$CACHE"
    # Two test runs may start together: one installs, the other waits for it.
    exec 9>"$CACHE/.lock"
    flock 9
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$stamp_want" && -d "$CACHE/node_modules" ]]; then
        log "reusing $CACHE (authing-node-sdk 4.0.1)"
    else
        log "installing authing-node-sdk 4.0.1 and qs 6.13.0 into $CACHE (npm ci)"
        rm -rf "$CACHE/node_modules" "$stamp"
        cp "$PINS/package.json" "$PINS/package-lock.json" "$CACHE/"
        # --ignore-scripts: nothing of the SDK's dependencies needs building, and no package
        # runs code at install time.
        if ! (cd "$CACHE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
            die "npm ci failed (see npm's message above; is the npm registry reachable?)"
        fi
        echo "$stamp_want" >"$stamp"
    fi
    local version
    version=$(node -p "require('$CACHE/node_modules/authing-node-sdk/package.json').version") ||
        die "authing-node-sdk is not installed in $CACHE"
    [[ "$version" == "4.0.1" ]] || die "$CACHE holds authing-node-sdk $version, not 4.0.1"
    exec 9>&-
}

case "${1:-}" in
modules)
    # The test reads the SDK's method table (src/ManagementClient.ts) from here.
    install
    echo "$CACHE/node_modules"
    ;;
record)
    [[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 record CASES OUT [QUERIES]"
    install
    timeout --kill-after=10 "$INTEROP_TIMEOUT" \
        node "$ROOT/scripts/interop_node.js" "$CACHE/node_modules" "${@:2}"
    ;;
"")
    command -v cargo >/dev/null || die "cargo not found"
    install
    cargo test --quiet -p authing --test node_sdk -- --nocapture
    ;;
*)
    die "usage: $0 [modules | record CASES OUT [QUERIES]]"
    ;;
esac
