#!/usr/bin/env bash
# Interop check: Authing's official Python SDK (authing==5.1.0, from PyPI) against
# authing-emulator. Run from anywhere (it moves to the repo root); needs cargo, python3 (3.11)
# with venv or pip, and PyPI. Prints the checks of scripts/interop_python.py and ends with its
# line `N passed, M failed`; exits non-zero on any failure.
#
# Environment:
#   CARGO_TARGET_DIR  honoured for the emulator build (default: target)
#   PYTHON            interpreter for the venv (default: python3)
#   INTEROP_TIMEOUT   seconds allowed to the Python checks (default: 300)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

PYTHON=${PYTHON:-python3}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/debug/authing-emulator"
VENV="$ROOT/target/interop-venv"
REQUIREMENTS="$ROOT/scripts/interop-requirements.txt"
WORK="$ROOT/target/interop-python"
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-30}
INTEROP_TIMEOUT=${INTEROP_TIMEOUT:-300}

# Fixed credentials: the checks compare what the SDK decodes from the token with these.
ACCESS_KEY_ID="interop-python-key-id"
ACCESS_KEY_SECRET="interop-python-key-secret"
USERPOOL_ID="62f20932716fbcc10d966ee5"

log() { printf '[interop-python] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo not found"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"

# --- 1. the emulator binary ------------------------------------------------------------------
log "building authing-emulator"
cargo build --quiet -p authing-emulator --bin authing-emulator
[[ -x "$BIN" ]] || die "emulator binary not found at $BIN"

# --- 2. the SDK in a venv (reused when it already holds exactly these pins) ------------------
req_hash=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
stamp="$VENV/.interop-requirements.sha256"
venv_ok() {
    [[ -x "$VENV/bin/python" ]] &&
        [[ "$(cat "$stamp" 2>/dev/null)" == "$req_hash" ]] &&
        "$VENV/bin/python" -c 'import authing, sys; sys.exit(authing.__version__ != "5.1.0")' \
            >/dev/null 2>&1
}
if venv_ok; then
    log "reusing $VENV (authing 5.1.0)"
else
    log "creating $VENV and installing authing==5.1.0"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        pip=("$VENV/bin/python" -m pip)
    else
        # Debian without python3-venv has no ensurepip: make a bare venv and let the system
        # pip install into it (pip >= 22.3 understands --python).
        rm -rf "$VENV"
        "$PYTHON" -m venv --without-pip "$VENV" || die "$PYTHON cannot create a venv"
        pip=("$PYTHON" -m pip --python "$VENV/bin/python")
    fi
    PIP_DISABLE_PIP_VERSION_CHECK=1 "${pip[@]}" install --quiet --no-input -r "$REQUIREMENTS" ||
        die "pip install -r $REQUIREMENTS failed"
    echo "$req_hash" >"$stamp"
    venv_ok || die "authing 5.1.0 does not import in $VENV"
fi

# --- 3. seed, start the emulator, always stop it ---------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK"
SEED="$WORK/seed.jsonl"
STDOUT_LOG="$WORK/emulator.stdout"
STDERR_LOG="$WORK/emulator.stderr"
cat >"$SEED" <<'EOF'
{"userId":"6229ffa0b1c2d3e4f5a6b7c8","email":"alice@example.com","username":"alice"}
{"userId":"6229ffa0b1c2d3e4f5a6b7c9","phone":"13800000000","externalId":"ext-bob","username":"bob"}
EOF

EMULATOR_PID=""
show_emulator_log() {
    log "emulator stderr ($STDERR_LOG):"
    sed 's/^/    /' "$STDERR_LOG" >&2 2>/dev/null || true
}
cleanup() {
    local status=$?
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill -TERM "$EMULATOR_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$EMULATOR_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
    fi
    if [[ $status -ne 0 ]]; then
        show_emulator_log
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

NO_COLOR=1 RUST_LOG=${RUST_LOG:-info} "$BIN" --port 0 --bind 127.0.0.1 \
    --access-key-id "$ACCESS_KEY_ID" --access-key-secret "$ACCESS_KEY_SECRET" \
    --userpool-id "$USERPOOL_ID" --seed "$SEED" >"$STDOUT_LOG" 2>"$STDERR_LOG" &
EMULATOR_PID=$!

URL=""
deadline=$((SECONDS + STARTUP_TIMEOUT))
while [[ -z "$URL" ]]; do
    first=$(head -n 1 "$STDOUT_LOG" 2>/dev/null || true)
    if [[ "$first" =~ ^listening\ on\ (http://[^[:space:]]+)$ ]]; then
        URL=${BASH_REMATCH[1]}
        break
    fi
    kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited before listening"
    ((SECONDS < deadline)) || die "no 'listening on' line from the emulator within ${STARTUP_TIMEOUT}s"
    sleep 0.1
done
log "emulator at $URL (pid $EMULATOR_PID)"

# --- 4. the checks ---------------------------------------------------------------------------
timeout --kill-after=10 "$INTEROP_TIMEOUT" "$VENV/bin/python" "$ROOT/scripts/interop_python.py" \
    --url "$URL" \
    --access-key-id "$ACCESS_KEY_ID" \
    --access-key-secret "$ACCESS_KEY_SECRET" \
    --userpool-id "$USERPOOL_ID" \
    --seed "$SEED"
