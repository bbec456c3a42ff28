#!/usr/bin/env python3
"""Writes data/accuracy.json, the measured accuracy the product prints beside its estimates (issue 20).

Usage: scripts/accuracy_table.py [--validate PATH] [--write | --check]
  --validate  the validation harness (default build/test/bench/dsselect_validate)
  --write     rewrite data/accuracy.json
  --check     write nothing; exit 1 when data/accuracy.json differs from what would be written
Without --write or --check the table is printed.

Every figure is computed here from measurements in the repository, never typed:
- vLLM, SGLang and TensorRT-LLM: `dsselect_validate --engine-profiles --format json` on
  tests/validation/data/aiconfigurator-silicon-sample.csv, one entry per engine, model kind (dense
  or MoE) and set of tests/validation/split.json (fit rows: the factors were fitted on them, so
  their error is in-sample; hold-out rows: out of sample), TTFT, TPOT and capacity each: the median
  absolute and the mean signed percentage error of the rows the estimator could time. Capacity is
  the product's own requests/s per replica at the row's concurrency (the estimate's qps, what
  recommend divides the load by) against the row's closed loop read by Little's law,
  B / (TTFT + (O - 1) TPOT) (docs/validation.md, 'Capacity').
- llama.cpp: single-stream decode (TPOT) of dense models by hardware family, the fit and hold-out
  devices of scripts/llamacpp_decode_fit.py (tests/validation/data/llamacpp-decode-khmel-2026.json); no
  TTFT entry (its prefill check is per device, docs/validation-llamacpp.md) and no capacity entry (the
  rows time one stream's tokens, not requests).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import generated_file
import llamacpp_decode_fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "accuracy.json")
CSV = "tests/validation/data/aiconfigurator-silicon-sample.csv"
CATALOG = "tests/validation/catalog.json"
SPLIT = "tests/validation/split.json"
PROTOCOLS = "tests/validation/protocols.json"
# The sample's system names as the catalog's hardware ids (bench/validate/sample.cpp keeps the same
# map; gb200 is in tests/validation/catalog.json only). Every system of the sample is NVIDIA's.
SYSTEM_HARDWARE = {"h100_sxm": "h100-sxm", "h200_sxm": "h200", "b200_sxm": "b200", "gb200": "gb200"}
SAMPLE_VENDOR = "nvidia"
# The llama.cpp table's devices that are catalog hardware (same part and memory; data/hardware.json).
LLAMACPP_DEVICE_HARDWARE = {"A100 PCIe 40GB": "a100-40gb", "A100 SXM 80GB": "a100-80gb", "RTX 4090 24GB": "rtx-4090",
                            "H100 SXM 80GB": "h100-sxm", "H200 SXM 141GB": "h200"}
SERVER_ENGINES = ("vllm", "sglang", "trtllm")
# Precisions are the product's serving formats (data/engines.json weight_formats): the sample's
# "bf16" and "fp8" are already; the llama.cpp table measured GGUF Q4_K_M files, the format
# data/deploy.json gives the product's int4-w4a16 variants under llama.cpp.
LLAMACPP_FORMAT = "int4-w4a16"


def harness_report(validate):
    args = [validate, "--engine-profiles", "--format", "json", "--csv", os.path.join(ROOT, CSV),
            "--catalog", os.path.join(ROOT, CATALOG), "--split", os.path.join(ROOT, SPLIT),
            "--protocols", os.path.join(ROOT, PROTOCOLS)]
    try:
        run = subprocess.run(args, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"accuracy_table.py: cannot run the harness {validate}: {error}")
    return json.loads(run.stdout)


def figures(errors):
    """Median absolute and mean signed error, in percent, of a list of signed fractions."""
    if not errors:
        return None
    return {"rows": len(errors),
            "median_abs_error_pct": round(statistics.median(abs(e) for e in errors) * 100.0, 1),
            "mean_signed_error_pct": round(statistics.mean(errors) * 100.0, 1)}


def server_entries(report):
    groups = {}
    for row in report["rows"]:
        if row["status"] != "ok":
            continue
        model, system, precision, engine = row["subset"].split(" | ")
        if engine not in SERVER_ENGINES:
            continue
        if system not in SYSTEM_HARDWARE:
            sys.exit(f"accuracy_table.py: system '{system}' has no hardware id in SYSTEM_HARDWARE")
        group = groups.setdefault((engine, row["kind"], row["set"]),
                                  {"models": set(), "hardware": set(), "devices": set(), "precisions": set(),
                                   "ttft": [], "tpot": [], "capacity": []})
        group["models"].add(model)
        group["hardware"].add(SYSTEM_HARDWARE[system])
        group["devices"].add(system)
        group["precisions"].add(precision)
        group["ttft"].append(row["predicted_ttft_ms"] / row["measured_ttft_ms"] - 1.0)
        group["tpot"].append(row["predicted_tpot_ms"] / row["measured_tpot_ms"] - 1.0)
        group["capacity"].append(row["formula_qps"] / row["measured_qps"] - 1.0)
    entries = []
    for (engine, kind, set_name), group in sorted(groups.items()):
        entries.append({"engine": engine, "model_kind": kind, "set": set_name,
                        "hardware_family": None, "hardware_kind": None, "vendors": [SAMPLE_VENDOR],
                        "models": sorted(group["models"]), "hardware": sorted(group["hardware"]),
                        "devices": sorted(group["devices"]), "precisions": sorted(group["precisions"]),
                        "ttft": figures(group["ttft"]), "tpot": figures(group["tpot"]),
                        "capacity": figures(group["capacity"]),
                        "source": f"{CSV} ({set_name} rows of {SPLIT}), dsselect_validate --engine-profiles; "
                                  "docs/validation.md"})
    return entries


def family_hardware_kind(family):
    """The hardware kind llama.cpp's factor set for this vendor applies to (data/engines.json), or None: any."""
    with open(os.path.join(ROOT, "data", "engines.json"), encoding="utf-8") as handle:
        engines = json.load(handle)["engines"]
    llamacpp = next(engine for engine in engines if engine["id"] == "llama.cpp")
    kinds = {factors.get("hardware_kind") for factors in llamacpp["factors"] if factors.get("vendors") == [family]}
    if len(kinds) != 1:
        sys.exit(f"accuracy_table.py: data/engines.json has {len(kinds)} llama.cpp factor sets for vendor '{family}', "
                 "expected one")
    return kinds.pop()


