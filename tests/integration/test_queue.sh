# test_queue.sh - priority then FIFO order, depends_on, the concurrency limit, cancelling pending and running jobs.
. "$(dirname "$0")/lib.sh"
MAX_JOBS=1 write_config
start_daemons
mkdir -p "$WORK/scan/src" && echo 'int x;' > "$WORK/scan/src/x.c"

# Priority 0 first, equal priorities in submission order.
jm stop discovery >/dev/null
a=$(jm submit --type discovery --path "$WORK/scan" --priority 5 --id a)
b=$(jm submit --type discovery --path "$WORK/scan" --priority 1 --id b)
c=$(jm submit --type discovery --path "$WORK/scan" --priority 5 --id c)
d=$(jm submit --type discovery --path "$WORK/scan" --priority 0 --id d)
e=$(jm submit --type discovery --path "$WORK/scan" --priority 1 --id e)
check_eq "ids as given" "a b c d e" "$a $b $c $d $e"
check_eq "jobs wait while their daemon is stopped" pending "$(job_state a)"
jm start discovery >/dev/null
jm job wait a b c d e --timeout 30 >/dev/null; rc=$?
check_eq "all five complete" 0 "$rc"
# Jobs this small start within the same millisecond; the orchestrator's log keeps their order.
order=$(grep -oE 'job [a-e] \(discovery\) started' "$TEST_HOME/logs/orchestrator.log" | awk '{print $2}' | tr '\n' ' ')
check_eq "started by priority, then submission order" "d b e a c " "$order"
check "discovery result lists the source" sh -c "$JMAKE --home $TEST_HOME job result a | grep -q 'src/x.c'"

# depends_on: the dependent waits for its dependency to complete.
make_slow_project "$WORK/slow" 2
x=$(jm submit --type compilation --config "$WORK/slow/jmake.toml" --id x)
y=$(jm submit --type discovery --path "$WORK/scan" --after x --id y)
wait_for 10 state_is x running
check_eq "the dependency runs" running "$(job_state x)"
check_eq "dependent is pending while its dependency runs" pending "$(job_state y)"
jm job wait y --timeout 60 >/dev/null
check_eq "dependent completes after its dependency" completed "$(job_state y)"
check "dependent started after the dependency finished" \
    [ "$(job_field y started_ms)" -ge "$(job_field x finished_ms)" ]

# A failed dependency fails its dependent with that reason.
mkdir -p "$WORK/broken/src"
echo 'int broken( {' > "$WORK/broken/src/broken.c"
printf '[project]\nname = "broken"\n' > "$WORK/broken/jmake.toml"
f=$(jm submit --type compilation --config "$WORK/broken/jmake.toml" --id f)
g=$(jm submit --type discovery --path "$WORK/scan" --after f --id g)
jm job wait f g --timeout 60 >/dev/null; rc=$?
check_eq "job wait exits 1 when a job failed" 1 "$rc"
check_eq "the dependency failed" failed "$(job_state f)"
check_eq "its dependent failed" failed "$(job_state g)"
check "the reason names the dependency" has "$(job_field g reason)" 'dependency f'

# Cancel: a pending job at once, a running one within a second, processes and all.
make_slow_project "$WORK/long" 30
r=$(jm submit --type compilation --config "$WORK/long/jmake.toml" --id r)
p=$(jm submit --type discovery --path "$WORK/scan" --id p)
wait_for 10 state_is r running
check_eq "second job pending behind the running one (max_concurrent_jobs = 1)" pending "$(job_state p)"
jm job cancel p >/dev/null
check_eq "pending job cancelled at once" cancelled "$(job_state p)"
check "the slow compiler is running" pgrep -f "$WORK/long/slowcc.sh"
t0=$(date +%s%N)
jm job cancel r >/dev/null
wait_for 3 state_is r cancelled
t1=$(date +%s%N)
check_eq "running job cancelled" cancelled "$(job_state r)"
check "cancelled within 1.5 s" [ $(( (t1 - t0) / 1000000 )) -le 1500 ]
check "its compiler process group is gone" wait_for 2 no_process "$WORK/long/slowcc.sh"
jm job wait r >/dev/null; rc=$?
check_eq "job wait exits 1 for a cancelled job" 1 "$rc"

# job list and clean.
n=$(jm job list | tail -n +2 | wc -l)
# 11 submitted, and f.analysis, queued by the orchestrator when f failed (SPEC 7).
check_eq "job list shows every job" 12 "$n"
check_eq "the failed compilation was followed by its analysis" error_analysis "$(job_field f.analysis type)"
check_eq "job list pages, newest first" "p r" "$(jm job list --limit 2 2>/dev/null | tail -n +2 | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
check "and says how to see the next page" has "$(jm job list --limit 2 2>&1 >/dev/null)" 'jmake job list --after r'
check_eq "the next page starts after the last shown" r "$(jm job list --limit 1 --after p 2>/dev/null | tail -n +2 | awk '{print $1}')"
check_eq "a page's jobs come without their results" "" "$(jm --json job list --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("result") or "")')"
check_eq "job list --state filters" 2 "$(jm job list --state cancelled | tail -n +2 | wc -l)"
jm job clean --older-than 1h >/dev/null
check_eq "clean --older-than keeps recent jobs" 12 "$(jm job list | tail -n +2 | wc -l)"
check "a finished job has an output log" [ -f "$TEST_HOME/jobs/a.log" ]
jm job clean >/dev/null
check_eq "clean forgets finished jobs" 0 "$(jm job list | tail -n +2 | wc -l)"
check "and their output logs" [ -z "$(ls "$TEST_HOME/jobs")" ]
jm job status a >/dev/null 2>&1; rc=$?
check_eq "a forgotten job is unknown (exit 2)" 2 "$rc"

# A job log the worker cannot write (here a folder in its place; a full disk is
# tests/reliability/test_fulldisk.sh): the job still ends, its result says the
# log is incomplete and why, and the daemon's log says it once.
mkdir -p "$TEST_HOME/jobs/nolog.log"
jm submit --type discovery --path "$WORK/scan" --id nolog >/dev/null
jm job wait nolog --timeout 30 >/dev/null; rc=$?
check_eq "a job whose log cannot be written still completes" 0 "$rc"
check "its result says the job log is incomplete, and why" \
    has "$(jm job result nolog)" 'job log .*nolog\.log incomplete: Is a directory'
check_eq "the discovery daemon's log says it once" 1 "$(grep -c 'job nolog: job log .* incomplete' "$TEST_HOME/logs/discovery.log")"

finish
