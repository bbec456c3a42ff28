#!/usr/bin/python3
"""Golden outputs: runs each case of tests/golden/ and compares stdout with expected.json byte for byte.

    check.py DSSELECT_BINARY [CASE...]

A case is a folder holding `cmd` (the arguments after the binary, one per line) and
`expected.json` (the exact stdout) or, for the human tables (piped, so tab-separated; CSV;
Markdown), `expected.txt`. On a mismatch the first 40 lines of a unified diff are
printed with the command that regenerates the expected files (tests/golden/update.py), to be
run only when the change of output is intended. Prints one line per case, then
"N passed, M failed"; exits 1 on any failure.
"""
import difflib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 120
DIFF_LINES = 40


def cases(selected=()):
    """The case folders, sorted; only `selected` ones when given."""
    names = sorted(name for name in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, name, "cmd")))
    if selected:
        unknown = sorted(set(selected) - set(names))
        if unknown:
            raise SystemExit("unknown case(s): " + ", ".join(unknown) + "; known: " + ", ".join(names))
        names = [name for name in names if name in selected]
    return names


def arguments(case):
    with open(os.path.join(HERE, case, "cmd"), encoding="utf-8") as stream:
        return [line.rstrip("\r\n") for line in stream if line.strip()]


def run(binary, case):
    """(exit code, stdout bytes, stderr text) of one case."""
    env = dict(os.environ, LC_ALL="C")
    result = subprocess.run([binary] + arguments(case), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=TIMEOUT_S, env=env)
    return result.returncode, result.stdout, result.stderr.decode("utf-8", errors="replace")


def expected_path(case):
    """expected.txt for a case of tables (text, CSV, Markdown), else expected.json."""
    text = os.path.join(HERE, case, "expected.txt")
    return text if os.path.exists(text) else os.path.join(HERE, case, "expected.json")


def main():
    if len(sys.argv) < 2:
        print("usage: check.py DSSELECT_BINARY [CASE...]", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    update = "/usr/bin/python3 {} {}".format(os.path.join(HERE, "update.py"), binary)
    passed = failed = 0
    for case in cases(sys.argv[2:]):
        command = "dsselect " + " ".join(arguments(case))
        try:
            code, actual, errors = run(binary, case)
        except (OSError, subprocess.TimeoutExpired) as error:
            print("FAIL {}: {}: {}".format(case, command, error))
            failed += 1
            continue
        if code != 0:
            print("FAIL {}: {} exited {}: {}".format(case, command, code, errors.strip()[:500]))
            failed += 1
            continue
        try:
            with open(expected_path(case), "rb") as stream:
                expected = stream.read()
        except OSError as error:
            print("FAIL {}: no expected output ({}); create it with: {} {}".format(case, error, update, case))
            failed += 1
            continue
        if actual == expected:
            print("PASS {}: {}".format(case, command))
            passed += 1
            continue
        failed += 1
        print("FAIL {}: {}: stdout differs from {}".format(case, command, expected_path(case)))
        diff = list(difflib.unified_diff(expected.decode("utf-8", errors="replace").splitlines(),
                                         actual.decode("utf-8", errors="replace").splitlines(),
                                         os.path.basename(expected_path(case)), "actual", lineterm=""))
        if not diff:  # same lines: line endings or the final newline differ
            diff = ["(same lines; the bytes differ: line endings or the final newline)"]
        for line in diff[:DIFF_LINES]:
            print("    " + line)
        if len(diff) > DIFF_LINES:
            print("    ... ({} more diff lines)".format(len(diff) - DIFF_LINES))
        print("    if the change is intended, regenerate: {} {}".format(update, case))
    print("{} passed, {} failed".format(passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
