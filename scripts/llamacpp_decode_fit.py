#!/usr/bin/env python3
"""llama.cpp single-stream decode by hardware family and prefill (issue 20): fit, check, shipped factors.

Usage:
  scripts/llamacpp_decode_fit.py                      # print the report
  scripts/llamacpp_decode_fit.py --write              # rewrite docs/validation-llamacpp.md and the
                                                      # llama.cpp factor sets of data/engines.json
  scripts/llamacpp_decode_fit.py --check [--dsselect BUILD/dsselect]
                                                      # fail when either is stale; with --dsselect,
                                                      # also check that the product uses the factors

The data (tests/validation/data/llamacpp-decode-khmel-2026.json) is one public table of llama.cpp
tokens per second, one request at a time, Q4_K_M files, 13 devices. Model of one decode step of a
dense model whose GGUF file has S bytes, on a device of datasheet bandwidth BW with n SMs at boost
clock f (every figure of the devices carries its source in the data file):

    effective bandwidth  = min(eta * BW, n * f * b)        (b: bytes one SM streams per cycle)
    time per token       = S / effective bandwidth + c     (c: the per-token work outside the stream)

A batch-1 GEMV streams the weights; on cards whose memory is fast for their SM count (data-centre
HBM parts) the kernels cannot keep enough loads in flight and the SMs, not the memory, set the
rate; on GDDR cards the memory does. eta, b and c are fitted on the fit devices only (grid search,
lowest median absolute error of tokens/s); every other device is hold-out. Apple's unified memory
has no SM figure and is fitted apart (eta, c). Only dense models enter (a MoE's bytes per token and
Gemma's per-layer embeddings are not the file size).

The prefill of quantized weights (llama.cpp's MMQ kernels) and of F16 weights (cuBLAS at FP16
accumulation) is fitted by scripts/llamacpp_prefill.py on
tests/validation/data/llamacpp-prefill-2026.json; this script writes what it gives into each
catalog GPU's factor set (quantized_compute_efficiency, compute_efficiency) and into the document.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import llamacpp_prefill

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "validation", "data", "llamacpp-decode-khmel-2026.json")
DOC = os.path.join(ROOT, "docs", "validation-llamacpp.md")
ENGINES = os.path.join(ROOT, "data", "engines.json")
HARDWARE = os.path.join(ROOT, "data", "hardware.json")
DATA_REL = "tests/validation/data/llamacpp-decode-khmel-2026.json"

# Grid search in two passes: coarse, then fine around the coarse best (deterministic).
COARSE = {"eta": (0.40, 1.00, 0.05), "bytes_per_cycle": (2.0, 10.0, 0.5), "overhead_ms": (0.0, 4.0, 0.25)}
FINE_STEP = {"eta": 0.01, "bytes_per_cycle": 0.05, "overhead_ms": 0.05}
# llama.cpp's prefill comes from scripts/llamacpp_prefill.py: the 16-bit one (cuBLAS at FP16
# accumulation) as compute_efficiency of the NVIDIA sets, the quantized one (MMQ) as
# quantized_compute_efficiency. Where no data reaches (AMD, Apple), the 16-bit efficiency stays
# the assumption shipped before the data.
ASSUMED_COMPUTE_EFFICIENCY = llamacpp_prefill.BEFORE_COMPUTE_EFFICIENCY
# What data/engines.json shipped for llama.cpp on GPUs before this fit (an assumption), for the
# before/after line of the report.
BEFORE = {"eta": 0.70, "bytes_per_cycle": None, "overhead_ms": 0.3}


load = llamacpp_prefill.load  # one JSON reader for both data files


def rows_of(data):
    """(model, size GB, device) -> tokens/s for the dense models, in the file's order."""
    out = []
    kinds = {m["name"]: m for m in data["models"]}
    for entry in data["tokens_per_s"]:
        model = kinds[entry["model"]]
        if model["kind"] != "dense":
            continue
        for device, value in zip(data["devices"], entry["tokens_per_s"]):
            if value is not None:
                out.append((model["name"], model["gguf_gb"], device["name"], value))
    return out


