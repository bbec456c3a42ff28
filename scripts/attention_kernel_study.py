#!/usr/bin/env python3
"""Fits each serving engine's prefill attention kernel rate on NVIDIA aiconfigurator's H100 timings.

Reads tests/validation/data/aiconfigurator-h100-context-attention.csv (one layer's causal prompt
attention, FlashAttention and the like, 16-bit queries and KV cache, head_dim 128, no window, no
cached prefix; provenance in that folder's NOTICE) and the H100 SXM's 16-bit peak from
data/hardware.json. A row of B prompts of P tokens and h query heads does the attention FLOPs the
estimator counts, 2 B h d P^2 (QK^T and PV, 4 B h d P^2, halved by the causal mask), so its
achieved share of the peak is those FLOPs / (latency x peak). An engine's
attention_kernel_efficiency is the median share over the rows of at least
FIT_MIN_TOKENS tokens and FIT_MIN_PARALLEL prompts x heads (the long prompts where the kernel's
fixed costs are a few per cent), rounded to ROUND places. Shorter prompts reach a smaller share,
which the rate does not model (the generated page shows by how much); attention is a few per cent of
their FLOPs.

The shipped engine profiles leave the key unset (docs/validation-study.md, section 36): the fitted
shares go to an engine overlay, tests/validation/attention-kernels.json, which `dsselect --data`
takes. Writes docs/validation-attention-kernels.md and that overlay; --check exits 1 when either
differs from what the fit gives, or when data/engines.json sets a share at all (the page says it
sets none) (ctest attention_kernel_study_current)."""
import argparse
import csv
import json
import math
import os
import statistics
import sys

import generated_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_REL = "tests/validation/data/aiconfigurator-h100-context-attention.csv"
HARDWARE_REL = "data/hardware.json"
ENGINES_REL = "data/engines.json"
OUT = os.path.join(ROOT, "docs", "validation-attention-kernels.md")
OVERLAY_REL = "tests/validation/attention-kernels.json"
GPU = "h100-sxm"
FIT_MIN_TOKENS = 8192
FIT_MIN_PARALLEL = 8
ROUND = 3
ENGINES = ("vllm", "sglang", "trtllm")
NAMES = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}


def load(path):
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    parsed = {"backend": row["backend"], "version": row["backend_version"], "kernel": row["kernel_source"],
                              "batch": int(row["batch_size"]), "tokens": int(row["isl"]), "heads": int(row["num_heads"]),
                              "head_dim": int(row["head_dim"]),
                              "seconds": float(row["latency_ms"]) / 1000.0}
                except (KeyError, ValueError) as error:
                    sys.exit(f"attention_kernel_study.py: {path}:{line}: {error!r}")
                if parsed["seconds"] <= 0 or min(parsed["batch"], parsed["tokens"], parsed["heads"]) <= 0:
                    sys.exit(f"attention_kernel_study.py: {path}:{line}: expected positive sizes and latency")
                rows.append(parsed)
    except OSError as error:
        sys.exit(f"attention_kernel_study.py: cannot read {path}: {error}")
    return rows


def peak_16bit(path):
    """The GPU's dense 16-bit peak in FLOP/s, as data/hardware.json gives it."""
    with open(path, encoding="utf-8") as handle:
        hardware = json.load(handle)
    for entry in hardware["hardware"]:
        if entry["id"] == GPU:
            return entry["peak_tflops"]["fp16"] * 1e12
    sys.exit(f"attention_kernel_study.py: {path}: no hardware '{GPU}'")


def attention_flops(row):
    return 2.0 * row["batch"] * row["heads"] * row["head_dim"] * row["tokens"] ** 2


def share(row, peak):
    return attention_flops(row) / (row["seconds"] * peak)


def fitted(rows):
    return [r for r in rows if r["tokens"] >= FIT_MIN_TOKENS and r["batch"] * r["heads"] >= FIT_MIN_PARALLEL]


