#!/usr/bin/env bash
# run_queue_bench.sh - builds the queue benches (Release) and runs them in one go: submit rate vs beanstalkd, idle RSS, job_status latency.
# Usage: bench/run_queue_bench.sh   (env: JOBS=2000 CLIENTS=8 REPS=7 FILL=100000 STATUS_N=1000 CMD_N=200)
# Prints a table and writes it to bench/out/queue.txt. Figures are reported,
# never asserted: the exit status only says whether every bench ran.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
BUILD=${BUILD:-$OUT/build}
JOBS=${JOBS:-2000}
CLIENTS=${CLIENTS:-8}
REPS=${REPS:-7}
FILL=${FILL:-100000}
STATUS_N=${STATUS_N:-1000}
CMD_N=${CMD_N:-200}
mkdir -p "$OUT"

command -v beanstalkd >/dev/null || { echo "beanstalkd is not installed (apt-get install -y beanstalkd)" >&2; exit 1; }

# ---- build (Release), with the benchmark programs of bench/.
BENCH_FLAGS=(-DJMAKE_BENCH=ON -UCMAKE_PROJECT_jmake_INCLUDE)
if ! { cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${BENCH_FLAGS[@]}" &&
        ninja -C "$BUILD" jmake queue-bench queue-fill; } >"$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log" >&2
    echo "build failed (see $OUT/build.log)" >&2
    exit 1
fi
# Taken now: other commits may land while the benches run.
if REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
    git -C "$ROOT" diff --quiet HEAD -- src include || REV+=" + uncommitted changes in src/include"
else
    REV="? (not a git checkout)"
fi
JMAKE=$BUILD/jmake
QB=$BUILD/bench/queue-bench
QF=$BUILD/bench/queue-fill

