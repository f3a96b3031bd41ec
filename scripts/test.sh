#!/usr/bin/env bash
# The project's tests, as README.md gives them: every cargo test of the workspace
# (mock servers and the local emulator on 127.0.0.1), then Authing's official Python
# SDK against the emulator. Needs only cargo, python3 and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${AUTHING_LIVE_ACCESS_KEY_ID:-}" || -z "${AUTHING_LIVE_ACCESS_KEY_SECRET:-}" ]]; then
    echo "note: the live checks against a real user pool (crates/authing/tests/live.rs) are skipped:" \
        "AUTHING_LIVE_ACCESS_KEY_ID and AUTHING_LIVE_ACCESS_KEY_SECRET are not set"
fi
cargo test --workspace
scripts/interop-python.sh
