#!/usr/bin/env python3
"""Each serving engine's speed factors fitted on its own fit rows, beside the pooled values (issue 20).

Usage:
  scripts/fit_per_engine.py VALIDATE            # markdown table: per engine and factor, own best and pooled
  scripts/fit_per_engine.py VALIDATE --format json
  scripts/fit_per_engine.py VALIDATE --check    # fail unless each engine's own best is still what the docs say

VALIDATE is the built harness (build/test/bench/dsselect_validate). vllm, sglang and trtllm share
one compute efficiency pair (scripts/fit_compute_efficiency.py) and one decode-step pair
(scripts/fit_decode_step.py), each fitted on the fit rows of all three engines together. This
script asks what each engine's own rows would choose: for every engine and factor it runs the same
grid as the pooled fit with the point written into that engine's GPU factor sets only (a catalog
overlay, --catalog; the other engines keep the shipped values), and scores it on that engine's fit
rows only: the mean of their dense and MoE TPOT medians of absolute error (MoE where the engine has
MoE rows), restricted to the rows of the factor's precision for a compute efficiency.

The factors: the memory efficiency (eta_m, the one engine factor shipped per engine: vLLM's own,
data/engines.json), the 16-bit and FP8 compute efficiencies and the decode step's pair. For each
engine and factor it reports the rows scored, the shipped (pooled) value and its score,
the engine's own best point and its score, and whether the rows identify the factor: a factor is
"not identified" when grid points with other values score within TOLERANCE of the best (a flat
ridge: the vLLM fit rows hold one TP 1 row and SGLang's none, so they fix per-layer + 2 x
all-reduce and not the split), and a best point on the grid's edge is flagged (the rows would go
further). An engine with fewer than MIN_ROWS rows for a factor is listed without a fit.

A study and a check, not a writer: nothing is written. --check fits only the (engine, factor) pairs of CLAIMS,
whose own best README.md and docs/method.md state (or that the engine's rows do not identify it),
and fails when a fit no longer gives it (ctest per_engine_fit_current). Hold-out rows are never read (only rows the harness marks
"fit" are scored). The findings and what they mean for the pooled profiles are in
docs/validation-study.md, sections 17, 18 and 23. About 540 harness calls (three and a half minutes on two cores).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

from fit_compute_efficiency import BF16_GRID, EIGHT_BIT, FP8_GRID
from fit_decode_step import ALLREDUCE_GRID_US, PER_LAYER_GRID_US
from serving_fit import SERVING_ENGINES, harness_path, harness_report, load_inputs
from serving_fit import gpu_sets as serving_gpu_sets

SCRIPT = "fit_per_engine"
# A grid point with another value scoring within this of the best leaves the factor unidentified:
# the same margin scripts/fit_decode_step.py's --check gives the pooled pair.
TOLERANCE = 0.0005
MIN_ROWS = 20


def gpu_sets(engine):
    return serving_gpu_sets(engine, SCRIPT)


def engine_entry(engines, engine_id):
    entry = next((e for e in engines["engines"] if e["id"] == engine_id), None)
    if entry is None:
        sys.exit(f"{SCRIPT}: data/engines.json: no engine '{engine_id}'")
    gpu_sets(entry)  # exits naming the engine when it has no GPU factor set
    return entry


def set_bf16(engine, value):
    for factor_set in gpu_sets(engine):
        if "precision" not in factor_set:
            factor_set["compute_efficiency"] = value


def set_fp8(engine, value):
    for factor_set in gpu_sets(engine):
        if factor_set.get("precision") in EIGHT_BIT:
            factor_set["compute_efficiency"] = value


def set_decode(engine, value):
    for factor_set in gpu_sets(engine):
        factor_set["per_layer_overhead_us"], factor_set["allreduce_latency_us"] = value


def set_memory(engine, value):
    for factor_set in gpu_sets(engine):
        factor_set["memory_efficiency"] = value


def get_memory(engine):
    return next(f["memory_efficiency"] for f in gpu_sets(engine) if "precision" not in f)


def get_bf16(engine):
    return next(f["compute_efficiency"] for f in gpu_sets(engine) if "precision" not in f)


def get_fp8(engine):
    return next(f["compute_efficiency"] for f in gpu_sets(engine) if f.get("precision") == "fp8")


def get_decode(engine):
    general = next(f for f in gpu_sets(engine) if "precision" not in f)
    return (general["per_layer_overhead_us"], general["allreduce_latency_us"])


# eta_m, the share of the datasheet bandwidth the decode's weight and KV reads reach: 0.50 to 0.90.
MEMORY_GRID = [round(0.50 + 0.05 * i, 2) for i in range(9)]

# (name, the precision of the rows scored or None for all, grid, write, read)
FACTORS = (
    ("memory_efficiency", None, MEMORY_GRID, set_memory, get_memory),
    ("compute_efficiency BF16", "bf16", BF16_GRID, set_bf16, get_bf16),
    ("compute_efficiency FP8", "fp8", FP8_GRID, set_fp8, get_fp8),
    ("per_layer_overhead_us, allreduce_latency_us", None,
     [(p, a) for p in PER_LAYER_GRID_US for a in ALLREDUCE_GRID_US], set_decode, get_decode),
)


def fit_rows(report):
    """The harness report's fit rows as (engine, precision, kind, absolute TPOT error); hold-out
    rows are dropped here, before anything reads their figures."""
    out = []
    try:
        for row in report["rows"]:
            if row["set"] != "fit" or row["status"] != "ok":
                continue
            _model, _system, precision, backend = (part.strip() for part in row["subset"].split("|"))
            error = abs(float(row["predicted_tpot_ms"]) / float(row["measured_tpot_ms"]) - 1.0)
            out.append((backend, precision, row["kind"], error))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        sys.exit(f"{SCRIPT}: the harness printed no rows with set, status, subset, kind and TPOT figures: "
                 f"{type(error).__name__}: {error}")
    return out


def score(rows, engine_id, precision):
    """(rows scored, mean of the dense and MoE TPOT medians) over the engine's fit rows of `precision`."""
    medians = []
    count = 0
    for kind in ("dense", "moe"):
        errors = [e for b, p, k, e in rows if b == engine_id and k == kind and (precision is None or p == precision)]
        if errors:
            medians.append(statistics.median(errors))
            count += len(errors)
    return count, (round(sum(medians) / len(medians), 6) if medians else None)