# ---- temporary state, always cleaned up. Short paths: the daemon socket
# lives in HOME/run and Unix socket paths are limited to 108 bytes.
TMPROOT=$(mktemp -d /tmp/jqb.XXXXXX)
HOMES=()
BEANSTALK_PID=
cleanup() {
    for h in "${HOMES[@]+"${HOMES[@]}"}"; do
        "$JMAKE" --home "$h" stop --grace 2 >/dev/null 2>&1 || true
    done
    if [ -n "$BEANSTALK_PID" ]; then
        kill "$BEANSTALK_PID" 2>/dev/null || true
        wait "$BEANSTALK_PID" 2>/dev/null || true
    fi
    rm -rf "$TMPROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The folder the discovery jobs name: it must exist (submit checks it), and
# stays unscanned because the discovery daemon is stopped.
SCAN=$TMPROOT/scan
mkdir -p "$SCAN/src" && echo 'int x;' >"$SCAN/src/x.c"

field() { # field KEY LINE: the value of KEY=value in a bench output line
    sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2"
}

median() { # median "N N ...": the middle value (the lower middle of an even count)
    tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

paired() { # paired "A1 A2 ..." "B1 B2 ...": median of Ai / Bi
    local r=""
    read -ra a <<<"$1"
    read -ra b <<<"$2"
    for i in "${!a[@]}"; do r+="$(ratio "${a[$i]}" "${b[$i]}") "; done
    median "$r"
}

runs() { local v=${1% }; echo "${v// //}"; } # "a b c " -> "a/b/c"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

home_start() { # home_start NAME [MAX_JOBS]: a fresh home with the daemons running, in $h
    # (not echoed: a command substitution would lose the HOMES entry the trap needs)
    h=$TMPROOT/$1
    mkdir -p "$h"
    printf '[queue]\nmax_concurrent_jobs = %s\njob_timeout_seconds = 3600\n' "${2:-4}" >"$h/job_queue_design.toml"
    HOMES+=("$h")
    "$JMAKE" --home "$h" start >/dev/null
}

home_stop() { "$JMAKE" --home "$1" stop --grace 2 >/dev/null; }

# The "dispatch busy" variant: max_concurrent_jobs = 1 and one compilation
# whose compiler sleeps, so every daemon is up but no submitted job can start.
# Stopping the discovery daemon (the main variant) makes each scheduling pass
# walk the pending jobs to skip them; a full dispatch returns before that walk.
SLOW=$TMPROOT/slow
mkdir -p "$SLOW/src"
echo 'int slow(void) { return 1; }' >"$SLOW/src/slow.c"
cat >"$SLOW/cc.sh" <<'SH'
#!/bin/sh
# Answers the version probes at once, then holds the one job slot.
case "$1" in --version|-v|-dumpversion|-dumpmachine) echo "benchcc 1.0"; exit 0;; esac
exec sleep 3600
SH
chmod +x "$SLOW/cc.sh"
printf '[project]\nname = "slow"\n[compile]\ncc = "%s"\n[cache]\nenabled = false\n' "$SLOW/cc.sh" >"$SLOW/jmake.toml"

occupy_dispatch() { # occupy_dispatch HOME: waits until the slow compilation runs
    local id state
    id=$("$JMAKE" --home "$1" submit --type compilation --config "$SLOW/jmake.toml")
    for _ in $(seq 1 100); do
        state=$("$JMAKE" --home "$1" job status "$id" | cut -d: -f1)
        [ "$state" = running ] && return 0
        sleep 0.1
    done
    echo "the blocking compilation did not start (state $state)" >&2
    return 1
}

beanstalk_start() { # sets BEANSTALK_PORT and BEANSTALK_PID; binlog fsynced on every write (-f 0)
    local binlog=$1
    mkdir -p "$binlog"
    for _ in $(seq 1 20); do
        BEANSTALK_PORT=$((20000 + RANDOM % 40000))
        beanstalkd -l 127.0.0.1 -p "$BEANSTALK_PORT" -b "$binlog" -f 0 2>>"$OUT/beanstalkd.log" &
        BEANSTALK_PID=$!
        for _ in $(seq 1 50); do
            kill -0 "$BEANSTALK_PID" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$BEANSTALK_PORT") 2>/dev/null; then return 0; fi
            sleep 0.05
        done
        kill "$BEANSTALK_PID" 2>/dev/null || true
        wait "$BEANSTALK_PID" 2>/dev/null || true
        BEANSTALK_PID=
    done
    echo "beanstalkd did not start" >&2
    return 1
}

beanstalk_stop() {
    kill "$BEANSTALK_PID"
    wait "$BEANSTALK_PID" 2>/dev/null || true
    BEANSTALK_PID=
}

rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# ---- 1. durable submit rate: fresh state on both sides for every run. The
# three variants run back to back, in reverse order every other round, so
# that the disk's ups and downs (fsync time varies a lot on shared machines)
# hit all of them alike; the paired ratios compare runs of one round.
declare -A RATES LAT_FIRST LAT_LAST
RAW=$OUT/queue_raw.txt
: >"$RAW"

record() { # record VARIANT CLIENTS LINE
    echo "$1 $3" >>"$RAW"
    RATES[$1,$2]+="$(field rate "$3") "
    LAT_FIRST[$1,$2]+="$(field client0_first_tenth_ms "$3") "
    LAT_LAST[$1,$2]+="$(field client0_last_tenth_ms "$3") "
}

submit_run() { # submit_run VARIANT CLIENTS RUN
    local line
    case $1 in
    jmake) # A: discovery daemon stopped, so that jobs stay pending and the bench measures the queue, not the scan
        home_start "a$3"
        "$JMAKE" --home "$h" stop discovery >/dev/null
        line=$("$QB" jmake-submit "$h" "$JOBS" "$2" "$SCAN")
        home_stop "$h"
        PAYLOAD_BYTES=$(field payload_bytes "$line") ;;
    busy) # B: every daemon up, dispatch full
        home_start "b$3" 1
        occupy_dispatch "$h"
        line=$("$QB" jmake-submit "$h" "$JOBS" "$2" "$SCAN")
        home_stop "$h" ;;
    beanstalkd)
        beanstalk_start "$TMPROOT/binlog$3"
        line=$("$QB" beanstalk-submit "$BEANSTALK_PORT" "$JOBS" "$2" "$SCAN")
        beanstalk_stop ;;
    esac
    record "$1" "$2" "$line"
}

run=0
for rep in $(seq 1 "$REPS"); do
    order="jmake busy beanstalkd"
    [ $((rep % 2)) -eq 0 ] && order="beanstalkd busy jmake"
    for c in 1 "$CLIENTS"; do
        run=$((run + 1))
        for variant in $order; do submit_run "$variant" "$c" "$run"; done
    done
done

# ---- 2. idle orchestrator with FILL finished jobs, then job_status latency.
home_start empty
sleep 2
RSS_EMPTY=$(rss_kb "$(cat "$h/run/orchestrator.pid")" VmRSS)
home_stop "$h"

