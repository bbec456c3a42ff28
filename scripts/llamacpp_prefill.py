"""llama.cpp prefill (issue 20): the per-SM rate of its MMQ kernels (quantized weights) and the
share of the FP16-accumulate peak its cuBLAS GEMMs reach (F16 weights).

A module of scripts/llamacpp_decode_fit.py, which writes the factor sets and the document (run
that script to print the report).

The data (tests/validation/data/llamacpp-prefill-2026.json) are llama-bench pp512 results of dense
models on single NVIDIA GPUs, each row with its source. llama.cpp runs every quantized GGUF type
through its MMQ kernels on NVIDIA GPUs from compute capability 7.5 (the data file's
kernels_source), and those kernels are bound by the SMs' issue rate, not by the tensor cores'
datasheet peak: one prompt of P tokens takes

    time = prefill FLOPs / (b * n * f) + c

with n SMs at boost clock f, b the FLOPs one SM completes per cycle and c the per-step time the
decode fit gives (the product's per_step_overhead_ms). The FLOPs are the product's: every matrix
but the head for every prompt token, the head for the last one, and 2 * L * heads * head_dim * P^2
for attention. b is one figure for every device: the geometric mean over devices of each
device's geometric mean of the b its rows imply (least squares in log space, each device weighted
once). The out-of-sample error of a device is its rows against the b fitted without it (leave one
device out).

F16 weights take another path (the data file's cublas_source): cuBLAS with FP16 accumulation, which
GeForce cards run at twice their FP32-accumulate tensor rate. The rows of quant F16 fit one
efficiency e against each device's FP16-accumulate tensor peak,

    time = prefill FLOPs / (e * peak at FP16 accumulation) + c,

as the geometric mean over devices of each device's implied e, with the same leave-one-device-out
check; the product's llama.cpp sets carry e as compute_efficiency, and a GeForce card lists the
FP16-accumulate peak as fp16_accumulate_peak_tflops (docs/method.md).
"""
import json
import math
import os
import statistics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "validation", "data", "llamacpp-prefill-2026.json")
DATA_REL = "tests/validation/data/llamacpp-prefill-2026.json"
# The compute efficiency llama.cpp's factor sets shipped for every prompt before this data (an
# assumption): a share of the 16-bit tensor peak, for the report's "before" column.
BEFORE_COMPUTE_EFFICIENCY = 0.5


# GGUF weight types that llama.cpp multiplies with cuBLAS rather than its MMQ kernels.
CUBLAS_QUANTS = ("F16",)


def mmq_rows(data):
    return [r for r in data["rows"] if r["quant"] not in CUBLAS_QUANTS]


def cublas_rows(data):
    return [r for r in data["rows"] if r["quant"] in CUBLAS_QUANTS]


def load(path=DATA):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def shape(model):
    """(matmul parameters but the head, head parameters, attention dim L * heads * head_dim, total)."""
    d, layers = model["hidden_size"], model["num_hidden_layers"]
    q = model["num_attention_heads"] * model["head_dim"]
    kv = model["num_key_value_heads"] * model["head_dim"]
    per_layer = d * q + 2 * d * kv + q * d + 3 * d * model["intermediate_size"]
    head = model["vocab_size"] * d
    embedding = 0 if model["tie_word_embeddings"] else head
    matmul = layers * per_layer
    return matmul, head, layers * q, matmul + head + embedding


def prefill_flops(model, prompt):
    matmul, head, attention_dim, _ = shape(model)
    return 2.0 * matmul * prompt + 2.0 * head * min(prompt, 1) + 2.0 * attention_dim * prompt * prompt


def sm_cycles_per_s(device):
    return device["sms"] * device["boost_clock_mhz"] * 1e6


def implied_flops_per_s(row, model, overhead_ms):
    """The prefill FLOPs per second a row implies, its per-step time c taken off."""
    seconds = row["prompt_tokens"] / row["tokens_per_s"] - overhead_ms / 1000.0
    return prefill_flops(model, row["prompt_tokens"]) / seconds


def predicted_tokens_per_s(row, model, flops_per_s, overhead_ms):
    """The row's prompt tokens per second at a prefill rate of flops_per_s and a per-step time c."""
    seconds = prefill_flops(model, row["prompt_tokens"]) / flops_per_s + overhead_ms / 1000.0
    return row["prompt_tokens"] / seconds


def geometric_mean(values):
    return math.exp(statistics.mean(math.log(v) for v in values))


