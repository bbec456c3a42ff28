#!/usr/bin/env python3
"""Writes docs/validation-moe-kernels.md: MoE expert kernels measured on an H100 against the estimator (issue 20).

Usage: scripts/moe_kernel_study.py [--dsselect PATH] [--write | --check]
  --dsselect  the dsselect binary (default build/test/dsselect), asked for the engines' H100 factors
  --write     rewrite docs/validation-moe-kernels.md
  --check     write nothing; exit 1 when the document differs from what would be written
Without --write or --check the document is printed.

The data (tests/validation/data/aiconfigurator-h100-moe-kernels.csv) are one MoE layer's expert
computation timed alone on one H100 SXM by each engine's own kernel, for the two MoE shapes of the
validation sample, with the experts split by tensor parallelism (moe_tp_size: every GPU holds a
1/moe_tp slice of every expert), by expert parallelism (moe_ep_size: every GPU holds 1/moe_ep of
the experts, whole) or both, at 1 to 16,384 tokens. Every figure of the document is computed here.

Two comparisons:
- The estimator's expert time: the roofline the estimator applies to a MoE layer's routed experts,
  max(FLOPs / (peak x compute_efficiency), bytes of the touched experts / (bandwidth x
  memory_efficiency)), with the engine's shipped H100 factors as `dsselect estimate --explain`
  reports them, against each measured layout.
- A kernel law fitted per table on its prompt-sized rows (num_tokens >= LAW_MIN_TOKENS): the
  time of T tokens on a GPU holding slices w = inter_size / moe_tp of experts_per_gpu =
  num_experts / moe_ep experts is 6 h [(T k / moe_ep) (w + w_routed) + T w_token] / (peak x eta):
  the expert GEMMs' FLOPs, plus a cost per token routed to the GPU (w_routed, in intermediate
  columns of GEMM work) and per token entering its MoE layer (w_token) that splitting the experts
  does not shrink (a negative w_routed: slices cost less per column than whole experts). eta,
  w_routed and w_token are fitted on a grid (step GRID_STEP columns; eta the
  geometric mean for each pair), the objective the root mean square of the log ratio.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

import generated_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_REL = "tests/validation/data/aiconfigurator-h100-moe-kernels.csv"
OUT = os.path.join(ROOT, "docs", "validation-moe-kernels.md")
LAW_MIN_TOKENS = 8192
GRID_STEP = 50
GRID_MAX = 8000
DECODE_TOKENS = 64       # a decode step's tokens (batch) for the comparison table
PREFILL_TOKENS = 16384   # a prefill's tokens
LOOSE_RMS = 0.10         # a law fit looser than this is named
# The sample's MoE models by their expert shape (hidden, inter, topk, experts).
SHAPES = {(4096, 1536, 8, 128): "Qwen3-235B-A22B", (7168, 2048, 8, 256): "DeepSeek-V3/R1"}
# The table's weight formats as the product's precisions (its engine factor sets).
FORMATS = {"bfloat16": ("fp16", 16), "fp8": ("fp8", 8), "fp8_block": ("fp8", 8)}
# The table's weight formats as data/engines.json's moe_expert_kernels weight_format.
KERNEL_FORMATS = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8_block"}
# The H100 SXM's dense peaks (data/hardware.json h100-sxm) at the formats' precisions, FLOP/s.
FORMAT_PEAKS_H100 = {"bfloat16": 989e12, "fp8": 1979e12, "fp8_block": 1979e12}
SHIPPED_GRID_MAX = 4000  # the shipped laws' grid: 0 to this many columns in GRID_STEP steps
RIDGE_MIN_TOKENS = 64    # the ridge exponent's rows: below this a layer's time is its kernels' launches
RIDGE_GRID = [1.0 + 0.25 * i for i in range(13)]  # 1 to 4
ENGINES_REL = "data/engines.json"
# Each engine's expert layout when only tensor parallelism is set (the product's engine defaults).
DEFAULT_LAYOUTS = [
    ("vllm", "tensor parallelism: every GPU holds a 1/TP slice of every expert; --enable-expert-parallel "
             "splits the experts instead",
     "github vllm-project/vllm vllm/config/parallel.py @ 00193b82: enable_expert_parallel: bool = False ('Use "
     "expert parallelism instead of tensor parallelism for MoE layers'); "
     "vllm/model_executor/layers/fused_moe/config.py @ 002d6073, FusedMoEParallelConfig.make: without it "
     "ep_size=1, and intermediate_size_per_partition = intermediate_size // tp_size"),
    ("sglang", "tensor parallelism: ep_size defaults to 1, so moe_tp_size = tp_size; an all-to-all backend "
               "(DeepEP and others, off by default) sets ep_size = tp_size",
     "github sgl-project/sglang python/sglang/srt/server_args.py @ 001067ff: ep_size = 1, moe_a2a_backend = "
     "\"none\"; layers/moe/fused_moe_triton/layer.py @ 008d7d0e: intermediate_size_per_partition = "
     "intermediate_size // moe_tp_size"),
    ("trtllm", "tensor parallelism: moe_tensor_parallel_size and moe_expert_parallel_size default to None, "
               "which the mapping resolves to moe_tp_size = tp_size, moe_ep_size = 1",
     "github NVIDIA/TensorRT-LLM tensorrt_llm/llmapi/llm_args.py @ 00043967 (both Field(default=None)); "
     "tensorrt_llm/mapping.py @ b35ac1b6: 'if moe_tp_size == -1 and moe_ep_size == -1: moe_tp_size = "
     "moe_world_size // moe_cluster_size; moe_ep_size = 1'; trtllm-serve --ep_size default None"),
]
FORMAT_LABELS = {"bfloat16": "BF16", "fp8": "FP8 (per-tensor scales)", "fp8_block": "FP8 (128 x 128 block scales)"}


def load(path):
    with open(path, encoding="utf-8", newline="") as handle:
        rows = []
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append({"backend": row["backend"], "version": row["backend_version"], "kernel": row["kernel_source"],
                             "dtype": row["moe_dtype"], "hidden": int(row["hidden_size"]), "inter": int(row["inter_size"]),
                             "topk": int(row["topk"]), "experts": int(row["num_experts"]), "tp": int(row["moe_tp_size"]),
                             "ep": int(row["moe_ep_size"]), "tokens": int(row["num_tokens"]),
                             "seconds": float(row["latency_ms"]) / 1000.0})
            except (KeyError, ValueError) as error:
                sys.exit(f"moe_kernel_study.py: {path}: line {line}: {error}")
            last = rows[-1]
            if last["dtype"] not in FORMATS or (last["hidden"], last["inter"], last["topk"], last["experts"]) not in SHAPES \
                    or min(last["tp"], last["ep"], last["tokens"]) < 1 or not last["seconds"] > 0:
                sys.exit(f"moe_kernel_study.py: {path}: line {line}: unexpected row {row}")
    return rows


def touched_experts(experts, topk, tokens):
    """Expected experts a batch of tokens routes to, each token to topk of them (the estimator's rule)."""
    return experts * (1.0 - (1.0 - topk / experts) ** tokens)


def expert_flops(row):
    """The routed experts' GEMM FLOPs on one GPU: three matrices of h x w per routed token."""
    width = row["inter"] / row["tp"]
    return 2.0 * 3.0 * row["hidden"] * width * row["tokens"] * row["topk"] / row["ep"]


def expert_bytes(row):
    width = row["inter"] / row["tp"]
    bits = FORMATS[row["dtype"]][1]
    return touched_experts(row["experts"], row["topk"], row["tokens"]) / row["ep"] * 3.0 * row["hidden"] * width * bits / 8.0


def law_seconds(row, peak, eta, w_routed, w_token):
    width = row["inter"] / row["tp"]
    work = 6.0 * row["hidden"] * (row["tokens"] * row["topk"] / row["ep"] * (width + w_routed) + row["tokens"] * w_token)
    return work / (peak * eta)


def fit_law(rows, peak, step=GRID_STEP, maximum=GRID_MAX, lowest=None):
    """(rms log error, eta, w_routed, w_token) of the grid point with the least rms log error."""
    best = None
    # A negative w_routed (slices cheaper per column than whole experts) is allowed down to the
    # grid point above minus the narrowest slice, so that every row's w + w_routed stays positive,
    # unless `lowest` sets the bound.
    if lowest is None:
        narrowest = min(r["inter"] / r["tp"] for r in rows)
        lowest = -int((narrowest - 1) // step) * step
    for w_routed in range(lowest, maximum + 1, step):
        for w_token in range(0, maximum + 1, step):
            logs = [math.log(law_seconds(r, peak, 1.0, w_routed, w_token) / r["seconds"]) for r in rows]
            log_eta = sum(logs) / len(logs)  # eta at which the mean log ratio is zero
            rms = math.sqrt(sum((x - log_eta) ** 2 for x in logs) / len(logs))
            if best is None or rms < best[0] - 1e-12:
                best = (rms, math.exp(log_eta), w_routed, w_token)
    return best


def ridge_seconds(row, law, bandwidth, exponent):
    """The layer's time as the estimator takes it: the touched experts' bytes at the bandwidth (m)
    and the law's compute (c) joined as (m^n + c^n)^(1/n)."""
    memory = expert_bytes(row) / bandwidth
    compute = law_seconds(row, FORMAT_PEAKS_H100[row["dtype"]], law["efficiency"], law["routed_columns"],
                          law["token_columns"])
    return (memory ** exponent + compute ** exponent) ** (1.0 / exponent)


def shipped_laws(rows, factors_of):
    """The laws data/engines.json ships (moe_expert_kernels): per engine and weight format, pooled
    over both model shapes, on the rows of at least LAW_MIN_TOKENS tokens, with w_routed >= 0 (a cost
    per routed token cannot be negative, and a negative one would make a product model's narrower
    slices cost nothing) and both costs at most SHIPPED_GRID_MAX columns; then the ridge exponent n
    on the rows of at least RIDGE_MIN_TOKENS tokens (fewer are launch-bound: the step overheads'
    part), the memory side at the engine's H100 bandwidth x memory_efficiency, on RIDGE_GRID."""
    pooled = {}
    for row in rows:
        pooled.setdefault((row["backend"], row["dtype"]), []).append(row)
    laws = {}
    for (backend, dtype), group in sorted(pooled.items()):
        prompt_rows = [r for r in group if r["tokens"] >= LAW_MIN_TOKENS]
        rms, eta, w_routed, w_token = fit_law(prompt_rows, FORMAT_PEAKS_H100[dtype], maximum=SHIPPED_GRID_MAX, lowest=0)
        law = {"rows": len(prompt_rows), "rms": rms, "efficiency": round(eta, 3), "routed_columns": w_routed,
               "token_columns": w_token, "version": group[0]["version"], "kernel": group[0]["kernel"]}
        factors = factors_of(backend, FORMATS[dtype][0])
        bandwidth = factors["bandwidth"] * factors["memory_efficiency"]
        ridge_rows = [r for r in group if r["tokens"] >= RIDGE_MIN_TOKENS]

        def ridge_rms(exponent):
            logs = [math.log(ridge_seconds(r, law, bandwidth, exponent) / r["seconds"]) for r in ridge_rows]
            return math.sqrt(sum(x * x for x in logs) / len(logs))
        scores = [(ridge_rms(n), n) for n in RIDGE_GRID]
        best_rms, best_n = min(scores)
        max_logs = [math.log(max(expert_bytes(r) / bandwidth,
                                 law_seconds(r, FORMAT_PEAKS_H100[dtype], law["efficiency"], w_routed, w_token))
                             / r["seconds"]) for r in ridge_rows]
        law.update({"ridge_exponent": best_n, "ridge_rows": len(ridge_rows), "ridge_rms": best_rms,
                    "max_rms": math.sqrt(sum(x * x for x in max_logs) / len(max_logs)),
                    "memory_efficiency": factors["memory_efficiency"]})
        laws[(backend, dtype)] = law
    return laws


def engines_kernels(path):
    """data/engines.json's moe_expert_kernels as {(engine, weight format): (efficiency, routed, token, ridge)}."""
    with open(path, encoding="utf-8") as handle:
        engines = json.load(handle)["engines"]
    return {(engine["id"], kernel["weight_format"]): (kernel["efficiency"], kernel["routed_columns"], kernel["token_columns"],
                                                      kernel["ridge_exponent"])
            for engine in engines for kernel in engine.get("moe_expert_kernels", [])}


def engine_factors(dsselect, engine, precision):
    """The engine's H100 factors for a precision, as `dsselect estimate --explain -o json` reports them."""
    args = [dsselect, "estimate", "--model", "deepseek-v3", "--variant", precision, "--gpu", "h100-sxm", "--gpus", "8",
            "--engine", engine, "--explain", "-o", "json"]
    try:
        run = subprocess.run(args, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"moe_kernel_study.py: cannot run {' '.join(args)}: {error}")
    values = {step["name"]: step["value"] for step in json.loads(run.stdout)["explain"]}
    peak_key = f"input: peak_tflops.{precision}"
    needed = ("engine: compute_efficiency", "engine: memory_efficiency", "input: memory_bandwidth_gb_per_s", peak_key)
    missing = [key for key in needed if key not in values]
    if missing:
        sys.exit(f"moe_kernel_study.py: dsselect estimate --explain did not report {', '.join(missing)}")
    return {"compute_efficiency": values["engine: compute_efficiency"], "memory_efficiency": values["engine: memory_efficiency"],
            "bandwidth": values["input: memory_bandwidth_gb_per_s"] * 1e9, "peak": values[peak_key] * 1e12}


def estimator_seconds(row, factors):
    return max(expert_flops(row) / (factors["peak"] * factors["compute_efficiency"]),
               expert_bytes(row) / (factors["bandwidth"] * factors["memory_efficiency"]))


def pct(x):
    return f"{x * 100:.0f} %"


def tables(rows):
    """Rows grouped by (backend, version, dtype, shape), in a fixed order."""
    groups = {}
    for row in rows:
        groups.setdefault((row["backend"], row["version"], row["dtype"], (row["hidden"], row["inter"], row["topk"],
                                                                          row["experts"])), []).append(row)
    return dict(sorted(groups.items()))


def layouts(group):
    return sorted({(r["tp"], r["ep"]) for r in group}, key=lambda l: (l[0] * l[1], -l[0]))


def layout_label(layout):
    tp, ep = layout
    return f"TP {tp} × EP {ep}" if tp > 1 and ep > 1 else f"TP {tp}" if tp > 1 else f"EP {ep}" if ep > 1 else "1 GPU"


def document(rows, factors_of, laws):
    groups = tables(rows)
    lines = [
        "# MoE expert kernels on an H100: the estimator against measured kernels",
        "",
        "Generated by `scripts/moe_kernel_study.py --write` from",
        f"`{DATA_REL}` and the engines' shipped factors (`dsselect estimate --explain`); do not edit by",
        "hand. CI fails when it is stale or when data/engines.json's moe_expert_kernels are not the laws",
        "its last section fits (`moe_kernel_study_current`): those laws time the routed experts in",
        "every estimate under vLLM, SGLang and TensorRT-LLM (docs/method.md, 'MoE expert kernels').",
        "",
        "## Data",
        "",
        f"{len(rows):,} timings of one MoE layer's routed experts on one H100 SXM, each engine's own kernel, from",
        "NVIDIA aiconfigurator's H100 kernel tables (tests/validation/data/README.md gives the files, the",
        "commit, the licence and the filter): the expert shapes of the validation sample's MoE models,",
        "tokens spread evenly over the experts ('balanced'), at most eight GPUs per layout. A GPU of a",
        "TP n layout holds a 1/n slice of every expert (the layout the product estimates for and most",
        "hold-out MoE rows ran); of an EP n layout, 1/n of the experts, whole (the layout of the fit rows).",
        "",
        "| engine | version | kernel | format | model shape | timings | layouts |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for (backend, version, dtype, shape), group in groups.items():
        lines.append(f"| {backend} | {version} | `{group[0]['kernel']}` | {FORMAT_LABELS[dtype]} | {SHAPES[shape]} | "
                     f"{len(group)} | {len(layouts(group))} |")
    lines += [
        "",
        "Each engine's expert layout when a deployment sets only tensor parallelism, as dsselect's",
        "`--gpus` does (so the layout the product's estimates are for):",
        "",
        "| engine | default expert layout | source |",
        "|---|---|---|",
        *[f"| {engine} | {layout} | {source} |" for engine, layout, source in DEFAULT_LAYOUTS],
        "",
        "## The roofline's expert time against the kernels",
        "",
        "Without a kernel law (before issue 20's laws, and still for an engine or format that has none)",
        "the estimator times a MoE layer's routed experts by the roofline of the whole step:",
        "FLOPs / (peak × compute_efficiency) against the touched experts' bytes / (bandwidth ×",
        "memory_efficiency), whichever is longer, with the engine's H100 factors; the layout does not",
        "enter except through the FLOPs and bytes per GPU. Measured time / that time, at a decode",
        f"step's {DECODE_TOKENS} tokens and a prefill's {PREFILL_TOKENS:,} (above 1: the roofline is too fast):",
        "",
    ]
    header = "| engine | format | model shape | tokens | " + " | ".join(
        layout_label(l) for l in [(1, 1), (2, 1), (4, 1), (8, 1), (1, 2), (1, 4), (1, 8)]) + " |"
    lines += [header, "|---|---|---|---:|" + "---:|" * 7]
    shown_layouts = [(1, 1), (2, 1), (4, 1), (8, 1), (1, 2), (1, 4), (1, 8)]
    ratios_at = {}
    for (backend, version, dtype, shape), group in groups.items():
        factors = factors_of(backend, FORMATS[dtype][0])
        by = {(r["tp"], r["ep"], r["tokens"]): r for r in group}
        for tokens in (DECODE_TOKENS, PREFILL_TOKENS):
            cells = []
            for layout in shown_layouts:
                row = by.get((layout[0], layout[1], tokens))
                if row is None:
                    cells.append("-")
                    continue
                ratio = row["seconds"] / estimator_seconds(row, factors)
                ratios_at[(backend, dtype, shape, layout, tokens)] = ratio
                cells.append(f"{ratio:.2f}")
            lines.append(f"| {backend} {version} | {FORMAT_LABELS[dtype]} | {SHAPES[shape]} | {tokens:,} | "
                         + " | ".join(cells) + " |")
    lines += [""]
    for layout, when in (((8, 1), PREFILL_TOKENS), ((1, 8), PREFILL_TOKENS), ((8, 1), DECODE_TOKENS)):
        found = [v for (b, d, s, l, t), v in ratios_at.items() if l == layout and t == when]
        if found:
            lines.append(f"- {layout_label(layout)} at {when:,} tokens: measured {min(found):.1f} to {max(found):.1f} "
                         f"times the roofline's time ({len(found)} of the {len(groups)} tables measured it).")
    lines += [""]
    lines += [
        "## A kernel law: costs per token that splitting the experts does not shrink",
        "",
        f"Fitted per table on its rows of at least {LAW_MIN_TOKENS:,} tokens (the time of T tokens =",
        "6 h [(T k / EP) (w + w_routed) + T w_token] / (peak × eta), w = inter_size / TP; the script's",
        "docstring gives the fit). w_routed (per token routed to the GPU's experts) and w_token (per token",
        "entering the GPU's MoE layer) are in intermediate columns of expert GEMM work; the time they stand",
        "for is per token, not per column, so a format with twice the peak shows about twice the columns for",
        "the same time. A negative w_routed means a slice costs less per column than a whole expert. rms:",
        "root mean square of the log ratio of law to measured, over the table's layouts. The efficiency",
        "columns are the law's share of the peak for the expert GEMMs' own FLOPs at eight GPUs, shown only",
        "where the table measured that layout.",
        "",
        "| engine | format | model shape | rows | eta | w_routed | w_token | rms | TP 8 efficiency | EP 8 efficiency |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    fitted = []
    for (backend, version, dtype, shape), group in groups.items():
        factors = factors_of(backend, FORMATS[dtype][0])
        prompt_rows = [r for r in group if r["tokens"] >= LAW_MIN_TOKENS]
        if len(prompt_rows) < 4:
            continue
        rms, eta, w_routed, w_token = fit_law(prompt_rows, factors["peak"])
        fitted.append((backend, dtype, shape, rms, eta, w_routed, w_token))
        _, inter, topk, _ = shape
        measured_layouts = {(r["tp"], r["ep"]) for r in prompt_rows}

        def efficiency(tp, ep):
            # Share of the peak the law gives the expert GEMMs' own FLOPs at a measured layout.
            if (tp, ep) not in measured_layouts:
                return "-"
            width = inter / tp
            return pct(eta * width * topk / ep / ((width + w_routed) * topk / ep + w_token))
        lines.append(f"| {backend} {version} | {FORMAT_LABELS[dtype]} | {SHAPES[shape]} | {len(prompt_rows)} | "
                     f"{eta:.2f} | {w_routed:,} | {w_token:,} | {rms * 100:.1f} % | {efficiency(8, 1)} | "
                     f"{efficiency(1, 8)} |")
    if fitted:
        loose = [f for f in fitted if f[3] > LOOSE_RMS]
        lines += ["", f"Across the {len(fitted)} tables the law's root mean square error is "
                      f"{min(f[3] for f in fitted) * 100:.1f} % to {max(f[3] for f in fitted) * 100:.1f} %"
                      + (f"; above {LOOSE_RMS * 100:.0f} % for "
                         + ", ".join(f"{b} {FORMAT_LABELS[d]} {SHAPES[s]}" for b, d, s, *_ in loose)
                         + ", where the law fits less well" if loose else "") + ". By engine:", ""]
        for backend in sorted({f[0] for f in fitted}):
            routed = [f[5] for f in fitted if f[0] == backend]
            # Measured: the same eight GPUs' expert work, split by TP against split by EP.
            ratios = []
            for (b, version, dtype, shape), group in groups.items():
                by = {(r["tp"], r["ep"], r["tokens"]): r["seconds"] for r in group}
                tp8, ep8 = by.get((8, 1, PREFILL_TOKENS)), by.get((1, 8, PREFILL_TOKENS))
                if b == backend and tp8 is not None and ep8 is not None:
                    ratios.append(tp8 / ep8)
            reading = ("a cost per routed token that a slice does not shrink (w_routed "
                       f"{min(routed):,} to {max(routed):,} columns), so splitting experts by tensor parallelism "
                       "costs efficiency" if min(routed) > 0 else
                       f"no cost per routed token beyond the slice's own (w_routed {min(routed):,} to {max(routed):,} "
                       "columns): slices run about as efficiently as whole experts, and the cost per token entering "
                       "each GPU's layer weighs on expert parallelism" if max(routed) <= 0 else
                       f"w_routed of either sign ({min(routed):,} to {max(routed):,} columns) across its tables")
            measured = (f"; measured, at {PREFILL_TOKENS:,} tokens its kernels take {min(ratios):.2f} to "
                        f"{max(ratios):.2f} times as long at TP 8 as at EP 8 ({len(ratios)} tables)" if ratios else "")
            lines.append(f"- {backend}: {reading}{measured}.")
        at_prompt = [v for (b, d, s, l, t), v in ratios_at.items() if t == PREFILL_TOKENS]
        short = (f"falls short of the kernels' at every layout measured (they take {min(at_prompt):.1f} to "
                 f"{max(at_prompt):.1f} times as long" if min(at_prompt) > 1.0 else
                 f"is mostly short of the kernels' (they take {min(at_prompt):.2f} to {max(at_prompt):.2f} times "
                 "as long, the few below 1 where the roofline is the slower,")
        lines += [
            "",
            "What the roofline lacks: it gives a MoE layer's experts the engine's one compute efficiency",
            "whatever the layout and the tokens, and no cost per token, so at a prompt's tokens its expert",
            f"time {short} in the table of measured over estimated time above),",
            "by a factor that depends on the engine, the weight format and, for TensorRT-LLM, the layout.",
            "The serving fit rows are one engine's (TensorRT-LLM) with the experts split by expert",
            "parallelism; most hold-out MoE rows split them by tensor parallelism, under SGLang, vLLM and",
            "TensorRT-LLM. The estimate therefore carries the layout (tensor parallelism, every engine's",
            "default above; `dsselect estimate --expert-parallel`, and the validation rows' own layouts)",
            "and the laws of the next section.",
        ]
    lines += [
        "",
        "## The laws dsselect ships",
        "",
        "data/engines.json's `moe_expert_kernels`: the law above fitted per engine and weight format on",
        f"both model shapes' rows of at least {LAW_MIN_TOKENS:,} tokens together, with w_routed held at 0 or",
        f"above (a cost per routed token cannot be negative) and both costs on a grid of {GRID_STEP} columns up",
        f"to {SHIPPED_GRID_MAX:,}. The estimator takes the routed experts' FLOPs out of its roofline and adds",
        "the law's time per token on every data-centre GPU (timed on the H100 only): 16-bit variants by",
        "the BF16 law, FP8 variants by the block-scaled law where the model's published FP8 checkpoint is",
        "block-scaled (checkpoint_fp8_weight_scales, DeepSeek-V3/R1) and by the per-tensor law otherwise",
        "(the engines quantize a 16-bit checkpoint per tensor when they load it). The validation harness",
        "does the same with the checkpoints of tests/validation/catalog.json (Qwen3-235B-A22B-FP8 is",
        "block-scaled too), not the sample's moe_quant_mode labels, which name per-tensor FP8 for some",
        "rows of block-scaled checkpoints (docs/validation-study.md, section 24).",
        "",
        "Where a layer's memory time (the touched experts' bytes at the engine's H100 bandwidth ×",
        "memory_efficiency) and the law's compute time meet, the kernels take longer than the larger",
        "of the two: the estimator joins them as (memory^n + compute^n)^(1/n), with n (ridge_exponent)",
        f"fitted on each law's rows of at least {RIDGE_MIN_TOKENS} tokens on a grid of 1 to 4 in steps of 0.25",
        "(fewer tokens are launch-bound, the step overheads' part). rms: of the law on its prompt-sized rows;",
        "ridge rms: of the joined time on the ridge rows, beside the plain max(memory, compute).",
        "",
        "| engine | version | format | rows | efficiency | routed_columns | token_columns | rms | ridge rows | memory_efficiency | ridge_exponent | ridge rms | max rms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (backend, dtype), law in laws.items():
        lines.append(f"| {backend} | {law['version']} | {FORMAT_LABELS[dtype]} | {law['rows']} | {law['efficiency']:.3f} | "
                     f"{law['routed_columns']:,} | {law['token_columns']:,} | {law['rms'] * 100:.1f} % | "
                     f"{law['ridge_rows']} | {law['memory_efficiency']:.2f} | {law['ridge_exponent']:.2f} | "
                     f"{law['ridge_rms'] * 100:.1f} % | {law['max_rms'] * 100:.1f} % |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsselect", default=os.path.join(ROOT, "build", "test", "dsselect"))
    parser.add_argument("--data", default=os.path.join(ROOT, DATA_REL))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = load(args.data)
    cache = {}

    def factors_of(engine, precision):
        if (engine, precision) not in cache:
            cache[(engine, precision)] = engine_factors(args.dsselect, engine, precision)
        return cache[(engine, precision)]
    shipped = engines_kernels(os.path.join(ROOT, ENGINES_REL))
    laws = shipped_laws(rows, factors_of)
    wanted = {(backend, KERNEL_FORMATS[dtype]): (law["efficiency"], law["routed_columns"], law["token_columns"],
                                                 law["ridge_exponent"])
              for (backend, dtype), law in laws.items()}
    if shipped != wanted:
        differing = sorted(set(shipped.items()) ^ set(wanted.items()))
        sys.exit(f"moe_kernel_study.py: {ENGINES_REL} moe_expert_kernels differ from the fitted laws "
                 f"(engine, format): (efficiency, routed_columns, token_columns); shipped or fitted only: {differing}")
    generated_file.emit(OUT, document(rows, factors_of, laws), ROOT, args.write, args.check,
                        "run scripts/moe_kernel_study.py --write")


if __name__ == "__main__":
    main()
