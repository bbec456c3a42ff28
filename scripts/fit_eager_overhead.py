#!/usr/bin/env python3
"""Eager-step overheads of the GPU serving engines (issue 20).

Usage:
  scripts/fit_eager_overhead.py VALIDATE            # print the grid's best values
  scripts/fit_eager_overhead.py VALIDATE --check    # fail unless data/engines.json holds them
  scripts/fit_eager_overhead.py VALIDATE --eager-blocking-share S   # study: the GPU waits for S of a step
  scripts/fit_eager_overhead.py VALIDATE --grid-max-us 4000         # study: a wider grid

VALIDATE is the built harness (build/test/bench/dsselect_validate). A step that carries prompt
tokens runs outside CUDA graphs in SGLang and TensorRT-LLM (their graphs capture decode-only
batches), and in vLLM when it holds more tokens than its largest piecewise graph
(data/engines.json cuda_graph_max_tokens, each with its source). The host then launches every
kernel of every layer itself, which the roofline does not see: eager_layer_overhead_us per layer,
and eager_moe_layer_overhead_us extra per MoE layer (routing, permutation, grouped GEMMs). The
estimator adds it to such steps (docs/method.md, "Eager steps"); the fit rows' TTFT, and the TPOT
their benchmark client measured, say how large it is.

The values are fitted on the fit rows only (tests/validation/split.json: the h100_sxm rows), each
engine's eager_layer_overhead_us on its own dense rows, then eager_moe_layer_overhead_us on the
MoE rows (TensorRT-LLM only: the sample has no other MoE fit rows), pooled over the three engines
and documented as pooled. The objective is the mean of the rows' TTFT and TPOT medians of absolute
error, as the harness times them with each row's benchmark client simulated (docs/validation.md).
Every point of a 50 us grid (0 to 2,000 us; --grid-max-us widens it) is run through the harness
with the values written into a copy of data/engines.json (a catalog overlay, --catalog); ties go
to the lower value. Hold-out rows are never read.

--eager-blocking-share S (0 to 1; a study, docs/validation-study.md section 14) fits the values
with the harness's switch of that name: the simulated GPU waits for S of each eager step and the
rest is host time added to the TTFT of the step's prompts. The estimator's model is S = 1; --check
refuses another S.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

from serving_fit import CATALOG, ENGINES, ROOT, SERVING_ENGINES
from serving_fit import gpu_sets as serving_gpu_sets

GRID_STEP_US = 50
GRID_MAX_US = 2000  # the shipped fit's grid: 0 .. 2,000 us; --grid-max-us widens it for a study
# --check accepts a shipped value whose objective is this close to the grid's best (fractions).
TOLERANCE = 0.001


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        sys.exit(f"fit_eager_overhead: {path}: {error}")


def gpu_sets(engine):
    return serving_gpu_sets(engine, "fit_eager_overhead")


def set_values(engines, per_layer, per_moe_layer):
    for engine in engines["engines"]:
        if engine["id"] in SERVING_ENGINES:
            for factor_set in gpu_sets(engine):
                factor_set["eager_layer_overhead_us"] = per_layer[engine["id"]]
                factor_set["eager_moe_layer_overhead_us"] = per_moe_layer


def shipped_values(engines):
    per_layer, per_moe = {}, set()
    for engine in engines["engines"]:
        if engine["id"] in SERVING_ENGINES:
            values = {(f.get("eager_layer_overhead_us"), f.get("eager_moe_layer_overhead_us")) for f in gpu_sets(engine)}
            if len(values) != 1:
                sys.exit(f"fit_eager_overhead: {ENGINES}: engine '{engine['id']}' has different eager overheads "
                         "across its GPU factor sets")
            layer, moe = values.pop()
            per_layer[engine["id"]] = layer
            per_moe.add(moe)
    return per_layer, (per_moe.pop() if len(per_moe) == 1 else None)


class Harness:
    def __init__(self, validate, tmp, blocking_share):
        self.validate = os.path.abspath(validate)
        self.blocking_share = blocking_share
        self.overlay = os.path.join(tmp, "catalog.json")
        self.dump = os.path.join(tmp, "rows.csv")
        self.fit_row_count = None  # every grid point must time the same fit rows
        self.catalog = read_json(CATALOG)
        self.shipped = read_json(ENGINES)

    def fit_rows(self, per_layer, per_moe_layer):
        engines = json.loads(json.dumps(self.shipped))
        set_values(engines, per_layer, per_moe_layer)
        overlay = dict(self.catalog)
        overlay["engines"] = engines["engines"]
        with open(self.overlay, "w", encoding="utf-8") as f:
            json.dump(overlay, f)
        try:
            done = subprocess.run([self.validate, "--engine-profiles", "--catalog", self.overlay, "--dump", self.dump,
                                   "--eager-blocking-share", repr(self.blocking_share)],
                                  cwd=ROOT, capture_output=True, text=True, check=False)
        except OSError as error:
            sys.exit(f"fit_eager_overhead: cannot run the harness {self.validate}: {error.strerror}")
        if done.returncode != 0:
            sys.exit(f"fit_eager_overhead: {self.validate} failed: {done.stderr.strip()}")
        with open(self.dump, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = {"ok", "set", "dense", "backend", "predicted_ttft_ms", "measured_ttft_ms", "predicted_tpot_ms",
                       "measured_tpot_ms"} - set(reader.fieldnames or [])
            if missing:
                sys.exit(f"fit_eager_overhead: the harness dump lacks the columns {sorted(missing)}")
            fit = [r for r in reader if r["set"] == "fit"]
        timed = [r for r in fit if r["ok"] == "1"]
        # A value that stopped some rows from being timed would shrink the objective's rows.
        if self.fit_row_count is None:
            self.fit_row_count = len(timed)
        elif len(timed) != self.fit_row_count:
            sys.exit(f"fit_eager_overhead: {len(timed)} fit rows timed at {per_layer} / {per_moe_layer} us, "
                     f"{self.fit_row_count} at the first grid point: the objective would compare different rows")
        return timed


def objective(rows):
    """Mean of the TTFT and TPOT medians of absolute error of `rows` (fractions)."""
    def median_ape(metric):
        try:
            return statistics.median(abs(float(r[f"predicted_{metric}_ms"]) / float(r[f"measured_{metric}_ms"]) - 1.0)
                                     for r in rows)
        except (ValueError, ZeroDivisionError) as error:
            sys.exit(f"fit_eager_overhead: a fit row's {metric} cannot be compared: {error}")
    if not rows:
        sys.exit("fit_eager_overhead: no fit rows to fit on")
    return (median_ape("ttft") + median_ape("tpot")) / 2.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("validate", help="the dsselect_validate binary")
    parser.add_argument("--check", action="store_true", help="fail unless data/engines.json holds the best values")
    parser.add_argument("--eager-blocking-share", type=float, default=1.0, metavar="S",
                        help="study: the share of an eager step the GPU waits for (default 1, the estimator's model)")
    parser.add_argument("--grid-max-us", type=int, default=GRID_MAX_US, metavar="US",
                        help=f"study: the grid's last value (default {GRID_MAX_US}; a multiple of {GRID_STEP_US})")
    args = parser.parse_args()
    if args.grid_max_us < GRID_STEP_US or args.grid_max_us % GRID_STEP_US != 0:
        parser.error(f"--grid-max-us: expected a positive multiple of {GRID_STEP_US}, got {args.grid_max_us}")
    grid_us = list(range(0, args.grid_max_us + 1, GRID_STEP_US))
    if not 0.0 <= args.eager_blocking_share <= 1.0:
        parser.error(f"--eager-blocking-share: expected a share from 0 to 1, got {args.eager_blocking_share}")
    if args.check and args.eager_blocking_share != 1.0:
        parser.error("--check holds data/engines.json to the estimator's model: --eager-blocking-share must be 1")
    if args.eager_blocking_share != 1.0:
        print(f"study: the GPU waits for {args.eager_blocking_share:g} of each eager step; the rest is added to TTFT")
    with tempfile.TemporaryDirectory() as tmp:
        harness = Harness(args.validate, tmp, args.eager_blocking_share)
        shipped_layer, shipped_moe = shipped_values(harness.shipped)
        start = {e: shipped_layer.get(e) or 0 for e in SERVING_ENGINES}
        moe_start = shipped_moe or 0

        def dense_of(engine):
            return lambda rows: [r for r in rows if r["dense"] == "1" and r["backend"] == engine]

        def moe_rows(rows):
            return [r for r in rows if r["dense"] == "0"]

        # Each engine's per-layer value on its dense rows (the others at their shipped values),
        # then the pooled MoE value on the MoE rows with the fitted per-layer values.
        curves, best_layer = {}, {}
        for engine in SERVING_ENGINES:
            select = dense_of(engine)
            curves[engine] = {v: objective(select(harness.fit_rows({**start, engine: v}, moe_start))) for v in grid_us}
            best_layer[engine] = min(grid_us, key=lambda v: (round(curves[engine][v], 6), v))
        curves["moe"] = {v: objective(moe_rows(harness.fit_rows(best_layer, v))) for v in grid_us}
        best_moe = min(grid_us, key=lambda v: (round(curves["moe"][v], 6), v))

        for engine in SERVING_ENGINES:
            v = best_layer[engine]
            print(f"{engine}: eager_layer_overhead_us {v} (fit dense rows: {100 * curves[engine][v]:.2f} %, "
                  f"0 us: {100 * curves[engine][0]:.2f} %)")
        print(f"pooled: eager_moe_layer_overhead_us {best_moe} (fit MoE rows: {100 * curves['moe'][best_moe]:.2f} %, "
              f"0 us: {100 * curves['moe'][0]:.2f} %)")
        if not args.check:
            return 0
        problems = []
        for engine in SERVING_ENGINES:
            value = shipped_layer.get(engine)
            if value not in curves[engine] or curves[engine][value] > curves[engine][best_layer[engine]] + TOLERANCE:
                problems.append(f"{engine} eager_layer_overhead_us is {value}, the fit gives {best_layer[engine]}")
        if shipped_moe not in curves["moe"] or curves["moe"][shipped_moe] > curves["moe"][best_moe] + TOLERANCE:
            problems.append(f"eager_moe_layer_overhead_us is {shipped_moe}, the fit gives {best_moe}")
        if problems:
            print(f"data/engines.json is not the fit rows' best (within {100 * TOLERANCE:.1f} points is accepted): "
                  + "; ".join(problems), file=sys.stderr)
            return 1
        print("data/engines.json holds the fit rows' best eager overheads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
