#!/usr/bin/env bash
# build_bench.sh - build benchmarks: jmake through its real daemons vs ninja (and make, ninja+ccache) on generated projects; writes bench/out/build.txt.
#
# Usage: bench/build_bench.sh [--sizes "2000 10000"] [--runs 5] [--full-runs N] [--no-make] [--jobs 2] [--keep] [--append]
#   --sizes      source counts to generate (a quick run: --sizes 200)
#   --runs       runs per scenario and side; the table shows medians
#   --full-runs  runs of the two full-build scenarios (a and d) at every size; default: --runs,
#                lowered to 3 at sizes >= 10000 when the estimate from a smaller size exceeds 40 minutes
#   --no-make    leave make out (it is informational only; ratios are jmake/ninja)
#   --keep       keep the generated projects and homes under /tmp
#   --append     add to the results of the previous invocation (sizes run one at a time) instead of starting afresh
# Environment: JMAKE (default build-bbench/jmake next to this folder), CC (default cc).
#
# Scenarios (each run builds every side in a rotated order, so load from other
# processes on this shared machine falls on all sides alike):
#   a  full build from clean (jmake's cache emptied too: a cold build is the comparison)
#   b  one source changed (a new function appended each run, so no cache can answer)
#   c  hdr_hot.h changed (HOT_SALT rewritten: code of ~5% of the sources changes)
#   e  nothing changed
#   d  build folder deleted, warm cache: jmake's own cache vs ninja with ccache (direct mode)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
JMAKE=${JMAKE:-$REPO/build-bbench/jmake}
CC=${CC:-cc}
SIZES="2000 10000"
RUNS=5
FULL_RUNS=
WITH_MAKE=1
JOBS=2
KEEP=0
APPEND=0
CMDLINE="$0 $*"

while [ $# -gt 0 ]; do
    case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --full-runs) FULL_RUNS=$2; shift 2 ;;
    --no-make) WITH_MAKE=0; shift ;;
    --jobs) JOBS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --append) APPEND=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build_bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ -x "$JMAKE" ] || { echo "build_bench.sh: $JMAKE not built (ninja -C build-bbench jmake)" >&2; exit 2; }
for tool in ninja make python3 "$CC"; do
    command -v "$tool" >/dev/null || { echo "build_bench.sh: $tool missing" >&2; exit 2; }
done
if ! command -v ccache >/dev/null; then
    echo "build_bench.sh: installing ccache" >&2
    apt-get install -y ccache >/dev/null || { echo "build_bench.sh: ccache missing (apt-get install ccache)" >&2; exit 2; }
fi

OUT=$HERE/out
mkdir -p "$OUT"
# Short root: the daemon home holds Unix sockets (108-byte path limit).
ROOT=$(mktemp -d /tmp/jb.XXXX)
RESULTS=$OUT/build_results.tsv      # size scenario side run wall_ms cpu_ms
JSONS=$OUT/build_jmake.jsonl        # one jmake result per measured jmake run
NOTES=$OUT/build_notes.txt          # load, memory, ccache stats
LOG=$ROOT/commands.log
[ "$APPEND" = 1 ] || { : > "$RESULTS"; : > "$JSONS"; : > "$NOTES"; }
HOMES=()