def harness_rows(validate, overlay_path, catalog, engines):
    return fit_rows(harness_report(SCRIPT, validate, overlay_path, catalog, engines))


def fit_factor(run, shipped, engine_id, factor):
    """One engine's own fit of one factor: a dict for the report."""
    name, precision, grid, write, read = factor
    pooled = read(engine_entry(shipped, engine_id))
    points = []
    for value in grid:
        engines = json.loads(json.dumps(shipped))
        write(engine_entry(engines, engine_id), value)
        count, objective = score(run(engines), engine_id, precision)
        if count < MIN_ROWS:
            return {"engine": engine_id, "factor": name, "rows": count, "pooled": pooled, "fitted": False}
        points.append((objective, value))
    best_objective, best_value = min(points, key=lambda p: p[0])  # min keeps the first of equal values
    near = [value for objective, value in points if objective <= best_objective + TOLERANCE]
    scores = dict((value, objective) for objective, value in points)
    return {"engine": engine_id, "factor": name, "rows": count, "pooled": pooled, "fitted": True,
            "pooled_score": scores.get(pooled), "best": best_value, "best_score": best_objective,
            "identified": len(near) == 1, "near": near, "at_edge": at_edge(grid, best_value)}


def at_edge(grid, value):
    """Whether a grid point lies on the grid's boundary (in any coordinate of a pair): the rows
    would go further than the grid lets them."""
    if isinstance(value, tuple):
        return any(v in (min(p[i] for p in grid), max(p[i] for p in grid)) for i, v in enumerate(value))
    return value in (min(grid), max(grid))


def text_value(value):
    return ", ".join(str(v) for v in value) if isinstance(value, tuple) else f"{value:.2f}"


