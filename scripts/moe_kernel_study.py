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

Fitted on besides, the same way: the same kernels timed on a B200 (B200_DATA_REL), the B200's own
laws (b200_section), which data/engines.json ships with hardware_ids_containing B200_PARTS.

Read only, never fitted on: the same kernels timed on an H200 (H200_DATA_REL) and, on both GPUs,
with the tokens routed by a power law (SKEWED_DATA_REL, H200_SKEWED_DATA_REL).

Comparisons and fits, one section of the document each:
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
- The laws dsselect ships (shipped_laws): that law per engine and format, and its ridge exponent.
- The kernels' own memory side (a study): a latency per layer and a share of the bandwidth on the
  rows of at most MEMORY_MAX_TOKENS tokens (fit_memory_side).
- The laws on the H200 timings, as shipped and with that memory side (other_gpu_section).
- Uneven routing: each skewed H100 timing over its balanced twin (skew_section).
- The serving estimate's routed experts (its random-routing count, the engine's memory side and the
  step overheads' fixed time per MoE layer) against the skewed timings of both GPUs (serving_section).
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
# The same engines' kernels at the same versions timed on an H200 (same die, 4.8 against 3.35 TB/s):
# never fitted on, read only to see whether the H100 laws carry to another GPU.
H200_DATA_REL = "tests/validation/data/aiconfigurator-h200-moe-kernels.csv"
# The same engines' kernels timed on a B200 (another generation: its compute peaks 2.3 times the
# H100's), at the H100 tables' engine versions where the B200 tables have them (SGLang 0.5.9,
# TensorRT-LLM 1.2.0rc5) and at the earliest they have otherwise (vLLM 0.19.0): fitted on, the
# B200's own laws (data/engines.json entries with hardware_ids_containing ["b200"]).
B200_DATA_REL = "tests/validation/data/aiconfigurator-b200-moe-kernels.csv"
B200_PARTS = ["b200"]  # the B200 laws' hardware_ids_containing: b200, and a user's gb200
# The H100 kernels again with the tokens routed unevenly, as aiconfigurator models serving
# (a power law over the experts): read only to see what uneven routing does to a layer's time.
SKEWED_DATA_REL = "tests/validation/data/aiconfigurator-h100-moe-kernels-skewed.csv"
H200_SKEWED_DATA_REL = "tests/validation/data/aiconfigurator-h200-moe-kernels-skewed.csv"
# vLLM's block-scaled FP8 kernels for MiniMax-M2.5's expert shape at the engine versions of its
# hold-out serving rows (H200 vLLM 0.18.0, B200 vLLM 0.19.0), by system.
MINIMAX_DATA_REL = "tests/validation/data/aiconfigurator-vllm-moe-kernels-minimax.csv"
MINIMAX_GPUS = {"h200_sxm": ("H200", "h200"), "b200_sxm": ("B200", "b200")}  # system: label, catalog id
MINIMAX_SHAPE = (3072, 1536, 8, 256)  # hidden, inter, topk, experts
MINIMAX_BANDS = [(low, high, f"{low:,} to {high:,}") for low, high in ((1, 64), (80, 512), (768, 16384))]
# The routed experts' two weight matrices of a layer unit's four (docs/method.md): the share of the
# per-layer step overhead a MoE layer's routed experts carry in a serving estimate.
ROUTED_SHARE_OF_UNIT = 2.0 / 4.0
OUT = os.path.join(ROOT, "docs", "validation-moe-kernels.md")
LAW_MIN_TOKENS = 8192
GRID_STEP = 50
GRID_MAX = 8000
DECODE_TOKENS = 64       # a decode step's tokens (batch) for the comparison table
PREFILL_TOKENS = 16384   # a prefill's tokens
LOOSE_RMS = 0.10         # a law fit looser than this is named
# The sample's MoE models by their expert shape (hidden, inter, topk, experts).
SHAPES = {(4096, 1536, 8, 128): "Qwen3-235B-A22B", (7168, 2048, 8, 256): "DeepSeek-V3/R1",
          (3072, 1536, 8, 256): "MiniMax-M2.5"}
# The table's weight formats as the product's precisions (its engine factor sets).
FORMATS = {"bfloat16": ("fp16", 16), "fp8": ("fp8", 8), "fp8_block": ("fp8", 8)}
# The table's weight formats as data/engines.json's moe_expert_kernels weight_format.
KERNEL_FORMATS = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8_block"}
# The H100 SXM's dense peaks (data/hardware.json h100-sxm) at the formats' precisions, FLOP/s.
FORMAT_PEAKS_H100 = {"bfloat16": 989e12, "fp8": 1979e12, "fp8_block": 1979e12}
SHIPPED_GRID_MAX = 4000  # the shipped laws' grid: 0 to this many columns in GRID_STEP steps
RIDGE_MIN_TOKENS = 64    # the ridge exponent's rows: below this a layer's time is its kernels' launches
RIDGE_GRID = [1.0 + 0.25 * i for i in range(13)]  # 1 to 4
# The kernels' memory side, fitted on the rows of at most MEMORY_MAX_TOKENS tokens (where the
# law's compute is a few per cent of the time): a fixed latency per layer plus the touched experts'
# bytes at a share of the bandwidth, on these grids.
MEMORY_MAX_TOKENS = 32
LATENCY_GRID_US = list(range(0, 101))                              # 0 to 100 us in steps of 1
MEMORY_EFFICIENCY_GRID = [round(0.30 + 0.01 * i, 2) for i in range(71)]  # 0.30 to 1.00 in steps of 0.01
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


