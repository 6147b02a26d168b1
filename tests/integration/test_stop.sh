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

# Another user is refused by the daemon's SO_PEERCRED check itself: the home's
# folders and the socket are opened to everyone here, so that file permissions
# (0600 socket in a 0700 folder, the first line of defence) are not what refuses.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 0755 "$TEST_HOME" "$TEST_HOME/run"
    chmod 0666 "$TEST_HOME/run/jmake.sock"
    # The folders and socket are open now; only the uid check stands in the way.
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$JMAKE" --home "$TEST_HOME" job list 2>&1); rc=$?
    check_eq "another uid cannot use the daemons (exit 3)" 3 "$rc"
    check "the orchestrator refused it by its uid" \
        wait_for 5 grep -q 'refused a connection from uid 65534' "$TEST_HOME/logs/orchestrator.log"
    chmod 0700 "$TEST_HOME/run"
    chmod 0600 "$TEST_HOME/run/jmake.sock"
    # status by another user: not six "Stopped", but whose daemons they are.
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$JMAKE" --home "$TEST_HOME" status 2>&1); rc=$?
    check_eq "status by another user exits 3" 3 "$rc"
    check "and says the daemons belong to another user" has "$out" 'belong to another user \(uid 0\)'
    chmod 0700 "$TEST_HOME"
elif [ "${CI:-}" = true ]; then
    fail "the other-uid check needs root and setpriv, which CI has"
else
    echo "note: not root, the other-uid check needs setpriv as root"
fi

finish