def markdown(results):
    out = ["| engine | factor | fit rows | shipped | its score | own best | its score | identified |",
           "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        if not r["fitted"]:
            out.append(f"| {r['engine']} | {r['factor']} | {r['rows']} | {text_value(r['pooled'])} | - | "
                       f"- | - | no fit: fewer than {MIN_ROWS} rows |")
            continue
        pooled_score = "-" if r["pooled_score"] is None else f"{100 * r['pooled_score']:.2f} %"
        identified = ("yes" if r["identified"] else
                      f"no: {len(r['near'])} grid points within {100 * TOLERANCE:.2f} points of the best")
        if r["at_edge"]:
            identified += " (best on the grid's edge)"
        out.append(f"| {r['engine']} | {r['factor']} | {r['rows']} | {text_value(r['pooled'])} | {pooled_score} | "
                   f"{text_value(r['best'])} | {100 * r['best_score']:.2f} % | {identified} |")
    return "\n".join(out)


# What the docs say of the per-engine fits (README.md, docs/method.md "The roofline factors are
# POOLED", docs/validation.md's effect texts, docs/validation-study.md sections 17, 18 and 23): each
# claimed (engine, factor) pair with the best its own fit rows give, or None where the docs say its
# rows do not identify it, or {"best": v, "identified": False} where it is their best with other grid
# points within the tolerance. --check (ctest per_engine_fit_current) fails when a fit no longer says so.
# The own values that ship (data/engines.json; serving_fit.OWN_FACTORS) are vLLM's memory_efficiency
# and the FP8 compute_efficiency of vLLM and TensorRT-LLM: their claims are the shipped values, so the
# check fails when the engine's rows stop choosing them.
CLAIMS = {("vllm", "memory_efficiency"): {"best": 0.65, "identified": False}, ("sglang", "memory_efficiency"): None,
          ("trtllm", "memory_efficiency"): 0.90,
          ("trtllm", "compute_efficiency FP8"): 0.55, ("vllm", "compute_efficiency FP8"): 0.55,
          ("trtllm", "per_layer_overhead_us, allreduce_latency_us"): None}


def same_value(a, b):
    """Two grid points (numbers, or tuples or lists of numbers) are the same to a millionth."""
    a, b = (tuple(v) if isinstance(v, (tuple, list)) else (v,) for v in (a, b))
    return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))


def claim_failures(results):
    """One line for each claimed (engine, factor) whose own fit no longer gives what the docs say."""
    out = []
    for (engine_id, name), claimed in CLAIMS.items():
        r = next((r for r in results if r["engine"] == engine_id and r["factor"] == name), None)
        if r is None or not r["fitted"]:
            out.append(f"{engine_id} {name}: no fit ({'not run' if r is None else str(r['rows']) + ' rows'})")
            continue
        found = f"{text_value(r['best'])}, {'identified' if r['identified'] else 'not identified'}"
        if isinstance(claimed, dict):  # the best point, with other grid points within the tolerance or not
            said = f"{text_value(claimed['best'])}, {'identified' if claimed['identified'] else 'not identified'}"
            holds = r["identified"] == claimed["identified"] and same_value(r["best"], claimed["best"])
        else:
            said = "not identified" if claimed is None else f"{text_value(claimed)}, identified"
            holds = not r["identified"] if claimed is None else (r["identified"] and same_value(r["best"], claimed))
        if not holds:
            out.append(f"{engine_id} {name}: its own fit rows give {found} (pooled {text_value(r['pooled'])}); "
                       f"the docs say {said}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("validate", help="the dsselect_validate binary")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--check", action="store_true",
                        help="fit only the claimed factors (CLAIMS) and fail unless each own best is the claimed one")
    args = parser.parse_args()
    shipped, catalog = load_inputs(SCRIPT)
    harness = harness_path(SCRIPT, args.validate)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        overlay_path = os.path.join(tmp, "catalog.json")
        run = lambda engines: harness_rows(harness, overlay_path, catalog, engines)  # noqa: E731
        for engine_id in SERVING_ENGINES:
            for factor in FACTORS:
                if not args.check or (engine_id, factor[0]) in CLAIMS:
                    results.append(fit_factor(run, shipped, engine_id, factor))
    if args.format == "json":
        print(json.dumps(results, indent=1))
    else:
        print(markdown(results))
        print(f"\nScore: the mean of the engine's fit-row dense and MoE TPOT medians of absolute error (rows of the "
              f"factor's precision for a compute efficiency); the other engines keep the shipped values. "
              f"Fit rows only.")
    if args.check:
        failures = claim_failures(results)
        for line in failures:
            print(f"fit_per_engine: {line}", file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