def llamacpp_entries():
    data = llamacpp_decode_fit.load(llamacpp_decode_fit.DATA)
    rows = llamacpp_decode_fit.rows_of(data)
    fitted = llamacpp_decode_fit.fits(data, rows)
    _, summary = llamacpp_decode_fit.device_table(data, rows, fitted)
    devices = {d["name"]: d for d in data["devices"]}
    entries = []
    for (family, set_name), errors in sorted(summary.items()):
        if set_name not in ("fit", "hold-out"):
            continue
        measured = sorted({device for _, _, device, _ in rows
                           if devices[device]["family"] == family and devices[device]["set"] == set_name})
        # The script's errors are of tokens/s; a time per token is its reciprocal.
        tpot_errors = [1.0 / (1.0 + e) - 1.0 for e in errors]
        entries.append({"engine": "llama.cpp", "model_kind": "dense", "set": set_name, "hardware_family": family,
                        "hardware_kind": family_hardware_kind(family), "vendors": [family],
                        "models": sorted({name for name, _, device, _ in rows
                                          if devices[device]["family"] == family and devices[device]["set"] == set_name}),
                        "hardware": sorted({LLAMACPP_DEVICE_HARDWARE[d] for d in measured
                                            if d in LLAMACPP_DEVICE_HARDWARE}),
                        "devices": measured, "precisions": [LLAMACPP_FORMAT],
                        "ttft": None, "tpot": figures(tpot_errors), "capacity": None,
                        "source": f"{llamacpp_decode_fit.DATA_REL} ({set_name} devices), "
                                  "scripts/llamacpp_decode_fit.py; docs/validation-llamacpp.md"})
    return entries


def hardware_ids():
    """The hardware ids of the product's catalog and of the validation catalog."""
    ids = set()
    for path in (os.path.join(ROOT, "data", "hardware.json"), os.path.join(ROOT, CATALOG)):
        with open(path, encoding="utf-8") as handle:
            ids.update(entry["id"] for entry in json.load(handle).get("hardware", []))
    return ids


def table(validate):
    known = hardware_ids()
    for name, hardware_id in list(SYSTEM_HARDWARE.items()) + list(LLAMACPP_DEVICE_HARDWARE.items()):
        if hardware_id not in known:
            sys.exit(f"accuracy_table.py: '{name}' maps to hardware '{hardware_id}', which no catalog defines")
    return {
        "schema_version": "1.1",
        "source": "Generated by scripts/accuracy_table.py --write from measurements in the repository; do not edit by "
                  "hand. CI fails when it is stale (accuracy_table_current). Errors are (predicted - measured) / "
                  "measured, in percent: a negative mean signed error means the estimated times run short (TTFT, "
                  "TPOT) or the estimated capacity (requests/s per replica) runs low.",
        "entries": server_entries(harness_report(validate)) + llamacpp_entries(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validate", default=os.path.join(ROOT, "build", "test", "bench", "dsselect_validate"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = json.dumps(table(args.validate), indent=2) + "\n"
    generated_file.emit(OUT, text, ROOT, args.write, args.check,
                        "run scripts/accuracy_table.py --write (after rebuilding dsselect_validate)")


if __name__ == "__main__":
    main()