cleanup() {
    for h in "${HOMES[@]}"; do
        "$JMAKE" --home "$h" stop --grace 5 >/dev/null 2>&1 || true
        # A daemon that did not stop must not outlive the benchmark.
        for f in "$h"/run/*.pid; do
            [ -f "$f" ] || continue
            pid=$(tr -d '\n' < "$f" 2>/dev/null)
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
        done
    done
    if [ "$KEEP" = 1 ]; then echo "kept $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT

note() { echo "$*" | tee -a "$NOTES"; }

# Microseconds from bash's own clock: no fork in the measured interval.
usec() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }

# CPU time (user+sys, reaped children included) of a process, in ms: on this
# shared machine CPU is a steadier measure than wall time. Fields 14-17 of
# /proc/PID/stat are utime stime cutime cstime in clock ticks.
TICK_MS=$(( 1000 / $(getconf CLK_TCK) ))
cpu_ms_of() { awk -v t="$TICK_MS" '{sub(/.*\) /, ""); print ($12 + $13 + $14 + $15) * t}' "/proc/$1/stat"; }

# run_side SIZE SCENARIO SIDE RUN: builds SIDE once in $P and records wall and CPU time.
run_side() {
    local size=$1 sc=$2 side=$3 run=$4 t0 t1 rc=0 json=$ROOT/last.json c0 c1 cpu
    local tf=$ROOT/time.out
    case $side in
    jmake)
        # The compilers are children of the compilation daemon, not of the client.
        local dpid
        dpid=$(tr -d '\n' < "$H/run/compilation.pid")
        c0=$(cpu_ms_of "$dpid")
        t0=$(usec)
        "$JMAKE" --home "$H" build "$P" --json > "$json" 2>>"$LOG" || rc=$?
        t1=$(usec)
        c1=$(cpu_ms_of "$dpid")
        echo "$(( c1 - c0 ))" > "$tf"
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["bench"]={"size":int(sys.argv[2]),"scenario":sys.argv[3],"run":int(sys.argv[4])}; print(json.dumps(r))' \
            "$json" "$size" "$sc" "$run" >> "$JSONS" 2>/dev/null || true
        ;;
    ninja)
        t0=$(usec); (cd "$P" && cputime ninja -j"$JOBS") >>"$LOG" 2>&1 || rc=$?; t1=$(usec) ;;
    ccache)
        t0=$(usec); (cd "$P" && cputime ninja -f ccache.ninja -j"$JOBS") >>"$LOG" 2>&1 || rc=$?; t1=$(usec) ;;
    make)
        t0=$(usec); cputime make -C "$P" -j"$JOBS" >>"$LOG" 2>&1 || rc=$?; t1=$(usec) ;;
    esac
    cpu=$(tr -d '\n' < "$tf" 2>/dev/null || echo 0)
    if [ "$rc" -ne 0 ]; then
        echo "build_bench.sh: $side failed (size $size, scenario $sc, run $run; exit $rc); see $LOG" >&2
        tail -n 20 "$LOG" >&2
        KEEP=1
        exit 1
    fi
    local ms=$(( (t1 - t0) / 1000 ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$sc" "$side" "$run" "$ms" "${cpu:-0}" >> "$RESULTS"
    printf '  %-2s run %d %-6s %8d ms  cpu %8d ms\n' "$sc" "$run" "$side" "$ms" "${cpu:-0}"
}

# cputime CMD...: runs CMD, writing its CPU time (children included) in ms to $ROOT/time.out.
cputime() {
    local rc=0
    /usr/bin/time -f '%U %S' -o "$ROOT/time.raw" "$@" || rc=$?
    awk '{printf "%d\n", ($1 + $2) * 1000}' "$ROOT/time.raw" > "$ROOT/time.out"
    return $rc
}

# rotated RUN SIDES...: the sides in an order that changes every run.
rotated() {
    local run=$1; shift
    local sides=("$@") n=$# i
    for ((i = 0; i < n; i++)); do echo "${sides[$(((i + run) % n))]}"; done
}

median_ms() { # median_ms SIZE SCENARIO SIDE
    awk -F'\t' -v s="$1" -v c="$2" -v d="$3" '$1==s && $2==c && $3==d {print $5}' "$RESULTS" |
        sort -n | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'
}

daemon_mem() { # daemon_mem LABEL: VmRSS / VmHWM of the compilation daemon
    local pid
    pid=$(tr -d '\n' < "$H/run/compilation.pid")
    note "$1: compilation daemon PID $pid: $(grep -E '^(VmRSS|VmHWM)' /proc/"$pid"/status | tr -s ' \t' ' ' | paste -sd' ')"
}

note "build_bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(${CC} --version | head -1), ninja $(ninja --version), $(make --version | head -1), $(ccache --version | head -1)"
note "jmake: $JMAKE ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
note "command: $CMDLINE"
PREV_SIZE=0
PREV_FULL=0

for N in $SIZES; do
    P=$ROOT/p$N
    H=$ROOT/h$N
    HOMES+=("$H")
    mkdir -p "$H"
    python3 "$HERE/gen_project.py" "$P" --sources "$N" --cc "$CC" | tee -a "$NOTES"
    cat > "$H/job_queue_design.toml" <<CFG
# Benchmark home: as many compiler processes as ninja -j$JOBS; a cache large
# enough that eviction never runs during the benchmark.
[queue]
max_concurrent_jobs = 1
job_timeout_seconds = 86400

[compilation]
max_parallel_builds = $JOBS
build_timeout = 86400
cache_dir = "cache"
cache_size_mb = 65536
CFG
    "$JMAKE" --home "$H" start >/dev/null
    SIDES=(jmake ninja)
    [ "$WITH_MAKE" = 1 ] && SIDES+=(make)

    full_runs=${FULL_RUNS:-$RUNS}
    if [ -z "$FULL_RUNS" ] && [ "$N" -ge 10000 ] && [ "$PREV_SIZE" -gt 0 ]; then
        # Linear in the number of sources: every side compiles every file.
        est=$(( PREV_FULL * N / PREV_SIZE * (RUNS + 1) / 1000 ))
        if [ "$est" -gt 2400 ]; then
            full_runs=3
            note "size $N: full-build scenarios estimated at ${est}s with $RUNS runs; using 3 runs for (a) and (d)"
        fi
    fi
    # Make's full builds are only informational: when time is short they go first.
    FULL_SIDES=("${SIDES[@]}")
    if [ "$full_runs" -lt "$RUNS" ] && [ "$WITH_MAKE" = 1 ]; then
        FULL_SIDES=(jmake ninja)
        note "size $N: make left out of (a) to save time"
    fi

    HOT_ONE=$(head -1 "$P/hot_sources.txt")
    # The edited source for (b): the first that does not include the hot header.
    for ((i = 0; ; i++)); do
        EDIT=$(printf 's%05d' "$i")
        grep -qx "$EDIT" "$P/hot_sources.txt" || break
    done

    note "size $N: (a) full build from clean, $full_runs runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
    for ((r = 1; r <= full_runs; r++)); do
        rm -rf "$P/build" "$P/build-ninja" "$P/build-make" "$H/cache"
        for side in $(rotated "$r" "${FULL_SIDES[@]}"); do run_side "$N" a "$side" "$r"; done
    done
    daemon_mem "size $N after (a)"
    if [ "$WITH_MAKE" = 1 ] && [ "${#FULL_SIDES[@]}" -lt "${#SIDES[@]}" ]; then
        # Make sat out (a): give it its objects untimed, or its first (b) would be a full build.
        note "size $N: untimed make build (make left out of (a))"
        make -C "$P" -j"$JOBS" >>"$LOG" 2>&1
    fi
    PREV_SIZE=$N
    PREV_FULL=0
    for side in "${FULL_SIDES[@]}"; do PREV_FULL=$(( PREV_FULL + $(median_ms "$N" a "$side") )); done

    note "size $N: (b) one source changed ($EDIT.c), $RUNS runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
    for ((r = 1; r <= RUNS; r++)); do
        # A new function every run: new content, so no cache can serve it.
        echo "int bench_edit_$r(int x) { return x * $r + $N; }" >> "$P/src/$EDIT.c"
        for side in $(rotated "$r" "${SIDES[@]}"); do run_side "$N" b "$side" "$r"; done
    done

    note "size $N: (c) include/hdr_hot.h changed ($(wc -l < "$P/hot_sources.txt") dependents, e.g. $HOT_ONE.c), $RUNS runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
    for ((r = 1; r <= RUNS; r++)); do
        sed -i "s/^#define HOT_SALT .*/#define HOT_SALT $((r * 7919))/" "$P/include/hdr_hot.h"
        for side in $(rotated "$r" "${SIDES[@]}"); do run_side "$N" c "$side" "$r"; done
    done

    note "size $N: (e) nothing changed, $RUNS runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
    for ((r = 1; r <= RUNS; r++)); do
        for side in $(rotated "$r" "${SIDES[@]}"); do run_side "$N" e "$side" "$r"; done
    done

    # (d): jmake's cache already holds every current object (the builds above
    # stored them). ccache gets one untimed build of the same tree to warm it.
    export CCACHE_DIR=$ROOT/ccache$N CCACHE_DIRECT=1 CCACHE_MAXSIZE=20G
    rm -rf "$CCACHE_DIR" "$P/build-ccache"
    note "size $N: (d) warming ccache (untimed); load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$P" && ninja -f ccache.ninja -j"$JOBS") >>"$LOG" 2>&1
    ccache -z >/dev/null
    note "size $N: (d) build folder deleted, warm cache, $full_runs runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
    for ((r = 1; r <= full_runs; r++)); do
        rm -rf "$P/build" "$P/build-ccache"
        for side in $(rotated "$r" jmake ccache); do run_side "$N" d "$side" "$r"; done
    done
    note "size $N: ccache during (d): $(ccache -s 2>/dev/null | grep -Ei 'hits|misses' | tr -s ' ' | paste -sd';')"
    daemon_mem "size $N at the end"
    note "size $N: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    "$JMAKE" --home "$H" stop --grace 5 >/dev/null || true
    cp "$H"/logs/compilation.log "$OUT/build_compilation_$N.log" 2>/dev/null || true
    unset CCACHE_DIR