def laws(rows, peak):
    """Each engine's fitted efficiency and how well the rate alone times its fit rows."""
    out = {}
    for engine in ENGINES:
        mine = [r for r in rows if r["backend"] == engine]
        fit = fitted(mine)
        if not fit:
            sys.exit(f"attention_kernel_study.py: {DATA_REL}: no {engine} rows of {FIT_MIN_TOKENS} tokens or more")
        versions = sorted({(r["version"], r["kernel"]) for r in mine})
        if len(versions) != 1:
            sys.exit(f"attention_kernel_study.py: {DATA_REL}: expected one {engine} version and kernel, got {versions}")
        efficiency = round(statistics.median(share(r, peak) for r in fit), ROUND)
        logs = [math.log(attention_flops(r) / (peak * efficiency) / r["seconds"]) for r in fit]
        out[engine] = {"efficiency": efficiency, "rows": len(fit), "all_rows": len(mine), "version": versions[0][0],
                       "kernel": versions[0][1], "rms_log": math.sqrt(sum(x * x for x in logs) / len(logs)),
                       "low": min(share(r, peak) for r in fit), "high": max(share(r, peak) for r in fit)}
    return out


def shipped(path):
    """The shares data/engines.json sets, by engine (engines that set none left out)."""
    with open(path, encoding="utf-8") as handle:
        engines = json.load(handle)["engines"]
    return {e["id"]: e["attention_kernel_efficiency"] for e in engines if "attention_kernel_efficiency" in e}


def overlay(fitted_laws):
    """The engine overlay that sets the fitted shares, each with its source."""
    engines = []
    for engine in ENGINES:
        law = fitted_laws[engine]
        engines.append({"id": engine, "attention_kernel_efficiency": law["efficiency"], "sources": {
            "attention_kernel_efficiency":
                f"fitted by scripts/attention_kernel_study.py on NVIDIA aiconfigurator's H100 SXM timings of one "
                f"layer's causal prompt attention by {NAMES[engine]} {law['version']}'s {law['kernel']} kernel, 16-bit "
                f"queries and KV cache, head_dim 128 ({DATA_REL}, Apache-2.0): the median share of the H100's 16-bit "
                f"peak that 2 B h d P^2 FLOPs reach at {FIT_MIN_TOKENS:,} tokens and more, over {law['rows']} timings "
                f"(docs/validation-attention-kernels.md); not in the shipped profiles (docs/validation-study.md, "
                f"section 36)"}})
    return json.dumps({"schema_version": "1.9", "engines": engines}, indent=2, ensure_ascii=False) + "\n"


def pct(x):
    return f"{x * 100:.1f} %"


def signed(x):
    return f"{x * 100:+.1f} %"


