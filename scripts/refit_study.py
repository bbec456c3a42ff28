#!/usr/bin/env python3
"""What the serving-engine factors become when fitted on other systems, and what the errors then are (issue 20).

Usage:
  scripts/refit_study.py VALIDATE --fit-systems h100_sxm,h200_sxm,b200_sxm,gb200 [--rounds N]
                         [--write-engines PATH]

VALIDATE is the built harness (build/test/bench/dsselect_validate). The script copies scripts/,
data/ and tests/validation/ into a scratch directory whose split.json names
--fit-systems, and there runs the three serving fits in turn, each from the values the one before
wrote: scripts/fit_compute_efficiency.py, scripts/fit_eager_overhead.py, scripts/fit_decode_step.py.
It stops when a round changes nothing (a fixed point), when a round ends in a state an earlier
round ended in (the fits are grid searches, so coordinate descent can cycle between neighbouring
grid points: the last state is kept), or after --rounds rounds. It then runs the harness twice with
the refitted factors as a catalog overlay (--catalog, as the fits do: without one the harness
times with the catalog built into it, the shipped factors): once in the scratch copy (the study
split's fit and hold-out rows) and once from the checkout (the shipped split's labels, so the
figures compare with docs/validation.md). Nothing in the checkout is written (unless
--write-engines names a path there).

A study, not a fit: data/engines.json keeps the factors fitted on the shipped fit systems
(tests/validation/split.json). vLLM's own memory efficiency (scripts/fit_per_engine.py) is not
refitted here: under another split it keeps the value fitted on the shipped fit systems. With every system as a fit system, the shipped hold-out rows are
in sample, so their errors show how far calibrating this model on the sample can go
(docs/validation-study.md, section 11). A round runs about 400 harness calls.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import serving_fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FITS = ("fit_compute_efficiency", "fit_eager_overhead", "fit_decode_step")
SERVING_ENGINES = serving_fit.SERVING_ENGINES
pooled_engines = serving_fit.pooled_engines
BIAS_LIMIT = 0.15  # issue 20: no hold-out subset with a mean signed error beyond this


def fail(message):
    sys.exit(f"refit_study: {message}")


def parse_best(fit, text):
    """The best point a fit script printed, as a tuple, or None when its report lacks it."""
    if fit == "fit_compute_efficiency":
        m = re.search(r"^best: BF16 ([0-9.]+), FP8 ([0-9.]+)", text, re.M)
        return (float(m[1]), float(m[2])) if m else None
    if fit == "fit_decode_step":
        m = re.search(r"^best: per_layer_overhead_us (\d+), allreduce_latency_us (\d+)", text, re.M)
        moe = re.search(r"^best: moe_layer_overhead_us (\d+)", text, re.M)
        return (int(m[1]), int(m[2]), int(moe[1])) if m and moe else None
    layers = [re.search(rf"^{engine}: eager_layer_overhead_us (\d+)", text, re.M) for engine in SERVING_ENGINES]
    moe = re.search(r"^pooled: eager_moe_layer_overhead_us (\d+)", text, re.M)
    if moe is None or any(m is None for m in layers):
        return None
    # vLLM's own MoE value where its admitted run has fit rows in this split, else the pooled one.
    own = re.search(rf"^{serving_fit.OWN_MOE_ENGINE}: own eager_moe_layer_overhead_us (\d+)", text, re.M)
    return (tuple(int(m[1]) for m in layers), int(moe[1]), int(own[1]) if own else int(moe[1]))


def fixed_point(step, state, rounds):
    """Apply step() until it returns its input, returns a state seen before, or `rounds` are spent.
    Returns (state, rounds run, "fixed point" | "cycle" | "rounds")."""
    seen = [state]
    for done in range(1, rounds + 1):
        state = step(state)
        if state == seen[-1]:
            return state, done, "fixed point"
        if state in seen:
            return state, done, "cycle"
        seen.append(state)
    return state, rounds, "rounds"


def current_state(engines):
    """The factors the three fits set, read from an engines document in the form one_round returns
    them: each pooled value from an engine that carries it (serving_fit.OWN_FACTORS names the own
    values the fits leave alone), the eager overhead per engine."""
    try:
        by_id = {e["id"]: e for e in engines["engines"]}

        def gpu_set(factor, precision):
            engine_id = pooled_engines(factor)[0]
            return next(f for f in by_id[engine_id]["factors"]
                        if f.get("hardware_kind") == "gpu" and f.get("precision") == precision)
        general = gpu_set("compute_efficiency BF16", None)
        fp8 = gpu_set("compute_efficiency FP8", "fp8")
        step = gpu_set("per_layer_overhead_us, allreduce_latency_us", None)
        def first_gpu_set(engine_id):
            return next(f for f in by_id[engine_id]["factors"] if f.get("hardware_kind") == "gpu")
        eager = tuple(first_gpu_set(e)["eager_layer_overhead_us"] for e in SERVING_ENGINES)
        return ((general["compute_efficiency"], fp8["compute_efficiency"]),
                (eager, first_gpu_set(pooled_engines("eager_moe_layer_overhead_us")[0])["eager_moe_layer_overhead_us"],
                 first_gpu_set(serving_fit.OWN_MOE_ENGINE)["eager_moe_layer_overhead_us"]),
                (step["per_layer_overhead_us"], step["allreduce_latency_us"], step["moe_layer_overhead_us"]))
    except (KeyError, TypeError, StopIteration, IndexError) as error:
        fail(f"data/engines.json: expected vllm, sglang and trtllm GPU factor sets with the fitted keys "
             f"(each: one without a precision and one for fp8): {type(error).__name__}: {error}")


def load_module(scratch, name):
    spec = importlib.util.spec_from_file_location(f"scratch_{name}", os.path.join(scratch, "scripts", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_scratch(tmp, fit_systems):
    scratch = os.path.join(tmp, "repo")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(scratch, "scripts"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "tests", "validation"), os.path.join(scratch, "tests", "validation"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "data"), os.path.join(scratch, "data"), ignore=ignore)
    split_path = os.path.join(scratch, "tests", "validation", "split.json")
    with open(split_path, encoding="utf-8") as f:
        split = json.load(f)
    split["fit_systems"] = list(fit_systems)
    split["reason"] = "scripts/refit_study.py: a study split, not the shipped one"
    with open(split_path, "w", encoding="utf-8") as f:
        json.dump(split, f, indent=2)
    return scratch


def harness_report(validate, cwd, catalog=None):
    """The harness's JSON report, run from `cwd` (whose tests/validation/split.json labels the rows)."""
    command = [validate, "--engine-profiles", "--format", "json"] + (["--catalog", catalog] if catalog else [])
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        fail(f"cannot run the harness {validate}: {error.strerror}")
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        fail(f"{validate} exited with {done.returncode}: {first}")
    try:
        report = json.loads(done.stdout)
        summary(report)
        {row["system"] for row in report["rows"]}  # noqa: B018  (the field the study reads)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        fail(f"{validate} printed no harness report (JSON with overall, subsets and rows): {type(error).__name__}: {error}")
    return report


