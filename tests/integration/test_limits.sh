# test_limits.sh - max_concurrent_jobs bounds running jobs; a job over its timeout is killed and retried.
. "$(dirname "$0")/lib.sh"
MAX_JOBS=2 MAX_RETRIES=1 write_config
start_daemons

for i in 1 2 3 4; do make_slow_project "$WORK/p$i" 2; done
ids=$(for i in 1 2 3 4; do jm submit --type compilation --config "$WORK/p$i/jmake.toml"; done)
max=0
for _ in $(seq 1 60); do
    n=$(jm job list --state running | tail -n +2 | wc -l)
    [ "$n" -gt "$max" ] && max=$n
    [ "$(jm job list --state completed | tail -n +2 | wc -l)" -eq 4 ] && break
    sleep 0.1
done
check_eq "at most max_concurrent_jobs = 2 ran at once, and 2 did" 2 "$max"
jm job wait $ids --timeout 60 >/dev/null; rc=$?
check_eq "all four completed" 0 "$rc"

# Timeout: killed (with its processes), retried once (max_retries = 1), then failed.
make_slow_project "$WORK/hang" 30
t=$(jm submit --type compilation --config "$WORK/hang/jmake.toml" --timeout 1)
jm job wait "$t" --timeout 30 >/dev/null; rc=$?
check_eq "timed-out job fails (exit 1)" 1 "$rc"
check_eq "two attempts: the first and one retry" 2 "$(job_field "$t" attempts)"
check "the reason says it timed out" has "$(job_field "$t" reason)" 'timed out'
check "no compiler left running" wait_for 2 no_process "$WORK/hang/slowcc.sh"

# Job wait with a timeout on a running job exits 4.
make_slow_project "$WORK/w" 5
w=$(jm submit --type compilation --config "$WORK/w/jmake.toml")
jm job wait "$w" --timeout 1 >/dev/null 2>&1; rc=$?
check_eq "job wait --timeout exits 4" 4 "$rc"

finish