def effective_bandwidth_gb_per_s(device, eta, bytes_per_cycle, fallback_cap=None):
    """min(eta * BW, SMs * clock * b); a device with no SM figure takes `fallback_cap` (GB/s) as
    its SM limit when one is given (the highest rate a fit device's SMs reached)."""
    bandwidth = eta * device["bandwidth_gb_per_s"]
    if device.get("sms") and device.get("boost_clock_mhz") and bytes_per_cycle is not None:
        bandwidth = min(bandwidth, device["sms"] * device["boost_clock_mhz"] * 1e6 * bytes_per_cycle / 1e9)
    elif fallback_cap is not None:
        bandwidth = min(bandwidth, fallback_cap)
    return bandwidth


def predicted_tokens_per_s(size_gb, device, params):
    bandwidth = effective_bandwidth_gb_per_s(device, params["eta"], params.get("bytes_per_cycle"), params.get("fallback_cap"))
    return 1.0 / (size_gb / bandwidth + params["overhead_ms"] / 1000.0)


def errors(rows, devices, params):
    return [predicted_tokens_per_s(size, devices[name], params) / measured - 1.0
            for _, size, name, measured in rows if name in devices]


def median_ape(errs):
    return statistics.median(abs(e) for e in errs) * 100.0


def axis(low, high, step):
    count = int(round((high - low) / step))
    return [round(low + i * step, 6) for i in range(count + 1)]


def grid_best(rows, devices, axes):
    best = None
    for eta in axes["eta"]:
        for cap in axes["bytes_per_cycle"]:
            for overhead in axes["overhead_ms"]:
                params = {"eta": eta, "bytes_per_cycle": cap, "overhead_ms": overhead}
                score = median_ape(errors(rows, devices, params))
                if best is None or score < best[0] - 1e-12:
                    best = (score, params)
    return best[1]


def fit(rows, devices, with_cap):
    coarse = {name: axis(*bounds) for name, bounds in COARSE.items()}
    if not with_cap:
        coarse["bytes_per_cycle"] = [None]
    first = grid_best(rows, devices, coarse)
    fine = {}
    for name, step in FINE_STEP.items():
        if first[name] is None:
            fine[name] = [None]
            continue
        low, high, coarse_step = COARSE[name]
        fine[name] = [x for x in axis(max(low, first[name] - coarse_step), min(high, first[name] + coarse_step), step)]
    return grid_best(rows, devices, fine)


def fits(data, rows):
    """Per family: the fitted parameters and the fit devices."""
    out = {}
    for family in sorted({d["family"] for d in data["devices"]}):
        fit_devices = {d["name"]: d for d in data["devices"] if d["family"] == family and d["set"] == "fit"}
        if not fit_devices:
            continue
        with_cap = all(d.get("sms") and d.get("boost_clock_mhz") for d in fit_devices.values())
        params = fit(rows, fit_devices, with_cap)
        if with_cap:
            # For a device with no sourced SM figure: the highest SM-limited rate of a fit device.
            params["fallback_cap"] = max(effective_bandwidth_gb_per_s(d, 1.0, params["bytes_per_cycle"])
                                         for d in fit_devices.values())
        out[family] = {"params": params, "fit_devices": sorted(fit_devices)}
    return out


pct = llamacpp_prefill.pct
signed = llamacpp_prefill.signed


