"""What the serving-engine fits share (scripts/fit_compute_efficiency.py, scripts/fit_decode_step.py).

Both write candidate factors into a copy of data/engines.json, run the harness on it as a catalog
overlay (dsselect_validate --engine-profiles --catalog), and score the point by the fit rows'
dense and MoE TPOT medians of absolute error. Hold-out rows are never read.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINES = os.path.join(ROOT, "data", "engines.json")
CATALOG = os.path.join(ROOT, "tests", "validation", "catalog.json")
SERVING_ENGINES = ("vllm", "sglang", "trtllm")


def fit_tpot_medians(script, validate, overlay_path, catalog, engines):
    """The fit rows' TPOT median of absolute error, {"dense": x, "moe": y}, with `engines` overlaid."""
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
        sys.exit(f"{script}: {validate} failed: {out.stderr.strip()}")
    report = json.loads(out.stdout)
    medians = {}
    for entry in report["overall"]:
        if entry["set"] == "fit" and entry["system"] == "":
            medians[entry["kind"]] = entry["tpot"]["median_ape"]
    if set(medians) != {"dense", "moe"}:
        sys.exit(f"{script}: the harness reported no dense or no MoE fit rows")
    return medians
