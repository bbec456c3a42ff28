"""What the serving-engine fits share (scripts/fit_compute_efficiency.py, scripts/fit_decode_step.py;
the paths, the GPU factor sets and the harness runs also serve fit_eager_overhead.py and
fit_per_engine.py).

The grid fits write candidate factors into a copy of data/engines.json, run the harness on it as a catalog
overlay (dsselect_validate --engine-profiles --catalog), and score the point by the fit rows'
dense and MoE TPOT medians of absolute error. Hold-out rows are never read.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINES = os.path.join(ROOT, "data", "engines.json")
CATALOG = os.path.join(ROOT, "tests", "validation", "catalog.json")
SERVING_ENGINES = ("vllm", "sglang", "trtllm")
# The one MoE run of the fit system served by vLLM (MiniMax-M2.5, h100_sxm, vLLM v0.18.0): left out of
# every figure by tests/validation/protocols.json's unreproduced_runs, since its script set PIECEWISE
# CUDA graphs (a decode step's attention outside the graphs). A prompt step above cuda_graph_max_tokens
# runs eagerly under either mode, so scripts/fit_eager_overhead.py admits the run for one fit, vLLM's
# own eager_moe_layer_overhead_us on its TTFT (docs/validation-study.md section 37).
PROTOCOLS = os.path.join(ROOT, "tests", "validation", "protocols.json")
ADMITTED_RUN = {"system": "h100_sxm", "backend": "vllm", "model_path_contains": "MiniMax", "filter_model": "MiniMax"}
# The engine whose eager_moe_layer_overhead_us is its own (OWN_FACTORS), fitted on the admitted run.
OWN_MOE_ENGINE = ADMITTED_RUN["backend"]
# The factors data/engines.json gives an engine its OWN value for: those its own fit rows identify
# away from the grid's edge (scripts/fit_per_engine.py, whose --check holds each to its CLAIMS
# value; docs/validation-study.md sections 23 and 29). The pooled fits still score the pooled
# hypothesis (one value written into every engine), and read the shipped pooled value from the
# engines without an own one. vLLM's eager MoE-layer value is fitted on the admitted run above.
OWN_FACTORS = {("vllm", "memory_efficiency"), ("vllm", "compute_efficiency FP8"), ("trtllm", "compute_efficiency FP8"),
               (OWN_MOE_ENGINE, "eager_moe_layer_overhead_us")}


def admitted_protocols(script, protocols):
    """A copy of the protocols document without the ADMITTED_RUN's unreproduced_runs entry, or a
    one-line error naming `script` unless exactly one entry matches."""
    copy = json.loads(json.dumps(protocols))
    removed = 0
    for protocol in copy.get("protocols", []):
        if "unreproduced_runs" not in protocol:
            continue
        kept = []
        for run in protocol["unreproduced_runs"]:
            if (run.get("system") == ADMITTED_RUN["system"] and run.get("backend") == ADMITTED_RUN["backend"] and
                    any(ADMITTED_RUN["model_path_contains"] in path for path in run.get("model_paths", []))):
                removed += 1
            else:
                kept.append(run)
        protocol["unreproduced_runs"] = kept
    if removed != 1:
        sys.exit(f"{script}: {PROTOCOLS}: expected one unreproduced {ADMITTED_RUN['backend']} "
                 f"{ADMITTED_RUN['model_path_contains']} run on {ADMITTED_RUN['system']}, found {removed}")
    return copy


def admitted_run_arguments(protocols_path):
    """The harness arguments that time the admitted run's rows alone, with its protocols copy."""
    return ["--protocols", protocols_path, "--filter-system", ADMITTED_RUN["system"],
            "--filter-model", ADMITTED_RUN["filter_model"]]


def pooled_engines(factor):
    """The serving engines whose `factor` (named as in OWN_FACTORS) is the pooled value."""
    return [engine for engine in SERVING_ENGINES if (engine, factor) not in OWN_FACTORS]


def gpu_sets(engine, script):
    """An engine's GPU factor sets (hardware_kind gpu), or a one-line error naming `script` when it
    has none (the fits write their factors into every one of them)."""
    sets = [f for f in engine.get("factors", []) if f.get("hardware_kind") == "gpu"]
    if not sets:
        sys.exit(f"{script}: {ENGINES}: engine '{engine['id']}' has no GPU factor set")
    return sets


