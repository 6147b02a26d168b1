#!/usr/bin/env bash
# watch_bench.sh - reactive-build benchmarks: watched no-op builds against ninja, save to build start, save to library ready against entr + ninja, the watcher's memory on a large tree; writes bench/out/watch.txt.
#
# Usage: bench/watch_bench.sh [--sizes "1000 10000"] [--runs 10] [--saves 20] [--ready-size 2000]
#                             [--ready-runs 10] [--big-files 100000] [--real-cc] [--skip SECTIONS] [--keep]
#   --sizes       generated sources for the no-op comparison (50000 when time allows)
#   --runs        no-op runs per side and size (medians reported)
#   --saves       saves for save-to-build-start (median reported)
#   --ready-size  sources of the save-to-library-ready tree; --ready-runs saves per side
#   --big-files   files (in folders of 20) of the watcher memory case; 0 leaves it out
#   --real-cc     build the no-op trees with cc itself; by default their one full build (needed
#                 before a no-op can be timed) uses a stand-in compiler that copies one object
#                 and writes the depfile, for jmake and ninja alike (10,000 real compiles take
#                 half an hour on a loaded 2-core machine and do not change a no-op)
#   --skip        sections to leave out: any of noop start ready big ("--skip big")
# Environment: JMAKE (default build-wbench/jmake next to this folder).
# Every case uses debounce_ms = 50. The sources are generated with -O0 and one
# function each: the comparisons are of overhead, not of compiling.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
JMAKE=${JMAKE:-$REPO/build-wbench/jmake}
SIZES="1000 10000"
RUNS=10
SAVES=20
READY_SIZE=2000
READY_RUNS=10
BIG_FILES=100000
REAL_CC=0
SKIP=
KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --saves) SAVES=$2; shift 2 ;;
    --ready-size) READY_SIZE=$2; shift 2 ;;
    --ready-runs) READY_RUNS=$2; shift 2 ;;
    --big-files) BIG_FILES=$2; shift 2 ;;
    --real-cc) REAL_CC=1; shift ;;
    --skip) SKIP=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "watch_bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -x "$JMAKE" ] || { echo "watch_bench.sh: $JMAKE not built" >&2; exit 2; }
for tool in ninja python3 cc; do
    command -v "$tool" >/dev/null || { echo "watch_bench.sh: $tool missing" >&2; exit 2; }
done
if ! command -v entr >/dev/null; then
    echo "watch_bench.sh: installing entr" >&2
    apt-get install -y entr >/dev/null || { echo "watch_bench.sh: entr missing (apt-get install entr)" >&2; exit 2; }
fi

