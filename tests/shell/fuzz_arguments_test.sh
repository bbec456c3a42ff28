#!/usr/bin/env bash
# fuzz/run.sh refuses a bad SECONDS or DSSELECT_FUZZ_JOBS with exit 2 and a line naming it, before
# it looks for clang or builds anything (so this runs on a machine without clang too).
set -uo pipefail
script="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/fuzz/run.sh"
failures=0
expect() {  # description, expected text on stderr, command...
  local description=$1 text=$2 err status
  shift 2
  err=$("$@" 2>&1 >/dev/null)
  status=$?
  if [[ $status -ne 2 || "$err" != *"$text"* ]]; then
    echo "FAIL: $description: exit $status, stderr '$err'"
    failures=$((failures + 1))
  else
    echo "PASS: $description"
  fi
}
expect "SECONDS not a number" "SECONDS must be a positive integer" "$script" abc
expect "SECONDS zero" "SECONDS must be a positive integer" "$script" 0
for jobs in 0 -1 two 1.5; do
  expect "DSSELECT_FUZZ_JOBS='$jobs'" "DSSELECT_FUZZ_JOBS must be a positive integer" env DSSELECT_FUZZ_JOBS="$jobs" "$script" 5
done
echo "$((6 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