def harness_path(script, validate):
    """The harness as an absolute path: a name on PATH, or a path from the caller's directory."""
    found = shutil.which(validate)
    if found is None:
        sys.exit(f"{script}: cannot run the harness {validate}: not an executable file")
    return os.path.abspath(found)


def harness_report(script, validate, overlay_path, catalog, engines):
    """The harness's JSON report (--engine-profiles --format json) with `engines` overlaid on the
    validation catalog (--catalog), or a one-line error naming the harness."""
    overlay = dict(catalog)
    overlay["engines"] = engines["engines"]
    with open(overlay_path, "w", encoding="utf-8") as f:
        json.dump(overlay, f)
    try:
        out = subprocess.run([validate, "--engine-profiles", "--catalog", overlay_path, "--format", "json"],
                             cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError as error:
        sys.exit(f"{script}: cannot run the harness {validate}: {error.strerror}")
    if out.returncode != 0:
        first_line = (out.stderr.strip().splitlines() or ["no message"])[0]
        sys.exit(f"{script}: {validate} exited with {out.returncode}: {first_line}")
    try:
        report = json.loads(out.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        sys.exit(f"{script}: {validate} printed no harness report (a JSON object)")
    return report


def fit_tpot_medians(script, validate, overlay_path, catalog, engines):
    """The fit rows' TPOT median of absolute error, {"dense": x, "moe": y}, with `engines` overlaid."""
    report = harness_report(script, validate, overlay_path, catalog, engines)
    medians = {}
    try:
        for entry in report["overall"]:
            if entry["set"] == "fit" and entry["system"] == "":
                medians[entry["kind"]] = float(entry["tpot"]["median_ape"])
    except (ValueError, KeyError, TypeError) as error:
        sys.exit(f"{script}: {validate} printed no harness report (JSON with overall[].tpot.median_ape): "
                 f"{type(error).__name__}: {error}")
    if set(medians) != {"dense", "moe"}:
        sys.exit(f"{script}: the harness reported no dense or no MoE fit rows")
    return medians


def parse_args(doc, what):
    """The fits' command line: the harness, and --check (fail unless data/engines.json holds `what`)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("validate", help="the dsselect_validate binary")
    parser.add_argument("--check", action="store_true", help=f"fail unless data/engines.json holds {what}")
    return parser.parse_args()


def read_json_object(script, path):
    """A JSON file whose top level is an object, or a one-line error naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except OSError as error:
        sys.exit(f"{script}: {path}: {error.strerror}")
    except ValueError as error:
        sys.exit(f"{script}: {path}: not JSON: {error}")
    if not isinstance(value, dict):
        sys.exit(f"{script}: {path}: expected a JSON object at the top level")
    return value


def load_inputs(script):
    """data/engines.json (with an "engines" array) and the validation catalog, parsed."""
    shipped = read_json_object(script, ENGINES)
    engines = shipped.get("engines")
    if not isinstance(engines, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in engines):
        sys.exit(f"{script}: {ENGINES}: /engines: expected an array of engine objects, each with a string id")
    return shipped, read_json_object(script, CATALOG)


def run_grid(script, validate, shipped, catalog, grid, apply):
    """Score every point of `grid` (a list of tuples): apply(engines, *point) writes the point into a
    copy of the shipped engines. Returns [(objective, point, medians)] in grid order; the objective
    is the mean of the fit rows' dense and MoE TPOT medians, rounded to 6 places so that ties go to
    the point listed first."""
    harness = harness_path(script, validate)
    points = []
    with tempfile.TemporaryDirectory() as tmp:
        overlay_path = os.path.join(tmp, "catalog.json")
        for point in grid:
            engines = json.loads(json.dumps(shipped))
            apply(engines, *point)
            medians = fit_tpot_medians(script, harness, overlay_path, catalog, engines)
            points.append((round((medians["dense"] + medians["moe"]) / 2.0, 6), point, medians))
    return points


def shipped_point(points, best, shipped_points, tolerance):
    """(whether data/engines.json holds one point scoring within `tolerance` of the best, that point
    or None, and every point's score)."""
    scores = {point: value for value, point, _ in points}
    point = next(iter(shipped_points)) if len(shipped_points) == 1 else None
    return point in scores and scores[point] <= best[0] + tolerance, point, scores
