# test_hostile.sh - hostile job files (a FIFO, a device, an oversized file, a huge valid file) never stop the service, and memory returns to its level.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons
mkdir -p "$WORK/scan"
jm stop discovery >/dev/null
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$(pid_of orchestrator)/status"; }

# A FIFO would block the reader until a writer appears: it is refused at once.
mkfifo "$WORK/jobs.fifo"
t0=$(date +%s%N)
err=$(timeout 10 "$JMAKE" --home "$TEST_HOME" submit "$WORK/jobs.fifo" 2>&1); rc=$?
t1=$(date +%s%N)
check_eq "a FIFO job file is refused (exit 2)" 2 "$rc"
check "the error says why" has "$err" 'jobs.fifo.*not a regular file \(a FIFO\)'
check "and comes at once" [ $(( (t1 - t0) / 1000000 )) -lt 3000 ]

err=$(timeout 10 "$JMAKE" --home "$TEST_HOME" submit /dev/zero 2>&1); rc=$?
check_eq "a device is refused (exit 2)" 2 "$rc"
check "naming it" has "$err" '/dev/zero.*not a regular file \(a character device\)'

head -c 17000000 /dev/zero | tr '\0' '#' > "$WORK/big.toml"
err=$(timeout 10 "$JMAKE" --home "$TEST_HOME" submit "$WORK/big.toml" 2>&1); rc=$?
check_eq "a job file over 16 MiB is refused (exit 2)" 2 "$rc"
check "with the limit in the message" has "$err" 'over the limit of 16 MiB'
check "the daemons still serve others" jm job list

# A large valid file: accepted, in time linear in its size, and the memory it took is returned.
before=$(rss_kib)
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
with open(work + "/many.toml", "w") as out:
    for i in range(50000):
        out.write(f'[[jobs]]\nid = "m{i}"\ntype = "discovery"\npriority = 9\nargs = {{ path = "{work}/scan" }}\n')
PY
jm submit "$WORK/many.toml" >/dev/null; rc=$?
check_eq "50,000 jobs in one file are accepted" 0 "$rc"
check_eq "the first and the last are queued" "pending pending" "$(job_state m0) $(job_state m49999)"
wait_for 3 sh -c "[ \$(awk '/^VmRSS:/ {print \$2}' /proc/$(pid_of orchestrator)/status) -lt $((before * 2 + 20000)) ]"
after=$(rss_kib)
check "orchestrator memory back near its level (before $before KiB, after $after KiB)" [ "$after" -lt $((before * 2 + 20000)) ]

finish
