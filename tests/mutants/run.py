#!/usr/bin/env python3
"""run.py - the mutation check: each mutant breaks one documented promise; the tests named in it must fail.

A mutant is a file tests/mutants/NAME.mut:

    promise: one line, the promise that breaks (and where it is written)
    file: path of the source file to change, relative to the repository
    tests: a CTest regular expression naming the tests that must catch it
    --- find
    exact text, found exactly once in the file
    --- replace
    the text put in its place

For every mutant, in a scratch copy of the repository with a build folder of
its own (built once, then only the changed file is rebuilt): apply, build, run
the named tests, restore. A mutant survives when the build succeeds and every
named test passes; the run fails if any mutant survives, or if a mutant no
longer applies (its text is gone or not unique: update the mutant with the code).
Usage: run.py [--build-dir DIR] [NAME...]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def parse(path):
    text = open(path, encoding="utf-8").read()
    head, _, rest = text.partition("--- find\n")
    find, sep, replace = rest.partition("--- replace\n")
    if not sep:
        sys.exit(f"{path}: needs '--- find' and '--- replace' sections")
    fields = {}
    for n, line in enumerate(head.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon:
            sys.exit(f"{path}:{n}:1: error: expected 'key: value'")
        fields[key.strip()] = value.strip()
    for key in ("promise", "file", "tests"):
        if key not in fields:
            sys.exit(f"{path}:1:1: error: missing '{key}:'")
    name = os.path.splitext(os.path.basename(path))[0]
    return {"name": name, "path": path, "find": find, "replace": replace, **fields}


def run(cmd, cwd, log, env=None):
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode


def main():
    ap = argparse.ArgumentParser(description="apply each mutant, build, run its tests; fail if any survives")
    ap.add_argument("--build-dir", help="build folder to reuse (default: a temporary one)")
    ap.add_argument("names", nargs="*", help="only these mutants")
    args = ap.parse_args()

    mutants = [parse(os.path.join(HERE, f)) for f in sorted(os.listdir(HERE)) if f.endswith(".mut")]
    if args.names:
        mutants = [m for m in mutants if m["name"] in args.names]
    if not mutants:
        sys.exit("no mutants to run")

    scratch = tempfile.mkdtemp(prefix="jmake-mutants-")
    src = os.path.join(scratch, "src")
    # A copy of the tracked files only: no build folders, nothing untracked.
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        dst = os.path.join(src, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(os.path.join(REPO, rel)):
            os.symlink(os.readlink(os.path.join(REPO, rel)), dst)
        elif os.path.exists(os.path.join(REPO, rel)):
            shutil.copy2(os.path.join(REPO, rel), dst)
    shared = os.path.join(os.path.dirname(REPO), "shared")
    if os.path.isdir(shared):
        os.symlink(shared, os.path.join(scratch, "shared"))
    build = args.build_dir or os.path.join(scratch, "build")
    log = os.path.join(scratch, "mutants.log")
    print(f"mutants: {len(mutants)}; scratch tree {scratch}; log {log}", flush=True)
    t0 = time.monotonic()
    if run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], src, log) or \
            run(["ninja", "-C", build], src, log):
        sys.exit(f"the unmutated tree does not build: see {log}")

    survivors, stale = [], []
    for m in mutants:
        target = os.path.join(src, m["file"])
        try:
            original = open(target, encoding="utf-8").read()
        except FileNotFoundError:
            stale.append(f"{m['name']}: {m['file']} does not exist")
            continue
        count = original.count(m["find"])
        if count != 1:
            stale.append(f"{m['name']}: its text occurs {count} times in {m['file']}")
            continue
        started = time.monotonic()
        open(target, "w", encoding="utf-8").write(original.replace(m["find"], m["replace"]))
        try:
            built = run(["ninja", "-C", build], src, log) == 0
            caught = "build fails"
            if built:
                # The integration tests stop at their first failed check (lib.sh): one is
                # enough to catch a mutant, and the rest would wait out its timeouts.
                rc = run(["ctest", "--output-on-failure", "-j2", "-R", m["tests"]], build, log,
                         env=dict(os.environ, JMAKE_FAIL_FAST="1"))
                listed = subprocess.run(["ctest", "-N", "-R", m["tests"]], cwd=build, capture_output=True,
                                        text=True).stdout
                if not re.search(r"Total Tests: [1-9]", listed):
                    stale.append(f"{m['name']}: no test matches '{m['tests']}'")
                    continue
                caught = "caught" if rc != 0 else ""
        finally:
            open(target, "w", encoding="utf-8").write(original)
            os.utime(target, None)
        took = time.monotonic() - started
        if caught:
            print(f"killed   {m['name']:<28} {took:6.1f} s  ({caught}: {m['tests']})", flush=True)
        else:
            survivors.append(m)
            print(f"SURVIVED {m['name']:<28} {took:6.1f} s  {m['promise']}", flush=True)

    run(["ninja", "-C", build], src, log)
    total = time.monotonic() - t0
    for s in stale:
        print(f"STALE    {s}")
    print(f"mutants: {len(mutants) - len(survivors) - len(stale)} killed, {len(survivors)} survived, "
          f"{len(stale)} stale, {total:.0f} s")
    if not survivors and not stale and not args.build_dir:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if survivors or stale else 0


if __name__ == "__main__":
    sys.exit(main())
