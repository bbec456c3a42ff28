#!/usr/bin/env python3
"""Checks the serving-engine fit scripts (scripts/fit_decode_step.py with its MoE-layer grid,
scripts/fit_compute_efficiency.py and their shared scripts/serving_fit.py). In process, with the harness run replaced by a known
function of the factors written into the overlay: --check passes when data/engines.json holds that
function's best point and fails when it does not, and ties go to the first grid point. As
processes: a failing, silent or missing harness gives a one-line error and a non-zero exit, never
a traceback; and a missing, malformed or non-object JSON file is named in a one-line error. Also
scripts/refit_study.py (its loop, report parsing, overlay and errors), the study options of
scripts/fit_eager_overhead.py (their errors, and the share passed on to the harness), the README
accuracy paragraph of scripts/validation_report.py (replaced between its markers, refused without
them), the headline's subset-resampled interval (seeded, tied to the harness's median), and
scripts/fit_per_engine.py (hold-out rows never scored, one engine's factor moved at a time, a flat
ridge reported as not identified, a best on the grid's edge flagged, too few rows as no fit,
--check, and its errors). And scripts/llamacpp_prefill.py: the prefill FLOPs by hand, a model
shape that disagrees with llama-bench's parameter count refused, the leave-one-device-out fit
blind to the left-out device, and the catalog rates (SM law, fallback, extrapolation label). And
scripts/accuracy_table.py (figures by hand, untimed rows left out, unknown systems refused,
--check on a stale file, a harness that cannot run).

Usage: check_fit_scripts.py SOURCE_DIR
"""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile

failures = []


def expect(name, condition, detail):
    if not condition:
        failures.append(f"{name}: {detail}")


def trtllm_sets(engines):
    sets = [f for e in engines["engines"] if e["id"] == "trtllm" for f in e["factors"] if f.get("hardware_kind") == "gpu"]
    return [f for f in sets if "precision" not in f][0], [f for f in sets if f.get("precision") == "fp8"][0]


def run_main(module, serving_fit, error_of):
    """module.main() with `--check`, the harness run replaced by error_of(engines): (exit, stdout, stderr)."""
    def fake_medians(script, validate, overlay_path, catalog, engines):
        error = error_of(engines)
        return {"dense": error, "moe": error}
    return main_with(module, serving_fit, "fit_tpot_medians", fake_medians)


def main_with(module, owner, name, stand_in):
    """module.main() run as `SCRIPT <any executable> --check` with owner.name replaced by stand_in
    (the harness run): (exit, stdout, stderr); the attribute and sys.argv are restored."""
    saved = getattr(owner, name), sys.argv
    setattr(owner, name, stand_in)
    sys.argv = ["fit", sys.executable, "--check"]  # any executable: the run is replaced
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = module.main()
    finally:
        setattr(owner, name, saved[0])
        sys.argv = saved[1]
    return code, out.getvalue(), err.getvalue()


def one_line_error(name, done, fragment):
    expect(name, done.returncode != 0, "exit 0, expected an error")
    lines = done.stderr.strip().splitlines()
    expect(name, len(lines) == 1 and fragment in lines[0] and "Traceback" not in done.stderr,
           f"expected one line holding '{fragment}', got {done.stderr.strip()[-300:]!r}")


