#!/usr/bin/env python3
"""errors_corpus.py - a corpus of broken projects of the mechanical kinds, built through the daemons: the share whose first suggestion is a correct fix, before any learning and after the corpus was seen once.

Usage: bench/errors_corpus.py JMAKE [PER_KIND]   (PER_KIND projects of each of the six kinds; default 11 -> 66)

Round 1 builds every broken project, runs error_analysis on its failed job and
takes the first suggestion (nothing learned yet: each project's subject is its
own, and all analyses run before any fix is applied). A suggestion is correct
when applying it to a fresh copy of the project makes `jmake build` succeed.
Then the true fix is applied to every round-1 project and it is rebuilt, so the
error handler learns from it (the diff between the failing and the succeeding
jmake.toml). Round 2 builds fresh copies of the same broken projects in other
folders and measures again. It also reports the cost: failing build, analysis.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

JMAKE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "jmake"
PER_KIND = int(sys.argv[2]) if len(sys.argv) > 2 else 11
ENV = dict(os.environ, LC_ALL="C")


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)


def write_toml(path, cfg):
    lines = []
    for section in ("project", "binary", "compile"):
        if section in cfg and cfg[section]:
            lines.append(f"[{section}]")
            for k, v in cfg[section].items():
                lines.append(f"{k} = {toml_value(v)}")
    if cfg.get("defines"):
        lines.append("[compile.defines]")
        for k, v in cfg["defines"].items():
            lines.append(f"{k} = {toml_value(v)}")
    for o in cfg.get("overrides", []):
        lines.append("[[compile.overrides]]")
        lines.append(f"match = {toml_value(o['match'])}")
        lines.append(f"flags = {toml_value(o['flags'])}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write(root, rel, text):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


# ---- the six kinds: each returns (files, cfg, true_fix, prepare) ----

def kind_include_dir(k):
    nested = k % 2 == 0
    hdr = f"mod{k}/api{k}.h" if nested else f"api{k}.h"
    files = {f"third/inc{k}/{hdr}": f"#define API{k}_VALUE {k}\n",
             "src/a.c": f'#include "{hdr}"\nint value{k}(void) {{ return API{k}_VALUE; }}\n'}
    cfg = {"project": {"name": f"inc{k}"}}
    return files, cfg, [("include_dir", f"third/inc{k}")], None


def kind_missing_library(k):
    if k % 3 == 2:
        fn = ["sqrt", "cos", "exp", "log", "sin", "tan"][k % 6]
        files = {"src/main.c": f"double {fn}(double);\nvolatile double x = 2.0;\n"
                               f"int main(void) {{ return (int){fn}(x); }}\n"}
        cfg = {"project": {"name": f"libm{k}"}, "binary": {"library_type": "executable"}}
        return files, cfg, [("library", "m")], None
    files = {"vendor/src/v.c": f"int vend{k}_fn(int a) {{ return a + {k}; }}\n",
             "src/main.c": f"int vend{k}_fn(int);\nint main(void) {{ return vend{k}_fn(1); }}\n"}
    cfg = {"project": {"name": f"vend{k}"}, "binary": {"library_type": "executable"},
           "compile": {"sources": ["src/*.c"]}}

    def prepare(root):
        subprocess.run(f"cc -c vendor/src/v.c -o vendor/v.o && ar qc vendor/libvend{k}.a vendor/v.o && rm vendor/v.o",
                       shell=True, cwd=root, check=True, env=ENV)
    return files, cfg, [("lib_dir", "vendor"), ("library", f"vend{k}")], prepare


def kind_missing_define(k):
    if k % 2 == 0:
        files = {"src/a.c": f'#ifndef CFG{k}_ENABLED\n#error "CFG{k}_ENABLED must be defined"\n#endif\n'
                            f"int feature{k}(void) {{ return 1; }}\n"}
        fix = [("define", f"CFG{k}_ENABLED")]
    else:
        files = {"src/a.c": f"static int table{k}[BUFSZ{k}];\nint first{k}(void) {{ return table{k}[0]; }}\n"}
        fix = [("define", f"BUFSZ{k}=16")]
    return files, {"project": {"name": f"def{k}"}}, fix, None


def kind_fpic(k):
    files = {f"src/fast{k}.c": f"int counter{k};\nint bump{k}(void) {{ return ++counter{k}; }}\n",
             "src/b.c": f"int other{k}(void) {{ return 2; }}\n"}
    cfg = {"project": {"name": f"pic{k}"}, "overrides": [{"match": f"src/fast{k}.c", "flags": ["-O2", "-fno-PIC"]}]}
    return files, cfg, [("remove_flag", "-fno-PIC")], None


def kind_cxx_std(k):
    cases = [
        ("#include <optional>\nint f{k}() {{ std::optional<int> o = {k}; return *o; }}\n", "c++14", "c++17"),
        ("#include <string_view>\nint f{k}() {{ std::string_view s = \"ab\"; return (int)s.size(); }}\n", "c++14", "c++17"),
        ("#include <variant>\nint f{k}() {{ std::variant<int, char> v = {k}; return std::get<int>(v); }}\n", "c++14", "c++17"),
        ("#include <memory>\nint f{k}() {{ auto p = std::make_unique<int>({k}); return *p; }}\n", "c++11", "c++14"),
        ("#include <any>\nint f{k}() {{ std::any a = {k}; return std::any_cast<int>(a); }}\n", "c++14", "c++17"),
    ]
    src, old, new = cases[k % len(cases)]
    files = {"src/a.cpp": src.format(k=k)}
    cfg = {"project": {"name": f"std{k}"}, "compile": {"flags": [f"-std={old}"]}}
    return files, cfg, [("std", new)], None


def kind_header_not_included(k):
    if k % 3 == 0:
        files = {"src/main.c": f'#include <string.h>\nint use{k}(const char *s) {{ return (int)strlen(s) + strlen_{k}(s); }}\n',
                 f"include/util{k}.h": f"int strlen_{k}(const char *s);\n",
                 f"src/util{k}.c": f'#include "util{k}.h"\nint strlen_{k}(const char *s) {{ return s[0]; }}\n'}
        cfg = {"project": {"name": f"hdr{k}"}, "compile": {"include_dirs": ["include"],
               "flags": ["-Werror=implicit-function-declaration"]}}
        return files, cfg, [("include_header", f'"util{k}.h"', "src/main.c")], None
    if k % 3 == 1:
        fn, hdr = [("strlen", "<string.h>"), ("memcpy", "<string.h>"), ("malloc", "<stdlib.h>"), ("printf", "<stdio.h>")][k % 4]
        call = {"strlen": "(int)strlen(s)", "memcpy": "(memcpy(b, s, 1), b[0])", "malloc": "(malloc(1) != 0)",
                "printf": "printf(\"%s\", s)"}[fn]
        files = {"src/a.c": f"int use{k}(const char *s) {{ char b[2]; (void)b; return {call}; }}\n"}
        cfg = {"project": {"name": f"libc{k}"}, "compile": {"flags": ["-Werror=implicit-function-declaration"]}}
        return files, cfg, [("include_header", hdr, "src/a.c")], None
    name, hdr = [("vector", "<vector>"), ("map", "<map>"), ("string", "<string>")][k % 3]
    decl = {"vector": "std::vector<int> v(3);", "map": "std::map<int, int> v;", "string": "std::string v(\"abc\");"}[name]
    files = {"src/a.cpp": f"#include <cstddef>\nint size{k}() {{ {decl} return (int)v.size(); }}\n"}
    return files, {"project": {"name": f"cxx{k}"}}, [("include_header", hdr, "src/a.cpp")], None


KINDS = [("include_dir", kind_include_dir), ("missing_library", kind_missing_library),
         ("missing_define", kind_missing_define), ("fpic", kind_fpic), ("cxx_std", kind_cxx_std),
         ("header_not_included", kind_header_not_included)]


def make(root, spec):
    files, cfg, _, prepare = spec
    if os.path.exists(root):
        shutil.rmtree(root)
    for rel, text in files.items():
        write(root, rel, text)
    write_toml(os.path.join(root, "jmake.toml"), cfg)
    if prepare:
        prepare(root)


def apply(root, cfg, changes):
    """Applies suggestion or fix changes to the project at root (cfg is its config dict, copied)."""
    cfg = json.loads(json.dumps(cfg))
    comp = cfg.setdefault("compile", {})
    for ch in changes:
        kind, value = ch["kind"], ch["value"]
        if kind == "include_dir":
            comp.setdefault("include_dirs", []).append(value)
        elif kind == "lib_dir":
            comp.setdefault("lib_dirs", []).append(value)
        elif kind == "library":
            comp.setdefault("libraries", []).append(value)
        elif kind == "define":
            n, _, v = value.partition("=")
            cfg.setdefault("defines", {})[n] = v if v else 1
        elif kind == "flag":
            comp.setdefault("flags", []).append(value)
        elif kind == "remove_flag":
            for key in ("flags", "c_flags", "cxx_flags", "link_flags"):
                if key in comp:
                    comp[key] = [f for f in comp[key] if f != value]
            for o in cfg.get("overrides", []):
                o["flags"] = [f for f in o["flags"] if f != value]
        elif kind == "std":
            for key in ("flags", "c_flags", "cxx_flags"):
                if key in comp:
                    comp[key] = [f for f in comp[key] if not f.startswith("-std=")]
            comp.setdefault("flags", []).append("-std=" + value)
        elif kind == "include_header":
            path = os.path.join(root, ch.get("file", ""))
            if not os.path.isfile(path):
                return False
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(f"#include {value}\n" + text)
        else:
            return False
    write_toml(os.path.join(root, "jmake.toml"), cfg)
    return True


def jm(home, *args, check=False):
    return subprocess.run([JMAKE, "--home", home, *args], capture_output=True, text=True, env=ENV, check=check)


def last_compilation(home):
    jobs = json.loads(jm(home, "--json", "job", "list").stdout)
    return max((j for j in jobs if j["type"] == "compilation"), key=lambda j: j["seq"])["id"]


def build(home, root):
    t = time.monotonic()
    r = jm(home, "build", root)
    return r.returncode, time.monotonic() - t


def analyse(home, job_id, n):
    jf = os.path.join(home, f"an{n}.toml")
    with open(jf, "w") as f:
        f.write(f'[[jobs]]\nid = "an-{n}"\ntype = "error_analysis"\nargs = {{ job = "{job_id}" }}\n')
    t = time.monotonic()
    jm(home, "submit", jf, check=True)
    jm(home, "job", "wait", f"an-{n}", "--timeout", "60")
    elapsed = time.monotonic() - t
    r = json.loads(jm(home, "job", "result", f"an-{n}").stdout)
    return r.get("result") or {}, elapsed


def fix_changes(root, true_fix):
    out = []
    for f in true_fix:
        kind, value = f[0], f[1]
        if kind in ("include_dir", "lib_dir"):
            value = os.path.join(root, value)
        ch = {"kind": kind, "value": value}
        if len(f) > 2:
            ch["file"] = f[2]
        out.append(ch)
    return out


def run_round(home, base, specs, label, counter):
    results = []
    fail_times, analysis_times = [], []
    for name, k, spec in specs:
        root = os.path.join(base, f"{name}{k}")
        make(root, spec)
        rc, bt = build(home, root)
        if rc == 0:
            results.append((name, k, None, "the broken project built"))
            continue
        fail_times.append(bt)
        counter[0] += 1
        res, at = analyse(home, last_compilation(home), counter[0])
        analysis_times.append(at)
        sugg = (res.get("suggestions") or [None])[0]
        why = None
        if sugg is None:
            errs = res.get("errors") or []
            why = "no suggestion for " + (", ".join(f"{e.get('pattern')} {e.get('subject')}" for e in errs) or "no error")
        results.append((name, k, sugg, why))
    # Each first suggestion tried on a fresh copy.
    verdicts = []
    for (name, k, sugg, why), (_, _, spec) in zip(results, specs):
        if sugg is None:
            verdicts.append((f"{name}{k}", False, why or "no suggestion", None))
            continue
        trial = os.path.join(base, "trial", f"{name}{k}")
        make(trial, spec)
        ok = apply(trial, spec[1], sugg["changes"]) and build(home, trial)[0] == 0
        verdicts.append((f"{name}{k}", ok, sugg.get("text"), sugg.get("source")))
        shutil.rmtree(trial)
    return verdicts, fail_times, analysis_times


def report(label, verdicts):
    total = len(verdicts)
    good = sum(1 for v in verdicts if v[1])
    print(f"\n{label}: {good}/{total} first suggestions are a correct fix ({100.0 * good / total:.1f} %)")
    by = {}
    for full, ok, _, src in verdicts:
        name = full.rstrip("0123456789")
        by.setdefault(name, [0, 0, set()])
        by[name][0] += ok
        by[name][1] += 1
        if src:
            by[name][2].add(src)
    for name, (g, n, srcs) in by.items():
        print(f"  {name:22s} {g:3d}/{n:<3d} ({', '.join(sorted(srcs)) or '-'})")
    for name, ok, text, src in verdicts:
        if not ok:
            print(f"    wrong: {name}: {text}")
    return good, total


def main():
    tmp = tempfile.mkdtemp(prefix="jec.", dir="/tmp")
    home = os.path.join(tmp, "h")
    os.makedirs(home)
    with open(os.path.join(home, "job_queue_design.toml"), "w") as f:
        f.write('[error_handling]\nmax_retries = 0\nretry_delay_seconds = 0\n[compilation]\ncache_dir = "cache"\n')
    specs = []
    for name, fn in KINDS:
        for k in range(PER_KIND):
            specs.append((name, k, fn(k)))
    try:
        jm(home, "start", check=True)
        counter = [0]
        v1, ft1, at1 = run_round(home, os.path.join(tmp, "r1"), specs, "before learning", counter)
        # The user's fix, applied to every round-1 project: the error handler learns it.
        for name, k, spec in specs:
            root = os.path.join(tmp, "r1", f"{name}{k}")
            apply(root, spec[1], fix_changes(root, spec[2]))
            rc, _ = build(home, root)
            if rc != 0:
                print(f"  true fix of {name}{k} does not build: corpus bug")
        time.sleep(3)   # the learning timer reads the new job logs every second
        v2, ft2, at2 = run_round(home, os.path.join(tmp, "r2"), specs, "after learning", counter)
        g1, t1 = report("Before any learning", v1)
        g2, t2 = report("After the corpus was seen once", v2)
        med = lambda xs: sorted(xs)[len(xs) // 2] if xs else 0
        print(f"\nCost: failing build median {med(ft1) * 1000:.0f} ms; error_analysis job (submit to done) median "
              f"{med(at1) * 1000:.0f} ms in round 1 (searches cold), {med(at2) * 1000:.0f} ms in round 2 (cached)")
        print(f"Summary: first-suggestion accuracy {100.0 * g1 / t1:.1f} % before learning, {100.0 * g2 / t2:.1f} % after "
              f"({t1} projects; target 90 %: {'met' if g1 * 10 >= t1 * 9 and g2 * 10 >= t2 * 9 else 'NOT met'})")
    finally:
        jm(home, "stop")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
