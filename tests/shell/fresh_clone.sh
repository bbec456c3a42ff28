#!/usr/bin/env bash
# Usage: tests/shell/fresh_clone.sh [REPO [REV]]
#        FRESH_CLONE_KEEP_BINARY=PATH tests/shell/fresh_clone.sh ...   # also keeps the clone's test build
#                                                                      # of dsselect at PATH (CI's valgrind stage)
# Clones REV (default HEAD) of REPO (default this checkout) alone into an empty temporary folder,
# with nothing beside it (no sibling folders, no build tree), and runs README.md's two commands there,
# exactly as README gives them: the first must print the customer-service recommendation, the
# second must pass every test. This is how a new user meets the project; it catches a build, a
# test or a script that reads anything outside the repository.
set -euo pipefail
repo=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
rev=${2:-HEAD}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/dsselect-fresh-clone.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
clone="$scratch/dsselect"
# Where to keep the clone's test build of dsselect, made absolute before the cd below.
keep_binary=""
if [[ -n "${FRESH_CLONE_KEEP_BINARY:-}" ]]; then
    keep_binary=$(realpath -m -- "$FRESH_CLONE_KEEP_BINARY")
fi
git clone --quiet --no-local "$repo" "$clone"
git -C "$clone" checkout --quiet --detach "$(git -C "$repo" rev-parse "$rev")"
[[ ! -e "$scratch/shared" ]] || { echo "fresh_clone: $scratch/shared exists" >&2; exit 1; }

# README's two commands: the first two non-empty lines of its first code block.
mapfile -t commands < <(awk '/^```/{n++; next} n==1 && NF' "$clone/README.md" | head -n 2)
[[ ${#commands[@]} -eq 2 ]] || { echo "fresh_clone: README.md does not begin with two commands" >&2; exit 1; }

cd "$clone"
echo "== fresh clone of $(git rev-parse --short HEAD) in $clone"
echo "== README command 1: ${commands[0]}"
output=$(bash -c "${commands[0]}") || { echo "FAIL: README's first command exited $?" >&2; exit 1; }
printf '%s\n' "$output" | tail -n 10
# The recommendation's first ranked row (a piped table is TSV: rank, model, variant, ...).
grep -qP '^1\t' <<< "$output" || { echo "FAIL: README's first command printed no ranked recommendation" >&2; exit 1; }
echo "== README command 2: ${commands[1]}"
bash -c "${commands[1]}" || { echo "FAIL: README's second command exited $?" >&2; exit 1; }
if [[ -n "$keep_binary" ]]; then
    # The test preset's binary (RelWithDebInfo: valgrind names source lines), built by README's
    # second command from this very commit, so CI does not build the library a second time.
    cp "$clone/build/test/dsselect" "$keep_binary" ||
        { echo "FAIL: cannot keep build/test/dsselect at $keep_binary" >&2; exit 1; }
fi
echo "ok: README's two commands pass in a fresh clone with nothing beside it"