def fit_per_device(rows_by_device, models, devices, overhead_ms, unit, leave_out=None):
    """The geometric mean over devices of each device's geometric mean of the figure its rows
    imply (implied FLOPs per second / unit(device)): every device weighted once, the device
    leave_out left out."""
    per_device = [geometric_mean([implied_flops_per_s(r, models[r["model"]], overhead_ms) / unit(devices[name])
                                  for r in rows])
                  for name, rows in rows_by_device.items() if name != leave_out]
    return geometric_mean(per_device)


def analyse_rows(data, rows, overhead_ms, unit):
    """One figure fitted on the rows (fit_per_device): a device's prefill rate is the figure times
    unit(device) FLOPs per second. Per row: its implied figure, the figure fitted without its
    device, and its in-sample and leave-one-device-out errors."""
    models = {m["name"]: m for m in data["models"]}
    devices = {d["name"]: d for d in data["devices"]}
    rows_by_device = {}
    for row in rows:
        rows_by_device.setdefault(row["device"], []).append(row)
    fitted = fit_per_device(rows_by_device, models, devices, overhead_ms, unit)
    out = []
    for name, device_rows in rows_by_device.items():
        without = fit_per_device(rows_by_device, models, devices, overhead_ms, unit, leave_out=name)
        for row in device_rows:
            model, device = models[row["model"]], devices[name]
            out.append({
                "row": row,
                "implied": implied_flops_per_s(row, model, overhead_ms) / unit(device),
                "without": without,
                "out_of_sample": error(row, model, without * unit(device), overhead_ms),
                "in_sample": error(row, model, fitted * unit(device), overhead_ms),
            })
    return fitted, out


def error(row, model, flops_per_s, overhead_ms):
    """The signed error of the tokens per second predicted at flops_per_s against the row's."""
    return predicted_tokens_per_s(row, model, flops_per_s, overhead_ms) / row["tokens_per_s"] - 1.0


def measured_capabilities(data, rows):
    """The compute capabilities of the devices these rows measure."""
    names = {r["device"] for r in rows}
    return {d["compute_capability"] for d in data["devices"] if d["name"] in names}


def checks(data, catalog_ids=()):
    """Problems with the data file, one line each: a model whose computed size is not
    llama-bench's, an unknown name, a non-positive figure, a catalog GPU without a compute
    capability entry."""
    models = {m["name"]: m for m in data["models"]}
    devices = {d["name"]: d for d in data["devices"]}
    problems = []
    for name, device in devices.items():
        if not (device.get("sms", 0) > 0 and device.get("boost_clock_mhz", 0) > 0):
            problems.append(f"devices/{name}: sms and boost_clock_mhz must be positive")
    for gpu in catalog_ids:
        if gpu not in data.get("catalog_compute_capability", {}):
            problems.append(f"catalog_compute_capability: no entry for catalog GPU '{gpu}'")
    for i, row in enumerate(data["rows"]):
        if row["model"] not in models:
            problems.append(f"rows/{i}: unknown model {row['model']}")
            continue
        if row["device"] not in devices:
            problems.append(f"rows/{i}: unknown device {row['device']}")
            continue
        if row["quant"] in CUBLAS_QUANTS and not devices[row["device"]].get("fp16_accumulate_tflops", 0) > 0:
            problems.append(f"rows/{i}: an F16 row's device {row['device']} needs a positive fp16_accumulate_tflops")
            continue
        if not (row.get("tokens_per_s", 0) > 0 and row.get("prompt_tokens", 0) > 0):
            problems.append(f"rows/{i}: tokens_per_s and prompt_tokens must be positive")
            continue
        total = shape(models[row["model"]])[3] / 1e9
        if abs(total / row["llama_bench_params_b"] - 1.0) > 0.005:
            problems.append(f"rows/{i}: {row['model']} computes to {total:.2f} B parameters, llama-bench printed "
                            f"{row['llama_bench_params_b']} B")
    return problems


def analyse(data, overhead_ms):
    """The fitted b of the MMQ (quantized) rows, and per row its implied b, the b without its
    device and the in-sample and leave-one-device-out errors."""
    return analyse_rows(data, mmq_rows(data), overhead_ms, sm_cycles_per_s)


def fp16_accumulate_flops(device):
    return device["fp16_accumulate_tflops"] * 1e12