def run_fit(scratch, fit, validate):
    """What one fit script of the scratch copy printed (it reads and fits from the copy's files)."""
    done = subprocess.run([sys.executable, os.path.join(scratch, "scripts", f"{fit}.py"), validate],
                          cwd=scratch, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        fail(f"{fit} exited with {done.returncode}: {first}")
    return done.stdout


def summary(report):
    """{(set, kind): (TTFT median APE, TPOT median APE, n)} over all systems, and the number of
    hold-out subset metrics with a mean signed error beyond BIAS_LIMIT, of how many."""
    medians = {(e["set"], e["kind"]): (e["ttft"]["median_ape"], e["tpot"]["median_ape"], e["ttft"]["n"])
               for e in report["overall"] if e["system"] == ""}
    metrics = [s[m]["mean_signed_error"] for s in report["subsets"] if s["set"] == "hold-out" for m in ("ttft", "tpot")]
    return medians, sum(abs(e) > BIAS_LIMIT for e in metrics), len(metrics)


def print_summary(title, report):
    medians, biased, metrics = summary(report)
    print(f"\n{title}")
    print("| rows | kind | n | TTFT median APE | TPOT median APE |")
    print("|---|---|---:|---:|---:|")
    for (row_set, kind), (ttft, tpot, n) in sorted(medians.items()):
        print(f"| {row_set} | {kind} | {n} | {100 * ttft:.1f} % | {100 * tpot:.1f} % |")
    if metrics:
        print(f"hold-out subset metrics beyond ±{100 * BIAS_LIMIT:.0f} % mean signed error: {biased} of {metrics}")
    else:
        print("no hold-out rows in this split")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("validate", help="the dsselect_validate binary")
    parser.add_argument("--fit-systems", required=True, help="comma-separated systems of the sample to fit on")
    parser.add_argument("--rounds", type=int, default=4, help="most rounds of the three fits (default 4)")
    parser.add_argument("--write-engines", metavar="PATH",
                        help="also write the refitted data/engines.json to PATH (indented by one space)")
    args = parser.parse_args()
    if args.rounds < 1:
        fail(f"--rounds: expected a whole number of at least 1, got {args.rounds}")
    validate = serving_fit.harness_path("refit_study", args.validate)
    if args.write_engines:
        target_dir = os.path.dirname(os.path.abspath(args.write_engines))
        if not os.path.isdir(target_dir) or not os.access(target_dir, os.W_OK) or os.path.isdir(args.write_engines):
            fail(f"--write-engines: {args.write_engines}: expected a file path in a writable directory")
    fit_systems = [s.strip() for s in args.fit_systems.split(",")]
    shipped = harness_report(validate, ROOT)
    known = sorted({row["system"] for row in shipped["rows"]})
    unknown = [s for s in fit_systems if s not in known]
    if not fit_systems or "" in fit_systems or unknown:
        fail(f"--fit-systems: expected systems of the sample's modelled rows ({', '.join(known)}), "
             f"got {args.fit_systems!r}")

    with tempfile.TemporaryDirectory() as tmp:
        scratch = make_scratch(tmp, sorted(set(fit_systems)))
        engines_path = os.path.join(scratch, "data", "engines.json")
        decode_step = load_module(scratch, "fit_decode_step")

        # A refit writes each pooled value back into the sets without an own one (OWN_FACTORS).
        def set_decode_step(engines, per_layer_us, allreduce_us, moe_layer_us):
            decode_step.set_pair(engines, per_layer_us, allreduce_us, pooled_only=True)
            decode_step.set_moe_layer(engines, moe_layer_us)
        compute = load_module(scratch, "fit_compute_efficiency")
        setters = {"fit_compute_efficiency": lambda engines, bf16, fp8: compute.set_pair(engines, bf16, fp8,
                                                                                         pooled_only=True),
                   "fit_decode_step": set_decode_step}
        set_eager = load_module(scratch, "fit_eager_overhead").set_values

        def write(fit, point):
            with open(engines_path, encoding="utf-8") as f:
                engines = json.load(f)
            if fit == "fit_eager_overhead":
                set_eager(engines, dict(zip(SERVING_ENGINES, point[0])), point[1], point[2])
            else:
                setters[fit](engines, *point)
            with open(engines_path, "w", encoding="utf-8") as f:
                json.dump(engines, f, indent=1)

        def one_round(state):
            points = []
            for fit in FITS:
                point = parse_best(fit, run_fit(scratch, fit, validate))
                if point is None:
                    fail(f"{fit} printed no best point")
                write(fit, point)
                points.append(point)
            print(f"round: compute efficiency BF16/FP8 {points[0]}, eager per-layer us (vllm, sglang, trtllm) and "
                  f"per MoE layer (pooled, vLLM's) {points[1]}, per-layer, all-reduce and MoE-layer us {points[2]}", flush=True)
            return tuple(points)

        print(f"fit systems: {', '.join(sorted(set(fit_systems)))}", flush=True)
        with open(engines_path, encoding="utf-8") as f:
            start = current_state(json.load(f))
        _, rounds, reason = fixed_point(one_round, start, args.rounds)
        print(f"stopped after {rounds} round(s): {reason}")
        with open(engines_path, encoding="utf-8") as f:
            refitted = json.load(f)
        if args.write_engines:
            try:
                with open(args.write_engines, "w", encoding="utf-8") as f:
                    json.dump(refitted, f, indent=1)
                    f.write("\n")
            except OSError as error:
                fail(f"--write-engines: {args.write_engines}: {error.strerror}")
            print(f"wrote the refitted engines to {args.write_engines} (JSON indented by one space, not the "
                  f"shipped layout; stopped on: {reason})")
        overlay = serving_fit.read_json_object("refit_study", serving_fit.CATALOG)
        overlay["engines"] = refitted["engines"]
        overlay_path = os.path.join(tmp, "overlay.json")
        with open(overlay_path, "w", encoding="utf-8") as f:
            json.dump(overlay, f)
        print_summary("Study split (the refit's own fit and hold-out rows):", harness_report(validate, scratch, overlay_path))
        print_summary("Shipped split, refitted factors:", harness_report(validate, ROOT, overlay_path))
        print_summary("Shipped split, shipped factors (docs/validation.md):", shipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