def check_refit_study(refit_study, fit_compute_efficiency, fit_eager_overhead, fit_decode_step, shipped):
    """The refit study's loop, report parsing and state reading, in process."""
    def stepper(states):
        it = iter(states)
        return lambda state: next(it, "exhausted")
    expect("refit: a repeated state is a fixed point", refit_study.fixed_point(stepper([1, 2, 2, 9]), 0, 9) == (2, 3, "fixed point"),
           "expected (2, 3, 'fixed point')")
    expect("refit: the start counts as a state", refit_study.fixed_point(stepper([0]), 0, 9) == (0, 1, "fixed point"),
           "a first round that changes nothing is a fixed point")
    expect("refit: a cycle stops the loop", refit_study.fixed_point(stepper([1, 2, 1, 7]), 0, 9) == (1, 3, "cycle"),
           "expected (1, 3, 'cycle')")
    expect("refit: rounds bound the loop", refit_study.fixed_point(stepper([1, 2, 3, 4]), 0, 3) == (3, 3, "rounds"),
           "expected (3, 3, 'rounds')")
    reports = {"fit_compute_efficiency": ("best: BF16 0.75, FP8 0.40 (90 grid points, fit rows only)", (0.75, 0.4)),
               "fit_decode_step": ("x\nbest: per_layer_overhead_us 35, allreduce_latency_us 5 (153 grid points)\n"
                                   "y\nbest: moe_layer_overhead_us 20 (9 grid points)", (35, 5, 20)),
               "fit_eager_overhead": ("vllm: eager_layer_overhead_us 100 (fit)\nsglang: eager_layer_overhead_us 200 (f)\n"
                                      "trtllm: eager_layer_overhead_us 300 (f)\npooled: eager_moe_layer_overhead_us 50 (f)\n"
                                      "vllm: own eager_moe_layer_overhead_us 70 (f)",
                                      ((100, 200, 300), 50, 70))}
    for fit, (text, point) in reports.items():
        expect(f"refit: {fit} report parsed", refit_study.parse_best(fit, text) == point, str(refit_study.parse_best(fit, text)))
        expect(f"refit: {fit} without a best line", refit_study.parse_best(fit, text.replace("best:", "worst:")
                                                                              .replace("pooled:", "other:")) is None,
               "a report without its best line must give None")
    engines = json.loads(json.dumps(shipped))
    fit_compute_efficiency.set_pair(engines, 0.7, 0.35)
    # vLLM's own MoE value read back; a report without one gives vLLM the pooled value.
    no_own = reports["fit_eager_overhead"][0].rsplit("\n", 1)[0]
    expect("refit: no own vLLM MoE value is the pooled one", refit_study.parse_best("fit_eager_overhead", no_own) ==
           ((100, 200, 300), 50, 50), str(refit_study.parse_best("fit_eager_overhead", no_own)))
    fit_eager_overhead.set_values(engines, {"vllm": 100, "sglang": 200, "trtllm": 300}, 50, 70)
    fit_decode_step.set_pair(engines, 35, 5)
    fit_decode_step.set_moe_layer(engines, 20)
    state = refit_study.current_state(engines)
    expect("refit: the state written is the state read", state == ((0.7, 0.35), ((100, 200, 300), 50, 70), (35, 5, 20)),
           str(state))
    fit_eager_overhead.set_values(engines, {"vllm": 100, "sglang": 200, "trtllm": 300}, 50)
    expect("refit: without an own value vLLM takes the pooled one",
           refit_study.current_state(engines)[1] == ((100, 200, 300), 50, 50), str(refit_study.current_state(engines)[1]))

    # main() with the fit runs and the harness replaced: every report after the loop must time
    # the refitted factors (a catalog overlay), never the harness's built-in shipped ones.
    calls = []

    def fake_report(validate, cwd, catalog=None):
        per_layer = None
        if catalog is not None:
            with open(catalog, encoding="utf-8") as f:
                per_layer = refit_study.current_state(json.load(f))[2]
        calls.append((os.path.basename(os.path.normpath(cwd)), per_layer))
        return {"overall": [], "subsets": [], "rows": [{"system": "h100_sxm"}]}

    saved = refit_study.run_fit, refit_study.harness_report, sys.argv
    refit_study.run_fit = lambda scratch, fit, validate: reports[fit][0]
    refit_study.harness_report = fake_report
    sys.argv = ["refit_study", sys.executable, "--fit-systems", "h100_sxm", "--rounds", "3"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = refit_study.main()
    finally:
        refit_study.run_fit, refit_study.harness_report, sys.argv = saved
    root = os.path.basename(os.path.normpath(refit_study.ROOT))
    expect("refit: main runs to the fixed point", code == 0 and "stopped after 2 round(s): fixed point" in out.getvalue(),
           out.getvalue()[-300:])
    expect("refit: reports time the refitted factors", calls == [(root, None), ("repo", (35, 5, 20)), (root, (35, 5, 20))],
           str(calls))
    saved = refit_study.harness_report, sys.argv
    refit_study.harness_report = fake_report
    sys.argv = ["refit_study", sys.executable, "--fit-systems", "h100_sxm,b999"]
    try:
        refit_study.main()
        expect("refit: an unknown fit system is refused", False, "no error")
    except SystemExit as error:
        expect("refit: an unknown fit system is refused", "--fit-systems: expected systems" in str(error) and
               "(h100_sxm)" in str(error), str(error))
    finally:
        refit_study.harness_report, sys.argv = saved


def check_per_engine(fit_per_engine, shipped):
    """fit_per_engine's row filter, score and per-engine grid, with the harness replaced."""
    def row(set_name, subset, kind, measured, predicted, status="ok"):
        return {"set": set_name, "subset": subset, "kind": kind, "status": status,
                "measured_tpot_ms": measured, "predicted_tpot_ms": predicted}
    report = {"rows": [row("fit", "m | h100_sxm | fp8 | vllm", "dense", 10.0, 11.0),
                       row("fit", "m | h100_sxm | bf16 | vllm", "dense", 10.0, 13.0),
                       row("fit", "m | h100_sxm | fp8 | vllm", "moe", 10.0, 8.0),
                       row("fit", "m | h100_sxm | fp8 | vllm", "dense", 10.0, 99.0, status="does_not_fit"),
                       row("hold-out", "m | h200_sxm | fp8 | vllm", "dense", 10.0, 50.0)]}
    rows = fit_per_engine.fit_rows(report)
    expect("per-engine: hold-out and unmodelled rows are dropped", len(rows) == 3 and all(e < 0.31 for *_, e in rows),
           str(rows))
    count, value = fit_per_engine.score(rows, "vllm", "fp8")
    expect("per-engine: score is the mean of the dense and MoE medians of one precision",
           count == 2 and abs(value - 0.15) < 1e-9, f"{count} {value}")
    count, value = fit_per_engine.score(rows, "vllm", None)
    expect("per-engine: no precision scores every row", count == 3 and abs(value - 0.2) < 1e-9, f"{count} {value}")
    expect("per-engine: another engine's rows are not scored", fit_per_engine.score(rows, "sglang", None) == (0, None),
           str(fit_per_engine.score(rows, "sglang", None)))

    bf16 = next(f for f in fit_per_engine.FACTORS if f[1] == "bf16")
    decode = next(f for f in fit_per_engine.FACTORS if f[0].startswith("per_layer_overhead_us"))

    def runner(error_of, n=30, seen=None):
        """A harness stand-in: n dense fit rows per engine, each with error_of(engine); `seen` records
        whether every engine but sglang still holds its shipped factor sets."""
        def run(engines):
            if seen is not None:
                seen.append([e for e in engines["engines"] if e["id"] != "sglang"] ==
                            [e for e in shipped["engines"] if e["id"] != "sglang"])
            out = []
            for engine in engines["engines"]:
                if engine["id"] in ("vllm", "sglang", "trtllm"):
                    out += [(engine["id"], "bf16", "dense", error_of(engine))] * n
            return out
        return run
    general = lambda engine: [f for f in engine["factors"] if f.get("hardware_kind") == "gpu" and "precision" not in f][0]
    seen = []
    before = json.dumps(shipped, sort_keys=True)

    def bf16_error(engine):
        return abs(general(engine)["compute_efficiency"] - (0.7 if engine["id"] == "sglang" else 0.85))
    result = fit_per_engine.fit_factor(runner(bf16_error, seen=seen), shipped, "sglang", bf16)
    expect("per-engine: the engine's own best is found", result["fitted"] and result["best"] == 0.7 and result["identified"]
           and not result["at_edge"], str(result))
    expect("per-engine: only the fitted engine's factors move", len(seen) == len(bf16[2]) and all(seen),
           "an engine other than the one fitted changed")
    expect("per-engine: the shipped catalog is not modified", json.dumps(shipped, sort_keys=True) == before,
           "fit_factor wrote into the shipped engines")
    result = fit_per_engine.fit_factor(
        runner(lambda e: abs(general(e)["per_layer_overhead_us"] + 2 * general(e)["allreduce_latency_us"] - 75) / 1000.0),
        shipped, "vllm", decode)
    expect("per-engine: a ridge is not identified", result["fitted"] and not result["identified"] and
           (45, 15) in result["near"] and (35, 20) in result["near"], str(result))
    result = fit_per_engine.fit_factor(runner(lambda e: 1.0 - general(e)["compute_efficiency"]), shipped, "trtllm", bf16)
    expect("per-engine: a best on the grid's edge is flagged", result["at_edge"] and result["best"] == max(bf16[2]) and
           "(best on the grid's edge)" in fit_per_engine.markdown([result]), str(result))
    result = fit_per_engine.fit_factor(runner(lambda e: 0.1, n=5), shipped, "vllm", bf16)
    expect("per-engine: too few rows give no fit", not result["fitted"] and result["rows"] == 5, str(result))
    table = fit_per_engine.markdown([result])
    expect("per-engine: the table says why there is no fit", "no fit: fewer than" in table, table)

    expect("per-engine: a pair on the grid's edge is flagged", fit_per_engine.at_edge(decode[2], (0, 15)) and
           fit_per_engine.at_edge(decode[2], (45, 40)) and not fit_per_engine.at_edge(decode[2], (45, 15)),
           "edge of a pair grid")
    claims = list(fit_per_engine.CLAIMS.items())

    def claimed_result(engine_id, factor_name, claimed, **changed):
        if isinstance(claimed, dict):  # a best point that other grid points tie within the tolerance
            best, identified = claimed["best"], claimed["identified"]
        else:
            best, identified = (0.6 if claimed is None else claimed), claimed is not None
        r = {"engine": engine_id, "factor": factor_name, "rows": 30, "pooled": 0.6, "fitted": True,
             "pooled_score": 0.05, "best": best, "best_score": 0.04,
             "identified": identified, "near": [best] if identified else [best, best + 0.05],
             "at_edge": False}
        return dict(r, **changed)
    held = [claimed_result(e, f, c) for (e, f), c in claims]
    (first_engine, first_factor), first_claim = next(((k, c) for k, c in claims
                                                      if c is not None and not isinstance(c, dict)))
    ridge = next(((k, c) for k, c in claims if isinstance(c, dict)), None)
    if ridge is not None:
        (ridge_engine, ridge_factor), ridge_claim = ridge
        rest = [r for r in held if (r["engine"], r["factor"]) != (ridge_engine, ridge_factor)]
        moved = fit_per_engine.claim_failures([claimed_result(ridge_engine, ridge_factor, ridge_claim, best=0.9)] + rest)
        expect("per-engine claims: a tied best that moves fails", len(moved) == 1 and "give 0.90" in moved[0], str(moved))
        flipped = fit_per_engine.claim_failures(
            [claimed_result(ridge_engine, ridge_factor, ridge_claim, identified=not ridge_claim["identified"])] + rest)
        expect("per-engine claims: a tie that resolves (or appears) fails", len(flipped) == 1, str(flipped))
    (flat_engine, flat_factor), _ = next(((k, c) for k, c in claims if c is None))
    others = [r for r in held if (r["engine"], r["factor"]) != (first_engine, first_factor)]
    expect("per-engine claims: hold", not fit_per_engine.claim_failures(held), str(fit_per_engine.claim_failures(held)))
    for name, result, fragment in (
            ("another best", claimed_result(first_engine, first_factor, first_claim, best=0.3), "give 0.30, identified"),
            ("not identified", claimed_result(first_engine, first_factor, first_claim, identified=False,
                                              near=[first_claim, 0.3]), "not identified"),
            ("no fit", claimed_result(first_engine, first_factor, first_claim, fitted=False, rows=3), "no fit (3 rows)")):
        failures_found = fit_per_engine.claim_failures([result] + others)
        expect(f"per-engine claims: {name}", len(failures_found) == 1 and fragment in failures_found[0],
               str(failures_found))
    identified = [claimed_result(flat_engine, flat_factor, 0.6, identified=True) if
                  (r["engine"], r["factor"]) == (flat_engine, flat_factor) else r for r in held]
    failures_found = fit_per_engine.claim_failures(identified)
    expect("per-engine claims: a factor the docs call unidentified that is now identified fails",
           len(failures_found) == 1 and "the docs say not identified" in failures_found[0], str(failures_found))
    expect("per-engine claims: a claim not run fails", len(fit_per_engine.claim_failures(others)) == 1,
           str(fit_per_engine.claim_failures(others)))

    # --check: main() with the harness replaced; it fits only the claimed pairs and fails when
    # one engine's own best is not the claimed one. The decode step lies on a ridge (per-layer + 2 x
    # all-reduce = 55 us) for vLLM and SGLang, so their rows do not identify it, and has one best
    # point for TensorRT-LLM, its claimed one; the memory efficiency moves the rows of the engines
    # with a claimed value only, so only those identify theirs.
    claimed_fp8 = {e: c for (e, f), c in claims if f == "compute_efficiency FP8"}
    claimed_memory = {e: c for (e, f), c in claims if f == "memory_efficiency" and c is not None}

    def fake_rows(best_fp8):
        def rows(validate, overlay_path, catalog, engines):
            out = []
            for engine in engines["engines"]:
                if engine["id"] not in ("vllm", "sglang", "trtllm"):
                    continue
                sets = [f for f in engine["factors"] if f.get("hardware_kind") == "gpu"]
                fp8 = next(f for f in sets if f.get("precision") == "fp8")["compute_efficiency"]
                g = general(engine)
                claimed_step = dict(claims).get((engine["id"], "per_layer_overhead_us, allreduce_latency_us"))
                ridge = (abs(g["per_layer_overhead_us"] - claimed_step[0]) + abs(g["allreduce_latency_us"] - claimed_step[1])
                         if claimed_step is not None else
                         abs(g["per_layer_overhead_us"] + 2 * g["allreduce_latency_us"] - 55))
                memory = 0.0
                if engine["id"] in claimed_memory:
                    claim = claimed_memory[engine["id"]]
                    if isinstance(claim, dict):  # a best tied by the next grid point up
                        memory = min(abs(g["memory_efficiency"] - claim["best"]),
                                     abs(g["memory_efficiency"] - claim["best"] - 0.05) + (
                                         0.0 if not claim["identified"] else 1.0))
                    else:
                        memory = abs(g["memory_efficiency"] - claim)
                out += [(engine["id"], "fp8", "dense",
                         abs(fp8 - best_fp8.get(engine["id"], 0.6)) + ridge / 100.0 + memory)] * 30
            return out
        return rows
    for name, best_fp8, code_expected, fragment in (
            ("the claims hold", claimed_fp8, 0, ""),
            ("a claim fails", dict(claimed_fp8, trtllm=0.3), 1, "trtllm compute_efficiency FP8: its own fit rows give 0.30")):
        code, out, err = main_with(fit_per_engine, fit_per_engine, "harness_rows", fake_rows(best_fp8))
        fitted = [line.split("|")[1:3] for line in out.splitlines() if line.startswith("| ") and "engine" not in line]
        expect(f"per-engine --check: {name}", code == code_expected and fragment in err and
               len(fitted) == len(fit_per_engine.CLAIMS), f"{code} {err!r} {fitted}")


def check_subset_interval(validation_report):
    """The headline's interval: whole subsets resampled, seeded, and tied to the harness's median."""
    def row(subset, error, set_name="hold-out", status="ok"):
        return {"set": set_name, "kind": "dense", "subset": subset, "status": status,
                "measured_tpot_ms": 10.0, "predicted_tpot_ms": 10.0 * (1.0 + error)}
    rows = ([row("a", e) for e in (0.01, 0.02, 0.03)] + [row("b", e) for e in (0.20, 0.30)] +
            [row("c", 0.50), row("c", 9.0, status="does_not_fit"), row("d", 7.0, set_name="fit")])
    errors = sorted(abs(r["predicted_tpot_ms"] / r["measured_tpot_ms"] - 1.0) for r in rows[:6])
    median = (errors[2] + errors[3]) / 2.0

    def report(median_ape):
        return {"rows": rows, "overall": [{"set": "hold-out", "kind": "dense", "system": "",
                                            "tpot": {"median_ape": median_ape}}]}
    first = validation_report.subset_interval(report(median), "hold-out", "dense", "tpot")
    second = validation_report.subset_interval(report(median), "hold-out", "dense", "tpot")
    expect("interval: seeded, so the same twice", first == second, f"{first} {second}")
    low, high, subsets = first
    expect("interval: three subsets, unmodelled and fit rows left out", subsets == 3, str(first))
    expect("interval: brackets the median within the errors' range",
           errors[0] <= low <= median <= high <= errors[-1] and low < high, str(first))
    single = {"rows": [row("a", 0.1), row("a", 0.3)],
              "overall": [{"set": "hold-out", "kind": "dense", "system": "", "tpot": {"median_ape": 0.2}}]}
    one = validation_report.subset_interval(single, "hold-out", "dense", "tpot")
    expect("interval: one subset gives its own median", abs(one[0] - 0.2) < 1e-9 and abs(one[1] - 0.2) < 1e-9
           and one[2] == 1, str(one))
    # Whole subsets are drawn, not rows: one large tight subset and two one-row outliers. Drawn by
    # row the outliers are 2 of 22 and the median never leaves 0.1; drawn by subset, three draws
    # miss the large one about 30 % of the time and the median is then 0.9.
    clustered = ([row("big", 0.1)] * 20 + [row("x", 0.9), row("y", 0.9)])
    clustered_report = {"rows": clustered, "overall": [{"set": "hold-out", "kind": "dense", "system": "",
                                                        "tpot": {"median_ape": 0.1}}]}
    low, high, _ = validation_report.subset_interval(clustered_report, "hold-out", "dense", "tpot")
    expect("interval: subsets, not rows, are resampled", abs(low - 0.1) < 1e-9 and abs(high - 0.9) < 1e-9,
           f"{low} {high}")
    expect("interval: no rows, no interval",
           validation_report.subset_interval(report(median), "fit", "moe", "tpot") is None, "expected None")
    try:
        validation_report.subset_interval(report(median + 0.01), "hold-out", "dense", "tpot")
        expect("interval: a median the harness does not report is refused", False, "no error")
    except SystemExit as error:
        expect("interval: a median the harness does not report is refused", "does not report" in str(error),
               str(error))


def check_effect_keys(validation_report):
    """A rule keyed on a model, system and engine names its effect for that subset only, ahead of the
    rules after it."""
    def line(model, system):
        return {"label": model, "set": "hold-out", "kind": "moe", "model": model, "system": system,
                "precision": "fp8", "backend": "vllm", "ttft": {"mean_signed_error": -0.5, "n": 2}}
    shipped = validation_report.EFFECTS
    keyed = {"metric": "ttft", "kind": "moe", "model": "minimax-m2.5", "system": "b200_sxm", "backend": "vllm",
             "sign": "-", "name": "keyed", "effect": "a keyed effect"}
    try:
        validation_report.EFFECTS = [keyed] + shipped
        named = {(model, system): validation_report.effect_for("ttft", line(model, system))["name"]
                 for model in ("minimax-m2.5", "qwen3-235b-a22b") for system in ("b200_sxm", "h200_sxm")}
    finally:
        validation_report.EFFECTS = shipped
    expect("effects: a keyed rule names only its model on its system",
           named[("minimax-m2.5", "b200_sxm")] == "keyed" and
           sum(name == "keyed" for name in named.values()) == 1 and
           named[("minimax-m2.5", "h200_sxm")] == validation_report.effect_for("ttft", line("minimax-m2.5", "h200_sxm"))["name"],
           str(named))


def check_prefill_load(validation_report):
    """Rows above a prefill load of one name the 'prefill faster than the profile' effect, for TTFT and
    TPOT too slow alike, and only then; the table and the sentence count them per subset."""
    def row(subset, load, set_name="hold-out", status="ok"):
        return {"set": set_name, "subset": subset, "status": status, "measured_prefill_load": load}
    report = {"rows": [row("a", 1.2), row("a", 0.9), row("a", 7.0, status="does_not_fit"), row("b", 0.6),
                       row("c", 1.5, set_name="fit")]}
    loads = validation_report.prefill_overruns(report)
    expect("prefill load: unmodelled rows left out", loads[("hold-out", "a")] == [1.2, 0.9], str(loads))

    def line(label, set_name="hold-out", ttft=0.5, tpot=0.5):
        return {"label": label, "set": set_name, "kind": "dense", "model": label, "system": "h200_sxm",
                "precision": "fp8", "backend": "vllm", "ttft": {"mean_signed_error": ttft, "n": 2},
                "tpot": {"mean_signed_error": tpot, "n": 2}}
    a, b = line("a"), line("b")
    expect("prefill load: counted per subset", validation_report.overrun_count(loads, a) == 1 and
           validation_report.overrun_count(loads, b) == 0 and
           validation_report.overrun_count(loads, line("a", set_name="fit")) == 0, str(loads))
    for metric in ("ttft", "tpot"):
        named = validation_report.effect_for(metric, a, 1)["name"]
        expect(f"prefill load: {metric} too slow with a row above one", named == "prefill faster than the profile",
               named)
        other = validation_report.effect_for(metric, b, 0)["name"]
        expect(f"prefill load: {metric} too slow without one", other != "prefill faster than the profile", other)
        fast = validation_report.effect_for(metric, line("a", ttft=-0.5, tpot=-0.5), 1)["name"]
        expect(f"prefill load: {metric} too fast is not it", fast != "prefill faster than the profile", fast)
    misses = validation_report.subset_misses([a, b], {}, loads)
    expect("prefill load: the misses table names it for a only",
           sum("prefill faster than the profile" in m for m in misses) == 2 and len(misses) == 4, str(misses))
    table = validation_report.prefill_load_table([a, b, line("c", set_name="fit")], loads)
    expect("prefill load: one table line per subset with rows", len(table) == 5 and "| 2 | 1.20 | 1 |" in table[2]
           and "| 1 | 0.60 | 0 |" in table[3] and "| 1 | 1.50 | 1 |" in table[4], "\n".join(table))
    sentence = " ".join(validation_report.prefill_load_sentences([a, b], loads))
    expect("prefill load: the sentence counts the rows above one and the rest's largest",
           "1 of the 2 hold-out rows of a" in sentence and "0.60" in sentence, sentence)
    none = " ".join(validation_report.prefill_load_sentences([b], loads))
    expect("prefill load: none above one is said", none.startswith("No modelled row is above one") and "0.60" in none,
           none)
    expect("prefill load: the effect text has no digit",
           not any(ch.isdigit() for rule in validation_report.EFFECTS for ch in rule["effect"]), "a digit")


def check_readme_paragraph(validation_report):
    """The README accuracy paragraph replaces exactly the text between its markers, or refuses."""
    begin, end = validation_report.README_BEGIN, validation_report.README_END
    readme = f"# t\n{begin}\nold figure\n{end}\nrest"
    expect("readme: the paragraph replaces the old one",
           validation_report.with_readme_paragraph(readme, [begin, "new", end]) == f"# t\n{begin}\nnew\n{end}\nrest",
           "the text between the markers must be replaced and nothing else")
    def line(set_name, kind, ttft, tpot, system="", capacity=0.08):
        return {"set": set_name, "kind": kind, "system": system, "model": "m", "precision": "fp8", "backend": "vllm",
                "ttft": {"n": 3, "median_ape": ttft, "mean_signed_error": ttft},
                "tpot": {"n": 3, "median_ape": tpot, "mean_signed_error": -tpot},
                "formula_capacity": {"n": 3, "median_ape": capacity, "mean_signed_error": -capacity / 2,
                                     "p90_ape": capacity * 2}}
    report = {"overall": [line("hold-out", "dense", 0.30, 0.05), line("fit", "moe", 0.9, 0.9)],
              "subsets": [line("hold-out", "dense", 0.30, 0.05, "h200_sxm")]}
    text = " ".join(validation_report.readme_paragraph(report))
    for fragment in ("(h200_sxm; engines vllm)", "dense models TTFT 30.0 % (target 20.0 %), TPOT 5.0 % (target 10.0 %) "
                     "over 3 rows of 1 measured configuration (model, GPU, precision and engine)", "no MoE hold-out row", "1 of the 2 median targets evaluated is missed",
                     "1 of 2 subset metrics err by more than 15.0 %",
                     f"{len(validation_report.SEEN_HOLD_OUT)} modelling choices were made with the hold-out in view",
                     "errs by a median of dense 8.0 % (-4.0 % on average) on the same rows"):
        expect(f"readme: the paragraph says '{fragment}'", fragment in text, text)
    # The capacity section says which way a replica count built on the product's capacity errs.
    both = {"overall": [line("hold-out", "dense", 0.3, 0.05), line("hold-out", "moe", 0.3, 0.2, capacity=-0.4)]}
    sentences = validation_report.capacity_sentences(both["overall"])
    expect("capacity: a capacity below the measured makes too many replicas",
           "4.0 % below the measured one" in sentences[0] and "too high: conservative" in sentences[0], str(sentences))
    expect("capacity: a capacity above the measured makes too few replicas",
           "20.0 % above the measured one" in sentences[1] and "short of capacity" in sentences[1], str(sentences))
    expect("capacity: a kind without hold-out rows says nothing",
           len(validation_report.capacity_sentences(report["overall"])) == 1, "one sentence expected")
    # The headline names each choice made with the hold-out in view beside the targets it moves.
    expect("seen hold-out: dense TPOT names vLLM's memory efficiency",
           any("vLLM's own memory efficiency" in c for c in validation_report.seen_hold_out("dense", "tpot")),
           str(validation_report.seen_hold_out("dense", "tpot")))
    expect("seen hold-out: dense TTFT names the engines' own eight-bit compute efficiency only",
           [c for c in validation_report.seen_hold_out("dense", "ttft") if "eight-bit compute efficiency" not in c] == []
           and len(validation_report.seen_hold_out("dense", "ttft")) == 1,
           str(validation_report.seen_hold_out("dense", "ttft")))
    expect("seen hold-out: no digit in a choice (every figure is generated)",
           not any(ch.isdigit() for c in validation_report.SEEN_HOLD_OUT for ch in c["choice"]), "a digit")
    long_report = {"overall": [line("hold-out", "dense", 0.123456, 0.05), line("hold-out", "moe", 0.3, 0.2)],
                   "subsets": [line("hold-out", "dense", 0.30, 0.05, f"system_{i}") for i in range(9)]}
    for width_shift in range(12):  # move the wrap points across the figures
        paragraph = validation_report.readme_paragraph(dict(long_report, subsets=long_report["subsets"][:9 - width_shift % 9]))
        expect(f"readme: a figure and its % share a line ({width_shift})",
               not any(text.startswith("%") for text in paragraph[1:-1]) and
               not any(text.endswith(tuple("0123456789")) and nxt.startswith("%")
                       for text, nxt in zip(paragraph[1:-2], paragraph[2:-1])), "\n".join(paragraph))
    for name, text in (("no markers", "# t\nrest"), ("reversed markers", f"{end}\n{begin}"),
                       ("two begin markers", f"{begin}\n{begin}\n{end}")):
        expect(f"readme: {name}", validation_report.with_readme_paragraph(text, [begin, end]) is None, "expected None")


def expect_blind_to_left_out(analyse, data, device, name):
    """Doubling one device's rates raises the fit (by more than 5 %) but not the figure fitted
    without that device, which predicts it out of sample."""
    fitted, rows = analyse(data, 1.0)
    moved = json.loads(json.dumps(data))
    for row in moved["rows"]:
        if row["device"] == device:
            row["tokens_per_s"] *= 2.0
    fitted_moved, rows_moved = analyse(moved, 1.0)
    without = {r["row"]["device"]: r["without"] for r in rows}
    without_moved = {r["row"]["device"]: r["without"] for r in rows_moved}
    expect(name, abs(without[device] - without_moved[device]) < 1e-9 * without[device] and fitted_moved > fitted * 1.05,
           f"{without[device]} {without_moved[device]} {fitted} {fitted_moved}")


def check_llamacpp_prefill(llamacpp_prefill):
    data = llamacpp_prefill.load()
    expect("prefill: the shipped data passes its own checks", llamacpp_prefill.checks(data) == [],
           str(llamacpp_prefill.checks(data)))
    mistral = [m for m in data["models"] if m["name"] == "Mistral-7B-Instruct-v0.3"][0]
    # 32 x (2 x 4096^2 + 2 x 4096 x 1024 + 3 x 4096 x 14336) matrices, a 32768 x 4096 head,
    # attention 32 x 32 x 128: 2 x 6,979,321,856 x 512 + 2 x 134,217,728 + 2 x 131,072 x 512^2.
    expect("prefill: FLOPs by hand", llamacpp_prefill.prefill_flops(mistral, 512) == 7215813492736,
           str(llamacpp_prefill.prefill_flops(mistral, 512)))
    wrong = json.loads(json.dumps(data))
    wrong["models"][0]["intermediate_size"] += 1024
    expect("prefill: a shape off llama-bench's parameter count is refused",
           any("llama-bench printed" in p for p in llamacpp_prefill.checks(wrong)), "no problem reported")
    b, rows = llamacpp_prefill.analyse(data, 1.0)
    expect_blind_to_left_out(llamacpp_prefill.analyse, data, "RTX 3090", "prefill: the left-out device does not move its own fit")
    hardware = {"x": {"peak_tflops": {"fp16": 100.0}}, "y": {"peak_tflops": {"fp16": 1000.0}},
                "z": {"peak_tflops": {"fp16": 10.0}}, "w": {"peak_tflops": {"fp16": 1000.0}},
                "v": {"peak_tflops": {"fp16": 1000.0}}}
    catalog = [{"id": "x", "sms": 100, "boost_clock_mhz": 1000}, {"id": "w", "sms": 50, "boost_clock_mhz": 1000},
               {"id": "y"}, {"id": "z"}, {"id": "v"}]
    probe = dict(data, catalog_compute_capability={"x": "8.6", "w": "9.0", "y": "9.0", "z": None, "v": "10.0"})
    rates = llamacpp_prefill.catalog_rates(500.0, probe, catalog, hardware, 0.5)
    # x: 500 x 100 x 1e9 = 50 TFLOPS of 100; w: 25 of 1000; y: w's 25 TFLOPS (its compute capability)
    # of 1000; v: no peer of 10.0, so x's 50 of 1000; z: 0.5 x 10 TFLOPS, below the fallback.
    expect("prefill: catalog rates", tuple(rates[k][0] for k in "xwyvz") == (0.5, 0.025, 0.025, 0.05, 0.5), str(rates))
    expect("prefill: an unmeasured architecture is labelled",
           "no MMQ measurement on compute capability 9.0" in rates["y"][1] and
           "no MMQ measurement" not in rates["x"][1] and "not an NVIDIA GPU" in rates["z"][1], str(rates))
    expect("prefill: the fallback names its peer", "(w, 25.0 TFLOPS)" in rates["y"][1] and "(x, 50.0 TFLOPS)" in rates["v"][1],
           str(rates))
    bad = json.loads(json.dumps(data))
    bad["rows"][0]["tokens_per_s"] = 0
    expect("prefill: a non-positive rate is refused in one line",
           any(p.startswith("rows/0: tokens_per_s") for p in llamacpp_prefill.checks(bad)), str(llamacpp_prefill.checks(bad)))
    expect("prefill: a catalog GPU without a compute capability is named",
           any("'new-gpu'" in p for p in llamacpp_prefill.checks(data, ["new-gpu"])), "no problem reported")
    check_llamacpp_cublas(llamacpp_prefill, data, b)


def check_llamacpp_cublas(llamacpp_prefill, data, b):
    """The 16-bit (cuBLAS) fit of the F16 rows: kept apart from the MMQ fit, by hand, blind to its
    left-out device, and its data checks."""
    moved = json.loads(json.dumps(data))
    for row in moved["rows"]:
        if row["quant"] == "F16":
            row["tokens_per_s"] *= 3.0
    expect("prefill: F16 rows stay out of the MMQ fit", abs(llamacpp_prefill.analyse(moved, 1.0)[0] - b) < 1e-9,
           str(llamacpp_prefill.analyse(moved, 1.0)[0]))
    t4 = [r for r in data["rows"] if r["device"] == "Tesla T4"][0]
    # Llama-3-8B: 32 x (2 x 4096^2 + 2 x 4096 x 1024 + 3 x 4096 x 14336) = 6,979,321,856 matrices but
    # the head, a 128256 x 4096 head, attention 32 x 32 x 128: the FLOPs of 512 tokens over the
    # prompt's time less 1 ms, over 65 TFLOPS.
    flops = 2.0 * 6979321856 * 512 + 2.0 * 128256 * 4096 + 2.0 * 131072 * 512 * 512
    by_hand = flops / (512 / 1444.68 - 0.001) / 65e12
    e, rows = llamacpp_prefill.analyse_cublas(data, 1.0)
    got = next(r["implied"] for r in rows if r["row"] is t4)
    expect("prefill: 16-bit efficiency by hand", abs(got / by_hand - 1.0) < 1e-12, f"{got} {by_hand}")
    expect("prefill: the 16-bit fit reads the F16 rows only", all(r["row"]["quant"] == "F16" for r in rows) and len(rows) > 0,
           str([r["row"]["quant"] for r in rows]))
    expect_blind_to_left_out(llamacpp_prefill.analyse_cublas, data, "L4",
                             "prefill: the left-out device does not move its own 16-bit fit")
    # What data/engines.json ships for llama.cpp on NVIDIA GPUs (the a100-80gb set, the set for an
    # NVIDIA GPU a user adds and the generic GPU set) is this fit to 3 decimals, at the decode fit's
    # per-step time of 1 ms.
    with open(os.path.join(llamacpp_prefill.ROOT, "data", "engines.json"), encoding="utf-8") as handle:
        engines = json.load(handle)["engines"]
    sets = [s for s in next(x for x in engines if x["id"] == "llama.cpp")["factors"]
            if s.get("hardware") == ["a100-80gb"] or s.get("hardware_kind") == "gpu" and "hardware" not in s]
    expect("prefill: data/engines.json ships the 16-bit fit",
           len(sets) == 3 and all(s["compute_efficiency"] == round(e, 3) for s in sets),
           str([s.get("compute_efficiency") for s in sets]) + f" against {e}")
    bad = json.loads(json.dumps(data))
    for device in bad["devices"]:
        if device["name"] == "Tesla T4":
            del device["fp16_accumulate_tflops"]
    expect("prefill: an F16 row's device without its FP16-accumulate peak is refused",
           any("needs a positive fp16_accumulate_tflops" in p for p in llamacpp_prefill.checks(bad)),
           str(llamacpp_prefill.checks(bad)))


def check_llamacpp_user_hardware(llamacpp_decode_fit):
    """check_user_hardware passes when the product gives a user copy of each catalog GPU with an SM
    count that GPU's own efficiencies, and names the GPU and the value when it does not or fails."""
    data = llamacpp_decode_fit.load(llamacpp_decode_fit.DATA)
    rated = [e["id"] for e in data["catalog_devices"] if e.get("sms")]
    sets = [{"hardware": [gpu], "memory_efficiency": 0.5, "quantized_compute_efficiency": 0.25} for gpu in rated]
    with tempfile.TemporaryDirectory() as folder:
        def stand_in(memory, status=0):
            path = os.path.join(folder, f"dsselect-{memory}-{status}")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(f"#!/bin/sh\nprintf 'engine: memory_efficiency\\t{memory}\\tfraction\\t-\\n"
                             f"engine: quantized_compute_efficiency\\t0.25\\tfraction\\t-\\n'\nexit {status}\n")
            os.chmod(path, 0o755)
            return path
        expect("user hardware: the same values pass",
               llamacpp_decode_fit.check_user_hardware(stand_in(0.5), data, sets) is None, "a problem")
        problem = llamacpp_decode_fit.check_user_hardware(stand_in(0.6), data, sets)
        expect("user hardware: another memory efficiency fails, naming the GPU",
               problem is not None and f"user copy of {rated[0]}" in problem and "memory_efficiency 0.6" in problem,
               str(problem))
        problem = llamacpp_decode_fit.check_user_hardware(stand_in(0.5, 3), data, sets)
        expect("user hardware: a failing product fails the check", problem is not None and "exited 3" in problem, str(problem))


def check_moe_kernel_study(moe_kernel_study):
    """scripts/moe_kernel_study.py: the law's fit recovers the costs of rows made from it, the
    estimator's expert time by hand, a malformed row refused with its line."""
    peak = 1e15
    rows = []
    for tp, ep in ((1, 1), (2, 1), (4, 1), (8, 1), (1, 2), (1, 4), (1, 8), (2, 2)):
        for tokens in (8192, 16384):
            row = {"hidden": 4096, "inter": 1536, "topk": 8, "experts": 128, "tp": tp, "ep": ep, "tokens": tokens,
                   "dtype": "fp8"}
            row["seconds"] = moe_kernel_study.law_seconds(row, peak, 0.7, 1000, 400)
            rows.append(row)
    rms, eta, w_routed, w_token = moe_kernel_study.fit_law(rows, peak, step=200, maximum=2000)
    expect("moe kernels: the law's fit recovers its own costs", (w_routed, w_token) == (1000, 400) and
           abs(eta - 0.7) < 1e-9 and rms < 1e-9, f"{rms} {eta} {w_routed} {w_token}")
    rows[0]["seconds"] *= 1.5  # one measurement off the law: the fit is no longer exact
    off = moe_kernel_study.fit_law(rows, peak, step=200, maximum=2000)
    expect("moe kernels: a row off the law shows in the rms", off[0] > 0.05, str(off))
    # One token, one GPU: FLOPs 2 x 3 x 4096 x 1536 x 8; 8 of 128 experts touched, bytes 8 x 3 x
    # 4096 x 1536 x 1 (FP8); the roofline takes the longer at the factors given.
    row = {"hidden": 4096, "inter": 1536, "topk": 8, "experts": 128, "tp": 1, "ep": 1, "tokens": 1, "dtype": "fp8"}
    factors = {"peak": 2e15, "compute_efficiency": 0.5, "bandwidth": 3e12, "memory_efficiency": 0.8}
    memory = 8 * 3 * 4096 * 1536 / (3e12 * 0.8)
    expect("moe kernels: the estimator's expert time by hand",
           abs(moe_kernel_study.estimator_seconds(row, factors) - memory) < 1e-12 * memory,
           f"{moe_kernel_study.estimator_seconds(row, factors)} against {memory}")
    # The kernels' own memory side: rows made from 30 us + bytes at 0.85 of 3 TB/s give back both,
    # and a table spreads T tokens over min(E, T k) experts (all 128 from 16 tokens on).
    side_rows = []
    for tp in (1, 2, 4):
        for tokens in (1, 2, 4, 8, 16, 32):
            row = {"hidden": 4096, "inter": 1536, "topk": 8, "experts": 128, "tp": tp, "ep": 1, "tokens": tokens,
                   "dtype": "fp8"}
            row["seconds"] = 30e-6 + moe_kernel_study.expert_bytes(row) / (3e12 * 0.85)
            side_rows.append(row)
    side = moe_kernel_study.fit_memory_side(side_rows, 3e12)
    expect("moe kernels: the memory side's fit recovers its latency and share",
           side[1] == 30 and abs(side[2] - 0.85) < 1e-9 and side[0] < 1e-9, str(side))
    expect("moe kernels: a table's tokens touch min(E, T k) experts",
           moe_kernel_study.touched_experts(128, 8, 4) == 32 and moe_kernel_study.touched_experts(128, 8, 16) == 128,
           str((moe_kernel_study.touched_experts(128, 8, 4), moe_kernel_study.touched_experts(128, 8, 16))))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "k.csv")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("backend,backend_version,kernel_source,moe_dtype,hidden_size,inter_size,topk,num_experts,"
                         "moe_tp_size,moe_ep_size,num_tokens,latency_ms\n"
                         "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,1,0.1\n"
                         "vllm,0.14.0,k,fp8,4096,1536,8,128,0,1,1,0.1\n")
        try:
            moe_kernel_study.load(path)
            expect("moe kernels: a zero moe_tp_size is refused", False, "no error")
        except SystemExit as error:
            expect("moe kernels: a zero moe_tp_size is refused", "line 3" in str(error.code), error.code)
        header = ("backend,backend_version,kernel_source,moe_dtype,hidden_size,inter_size,topk,num_experts,"
                  "moe_tp_size,moe_ep_size,num_tokens,distribution,latency_ms\n")
        for name, text, skewed, wanted in (
                ("a skewed row in a balanced table", "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,1,balanced,0.1\n"
                 "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,2,power_law_1.2,0.1\n", False, "line 3"),
                ("a balanced row in a skewed table", "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,1,power_law_1.2,0.1\n"
                 "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,2,balanced,0.1\n", True, "line 3"),
                ("two skews for one shape", "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,1,power_law_1.2,0.1\n"
                 "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,2,power_law_1.01,0.1\n", True, "more than one distribution")):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(header + text)
            try:
                moe_kernel_study.load(path, skewed=skewed)
                expect(f"moe kernels: {name} is refused", False, "no error")
            except SystemExit as error:
                expect(f"moe kernels: {name} is refused", wanted in str(error.code), error.code)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(header + "vllm,0.14.0,k,fp8,4096,1536,8,128,1,1,1,power_law_1.2,0.1\n")
        expect("moe kernels: a skewed table loads", moe_kernel_study.load(path, skewed=True)[0]["distribution"] ==
               "power_law_1.2", "refused")


