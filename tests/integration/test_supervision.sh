# test_supervision.sh - every worker killed (or hung) is restarted by the orchestrator; its job runs again.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons

for d in discovery compilation build error_handler watcher; do
    old=$(pid_of "$d")
    kill -9 "$old"
    if wait_for 10 sh -c "p=\$(cat $TEST_HOME/run/$d.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ] && $JMAKE --home $TEST_HOME status >/dev/null"; then
        pass "$d restarted after kill -9"
    else
        fail "$d restarted after kill -9"
    fi
done

# A hung daemon (stopped, so it cannot answer health checks) is killed and replaced.
old=$(pid_of watcher)
kill -STOP "$old"
if wait_for 10 sh -c "p=\$(cat $TEST_HOME/run/watcher.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"; then
    pass "hung watcher replaced"
else
    fail "hung watcher replaced"
fi
check "the hung process is gone" wait_for 5 sh -c "! kill -0 $old"

# A job running on a daemon that dies goes back to the queue and runs again (an attempt counted).
make_slow_project "$WORK/slow" 2
id=$(jm submit --type compilation --config "$WORK/slow/jmake.toml")
wait_for 10 state_is "$id" running
check_eq "job is running" running "$(job_state "$id")"
kill -9 "$(pid_of compilation)"
jm job wait "$id" --timeout 60 >/dev/null; rc=$?
check_eq "job completes after its daemon was killed" 0 "$rc"
check_eq "two attempts recorded" 2 "$(job_field "$id" attempts)"
check "no orphan compiler left" no_process "$WORK/slow/slowcc.sh"

finish