def analyse_cublas(data, overhead_ms):
    """The fitted 16-bit (cuBLAS) efficiency of the F16 rows, and per row its implied efficiency,
    the efficiency without its device and the in-sample and leave-one-device-out errors."""
    return analyse_rows(data, cublas_rows(data), overhead_ms, fp16_accumulate_flops)


def shipped_efficiency(data, overhead_ms):
    """The compute_efficiency the product's NVIDIA llama.cpp sets carry: the fit, to 3 decimals."""
    return round(analyse_cublas(data, overhead_ms)[0], 3)


def catalog_rates(b, data, catalog_devices, hardware, compute_efficiency):
    """Per catalog GPU id: (quantized compute efficiency, how it was reached): the rate b * n * f
    over the 16-bit peak, at most 1. A GPU with no sourced SM count and clock takes the lower of
    two bounds: the highest rate of a catalog GPU of its compute capability that has them (of any
    catalog GPU where none has), and the assumption shipped before any prefill data,
    compute_efficiency * peak (a cuBLAS rate is no bound on the MMQ kernels', so not the 16-bit fit)."""
    capability = data["catalog_compute_capability"]
    rated = {e["id"]: b * e["sms"] * e["boost_clock_mhz"] * 1e6 for e in catalog_devices if e.get("sms")}
    measured = measured_capabilities(data, mmq_rows(data))
    measured_quants = sorted({r["quant"] for r in mmq_rows(data)})
    out = {}
    for entry in catalog_devices:
        peak = hardware[entry["id"]]["peak_tflops"]["fp16"] * 1e12
        cc = capability[entry["id"]]
        if entry["id"] in rated:
            rate = min(rated[entry["id"]], peak)
            how = (f"{b:.1f} FLOPs per SM-cycle x {entry['sms']} SMs x {entry['boost_clock_mhz']:g} MHz = "
                   f"{rated[entry['id']] / 1e12:.1f} TFLOPS over the {peak / 1e12:g} TFLOPS 16-bit peak")
        else:
            peers = {k: v for k, v in rated.items() if cc is not None and capability[k] == cc} or rated
            peer = max(peers, key=lambda k: peers[k])
            rate = min(peers[peer], compute_efficiency * peak)
            which = "of its compute capability" if cc is not None and capability[peer] == cc else "of any compute capability"
            how = (f"no sourced SM count and clock, so the lower of the highest catalog GPU's rate {which} ({peer}, "
                   f"{peers[peer] / 1e12:.1f} TFLOPS) and the 16-bit assumption ({compute_efficiency:g} x "
                   f"{peak / 1e12:g} TFLOPS)")
        if cc is None:
            how += "; not an NVIDIA GPU (llama.cpp's HIP kernels): extrapolated"
        elif cc not in measured:
            how += f"; no MMQ measurement on compute capability {cc} in the data: extrapolated"
        how += f"; measured on {', '.join(measured_quants)} files, Q8_0 extrapolated"
        out[entry["id"]] = (round(rate / peak, 3), how)
    return out


def pct(x):
    return f"{x:.1f} %"


def signed(x):
    return f"{x:+.1f} %"


def out_of_sample_line(analysed):
    """The leave-one-device-out summary sentence of an analyse_rows result."""
    oos = [a["out_of_sample"] for a in analysed]
    return (f"Out of sample (leave one device out): median absolute error {pct(statistics.median(abs(e) for e in oos) * 100)}, "
            f"mean signed error {signed(statistics.mean(oos) * 100)}, worst {signed(max(oos, key=abs) * 100)} over {len(oos)} rows "
            f"of {len({a['row']['device'] for a in analysed})} devices.")


def fit_table(analysed, devices, columns):
    """A leave-one-device-out fit's per-row table and its out-of-sample summary line: `columns` is
    [(header, alignment, cell(row, device, a))], followed by the two error columns every fit has."""
    columns = columns + [("out of sample", "---:", lambda row, device, a: signed(a["out_of_sample"] * 100)),
                         ("in sample", "---:", lambda row, device, a: signed(a["in_sample"] * 100))]
    lines = ["| " + " | ".join(header for header, _, _ in columns) + " |",
             "|" + "|".join(alignment for _, alignment, _ in columns) + "|"]
    for a in analysed:
        row, device = a["row"], devices[a["row"]["device"]]
        lines.append("| " + " | ".join(cell(row, device, a) for _, _, cell in columns) + " |")
    return lines + ["", out_of_sample_line(analysed), ""]