def check_accuracy_table(accuracy_table, scripts):
    """scripts/accuracy_table.py: the figures of a stand-in harness report by hand, rows the
    estimator could not time left out, an unknown system refused, --check failing on a stale
    file, and a harness that cannot run named in one line."""
    def row(system, set_name, engine, ttft, tpot, status="ok", formula_qps=2.0):
        return {"subset": f"m | {system} | fp8 | {engine}", "kind": "dense", "set": set_name, "status": status,
                "measured_ttft_ms": 100.0, "predicted_ttft_ms": ttft, "measured_tpot_ms": 10.0, "predicted_tpot_ms": tpot,
                "measured_qps": 2.0, "formula_qps": formula_qps}
    report = {"rows": [row("h200_sxm", "hold-out", "vllm", 80.0, 12.0, formula_qps=2.4),
                       row("b200_sxm", "hold-out", "vllm", 130.0, 9.0, formula_qps=1.0),
                       row("h200_sxm", "hold-out", "vllm", 500.0, 50.0, status="does_not_fit"),
                       row("h100_sxm", "fit", "vllm", 100.0, 10.0)]}
    entries = accuracy_table.server_entries(report)
    hold_out = [e for e in entries if e["set"] == "hold-out"][0]
    # TTFT errors -20 % and +30 %: median of |e| 25 %, mean +5 %; TPOT +20 % and -10 %: 15 %, +5 %.
    expect("accuracy: hold-out TTFT by hand", hold_out["ttft"] == {"rows": 2, "median_abs_error_pct": 25.0,
                                                                   "mean_signed_error_pct": 5.0}, hold_out["ttft"])
    expect("accuracy: hold-out TPOT by hand", hold_out["tpot"] == {"rows": 2, "median_abs_error_pct": 15.0,
                                                                   "mean_signed_error_pct": 5.0}, hold_out["tpot"])
    # Capacity: the product's qps against the measured, +20 % and -50 %: 35 %, -15 %.
    expect("accuracy: hold-out capacity by hand", hold_out["capacity"] == {"rows": 2, "median_abs_error_pct": 35.0,
                                                                           "mean_signed_error_pct": -15.0},
           hold_out["capacity"])
    expect("accuracy: hardware ids and devices", hold_out["hardware"] == ["b200", "h200"] and
           hold_out["devices"] == ["b200_sxm", "h200_sxm"], hold_out)
    expect("accuracy: fit rows apart", [e["set"] for e in entries] == ["fit", "hold-out"], entries)
    try:
        accuracy_table.server_entries({"rows": [row("mi300x", "hold-out", "vllm", 1.0, 1.0)]})
        expect("accuracy: an unknown system is refused", False, "no error")
    except SystemExit as error:
        expect("accuracy: an unknown system is refused", "mi300x" in str(error.code), error.code)
    saved_report, saved_argv = accuracy_table.harness_report, sys.argv
    accuracy_table.harness_report = lambda validate: report
    sys.argv = ["accuracy_table.py", "--check"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            accuracy_table.main()
        expect("accuracy: --check fails on a stale file", False, "exit 0")
    except SystemExit as error:
        expect("accuracy: --check fails on a stale file", error.code == 1 and "stale" in out.getvalue(),
               f"{error.code} {out.getvalue()!r}")
    finally:
        accuracy_table.harness_report, sys.argv = saved_report, saved_argv
    done = subprocess.run([sys.executable, os.path.join(scripts, "accuracy_table.py"), "--validate",
                           "/nonexistent/dsselect_validate", "--check"], capture_output=True, text=True)
    one_line_error("accuracy: a harness that cannot run", done, "cannot run the harness /nonexistent/dsselect_validate")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_fit_scripts.py SOURCE_DIR")
    scripts = os.path.join(os.path.abspath(sys.argv[1]), "scripts")
    sys.dont_write_bytecode = True
    sys.path.insert(0, scripts)
    import accuracy_table  # noqa: E402  (the modules under test live in scripts/)
    import fit_compute_efficiency  # noqa: E402
    import fit_decode_step  # noqa: E402
    import fit_eager_overhead  # noqa: E402
    import fit_per_engine  # noqa: E402
    import llamacpp_decode_fit  # noqa: E402
    import llamacpp_prefill  # noqa: E402
    import moe_kernel_study  # noqa: E402
    import refit_study  # noqa: E402
    import serving_fit  # noqa: E402
    import validation_report  # noqa: E402
    shipped, _ = serving_fit.load_inputs("check_fit_scripts")
    general, eight_bit = trtllm_sets(shipped)

    def decode_error(target):
        return lambda engines: (abs(trtllm_sets(engines)[0]["per_layer_overhead_us"] - target[0]) +
                                abs(trtllm_sets(engines)[0]["allreduce_latency_us"] - target[1])) / 100.0

    def compute_error(target):
        return lambda engines: (abs(trtllm_sets(engines)[0]["compute_efficiency"] - target[0]) +
                                abs(trtllm_sets(engines)[1]["compute_efficiency"] - target[1]))

    shipped_decode = (general["per_layer_overhead_us"], general["allreduce_latency_us"])
    code, out, err = run_main(fit_decode_step, serving_fit, decode_error(shipped_decode))
    expect("decode: the shipped pair is the best", code == 0, err.strip())
    code, out, err = run_main(fit_decode_step, serving_fit, decode_error((25, 5)))
    expect("decode: another best fails --check", code == 1 and "the fit gives (25, 5)" in err, f"{code} {err!r}")
    def moe_layer_error(target):
        return lambda engines: (decode_error(shipped_decode)(engines) +
                                abs(trtllm_sets(engines)[0]["moe_layer_overhead_us"] - target) / 100.0)
    shipped_moe_layer = general["moe_layer_overhead_us"]
    code, out, err = run_main(fit_decode_step, serving_fit, moe_layer_error(shipped_moe_layer))
    expect("decode: the shipped MoE-layer overhead is the best", code == 0 and
           f"best: moe_layer_overhead_us {shipped_moe_layer} " in out, f"{code} {err!r}")
    other_moe_layer = 30 if shipped_moe_layer != 30 else 5
    code, out, err = run_main(fit_decode_step, serving_fit, moe_layer_error(other_moe_layer))
    expect("decode: another MoE-layer best fails --check", code == 1 and f"the fit gives ({other_moe_layer},)" in err
           and "moe_layer_overhead_us" in err, f"{code} {err!r}")
    code, out, err = run_main(fit_decode_step, serving_fit, lambda engines: 0.1)
    expect("decode: ties go to the first grid point", "best: per_layer_overhead_us 0, allreduce_latency_us 0" in out,
           out.strip()[-200:])
    # The pooled pair: BF16 from an engine without an own BF16 value, FP8 from one without an own
    # FP8 value (serving_fit.OWN_FACTORS); an own value is never read as the pooled one.
    def pooled_set(factor, precision):
        engine_id = serving_fit.pooled_engines(factor)[0]
        return next(f for e in shipped["engines"] if e["id"] == engine_id for f in e["factors"]
                    if f.get("hardware_kind") == "gpu" and f.get("precision") == precision)
    shipped_compute = (pooled_set("compute_efficiency BF16", None)["compute_efficiency"],
                       pooled_set("compute_efficiency FP8", "fp8")["compute_efficiency"])

    def pooled_set_of(engines):
        def one(factor, precision):
            engine_id = serving_fit.pooled_engines(factor)[0]
            return next(f for e in engines["engines"] if e["id"] == engine_id for f in e["factors"]
                        if f.get("hardware_kind") == "gpu" and f.get("precision") == precision)["compute_efficiency"]
        return one("compute_efficiency BF16", None), one("compute_efficiency FP8", "fp8")
    code, out, err = run_main(fit_compute_efficiency, serving_fit, compute_error(shipped_compute))
    expect("compute: the shipped pair is the best", code == 0, err.strip())
    # A refit writes the pooled pair back around the own values.
    written = json.loads(json.dumps(shipped))
    fit_compute_efficiency.set_pair(written, 0.5, 0.3, pooled_only=True)
    kept = {(e, f): next(s for en in written["engines"] if en["id"] == e for s in en["factors"]
                         if s.get("hardware_kind") == "gpu" and s.get("precision") == ("fp8" if "FP8" in f else None))
            ["compute_efficiency"] for e, f in serving_fit.OWN_FACTORS if f.startswith("compute_efficiency")}
    shipped_own = {(e, f): next(s for en in shipped["engines"] if en["id"] == e for s in en["factors"]
                                if s.get("hardware_kind") == "gpu" and s.get("precision") == ("fp8" if "FP8" in f else None))
                   ["compute_efficiency"] for e, f in serving_fit.OWN_FACTORS if f.startswith("compute_efficiency")}
    expect("compute: a pooled-only write keeps every own value", kept == shipped_own and bool(kept), str(kept))
    expect("compute: a pooled-only write sets the pooled sets", pooled_set_of(written) == (0.5, 0.3),
           str(pooled_set_of(written)))
    code, out, err = run_main(fit_compute_efficiency, serving_fit, compute_error((0.6, 0.3)))
    expect("compute: another best fails --check", code == 1 and "(0.60, 0.30)" in err, f"{code} {err!r}")

    check_refit_study(refit_study, fit_compute_efficiency, fit_eager_overhead, fit_decode_step, shipped)
    check_readme_paragraph(validation_report)
    check_moe_kernel_study(moe_kernel_study)
    check_subset_interval(validation_report)
    check_prefill_load(validation_report)
    check_effect_keys(validation_report)
    check_per_engine(fit_per_engine, shipped)
    check_llamacpp_prefill(llamacpp_prefill)
    check_accuracy_table(accuracy_table, scripts)
    check_llamacpp_user_hardware(llamacpp_decode_fit)
    # The GPU factor sets every fit writes into: an engine without one is a one-line error naming
    # the script and the engine, for each script that reads them through serving_fit.
    expect("gpu sets: an engine's GPU sets are found", len(serving_fit.gpu_sets(shipped["engines"][0], "x")) > 0,
           "the shipped first engine has GPU factor sets")
    for module, name in ((fit_decode_step, "fit_decode_step"), (fit_eager_overhead, "fit_eager_overhead"),
                         (fit_per_engine, "fit_per_engine")):
        try:
            module.gpu_sets({"id": "bare", "factors": [{"hardware_kind": "cpu"}]})
            expect(f"gpu sets: {name} refuses an engine without one", False, "no error")
        except SystemExit as error:
            expect(f"gpu sets: {name} refuses an engine without one",
                   str(error).startswith(f"{name}: ") and "engine 'bare' has no GPU factor set" in str(error),
                   str(error))

    # The run fit_eager_overhead.py admits for vLLM's own MoE value: taken out of a copy, the shipped
    # document untouched, and a document without it (or with two) a one-line error.
    protocols = serving_fit.read_json_object("t", serving_fit.PROTOCOLS)
    before = json.dumps(protocols, sort_keys=True)
    admitted = serving_fit.admitted_protocols("t", protocols)
    runs = lambda document: [run for p in document["protocols"] for run in p.get("unreproduced_runs", [])]
    expect("admitted run: one entry fewer in the copy", len(runs(admitted)) == len(runs(protocols)) - 1 and
           json.dumps(protocols, sort_keys=True) == before, f"{len(runs(admitted))} of {len(runs(protocols))}")
    for name, document in (("none", admitted), ("two", {"protocols": [{"unreproduced_runs": runs(protocols) * 2}]})):
        try:
            serving_fit.admitted_protocols("t", document)
            expect(f"admitted run: {name} refused", False, "no error")
        except SystemExit as error:
            expect(f"admitted run: {name} refused", str(error).startswith("t: ") and "expected one unreproduced" in str(error),
                   str(error))

    with tempfile.TemporaryDirectory() as tmp:
        fail = os.path.join(tmp, "fail")
        silent = os.path.join(tmp, "silent")
        for path, body in ((fail, "echo boom >&2; echo second line >&2; exit 3"), (silent, "exit 0")):
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"#!/bin/sh\n{body}\n")
            os.chmod(path, 0o755)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        for script in ("fit_decode_step.py", "fit_compute_efficiency.py", "fit_per_engine.py"):
            for harness, fragment in ((fail, "exited with 3: boom"), (silent, "printed no harness report"),
                                      (os.path.join(tmp, "none"), "cannot run the harness")):
                check = [] if script == "fit_per_engine.py" else ["--check"]
                done = subprocess.run([sys.executable, os.path.join(scripts, script), harness] + check,
                                      capture_output=True, text=True, env=env, check=False)
                one_line_error(f"{script} with {os.path.basename(harness)}", done, fragment)
        # fit_eager_overhead.py's study options: bad values and --check with a share other than 1
        # are usage errors (exit 2, no traceback); a share reaches the harness as its own flag.
        eager = os.path.join(scripts, "fit_eager_overhead.py")
        for argv, fragment in (([fail, "--grid-max-us", "75"], "--grid-max-us: expected a positive multiple of 50"),
                               ([fail, "--grid-max-us", "0"], "--grid-max-us: expected a positive multiple of 50"),
                               ([fail, "--eager-blocking-share", "1.5"], "--eager-blocking-share: expected a share"),
                               ([fail, "--eager-blocking-share", "nan"], "--eager-blocking-share: expected a share"),
                               ([fail, "--check", "--eager-blocking-share", "0.5"], "--eager-blocking-share must be 1")):
            done = subprocess.run([sys.executable, eager] + argv, capture_output=True, text=True, env=env, check=False)
            expect(f"fit_eager_overhead {' '.join(argv[1:])}", done.returncode == 2 and fragment in done.stderr and
                   "Traceback" not in done.stderr, f"{done.returncode} {done.stderr.strip()[-300:]!r}")
        recorder = os.path.join(tmp, "recorder")
        recorded = os.path.join(tmp, "recorded-args")
        with open(recorder, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\necho "$@" > "{recorded}"\necho recorded >&2\nexit 3\n')
        os.chmod(recorder, 0o755)
        done = subprocess.run([sys.executable, eager, recorder, "--eager-blocking-share", "0.25"],
                              capture_output=True, text=True, env=env, check=False)
        with open(recorded, encoding="utf-8") as f:
            harness_args = f.read().split()
        expect("fit_eager_overhead forwards --eager-blocking-share to the harness",
               done.returncode != 0 and "--eager-blocking-share" in harness_args and
               harness_args[harness_args.index("--eager-blocking-share") + 1] == "0.25", f"{harness_args}")
        for argv, fragment in (([fail, "--fit-systems", "h100_sxm", "--rounds", "0"], "--rounds: expected"),
                               ([fail, "--fit-systems", "h100_sxm", "--write-engines", os.path.join(tmp, "no", "x.json")],
                                "--write-engines:"),
                               ([os.path.join(tmp, "none"), "--fit-systems", "h100_sxm"], "cannot run the harness"),
                               ([fail, "--fit-systems", "h100_sxm"], "exited with 3: boom"),
                               ([silent, "--fit-systems", "h100_sxm"], "printed no harness report")):
            done = subprocess.run([sys.executable, os.path.join(scripts, "refit_study.py")] + argv,
                                  capture_output=True, text=True, env=env, check=False)
            one_line_error(f"refit_study {' '.join(argv[1:])} with {os.path.basename(argv[0])}", done, fragment)
        for name, text in (("missing.json", None), ("malformed.json", "{"), ("array.json", "[]")):
            path = os.path.join(tmp, name)
            if text is not None:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            try:
                serving_fit.read_json_object("t", path)
                expect(f"read_json_object {name}", False, "no error")
            except SystemExit as error:
                expect(f"read_json_object {name}", str(error).startswith(f"t: {path}: "), str(error))
    if failures:
        print("\n".join(f"FAIL {line}" for line in failures))
        return 1
    print("fit scripts: --check passes on the best point and fails elsewhere; ties and errors as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
