"""One rule for the scripts that write a generated file of the repository: --write rewrites it,
--check writes nothing and exits 1 when the file differs from what would be written, and neither
prints the text (scripts/accuracy_table.py, scripts/moe_kernel_study.py)."""
import os
import sys


def emit(path, text, root, write, check, remedy):
    """Writes, checks or prints `text` as the file at `path`; `remedy` says how to rewrite a stale file."""
    name = os.path.relpath(path, root)
    if write:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {name}")
        return
    if check:
        current = ""
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        if current != text:
            print(f"FAIL: {name} is stale: {remedy}")
            sys.exit(1)
        print(f"{name} is current")
        return
    sys.stdout.write(text)
