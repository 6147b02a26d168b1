# test_limits.sh - max_concurrent_jobs bounds running jobs; a job over its timeout is killed and retried.
. "$(dirname "$0")/lib.sh"
MAX_JOBS=2 MAX_RETRIES=1 RETRY_DELAY=2 write_config
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


# [error_handling]: a compiler killed by a signal may pass on a second try, so the job is
# retried (max_retries = 1, after retry_delay_seconds = 2); a compile error never is.
mkdir -p "$WORK/sig/src"
echo 'int f(void) { return 1; }' > "$WORK/sig/src/f.c"
printf '#!/bin/sh\ncase "$1" in --version|-v|-dumpversion|-dumpmachine) echo "sigcc 1.0"; exit 0;; esac\nkill -9 $$\n' > "$WORK/sig/sigcc.sh"
chmod +x "$WORK/sig/sigcc.sh"
printf '[project]\nname = "sig"\n[compile]\ncc = "%s"\n[cache]\nenabled = false\n' "$WORK/sig/sigcc.sh" > "$WORK/sig/jmake.toml"
s=$(jm submit --type compilation --config "$WORK/sig/jmake.toml")
jm job wait "$s" --timeout 60 >/dev/null; rc=$?
check_eq "a job whose compiler is killed by a signal fails in the end" 1 "$rc"
check_eq "after the first attempt and one retry" 2 "$(job_field "$s" attempts)"
check "the reason says a signal killed it" has "$(job_field "$s" reason)" 'killed by a signal'
check "the retry waited retry_delay_seconds" [ $(( $(job_field "$s" finished_ms) - $(job_field "$s" submitted_ms) )) -ge 2000 ]
mkdir -p "$WORK/syn/src"
echo 'int broken( {' > "$WORK/syn/src/b.c"
printf '[project]\nname = "syn"\n' > "$WORK/syn/jmake.toml"
e=$(jm submit --type compilation --config "$WORK/syn/jmake.toml")
jm job wait "$e" --timeout 60 >/dev/null
check_eq "a compile error is not retried" 1 "$(job_field "$e" attempts)"

finish