def document(rows, peak, fitted_laws):
    lengths = sorted({r["tokens"] for r in rows})
    out = ["<!-- Generated by scripts/attention_kernel_study.py from " + DATA_REL + "; do not edit. -->",
           "# Prompt attention kernels on the H100 (the engines' attention_kernel_efficiency)", "",
           "An engine that sets `attention_kernel_efficiency` (none shipped; below) has the estimator time a prompt's "
           "attention FLOPs, QK^T and PV (2 L h d P^2 for P tokens), on its attention kernels at a share of the GPU's "
           "16-bit peak, whatever the weights' format, where the KV cache is 16-bit: the engines run attention in 16 "
           "bits by default, so an FP8 checkpoint's attention does not run at the FP8 rate its GEMMs do "
           "(docs/method.md, 'Attention kernels'). That share is "
           f"fitted here on NVIDIA aiconfigurator's timings of one layer's causal prompt attention on one H100 SXM "
           f"({len(rows):,} rows of {lengths[0]:,} to {lengths[-1]:,} tokens, 16-bit queries and KV cache, head_dim "
           f"128; `{DATA_REL}`, provenance in its NOTICE). The H100's 16-bit peak is {peak / 1e12:,.0f} TFLOPS "
           f"({HARDWARE_REL} `{GPU}`).", "",
           f"**The fit.** A row's achieved share is its FLOPs, 2 B h d P^2, over its latency times the peak. The "
           f"efficiency is the median share over the rows of {FIT_MIN_TOKENS:,} tokens and more with at least "
           f"{FIT_MIN_PARALLEL} prompts x heads (enough blocks to fill the GPU), rounded to {ROUND} places; the rms "
           "log error is that of the rate alone on the same rows.", "",
           "| engine | version, kernel | fit rows (of all) | attention_kernel_efficiency | achieved share, lowest to highest | rms log error |",
           "|---|---|---:|---:|---|---:|"]
    for engine in ENGINES:
        law = fitted_laws[engine]
        out.append(f"| {NAMES[engine]} | {law['version']}, `{law['kernel']}` | {law['rows']:,} ({law['all_rows']:,}) | "
                   f"{law['efficiency']:.{ROUND}f} | {pct(law['low'])} to {pct(law['high'])} | {pct(law['rms_log'])} |")
    out += ["", "**By prompt length** (rows with at least " + f"{FIT_MIN_PARALLEL} prompts x heads): the median achieved "
            "share, and the median signed error of the fitted rate alone, (rate time − measured) / measured. Below the "
            "fit's lengths the kernels reach a smaller share (less work per thread block, the causal mask's diagonal "
            "blocks, launch and pipeline fill), which the rate does not model, so it is too fast there; below a few "
            "thousand tokens attention is a few per cent of a prompt's FLOPs (the GEMMs' 2 N P against attention's "
            "2 L h d P^2), so that matters little. At 16,384 tokens, the tables' longest, the share is still rising a "
            "little: at the prompts where attention dominates (100,000 tokens and more) the fitted share is an "
            "extrapolation that may lean long (too slow).", "",
            "| prompt tokens | " + " | ".join(f"{NAMES[e]} share | {NAMES[e]} rate error" for e in ENGINES) + " |",
            "|---:|" + "---:|---:|" * len(ENGINES)]
    for length in lengths:
        cells = []
        for engine in ENGINES:
            band = [r for r in rows if r["backend"] == engine and r["tokens"] == length
                    and r["batch"] * r["heads"] >= FIT_MIN_PARALLEL]
            if not band:
                cells += ["-", "-"]
                continue
            eta = fitted_laws[engine]["efficiency"]
            cells += [pct(statistics.median(share(r, peak) for r in band)),
                      signed(statistics.median(attention_flops(r) / (peak * eta) / r["seconds"] - 1.0 for r in band))]
        out.append(f"| {length:,} | " + " | ".join(cells) + " |")
    out += ["", f"**Not in the shipped profiles.** data/engines.json sets no share: the shipped serving factors were "
            "fitted with attention at the GEMMs' rate, and with the shares set the fits no longer agree (a refit of "
            "the pooled factors cycles between grid points; docs/validation-study.md, section 36, has the figures). "
            f"The fitted shares are in `{OVERLAY_REL}`, an engine overlay: `dsselect --data {OVERLAY_REL} estimate "
            "...` times a prompt's attention at them, which matters at long prompts (at 131,072 tokens attention "
            "is most of a prompt's FLOPs). The share applies only where the KV cache is 16-bit: with an 8-bit one an "
            "engine may run attention in 8 bits, which these 16-bit rows do not time (docs/method.md).", "", "**Where it applies.** Every GPU an engine runs on (the tables are the H100's; on another GPU the same "
            "share of that GPU's 16-bit peak is assumed), to the prompt tokens of every step, a mixed step's "
            "chunks included. A decode step's attention reads its KV cache at a few FLOPs per byte, far below any "
            "GPU's ridge: its FLOPs stay with the step's compute at the GEMMs' rate, which its memory time "
            "dominates. Multi-head latent attention (DeepSeek-V3/R1) "
            "takes the same share at its own head dimensions: its prefill kernels are not in these tables. "
            "llama.cpp sets none, so its attention runs at its GEMMs' rate, as before.", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = load(os.path.join(ROOT, DATA_REL))
    peak = peak_16bit(os.path.join(ROOT, HARDWARE_REL))
    fitted_laws = laws(rows, peak)
    wanted = {engine: law["efficiency"] for engine, law in fitted_laws.items()}
    have = shipped(os.path.join(ROOT, ENGINES_REL))
    if have:
        sys.exit(f"attention_kernel_study.py: {ENGINES_REL} sets attention_kernel_efficiency ({have}; fitted {wanted}), "
                 "which docs/validation-attention-kernels.md and docs/validation-study.md section 36 say it does not: "
                 "update them with the change")
    generated_file.emit(OUT, document(rows, peak, fitted_laws), ROOT, args.write, args.check,
                        "run scripts/attention_kernel_study.py --write")
    generated_file.emit(os.path.join(ROOT, OVERLAY_REL), overlay(fitted_laws), ROOT, args.write, args.check,
                        "run scripts/attention_kernel_study.py --write")


if __name__ == "__main__":
    main()
