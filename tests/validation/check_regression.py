#!/usr/bin/env python3
"""Fails when the estimator's error on the hold-out rows regresses, or when the harness cannot run.

Usage: check_regression.py DSSELECT_VALIDATE SOURCE_DIR [--write-published]
Runs `dsselect_validate --engine-profiles --format json` on the measured sample, checks that every
row and subset is tagged fit or hold-out as tests/validation/split.json says, and compares the
median absolute errors (TTFT, TPOT, the product's TPOT formula and the product's capacity, the
estimate's qps against the row's closed loop; docs/validation.md 'Capacity') of each hold-out summary line with
tests/validation/published.json: more than `tolerance_points` above the published figure fails.
A harness that does not run, or a missing input, fails too (never a skip).
--write-published rewrites published.json from the current output (after a deliberate change).
"""
import json
import os
import subprocess
import sys
import tempfile

TOLERANCE_POINTS = 2.0


def fail(message):
    print(f"FAIL: {message}")
    print("0 passed, 1 failed")
    sys.exit(1)


def main():
    args = [a for a in sys.argv[1:] if a != "--write-published"]
    write = "--write-published" in sys.argv[1:]
    if len(args) != 2:
        fail("usage: check_regression.py DSSELECT_VALIDATE SOURCE_DIR [--write-published]")
    validate, source = args
    validation = os.path.join(source, "tests", "validation")
    csv = os.path.join(validation, "data", "aiconfigurator-silicon-sample.csv")
    catalog = os.path.join(validation, "catalog.json")
    split_path = os.path.join(validation, "split.json")
    protocols_path = os.path.join(validation, "protocols.json")
    published_path = os.path.join(validation, "published.json")
    # The repository ships every input: a missing one is a failure, never a skip.
    for required in (csv, catalog, split_path, protocols_path) + (() if write else (published_path,)):
        if not os.path.isfile(required):
            fail(f"{required} is missing (the repository ships it; see tests/validation/data/NOTICE)")
    try:
        run = subprocess.run([validate, "--engine-profiles", "--format", "json", "--csv", csv, "--catalog", catalog,
                              "--split", split_path, "--protocols", protocols_path],
                             capture_output=True, text=True, timeout=600)
    except OSError as error:
        fail(f"cannot run {validate}: {error}")
    if run.returncode != 0:
        fail(f"{validate} exited {run.returncode}: {run.stderr.strip()}")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError as error:
        fail(f"{validate} printed no JSON document: {error}")

    passed = failed = 0

    def check(ok, message):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {message}")
        passed += ok
        failed += not ok

    # Tagging: the split file decides, row by row and subset by subset.
    fit_systems = set(json.load(open(split_path))["fit_systems"])
    rows = report.get("rows", [])
    check(len(rows) > 0, f"the harness reports its rows ({len(rows)})")
    wrong = [r["line"] for r in rows if r.get("set") != ("fit" if r["system"] in fit_systems else "hold-out")]
    check(not wrong, f"every row is tagged fit or hold-out as split.json says ({len(wrong)} wrong: {wrong[:5]})")
    wrong = [s["label"] for s in report["subsets"]
             if s.get("set") != ("fit" if s["system"] in fit_systems else "hold-out")]
    check(not wrong, f"every subset is tagged as split.json says ({len(wrong)} wrong: {wrong[:5]})")
    modelled = sum(1 for r in rows if r["status"] == "ok")
    check(modelled == report["rows_modelled"], f"rows_modelled {report['rows_modelled']} = rows timed {modelled}")

    def run_with_bad(flag, document):
        """The harness with one input file replaced by `document` (text or JSON): (its path, the run)."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as bad:
            if isinstance(document, str):
                bad.write(document)
            else:
                json.dump(document, bad)
        inputs = {"--split": split_path, "--protocols": protocols_path, flag: bad.name}
        try:
            return bad.name, subprocess.run([validate, "--csv", csv, "--catalog", catalog,
                                             *[item for pair in inputs.items() for item in pair]],
                                            capture_output=True, text=True, timeout=600)
        finally:
            os.unlink(bad.name)

    def shipped_protocols():
        with open(protocols_path) as handle:
            return json.load(handle)

    # A malformed split is named, with its JSON path, and exits 65 (invalid data).
    name, bad_run = run_with_bad("--split", '{"reason": "test", "fit_systems": "h100_sxm"}')
    check(bad_run.returncode == 65 and name in bad_run.stderr and "/fit_systems" in bad_run.stderr,
          f"a malformed split exits 65 naming the file and /fit_systems (exit {bad_run.returncode}: "
          f"{bad_run.stderr.strip()})")
    # A malformed benchmark protocol likewise (a client that sends no request).
    protocols = shipped_protocols()
    protocols["protocols"][0]["requests_per_client"] = 0
    name, bad_run = run_with_bad("--protocols", protocols)
    check(bad_run.returncode == 65 and name in bad_run.stderr and "/protocols/0/requests_per_client" in bad_run.stderr,
          f"a malformed protocol exits 65 naming the file and /protocols/0/requests_per_client "
          f"(exit {bad_run.returncode}: {bad_run.stderr.strip()})")
    # Two protocols with one id: the second is named.
    protocols = shipped_protocols()
    protocols["protocols"].append(dict(protocols["protocols"][0]))
    name, bad_run = run_with_bad("--protocols", protocols)
    last = len(protocols["protocols"]) - 1
    check(bad_run.returncode == 65 and f"/protocols/{last}/id" in bad_run.stderr and "is taken" in bad_run.stderr,
          f"a repeated protocol id exits 65 naming /protocols/{last}/id (exit {bad_run.returncode}: "
          f"{bad_run.stderr.strip()})")

    hold_out = {line["label"]: line for line in report["overall"] if line["set"] == "hold-out"}
    check(len(hold_out) > 0, f"hold-out summary lines reported ({len(hold_out)})")
    if write:
        published = {
            "source": "tests/validation/check_regression.py --write-published (dsselect_validate --engine-profiles "
                      "on the hold-out rows of tests/validation/split.json); see docs/validation.md",
            "tolerance_points": TOLERANCE_POINTS,
            "hold_out": {label: {"ttft_median_ape": round(line["ttft"]["median_ape"], 4),
                                 "tpot_median_ape": round(line["tpot"]["median_ape"], 4),
                                 "formula_tpot_median_ape": round(line["formula_tpot"]["median_ape"], 4),
                                 "formula_capacity_median_ape": round(line["formula_capacity"]["median_ape"], 4),
                                 "n": line["tpot"]["n"]} for label, line in hold_out.items()},
        }
        with open(published_path, "w") as out:
            json.dump(published, out, indent=2)
            out.write("\n")
        print(f"wrote {published_path}")
    published = json.load(open(published_path))
    tolerance = published["tolerance_points"] / 100.0
    for label, figures in published["hold_out"].items():
        line = hold_out.get(label)
        if line is None:
            check(False, f"{label}: no longer reported")
            continue
        # The product's own TPOT formula and capacity (requests/s at the row's concurrency, what
        # sizes replicas) are held too, beside the TTFT and TPOT the benchmark measured.
        for metric in ("ttft", "tpot", "formula_tpot", "formula_capacity"):
            if f"{metric}_median_ape" not in figures:
                check(False, f"{label}: published.json has no {metric}_median_ape (rewrite it with --write-published)")
                continue
            now = line[metric]["median_ape"]
            then = figures[f"{metric}_median_ape"]
            check(now <= then + tolerance,
                  f"{label} {metric}: median APE {now * 100:.1f} % over {line[metric]['n']} rows (published "
                  f"{then * 100:.1f} % over {figures['n']}, limit {(then + tolerance) * 100:.1f} %)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
