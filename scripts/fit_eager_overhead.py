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
MoE rows of the engines without an own value (TensorRT-LLM's only: the sample has no other MoE fit
rows), pooled over SGLang and TensorRT-LLM and documented as pooled. The objective is the mean of the rows' TTFT and TPOT medians
of absolute error, as the harness times them with each row's benchmark client simulated
(docs/validation.md). Last, vLLM's own eager_moe_layer_overhead_us: on the TTFT of the fit system's
one vLLM MoE run (serving_fit.ADMITTED_RUN), which every other figure leaves out for its PIECEWISE
CUDA graphs, a setting of its decode steps; its prompt steps run eagerly under either mode, so this
fit alone admits the run (a copy of protocols.json) and scores its fit rows' TTFT median only
(docs/validation-study.md section 37). Where the run's rows are not fit rows (another split, as
scripts/refit_study.py may set), vLLM takes the pooled value.
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

from serving_fit import (ADMITTED_RUN, CATALOG, ENGINES, OWN_MOE_ENGINE, PROTOCOLS, ROOT, SERVING_ENGINES,
                         admitted_protocols, admitted_run_arguments, read_json_object)
from serving_fit import gpu_sets as serving_gpu_sets

GRID_STEP_US = 50
GRID_MAX_US = 2000  # the shipped fit's grid: 0 .. 2,000 us; --grid-max-us widens it for a study
# --check accepts a shipped value whose objective is this close to the grid's best (fractions).
TOLERANCE = 0.001


def gpu_sets(engine):
    return serving_gpu_sets(engine, "fit_eager_overhead")


def set_values(engines, per_layer, per_moe_layer, own_moe_layer=None):
    """Writes each engine's eager_layer_overhead_us, the pooled eager_moe_layer_overhead_us, and
    OWN_MOE_ENGINE's own MoE value instead when `own_moe_layer` is given (None: it takes the pooled)."""
    for engine in engines["engines"]:
        if engine["id"] in SERVING_ENGINES:
            own = engine["id"] == OWN_MOE_ENGINE and own_moe_layer is not None
            for factor_set in gpu_sets(engine):
                factor_set["eager_layer_overhead_us"] = per_layer[engine["id"]]
                factor_set["eager_moe_layer_overhead_us"] = own_moe_layer if own else per_moe_layer


def shipped_values(engines):
    """(per-layer value by engine, the pooled MoE value of the engines other than OWN_MOE_ENGINE or
    None when they differ, OWN_MOE_ENGINE's MoE value)."""
    per_layer, per_moe = {}, {}
    for engine in engines["engines"]:
        if engine["id"] in SERVING_ENGINES:
            values = {(f.get("eager_layer_overhead_us"), f.get("eager_moe_layer_overhead_us")) for f in gpu_sets(engine)}
            if len(values) != 1:
                sys.exit(f"fit_eager_overhead: {ENGINES}: engine '{engine['id']}' has different eager overheads "
                         "across its GPU factor sets")
            per_layer[engine["id"]], per_moe[engine["id"]] = values.pop()
    pooled = {value for engine, value in per_moe.items() if engine != OWN_MOE_ENGINE}
    return per_layer, (pooled.pop() if len(pooled) == 1 else None), per_moe.get(OWN_MOE_ENGINE)


