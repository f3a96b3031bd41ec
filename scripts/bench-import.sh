#!/usr/bin/env bash
# Measure `authing otp import` end to end on this machine: N generated enrolments
# imported into the release-built emulator (a separate process, so the importer's
# peak memory is its own), with the given extra options, e.g.
#   scripts/bench-import.sh 100000                    # default settings
#   scripts/bench-import.sh 100000 --max-rps 0 --verify
#   EMULATOR_ARGS="--max-rps 300" scripts/bench-import.sh 20000 --max-rps 0 --verify
#   EMULATOR_ARGS="--fail-429 0.05 --fail-503 0.05 --fail-drop 0.02" scripts/bench-import.sh 20000 --max-rps 0
#   SEED=0 scripts/bench-import.sh 10000000 --dry-run  # users named by id are not looked up
# Prints records/s, the emulator's request counts and the importer's peak RSS.
# Loopback only; not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/bench-import.sh N [authing otp import options]}
shift
target=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release -p authing-cli -p authing-emulator --bins
work=$(mktemp -d)
# SIGKILL: an emulator still busy seeding does not get to its SIGTERM handler.
trap 'kill -9 "$emu_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$n" "$work" <<'PY'
import base64, os, sys
n, work = int(sys.argv[1]), sys.argv[2]
seed = os.environ.get("SEED", "1") != "0"
with open(f"{work}/users.jsonl", "w") as users, open(f"{work}/input.csv", "w") as csv:
    csv.write("userId,secret,recoveryCode\n")
    for i in range(n):
        uid = f"bench{i:010d}"
        if seed:
            users.write(f'{{"userId":"{uid}"}}\n')
        secret = base64.b32encode(os.urandom(20)).decode().rstrip("=")
        csv.write(f"{uid},{secret},rc-{os.urandom(6).hex()}\n")
PY

# shellcheck disable=SC2086 # EMULATOR_ARGS is a list of flags
"$target/release/authing-emulator" --port 0 --access-key-id bench-id --access-key-secret bench-secret \
    --seed "$work/users.jsonl" ${EMULATOR_ARGS:-} > "$work/emulator.out" 2> "$work/emulator.err" &
emu_pid=$!
# Seeding a million users takes a while before the emulator listens.
for _ in $(seq 1 3000); do
    url=$(head -n 1 "$work/emulator.out" 2>/dev/null | sed -n 's/^listening on //p')
    [[ -n "$url" ]] && break
    kill -0 "$emu_pid" 2>/dev/null || break
    sleep 0.2
done
[[ -n "${url:-}" ]] || { echo "the emulator did not start:" >&2; cat "$work/emulator.err" >&2; exit 1; }

start=$(date +%s.%N)
AUTHING_HOST=$url AUTHING_ACCESS_KEY_ID=bench-id AUTHING_ACCESS_KEY_SECRET=bench-secret \
    /usr/bin/time -f "%M" -o "$work/rss" "$target/release/authing" otp import "$work/input.csv" "$@" \
    > "$work/out" 2> "$work/err" || echo "exit code $?" >> "$work/out"
end=$(date +%s.%N)
grep -E "imported|verified|failed|not sent|would import|stopped|exit code" "$work/out" || true
curl -s "$url/_emulator/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("emulator: %d requests, by outcome %s" % (s["total"], json.dumps(s["byOutcome"], sort_keys=True)))' || true
awk -v n="$n" -v s="$start" -v e="$end" -v rss="$(tail -n 1 "$work/rss")" 'BEGIN {
    printf "%d records in %.1f s: %.0f records/s; importer peak RSS %.1f MiB\n", n, e - s, n / (e - s), rss / 1024 }'
