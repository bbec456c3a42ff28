#!/usr/bin/env python3
"""vLLM's eager MoE-layer overhead on the fit system's only vLLM MoE rows (issue 20; the grid of its fit).

Usage:
  scripts/vllm_moe_eager_study.py VALIDATE                     # the table of docs/validation-study.md section 37
  scripts/vllm_moe_eager_study.py VALIDATE --grid-max-us 100   # fewer grid points

VALIDATE is the built harness (build/test/bench/dsselect_validate). Writes nothing in the checkout.

The MoE fit rows are TensorRT-LLM's only, so eager_moe_layer_overhead_us (host time per MoE layer of
a step that runs outside CUDA graphs) is pooled and fitted on them for SGLang and TensorRT-LLM
(scripts/fit_eager_overhead.py), which fits vLLM's own on the TTFT of the fit system's one vLLM MoE
run (serving_fit.ADMITTED_RUN). This script prints that fit's grid with what each value does
elsewhere. The run: MiniMax-M2.5 on h100_sxm, vLLM v0.18.0, left out
by tests/validation/protocols.json's unreproduced_runs because its script set cudagraph_mode PIECEWISE
(a decode step's attention outside the CUDA graphs, which no profile models). A prompt step above
cuda_graph_max_tokens runs eagerly under either mode, so the run's TTFT speaks to the eager MoE
overhead. This study admits that run (a copy of protocols.json without its unreproduced entry),
sets vLLM's eager_moe_layer_overhead_us to each grid value in every GPU factor set (a catalog
overlay, as the fits do), and prints, per value: the admitted fit rows' TTFT and TPOT (median
absolute error, mean signed), and the MoE hold-out rows under the shipped protocols (all engines, and
vLLM's alone; only vLLM's rows move). The fit's choice is the lowest TTFT median of the admitted rows
(ties to the lower; their decode ran PIECEWISE graphs, so their TPOT does not score); the hold-out
columns are printed for the study, not for the choice.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

from serving_fit import (ADMITTED_RUN, CATALOG, ENGINES, OWN_MOE_ENGINE, PROTOCOLS, ROOT, admitted_protocols, admitted_run_arguments,
                         gpu_sets, harness_path, read_json_object)

GRID_STEP_US = 50
GRID_MAX_US = 800
SCRIPT = "vllm_moe_eager_study"


def rows(validate, tmp, overlay, extra):
    dump = os.path.join(tmp, "rows.csv")
    try:
        done = subprocess.run([validate, "--engine-profiles", "--catalog", overlay, "--dump", dump] + extra,
                              cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError as error:
        sys.exit(f"{SCRIPT}: cannot run the harness {validate}: {error.strerror}")
    if done.returncode != 0:
        sys.exit(f"{SCRIPT}: {validate} failed: {done.stderr.strip()}")
    with open(dump, encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["ok"] == "1"]


def errors(selected, metric):
    """(median absolute error, mean signed error) in percent of `metric` over `selected` rows."""
    if not selected:
        sys.exit(f"{SCRIPT}: no rows to score")
    signed = [float(r[f"predicted_{metric}_ms"]) / float(r[f"measured_{metric}_ms"]) - 1.0 for r in selected]
    return 100.0 * statistics.median(abs(e) for e in signed), 100.0 * statistics.mean(signed)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("validate", help="the dsselect_validate binary")
    parser.add_argument("--grid-max-us", type=int, default=GRID_MAX_US, metavar="US",
                        help=f"the grid's last value (default {GRID_MAX_US}; a multiple of {GRID_STEP_US})")
    args = parser.parse_args()
    if args.grid_max_us < GRID_STEP_US or args.grid_max_us % GRID_STEP_US != 0:
        parser.error(f"--grid-max-us: expected a positive multiple of {GRID_STEP_US}, got {args.grid_max_us}")
    validate = harness_path(SCRIPT, args.validate)
    catalog, shipped = read_json_object(SCRIPT, CATALOG), read_json_object(SCRIPT, ENGINES)
    vllm = [engine for engine in shipped["engines"] if engine["id"] == OWN_MOE_ENGINE]
    if len(vllm) != 1:
        sys.exit(f"{SCRIPT}: {ENGINES}: expected one engine '{OWN_MOE_ENGINE}'")
    with tempfile.TemporaryDirectory() as tmp:
        protocols = os.path.join(tmp, "protocols.json")
        with open(protocols, "w", encoding="utf-8") as f:
            json.dump(admitted_protocols(SCRIPT, read_json_object(SCRIPT, PROTOCOLS)), f)
        overlay = os.path.join(tmp, "catalog.json")
        table = []
        fit_count = None
        for value in range(0, args.grid_max_us + 1, GRID_STEP_US):
            engine = json.loads(json.dumps(vllm[0]))
            for factor_set in gpu_sets(engine, SCRIPT):
                factor_set["eager_moe_layer_overhead_us"] = value
            with open(overlay, "w", encoding="utf-8") as f:
                json.dump(dict(catalog, engines=[engine]), f)
            admitted = [r for r in rows(validate, tmp, overlay, admitted_run_arguments(protocols))
                        if r["set"] == "fit" and r["backend"] == ADMITTED_RUN["backend"]]
            if fit_count is None:
                fit_count = len(admitted)
            elif len(admitted) != fit_count:
                sys.exit(f"{SCRIPT}: {len(admitted)} admitted rows timed at {value} us, {fit_count} at 0 us")
            hold_out = [r for r in rows(validate, tmp, overlay, []) if r["set"] == "hold-out" and r["dense"] == "0"]
            vllm_hold_out = [r for r in hold_out if r["backend"] == OWN_MOE_ENGINE]
            ttft, tpot = errors(admitted, "ttft"), errors(admitted, "tpot")
            table.append((value, ttft[0], ttft, tpot, errors(hold_out, "ttft"), errors(hold_out, "tpot"),
                          errors(vllm_hold_out, "ttft"), errors(vllm_hold_out, "tpot"), len(hold_out), len(vllm_hold_out)))
    best = min(table, key=lambda row: (round(row[1], 4), row[0]))[0]
    print(f"Admitted fit rows: {fit_count} (MiniMax-M2.5, h100_sxm, vLLM v0.18.0, PIECEWISE CUDA graphs); MoE hold-out "
          f"rows: {table[0][8]}, of them vLLM's {table[0][9]}. Cells: median absolute error (mean signed), %.\n")
    print("| eager_moe_layer_overhead_us | fit TTFT | fit TPOT | MoE hold-out TTFT | MoE hold-out TPOT "
          "| vLLM MoE hold-out TTFT | vLLM MoE hold-out TPOT |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    cell = lambda pair: f"{pair[0]:.1f} ({pair[1]:+.1f})"
    for value, objective, ttft, tpot, ho_ttft, ho_tpot, v_ttft, v_tpot, _, _ in table:
        mark = " (fit rows' best)" if value == best else ""
        print(f"| {value}{mark} | {cell(ttft)} | {cell(tpot)} | {cell(ho_ttft)} | {cell(ho_tpot)} "
              f"| {cell(v_ttft)} | {cell(v_tpot)} |")
    print(f"\nThe admitted rows' best: {best} us (their TTFT median, scripts/fit_eager_overhead.py's objective for "
          "vLLM's own value; ties to the lower).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
