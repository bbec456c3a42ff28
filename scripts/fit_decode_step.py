#!/usr/bin/env python3
"""Per-layer step overhead, all-reduce latency and MoE-layer overhead of the GPU serving engines (issue 20).

Usage:
  scripts/fit_decode_step.py VALIDATE            # print the grids' best points
  scripts/fit_decode_step.py VALIDATE --check    # fail unless data/engines.json holds the best points

VALIDATE is the built harness (build/test/bench/dsselect_validate). A decode step that streams the
weights at eta_m of the datasheet bandwidth still pays, per layer, time the stream does not: the
ramp and tail of a dozen kernels and the gaps between them (per_layer_overhead_us), and under
tensor parallelism two all-reduces whose small messages cost a latency, not bandwidth
(allreduce_latency_us, per call). The two are told apart by the tensor-parallel width: a TP 1 row
pays the first only, a TP 8 row both. The fit rows (tests/validation/split.json: the h100_sxm
rows) hold TensorRT-LLM's Llama-3.1-8B and Qwen3-32B at TP 1, 2, 4 and 8, and vLLM's and SGLang's
rows at TP 2 to 8, so both are fitted there; the values are POOLED over vllm, sglang and trtllm
(one pair written into every GPU factor set of the three), and the doc says so.

Every point of the grid is run through the harness with the pair written into a copy of
data/engines.json (a catalog overlay, --catalog). The objective is the mean of the fit rows' dense
and MoE TPOT medians of absolute error, as for scripts/fit_compute_efficiency.py: TPOT, not TTFT,
because a TTFT also depends on how the benchmark sent its requests. Ties go to the point listed
first (lower per-layer, then lower all-reduce value). eta_m is not fitted here: along the ridge the
rows leave (per-layer + 2 x all-reduce nearly constant), a TPOT fit drifts it above 0.9, beyond a
stream's reach, so it keeps its issue-8 value (vLLM's own, fitted on its fit rows by
scripts/fit_per_engine.py, aside). Hold-out rows are never read.

A second, one-dimensional grid fits moe_layer_overhead_us, the decode step's extra time per MoE
layer (routing, token permutation, grouped expert GEMM launches), with the shipped pair above: only
the MoE rows move with it, so the same objective picks the fit rows' lowest MoE TPOT median. It is
POOLED like the pair. --check fails unless data/engines.json holds a best point of each grid.
"""
import sys

from serving_fit import SERVING_ENGINES, load_inputs, parse_args, pooled_engines, run_grid, shipped_point
from serving_fit import gpu_sets as serving_gpu_sets

# --check accepts the shipped pair when its objective is this close to the grid's best: tight
# enough that the neighbours along the ridge (35, 20: +0.06 points) fail, loose enough that an
# unrelated estimator change does not flip equal-looking points back and forth.
TOLERANCE = 0.0005
PER_LAYER_GRID_US = [5 * i for i in range(17)]  # 0 .. 80
ALLREDUCE_GRID_US = [5 * i for i in range(9)]  # 0 .. 40
MOE_LAYER_GRID_US = [5 * i for i in range(9)]  # 0 .. 40
PAIR_KEYS = ("per_layer_overhead_us", "allreduce_latency_us")
MOE_LAYER_KEY = "moe_layer_overhead_us"


def gpu_sets(engine):
    return serving_gpu_sets(engine, "fit_decode_step")


def shipped_values(engines, keys, pooled=SERVING_ENGINES):
    """The distinct tuples of `keys` across the GPU factor sets of the `pooled` serving engines."""
    return {tuple(f.get(key) for key in keys)
            for engine in engines["engines"] if engine["id"] in pooled for f in gpu_sets(engine)}


def set_values(engines, values, engine_ids=SERVING_ENGINES):
    """Writes `values` (key -> number) into every GPU factor set of the serving engines (POOLED), or
    of `engine_ids` only."""
    for engine in engines["engines"]:
        if engine["id"] in engine_ids:
            for factor_set in gpu_sets(engine):
                factor_set.update(values)


def shipped_pairs(engines):
    """The pooled pair, read from the engines without an own one (serving_fit.OWN_FACTORS)."""
    return shipped_values(engines, PAIR_KEYS, pooled_engines(", ".join(PAIR_KEYS)))


def set_pair(engines, per_layer_us, allreduce_us, pooled_only=False):
    """The pooled hypothesis into every serving engine, or, with pooled_only, into the engines
    without an own pair (serving_fit.OWN_FACTORS): what a refit writes back."""
    set_values(engines, dict(zip(PAIR_KEYS, (per_layer_us, allreduce_us))),
               pooled_engines(", ".join(PAIR_KEYS)) if pooled_only else SERVING_ENGINES)


def set_moe_layer(engines, moe_layer_us):
    set_values(engines, {MOE_LAYER_KEY: moe_layer_us})


def main():
    args = parse_args(__doc__, "the best point")
    shipped, catalog = load_inputs("fit_decode_step")
    grid = [(per_layer_us, allreduce_us) for per_layer_us in PER_LAYER_GRID_US for allreduce_us in ALLREDUCE_GRID_US]
    points = run_grid("fit_decode_step", args.validate, shipped, catalog, grid, set_pair)
    best = min(points, key=lambda p: p[0])  # min keeps the first of equal values
    print("per-layer us  all-reduce us  objective  fit dense TPOT  fit MoE TPOT")
    for value, (per_layer_us, allreduce_us), medians in sorted(points, key=lambda p: p[0])[:8]:
        print(f"{per_layer_us:12d}  {allreduce_us:13d}  {100 * value:8.2f} %  {100 * medians['dense']:12.2f} %  "
              f"{100 * medians['moe']:10.2f} %")
    print(f"best: per_layer_overhead_us {best[1][0]}, allreduce_latency_us {best[1][1]} ({len(points)} grid points, "
          "fit rows only)")
    moe_points = run_grid("fit_decode_step", args.validate, shipped, catalog, [(v,) for v in MOE_LAYER_GRID_US],
                          set_moe_layer)
    moe_best = min(moe_points, key=lambda p: p[0])
    print("MoE-layer us  objective  fit MoE TPOT")
    for value, (moe_layer_us,), medians in moe_points:
        print(f"{moe_layer_us:12d}  {100 * value:8.2f} %  {100 * medians['moe']:10.2f} %")
    print(f"best: moe_layer_overhead_us {moe_best[1][0]} ({len(moe_points)} grid points, fit rows only)")
    if args.check:
        failed = False
        for name, grid_points, grid_best, held_points, keys in (
                ("pair", points, best, shipped_pairs(shipped), "per_layer_overhead_us and allreduce_latency_us"),
                ("MoE layer", moe_points, moe_best, shipped_values(shipped, (MOE_LAYER_KEY,)), MOE_LAYER_KEY)):
            held, point, scores = shipped_point(grid_points, grid_best, held_points, TOLERANCE)
            if not held:
                print(f"data/engines.json holds {sorted(held_points, key=str)}, the fit gives {grid_best[1]} "
                      f"(within {100 * TOLERANCE:.2f} points is accepted): rewrite {keys} of the vllm, sglang and "
                      "trtllm GPU factor sets", file=sys.stderr)
                failed = True
            else:
                print(f"data/engines.json holds {point} ({name}): {100 * scores[point]:.2f} % against the best "
                      f"{100 * grid_best[0]:.2f} %")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
