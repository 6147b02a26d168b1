# lib.sh - shared helpers for the integration tests: a fresh daemon home per test, always stopped at the end.
set -u

JMAKE=${JMAKE:?JMAKE must point at the jmake executable}
SRC=${JMAKE_SOURCE_DIR:?JMAKE_SOURCE_DIR must point at the repository}
TEST_NAME=$(basename "$0" .sh)
# Unix socket paths are limited to 108 bytes: keep the home short.
TEST_HOME=$(mktemp -d /tmp/jmk.XXXXXX)
WORK=$TEST_HOME/work
mkdir -p "$WORK"
FAILURES=0
CHECKS=0

cleanup() {
    # Failing fast (a mutant): the daemons may be what broke, so no request to them.
    [ -n "${JMAKE_FAIL_FAST:-}" ] && [ "$FAILURES" -ne 0 ] ||
        "$JMAKE" --home "$TEST_HOME" stop --grace 2 >/dev/null 2>&1 || true
    # Anything still alive (a test that SIGSTOPped a daemon) goes too.
    for f in "$TEST_HOME"/run/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null)
        [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    done
    if [ "$FAILURES" -ne 0 ]; then
        echo "--- logs of $TEST_NAME ---"
        tail -n 40 "$TEST_HOME"/logs/*.log "$TEST_HOME"/logs/daemons.err 2>/dev/null
    fi
    rm -rf "$TEST_HOME"
}
trap cleanup EXIT

jm() { "$JMAKE" --home "$TEST_HOME" "$@"; }

pass() { CHECKS=$((CHECKS + 1)); echo "ok: $*"; }
# JMAKE_FAIL_FAST=1 (the mutation check) ends the test at its first failure:
# a caught mutant needs one, and the rest would wait out its timeouts.
fail() {
    CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); echo "FAIL: $*"
    if [ -n "${JMAKE_FAIL_FAST:-}" ]; then exit 1; fi
}

check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

check_eq() { # check_eq DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# Daemon configuration for tests: fast health checks and retries.
write_config() { # write_config [EXTRA TOML LINES]
    cat > "$TEST_HOME/job_queue_design.toml" <<CFG
[queue]
max_concurrent_jobs = ${MAX_JOBS:-4}
job_timeout_seconds = 300

[error_handling]
max_retries = ${MAX_RETRIES:-3}
retry_delay_seconds = ${RETRY_DELAY:-0}

[orchestrator]
health_check_interval = 1
restart_failed_daemons = true

[compilation]
cache_dir = "cache"
${1:-}
CFG
}

start_daemons() {
    jm start >/dev/null || { fail "jmake start"; exit 1; }
}

pid_of() { cat "$TEST_HOME/run/$1.pid" 2>/dev/null | tr -d '\n'; }

wait_for() { # wait_for SECONDS COMMAND...: polls every 0.1 s
    local limit=$(( $1 * 10 )); shift
    local i=0
    while [ $i -lt $limit ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# PIDs of the processes working in DIR (their working folder is DIR or below
# it): a project's compilers and everything they started (sleep, cc1, as),
# since the engine runs every compiler in the project root.
procs_in() { # procs_in DIR
    local dir p cwd
    dir=$(cd "$1" && pwd -P) || return 0
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
        case "$cwd" in "$dir" | "$dir"/*) echo "${p#/proc/}" ;; esac
    done
}
no_procs_in() { [ -z "$(procs_in "$1")" ]; }
some_procs_in() { [ -n "$(procs_in "$1")" ]; }
# True when none of the PIDs given is alive (zombies count as gone).
all_gone() { # all_gone PID...
    local p
    for p in "$@"; do
        [ -e "/proc/$p" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ] && return 1
    done
    return 0
}

# has TEXT ERE: TEXT (compiler output, a reply) matches the extended regular
# expression. Never paste output into a shell command line: gcc's quotes
# (ASCII under LANG=C, UTF-8 otherwise) would break it.
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
lacks() { ! has "$1" "$2"; }

# Every worker exit that the orchestrator saw and the test did not cause is a
# failure: a crash by signal (SIGSEGV never reaches daemons.err, since daemons
# run without a shell) or a non-zero status (a sanitizer report exits 1).
EXPECTED_WORKER_DEATHS=0
kill_worker() { # kill_worker NAME [SIGNAL]: a deliberate death, not counted as a crash
    EXPECTED_WORKER_DEATHS=$((EXPECTED_WORKER_DEATHS + 1))
    kill "-${2:-9}" "$(pid_of "$1")"
}
expect_worker_deaths() { EXPECTED_WORKER_DEATHS=$((EXPECTED_WORKER_DEATHS + $1)); }

# True when no process has PATTERN in its command line (pgrep leaves itself out;
# a "sh -c 'pgrep ...'" wrapper would match its own command line).
no_process() { ! pgrep -f "$1" >/dev/null; }

job_field() { # job_field ID FIELD: one top-level field of the job record
    jm --json job status "$1" | python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$2"
}

job_state() { jm job status "$1" | cut -d: -f1; }

state_is() { [ "$(job_state "$1")" = "$2" ]; }

# A project whose "compiler" sleeps: jobs that run as long as a test needs.
# SLEEP_TAG makes its processes findable with pgrep.
make_slow_project() { # make_slow_project DIR SECONDS
    local dir=$1 secs=$2
    mkdir -p "$dir/src"
    echo 'int slow(void) { return 1; }' > "$dir/src/slow.c"
    cat > "$dir/slowcc.sh" <<SH
#!/bin/sh
case "\$1" in --version|-v|-dumpversion|-dumpmachine) echo "slowcc 1.0"; exit 0;; esac
sleep $secs
exec cc "\$@"
SH
    chmod +x "$dir/slowcc.sh"
    cat > "$dir/jmake.toml" <<TOML
[project]
name = "slow"
[compile]
cc = "$dir/slowcc.sh"
[cache]
enabled = false
TOML
}

finish() {
    # Daemons report sanitizer findings (and crashes) on their stderr, which is
    # logs/daemons.err; they print leaks only when they exit, so stop them first.
    jm stop --grace 5 >/dev/null 2>&1
    if [ -f "$TEST_HOME/logs/daemons.err" ] &&
        grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:|Segmentation fault' "$TEST_HOME/logs/daemons.err"; then
        fail "daemons ran without sanitizer reports or crashes"
        grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TEST_HOME/logs/daemons.err" | head -60
    else
        pass "daemons ran without sanitizer reports or crashes"
    fi
    local deaths
    deaths=$(cat "$TEST_HOME"/logs/orchestrator.log* 2>/dev/null |
        grep -cE 'orchestrator: [a-z_]+ daemon (killed by signal [0-9]+|exited with status [1-9][0-9]*)$')
    if [ "$deaths" -le "$EXPECTED_WORKER_DEATHS" ]; then
        pass "no worker died unexpectedly ($deaths deaths, $EXPECTED_WORKER_DEATHS caused by the test)"
    else
        fail "no worker died unexpectedly: $deaths deaths, $EXPECTED_WORKER_DEATHS caused by the test"
        grep -hE 'daemon (killed by signal|exited with status)' "$TEST_HOME"/logs/orchestrator.log*
    fi
    echo "$TEST_NAME: $((CHECKS - FAILURES)) passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}