class Harness:
    def __init__(self, validate, tmp, blocking_share):
        self.validate = os.path.abspath(validate)
        self.blocking_share = blocking_share
        self.overlay = os.path.join(tmp, "catalog.json")
        self.dump = os.path.join(tmp, "rows.csv")
        self.fit_row_count = {}  # every grid point must time the same fit rows (per row selection)
        self.catalog = read_json_object("fit_eager_overhead", CATALOG)
        self.shipped = read_json_object("fit_eager_overhead", ENGINES)
        self.admitted = os.path.join(tmp, "protocols.json")
        with open(self.admitted, "w", encoding="utf-8") as f:
            json.dump(admitted_protocols("fit_eager_overhead", read_json_object("fit_eager_overhead", PROTOCOLS)), f)

    def fit_rows(self, per_layer, per_moe_layer, own_moe_layer=None, admitted=False):
        """The timed fit rows; with `admitted`, the admitted run's alone (serving_fit.ADMITTED_RUN)."""
        engines = json.loads(json.dumps(self.shipped))
        set_values(engines, per_layer, per_moe_layer, own_moe_layer)
        overlay = dict(self.catalog)
        overlay["engines"] = engines["engines"]
        with open(self.overlay, "w", encoding="utf-8") as f:
            json.dump(overlay, f)
        try:
            done = subprocess.run([self.validate, "--engine-profiles", "--catalog", self.overlay, "--dump", self.dump,
                                   "--eager-blocking-share", repr(self.blocking_share)] +
                                  (admitted_run_arguments(self.admitted) if admitted else []),
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
            fit = [r for r in reader if r["set"] == "fit" and
                   (not admitted or r.get("backend") == ADMITTED_RUN["backend"])]
        timed = [r for r in fit if r["ok"] == "1"]
        # A value that stopped some rows from being timed would shrink the objective's rows.
        first = self.fit_row_count.setdefault(admitted, len(timed))
        if len(timed) != first:
            sys.exit(f"fit_eager_overhead: {len(timed)} fit rows timed at {per_layer} / {per_moe_layer} / "
                     f"{own_moe_layer} us, "
                     f"{first} at the first grid point: the objective would compare different rows")
        return timed


def median_ape(rows, metric):
    """The median absolute error of `metric` over `rows` (a fraction)."""
    if not rows:
        sys.exit("fit_eager_overhead: no fit rows to fit on")
    try:
        return statistics.median(abs(float(r[f"predicted_{metric}_ms"]) / float(r[f"measured_{metric}_ms"]) - 1.0)
                                 for r in rows)
    except (ValueError, ZeroDivisionError) as error:
        sys.exit(f"fit_eager_overhead: a fit row's {metric} cannot be compared: {error}")


def objective(rows):
    """Mean of the TTFT and TPOT medians of absolute error of `rows` (fractions)."""
    return (median_ape(rows, "ttft") + median_ape(rows, "tpot")) / 2.0


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
        shipped_layer, shipped_moe, shipped_own_moe = shipped_values(harness.shipped)
        start = {e: shipped_layer.get(e) or 0 for e in SERVING_ENGINES}
        moe_start = shipped_moe or 0  # vLLM's own value does not move any grid before its own

        def dense_of(engine):
            return lambda rows: [r for r in rows if r["dense"] == "1" and r["backend"] == engine]

        def moe_rows(rows):  # the pooled value's: the rows of the engines without an own one
            return [r for r in rows if r["dense"] == "0" and r["backend"] != OWN_MOE_ENGINE]

        # Each engine's per-layer value on its dense rows (the others at their shipped values),
        # then the pooled MoE value on the MoE rows with the fitted per-layer values.
        curves, best_layer = {}, {}
        for engine in SERVING_ENGINES:
            select = dense_of(engine)
            curves[engine] = {v: objective(select(harness.fit_rows({**start, engine: v}, moe_start))) for v in grid_us}
            best_layer[engine] = min(grid_us, key=lambda v: (round(curves[engine][v], 6), v))
        curves["moe"] = {v: objective(moe_rows(harness.fit_rows(best_layer, v))) for v in grid_us}
        best_moe = min(grid_us, key=lambda v: (round(curves["moe"][v], 6), v))
        # vLLM's own MoE value on its admitted run's TTFT, the other values at their fit; none when
        # the run's rows are not fit rows of this split.
        admitted_count = len(harness.fit_rows(best_layer, best_moe, None, admitted=True))
        best_own = None
        if admitted_count > 0:
            curves["own"] = {v: median_ape(harness.fit_rows(best_layer, best_moe, v, admitted=True), "ttft")
                             for v in grid_us}
            best_own = min(grid_us, key=lambda v: (round(curves["own"][v], 6), v))

        for engine in SERVING_ENGINES:
            v = best_layer[engine]
            print(f"{engine}: eager_layer_overhead_us {v} (fit dense rows: {100 * curves[engine][v]:.2f} %, "
                  f"0 us: {100 * curves[engine][0]:.2f} %)")
        print(f"pooled: eager_moe_layer_overhead_us {best_moe} (fit MoE rows: {100 * curves['moe'][best_moe]:.2f} %, "
              f"0 us: {100 * curves['moe'][0]:.2f} %)")
        if best_own is None:
            print(f"{OWN_MOE_ENGINE}: the pooled eager_moe_layer_overhead_us (its admitted run has no fit rows here)")
        else:
            print(f"{OWN_MOE_ENGINE}: own eager_moe_layer_overhead_us {best_own} (TTFT of its admitted run's "
                  f"{admitted_count} fit rows: {100 * curves['own'][best_own]:.2f} %, the pooled {best_moe} us: "
                  f"{100 * curves['own'][best_moe]:.2f} %)")
        if not args.check:
            return 0
        problems = []
        for engine in SERVING_ENGINES:
            value = shipped_layer.get(engine)
            if value not in curves[engine] or curves[engine][value] > curves[engine][best_layer[engine]] + TOLERANCE:
                problems.append(f"{engine} eager_layer_overhead_us is {value}, the fit gives {best_layer[engine]}")
        if shipped_moe not in curves["moe"] or curves["moe"][shipped_moe] > curves["moe"][best_moe] + TOLERANCE:
            problems.append(f"eager_moe_layer_overhead_us is {shipped_moe}, the fit gives {best_moe}")
        if best_own is None:
            if shipped_own_moe != shipped_moe:
                problems.append(f"{OWN_MOE_ENGINE} eager_moe_layer_overhead_us is {shipped_own_moe}, the pooled "
                                f"{shipped_moe} (no admitted fit rows)")
        elif (shipped_own_moe not in curves["own"] or
              curves["own"][shipped_own_moe] > curves["own"][best_own] + TOLERANCE):
            problems.append(f"{OWN_MOE_ENGINE} eager_moe_layer_overhead_us is {shipped_own_moe}, its admitted run "
                            f"gives {best_own}")
        if problems:
            print(f"data/engines.json is not the fit rows' best (within {100 * TOLERANCE:.1f} points is accepted): "
                  + "; ".join(problems), file=sys.stderr)
            return 1
        print("data/engines.json holds the fit rows' best eager overheads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
