#!/usr/bin/env bash
# The generated bash completion completes commands, flags and catalog ids.
set -euo pipefail
dsselect=$1
script=$(mktemp)
trap 'rm -f "$script"' EXIT
"$dsselect" completion bash > "$script"
bash -n "$script"
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dsselect; echo "${COMPREPLY[*]}"' _ "$script" "$@"
}
fail=0
check() {  # expected-word, words...
    local expected=$1; shift
    local got; got=$(complete_words "$@")
    if [[ " $got " == *" $expected "* ]]; then echo "ok: $* -> $expected"; else echo "FAIL: $* -> '$got' lacks $expected"; fail=1; fi
}
check recommend dsselect rec
check report dsselect rep
check html dsselect report -o ht
check --scenario dsselect recommend --sc
check customer-service dsselect recommend --scenario cust
check h100-sxm dsselect estimate --model base --gpu h100
check --data dsselect recommend --da
check models dsselect catalog mo
check finetune dsselect plan fine
check --lora-rank dsselect plan finetune --lora-r
check qlora dsselect plan finetune --method ql
check deploy dsselect dep
check --target dsselect deploy --tar
check --output-dir dsselect deploy --output-d
check kubernetes dsselect deploy --target kub
check llama.cpp dsselect deploy --engine lla
zsh=$("$dsselect" completion zsh)
fish=$("$dsselect" completion fish)
grep -q '^#compdef dsselect' <<< "$zsh" && echo "ok: zsh script" || { echo "FAIL: zsh header"; fail=1; }
grep -q "complete -c dsselect -n '__fish_seen_subcommand_from recommend' -l scenario -x -a '.*customer-service" <<< "$fish" \
    && echo "ok: fish script" || { echo "FAIL: fish scenario ids"; fail=1; }
rendered=$(MANWIDTH=80 man -l "$(dirname "$0")/../../man/dsselect.1" 2>&1)
if grep -q "EXIT STATUS" <<< "$rendered" && ! grep -qi "warning" <<< "$rendered"; then
    echo "ok: man -l renders man/dsselect.1"
else
    echo "FAIL: man -l"; echo "$rendered" | head -5; fail=1
fi
exit $fail
