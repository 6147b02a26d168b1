# test_stop.sh - graceful stop: running jobs finish within the grace period or go back to pending; other users are refused.
. "$(dirname "$0")/lib.sh"
MAX_JOBS=2 write_config
start_daemons

# A job that finishes within the grace period completes; a pending one stays queued.
make_slow_project "$WORK/short" 2
a=$(jm submit --type compilation --config "$WORK/short/jmake.toml" --id short)
wait_for 10 state_is short running
jm stop --grace 20 >/dev/null; rc=$?
check_eq "stop exits 0" 0 "$rc"
start_daemons
check_eq "the running job finished during the grace period" completed "$(job_state short)"

# A job that outlives the grace period goes back to pending and runs again after start.
make_slow_project "$WORK/long" 4
jm submit --type compilation --config "$WORK/long/jmake.toml" --id long >/dev/null
wait_for 10 state_is long running
t0=$(date +%s)
jm stop --grace 1 >/dev/null; rc=$?
t1=$(date +%s)
check_eq "stop with a short grace exits 0" 0 "$rc"
check "stop took about the grace period, not the job's length" [ $((t1 - t0)) -le 3 ]
check "no compiler left running" wait_for 2 no_process "$WORK/long/slowcc.sh"
start_daemons
state=$(job_state long)
case "$state" in pending|running) pass "the interrupted job is queued again ($state)" ;;
*) fail "the interrupted job is queued again: state $state, $(jm job status long)" ;; esac
jm job wait long --timeout 60 >/dev/null; rc=$?
check_eq "and completes after the restart" 0 "$rc"

# Another user cannot reach the socket (0600 in a 0700 folder; the daemon checks SO_PEERCRED too).
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$JMAKE" --home "$TEST_HOME" job list >/dev/null 2>&1; rc=$?
    check_eq "another uid cannot use the daemons (exit 3)" 3 "$rc"
else
    echo "note: not root, the other-uid check needs setpriv as root"
fi

finish
