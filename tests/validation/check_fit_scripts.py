#!/usr/bin/env python3
"""Checks the serving-engine fit scripts (scripts/fit_decode_step.py, scripts/fit_compute_efficiency.py
and their shared scripts/serving_fit.py). In process, with the harness run replaced by a known
function of the factors written into the overlay: --check passes when data/engines.json holds that
function's best point and fails when it does not, and ties go to the first grid point. As
processes: a failing, silent or missing harness gives a one-line error and a non-zero exit, never
a traceback; and a missing, malformed or non-object JSON file is named in a one-line error.

Usage: check_fit_scripts.py SOURCE_DIR
"""
import contextlib
import io
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
    saved = serving_fit.fit_tpot_medians, sys.argv
    serving_fit.fit_tpot_medians = fake_medians
    sys.argv = ["fit", sys.executable, "--check"]  # any executable: the run is replaced
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = module.main()
    finally:
        serving_fit.fit_tpot_medians, sys.argv = saved
    return code, out.getvalue(), err.getvalue()


def one_line_error(name, done, fragment):
    expect(name, done.returncode != 0, "exit 0, expected an error")
    lines = done.stderr.strip().splitlines()
    expect(name, len(lines) == 1 and fragment in lines[0] and "Traceback" not in done.stderr,
           f"expected one line holding '{fragment}', got {done.stderr.strip()[-300:]!r}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_fit_scripts.py SOURCE_DIR")
    scripts = os.path.join(os.path.abspath(sys.argv[1]), "scripts")
    sys.dont_write_bytecode = True
    sys.path.insert(0, scripts)
    import fit_compute_efficiency  # noqa: E402  (the modules under test live in scripts/)
    import fit_decode_step  # noqa: E402
    import serving_fit  # noqa: E402
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
    code, out, err = run_main(fit_decode_step, serving_fit, lambda engines: 0.1)
    expect("decode: ties go to the first grid point", "best: per_layer_overhead_us 0, allreduce_latency_us 0" in out,
           out.strip()[-200:])
    shipped_compute = (general["compute_efficiency"], eight_bit["compute_efficiency"])
    code, out, err = run_main(fit_compute_efficiency, serving_fit, compute_error(shipped_compute))
    expect("compute: the shipped pair is the best", code == 0, err.strip())
    code, out, err = run_main(fit_compute_efficiency, serving_fit, compute_error((0.6, 0.3)))
    expect("compute: another best fails --check", code == 1 and "(0.60, 0.30)" in err, f"{code} {err!r}")

    with tempfile.TemporaryDirectory() as tmp:
        fail = os.path.join(tmp, "fail")
        silent = os.path.join(tmp, "silent")
        for path, body in ((fail, "echo boom >&2; echo second line >&2; exit 3"), (silent, "exit 0")):
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"#!/bin/sh\n{body}\n")
            os.chmod(path, 0o755)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        for script in ("fit_decode_step.py", "fit_compute_efficiency.py"):
            for harness, fragment in ((fail, "exited with 3: boom"), (silent, "printed no harness report"),
                                      (os.path.join(tmp, "none"), "cannot run the harness")):
                done = subprocess.run([sys.executable, os.path.join(scripts, script), harness, "--check"],
                                      capture_output=True, text=True, env=env, check=False)
                one_line_error(f"{script} with {os.path.basename(harness)}", done, fragment)
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
