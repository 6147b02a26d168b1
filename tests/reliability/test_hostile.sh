# test_hostile.sh - hostile job files (a FIFO, a device, an oversized file, a huge valid file) never stop the service, and memory returns to its level.
. "$(dirname "$0")/../integration/lib.sh"
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

# A client that sends and never reads: its connection is dropped past the bound, others are served.
before=$(rss_kib)
out=$(python3 - "$TEST_HOME/run/jmake.sock" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
body = json.dumps({"op": "status"}).encode()
frame = struct.pack(">I", len(body)) + body
sent = 0
try:
    for _ in range(400000):
        s.sendall(frame * 50)
        sent += 50
    print("never dropped")
except OSError:
    print("dropped")
PY
)
check_eq "a client that never reads is dropped" dropped "$out"
check "the log says why" grep -q 'does not read its replies' "$TEST_HOME/logs/orchestrator.log"
check "others are still served" jm job list --state running
wait_for 3 sh -c "[ \$(awk '/^VmRSS:/ {print \$2}' /proc/$(pid_of orchestrator)/status) -lt $((before * 2 + 20000)) ]"
after=$(rss_kib)
check "orchestrator memory back near its level after it (before $before KiB, after $after KiB)" [ "$after" -lt $((before * 2 + 20000)) ]

# A hung orchestrator (stopped): the CLI says so within its bound instead of waiting forever.
orch=$(pid_of orchestrator)
kill -STOP "$orch"
t0=$(date +%s%N)
err=$(JMAKE_REPLY_TIMEOUT_MS=1000 timeout 20 "$JMAKE" --home "$TEST_HOME" job list 2>&1); rc=$?
t1=$(date +%s%N)
kill -CONT "$orch"
check_eq "a request to a hung orchestrator exits 3" 3 "$rc"
check "saying it did not answer" has "$err" 'did not answer within 1000 ms'
check "within the bound" [ $(( (t1 - t0) / 1000000 )) -lt 5000 ]
check "and once it runs again, it answers" jm job list

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

# A result bigger than a request may be (discovery of /usr/include: over 1 MiB) reaches the store.
jm start discovery >/dev/null
d=$(jm submit --type discovery --path /usr/include --priority 0)
jm job wait "$d" --timeout 120 >/dev/null; rc=$?
check_eq "discovery of /usr/include completes" 0 "$rc"
size=$(jm job result "$d" | wc -c)
check "its result (${size} bytes) is over the 1 MiB request limit and complete" [ "$size" -gt 1048576 ]
check "its result lists stdio.h" sh -c "$JMAKE --home $TEST_HOME job result $d | grep -q '\"stdio.h\"'"

# Out of descriptors: past the limit (less a reserve) a client is told why, the log says so,
# and the orchestrator serves again once clients leave.
jm stop >/dev/null
prlimit --nofile=64:64 "$JMAKE" --home "$TEST_HOME" start >/dev/null || fail "start with 64 descriptors"
out=$(python3 - "$TEST_HOME/run/jmake.sock" <<'PY'
import json, socket, struct, sys
held = []
for _ in range(60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
last = held[-1]
last.settimeout(5)
head = last.recv(4)
print(json.loads(last.recv(struct.unpack(">I", head)[0]))["error"])
PY
)
check "a client past the limit is told why" has "$out" '^too many connections \([0-9]+ open; .*descriptor limit is 64\)$'
check "the orchestrator logs it" grep -q 'too many connections: [0-9]* open, descriptor limit 64' "$TEST_HOME/logs/orchestrator.log"
check "and serves again once they are gone" wait_for 5 jm job list --state running

finish
