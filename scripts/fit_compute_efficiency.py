#!/usr/bin/env python3
"""Compute efficiency of the GPU serving engines, BF16 and FP8 apart (issue 20).

Usage:
  scripts/fit_compute_efficiency.py VALIDATE            # print the grid's best points
  scripts/fit_compute_efficiency.py VALIDATE --check    # fail unless data/engines.json holds the best point

VALIDATE is the built harness (build/test/bench/dsselect_validate). An FP8 GEMM has twice the
tensor-core peak of a BF16 one and reaches a smaller share of it, so one compute_efficiency for
both makes FP8 prefill (and the prefill share of TPOT under continuous batching) too fast. The
vllm, sglang and trtllm profiles are pooled (docs/validation.md) except where an engine's own fit rows
identify its own value (serving_fit.OWN_FACTORS; --check reads the pooled pair from the other
engines' sets, and scripts/fit_per_engine.py --check holds the own values); each holds one factor set for
FP8 compute, one for INT8 on the GPUs whose INT8 peak is their FP8 peak (the FP8 value: the
sample has no INT8 rows, and on the same tensor-core rate INT8 must not beat FP8 by a missing
fit; --check holds the list to data/hardware.json) and one for every other precision, with the
same compute_efficiency pair.

The pair is fitted on the fit rows only (tests/validation/split.json: the h100_sxm rows, BF16 and
FP8, dense and MoE): every point of a 0.05 grid is run through the harness with the pair written
into a copy of data/engines.json (a catalog overlay, --catalog), and the objective is the mean of
the fit rows' dense and MoE TPOT medians of absolute error. TPOT, not TTFT, because a TTFT also
depends on how the benchmark sent its requests (docs/validation.md, "TTFT protocol"). Ties go to
the point listed first (lower BF16, then lower FP8 value). Hold-out rows are never read.
"""
import os
import sys

from serving_fit import (ENGINES, ROOT, SERVING_ENGINES, load_inputs, parse_args, pooled_engines, read_json_object, run_grid,
                         shipped_point)

HARDWARE = os.path.join(ROOT, "data", "hardware.json")
EIGHT_BIT = ("fp8", "int8")  # INT8 takes the FP8 value where it has the FP8 peak: the sample has no INT8 rows
# --check accepts the shipped pair when its objective is this close to the grid's best: the
# 16-bit value is decided by the dense fit rows alone, by hundredths of a point, so an unrelated
# estimator change must not flip it back and forth.
TOLERANCE = 0.001
BF16_GRID = [round(0.50 + 0.05 * i, 2) for i in range(9)]  # 0.50 .. 0.90
FP8_GRID = [round(0.25 + 0.05 * i, 2) for i in range(10)]  # 0.25 .. 0.70


def gpu_sets(engine):
    """The engine's 8-bit factor sets (FP8, INT8) and its general GPU set (what the fit sets)."""
    eight_bit = [f for f in engine["factors"] if f.get("hardware_kind") == "gpu" and f.get("precision") in EIGHT_BIT]
    general = [f for f in engine["factors"] if f.get("hardware_kind") == "gpu" and "precision" not in f]
    if sorted(f["precision"] for f in eight_bit) != sorted(EIGHT_BIT) or len(general) != 1:
        sys.exit(f"fit_compute_efficiency: {ENGINES}: engine '{engine['id']}' needs one GPU factor set each "
                 "with \"precision\": \"fp8\" and \"int8\", and one without a precision")
    return eight_bit, general[0]


def set_pair(engines, bf16, fp8, pooled_only=False):
    """Writes the pair into every serving engine (the pooled hypothesis the fit scores), or, with
    pooled_only, only into the sets without an own value (serving_fit.OWN_FACTORS): what a refit
    writes back."""
    for engine in engines["engines"]:
        if engine["id"] in SERVING_ENGINES:
            eight_bit, general = gpu_sets(engine)
            if not pooled_only or engine["id"] in pooled_engines("compute_efficiency FP8"):
                for factor_set in eight_bit:
                    factor_set["compute_efficiency"] = fp8
            if not pooled_only or engine["id"] in pooled_engines("compute_efficiency BF16"):
                general["compute_efficiency"] = bf16


