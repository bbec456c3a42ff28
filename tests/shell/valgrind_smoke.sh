#!/usr/bin/env bash
# CLI smoke tests under valgrind memcheck (issue 9): every main command once, on the shipped
# data and on bad input. Fails on any memcheck error or definite leak. Run by .ci/run, once
# (valgrind makes each command 20-50 times slower).
#   tests/shell/valgrind_smoke.sh DSSELECT
set -euo pipefail
dsselect=$1
command -v valgrind >/dev/null || { echo "valgrind_smoke: valgrind not installed (scripts/install-deps --test installs it)" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '{"schema_version":"1.0","hardware":[{"id":"x","memory_gb":"lots"}]}' >"$scratch/bad.json"
"$dsselect" catalog scenarios -o jsonl >"$scratch/all.jsonl"
head -n 3 "$scratch/all.jsonl" >"$scratch/batch.jsonl"
failures=0
run() {  # expected-exit-code, arguments...
    local expected=$1; shift
    local status=0
    valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$scratch/valgrind.log" "$dsselect" "$@" >/dev/null 2>"$scratch/stderr" || status=$?
    if [[ $status -eq 99 || -s "$scratch/valgrind.log" ]]; then
        echo "FAIL (memcheck): dsselect $*"; cat "$scratch/valgrind.log"; failures=$((failures + 1))
    elif [[ $status -ne $expected ]]; then
        echo "FAIL (exit $status, expected $expected): dsselect $*"; head -n 3 "$scratch/stderr"; failures=$((failures + 1))
    else
        echo "ok: dsselect $*"
    fi
}
run 0 catalog models -o json
run 0 estimate --model base --variant int8 --gpu a40 --gpus 2 --batch 8 --explain
run 0 recommend --scenario customer-service -o json --explain
run 0 compare --scenario finance-risk base:int8@h100-sxmx1 ultra
run 0 tco --scenario finance-risk base:int8@h100-sxm
run 0 batch --threads 2 "$scratch/batch.jsonl"
run 0 rules eval --rule '{"reduce":[[1,2,3],{"+":[{"var":"current"},{"var":"accumulator"}]},0]}' --input '{}'
run 0 schema recommendation
run 65 validate "$scratch/bad.json"
run 65 --data "$scratch/bad.json" recommend --scenario customer-service
run 66 recommend --scenario "$scratch/missing.json"
run 2 recommend --scenario customer-service --top 0
run 74 recommend --scenario customer-service --output-file /dev/full
exit $((failures > 0))
