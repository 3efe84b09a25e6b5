#!/usr/bin/env python3
"""Checks (or rewrites) the generated blocks of a Markdown or YAML file.

A block sits between two marker lines:

    <!-- generated: NAME (metricsd --print-docs=NAME); do not edit -->
    ...
    <!-- end generated: NAME -->

and must equal what `metricsd --print-docs=NAME` prints, so docs drawn from a declaration (config
keys, routes) cannot drift from it. With --update the blocks are rewritten in place.

usage: generated_docs.py METRICSD FILE [--update]
exit 0 when every block matches (or was rewritten), 1 with a diff otherwise.
"""
import difflib
import re
import subprocess
import sys

BEGIN = re.compile(r"^<!-- generated: ([a-z0-9_-]+) .*-->$")
END = "<!-- end generated: {} -->"


def produce(metricsd, name):
    out = subprocess.run([metricsd, f"--print-docs={name}"], capture_output=True, text=True,
                         timeout=30)
    if out.returncode != 0:
        sys.exit(f"{metricsd} --print-docs={name} failed: {out.stderr.strip()}")
    return out.stdout


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != "--update"):
        sys.exit(__doc__)
    metricsd, path = sys.argv[1], sys.argv[2]
    update = len(sys.argv) == 4
    lines = open(path, encoding="utf-8").read().split("\n")
    result, failures, blocks, i = [], [], 0, 0
    while i < len(lines):
        match = BEGIN.match(lines[i])
        result.append(lines[i])
        i += 1
        if not match:
            continue
        name = match.group(1)
        end = END.format(name)
        start = i
        while i < len(lines) and lines[i] != end:
            i += 1
        if i == len(lines):
            sys.exit(f"{path}: block {name} has no '{end}' line")
        current = "\n".join(lines[start:i]) + "\n" if i > start else ""
        wanted = produce(metricsd, name)
        blocks += 1
        if current != wanted:
            failures.append(name)
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), wanted.splitlines(True),
                f"{path} ({name}, as committed)", f"metricsd --print-docs={name}"))
        result.extend(wanted.rstrip("\n").split("\n") if wanted else [])
        result.append(lines[i])
        i += 1
    if blocks == 0:
        sys.exit(f"{path}: no generated block found")
    if update:
        open(path, "w", encoding="utf-8").write("\n".join(result))
        print(f"{path}: {blocks} blocks written ({len(failures)} changed)")
        return 0
    if failures:
        print(f"\n{path}: {len(failures)} of {blocks} generated blocks differ: {', '.join(failures)}."
              f"\nRegenerate with: python3 tests/support/generated_docs.py {metricsd} {path} --update")
        return 1
    print(f"{path}: {blocks} generated blocks match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