OUT=$HERE/out
mkdir -p "$OUT"
REPORT=$OUT/watch.txt
ROOT=$(mktemp -d /tmp/jw.XXXX)     # short: the home holds Unix sockets
H=$ROOT/home
mkdir -p "$H"
ENTR_PID=
cleanup() {
    [ -n "$ENTR_PID" ] && kill "$ENTR_PID" 2>/dev/null || true
    "$JMAKE" --home "$H" stop --grace 5 >/dev/null 2>&1 || true
    for f in "$H"/run/*.pid; do
        [ -f "$f" ] || continue
        pid=$(tr -d '\n' < "$f" 2>/dev/null); [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    done
    if [ "$KEEP" = 1 ]; then echo "kept $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT
jm() { "$JMAKE" --home "$H" "$@"; }
now_ms() { date +%s%3N; }
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print("%.1f" % statistics.median(v))' "$@"; }
idle() { ! jm job list | grep -Eq 'pending|running'; }
wait_idle() { for _ in $(seq 1 6000); do idle && return 0; sleep 0.05; done; return 1; }
report() { echo "$*" | tee -a "$REPORT"; }

cat > "$H/job_queue_design.toml" <<CFG
[watcher]
debounce_ms = 50
[compilation]
cache_dir = "cache"
CFG
: > "$REPORT"
report "# watch_bench.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
report "# jmake $("$JMAKE" --version), ninja $(ninja --version), debounce_ms = 50"
jm start >/dev/null

skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
gen() { # gen DIR N
    python3 "$HERE/gen_project.py" --sources "$2" --functions 1 --flags=-O0 "$1" >/dev/null
}
# The stand-in compiler of the no-op trees (see --real-cc): compiles become a copy.
FASTCC=$ROOT/fastcc
cc -c -x c /dev/null -o "$ROOT/empty.o"
cat > "$FASTCC" <<SH
#!/bin/sh
case " \$* " in *" -c "*) ;; *) exec cc "\$@" ;; esac
out=; dep=; src=; prev=
for a in "\$@"; do
    case \$prev in -o) out=\$a ;; -MF) dep=\$a ;; esac
    case \$a in *.c) src=\$a ;; esac
    prev=\$a
done
cp "$ROOT/empty.o" "\$out"
[ -z "\$dep" ] || printf '%s: %s\\n' "\$out" "\$src" > "\$dep"
SH
chmod +x "$FASTCC"
gen_noop() { # gen_noop DIR N
    gen "$1" "$2"
    if [ "$REAL_CC" = 0 ]; then
        sed -i "s|^cc = \"cc\"|cc = \"$FASTCC\"|" "$1/jmake.toml"
        sed -i "s|^cc = cc\$|cc = $FASTCC|" "$1/build.ninja"
    fi
}

# ---- 1. nothing changed, project watched: jmake build vs ninja
if ! skipped noop; then
report ""
report "## no-op build, project watched (median of $RUNS, ms): jmake build | ninja | ratio (target <= 0.05 at 10,000)"
for n in $SIZES; do
    P=$ROOT/noop$n
    gen_noop "$P" "$n"
    jm watch add "$P" >/dev/null
    t=$(now_ms); jm build "$P" >/dev/null 2>&1; tj=$(( $(now_ms) - t ))
    t=$(now_ms); ninja -C "$P" >/dev/null; tn=$(( $(now_ms) - t ))
    wait_idle
    jm build "$P" >/dev/null 2>&1; ninja -C "$P" >/dev/null   # warm
    js=(); ns=()
    for _ in $(seq 1 "$RUNS"); do
        t=$(date +%s%N); jm build "$P" >/dev/null 2>&1; js+=($(( ($(date +%s%N) - t) / 1000 )))
        t=$(date +%s%N); ninja -C "$P" >/dev/null; ns+=($(( ($(date +%s%N) - t) / 1000 )))
    done
    mj=$(median "${js[@]}"); mn=$(median "${ns[@]}")
    report "N=$n  jmake $(python3 -c "print('%.1f' % ($mj/1000))")  ninja $(python3 -c "print('%.1f' % ($mn/1000))")  ratio $(python3 -c "print('%.3f' % ($mj/$mn))")   (full builds: jmake $tj ms, ninja $tn ms)"
    # Leave the big trees unwatched for what follows.
    jm watch remove "$P" >/dev/null
done
report "   (trees built once with $([ "$REAL_CC" = 1 ] && echo cc || echo 'the stand-in compiler'); every no-op reads the same tree on both sides)"
fi

# ---- 2. save to build start (the compilation job marked running), debounce_ms = 50
if ! skipped start; then
report ""
n=$(echo "$SIZES" | awk '{print $1}')
P=$ROOT/start$n
gen_noop "$P" "$n"
jm watch add "$P" >/dev/null
jm build "$P" >/dev/null 2>&1
wait_idle
lat=()
for i in $(seq 1 "$SAVES"); do
    before=$(jm job list | grep -c ' compilation ' || true)
    saved=$(python3 - "$P/src/s00003.c" "$i" <<'PY'
import sys, time
with open(sys.argv[1], "a") as f:
    f.write(f"int save_{sys.argv[2]}(void) {{ return {sys.argv[2]}; }}\n")
print(int(time.time() * 1000))
PY
)
    for _ in $(seq 1 400); do
        [ "$(jm job list | grep -c ' compilation ' || true)" -gt "$before" ] && break
        sleep 0.02
    done
    wait_idle
    id=$(jm job list | awk '/ compilation / {print $1}' | sort -t- -k2 -n | tail -1)
    started=$(jm job result "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["started_ms"])')
    lat+=($(( started - saved )))
done
report "## save to build start, N=$n (median of $SAVES, ms): $(median "${lat[@]}")  (target <= debounce + 10 = 60); all: ${lat[*]}"
jm watch remove "$P" >/dev/null
fi

# ---- 3. save to library ready, one source changed: jmake (watched) vs entr + ninja
if ! skipped ready; then
report ""
A=$ROOT/readyA; B=$ROOT/readyB
gen "$A" "$READY_SIZE"; cp -r "$A" "$B"
jm watch add "$A" >/dev/null
jm build "$A" >/dev/null 2>&1; ninja -C "$B" >/dev/null
wait_idle
( cd "$B" && find src include -type f | entr -n -p ninja >/dev/null 2>&1 ) &
ENTR_PID=$!
sleep 1
ready_wait() { # ready_wait LIB MTIME_BEFORE: prints the wall ms when LIB was written to the end
    # The moment its writer closes it (IN_CLOSE_WRITE) or renames it into place
    # (IN_MOVED_TO): an mtime poll would fire at the linker's first write, long
    # before the library is complete. MTIME_BEFORE guards against a write that
    # came before the watch was placed.
    python3 - "$1" "$2" <<'PY'
import ctypes, os, select, struct, sys, time
lib, before = sys.argv[1], int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
IN_CLOSE_WRITE, IN_MOVED_TO = 0x8, 0x80
libc.inotify_add_watch(fd, os.path.dirname(lib).encode(), IN_CLOSE_WRITE | IN_MOVED_TO)
name = os.path.basename(lib).encode()
def changed():
    try:
        return os.stat(lib).st_mtime_ns != before
    except FileNotFoundError:
        return False
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    buf = os.read(fd, 65536)
    done = False
    off = 0
    while off < len(buf):
        _, mask, _, ln = struct.unpack_from("iIII", buf, off)
        n = buf[off + 16: off + 16 + ln].rstrip(b"\0")
        off += 16 + ln
        done = done or n == name
    if done and changed():
        print(int(time.time() * 1000)); break
PY
}
save() { # save FILE TAG: appends a new function, prints the wall ms after the write
    python3 - "$1" "$2" <<'PY'
import sys, time
with open(sys.argv[1], "a") as f:
    f.write(f"int ready_{sys.argv[2]}(void) {{ return 7; }}\n")
print(int(time.time() * 1000))
PY
}
jt=(); et=(); jo=()
for i in $(seq 1 "$READY_RUNS"); do
    libA=$A/build/libbench.so; libB=$B/build-ninja/libbench.so
    mA=$(python3 -c "import os; print(os.stat('$libA').st_mtime_ns)")
    s=$(save "$A/src/s00007.c" "a$i"); r=$(ready_wait "$libA" "$mA"); jt+=($(( r - s )))
    wait_idle
    id=$(jm job list | awk '/ compilation / {print $1}' | sort -t- -k2 -n | tail -1)
    cmds=$(jm job result "$id" | python3 -c 'import json,sys; t=json.load(sys.stdin)["result"]["timings_ms"]; print(int(t["compile"] + t["link"]))')
    jo+=($(( r - s - cmds )))
    mB=$(python3 -c "import os; print(os.stat('$libB').st_mtime_ns)")
    s=$(save "$B/src/s00007.c" "b$i"); r=$(ready_wait "$libB" "$mB"); et+=($(( r - s )))
    sleep 0.3
done
mj=$(median "${jt[@]}"); me=$(median "${et[@]}"); mo=$(median "${jo[@]}")
report "## save to library ready, N=$READY_SIZE, one source changed (median of $READY_RUNS, ms): jmake $mj | entr+ninja $me | ratio $(python3 -c "print('%.3f' % ($mj/$me))") (target <= 0.95)"
report "   jmake's own overhead (save to ready minus its compile and link commands): $mo ms (target <= 60); jmake all: ${jt[*]}; entr all: ${et[*]}"
kill "$ENTR_PID" 2>/dev/null || true; ENTR_PID=
jm watch remove "$A" >/dev/null
fi

# ---- 4. the watcher on a big tree: resident memory, time to place every watch
if [ "$BIG_FILES" -gt 0 ] && ! skipped big; then
    report ""
    G=$ROOT/big
    dirs=$(( BIG_FILES / 20 ))
    python3 - "$G" "$dirs" <<'PY'
import os, sys
root, dirs = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/src")
for d in range(dirs):
    p = f"{root}/src/d{d:05d}"
    os.mkdir(p)
    for f in range(20):
        open(f"{p}/f{f:02d}.c", "w").close()
with open(f"{root}/jmake.toml", "w") as f:
    f.write('[project]\nname = "big"\n')
PY
    cat "$G"/src/d0000*/* >/dev/null  # a warm disk cache
    wpid=$(tr -d '\n' < "$H/run/watcher.pid")
    rss0=$(awk '/VmRSS/ {print $2}' "/proc/$wpid/status")
    t=$(now_ms)
    jm watch add "$G" >/dev/null
    for _ in $(seq 1 600); do
        jm watch list --json | python3 -c "import json,sys; sys.exit(0 if any(p['config'].endswith('/big/jmake.toml') and p['state']=='watching' and p['watches']>$dirs for p in json.load(sys.stdin)) else 1)" && break
        sleep 0.05
    done
    placed=$(( $(now_ms) - t ))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$wpid/status")
    report "## $BIG_FILES files in $dirs folders watched: every watch placed within $placed ms of watch add (target <= 3000); watcher RSS $(( rss / 1024 )) MB (target <= 64; $(( rss0 / 1024 )) MB before)"
    jm watch remove "$G" >/dev/null
fi
echo "written: $REPORT"