def document_lines(data, overhead_ms, hardware, catalog_sm_figures):
    """The prefill section of docs/validation-llamacpp.md (catalog_sm_figures: the decode data's
    catalog_devices, SM counts and clocks with their sources)."""
    b, analysed = analyse(data, overhead_ms)
    devices = {d["name"]: d for d in data["devices"]}
    models = {m["name"]: m for m in data["models"]}
    lines = [
        "## Prefill of quantized weights",
        "",
        f"`{DATA_REL}`: {data['source']}. Method: {data['method']}. Licence: {data['licence']}. "
        f"It is {data['not_calibration_sources']}.",
        "",
        f"Kernels: {data['kernels_source']}. The model: one prompt of P tokens on a GPU of n SMs at boost clock f takes",
        "",
        "```",
        "time = prefill FLOPs / (b * n * f) + c      b: FLOPs one SM completes per cycle in the MMQ kernels",
        "prefill FLOPs = 2 (matrices but the head) P + 2 head + 2 L heads head_dim P^2",
        "```",
        "",
        f"with c = {overhead_ms:g} ms, the decode fit's per-step time. b is one figure for every NVIDIA device: the",
        "geometric mean over devices of the b each device's rows imply (each device weighted once). Out of sample,",
        "each device is predicted with the b fitted on the other devices only (leave one device out).",
        "",
        f"Fitted on all {len({r['device'] for r in mmq_rows(data)})} devices: **b = {b:.0f} FLOPs per SM-cycle**.",
        "",
    ]
    lines += fit_table(analysed, devices, [
        ("device", "---", lambda row, device, a: row["device"]),
        ("compute capability", "---", lambda row, device, a: str(device["compute_capability"])),
        ("SMs", "---:", lambda row, device, a: str(device["sms"])),
        ("boost (MHz)", "---:", lambda row, device, a: f"{device['boost_clock_mhz']:g}"),
        ("model", "---", lambda row, device, a: row["model"]),
        ("quant", "---", lambda row, device, a: row["quant"]),
        ("build", "---", lambda row, device, a: row["build"]),
        ("measured pp512 (t/s)", "---:", lambda row, device, a: f"{row['tokens_per_s']:g}"),
        ("implied b", "---:", lambda row, device, a: f"{a['implied']:.0f}"),
        ("b without this device", "---:", lambda row, device, a: f"{a['without']:.0f}")])
    # Why a rate per SM-cycle and not a share of the tensor peak: the INT8 tensor peak per
    # SM-cycle of a GA100 and a GA102 catalog GPU (datasheet peak over SMs x boost clock) against
    # the implied b of the rows on those two chips.
    implied = [a["implied"] for a in analysed]
    per_sm = {gpu: hardware[gpu]["peak_tflops"]["int8"] * 1e12 / (sms * mhz * 1e6)
              for gpu, sms, mhz in ((g["id"], g["sms"], g["boost_clock_mhz"]) for g in catalog_sm_figures)
              if gpu in ("a100-80gb", "a10")}
    by_chip = {chip: [a["implied"] for a in analysed if a["row"]["device"] in names]
               for chip, names in (("GA100", ("A30",)), ("GA102", ("RTX 3080 10GB", "RTX 3090")))}
    lines += [
        f"The implied b spans {min(implied):.0f} to {max(implied):.0f} FLOPs per SM-cycle (a factor of "
        f"{max(implied) / min(implied):.1f}) across Ampere, Ada and Blackwell parts, data-centre and GeForce. The INT8",
        f"tensor peak per SM-cycle is {per_sm['a100-80gb']:.0f} operations on GA100 (the catalog's A100: datasheet peak over",
        f"SMs x boost clock) and {per_sm['a10']:.0f} on GA102 (the A10), yet the GA100 rows (A30) imply "
        f"{min(by_chip['GA100']):.0f} to {max(by_chip['GA100']):.0f} FLOPs per SM-cycle",
        f"and the GA102 rows (RTX 3080, 3090) {min(by_chip['GA102']):.0f} to {max(by_chip['GA102']):.0f}: the kernels do not "
        "use the wider tensor cores, so the rate is",
        "per SM-cycle, not a share of the datasheet peak.",
        "",
    ]
    catalog_rows = [a for a in analysed if devices[a["row"]["device"]].get("catalog_id")]
    if catalog_rows:
        lines += ["Before: the assumption shipped before this data (compute efficiency "
                  f"{BEFORE_COMPUTE_EFFICIENCY:g} of the 16-bit peak for every prompt) on the rows of catalog GPUs:", "",
                  "| device | model | measured (t/s) | before | now, out of sample |", "|---|---|---:|---:|---:|"]
        for a in catalog_rows:
            row, device = a["row"], devices[a["row"]["device"]]
            peak = hardware[device["catalog_id"]]["peak_tflops"]["fp16"] * 1e12
            model = models[row["model"]]
            before = error(row, model, BEFORE_COMPUTE_EFFICIENCY * peak, overhead_ms)
            lines.append(f"| {row['device']} | {row['model']} | {row['tokens_per_s']:g} | {signed(before * 100)} | "
                         f"{signed(a['out_of_sample'] * 100)} |")
        lines.append("")
    rates = catalog_rates(b, data, catalog_sm_figures, hardware, BEFORE_COMPUTE_EFFICIENCY)
    lines += ["What the product's llama.cpp factor sets give an integer-quantized prompt on each catalog GPU (TFLOPS),",
              f"against the assumption before this data ({BEFORE_COMPUTE_EFFICIENCY:g} of the 16-bit peak for the weight-only "
              "variants, W4A16 and W8A16; the W8A8 ones took it of the INT8 peak):", "",
              "| catalog GPU | compute capability | before, W4A16 and W8A16 | before, W8A8 | now, all three | now / before, W4A16 |",
              "|---|---|---:|---:|---:|---:|"]
    for entry in catalog_sm_figures:
        peaks = hardware[entry["id"]]["peak_tflops"]
        before = BEFORE_COMPUTE_EFFICIENCY * peaks["fp16"]
        before_w8a8 = BEFORE_COMPUTE_EFFICIENCY * peaks["int8"] if peaks.get("int8") else None
        now = rates[entry["id"]][0] * peaks["fp16"]
        cc = data["catalog_compute_capability"][entry["id"]] or "- (AMD)"
        w8a8 = f"{before_w8a8:.1f}" if before_w8a8 is not None else "-"
        lines.append(f"| {entry['id']} | {cc} | {before:.1f} | {w8a8} | {now:.1f} | {now / before:.2f} |")
    lines += ["", "Left out:", ""]
    lines += [f"- {entry['what']}: {entry['why']}." for entry in data["left_out"]]
    lines += [
        "",
        "No row measures the MMQ kernels on compute capability 9.0 (Hopper) or 10.0 (B200): the product applies the",
        "same b there (an extrapolation), and a quantized prefill on those GPUs is labelled so in the factor sets' sources.",
        "",
    ]
    return lines


