#!/usr/bin/env bash
# distcc_bench.sh - full builds of a generated project through distcc on loopback (a distccd on 127.0.0.1) against local builds, and the time distcc adds to one compile; writes bench/out/distcc.txt.
#
# Usage: bench/distcc_bench.sh [--sources 2000] [--runs 2] [--jobs 2] [--keep]
#   --sources  size of the generated project (bench/gen_project.py)
#   --runs     full builds per side (alternating local, distcc); the table shows medians
#   --jobs     max_parallel_builds on both sides, and distccd's --jobs
#   --keep     keep the project and homes under /tmp
# Environment: JMAKE (default build-bbench/jmake next to this folder), CC (default cc).
#
# Both sides build with the cache off from an empty build folder, so every
# source is compiled. The distcc side lists "localhost/0": every compile goes
# through distcc to the loopback distccd (which runs the same compiler on the
# same machine), so the difference is distcc's own cost: local preprocessing,
# sending the preprocessed source, the server's temporary files, the object
# coming back. On loopback that is pure overhead; distcc pays off only when the
# hosts add CPUs (docs/DISTRIBUTED.md).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
JMAKE=${JMAKE:-$REPO/build-bbench/jmake}
CC=${CC:-cc}
N=2000
RUNS=2
JOBS=2
KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
    --sources) N=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "distcc_bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -x "$JMAKE" ] || { echo "distcc_bench.sh: $JMAKE not built" >&2; exit 2; }
for tool in distcc distccd python3 "$CC"; do
    command -v "$tool" >/dev/null || { echo "distcc_bench.sh: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done

OUT=$HERE/out
mkdir -p "$OUT"
ROOT=$(mktemp -d /tmp/jdb.XXXX)   # short: the homes hold Unix sockets
chmod 755 "$ROOT"
P=$ROOT/p
DLOG=$ROOT/distccd.log
DPID=$ROOT/distccd.pid
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
    for h in "$ROOT/local" "$ROOT/distcc"; do
        "$JMAKE" --home "$h" stop --grace 5 >/dev/null 2>&1 || true
    done
    local pid
    pid=$(tr -d '\n' < "$DPID" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 -- "-$pid" 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then echo "kept $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT

# distccd as an ordinary user, or as root dropping to nobody (who must be able
# to write the log and pid file).
: > "$DLOG"; : > "$DPID"; chmod 666 "$DLOG" "$DPID"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(--user nobody)
distccd --daemon --listen 127.0.0.1 --port "$PORT" --allow 127.0.0.1 --jobs "$JOBS" \
    --log-file "$DLOG" --pid-file "$DPID" "${as_user[@]}"
for _ in $(seq 50); do [ -s "$DPID" ] && break; sleep 0.1; done

python3 "$HERE/gen_project.py" "$P" --sources "$N" --cc "$CC" >/dev/null
for side in local distcc; do
    mkdir -p "$ROOT/$side"
    {
        printf '[queue]\nmax_concurrent_jobs = 1\njob_timeout_seconds = 86400\n\n'
        printf '[compilation]\nmax_parallel_builds = %s\nbuild_timeout = 86400\ncache_enabled = false\n' "$JOBS"
        if [ "$side" = distcc ]; then
            printf '\n[distributed]\nengine = "distcc"\nhosts = ["127.0.0.1:%s/%s", "localhost/0"]\n' "$PORT" "$JOBS"
        fi
    } > "$ROOT/$side/job_queue_design.toml"
    "$JMAKE" --home "$ROOT/$side" start >/dev/null
done

now_ms() { date +%s%3N; }
echo "# $(date -u +%FT%TZ) $N sources, jobs $JOBS, load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/distcc_runs.txt"
declare -A WALL
for run in $(seq "$RUNS"); do
    for side in local distcc; do
        rm -rf "$P/build"
        t0=$(now_ms)
        "$JMAKE" --home "$ROOT/$side" build "$P" --json > "$ROOT/$side.json"
        t1=$(now_ms)
        WALL[$side]="${WALL[$side]:-} $((t1 - t0))"
        echo "$side run $run: $((t1 - t0)) ms" >> "$OUT/distcc_runs.txt"   # kept should a later step fail
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); d=r.get("distributed",{}); print(sys.argv[2], "run", sys.argv[3], "compiled", r["files"]["compiled"], "remote", d.get("remote","-"), "fallback", d.get("fallback","-"))' \
            "$ROOT/$side.json" "$side" "$run" >&2
    done
done

# One compile at a time, straight and through distcc: the latency distcc adds.
SRC1=$(cd "$P" && find src -name '*.c' -print -quit)   # not ls | head: SIGPIPE under pipefail
single() { # single distcc|direct REPEATS: mean ms of one compile
    local how=$1 reps=$2 t0 t1
    t0=$(now_ms)
    for _ in $(seq "$reps"); do
        if [ "$how" = distcc ]; then
            (cd "$P" && DISTCC_HOSTS="127.0.0.1:$PORT" DISTCC_FALLBACK=0 DISTCC_DIR="$ROOT/dccdir" \
                distcc "$(command -v "$CC")" -O2 -fPIC -Iinclude -c "$SRC1" -o "$ROOT/one.o")
        else
            (cd "$P" && "$CC" -O2 -fPIC -Iinclude -c "$SRC1" -o "$ROOT/one.o")
        fi
    done
    t1=$(now_ms)
    echo $(( (t1 - t0) / reps ))
}
mkdir -p "$ROOT/dccdir"
single direct 3 >/dev/null; single distcc 3 >/dev/null   # warm the page cache
direct_ms=$(single direct 20)
distcc_ms=$(single distcc 20)

python3 - "$N" "$JOBS" "$direct_ms" "$distcc_ms" "${WALL[local]}" "${WALL[distcc]}" > "$OUT/distcc.txt" <<'PY'
import statistics, sys
n, jobs, direct, dist = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
local = [int(x) for x in sys.argv[5].split()]
remote = [int(x) for x in sys.argv[6].split()]
ml, md = statistics.median(local), statistics.median(remote)
print(f"distcc on loopback against local, {n} generated sources, max_parallel_builds = {jobs}, cache off")
print(f"full build, local:  {ml/1000:.1f} s (runs: {', '.join(f'{x/1000:.1f}' for x in local)})")
print(f"full build, distcc: {md/1000:.1f} s (runs: {', '.join(f'{x/1000:.1f}' for x in remote)})")
print(f"ratio distcc/local: {md/ml:.2f}")
print(f"time added per compile in the full build: {(md-ml)*jobs/n:.1f} ms of a slot ({(md-ml)/n:.1f} ms of wall time)")
print(f"one compile alone: {direct} ms straight, {dist} ms through distcc (+{dist-direct} ms)")
PY
cat "$OUT/distcc.txt"