def main():
    args = parse_args(__doc__, "the best point")
    shipped, catalog = load_inputs("fit_compute_efficiency")
    hardware = read_json_object("fit_compute_efficiency", HARDWARE).get("hardware")
    if not isinstance(hardware, list) or not all(isinstance(h, dict) for h in hardware):
        sys.exit(f"fit_compute_efficiency: {HARDWARE}: /hardware: expected an array of hardware objects")
    same_peak = sorted(h.get("id") for h in hardware
                       if h.get("kind") == "gpu" and "fp8" in h.get("peak_tflops", {})
                       and h["peak_tflops"].get("int8") == h["peak_tflops"]["fp8"])
    # The pooled pair is read from the engines without an own value (serving_fit.OWN_FACTORS).
    pooled_bf16 = set()
    pooled_fp8 = set()
    int8_lists = set()
    for engine in shipped["engines"]:
        if engine["id"] in SERVING_ENGINES:
            eight_bit, general = gpu_sets(engine)
            if engine["id"] in pooled_engines("compute_efficiency BF16"):
                pooled_bf16.add(general["compute_efficiency"])
            for factor_set in eight_bit:
                if engine["id"] in pooled_engines("compute_efficiency FP8"):
                    pooled_fp8.add(factor_set["compute_efficiency"])
                if factor_set["precision"] == "int8":
                    int8_lists.add(tuple(sorted(factor_set.get("hardware", []))))
            if {f["compute_efficiency"] for f in eight_bit} != {eight_bit[0]["compute_efficiency"]}:
                print(f"engine '{engine['id']}': its FP8 and INT8 factor sets differ in compute_efficiency",
                      file=sys.stderr)
                return 1
    shipped_pairs = {(bf16, fp8) for bf16 in pooled_bf16 for fp8 in pooled_fp8}
    grid = [(bf16, fp8) for bf16 in BF16_GRID for fp8 in FP8_GRID]
    points = run_grid("fit_compute_efficiency", args.validate, shipped, catalog, grid, set_pair)
    best = min(points, key=lambda p: p[0])  # min keeps the first of equal values
    print("BF16  FP8   objective  fit dense TPOT  fit MoE TPOT")
    for value, (bf16, fp8), medians in sorted(points, key=lambda p: p[0])[:8]:
        print(f"{bf16:.2f}  {fp8:.2f}  {100 * value:8.2f} %  {100 * medians['dense']:12.2f} %  {100 * medians['moe']:10.2f} %")
    print(f"best: BF16 {best[1][0]:.2f}, FP8 {best[1][1]:.2f} ({len(points)} grid points, fit rows only)")
    if args.check:
        held, pair, scores = shipped_point(points, best, shipped_pairs, TOLERANCE)
        if not held:
            print(f"data/engines.json holds {sorted(shipped_pairs)}, the fit gives ({best[1][0]:.2f}, {best[1][1]:.2f}) "
                  f"(within {100 * TOLERANCE:.1f} points is accepted): rewrite the pooled compute_efficiency pair "
                  "(the GPU factor sets without an own value, serving_fit.OWN_FACTORS)", file=sys.stderr)
            return 1
        if int8_lists != {tuple(same_peak)}:
            print(f"the INT8 factor sets name {sorted(int8_lists)}; the GPUs whose INT8 peak is their FP8 peak in "
                  f"data/hardware.json are {same_peak}", file=sys.stderr)
            return 1
        print(f"data/engines.json holds {pair}: {100 * scores[pair]:.2f} % against the best {100 * best[0]:.2f} %; "
              "the INT8 sets name the GPUs whose INT8 peak is their FP8 peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
