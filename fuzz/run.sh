#!/usr/bin/env bash
# Usage: fuzz/run.sh SECONDS
# Configures a clang build with -DDSSELECT_FUZZ=ON in build/fuzz, builds the libFuzzer targets and
# runs each for SECONDS with a seed corpus made from data/*.json and tests/hostile/*/ (copied into
# build/fuzz/corpus-<target>). Fails (exit 1) on any crash, sanitizer report, leak, timeout
# (-timeout=10) or memory blow-up (-rss_limit_mb=2048); the failing input is written to
# build/fuzz/artifacts/ (reproduce with: build/fuzz/fuzz/<target> <artifact>).
# Environment: CXX (default: clang++-14, Debian 12's clang, whose libFuzzer comes with
# libclang-rt-14-dev; else a newer clang++), DSSELECT_FUZZ_JOBS (build jobs, default 2).
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh SECONDS}
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "fuzz/run.sh: SECONDS must be a positive integer" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/fuzz"
cxx=${CXX:-}
if [[ -z "$cxx" ]]; then
  for candidate in clang++-14 clang++-16 clang++-15 clang++; do
    if command -v "$candidate" >/dev/null; then cxx=$candidate; break; fi
  done
fi
[[ -n "$cxx" ]] || { echo "fuzz/run.sh: no clang++ found (apt-get install clang-14 libclang-rt-14-dev; scripts/install-deps does)" >&2; exit 2; }
jobs=${DSSELECT_FUZZ_JOBS:-2}
targets=(fuzz_catalog fuzz_rules fuzz_candidate)

command -v "$cxx" >/dev/null || { echo "fuzz/run.sh: $cxx not found" >&2; exit 2; }
grep -q 'DSSELECT_FUZZ' "$root/CMakeLists.txt" ||
  { echo "fuzz/run.sh: the top-level CMakeLists.txt has no DSSELECT_FUZZ option (see fuzz/CMakeLists.txt)" >&2; exit 2; }

# A cache made with another compiler cannot be reconfigured in place.
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -qx "CMAKE_CXX_COMPILER:[A-Z]*=$(command -v "$cxx")" "$build/CMakeCache.txt"; then
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
echo "== configuring $build with $cxx"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDSSELECT_FUZZ=ON -DDSSELECT_BUILD_TESTS=OFF -DDSSELECT_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

# Seed corpora: the shipped catalog, and every input file of the hostile corpus (the meta files
# cmd/expected_* are not inputs; generated large inputs are made by setup.py at test time).
rm -rf "$build"/corpus-* "$build/seeds"
mkdir -p "$build/seeds/json" "$build/seeds/candidate" "$build/artifacts" "$build/logs"
cp "$root"/data/*.json "$build/seeds/json/"
for file in "$root"/tests/hostile/*/*; do
  [[ -f "$file" ]] || continue
  case "$(basename "$file")" in
    cmd|expected_status|expected_stderr|expected_files|expect_stdout_nonempty|skip_if_readable|setup.py) continue ;;
  esac
  cp "$file" "$build/seeds/json/$(basename "$(dirname "$file")")-$(basename "$file")"
done
# Rule expressions on one line each (fuzz_rules compiles them and compares the compiled form
# with the interpreter): the shipped rules' when/value and a few numeric ones.
/usr/bin/python3 - "$root/data/rules.json" "$build/seeds/json" <<'PY'
import json, sys
rules = json.load(open(sys.argv[1]))["rules"]
expressions = [rule[key] for rule in rules for key in ("when", "value") if key in rule]
expressions += [
    {"<": [{"var": "deployment.capacity_qps"}, {"*": [1.2, {"var": "scenario.qps"}]}]},
    {"if": [{">": [{"var": "estimate.latency_ms"}, 100]}, {"-": [{"var": "cost.yearly_usd"}]},
            {"/": [1, {"var": "deployment.replicas"}]}]},
    {"and": [{"!!": {"var": "scenario.numerically_sensitive"}}, {"<=": [0, {"var": "deployment.quality"}, 1]}]},
    {"or": [{"===": [{"var": "deployment.batch"}, 1]}, {"+": [{"var": "hardware.tdp_w"}, True]}]},
]
for index, expression in enumerate(expressions):
    with open(f"{sys.argv[2]}/expression-{index}", "w") as out:
        out.write(json.dumps(expression, separators=(",", ":")))
PY
# Candidate strings: every argument of the hostile cases, one seed each, and a few valid ones.
index=0
for cmd in "$root"/tests/hostile/*/cmd; do
  while IFS= read -r argument; do
    printf '%s' "$argument" >"$build/seeds/candidate/arg-$index"
    index=$((index + 1))
  done <"$cmd"
done
for spec in base base:int8 base:int8@a40x2 nano@l4 ultra:int4@h100-sxmx8 pro@mi300xx8 'base:int8@a40x0' '@@'; do
  printf '%s' "$spec" >"$build/seeds/candidate/spec-$index"
  index=$((index + 1))
done

status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus-${target#fuzz_}"
  mkdir -p "$corpus"
  if [[ $target == fuzz_candidate ]]; then
    cp "$build"/seeds/candidate/* "$corpus/"
    dict=()
  else
    cp "$build"/seeds/json/* "$corpus/"
    dict=(-dict="$root/fuzz/dsselect.dict")
  fi
  log="$build/logs/$target.log"
  echo "== $target: ${seconds}s, corpus $corpus, log $log"
  if "$build/fuzz/$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" >"$log" 2>&1; then
    grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$log" || true
  else
    status=1
    echo "!! $target FAILED: see $log; reproducer(s):" >&2
    ls -1 "$build/artifacts/$target-"* >&2 2>/dev/null || true
    grep -m1 -E 'ERROR:|runtime error:|==[0-9]+==' "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit $status
