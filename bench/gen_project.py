#!/usr/bin/env python3
"""gen_project.py - generates a synthetic C project (jmake.toml, build.ninja, ccache.ninja, Makefile) for the build benchmarks."""
# Standard library only, so the benchmark runs on any machine with python3.
# Output is a pure function of the arguments (own PRNG seeded explicitly), so
# two runs with the same --seed produce byte-identical trees and every build
# system (and every run) sees exactly the same inputs.

import argparse
import os
import random
import sys

HOT_HEADER = "hdr_hot.h"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", help="project folder to create (must not exist or be empty)")
    ap.add_argument("--sources", "-n", type=int, default=2000, help="number of .c files")
    ap.add_argument("--headers", type=int, default=0,
                    help="number of ordinary headers (default: sources/20, at least 8)")
    ap.add_argument("--includes", type=int, default=3, help="ordinary headers included per source")
    ap.add_argument("--functions", type=int, default=2, help="functions defined per source")
    ap.add_argument("--hot-fraction", type=float, default=0.05,
                    help="fraction of sources that include " + HOT_HEADER)
    ap.add_argument("--seed", type=int, default=1, help="pseudo-random seed")
    ap.add_argument("--cc", default="cc", help="compiler used by build.ninja and Makefile")
    ap.add_argument("--flags", default="-O2", help="compile flags, space separated (same for every side)")
    return ap.parse_args()


def header_text(idx, rng):
    """One ordinary header: a struct, a few inline helpers and prototypes.
    Inline bodies make every includer do real work when compiling."""
    g = f"HDR_{idx:05d}_H"
    k1, k2, k3 = rng.randrange(3, 97), rng.randrange(3, 97), rng.randrange(1, 31)
    return f"""/* hdr_{idx:05d}.h - generated benchmark header. */
#ifndef {g}
#define {g}
#include <stddef.h>
#include <stdint.h>

typedef struct h{idx}_rec {{
    int32_t id;
    uint32_t flags;
    double weight;
    char tag[16];
}} h{idx}_rec;

#define H{idx}_SCALE {k1}

static inline uint32_t h{idx}_mix(uint32_t x)
{{
    x ^= x >> {k3 % 16 + 1};
    x *= 0x9e3779b1u + {k2}u;
    x ^= x >> 15;
    return x;
}}

static inline double h{idx}_score(const h{idx}_rec *r)
{{
    double s = r->weight * H{idx}_SCALE;
    for (size_t i = 0; i < sizeof r->tag && r->tag[i]; i++)
        s += (double)(unsigned char)r->tag[i] / (double)(i + {k3});
    return s;
}}

uint32_t h{idx}_checksum(const h{idx}_rec *recs, size_t n);
#endif
"""


def hot_header_text():
    """The header used by ~5% of sources; HOT_SALT is used by its includers'
    code, so the benchmark can change their objects by rewriting that one line."""
    return """/* hdr_hot.h - generated benchmark header included by a few percent of the sources. */
#ifndef HDR_HOT_H
#define HDR_HOT_H
#include <stdint.h>

#define HOT_SALT 0

static inline uint32_t hot_salt(uint32_t x)
{
    return (x ^ (uint32_t)HOT_SALT) * 2654435761u;
}
#endif
"""


def source_text(idx, headers, hot, rng, nfuncs):
    """One translation unit: nfuncs functions with loops, branches and arrays
    so that -O2 has something to optimise (compile time well above zero)."""
    lines = [f"/* s{idx:05d}.c - generated benchmark source. */",
             "#include <string.h>"]
    for h in headers:
        lines.append(f'#include "hdr_{h:05d}.h"')
    if hot:
        lines.append(f'#include "{HOT_HEADER}"')
    lines.append("")
    h0 = headers[0]
    lines.append(f"static uint32_t s{idx}_table[64];")
    lines.append("")
    for f in range(nfuncs):
        h = headers[f % len(headers)]
        a, b, c = rng.randrange(2, 50), rng.randrange(2, 50), rng.randrange(1, 9)
        salt = "hot_salt" if hot and f == 0 else ""
        lines.append(f"""uint32_t s{idx}_f{f}(const uint32_t *in, size_t n, uint32_t seed)
{{
    uint32_t acc = {salt}(seed + {a}u);
    uint32_t hist[16];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {{
        uint32_t v = h{h}_mix(in[i] + acc);
        switch (v & 7u) {{
        case 0: acc += v * {b}u; break;
        case 1: acc ^= v >> {c}; break;
        case 2: acc = (acc << 3) | (acc >> 29); break;
        case 3: acc -= v / (uint32_t)({a} + (i & 3)); break;
        default: acc += s{idx}_table[v & 63u];
        }}
        hist[v & 15u]++;
    }}
    for (int k = 0; k < 16; k++)
        acc += hist[k] * (uint32_t)(k + {c});
    return acc;
}}
""")
    lines.append(f"""double s{idx}_weigh(h{h0}_rec *recs, size_t n)
{{
    double total = 0;
    for (size_t i = 0; i < n; i++) {{
        recs[i].flags = h{h0}_mix(recs[i].flags + (uint32_t)i);
        total += h{h0}_score(&recs[i]);
        s{idx}_table[i & 63u] += recs[i].flags;
    }}
    return total;
}}
""")
    return "\n".join(lines)