h=$TMPROOT/m
FILL_START=$(date +%s.%N)
"$QF" "$h" "$FILL" "$SCAN" >>"$RAW"
FILL_SECS=$(awk -v a="$FILL_START" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
DB_MB=$(awk -v s="$(stat -c %s "$h/jobs.db")" 'BEGIN {printf "%.1f", s / 1048576}')
home_start m
ORCH=$(cat "$h/run/orchestrator.pid")
sleep 2
RSS_FULL=$(rss_kb "$ORCH" VmRSS)
HWM_FULL=$(rss_kb "$ORCH" VmHWM)
PROBE=job-$((FILL / 2))
status_line=$("$QB" status "$h" "$PROBE" "$STATUS_N")
echo "$status_line" >>"$RAW"
cmd_line=$("$QB" command "$JMAKE" "$h" "$PROBE" "$CMD_N")
echo "$cmd_line" >>"$RAW"
RSS_AFTER=$(rss_kb "$ORCH" VmRSS)
home_stop "$h"

# ---- report
mb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k / 1024}'; }
{
    echo "jmake queue benchmarks - $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "built from $REV," \
         "$(nproc) CPUs, $(uname -r), /tmp on $(df -T /tmp | awk 'NR == 2 {print $2}'), $(beanstalkd -v 2>&1)"
    echo "submit: $JOBS jobs per run, payload $PAYLOAD_BYTES bytes of job JSON on both sides; median of $REPS runs"
    echo "  jmake A: libjmake jmake_submit_job, discovery daemon stopped (jobs stay pending)"
    echo "  jmake B: same, all daemons up but dispatch full (max_concurrent_jobs = 1, one sleeping compile)"
    echo "  both: SQLite WAL, synchronous=FULL, one fsync per commit (submits of one loop iteration share it)"
    echo "  beanstalkd: put/INSERTED over loopback TCP, -b binlog -f 0 (fsync every write)"
    echo "  A/bs, B/bs: median over the rounds of jmake rate / beanstalkd rate in that round (paired runs)"
    echo
    printf '%-26s %10s %10s %10s %8s %8s %s\n' "submit rate (jobs/s)" "jmake A" "jmake B" beanstalkd "A/bs" "B/bs" "target A/bs >= 1.0"
    for c in 1 "$CLIENTS"; do
        ar=$(median "${RATES[jmake,$c]}")
        brr=$(median "${RATES[busy,$c]}")
        bs=$(median "${RATES[beanstalkd,$c]}")
        pa=$(paired "${RATES[jmake,$c]}" "${RATES[beanstalkd,$c]}")
        printf '%-26s %10.1f %10.1f %10.1f %8s %8s %s\n' "$c client(s), 1 conn each" "$ar" "$brr" "$bs" "$pa" \
            "$(paired "${RATES[busy,$c]}" "${RATES[beanstalkd,$c]}")" \
            "$(awk -v r="$pa" 'BEGIN {print (r >= 1.0 ? "met" : "NOT met")}')"
        echo "    ratio of the medians: A/bs $(ratio "$ar" "$bs"), B/bs $(ratio "$brr" "$bs")"
        echo "    runs: A $(runs "${RATES[jmake,$c]}"); B $(runs "${RATES[busy,$c]}"); beanstalkd $(runs "${RATES[beanstalkd,$c]}")"
        echo "    client 0 ms/submit, first tenth -> last tenth: A $(median "${LAT_FIRST[jmake,$c]}") -> $(median "${LAT_LAST[jmake,$c]}");" \
             "B $(median "${LAT_FIRST[busy,$c]}") -> $(median "${LAT_LAST[busy,$c]}");" \
             "beanstalkd $(median "${LAT_FIRST[beanstalkd,$c]}") -> $(median "${LAT_LAST[beanstalkd,$c]}")"
    done
    echo
    echo "idle orchestrator, $FILL finished jobs (jobs.db $DB_MB MB, filled in ${FILL_SECS}s)"
    printf '%-34s %14s %s\n' "orchestrator VmRSS, 2 s idle" "$(mb "$RSS_FULL")" \
        "target <= 16 MB $(awk -v k="$RSS_FULL" 'BEGIN {print (k <= 16384 ? "met" : "NOT met")}')"
    printf '%-34s %14s\n' "VmHWM (peak) at that point" "$(mb "$HWM_FULL")"
    printf '%-34s %14s\n' "VmRSS after the status requests" "$(mb "$RSS_AFTER")"
    printf '%-34s %14s\n' "VmRSS idle, empty queue (baseline)" "$(mb "$RSS_EMPTY")"
    sm=$(field median_ms "$status_line")
    printf '%-34s %11s ms %s\n' "job_status median ($STATUS_N, 1 conn)" "$sm" \
        "target <= 2 ms $(awk -v m="$sm" 'BEGIN {print (m <= 2 ? "met" : "NOT met")}')"
    printf '%-34s %11s ms\n' "job_status p99" "$(field p99_ms "$status_line")"
    printf '%-34s %11s ms  (information)\n' "'jmake job status ID' median ($CMD_N)" "$(field median_ms "$cmd_line")"
    echo
    echo "raw bench lines: $RAW"
} | tee "$OUT/queue.txt"