def load(path, skewed=False):
    """The timings of a kernel table: balanced routing, or (skewed) one power law per expert shape."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = []
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append({"system": row.get("system", ""), "backend": row["backend"], "version": row["backend_version"], "kernel": row["kernel_source"],
                             "dtype": row["moe_dtype"], "hidden": int(row["hidden_size"]), "inter": int(row["inter_size"]),
                             "topk": int(row["topk"]), "experts": int(row["num_experts"]), "tp": int(row["moe_tp_size"]),
                             "ep": int(row["moe_ep_size"]), "tokens": int(row["num_tokens"]),
                             "seconds": float(row["latency_ms"]) / 1000.0,
                             "distribution": row.get("distribution") or "balanced"})
            except (KeyError, ValueError) as error:
                sys.exit(f"moe_kernel_study.py: {path}: line {line}: {error}")
            last = rows[-1]
            if last["dtype"] not in FORMATS or (last["hidden"], last["inter"], last["topk"], last["experts"]) not in SHAPES \
                    or min(last["tp"], last["ep"], last["tokens"]) < 1 or not last["seconds"] > 0:
                sys.exit(f"moe_kernel_study.py: {path}: line {line}: unexpected row {row}")
            if (last["distribution"] == "balanced") == skewed or (skewed and not last["distribution"].startswith("power_law_")):
                sys.exit(f"moe_kernel_study.py: {path}: line {line}: distribution {last['distribution']!r}, expected "
                         + ("a power law" if skewed else "'balanced'"))
    if skewed:
        per_shape = {}
        for row in rows:
            per_shape.setdefault((row["hidden"], row["inter"], row["topk"], row["experts"]), set()).add(row["distribution"])
        mixed = {SHAPES[shape]: sorted(found) for shape, found in per_shape.items() if len(found) > 1}
        if mixed:
            sys.exit(f"moe_kernel_study.py: {path}: more than one distribution for a shape: {mixed}")
    return rows


def touched_experts(experts, topk, tokens):
    """Experts the tables' tokens route to: spread evenly ('balanced'), T tokens touch min(E, T k) of
    them (the estimator's random routing touches E (1 - (1 - k/E)^T) on average, fewer below a few
    dozen tokens)."""
    return min(experts, tokens * topk)


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


def ridge_seconds(row, law, bandwidth, exponent, peak=None):
    """The layer's time as the estimator takes it: the law's latency, plus the touched experts' bytes
    at the bandwidth x the law's memory efficiency (m) and the law's compute (c) joined as
    (m^n + c^n)^(1/n). `bandwidth` is the GPU's; `peak` the format's (default the H100's)."""
    memory = expert_bytes(row) / (bandwidth * law["memory_efficiency"])
    compute = law_seconds(row, FORMAT_PEAKS_H100[row["dtype"]] if peak is None else peak, law["efficiency"],
                          law["routed_columns"], law["token_columns"])
    return law["latency_us"] * 1e-6 + (memory ** exponent + compute ** exponent) ** (1.0 / exponent)


def fit_memory_side(rows, bandwidth):
    """(rms log error, latency_us, memory_efficiency) of the grid point with the least rms log error
    of latency + bytes / (bandwidth x memory_efficiency) against the rows' times."""
    best = None
    for latency_us in LATENCY_GRID_US:
        for efficiency in MEMORY_EFFICIENCY_GRID:
            logs = [math.log((latency_us * 1e-6 + expert_bytes(r) / (bandwidth * efficiency)) / r["seconds"]) for r in rows]
            rms = math.sqrt(sum(x * x for x in logs) / len(logs))
            if best is None or rms < best[0] - 1e-12:
                best = (rms, latency_us, efficiency)
    return best


def shipped_laws(rows, factors_of, gpu="h100-sxm"):
    """The laws data/engines.json ships (moe_expert_kernels): per engine and weight format, pooled
    over both model shapes, on the rows of at least LAW_MIN_TOKENS tokens, with w_routed >= 0 (a cost
    per routed token cannot be negative, and a negative one would make a product model's narrower
    slices cost nothing) and both costs at most SHIPPED_GRID_MAX columns; then the ridge exponent n
    on the rows of at least RIDGE_MIN_TOKENS tokens (fewer are launch-bound: the step overheads'
    part), the memory side at `gpu`'s bandwidth x the engine's memory_efficiency, on RIDGE_GRID.
    Beside each, under "kernel_side", the kernels' own memory side (not shipped): a latency and a
    share of the bandwidth fitted on the rows of at most MEMORY_MAX_TOKENS tokens, and the ridge
    exponent refitted with it. `gpu`: the catalog GPU the rows were timed on (its peaks, bandwidth and
    the engine's memory_efficiency there)."""
    pooled = {}
    for row in rows:
        pooled.setdefault((row["backend"], row["dtype"]), []).append(row)
    laws = {}
    for (backend, dtype), group in sorted(pooled.items()):
        prompt_rows = [r for r in group if r["tokens"] >= LAW_MIN_TOKENS]
        factors = factors_of(backend, FORMATS[dtype][0], gpu)
        peak = factors["peak"]  # the GPU's dense peak at the format's precision (data/hardware.json)
        rms, eta, w_routed, w_token = fit_law(prompt_rows, peak, maximum=SHIPPED_GRID_MAX, lowest=0)
        kernels = sorted({r["kernel"] for r in group})
        versions = sorted({r["version"] for r in group})
        if len(kernels) > 1 or len(versions) > 1:
            sys.exit(f"moe_kernel_study.py: {gpu} {backend} {dtype}: expected one kernel and version, got {kernels} {versions}")
        law = {"rows": len(prompt_rows), "rms": rms, "efficiency": round(eta, 3), "routed_columns": w_routed,
               "token_columns": w_token, "version": versions[0], "kernel": kernels[0], "peak": peak,
               "shapes": sorted({SHAPES[(r["hidden"], r["inter"], r["topk"], r["experts"])] for r in prompt_rows})}
        law.update({"memory_efficiency": factors["memory_efficiency"], "latency_us": 0})
        ridge_rows = [r for r in group if r["tokens"] >= RIDGE_MIN_TOKENS]

        def ridge_fit(form):
            def rms_at(exponent):
                logs = [math.log(ridge_seconds(r, form, factors["bandwidth"], exponent, peak) / r["seconds"]) for r in ridge_rows]
                return math.sqrt(sum(x * x for x in logs) / len(logs))
            return min((rms_at(n), n) for n in RIDGE_GRID)

        def max_rms(form):
            logs = [math.log((form["latency_us"] * 1e-6 +
                              max(expert_bytes(r) / (factors["bandwidth"] * form["memory_efficiency"]),
                                  law_seconds(r, peak, law["efficiency"], w_routed, w_token)))
                             / r["seconds"]) for r in ridge_rows]
            return math.sqrt(sum(x * x for x in logs) / len(logs))
        best_rms, best_n = ridge_fit(law)
        law.update({"ridge_exponent": best_n, "ridge_rows": len(ridge_rows), "ridge_rms": best_rms, "max_rms": max_rms(law)})
        memory_rows = [r for r in group if r["tokens"] <= MEMORY_MAX_TOKENS]
        if not memory_rows:
            sys.exit(f"moe_kernel_study.py: {backend} {dtype}: no timing of {MEMORY_MAX_TOKENS} tokens or fewer to fit "
                     "the kernels' memory side on")
        memory_rms, latency_us, memory_efficiency = fit_memory_side(memory_rows, factors["bandwidth"])
        kernel_side = {"memory_rows": len(memory_rows), "memory_rms": memory_rms, "latency_us": latency_us,
                       "memory_efficiency": memory_efficiency,
                       "compute_share": max(law_seconds(r, peak, law["efficiency"], w_routed, w_token)
                                            / r["seconds"] for r in memory_rows)}
        own_form = dict(law, memory_efficiency=memory_efficiency, latency_us=latency_us)
        side_rms, side_n = ridge_fit(own_form)
        kernel_side.update({"ridge_exponent": side_n, "ridge_rms": side_rms, "max_rms": max_rms(own_form)})
        law["kernel_side"] = kernel_side
        laws[(backend, dtype)] = law
    return laws


def engines_kernels(path):
    """data/engines.json's moe_expert_kernels as {(engine, weight format, hardware parts): (efficiency, routed,
    token, ridge, memory efficiency, latency)} (None where a law has no memory side; hardware parts the
    entry's hardware_ids_containing as a tuple, empty for the law of every other GPU)."""
    with open(path, encoding="utf-8") as handle:
        engines = json.load(handle)["engines"]
    return {(engine["id"], kernel["weight_format"], tuple(kernel.get("hardware_ids_containing", []))): (kernel["efficiency"], kernel["routed_columns"], kernel["token_columns"],
                                                      kernel["ridge_exponent"], kernel.get("memory_efficiency"),
                                                      kernel.get("latency_us"))
            for engine in engines for kernel in engine.get("moe_expert_kernels", [])}


def engine_factors(dsselect, engine, precision, gpu="h100-sxm"):
    """The engine's factors for a precision on a GPU (default the H100), as `dsselect estimate --explain -o json`
    reports them."""
    args = [dsselect, "estimate", "--model", "deepseek-v3", "--variant", precision, "--gpu", gpu, "--gpus", "8",
            "--engine", engine, "--explain", "-o", "json"]
    try:
        run = subprocess.run(args, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"moe_kernel_study.py: cannot run {' '.join(args)}: {error}")
    values = {step["name"]: step["value"] for step in json.loads(run.stdout)["explain"]}
    peak_key = f"input: peak_tflops.{precision}"
    needed = ("engine: compute_efficiency", "engine: memory_efficiency", "input: memory_bandwidth_gb_per_s", peak_key,
              "engine: per_layer_overhead_us", "engine: moe_layer_overhead_us")
    missing = [key for key in needed if key not in values]
    if missing:
        sys.exit(f"moe_kernel_study.py: dsselect estimate --explain did not report {', '.join(missing)}")
    return {"compute_efficiency": values["engine: compute_efficiency"], "memory_efficiency": values["engine: memory_efficiency"],
            "bandwidth": values["input: memory_bandwidth_gb_per_s"] * 1e9, "peak": values[peak_key] * 1e12,
            "per_layer_overhead_us": values["engine: per_layer_overhead_us"],
            "moe_layer_overhead_us": values["engine: moe_layer_overhead_us"]}


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


TOKEN_BANDS = [("1 to 32", 1, MEMORY_MAX_TOKENS), ("64 to 4,096", RIDGE_MIN_TOKENS, 4096),
               (f"{LAW_MIN_TOKENS:,} and more", LAW_MIN_TOKENS, None)]
# A decode step's tokens split where a skew's effects turn (fewer experts touched, or the busiest one).
SKEW_BANDS = [("1 to 8", 1, 8), ("16 to 32", 16, MEMORY_MAX_TOKENS), ("64 to 4,096", RIDGE_MIN_TOKENS, 4096),
              (f"{LAW_MIN_TOKENS:,} and more", LAW_MIN_TOKENS, None)]
SERVING_BANDS = SKEW_BANDS[:3]


def band_error(pairs):
    """(mean signed error as exp(mean log ratio) - 1, rms log error, n) of (predicted, measured) pairs."""
    logs = [math.log(p / m) for p, m in pairs]
    if not logs:
        return None
    return math.exp(sum(logs) / len(logs)) - 1.0, math.sqrt(sum(x * x for x in logs) / len(logs)), len(logs)


def timing_key(row):
    """What a timing measured: engine, format, expert shape, layout and tokens."""
    return (row["backend"], row["dtype"], row["hidden"], row["inter"], row["topk"], row["experts"], row["tp"], row["ep"],
            row["tokens"])


def kernel_form(law):
    """The law with the kernels' own memory side (latency, share of the bandwidth, refitted ridge)."""
    side = law["kernel_side"]
    return dict(law, memory_efficiency=side["memory_efficiency"], latency_us=side["latency_us"],
                ridge_exponent=side["ridge_exponent"])


def serving_fixed_us(factors):
    """The fixed time per MoE layer a serving estimate gives the routed experts: the MoE-layer
    overhead and their share of a layer unit's per-layer overhead."""
    return factors["moe_layer_overhead_us"] + ROUTED_SHARE_OF_UNIT * factors["per_layer_overhead_us"]


def random_touched(row):
    """Experts the estimator takes a step of T tokens to touch: E (1 - (1 - k/E)^T), each token routed at random."""
    return row["experts"] * (1.0 - (1.0 - row["topk"] / row["experts"]) ** row["tokens"])


def serving_seconds(row, law, factors):
    """A layer's routed experts as a serving estimate times them: the step overheads' fixed time per MoE
    layer, then the estimator's touched experts' bytes at the engine's memory side joined with the
    law's compute at the law's ridge exponent."""
    memory = expert_bytes(row) * random_touched(row) / touched_experts(row["experts"], row["topk"], row["tokens"]) / \
        (factors["bandwidth"] * factors["memory_efficiency"])
    compute = law_seconds(row, factors["peak"], law["efficiency"], law["routed_columns"], law["token_columns"])
    n = law["ridge_exponent"]
    return serving_fixed_us(factors) * 1e-6 + (memory ** n + compute ** n) ** (1.0 / n)


def serving_section(laws, skewed_by_gpu, factors_of, h200_factors_of):
    """The routed experts as a serving estimate times them against the kernels with the tokens routed
    as serving routes them (the skewed tables), under tensor parallelism, on both GPUs."""
    lines = [
        "",
        "## The serving estimate's routed experts against the kernels",
        "",
        "A serving estimate gives a MoE layer's routed experts more than the law: its own count of the",
        "experts a step touches (E·(1 − (1 − k/E)^T), tokens routed at random) and a fixed time per MoE",
        "layer from the step overheads fitted on the serving rows, the moe_layer_overhead_us and the routed",
        f"experts' share ({ROUTED_SHARE_OF_UNIT:.2f}) of a layer unit's per_layer_overhead_us. That estimate (shipped law, engine",
        "memory side, fixed time) against the kernels timed with the tokens routed as serving routes them,",
        "the power law of the section above (its tables for both GPUs: "
        f"`{SKEWED_DATA_REL}` and",
        f"`{H200_SKEWED_DATA_REL}`), under tensor parallelism (every GPU",
        "a slice of every expert: the layout of the product's estimates and of most hold-out MoE rows).",
        "Mean signed error; below 0: the estimate's experts are too fast.",
        "",
        "| engine | format | fixed time per MoE layer | " +
        " | ".join(f"{gpu}, {label} tokens" for gpu in ("H100", "H200") for label, *_ in SERVING_BANDS) + " |",
        "|---|---|---:|" + "---:|" * (2 * len(SERVING_BANDS)),
    ]
    summary = []
    for (backend, dtype), law in laws.items():
        precision = FORMATS[dtype][0]
        cells = []
        fixed = []
        for gpu, factors in (("h100", factors_of(backend, precision)), ("h200", h200_factors_of(backend, precision))):
            fixed.append(serving_fixed_us(factors))
            for _, low, high in SERVING_BANDS:
                cells.append(band_error([(serving_seconds(r, law, factors), r["seconds"]) for r in skewed_by_gpu[gpu]
                                         if r["backend"] == backend and r["dtype"] == dtype and r["ep"] == 1 and r["tp"] > 1
                                         and low <= r["tokens"] <= high]))
        summary.append((backend, dtype, cells))
        fixed_text = f"{fixed[0]:g} us" if fixed[0] == fixed[1] else f"{fixed[0]:g} / {fixed[1]:g} us"
        lines.append(f"| {backend} | {FORMAT_LABELS[dtype]} | {fixed_text} | " +
                     " | ".join(f"{c[0] * 100:+.1f} %" if c else "-" for c in cells) + " |")
    h200_at = {(b, d): c[len(SERVING_BANDS):] for b, d, c in summary}

    def h200(backend, dtype):
        return ", ".join(f"{c[0] * 100:+.1f} %" if c else "-" for c in h200_at[(backend, dtype)])
    bands = ", ".join(label for label, *_ in SERVING_BANDS)
    lines += [
        "",
        f"On the H200 ({bands} tokens) SGLang's block-scaled FP8 kernel is {h200('sglang', 'fp8_block')} and vLLM's",
        f"{h200('vllm', 'fp8_block')}: the kernels of the hold-out Qwen3-235B-A22B rows, whose decode comes out too",
        "fast (docs/validation.md), are timed about right or too slow, so the routed experts do not explain",
        "those rows (the sample labels the vLLM rows' experts per-tensor FP8; their checkpoint is",
        "block-scaled, tests/validation/catalog.json and docs/validation-study.md, section 24).",
        f"TensorRT-LLM's block-scaled FP8 kernel, that of its DeepSeek-V3 rows, is {h200('trtllm', 'fp8_block')}: at",
        "a few tokens it is slower than the estimate, part of those rows' too-fast decode at small batches.",
    ]
    return lines


def minimax_section(rows, law_of_gpu, factors_of_gpu):
    """MiniMax-M2.5's routed experts as a serving estimate times them against vLLM's kernels at the
    engine versions of its hold-out serving rows, on each of their GPUs and layouts (balanced tokens),
    each GPU's by the law the estimate applies there (law_of_gpu)."""
    versions = {row["system"]: row["version"] for row in rows}
    hidden, width, topk, experts = MINIMAX_SHAPE
    lines = [
        "",
        "## MiniMax-M2.5's experts at its serving rows' engine versions",
        "",
        f"`{MINIMAX_DATA_REL}`: {len(rows):,} timings of vLLM's block-scaled FP8 kernel for",
        f"MiniMax-M2.5's expert shape (hidden {hidden:,}, width {width:,}, {topk} of {experts} experts), tokens spread evenly, from",
        "aiconfigurator's kernel tables of the GPUs and engine versions of that model's hold-out serving rows: "
        + ", ".join(f"{MINIMAX_GPUS[system][0]} vLLM {version}" for system, version in sorted(versions.items(), reverse=True))
        + ". Never fitted on: an expert shape the laws never saw. The serving estimate's routed experts (the",
        "vLLM block-scaled law the estimate applies on that GPU: on the B200 its own, fitted on the B200 tables",
        "of the section 'The B200's own laws', on the H200 the H100's; the engine's memory side on that GPU and",
        "the fixed time per MoE layer, as in the section above) against them; mean signed error, below 0:",
        "the estimate's experts are too fast. TP n: every GPU a 1/n slice of every expert; EP n: 1/n of the",
        "experts, whole.",
        "",
        "| GPU | vLLM | layout | " + " | ".join(f"{label} tokens" for *_, label in MINIMAX_BANDS) + " |",
        "|---|---|---|" + "---:|" * len(MINIMAX_BANDS),
    ]
    by_gpu = {}
    for system in sorted(versions, reverse=True):
        label, gpu = MINIMAX_GPUS[system]
        factors = factors_of_gpu(gpu)
        law = law_of_gpu(gpu)
        mine = [r for r in rows if r["system"] == system]
        for tp, ep in sorted({(r["tp"], r["ep"]) for r in mine}, key=lambda x: (x[1] > 1, x[0] * x[1])):
            cells = [band_error([(serving_seconds(r, law, factors), r["seconds"]) for r in mine
                                 if (r["tp"], r["ep"]) == (tp, ep) and low <= r["tokens"] <= high])
                     for low, high, _ in MINIMAX_BANDS]
            by_gpu.setdefault(label, []).append(cells)
            layout = f"EP {ep}" if ep > 1 else f"TP {tp}"
            lines.append(f"| {label} | {versions[system]} | {layout} | " +
                         " | ".join(f"{c[0] * 100:+.1f} %" if c else "-" for c in cells) + " |")

    def span(label, band):
        values = [cells[band][0] * 100 for cells in by_gpu.get(label, []) if cells[band]]
        return f"{min(values):+.1f} to {max(values):+.1f} %" if values else "not timed"
    prompt, decode = len(MINIMAX_BANDS) - 1, 0
    lines += [
        "",
        f"At a prompt's {MINIMAX_BANDS[prompt][2]} tokens the estimate's experts are {span('B200', prompt)} on the",
        f"B200 and {span('H200', prompt)} on the H200 across the layouts; at a decode step's {MINIMAX_BANDS[decode][2]},",
        f"{span('B200', decode)} and {span('H200', decode)}. On the H200 the H100's law scales with the GPU's compute",
        "peak; on the B200 the law is the B200's own, fitted on the sample's two other expert shapes at the",
        "same vLLM version. docs/validation.md names the effect for each MiniMax-M2.5 subset that misses.",
    ]
    return lines


def skew_section(rows, skewed_rows):
    """Each skewed timing over the balanced timing of the same engine, format, shape, layout and tokens."""
    balanced = {timing_key(r): r["seconds"] for r in rows}
    groups = {}
    for r in skewed_rows:
        base = balanced.get(timing_key(r))
        if base is None:
            continue
        layout = "1 GPU" if r["tp"] * r["ep"] == 1 else "TP" if r["ep"] == 1 else "EP (or TP × EP)"
        band = next((label for label, low, high in SKEW_BANDS if low <= r["tokens"] and (high is None or r["tokens"] <= high)),
                    None)
        if band is None:
            continue
        groups.setdefault((r["backend"], r["dtype"], layout), {}).setdefault(band, []).append(math.log(r["seconds"] / base))
    distributions = sorted({(SHAPES[(r["hidden"], r["inter"], r["topk"], r["experts"])], r["distribution"]) for r in skewed_rows})
    lines = [
        "",
        "## Uneven routing: the same kernels with the tokens skewed",
        "",
        f"`{SKEWED_DATA_REL}`: {len(skewed_rows):,} H100 timings of the same kernels, layouts and token counts with",
        "the tokens routed by a power law over the experts, the distribution aiconfigurator itself serves",
        "each model family with (" + "; ".join(f"{shape}: `{d}`" for shape, d in distributions) + ";",
        "github ai-dynamo/aiconfigurator sdk/models/deepseek.py and sdk/models/moe.py, `_power_law_alpha`). Time",
        "with the skew over the balanced time (geometric mean; above 1: the skew is slower):",
        "",
        "| engine | format | layout | " + " | ".join(label + " tokens" for label, *_ in SKEW_BANDS) + " |",
        "|---|---|---|" + "---:|" * len(SKEW_BANDS),
    ]
    by_layout = {}
    for (backend, dtype, layout), bands in sorted(groups.items()):
        cells = []
        for label, *_ in SKEW_BANDS:
            logs = bands.get(label)
            ratio = math.exp(sum(logs) / len(logs)) if logs else None
            cells.append(f"{ratio:.2f}" if ratio else "-")
            if ratio:
                by_layout.setdefault((layout, label), []).append(ratio)
        lines.append(f"| {backend} | {FORMAT_LABELS[dtype]} | {layout} | " + " | ".join(cells) + " |")

    def span(layout, label):
        values = by_layout.get((layout, label), [])
        return f"{min(values):.2f} to {max(values):.2f}" if values else "-"
    few, more, middle, last = (label for label, *_ in SKEW_BANDS)
    paired = sum(len(logs) for bands in groups.values() for logs in bands.values())
    tp, ep = "TP", "EP (or TP × EP)"
    lines += [
        "",
        f"({paired:,} of the {len(skewed_rows):,} timings are paired; the rest are at token counts outside the bands.)",
        f"Under tensor parallelism (every GPU a slice of every expert, the layout of most hold-out MoE rows)",
        f"the skew takes {span(tp, few)} of the balanced time at {few} tokens, {span(tp, more)} at {more} (fewer",
        f"distinct experts touched), {span(tp, middle)} at {middle} and {span(tp, last)} at {last}: uneven routing",
        "does not make a tensor-parallel decode step slower. Under expert parallelism (the layout of the fit",
        f"rows) the busiest GPU sets the layer's time at the fewest tokens: {span(ep, few)} at {few} tokens, then",
        f"{span(ep, more)} at {more}, {span(ep, middle)} at {middle} and {span(ep, last)} at {last}. The estimator's",
        "random routing, E·(1 − (1 − k/E)^T) experts against a balanced table's min(E, T·k), also reads",
        "fewer experts than the balanced tables at a decode step (the next section compares it with these",
        "skewed tables); the busiest GPU of expert parallelism it does not model (docs/validation-study.md,",
        "section 27).",
    ]
    return lines


def other_gpu_section(laws, h100_rows, h200_rows, factors_of, h200_factors_of):
    """The laws, fitted on the H100, against the same kernels timed on an H200: as shipped, and with
    the kernels' own memory side."""
    lines = [
        "",
        "## The laws on another GPU: the same kernels timed on an H200",
        "",
        f"`{H200_DATA_REL}`: {len(h200_rows):,} timings of the same engines' kernels at the same versions, the same",
        "expert shapes, formats and layouts, on one H200 SXM (the H100's die and peaks, 4.8 TB/s of HBM3e",
        "against 3.35), from the same aiconfigurator commit. Nothing is fitted on them: the laws above,",
        "on the timings both GPUs measured (the same layout and token count),",
        "with the H200's bandwidth and peaks from data/hardware.json, against each timing; 'shipped' with",
        "the memory side the estimator applies (the engine's memory_efficiency, nothing fixed per layer),",
        "'own' with the kernels' own memory side of the section above. Mean signed: exp(mean log(law /",
        "measured)) − 1 (below 0: the law is too fast); rms: of the log ratio.",
        "",
        "| engine | format | tokens | H100 rows | H100 shipped | H100 own | H200 rows | H200 shipped | H200 own | "
        "H200 own rms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summary = []
    # Only the timings both GPUs measured (the same engine, format, shape, layout and tokens).
    both = {timing_key(r) for r in h100_rows} & {timing_key(r) for r in h200_rows}
    for (backend, dtype), law in laws.items():
        precision = FORMATS[dtype][0]
        h100 = factors_of(backend, precision)
        h200 = h200_factors_of(backend, precision)
        own = kernel_form(law)
        shipped_at = {"h100": dict(law, memory_efficiency=h100["memory_efficiency"]),
                      "h200": dict(law, memory_efficiency=h200["memory_efficiency"])}
        for label, low, high in TOKEN_BANDS:
            def within(r):
                return r["backend"] == backend and r["dtype"] == dtype and low <= r["tokens"] and (high is None or
                                                                                                 r["tokens"] <= high) \
                    and timing_key(r) in both

            def errors(form, rows, factors):
                return band_error([(ridge_seconds(r, form, factors["bandwidth"], form["ridge_exponent"], factors["peak"]),
                                    r["seconds"]) for r in rows if within(r)])
            h100_shipped, h100_own = errors(shipped_at["h100"], h100_rows, h100), errors(own, h100_rows, h100)
            shipped, checked = errors(shipped_at["h200"], h200_rows, h200), errors(own, h200_rows, h200)
            if checked is None or h100_own is None:
                continue
            summary.append((backend, dtype, label, checked, shipped, h100_own))
            lines.append(f"| {backend} | {FORMAT_LABELS[dtype]} | {label} | {h100_own[2]} | {h100_shipped[0] * 100:+.1f} % | "
                         f"{h100_own[0] * 100:+.1f} % | {checked[2]} | {shipped[0] * 100:+.1f} % | {checked[0] * 100:+.1f} % | "
                         f"{checked[1] * 100:.1f} % |")
    decode = [entry for entry in summary if entry[2] == TOKEN_BANDS[0][0]]
    prompt = [entry for entry in summary if entry[2] == TOKEN_BANDS[-1][0]]
    first_backend, first_dtype = next(iter(laws))
    gain = (h200_factors_of(first_backend, FORMATS[first_dtype][0])["bandwidth"] /
            factors_of(first_backend, FORMATS[first_dtype][0])["bandwidth"] - 1.0)
    if decode:
        lines += [
            "",
            f"At a decode step's 1 to {MEMORY_MAX_TOKENS} tokens the laws' mean signed error on the H200 is "
            f"{min(e[3][0] for e in decode) * 100:+.1f} % to",
            f"{max(e[3][0] for e in decode) * 100:+.1f} % across the {len(decode)} engine and format pairs with their own memory "
            f"side, against {min(e[4][0] for e in decode) * 100:+.1f} % to {max(e[4][0] for e in decode) * 100:+.1f} % as shipped",
            "(the engine's share, no latency): the fixed time per layer does not shrink with a faster memory, and a",
            f"bandwidth-only memory side gives the H200 all of its {gain * 100:.0f} % more bandwidth where a kernel's",
            "launches and tail are a large part of its time.",
        ]
    if prompt:
        excess = [e[3][0] - e[5][0] for e in prompt]
        lines += [
            "",
            f"At {TOKEN_BANDS[-1][0]} tokens, where the laws' compute decides, the laws are too slow on both GPUs, and",
            f"more so on the H200: its mean signed error exceeds the H100's by {min(excess) * 100:+.1f} to "
            f"{max(excess) * 100:+.1f} points, its kernels",
            "running faster than the same peak gives the H100's, a prefill effect the estimator does not model.",
        ]
    return lines


def signed_pct(x):
    """A signed percentage of one decimal, without a minus sign on a value that rounds to zero."""
    value = round(x * 100, 1)
    return f"{value + 0.0:+.1f} %"


def law_rows(laws):
    """The table rows of shipped laws, one per engine and format."""
    return [f"| {backend} | {law['version']} | {FORMAT_LABELS[dtype]} | {law['rows']} | {law['efficiency']:.3f} | "
            f"{law['routed_columns']:,} | {law['token_columns']:,} | {law['rms'] * 100:.1f} % | "
            f"{law['ridge_rows']} | {law['memory_efficiency']:.2f} | {law['ridge_exponent']:.2f} | "
            f"{law['ridge_rms'] * 100:.1f} % | {law['max_rms'] * 100:.1f} % |" for (backend, dtype), law in laws.items()]


LAW_HEADER = ["| engine | version | format | rows | efficiency | routed_columns | token_columns | rms | ridge rows | "
              "memory_efficiency | ridge_exponent | ridge rms | max rms |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]


def b200_section(b200_rows, b200_laws, laws):
    """The B200's own laws: the same fit on the B200 tables, against the B200's peaks, and how far the
    H100's law scaled by those peaks is from the B200's timings."""
    engines = {}
    for row in b200_rows:
        engines.setdefault(row["backend"], {}).setdefault(row["dtype"], (row["version"], row["kernel"]))
    versions = "; ".join(f"{backend}: " + ", ".join(f"{FORMAT_LABELS[dtype]} {kernel} {version}"
                                                    for dtype, (version, kernel) in sorted(formats.items()))
                         for backend, formats in sorted(engines.items()))
    lines = [
        "",
        "## The B200's own laws",
        "",
        f"`{B200_DATA_REL}`: {len(b200_rows):,} timings of the same two expert shapes and layouts on one B200",
        "(aiconfigurator's B200 tables, files and hashes in tests/validation/data/NOTICE), at the H100 tables'",
        "engine versions where the B200 tables have them and at their earliest otherwise (" + versions + ").",
        "A law fitted on the H100 scales with a GPU's compute peak; the B200's peaks are 2.3 times the H100's,",
        "and these kernels reach a different share of them, so the laws of the section above are fitted again",
        "on these timings, the same way, against the B200's peaks and its bandwidth × the engine's",
        f"memory_efficiency. data/engines.json ships them as entries with hardware_ids_containing `{json.dumps(B200_PARTS)}`:",
        "the estimate applies them on a GPU whose id contains it (the B200, a GB200) and the H100's on every",
        "other GPU.",
    ]
    one_shape = [f"{backend} {FORMAT_LABELS[dtype]} ({law['kernel']}): {', '.join(law['shapes'])}"
                 for (backend, dtype), law in b200_laws.items() if len(law["shapes"]) < 2]
    if one_shape:
        lines += ["Laws fitted on one shape's rows of at least 8,192 tokens (the table times the other at more than",
                  "8 GPUs only): " + "; ".join(one_shape) + "."]
    floor = [f"{backend} {FORMAT_LABELS[dtype]}" for (backend, dtype), law in b200_laws.items()
             if law["ridge_exponent"] == RIDGE_GRID[0]]
    if floor:
        lines += [f"{len(floor)} of the {len(b200_laws)} ridge exponents ({', '.join(floor)}) are at the grid's floor of "
                  f"{RIDGE_GRID[0]:.0f},",
                  "the lowest the data format accepts (the experts' memory and compute times added): the fit stops at",
                  "that limit rather than settling above it, and the ridge rms column shows how far the joined time",
                  "remains from these kernels between 64 and a few thousand tokens."]
    lines += [""] + LAW_HEADER + law_rows(b200_laws) + [
        "",
        "The H100's law scaled by the B200's peaks against the same B200 timings of at least 8,192 tokens",
        "(mean signed error, below 0: that law is too fast on the B200), beside the B200's own law on the",
        "rows it was fitted on (about 0 by construction: the fit sets the efficiency at which the mean log",
        "ratio is zero; what remains is the efficiency's rounding to three decimals). The H100 and B200",
        "kernels of a row are the tables' own (TensorRT-LLM's block-scaled FP8 is CUTLASS on the H100 and",
        "DeepGEMM on the B200), at the versions above.",
        "",
        "| engine | format | H100 law on the B200 | B200 law (in sample) |",
        "|---|---|---:|---:|",
    ]
    for (backend, dtype), law in b200_laws.items():
        h100 = laws.get((backend, dtype))
        prompt = [r for r in b200_rows if r["backend"] == backend and r["dtype"] == dtype and r["tokens"] >= LAW_MIN_TOKENS]

        def error(form):
            return band_error([(law_seconds(r, law["peak"], form["efficiency"], form["routed_columns"], form["token_columns"]),
                                r["seconds"]) for r in prompt])[0]
        lines.append(f"| {backend} | {FORMAT_LABELS[dtype]} | "
                     + (signed_pct(error(h100)) if h100 else "-") + f" | {signed_pct(error(law))} |")
    return lines


def document(rows, factors_of, laws, h200_rows=None, h200_factors_of=None, skewed_by_gpu=None, minimax_rows=None,
             b200=None):
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
        "the law's time per token on every data-centre GPU (these on every GPU but those whose id contains",
        "b200, which take their own, below): 16-bit variants by",
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
        "ridge rms: of the joined time on the ridge rows, beside the plain max(memory, compute). A table",
        "spreads its tokens evenly over the experts ('balanced'), so T tokens touch min(E, T·k) of them;",
        "the estimator's random routing touches E·(1 − (1 − k/E)^T) on average.",
        "",
    ] + LAW_HEADER
    lines += law_rows(laws)
    if b200 is not None:
        lines += b200_section(b200[0], b200[1], laws)
    lines += [
        "",
        "## The kernels' own memory side (a study; not shipped)",
        "",
        "At a decode step's few tokens a layer's experts take longer than their bytes at the engine's",
        "memory_efficiency: the kernels' launches, the routing's sort and the tail of small GEMMs cost a",
        f"fixed time per layer. Fitted on each law's rows of at most {MEMORY_MAX_TOKENS} tokens (where the law's compute is",
        "at most the share of a row's time in the table): a latency per MoE layer (latency_us, grid of 1 us",
        "from 0 to 100) plus the touched experts' bytes at a share of the H100's bandwidth",
        "(memory_efficiency, grid of 0.01 from 0.30 to 1.00), then the ridge exponent refitted with it on the",
        f"rows of at least {RIDGE_MIN_TOKENS} tokens. data/engines.json's moe_expert_kernels take the two as optional keys",
        "(docs/data-format.md), and the shipped laws carry neither: with them the serving factors refitted",
        "on the fit rows did not settle and the fit rows did not choose them (docs/validation-study.md,",
        "section 30).",
        "",
        "| engine | format | memory rows | latency_us | memory_efficiency | engine memory_efficiency | law's compute share | "
        "memory rms | ridge_exponent | ridge rms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (backend, dtype), law in laws.items():
        side = law["kernel_side"]
        lines.append(f"| {backend} | {FORMAT_LABELS[dtype]} | {side['memory_rows']} | {side['latency_us']} | "
                     f"{side['memory_efficiency']:.2f} | {law['memory_efficiency']:.2f} | {side['compute_share'] * 100:.1f} % | "
                     f"{side['memory_rms'] * 100:.1f} % | {side['ridge_exponent']:.2f} | {side['ridge_rms'] * 100:.1f} % |")
    if h200_rows is not None:
        lines += other_gpu_section(laws, rows, h200_rows, factors_of, h200_factors_of)
    if skewed_by_gpu is not None:
        lines += skew_section(rows, skewed_by_gpu["h100"])
        lines += serving_section(laws, skewed_by_gpu, factors_of, h200_factors_of)
    if minimax_rows is not None:
        lines += minimax_section(minimax_rows,
                                 lambda gpu: (b200[1] if b200 and any(part in gpu for part in B200_PARTS)
                                              else laws)[("vllm", "fp8_block")],
                                 lambda gpu: factors_of("vllm", "fp8", gpu))
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
    h200_rows = load(os.path.join(ROOT, H200_DATA_REL))
    skewed_rows = load(os.path.join(ROOT, SKEWED_DATA_REL), skewed=True)
    h200_skewed_rows = load(os.path.join(ROOT, H200_SKEWED_DATA_REL), skewed=True)
    minimax_rows = load(os.path.join(ROOT, MINIMAX_DATA_REL))
    unexpected = sorted({(r["system"], r["backend"], r["dtype"], r["hidden"], r["inter"], r["topk"], r["experts"])
                         for r in minimax_rows if r["system"] not in MINIMAX_GPUS or r["backend"] != "vllm"
                         or r["dtype"] != "fp8_block"
                         or (r["hidden"], r["inter"], r["topk"], r["experts"]) != MINIMAX_SHAPE})
    versions = {}
    for r in minimax_rows:
        versions.setdefault(r["system"], set()).add(r["version"])
    if unexpected or any(len(found) > 1 for found in versions.values()):
        sys.exit(f"moe_kernel_study.py: {MINIMAX_DATA_REL}: expected one vLLM version per system of "
                 f"{', '.join(MINIMAX_GPUS)}, block-scaled FP8, shape {MINIMAX_SHAPE}; got rows {unexpected}, "
                 f"versions {versions}")
    cache = {}

    def factors_of(engine, precision, gpu="h100-sxm"):
        if (engine, precision, gpu) not in cache:
            cache[(engine, precision, gpu)] = engine_factors(args.dsselect, engine, precision, gpu)
        return cache[(engine, precision, gpu)]

    def h200_factors_of(engine, precision):
        return factors_of(engine, precision, "h200")
    shipped = engines_kernels(os.path.join(ROOT, ENGINES_REL))
    laws = shipped_laws(rows, factors_of)
    b200_rows = load(os.path.join(ROOT, B200_DATA_REL))
    b200_laws = shipped_laws(b200_rows, factors_of, "b200")
    # The kernels' own memory side is a study (docs/validation-study.md, section 30): the shipped laws carry none.
    wanted = {(backend, KERNEL_FORMATS[dtype], parts): (law["efficiency"], law["routed_columns"], law["token_columns"],
                                                        law["ridge_exponent"], None, None)
              for parts, fitted in (((), laws), (tuple(B200_PARTS), b200_laws))
              for (backend, dtype), law in fitted.items()}
    if shipped != wanted:
        differing = sorted(set(shipped.items()) ^ set(wanted.items()), key=str)
        sys.exit(f"moe_kernel_study.py: {ENGINES_REL} moe_expert_kernels differ from the fitted laws "
                 f"(engine, format): (efficiency, routed_columns, token_columns, ridge_exponent, memory_efficiency, latency_us); "
                 f"shipped or fitted only: {differing}")
    generated_file.emit(OUT, document(rows, factors_of, laws, h200_rows, h200_factors_of,
                                           {"h100": skewed_rows, "h200": h200_skewed_rows}, minimax_rows,
                                           (b200_rows, b200_laws)), ROOT,
                                  args.write, args.check,
                        "run scripts/moe_kernel_study.py --write")


if __name__ == "__main__":
    main()
