#!/usr/bin/python3
"""Rewrites tests/golden/*/expected.json from the current binary's stdout.

    update.py DSSELECT_BINARY [CASE...]

Run it only when an output change is intended, and review `git diff tests/golden` before
committing. A case whose command fails is left untouched (and the script exits 1).
Prints one line per case, then "N passed, M failed".
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (shares the case list and the way a case is run)


def main():
    if len(sys.argv) < 2:
        print("usage: update.py DSSELECT_BINARY [CASE...]", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    passed = failed = 0
    for case in check.cases(sys.argv[2:]):
        command = "dsselect " + " ".join(check.arguments(case))
        try:
            code, actual, errors = check.run(binary, case)
        except (OSError, subprocess.TimeoutExpired) as error:
            print("FAIL {}: {}: {}".format(case, command, error))
            failed += 1
            continue
        if code != 0 or not actual:
            print("FAIL {}: {} exited {} (expected output left as it was): {}".format(case, command, code,
                                                                                 errors.strip()[:500]))
            failed += 1
            continue
        path = check.expected_path(case)
        try:
            with open(path, "rb") as stream:
                unchanged = stream.read() == actual
        except OSError:
            unchanged = False
        if not unchanged:
            temporary = path + ".tmp"
            with open(temporary, "wb") as stream:
                stream.write(actual)
            os.replace(temporary, path)
        print("PASS {}: {} ({})".format(case, command, "unchanged" if unchanged else "written"))
        passed += 1
    print("{} passed, {} failed".format(passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
