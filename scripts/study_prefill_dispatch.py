#!/usr/bin/env python3
"""Study (issue 20): would a per-layer dispatch latency on each prefill explain the TTFT misses?

Usage:
  scripts/study_prefill_dispatch.py VALIDATE            # print the study's table (markdown)
  scripts/study_prefill_dispatch.py VALIDATE --write    # put it into docs/validation-study.md
  scripts/study_prefill_dispatch.py VALIDATE --check    # fail unless the doc holds today's table

VALIDATE is the built harness (build/test/bench/dsselect_validate). The hypothesis is the one
NVIDIA's aiconfigurator models for vLLM (aic-core sdk/backends/vllm_backend.py,
_prefill_dispatch_overhead_ms: "CPU-side Python dispatch across all layers ... does not appear in
per-kernel measurements and does not scale with batch size"): each request's first token waits a
host-side latency proportional to the model's layers, without holding the GPU, so the running
decodes do not see it. Here it is added to each row's predicted TTFT (the mean over the simulated
requests of the row's benchmark client, docs/validation.md) as
    (L * per_layer_us + L_moe * per_moe_layer_us) / 1000 ms
with L the layers and L_moe the MoE layers of tests/validation/catalog.json.

Each factor is chosen on the fit rows only (tests/validation/split.json), on a 25 us grid from 0
to 3,000 us, by the median absolute TTFT error of the rows it applies to; ties go to the lower
value. The hold-out columns are reported after the choice and never used for it. Nothing here
changes the product: the table records why no such factor ships (docs/validation-study.md, 8).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "tests", "validation", "catalog.json")
DOC = os.path.join(ROOT, "docs", "validation-study.md")
BEGIN = "<!-- study_prefill_dispatch.py: begin (generated; do not edit) -->"
END = "<!-- study_prefill_dispatch.py: end -->"
GRID_US = range(0, 3001, 25)
ENGINES = ("trtllm", "vllm", "sglang")


def layers_by_model():
    """Model id -> (layers, MoE layers) from the harness catalog."""
    with open(CATALOG, encoding="utf-8") as f:
        models = json.load(f)["models"]
    out = {}
    for m in models:
        a = m["architecture"]
        layers = a["num_hidden_layers"]
        moe = layers - a.get("first_k_dense_replace", 0) if a.get("n_routed_experts") else 0
        out[m["id"]] = (layers, moe)
    return out


def harness_rows(validate):
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "rows.csv")
        # The harness reads its sample and catalog relative to the repository root.
        try:
            done = subprocess.run([os.path.abspath(validate), "--engine-profiles", "--dump", dump], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, check=False)
        except OSError as error:
            sys.exit(f"study_prefill_dispatch: cannot run the harness {validate}: {error.strerror}")
        if done.returncode != 0:
            sys.exit(f"study_prefill_dispatch: {validate} --engine-profiles --dump exited {done.returncode}")
        with open(dump, encoding="utf-8", newline="") as f:
            return [r for r in csv.DictReader(f) if r["ok"] == "1"]


def signed_errors(rows, layers, per_layer_us, per_moe_layer_us):
    """Signed TTFT errors in % with the dispatch latency added; per_layer_us maps engine -> us."""
    errors = []
    for r in rows:
        n, n_moe = layers[r["model"]]
        added_ms = (n * per_layer_us.get(r["backend"], 0) + n_moe * per_moe_layer_us) / 1000.0
        measured = float(r["measured_ttft_ms"])
        errors.append((float(r["predicted_ttft_ms"]) + added_ms - measured) / measured * 100.0)
    return errors


def median_ape(errors):
    return statistics.median(abs(e) for e in errors)


def best(rows, layers, make):
    """The grid value with the lowest median absolute error on `rows`; make(v) -> (per_layer, per_moe)."""
    return min(GRID_US, key=lambda v: (median_ape(signed_errors(rows, layers, *make(v))), v))


def cell(rows, layers, per_layer_us, per_moe_layer_us):
    e = signed_errors(rows, layers, per_layer_us, per_moe_layer_us)
    return f"{median_ape(e):.1f} % ({statistics.mean(e):+.1f} %)"


def table(validate):
    layers = layers_by_model()
    rows = harness_rows(validate)
    subset = {(s, dense): [r for r in rows if r["set"] == s and r["dense"] == dense]
              for s in ("fit", "hold-out") for dense in ("1", "0")}
    fit_dense, fit_moe = subset[("fit", "1")], subset[("fit", "0")]

    pooled = best(fit_dense, layers, lambda v: ({e: v for e in ENGINES}, 0))
    per_engine = {}
    for engine in ENGINES:
        engine_rows = [r for r in fit_dense if r["backend"] == engine]
        per_engine[engine] = best(engine_rows, layers, lambda v, engine=engine: ({engine: v}, 0)) if engine_rows else 0
    moe = best(fit_moe, layers, lambda v: ({}, v))

    variants = [
        ("none (as shipped)", "-", {}, 0),
        ("per layer, pooled (dense fit rows)", f"{pooled} us", {e: pooled for e in ENGINES}, 0),
        ("per layer, per engine (dense fit rows)",
         ", ".join(f"{e} {per_engine[e]} us" for e in ENGINES), per_engine, 0),
        ("per MoE layer (MoE fit rows)", f"{moe} us", {}, moe),
    ]
    lines = ["| dispatch latency | chosen on the fit rows | fit: dense TTFT | fit: MoE TTFT | hold-out: dense TTFT | "
             "hold-out: MoE TTFT |",
             "|---|---|---:|---:|---:|---:|"]
    for name, chosen, per_layer, per_moe in variants:
        cells = [cell(subset[key], layers, per_layer, per_moe)
                 for key in (("fit", "1"), ("fit", "0"), ("hold-out", "1"), ("hold-out", "0"))]
        lines.append(f"| {name} | {chosen} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Median absolute TTFT error, mean signed error in brackets; the benchmark protocol of "
                 "docs/validation.md; " + ", ".join(f"{len(subset[k])} {k[0]} {'dense' if k[1] == '1' else 'MoE'} rows"
                                                     for k in subset) + ".")
    return "\n".join(lines) + "\n"


def doc_block(text):
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < start:
        sys.exit(f"study_prefill_dispatch: {DOC}: the markers '{BEGIN}' and '{END}' are missing")
    return start + len(BEGIN) + 1, stop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("validate", help="the built harness, build/test/bench/dsselect_validate")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the table into docs/validation-study.md")
    mode.add_argument("--check", action="store_true", help="fail unless docs/validation-study.md holds the table")
    args = parser.parse_args()
    generated = table(args.validate)
    if not (args.write or args.check):
        sys.stdout.write(generated)
        return 0
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    start, stop = doc_block(text)
    if args.check:
        if text[start:stop] != generated:
            sys.stderr.write(f"study_prefill_dispatch: {DOC} is stale; run scripts/study_prefill_dispatch.py "
                             f"{args.validate} --write\n--- in the doc\n{text[start:stop]}--- today\n{generated}")
            return 1
        return 0
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(text[:start] + generated + text[stop:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
