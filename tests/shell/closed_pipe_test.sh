#!/usr/bin/env bash
# A reader that stops after one byte: dsselect's output (over a megabyte, far more than a pipe
# holds) must fail its write with EPIPE and exit 74 with one line on stderr, never die of SIGPIPE
# (status 141). Usage: closed_pipe_test.sh DSSELECT
set -u
dsselect="$1"
fail=0
check() {
    local name="$1"
    shift
    local err
    err=$(mktemp)
    "$dsselect" "$@" 2>"$err" | head -c 1 > /dev/null
    local status=${PIPESTATUS[0]}
    local first
    first=$(head -n 1 "$err")
    local lines
    lines=$(wc -l < "$err")
    rm -f "$err"
    if [[ "$status" != 74 || "$first" != "dsselect: error: standard output: cannot write" || "$lines" != 1 ]]; then
        echo "FAIL $name: status $status, stderr '$first' ($lines lines); expected 74 and one line"
        fail=1
    else
        echo "PASS $name"
    fi
}
check recommend-json recommend --scenario customer-service -o json --top 1000
check report report --scenario customer-service

# A full stdout (/dev/full) fails at the flush: the write error comes first, and what the command
# had to say about its items (batch's own error line and summary) still follows it.
items=$(mktemp)
printf '{"qps": 1}\n' > "$items"
err=$(mktemp)
"$dsselect" batch --fail-on invalid "$items" > /dev/full 2> "$err"
status=$?
if [[ "$status" == 74 && "$(head -n 1 "$err")" == "dsselect: error: standard output: cannot write" ]] &&
    grep -q "missing required field 'id'" "$err" && grep -q "1 of 1 items invalid (--fail-on invalid)" "$err"; then
    echo "PASS batch-stdout-full"
else
    echo "FAIL batch-stdout-full: status $status, stderr: $(cat "$err")"
    fail=1
fi
rm -f "$items" "$err"
exit $fail
