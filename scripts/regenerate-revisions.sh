#!/usr/bin/env bash
# Generate every revision of Authing's management-openapi.json found in a directory,
# without touching spec/, and print one line per revision: whether it generates (with
# the Node SDK supplement merged as for the vendored document, else the document
# alone: the supplement is derived against the vendored revision), the operation
# count, the fix-up rules that found nothing to repair, and (with --build) whether the
# generated crate compiles.
#
#   scripts/regenerate-revisions.sh [--build] DIR
#   scripts/regenerate-revisions.sh --from-git CLONE DIR   # first fill DIR from a clone
#
# DIR holds one document per file (*.json). --from-git writes each revision of
# management-openapi.json in a local clone of Authing/authing-docs-factory into DIR as
# DATE-COMMIT.json (git log --follow, git show). Nothing is downloaded here.
# --build runs `cargo check` of authing-management-gen holding each revision's code,
# in a scratch workspace that shares this workspace's target directory (about a
# minute or two per revision once the dependencies are built).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
usage="usage: $0 [--build] DIR | $0 --from-git CLONE DIR"
build=false
case "${1:-}" in
--from-git)
    [[ $# -eq 3 ]] || { echo "$usage" >&2; exit 2; }
    clone=$2 dir=$3
    mkdir -p "$dir"
    git -C "$clone" log --follow --format='%H %ad' --date=short -- management-openapi.json |
        while read -r commit date; do
            git -C "$clone" show "$commit:management-openapi.json" >"$dir/$date-${commit:0:7}.json"
            echo "$dir/$date-${commit:0:7}.json"
        done
    exit 0
    ;;
--build) build=true; shift ;;
esac
[[ $# -eq 1 && -d "$1" ]] || { echo "$usage" >&2; exit 2; }
dir=$(cd "$1" && pwd)

cd "$root"
cargo build --quiet -p xtask
xtask="${CARGO_TARGET_DIR:-$root/target}/debug/xtask"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if $build; then
    # A workspace of the generated crate alone, with the workspace's dependency table.
    mkdir -p "$scratch/ws/crates"
    sed 's|^members = .*|members = ["crates/authing-management-gen"]|' Cargo.toml >"$scratch/ws/Cargo.toml"
    cp Cargo.lock "$scratch/ws/"
    cp -r crates/authing-management-gen "$scratch/ws/crates/"
fi

failed=0
printf '%-28s %-10s %-11s %s\n' revision generates operations notes
for spec in "$dir"/*.json; do
    name=$(basename "$spec" .json)
    out="$scratch/$name"
    extra=""
    if "$xtask" generate --spec "$spec" --out "$out" >"$out.log" 2>&1; then
        result=ok
    elif grep -q 'supplement does not fit' "$out.log" &&
        "$xtask" generate --spec "$spec" --no-supplement --out "$out" >"$out.log" 2>&1; then
        result=ok
        extra=", without the supplement"
    else
        result=FAILED
        failed=1
    fi
    ops=$(grep -o '^[0-9]* operations' "$out.log" | cut -d' ' -f1 || true)
    notes=$(grep -c '^note: ' "$out.log" || true)
    if grep -q '^info-version-string' "$out/spec/fixups-applied.txt" 2>/dev/null; then
        extra="$extra, info.version repaired"
    fi
    if [[ $result == ok ]] && $build; then
        # Both files the xtask writes: the operation table refers to the client's types.
        cp "$out"/crates/authing-management-gen/src/generated{,_operations}.rs \
            "$scratch/ws/crates/authing-management-gen/src/"
        started=$(date +%s)
        if (cd "$scratch/ws" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" \
            cargo check --quiet --offline -p authing-management-gen) >"$out.build.log" 2>&1; then
            extra="$extra, compiles ($(( $(date +%s) - started ))s)"
        else
            extra="$extra, DOES NOT COMPILE (see below)"
            failed=1
        fi
    fi
    printf '%-28s %-10s %-11s %s\n' "$name" "$result" "${ops:--}" "$notes rule(s) with nothing to repair$extra"
done
for log in "$scratch"/*.log; do
    if grep -q '^error' "$log"; then
        echo; echo "== $(basename "$log")"; grep -A20 '^error' "$log" | head -40
    fi
done
exit $failed