def device_table(data, rows, fitted):
    lines = ["| device | family | set | bandwidth (GB/s) | SMs | boost (MHz) | effective bandwidth (GB/s) | bound by | n | median APE | mean signed error |",
             "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    summary = {}
    for device in data["devices"]:
        family = fitted.get(device["family"])
        n = sum(1 for r in rows if r[2] == device["name"])
        usable = family is not None and n > 0
        if not usable:
            lines.append(f"| {device['name']} | {device['family']} | not checked | {device['bandwidth_gb_per_s']:g} | "
                         f"{device.get('sms') or '-'} | {device.get('boost_clock_mhz') or '-'} | - | - | {n} | - | - |")
            continue
        params = family["params"]
        errs = errors(rows, {device["name"]: device}, params)
        eff = effective_bandwidth_gb_per_s(device, params["eta"], params.get("bytes_per_cycle"), params.get("fallback_cap"))
        has_sms = device.get("sms") and device.get("boost_clock_mhz")
        bound = ("memory" if eff >= params["eta"] * device["bandwidth_gb_per_s"] - 1e-9 else
                 "SMs" if has_sms else "SMs (fallback: no SM figure)")
        lines.append(f"| {device['name']} | {device['family']} | {device['set']} | {device['bandwidth_gb_per_s']:g} | "
                     f"{device.get('sms') or '-'} | {device.get('boost_clock_mhz') or '-'} | {eff:.0f} | {bound} | {len(errs)} | "
                     f"{pct(median_ape(errs))} | {signed(statistics.mean(errs) * 100.0)} |")
        summary.setdefault((device["family"], device["set"]), []).extend(errs)
    return lines, summary


def catalog_factor_sets(data, fitted, prefill_data):
    """The llama.cpp factor sets data/engines.json ships: one per catalog GPU (the fallback SM
    limit where no SM count and clock are sourced), then the Apple set (hardware of vendor
    "apple" a user adds), then the NVIDIA GPU set (an NVIDIA GPU a user adds: the SM-cycle laws,
    applied by the estimator to its sm_count and boost_clock_mhz), then the generic GPU set,
    then the edge set (unchanged, not in this data)."""
    hardware = {h["id"]: h for h in load(HARDWARE)["hardware"]}
    params = fitted["nvidia"]["params"]
    b, _ = llamacpp_prefill.analyse(prefill_data, params["overhead_ms"])
    fitted_16 = llamacpp_prefill.shipped_efficiency(prefill_data, params["overhead_ms"])
    sixteen_bit, sixteen_bit_how = prefill_efficiencies(data, prefill_data, fitted_16)
    quantized = llamacpp_prefill.catalog_rates(b, prefill_data, data["catalog_devices"], hardware, ASSUMED_COMPUTE_EFFICIENCY)
    sets = []
    for entry in data["catalog_devices"]:
        device = dict(entry, bandwidth_gb_per_s=hardware[entry["id"]]["memory_bandwidth_gb_per_s"])
        eff = effective_bandwidth_gb_per_s(device, params["eta"], params["bytes_per_cycle"], params["fallback_cap"])
        if entry.get("sms"):
            limit = (f"min(eta {params['eta']:g}, {entry['sms']} SMs x {entry['boost_clock_mhz']:g} MHz x "
                     f"{params['bytes_per_cycle']:g} B/cycle / {device['bandwidth_gb_per_s']:g} GB/s); SMs and clock with "
                     f"their sources: catalog_devices '{entry['id']}' of the data file")
        else:
            limit = (f"no sourced SM count and clock ({entry['spec_source']}), so the SM limit is the highest a fit "
                     f"device reached: min(eta {params['eta']:g}, {params['fallback_cap']:.0f} / "
                     f"{device['bandwidth_gb_per_s']:g} GB/s)")
        efficiency, how = quantized[entry["id"]]
        sets.append({
            "hardware": [entry["id"]],
            "compute_efficiency": sixteen_bit[entry["id"]],
            "quantized_compute_efficiency": efficiency,
            "memory_efficiency": round(eff / device["bandwidth_gb_per_s"], 3),
            "per_step_overhead_ms": params["overhead_ms"],
            "per_layer_overhead_us": 0,
            "source": (f"scripts/llamacpp_decode_fit.py on {DATA_REL} (docs/validation-llamacpp.md): {limit}, per-token "
                       f"{params['overhead_ms']:g} ms, fitted on {', '.join(fitted['nvidia']['fit_devices'])}; "
                       f"quantized_compute_efficiency (prefill of GGUF quantized weights, llama.cpp's MMQ kernels) from "
                       f"scripts/llamacpp_prefill.py on {llamacpp_prefill.DATA_REL}: {how}; "
                       f"compute_efficiency (16-bit prefill, cuBLAS): {sixteen_bit_how[entry['id']]}"),
        })
    apple = fitted.get("apple")
    if apple:
        # Apple silicon a user adds (vendor "apple"): the Apple fit, whatever the device's kind.
        sets.append({
            "vendors": ["apple"],
            "compute_efficiency": ASSUMED_COMPUTE_EFFICIENCY,
            "memory_efficiency": apple["params"]["eta"],
            "per_step_overhead_ms": apple["params"]["overhead_ms"],
            "per_layer_overhead_us": 0,
            "source": (f"scripts/llamacpp_decode_fit.py on {DATA_REL} (docs/validation-llamacpp.md): the Apple family's eta "
                       f"and per-token overhead, fitted on {', '.join(apple['fit_devices'])} (unified memory, Metal; no SM "
                       "limit), for Apple hardware a user adds with vendor \"apple\" (the catalog ships none); "
                       "compute_efficiency (prefill) is an assumption, no Apple prefill data"),
        })
    # An NVIDIA GPU a user adds: the same laws, applied by the estimator to the SM count and boost
    # clock the hardware lists (EngineFactors::sm_bytes_per_cycle, sm_quantized_flops_per_cycle).
    sets.append({
        "vendors": ["nvidia"],
        "hardware_kind": "gpu",  # an NVIDIA edge module (Jetson) keeps the edge set below
        "compute_efficiency": fitted_16,
        "memory_efficiency": params["eta"],
        "sm_bytes_per_cycle": params["bytes_per_cycle"],
        "sm_quantized_flops_per_cycle": round(b, 1),
        "per_step_overhead_ms": params["overhead_ms"],
        "per_layer_overhead_us": 0,
        "source": (f"scripts/llamacpp_decode_fit.py on {DATA_REL} (docs/validation-llamacpp.md): for an NVIDIA GPU the "
                   "catalog does not ship (every shipped GPU has its own set above), the laws those sets were computed "
                   "by, applied by the estimator to the hardware's sm_count and boost_clock_mhz: decode at "
                   f"min(eta {params['eta']:g}, SMs x clock x {params['bytes_per_cycle']:g} B/cycle / bandwidth), eta, "
                   f"b and the per-token {params['overhead_ms']:g} ms fitted on {', '.join(fitted['nvidia']['fit_devices'])}; "
                   f"quantized prefill (MMQ) at {b:.1f} FLOPs per SM-cycle over the 16-bit peak, at most 1, from "
                   f"scripts/llamacpp_prefill.py on {llamacpp_prefill.DATA_REL}; a GPU that lists no SM count and "
                   "clock gets neither law: decode at eta (an HBM card then comes out faster than llama.cpp runs it) "
                   "and quantized prefill at compute_efficiency of the 16-bit peak; compute_efficiency (16-bit "
                   f"prefill, cuBLAS) fitted on the F16 rows of {llamacpp_prefill.DATA_REL}, against the GPU's "
                   "fp16_accumulate_peak_tflops where it lists one"),
    })
    sets.append({
        "hardware_kind": "gpu",
        "compute_efficiency": fitted_16,
        "memory_efficiency": params["eta"],
        "per_step_overhead_ms": params["overhead_ms"],
        "per_layer_overhead_us": 0,
        "source": (f"scripts/llamacpp_decode_fit.py on {DATA_REL} (docs/validation-llamacpp.md): eta and the per-token "
                   f"overhead fitted on {', '.join(fitted['nvidia']['fit_devices'])}, for a GPU the catalog does not ship "
                   "of a vendor other than NVIDIA and Apple (every shipped GPU has its own set above, NVIDIA and Apple "
                   "hardware a user adds theirs); no SM limit is applied, so an HBM card comes out faster "
                   "than llama.cpp runs it; compute_efficiency (16-bit prefill, cuBLAS) fitted on the F16 rows of "
                   f"{llamacpp_prefill.DATA_REL} (NVIDIA GPUs; another vendor's GPU takes it too, extrapolated), against "
                   "the GPU's fp16_accumulate_peak_tflops where it lists one; quantized prefill at compute_efficiency of the 16-bit peak, no MMQ rate for a GPU "
                   "without a sourced SM count and clock"),
    })
    sets.append({"hardware_kind": "edge", "compute_efficiency": 0.40, "memory_efficiency": 0.60, "per_step_overhead_ms": 1.0,
                 "source": "assumption: on-device NPUs and unified-memory SoCs; not validated"})
    return sets


def prefill_efficiencies(data, prefill_data, fitted):
    """Per catalog GPU id: the 16-bit (cuBLAS) compute efficiency its llama.cpp set ships, and how:
    the F16 fit (fitted) on an NVIDIA GPU, labelled extrapolated where no F16 row measures its
    compute capability, the assumption on another vendor's."""
    measured = llamacpp_prefill.measured_capabilities(prefill_data, llamacpp_prefill.cublas_rows(prefill_data))
    values, how = {}, {}
    for entry in data["catalog_devices"]:
        cc = prefill_data["catalog_compute_capability"][entry["id"]]
        if cc is None:
            values[entry["id"]] = ASSUMED_COMPUTE_EFFICIENCY
            how[entry["id"]] = "an assumption (not an NVIDIA GPU: hipBLAS, no 16-bit prefill data)"
            continue
        values[entry["id"]] = fitted
        how[entry["id"]] = (f"{fitted:g} of the GPU's FP16-accumulate peak for F16 weights (fp16_accumulate_peak_tflops "
                            f"where data/hardware.json lists it, else peak_tflops.fp16), fitted by "
                            f"scripts/llamacpp_prefill.py on the F16 rows of {llamacpp_prefill.DATA_REL}; BF16 weights "
                            "(FP32 accumulation) take the same share of peak_tflops.bf16, unmeasured"
                            + ("" if cc in measured else f"; no F16 row on compute capability {cc}: extrapolated"))
    return values, how


def factors_text(sets):
    out = []
    for i, s in enumerate(sets):
        body = json.dumps({k: v for k, v in s.items() if k != "source"})[1:-1]
        out.append("        {" + body + ",\n         \"source\": " + json.dumps(s["source"]) + "}" + ("," if i + 1 < len(sets) else ""))
    return "\n".join(out)


LLAMA_FACTORS = re.compile(r'("id": "llama\.cpp",.*?"factors": \[\n)(.*?)(\n      \],)', re.S)


def engines_with(sets):
    with open(ENGINES, encoding="utf-8") as handle:
        text = handle.read()
    match = LLAMA_FACTORS.search(text)
    if match is None:
        raise SystemExit("FAIL: data/engines.json: no llama.cpp \"factors\" array found")
    return text[:match.start(2)] + factors_text(sets) + text[match.end(2):]


def document(data, rows, fitted, prefill_data):
    table, summary = device_table(data, rows, fitted)
    nv, apple = fitted.get("nvidia"), fitted.get("apple")
    lines = [
        "# Validation: llama.cpp single-stream decode by hardware family, and its prefill",
        "",
        "Generated by `scripts/llamacpp_decode_fit.py` (`--write`); do not edit by hand. CI fails when this",
        "file or the llama.cpp factor sets of `data/engines.json` are stale (`llamacpp_decode_fit_current`).",
        "",
        "## Data",
        "",
        f"`{DATA_REL}`: {data['source']}. Method: {data['method']}. Licence: {data['licence']}. It is {data['not_calibration_sources']}.",
        "",
        "Only dense models enter the fit and the check (" +
        ", ".join(m["name"] for m in data["models"] if m["kind"] == "dense") + "); left out: " +
        "; ".join(f"{m['name']} ({m['kind']})" for m in data["models"] if m["kind"] != "dense") + ".",
        "",
        "## Model",
        "",
        "One decode step of a dense model whose GGUF file has S bytes, one request, on a device of datasheet",
        "bandwidth BW with n SMs at boost clock f:",
        "",
        "```",
        "effective bandwidth = min(eta * BW, n * f * b)     b: bytes one SM streams per cycle",
        "time per token      = S / effective bandwidth + c  c: per-token work outside the weight stream",
        "```",
        "",
        "A batch-1 matrix-vector product streams the weights. On a card whose memory is fast for its SM count",
        "(the HBM data-centre parts) llama.cpp's kernels cannot keep enough loads in flight and the SMs set",
        "the rate; on a GDDR card the memory does. Apple's unified memory has no SM figure and is fitted apart.",
        "",
        "## Fitted (fit devices only)",
        "",
    ]
    if nv:
        p = nv["params"]
        lines.append(f"- NVIDIA, fitted on {', '.join(nv['fit_devices'])}: eta = {p['eta']:g}, b = {p['bytes_per_cycle']:g} bytes "
                     f"per SM-cycle, c = {p['overhead_ms']:g} ms. A device with no sourced SM count and clock takes the "
                     f"highest SM-limited rate of a fit device, {p['fallback_cap']:.0f} GB/s, as its SM limit "
                     "(\"SMs (fallback: no SM figure)\" below).")
    if apple:
        p = apple["params"]
        lines.append(f"- Apple, fitted on {', '.join(apple['fit_devices'])}: eta = {p['eta']:g}, c = {p['overhead_ms']:g} ms "
                     "(the catalog has no Apple device; Apple hardware a user adds with vendor `apple` takes these).")
    lines += ["", "## Per device", "", *table, "", "## Summary by family and set", "",
              f"Before: the assumption shipped before this fit (eta {BEFORE['eta']:g}, c {BEFORE['overhead_ms']:g} ms, no SM",
              "limit) on the same rows.", "",
              "| family | set | n | median APE | mean signed error | before: median APE | before: mean signed error |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for (family, which), errs in sorted(summary.items()):
        names = {d["name"]: d for d in data["devices"] if d["family"] == family and d["set"] == which}
        before = errors([r for r in rows if r[2] in names], names, BEFORE)
        lines.append(f"| {family} | {which} | {len(errs)} | {pct(median_ape(errs))} | {signed(statistics.mean(errs) * 100.0)} | "
                     f"{pct(median_ape(before))} | {signed(statistics.mean(before) * 100.0)} |")
    notes = [d for d in data["devices"] if d.get("note")]
    if notes:
        lines += ["", "Notes on devices:", ""]
        lines += [f"- {d['name']}: {d['note']}" for d in notes]
    hardware = {h["id"]: h for h in load(HARDWARE)["hardware"]}
    sixteen_bit, _ = prefill_efficiencies(data, prefill_data,
                                          llamacpp_prefill.shipped_efficiency(prefill_data, nv["params"]["overhead_ms"]))
    lines += [""] + llamacpp_prefill.document_lines(prefill_data, nv["params"]["overhead_ms"], hardware,
                                                    data["catalog_devices"])
    lines += llamacpp_prefill.cublas_document_lines(prefill_data, nv["params"]["overhead_ms"], hardware,
                                                    [entry["id"] for entry in data["catalog_devices"]], sixteen_bit)[:-1]
    lines += [
        "",
        "## What the product ships",
        "",
        "The llama.cpp factor sets of `data/engines.json` come from this fit: one set per catalog GPU",
        "(`memory_efficiency` = effective bandwidth / BW, with the fallback SM limit where no SM count and clock",
        "are sourced; `per_step_overhead_ms` = c, no per-layer term), then an Apple set (the Apple family's eta",
        "and c, matched by the hardware's `vendor` \"apple\": the catalog ships no Apple device, a user adds one), then an",
        "NVIDIA set for an NVIDIA GPU a user adds (eta, c and the two laws of this page, b bytes and the MMQ FLOPs per "
        "SM-cycle, which the estimator applies to the `sm_count` and `boost_clock_mhz` the hardware lists; without them "
        "eta alone and no MMQ rate; `--check` holds a user copy of each catalog GPU to that GPU's own set), then a "
        "generic GPU set for other GPUs a user adds (eta and c, no SM limit), then the edge set (an assumption, not in",
        "this data). Each catalog GPU's",
        "set also carries `quantized_compute_efficiency`, the prefill rate b * n * f of the section above over the",
        "GPU's 16-bit peak, which the estimator uses for integer-quantized variants (GGUF Q8_0 and Q4_K_M;",
        "docs/method.md), and `compute_efficiency`, the 16-bit prefill's share of the FP16-accumulate peak",
        "fitted above (the engine's `fp16_accumulate`; the MI300X and the Apple set keep the assumption).",
        "`--check --dsselect` also runs `dsselect estimate --engine llama.cpp --explain` on each",
        "catalog GPU of the data and checks that its decode memory time is the decode bytes over the fitted",
        "effective bandwidth, that a Q4_K_M and a Q8_0 prefill run at the set's quantized rate and that an",
        "F16 prefill runs at compute_efficiency of the peak its GEMMs use.",
        "",
    ]
    return "\n".join(lines)


DECODE_KEYS = ("decode_bytes_per_gpu", "decode_memory_ms", "step_overhead_ms", "effective_flops_per_s")


def explain_values(dsselect, gpu, variant, keys=DECODE_KEYS, data_file=None):
    """The lines `keys` of `dsselect estimate --explain` for model base under llama.cpp (with
    `--data data_file` where given), or a one-line problem."""
    command = [dsselect] + (["--data", data_file] if data_file else []) + [
        "estimate", "--model", "base", "--variant", variant, "--gpu", gpu, "--engine", "llama.cpp", "--explain"]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        return f"dsselect estimate on {gpu} ({variant}) exited {run.returncode}: {run.stderr.strip()}"
    values = {}
    for line in run.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] in keys:
            values[parts[0]] = float(parts[1])
    if len(values) != len(keys):
        return f"dsselect estimate on {gpu} ({variant}): no {' / '.join(keys)} in --explain"
    return values


def check_product(dsselect, data, sets):
    """The product's llama.cpp decode memory time is decode bytes / (memory_efficiency * BW), its
    step overhead is the fitted per-token c, an int4 and an int8 prompt (Q4_K_M, Q8_0) run at
    quantized_compute_efficiency of the 16-bit peak, and an fp16 prompt (F16) at compute_efficiency
    of the peak its GEMMs use (the FP16-accumulate peak where the GPU lists one)."""
    hardware = {h["id"]: h for h in load(HARDWARE)["hardware"]}
    checked = 0
    for s in sets:
        if "hardware" not in s:
            continue
        gpu = s["hardware"][0]
        for variant in ("int4", "int8"):  # GGUF Q4_K_M and Q8_0 (data/deploy.json)
            values = explain_values(dsselect, gpu, variant)
            if isinstance(values, str):
                return values
            rate = s["quantized_compute_efficiency"] * hardware[gpu]["peak_tflops"]["fp16"] * 1e12
            if abs(values["effective_flops_per_s"] / rate - 1.0) > 1e-3:
                return (f"dsselect estimate on {gpu}: effective_flops_per_s {values['effective_flops_per_s']:g} for "
                        f"{variant}, expected {rate:g} from quantized_compute_efficiency {s['quantized_compute_efficiency']:g}")
        values = explain_values(dsselect, gpu, "fp16")  # GGUF F16: cuBLAS at FP16 accumulation
        if isinstance(values, str):
            return values
        peak = hardware[gpu].get("fp16_accumulate_peak_tflops", hardware[gpu]["peak_tflops"]["fp16"])
        rate = s["compute_efficiency"] * peak * 1e12
        if abs(values["effective_flops_per_s"] / rate - 1.0) > 1e-3:
            return (f"dsselect estimate on {gpu}: effective_flops_per_s {values['effective_flops_per_s']:g} for fp16, "
                    f"expected {rate:g} from compute_efficiency {s['compute_efficiency']:g} x {peak:g} TFLOPS")
        if abs(values["step_overhead_ms"] - s["per_step_overhead_ms"]) > 1e-9:
            return (f"dsselect estimate on {gpu}: step_overhead_ms {values['step_overhead_ms']:g}, expected the fitted "
                    f"per-token {s['per_step_overhead_ms']:g} ms (no per-layer term)")
        expected = values["decode_bytes_per_gpu"] / (s["memory_efficiency"] * hardware[gpu]["memory_bandwidth_gb_per_s"] * 1e9) * 1e3
        if abs(values["decode_memory_ms"] / expected - 1.0) > 1e-3:
            return (f"dsselect estimate on {gpu}: decode_memory_ms {values['decode_memory_ms']:g}, expected {expected:g} "
                    f"from memory_efficiency {s['memory_efficiency']:g}")
        checked += 1
    return None if checked else "no catalog GPU checked"


USER_KEYS = ("engine: memory_efficiency", "engine: quantized_compute_efficiency")


def check_user_hardware(dsselect, data, sets):
    """An NVIDIA GPU a user adds with the SM count and boost clock of a catalog GPU gets, from the
    vendor set's SM-cycle laws applied by the estimator, the decode and quantized-prefill
    efficiencies this script writes into that catalog GPU's own set (to their 3-decimal rounding):
    the runtime law and the script's are one law."""
    hardware = {h["id"]: h for h in load(HARDWARE)["hardware"]}
    own = {s["hardware"][0]: s for s in sets if "hardware" in s}
    checked = 0
    for entry in data["catalog_devices"]:
        if not entry.get("sms"):
            continue
        catalog = hardware[entry["id"]]
        user = {key: catalog[key] for key in ("memory_gb", "memory_bandwidth_gb_per_s", "peak_tflops",
                                              "fp16_accumulate_peak_tflops") if key in catalog}
        user.update({"id": "user-" + entry["id"], "name": "user copy", "vendor": "nvidia", "sm_count": entry["sms"],
                     "boost_clock_mhz": entry["boost_clock_mhz"]})
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump({"schema_version": "1.0", "hardware": [user]}, handle)
            path = handle.name
        try:
            values = explain_values(dsselect, user["id"], "int4", USER_KEYS, path)
        finally:
            os.unlink(path)
        if isinstance(values, str):
            return f"a user copy of {entry['id']}: {values}"
        for key in USER_KEYS:
            field = key.removeprefix("engine: ")
            if abs(values[key] - own[entry["id"]][field]) > 1.5e-3:
                return (f"a user copy of {entry['id']} (vendor nvidia, sm_count {entry['sms']}, boost_clock_mhz "
                        f"{entry['boost_clock_mhz']:g}): {field} {values[key]:g}, expected its catalog set's "
                        f"{own[entry['id']][field]:g} from the same law")
        checked += 1
    return None if checked else "no catalog GPU with an SM count checked"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--dsselect")
    args = parser.parse_args()
    data = load(DATA)
    prefill_data = llamacpp_prefill.load()
    problems = llamacpp_prefill.checks(prefill_data, [entry["id"] for entry in data["catalog_devices"]])
    if problems:
        for problem in problems:
            print(f"FAIL: {llamacpp_prefill.DATA_REL}: {problem}")
        sys.exit(1)
    rows = rows_of(data)
    fitted = fits(data, rows)
    doc = document(data, rows, fitted, prefill_data)
    sets = catalog_factor_sets(data, fitted, prefill_data)
    engines_text = engines_with(sets)
    if args.write:
        with open(DOC, "w", encoding="utf-8") as handle:
            handle.write(doc)
        with open(ENGINES, "w", encoding="utf-8") as handle:
            handle.write(engines_text)
        return
    if args.check:
        failures = []
        if not os.path.isfile(DOC) or open(DOC, encoding="utf-8").read() != doc:
            failures.append("docs/validation-llamacpp.md is stale: run scripts/llamacpp_decode_fit.py --write")
        if open(ENGINES, encoding="utf-8").read() != engines_text:
            failures.append("data/engines.json llama.cpp factor sets are stale: run scripts/llamacpp_decode_fit.py --write")
        checks = 2
        if args.dsselect:
            for check in (check_product, check_user_hardware):
                checks += 1
                problem = check(args.dsselect, data, sets)
                if problem:
                    failures.append(problem)
        for failure in failures:
            print(f"FAIL: {failure}")
        print(f"{checks - len(failures)} passed, {len(failures)} failed")
        sys.exit(1 if failures else 0)
    print(doc)


if __name__ == "__main__":
    main()