done

python3 - "$RESULTS" "$JSONS" "$NOTES" "$OUT/build.txt" <<'PY'
# Table of medians and ratios, plus jmake's own account of each scenario.
import json, statistics, sys
results, jsons, notes, out = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(results) if l.strip()]
data, cpu = {}, {}
for row in rows:
    size, sc, side, run, ms = row[:5]
    data.setdefault((int(size), sc), {}).setdefault(side, []).append(int(ms))
    if len(row) > 5 and int(row[5]) > 0:   # older rows have no CPU column
        cpu.setdefault((int(size), sc), {}).setdefault(side, []).append(int(row[5]))
names = {"a": "full build from clean", "b": "one source changed", "c": "hot header (5%) changed",
         "e": "nothing changed", "d": "build dir deleted, warm cache"}
target = {"a": 1.03, "b": 1.0, "c": 1.0, "e": 1.0, "d": 0.5}
jm = {}
for line in open(jsons):
    r = json.loads(line)
    b = r["bench"]
    jm.setdefault((b["size"], b["scenario"]), []).append(r)
lines = ["Build benchmark: medians of wall times in ms (runs in brackets); ratio = jmake / ninja, (d): jmake / ninja+ccache", ""]
hdr = f"{'size':>6} {'scenario':<31} {'jmake':>14} {'ninja':>14} {'ninja+ccache':>14} {'make':>14} {'ratio':>7} {'target':>7}  ok"
lines += [hdr, "-" * len(hdr)]
def cell(v):
    return f"{statistics.median(v):>10.0f} ({len(v)})" if v else f"{'-':>14}"