def write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def main():
    a = parse_args()
    n = a.sources
    nh = a.headers or max(8, n // 20)
    rng = random.Random(a.seed)
    out = os.path.abspath(a.out)
    if os.path.isdir(out) and os.listdir(out):
        sys.exit(f"gen_project.py: {out} is not empty")
    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    os.makedirs(os.path.join(out, "include"), exist_ok=True)

    for h in range(nh):
        write(os.path.join(out, "include", f"hdr_{h:05d}.h"), header_text(h, rng))
    write(os.path.join(out, "include", HOT_HEADER), hot_header_text())

    # Exactly round(n * fraction) includers, chosen at random rather than
    # every 20th file so they are spread like real dependents.
    hot_count = max(1, round(n * a.hot_fraction))
    hot = set(rng.sample(range(n), hot_count))
    names = []
    for i in range(n):
        hs = rng.sample(range(nh), min(a.includes, nh))
        write(os.path.join(out, "src", f"s{i:05d}.c"), source_text(i, hs, i in hot, rng, a.functions))
        names.append(f"s{i:05d}")

    flags = a.flags.split()
    toml_flags = ", ".join(f'"{f}"' for f in flags)
    write(os.path.join(out, "jmake.toml"), f"""# jmake.toml - generated by bench/gen_project.py ({n} sources, seed {a.seed}).
[project]
name = "bench"

[paths]
source = "src"
build = "build"

[compile]
cc = "{a.cc}"
flags = [{toml_flags}]
include_dirs = ["include"]

[binary]
library_type = "shared"
library_name = "libbench.so"
""")

    # Same compiler, flags and depfile handling as jmake's engine uses
    # (cc FLAGS -Iinclude -fPIC -MD -MF dep -c src -o obj; link: cc FLAGS -shared).
    cflags = " ".join(flags)

    def ninja_file(builddir, cc):
        rules = [f"# generated by bench/gen_project.py: same library as jmake.toml, objects in {builddir}/",
                 "ninja_required_version = 1.10",
                 f"builddir = {builddir}",
                 f"cc = {cc}",
                 f"cflags = {cflags} -Iinclude -fPIC",
                 "rule cc",
                 "  command = $cc $cflags -MD -MF $out.d -c $in -o $out",
                 "  depfile = $out.d",
                 "  deps = gcc",
                 "  description = CC $out",
                 "rule link",
                 # A response file keeps 10000 object names off the command line.
                 f"  command = $cc {cflags} -shared -o $out @$out.rsp",
                 "  rspfile = $out.rsp",
                 "  rspfile_content = $in",
                 "  description = LINK $out",
                 ""]
        objs = []
        for s in names:
            o = f"{builddir}/src/{s}.o"
            objs.append(o)
            rules.append(f"build {o}: cc src/{s}.c")
        rules.append(f"build {builddir}/libbench.so: link " + " ".join(objs))
        rules.append(f"default {builddir}/libbench.so")
        return "\n".join(rules) + "\n"

    write(os.path.join(out, "build.ninja"), ninja_file("build-ninja", a.cc))
    # The ccache side of scenario (d): the same graph with "ccache cc", in its own folder.
    write(os.path.join(out, "ccache.ninja"), ninja_file("build-ccache", f"ccache {a.cc}"))

    write(os.path.join(out, "Makefile"), f"""# Makefile - generated by bench/gen_project.py: same library as jmake.toml, objects in build-make/
CC = {a.cc}
CFLAGS = {cflags} -Iinclude -fPIC
B = build-make
SRCS := $(wildcard src/*.c)
OBJS := $(patsubst src/%.c,$(B)/src/%.o,$(SRCS))

$(B)/libbench.so: $(OBJS)
\t$(CC) {cflags} -shared -o $@ $(OBJS)

$(B)/src/%.o: src/%.c | $(B)/src
\t$(CC) $(CFLAGS) -MD -MF $@.d -c $< -o $@

$(B)/src:
\tmkdir -p $@

-include $(OBJS:.o=.o.d)
""")
    hot_names = sorted(names[i] for i in hot)
    write(os.path.join(out, "hot_sources.txt"), "\n".join(hot_names) + "\n")
    print(f"{out}: {n} sources, {nh + 1} headers, {hot_count} include {HOT_HEADER}")


if __name__ == "__main__":
    main()
