#!/usr/bin/env bash
# The project's tests, as README.md gives them: every cargo test of the workspace
# (mock servers and the local emulator on 127.0.0.1), then Authing's official Python
# SDK against the emulator. Needs only cargo, python3 and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
scripts/interop-python.sh
