# test_supervision.sh - every worker killed (or hung) is restarted by the orchestrator; its job runs again.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons

for d in discovery compilation build error_handler watcher; do
    old=$(pid_of "$d")
    kill_worker "$d"
    if wait_for 10 sh -c "p=\$(cat $TEST_HOME/run/$d.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ] && $JMAKE --home $TEST_HOME status >/dev/null"; then
        pass "$d restarted after kill -9"
    else
        fail "$d restarted after kill -9"
    fi
done

# A hung daemon (stopped, so it cannot answer health checks) is killed and replaced.
old=$(pid_of watcher)
kill -STOP "$old"
expect_worker_deaths 1   # the orchestrator kills it
if wait_for 10 sh -c "p=\$(cat $TEST_HOME/run/watcher.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"; then
    pass "hung watcher replaced"
else
    fail "hung watcher replaced"
fi
check "the hung process is gone" wait_for 5 sh -c "! kill -0 $old"

# A job running on a daemon that dies goes back to the queue and runs again (an attempt counted),
# and whatever the dead daemon started (the compiler and its children) is killed at once.
make_slow_project "$WORK/slow" 30
id=$(jm submit --type compilation --config "$WORK/slow/jmake.toml")
wait_for 10 state_is "$id" running
check_eq "job is running" running "$(job_state "$id")"
check "its compiler runs in the project" wait_for 10 some_procs_in "$WORK/slow"
compilers=$(procs_in "$WORK/slow")
check "the compiler has children (the script and its sleep)" [ "$(echo "$compilers" | wc -w)" -ge 2 ]
kill_worker compilation
check "every process of the dead daemon's compile is killed within 2 s" wait_for 2 all_gone $compilers
sed -i 's/^sleep 30$/sleep 0/' "$WORK/slow/slowcc.sh"   # the retry runs at once
jm job wait "$id" --timeout 60 >/dev/null; rc=$?
check_eq "job completes after its daemon was killed" 0 "$rc"
check_eq "two attempts recorded" 2 "$(job_field "$id" attempts)"
check "no orphan process left in the project" wait_for 2 no_procs_in "$WORK/slow"

finish
