#!/usr/bin/env python3
"""Hostile-input corpus runner (project issue 9).

Usage: run.py DSSELECT_BINARY [CASE ...]

Each case is a folder tests/hostile/NNN-short-name/ holding:
  cmd                     the arguments, one per line; @DIR@ becomes the case folder's absolute
                          path and @TMP@ a fresh scratch directory (also the working directory)
  expected_status         the exit code
  expected_stderr         the exact first line of stderr (same placeholders); an empty file
                          means stderr must be empty
  stdin                   optional: fed to standard input (default /dev/null)
  stdin_from              optional: instead of `stdin`, one line: a path opened as standard input
                          (placeholders allowed; a directory such as / works), or the word
                          `closed` for no standard input at all (as `<&-` in a shell)
  setup.py                optional: run as `python3 setup.py SCRATCH_DIR` before the command,
                          to generate large inputs at run time
  expected_files          optional: names (relative to the scratch dir, one a line) the command
                          may leave in the scratch dir; files made by setup.py are always allowed
  expect_stdout_nonempty  optional: stdout must be non-empty (accepted input) instead of empty
  skip_if_readable        optional: a path (placeholders allowed); when this process can open it
                          for reading (e.g. running as root, which ignores mode 000), the case is
                          skipped and counted as passed
Checks: exit status, first stderr line, stdout empty (or non-empty when declared), no stray file
in the scratch dir, no sanitizer report, no hang (10 s; DSSELECT_HANG_TIMEOUT_S overrides it, which
the sanitizer build sets, since AddressSanitizer runs the 120,000-entry catalog case in about 8 s
alone and two tests share the CI's two cores). The limit catches hangs; it is no speed goal.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def hang_timeout_s():
    """The hang limit: DSSELECT_HANG_TIMEOUT_S if set (a positive number of seconds), else 10."""
    text = os.environ.get("DSSELECT_HANG_TIMEOUT_S", "10")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        sys.exit(f"run.py: DSSELECT_HANG_TIMEOUT_S: expected a positive number of seconds, got '{text}'")
    return value


TIMEOUT_S = hang_timeout_s()
SETUP_TIMEOUT_S = 300
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")
HERE = os.path.dirname(os.path.abspath(__file__))


def read_text(path):
    with open(path, "r", encoding="utf-8", newline="") as handle:
        return handle.read()


def substitute(text, case_dir, scratch):
    return text.replace("@DIR@", case_dir).replace("@TMP@", scratch)


def list_files(root):
    found = set()
    for directory, subdirs, files in os.walk(root):
        for name in files + [d for d in subdirs if os.path.islink(os.path.join(directory, d))]:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


def first_line(text):
    return text.split("\n", 1)[0].rstrip("\r") if text else ""


def run_case(binary, case_dir):
    """Returns (status, detail) where status is PASS, FAIL or SKIP."""
    scratch = tempfile.mkdtemp(prefix="dsselect-hostile-")
    try:
        def path(name):
            return os.path.join(case_dir, name)

        for required in ("cmd", "expected_status", "expected_stderr"):
            if not os.path.isfile(path(required)):
                return "FAIL", f"case is missing its '{required}' file"
        cmd_text = read_text(path("cmd"))
        if cmd_text.endswith("\n"):
            cmd_text = cmd_text[:-1]
        args = [substitute(line, case_dir, scratch) for line in cmd_text.split("\n")] if cmd_text else []
        expected_status = int(read_text(path("expected_status")).strip())
        expected_stderr = substitute(first_line(read_text(path("expected_stderr"))), case_dir, scratch)
        expected_files = set()
        if os.path.isfile(path("expected_files")):
            expected_files = {line.strip() for line in read_text(path("expected_files")).splitlines() if line.strip()}
        want_stdout = os.path.isfile(path("expect_stdout_nonempty"))

        if os.path.isfile(path("setup.py")):
            setup = subprocess.run([sys.executable, path("setup.py"), scratch], cwd=scratch,
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=SETUP_TIMEOUT_S)
            if setup.returncode != 0:
                return "FAIL", "setup.py failed: " + setup.stderr.decode("utf-8", "replace").strip()[-500:]
        if os.path.isfile(path("skip_if_readable")):
            probe = substitute(read_text(path("skip_if_readable")).strip(), case_dir, scratch)
            try:
                os.close(os.open(probe, os.O_RDONLY))
                return "SKIP", (f"{probe} is readable by this user (uid {os.geteuid()}; root ignores mode 000), "
                                "so the unreadable-file path cannot be exercised here")
            except OSError:
                pass
        baseline = list_files(scratch)

        stdin_path = path("stdin")
        stdin = open(stdin_path, "rb") if os.path.isfile(stdin_path) else subprocess.DEVNULL
        close_stdin = None
        if os.path.isfile(path("stdin_from")):
            source = substitute(read_text(path("stdin_from")).strip(), case_dir, scratch)
            if source == "closed":
                close_stdin = lambda: os.close(0)  # noqa: E731 (runs in the child, after fork)
            else:
                stdin = os.open(source, os.O_RDONLY)
        try:
            completed = subprocess.run([binary] + args, cwd=scratch, stdin=stdin, capture_output=True,
                                       timeout=TIMEOUT_S, preexec_fn=close_stdin)
        except subprocess.TimeoutExpired:
            return "FAIL", f"hang: no exit within {TIMEOUT_S} s"
        finally:
            if isinstance(stdin, int) and stdin != subprocess.DEVNULL:
                os.close(stdin)
            elif stdin is not subprocess.DEVNULL:
                stdin.close()

        stdout = completed.stdout.decode("utf-8", "replace")
        stderr = completed.stderr.decode("utf-8", "replace")
        problems = []
        for marker in SANITIZER_MARKERS:
            if marker in stderr:
                at = stderr.find(marker)
                problems.append("sanitizer report: " + stderr[at:at + 300].replace("\n", " | "))
                break
        if completed.returncode != expected_status:
            problems.append(f"exit status {completed.returncode}, expected {expected_status}")
        actual_first = first_line(stderr)
        if actual_first != expected_stderr:
            problems.append(f"first stderr line {actual_first[:400]!r}, expected {expected_stderr[:400]!r}")
        if want_stdout and not stdout:
            problems.append("stdout is empty, expected output")
        if not want_stdout and stdout:
            problems.append(f"stdout not empty: {stdout[:200]!r}")
        stray = sorted(list_files(scratch) - baseline - expected_files)
        if stray:
            problems.append("files left behind: " + ", ".join(stray))
        if problems:
            return "FAIL", "; ".join(problems)
        return "PASS", ""
    finally:
        # Mode-000 files and directories are removable by their owner; restore access first.
        for directory, subdirs, files in os.walk(scratch):
            for name in subdirs + files:
                try:
                    os.chmod(os.path.join(directory, name), 0o700, follow_symlinks=False)
                except (OSError, NotImplementedError):  # Linux cannot chmod a symlink itself
                    pass
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv):
    if len(argv) < 2:
        print("usage: run.py DSSELECT_BINARY [CASE ...]", file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    if not os.access(binary, os.X_OK):
        print(f"run.py: {binary} is not an executable", file=sys.stderr)
        return 2
    cases = sorted(name for name in os.listdir(HERE)
                   if os.path.isdir(os.path.join(HERE, name)) and name[:3].isdigit())
    if len(argv) > 2:
        wanted = [os.path.basename(os.path.normpath(name)) for name in argv[2:]]
        unknown = [name for name in wanted if name not in cases]
        if unknown:
            print("run.py: no such case: " + ", ".join(unknown), file=sys.stderr)
            return 2
        cases = wanted
    passed = failed = 0
    for name in cases:
        status, detail = run_case(binary, os.path.join(HERE, name))
        if status == "FAIL":
            failed += 1
            print(f"FAIL {name}: {detail}", flush=True)
        else:
            passed += 1
            print(f"{status} {name}" + (f" ({detail})" if detail else ""), flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
