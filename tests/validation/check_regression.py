#!/usr/bin/env python3
"""Fails when the estimator's error on the measured data regresses by more than 2 points.

Usage: check_regression.py DSSELECT_VALIDATE SOURCE_DIR
Compares the median absolute percentage errors of each summary line of
`dsselect_validate --engine-profiles` with tests/validation/published.json.
"""
import json
import os
import subprocess
import sys

validate, source = sys.argv[1], sys.argv[2]
csv = os.path.join(source, "tests", "validation", "data", "aiconfigurator-silicon-sample.csv")
published_path = os.path.join(source, "tests", "validation", "published.json")
# The repository ships both inputs: a missing one is a failure, never a skip.
for required in (csv, published_path):
    if not os.path.isfile(required):
        print(f"FAIL: {required} is missing (the repository ships it; see tests/validation/data/NOTICE)")
        print("0 passed, 1 failed")
        sys.exit(1)
published = json.load(open(published_path))
tolerance = published["tolerance_points"] / 100.0
out = subprocess.run([validate, "--engine-profiles", "--format", "json", "--csv", csv,
                      "--catalog", os.path.join(source, "tests", "validation", "catalog.json")],
                     check=True, capture_output=True, text=True).stdout
current = {line["label"]: line for line in json.loads(out)["overall"]}
passed = failed = 0
for label, figures in published["summary"].items():
    line = current.get(label)
    if line is None:
        print(f"FAIL {label}: no longer reported")
        failed += 1
        continue
    for metric in ("ttft", "tpot"):
        now = line[metric]["median_ape"]
        limit = figures[f"{metric}_median_ape"] + tolerance
        ok = now <= limit
        print(f"{'PASS' if ok else 'FAIL'} {label} {metric}: median APE {now * 100:.1f} % (published "
              f"{figures[f'{metric}_median_ape'] * 100:.1f} %, limit {limit * 100:.1f} %)")
        passed += ok
        failed += not ok
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