def cublas_document_lines(data, overhead_ms, hardware, catalog_ids, compute_efficiency):
    """The 16-bit prefill section of docs/validation-llamacpp.md (compute_efficiency: catalog GPU id
    -> the 16-bit efficiency its llama.cpp set ships; catalog_ids: the GPUs to tabulate)."""
    efficiency, analysed = analyse_cublas(data, overhead_ms)
    devices = {d["name"]: d for d in data["devices"]}
    models = {m["name"]: m for m in data["models"]}
    names = list(dict.fromkeys(a["row"]["device"] for a in analysed))
    lines = [
        "## Prefill of 16-bit weights",
        "",
        f"Kernels: {data['cublas_source']}. The rows of quant F16 in `{DATA_REL}` fit one efficiency e:",
        "",
        "```",
        "time = prefill FLOPs / (e * peak at FP16 accumulation) + c",
        "```",
        "",
        f"with the same FLOPs and c = {overhead_ms:g} ms; e is the geometric mean over devices of each device's implied e",
        "(each device weighted once), and each device is predicted out of sample with the e fitted on the others.",
        "",
        f"Fitted on all {len(names)} devices: **e = {efficiency:.3f}** (shipped as {round(efficiency, 3):g}).",
        "",
    ]
    lines += fit_table(analysed, devices, [
        ("device", "---", lambda row, device, a: row["device"]),
        ("compute capability", "---", lambda row, device, a: str(device["compute_capability"])),
        ("peak at FP16 accumulation (TFLOPS)", "---:", lambda row, device, a: f"{device['fp16_accumulate_tflops']:g}"),
        ("model", "---", lambda row, device, a: row["model"]),
        ("build", "---", lambda row, device, a: row["build"]),
        ("measured pp512 (t/s)", "---:", lambda row, device, a: f"{row['tokens_per_s']:g}"),
        ("implied e", "---:", lambda row, device, a: f"{a['implied']:.3f}"),
        ("e without this device", "---:", lambda row, device, a: f"{a['without']:.3f}")])
    # The same fit against the FP32-accumulate peaks (GeForce: half), the accumulation the other
    # engines use: which of the two the rows choose.
    as_fp32 = dict(data, devices=[dict(d, fp16_accumulate_tflops=d["fp32_accumulate_tflops"]) if "fp32_accumulate_tflops" in d else d
                                  for d in data["devices"]])
    e32, analysed32 = analyse_cublas(as_fp32, overhead_ms)
    oos32 = [a["out_of_sample"] for a in analysed32]
    per_device = {}
    for a in analysed32:
        per_device.setdefault(a["row"]["device"], []).append(a["implied"])
    spread = {name: geometric_mean(values) for name, values in per_device.items()}
    evidence = data["accumulation_evidence"]
    evidence_model = models[evidence["model"]]
    evidence_tflops = prefill_flops(evidence_model, evidence["prompt_tokens"]) / (evidence["prompt_tokens"] / evidence["tokens_per_s"]) / 1e12
    evidence_device = devices[evidence["device"]]
    lines += [
        "Which accumulation: fitted against the FP32-accumulate peaks instead (half the FP16-accumulate peak on the",
        f"GeForce cards, the same on the data-centre ones), e = {e32:.3f}, the devices' implied e span "
        f"{min(spread.values()):.3f} to {max(spread.values()):.3f} (against",
        f"{min(geometric_mean([a['implied'] for a in analysed if a['row']['device'] == n]) for n in names):.3f} to "
        f"{max(geometric_mean([a['implied'] for a in analysed if a['row']['device'] == n]) for n in names):.3f}) and the "
        f"out-of-sample median absolute error is {pct(statistics.median(abs(e) for e in oos32) * 100)}",
        f"(worst {signed(max(oos32, key=abs) * 100)}): the rows choose FP16 accumulation, as the code says. So does one more figure, not a",
        f"fit row: {evidence['what']} ({evidence['source']}), {evidence['tokens_per_s']:g} t/s, is {evidence_tflops:.1f} TFLOPS of",
        f"{evidence['model']}'s prefill FLOPs, above the card's {evidence_device['fp32_accumulate_tflops']:g} TFLOPS FP32-accumulate "
        "peak.",
        "",
        f"Before: the assumption shipped before this data ({BEFORE_COMPUTE_EFFICIENCY:g} of the catalog's 16-bit peak, "
        "FP32 accumulation on GeForce) on these rows:",
        "",
        "| device | model | measured (t/s) | before | now, out of sample |",
        "|---|---|---:|---:|---:|",
    ]
    for a in analysed:
        row, device = a["row"], devices[a["row"]["device"]]
        before = error(row, models[row["model"]], BEFORE_COMPUTE_EFFICIENCY * device["fp32_accumulate_tflops"] * 1e12,
                       overhead_ms)
        lines.append(f"| {row['device']} | {row['model']} | {row['tokens_per_s']:g} | {signed(before * 100)} | "
                     f"{signed(a['out_of_sample'] * 100)} |")
    lines += [
        "",
        "What the product's llama.cpp factor sets give a prompt of 16-bit (F16) weights on each catalog GPU (TFLOPS):",
        "",
        "| catalog GPU | peak the GEMMs run at (TFLOPS) | before | now | now / before |",
        "|---|---:|---:|---:|---:|",
    ]
    for gpu in catalog_ids:
        h = hardware[gpu]
        peak = h.get("fp16_accumulate_peak_tflops", h["peak_tflops"]["fp16"])
        before = BEFORE_COMPUTE_EFFICIENCY * h["peak_tflops"]["fp16"]
        now = compute_efficiency[gpu] * peak
        lines.append(f"| {gpu} | {peak:g} | {before:.1f} | {now:.1f} | {now / before:.2f} |")
    lines += [
        "",
        "The peak is `fp16_accumulate_peak_tflops` where data/hardware.json lists one (the GeForce RTX 4090), else",
        "`peak_tflops.fp16`. A BF16 prompt (FP32 accumulation) takes the same share of `peak_tflops.bf16`, which no",
        "row measures. No F16 row measures Ampere or Hopper data-centre GPUs, B200 or AMD: e is extrapolated",
        "to the NVIDIA ones; the MI300X (hipBLAS, FP32 accumulation on CDNA) keeps the assumption.",
        "",
    ]
    return lines
