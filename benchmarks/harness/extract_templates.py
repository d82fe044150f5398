#!/usr/bin/env python3
"""extract_templates — the templates of docs/contributing.md as files, so that
the build can compile them and the generated tests can hold them to the
contract (benchmarks/CMakeLists.txt, docs.contributing_template.*).

    extract_templates.py CONTRIBUTING_MD EXPERIMENT_CLI_PY OUTDIR

Writes OUTDIR/example.c (the ```c block under "### The C program"),
OUTDIR/example/example.py (the ```python block under "### The Python
original") and a copy of experiment_cli.py in OUTDIR, where the original
looks for it (the folder above its own).  Exit 1, naming what is missing,
when a block is not found.
"""
import os
import shutil
import sys


def block_after(lines, heading, language):
    """The text of the first ```LANGUAGE block after the line HEADING."""
    try:
        at = lines.index(heading)
    except ValueError:
        sys.exit(f"extract_templates: no heading '{heading}'")
    fence = "```" + language
    for start in range(at + 1, len(lines)):
        if lines[start].startswith("## ") or lines[start].startswith("### "):
            break
        if lines[start].strip() == fence:
            end = lines.index("```", start + 1)
            return "\n".join(lines[start + 1:end]) + "\n"
    sys.exit(f"extract_templates: no {fence} block under '{heading}'")


def write_if_changed(path, text):
    """Leaves an unchanged file alone, so that nothing is rebuilt for nothing."""
    try:
        with open(path, encoding="utf-8") as old:
            if old.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as new:
        new.write(text)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: extract_templates.py CONTRIBUTING_MD EXPERIMENT_CLI_PY OUTDIR")
    page, experiment_cli, outdir = sys.argv[1:]
    with open(page, encoding="utf-8") as f:
        lines = f.read().split("\n")
    os.makedirs(os.path.join(outdir, "example"), exist_ok=True)
    write_if_changed(os.path.join(outdir, "example.c"), block_after(lines, "### The C program", "c"))
    write_if_changed(os.path.join(outdir, "example", "example.py"),
                     block_after(lines, "### The Python original", "python"))
    shutil.copyfile(experiment_cli, os.path.join(outdir, "experiment_cli.py"))


if __name__ == "__main__":
    main()
