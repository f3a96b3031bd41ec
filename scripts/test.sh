#!/usr/bin/env bash
# The project's tests, as README.md gives them: every cargo test of the workspace
# (mock servers and the local emulator on 127.0.0.1; among them node_sdk.rs, which
# compares our requests with those of Authing's official Node SDK, installed from npm
# by scripts/interop-node.sh), the live checks against a real user pool when
# credentials for one are set, then Authing's official Python SDK against the
# emulator. Needs only cargo, python3, node with npm, and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
if [[ -n "${AUTHING_LIVE_ACCESS_KEY_ID:-}" && -n "${AUTHING_LIVE_ACCESS_KEY_SECRET:-}" ]]; then
    cargo test -p authing --test live -- --ignored
else
    echo "note: the live checks against a real user pool (crates/authing/tests/live.rs) are" \
        "ignored: AUTHING_LIVE_ACCESS_KEY_ID and AUTHING_LIVE_ACCESS_KEY_SECRET are not set"
fi
scripts/interop-python.sh
