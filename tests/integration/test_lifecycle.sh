# test_lifecycle.sh - start, status format, no-op second start, stop, stale PID files after kill -9, restart.
. "$(dirname "$0")/lib.sh"
write_config

out=$(jm status); rc=$?
check_eq "status exits 3 when nothing runs" 3 "$rc"
check "status says Stopped for every daemon" [ "$(echo "$out" | grep -c ': Stopped$')" -eq 6 ]

start_daemons
out=$(jm status); rc=$?
check_eq "status exits 0 when all run" 0 "$rc"
expected='^(Orchestrator|Discovery|Compilation|Build|Error Handler|Watcher) Daemon: Running \(PID [0-9]+\)$'
check "six seed-format status lines" [ "$(echo "$out" | grep -Ec "$expected")" -eq 6 ]
check_eq "status lines in the seed's order" "Orchestrator Discovery Compilation Build Error Watcher" \
    "$(echo "$out" | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
for d in orchestrator discovery compilation build error_handler watcher; do
    check "$d has its own log file" [ -s "$TEST_HOME/logs/$d.log" ]
    pid=$(pid_of "$d")
    check "$d PID file names a live process" kill -0 "$pid"
done
pids=$(for d in orchestrator discovery compilation build error_handler watcher; do echo "$(pid_of $d)"; done | sort -u | wc -l)
check_eq "six distinct processes" 6 "$pids"
check "socket is mode 0600" [ "$(stat -c %a "$TEST_HOME/run/jmake.sock")" = 600 ]
check "run folder is mode 0700" [ "$(stat -c %a "$TEST_HOME/run")" = 700 ]

orch=$(pid_of orchestrator)
out=$(jm start); rc=$?
check_eq "second start exits 0" 0 "$rc"
check "second start says already running" has "$out" 'already running'
check_eq "second start keeps the same orchestrator" "$orch" "$(pid_of orchestrator)"

out=$(jm stop); rc=$?
check_eq "stop exits 0" 0 "$rc"
out=$(jm status); rc=$?
check_eq "status exits 3 after stop" 3 "$rc"
check "no socket left after stop" [ ! -e "$TEST_HOME/run/jmake.sock" ]

# kill -9 leaves PID files and the socket behind; start must clean and take over.
start_daemons
pids=$(for d in orchestrator discovery compilation build error_handler watcher; do echo "$(pid_of $d)"; done)
kill -9 $pids
wait_for 5 all_gone $pids
check "stale socket file is left by kill -9" [ -e "$TEST_HOME/run/jmake.sock" ]
out=$(jm status); rc=$?
check_eq "status after kill -9 reports none running" 3 "$rc"
jm start >/dev/null; rc=$?
check_eq "start after kill -9 succeeds" 0 "$rc"
out=$(jm status); rc=$?
check_eq "all six run again" 0 "$rc"
check "new orchestrator PID" [ "$(pid_of orchestrator)" != "$(echo $pids | cut -d' ' -f1)" ]

old=$(pid_of orchestrator)
jm restart >/dev/null; rc=$?
check_eq "restart exits 0" 0 "$rc"
check "restart gives a new orchestrator" [ "$(pid_of orchestrator)" != "$old" ]
check "all run after restart" jm status

# One worker stopped and started by name.
jm stop watcher >/dev/null
out=$(jm status); rc=$?
check_eq "status exits 1 with one daemon stopped" 1 "$rc"
check "watcher shows Stopped" has "$out" '^Watcher Daemon: Stopped$'
# Proof that supervision ran since: a killed daemon was restarted meanwhile.
old=$(pid_of build)
kill_worker build
wait_for 10 sh -c "p=\$(cat $TEST_HOME/run/build.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
check "supervision ran meanwhile (build restarted)" [ "$(pid_of build)" != "$old" ]
check "a deliberately stopped daemon is not restarted" [ -z "$(jm status | grep 'Watcher Daemon: Running')" ]
jm start watcher >/dev/null
check "watcher starts again by name" jm status

# Configuration errors stop start-up with a located error.
jm stop >/dev/null
printf '[queue]\nmax_concurrent_jobs = "four"\n' > "$TEST_HOME/orchestrator.toml"
err=$(jm start 2>&1); rc=$?
check_eq "start with a bad configuration exits 2" 2 "$rc"
check "the error names file, line and column" has "$err" 'orchestrator.toml:2:[0-9]*: error'
check "nothing started" sh -c "! $JMAKE --home $TEST_HOME status >/dev/null"
rm "$TEST_HOME/orchestrator.toml"

# DEBUG=1 in the environment of start: every daemon logs at debug level.
DEBUG=1 jm start >/dev/null
jm job list >/dev/null
check "orchestrator logs debug lines" grep -q ' DEBUG orchestrator: client request: job_list' "$TEST_HOME/logs/orchestrator.log"
check "workers log debug lines too" wait_for 5 grep -q ' DEBUG watcher: orchestrator says: ping' "$TEST_HOME/logs/watcher.log"
jm stop >/dev/null

# A start that cannot complete fails at once with the daemon's own reason, and
# leaves nothing running: the job database cannot be opened (a folder in its place) ...
BAD=$WORK/bad
mkdir -p "$BAD/jobs.db"
jb() { "$JMAKE" --home "$BAD" "$@"; }
t0=$(date +%s%N)
err=$(jb start 2>&1 >/dev/null); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "start with an unopenable job database failed after $ms ms"
check_eq "a start whose job database cannot be opened exits 3" 3 "$rc"
check_eq "saying why, in the orchestrator's words" \
    "jmake: orchestrator: cannot open the job database $BAD/jobs.db: Is a directory" "$err"
check "at once, not after the 20 s start timeout" [ "$ms" -lt 5000 ]
check "and nothing runs" sh -c "! \"$JMAKE\" --home \"$BAD\" status >/dev/null"
rm -rf "$BAD"
# ... or a worker cannot open its log: the others stop too.
mkdir -p "$BAD/logs/compilation.log"
t0=$(date +%s%N)
err=$(jb start 2>&1 >/dev/null); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "start with a worker that cannot log failed after $ms ms"
check_eq "a start whose worker cannot start exits 3" 3 "$rc"
check_eq "with the worker's own reason" \
    "jmake: compilation: cannot open the log $BAD/logs/compilation.log: Is a directory" "$err"
check "at once" [ "$ms" -lt 5000 ]
check_eq "no daemon is left running" 6 "$(jb status | grep -c ': Stopped$')"
check "the orchestrator logged why it stopped" grep -q 'start-up failed: compilation daemon exited with status 1' \
    "$BAD/logs/orchestrator.log"
rm -rf "$BAD/logs/compilation.log"
check "with the cause gone, the same home starts" jb start
jb stop >/dev/null

finish
