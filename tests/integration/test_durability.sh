# test_durability.sh - 1000 acknowledged submits survive kill -9 of the orchestrator; a running job runs again.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons
mkdir -p "$WORK/scan"
jm stop discovery >/dev/null
# Four clients at once, so that submits share group commits.
for part in 0 1 2 3; do
    (
        for i in $(seq $((part * 250 + 1)) $((part * 250 + 250))); do
            jm submit --type discovery --path "$WORK/scan" --priority 9 --id "d$i" >/dev/null || echo "submit d$i failed"
        done
    ) > "$WORK/submit.$part.log" &
done
wait
check_eq "every submit was acknowledged" "" "$(cat "$WORK"/submit.*.log)"
orch=$(pid_of orchestrator)
kill -9 "$orch"
wait_for 10 sh -c "! $JMAKE --home $TEST_HOME status >/dev/null"
check "orchestrator is reported stopped" sh -c "$JMAKE --home $TEST_HOME status | grep -q '^Orchestrator Daemon: Stopped$'"
jm start >/dev/null; rc=$?
check_eq "start after kill -9" 0 "$rc"
check_eq "all 1000 acknowledged jobs are there" 1000 "$(jm job list --limit 0 | tail -n +2 | wc -l)"
jm job wait d1 d500 d1000 --timeout 120 >/dev/null; rc=$?
check_eq "the queue resumed by itself" 0 "$rc"

# kill -9 while four clients are submitting, not after: every acknowledged job
# survives, and a job file (three jobs) is either wholly queued or not at all.
jm stop discovery >/dev/null
jm job clean >/dev/null
for part in 0 1 2 3; do
    (
        i=0
        while [ "$i" -lt 2000 ]; do
            i=$((i + 1))
            f="$WORK/k$part-$i.toml"
            for j in a b c; do
                printf '[[jobs]]\nid = "k%s-%s-%s"\ntype = "discovery"\npriority = 9\nargs = { path = "%s" }\n' \
                    "$part" "$i" "$j" "$WORK/scan"
            done > "$f"
            # No autostart: a client must see the kill, not start new daemons.
            JMAKE_NO_AUTOSTART=1 jm submit "$f" >/dev/null 2>&1 || break
            echo "k$part-$i"
        done > "$WORK/acked.$part"
    ) &
done
wait_for 20 sh -c "[ \$(cat $WORK/acked.* | wc -l) -ge 40 ]"
kill -9 "$(pid_of orchestrator)"
wait
acked=$(cat "$WORK"/acked.* | wc -l)
check "clients were acknowledged before the kill ($acked files)" [ "$acked" -ge 40 ]
wait_for 10 sh -c "! $JMAKE --home $TEST_HOME status >/dev/null"
jm start >/dev/null
jm stop discovery >/dev/null
jm --json job list --limit 0 > "$WORK/after.json"
missing=$(python3 - "$WORK" <<'PY'
import json, sys, glob, collections
work = sys.argv[1]
ids = {j["id"] for j in json.load(open(work + "/after.json"))}
acked = [l.strip() for f in glob.glob(work + "/acked.*") for l in open(f) if l.strip()]
lost = [a for a in acked if not all(f"{a}-{j}" in ids for j in "abc")]
parts = collections.Counter(i.rsplit("-", 1)[0] for i in ids if i.startswith("k"))
half = [f for f, n in parts.items() if n != 3]
print(f"lost={len(lost)} half={len(half)}")
PY
)
check_eq "every acknowledged file's jobs are there, and no file is half-queued" "lost=0 half=0" "$missing"

# A job running when the orchestrator died runs again after restart.
make_slow_project "$WORK/slow" 3
s=$(jm submit --type compilation --config "$WORK/slow/jmake.toml" --priority 0)
wait_for 10 state_is "$s" running
kill -9 "$(pid_of orchestrator)"
wait_for 10 sh -c "! $JMAKE --home $TEST_HOME status >/dev/null"
jm start >/dev/null
jm job wait "$s" --timeout 60 >/dev/null; rc=$?
check_eq "the interrupted job ran again and completed" 0 "$rc"
check_eq "it took two attempts" 2 "$(job_field "$s" attempts)"

finish
