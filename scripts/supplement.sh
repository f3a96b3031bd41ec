#!/usr/bin/env bash
# Derives spec/management-supplement.json and spec/SUPPLEMENT-SOURCE.txt from Authing's
# Node SDK, then cross-checks the result against Authing's Python SDK
# (spec/supplement-crosscheck.txt). The packages come from the npm registry and PyPI by
# name and version; the xtask itself never downloads anything.
#
#   scripts/supplement.sh [NODE_SDK_VERSION] [--check]
#
# --check derives everything in memory and fails if a checked-in file differs.
set -euo pipefail
cd "$(dirname "$0")/.."

node_version=4.0.1   # the newest authing-node-sdk the npm registry serves
python_version=5.1.0 # the newest `authing` on PyPI
check=()
for arg in "$@"; do
    case "$arg" in
        --check) check=(--check) ;;
        -*) echo "unknown option $arg" >&2; exit 2 ;;
        *) node_version=$arg ;;
    esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "authing-node-sdk@$node_version" >/dev/null)
tgz="$tmp/authing-node-sdk-$node_version.tgz"
cargo run -q -p xtask -- supplement --from "$tgz" "${check[@]}"

# The tarball npm handed over is the one the registry records.
integrity=$(npm view "authing-node-sdk@$node_version" dist.integrity)
if ! grep -qF "Integrity  : $integrity " spec/SUPPLEMENT-SOURCE.txt; then
    echo "spec/SUPPLEMENT-SOURCE.txt does not record the registry's integrity $integrity" >&2
    exit 1
fi

pip download --quiet --no-deps --dest "$tmp/py" "authing==$python_version"
python3 scripts/supplement_crosscheck.py "$tmp/py/authing-$python_version-py3-none-any.whl" "${check[@]}"