for (size, sc) in sorted(data, key=lambda k: (k[0], "abced".index(k[1]))):
    d = data[(size, sc)]
    j = d.get("jmake", [])
    other = d.get("ccache" if sc == "d" else "ninja", [])
    ratio = statistics.median(j) / statistics.median(other) if j and other and statistics.median(other) > 0 else float("nan")
    ok = "yes" if ratio <= target[sc] else "NO"
    lines.append(f"{size:>6} {sc + ' ' + names[sc]:<31} {cell(j)} {cell(d.get('ninja', []))} {cell(d.get('ccache', []))} "
                 f"{cell(d.get('make', []))} {ratio:>7.2f} {target[sc]:>7.2f}  {ok}")
lines += ["", "CPU time in ms (user+sys, compilers included; jmake: the compilation daemon and its children), medians",
          "steadier than wall time when other work shares the machine", ""]
for (size, sc) in sorted(cpu, key=lambda k: (k[0], "abced".index(k[1]))):
    d = cpu[(size, sc)]
    j = d.get("jmake", [])
    other = d.get("ccache" if sc == "d" else "ninja", [])
    ratio = statistics.median(j) / statistics.median(other) if j and other and statistics.median(other) > 0 else float("nan")
    lines.append(f"{size:>6} {sc + ' ' + names[sc]:<31} {cell(j)} {cell(d.get('ninja', []))} {cell(d.get('ccache', []))} "
                 f"{cell(d.get('make', []))} {ratio:>7.2f}")
lines += ["", "jmake's result JSON per scenario (medians over runs): files compiled / from_cache / up_to_date of total; timings_ms scan, compile, link, total", ""]
for (size, sc) in sorted(jm, key=lambda k: (k[0], "abced".index(k[1]))):
    rs = jm[(size, sc)]
    def med(path):
        vals = []
        for r in rs:
            v = r
            for p in path:
                v = v.get(p, {}) if isinstance(v, dict) else {}
            if isinstance(v, (int, float)):
                vals.append(v)
        return f"{statistics.median(vals):.0f}" if vals else "?"
    f = lambda k: med(("files", k))
    t = lambda k: med(("timings_ms", k))
    lines.append(f"{size:>6} {sc}: files {f('compiled')}/{f('from_cache')}/{f('up_to_date')} of {f('total')}; "
                 f"timings scan {t('scan')} compile {t('compile')} link {t('link')} total {t('total')}; "
                 f"cache hits {med(('cache', 'hits'))} misses {med(('cache', 'misses'))}")
lines += ["", "Notes", ""] + [l.rstrip("\n") for l in open(notes)]
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
echo "written: $OUT/build.txt"
