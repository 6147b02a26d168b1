# test_crash.sh - 200 jobs (builds of small projects and discoveries) while random daemons, the orchestrator included, are SIGKILLed 20 times: every job ends, none is lost or completed twice, every library is right.
. "$(dirname "$0")/../integration/lib.sh"
MAX_RETRIES=20 write_config
start_daemons
N=100   # projects: one build and one discovery each

python3 - "$WORK" "$N" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/jobs.toml", "w") as jobs:
    for i in range(n):
        p = f"{work}/p{i}"
        os.makedirs(f"{p}/src", exist_ok=True)
        for k in range(3):
            with open(f"{p}/src/u{k}.c", "w") as f:
                f.write(f"int p{i}_u{k}(void) {{ return {i * 10 + k}; }}\n")
        with open(f"{p}/jmake.toml", "w") as f:
            f.write(f'[project]\nname = "p{i}"\n')
        jobs.write(f'[[jobs]]\nid = "b{i}"\ntype = "compilation"\nconfig_file = "{p}/jmake.toml"\n')
        jobs.write(f'[[jobs]]\nid = "d{i}"\ntype = "discovery"\nargs = {{ path = "{p}" }}\n')
PY
jm submit "$WORK/jobs.toml" > "$WORK/acked.txt"; rc=$?
check_eq "200 jobs acknowledged" "0 200" "$rc $(wc -l < "$WORK/acked.txt")"

# 20 kills of random daemons, 0.5 to 1.5 s apart; a killed orchestrator is started again
# (as its user or systemd would), the workers are restarted by the orchestrator.
names=(orchestrator discovery compilation build error_handler watcher)
orchestrator_kills=0
for k in $(seq 1 20); do
    sleep "0.$((RANDOM % 10 + 5))"
    d=${names[$((RANDOM % 6))]}
    pid=$(pid_of "$d")
    [ -n "$pid" ] || continue
    if [ "$d" = orchestrator ]; then
        kill -9 "$pid"
        orchestrator_kills=$((orchestrator_kills + 1))
        wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
        JMAKE_NO_AUTOSTART=1 jm start >/dev/null 2>&1 || jm start >/dev/null 2>&1
    else
        kill_worker "$d"
    fi
done
echo "kills: 20 ($orchestrator_kills of the orchestrator)"

# Every job ends (the orchestrator may be down for a moment after a kill: start it again).
all_final() {
    jm --json job list --limit 0 2>/dev/null | python3 -c '
import json, sys
jobs = json.load(sys.stdin)
mine = [j for j in jobs if j["id"][0] in "bd" and j["id"][1:].isdigit()]
sys.exit(0 if len(mine) == 200 and all(j["state"] in ("completed", "failed", "cancelled") for j in mine) else 1)'
}
for _ in $(seq 1 120); do
    all_final && break
    jm status >/dev/null 2>&1 || jm start >/dev/null 2>&1
    sleep 1
done
check "every job ended" all_final
jm --json job list --limit 0 > "$WORK/final.json"
counts=$(python3 - "$WORK" "$N" <<'PY'
import ctypes, json, sys, glob, collections
work, n = sys.argv[1], int(sys.argv[2])
jobs = {j["id"]: j for j in json.load(open(f"{work}/final.json"))}
acked = [l.strip() for l in open(f"{work}/acked.txt") if l.strip()]
lost = [a for a in acked if a not in jobs]
states = collections.Counter(jobs[a]["state"] for a in acked if a in jobs)
done = collections.Counter()
for log in glob.glob(f"{work}/../logs/orchestrator.log*"):
    for line in open(log, errors="replace"):
        if line.rstrip().endswith(" completed") and " job " in line:
            done[line.split(" job ", 1)[1].split()[0]] += 1
twice = [j for j, c in done.items() if c > 1]
wrong = 0
for i in range(n):
    if jobs.get(f"b{i}", {}).get("state") != "completed":
        continue
    lib = ctypes.CDLL(f"{work}/p{i}/build/libp{i}.so")
    wrong += sum(getattr(lib, f"p{i}_u{k}")() != i * 10 + k for k in range(3))
attempts = sum(jobs[a]["attempts"] for a in acked if a in jobs)
print(f"lost={len(lost)} twice={len(twice)} wrong={wrong} completed={states['completed']} "
      f"failed={states['failed']} attempts={attempts}")
PY
)
echo "counts: $counts"
check "no acknowledged job lost, none completed twice, every library right" has "$counts" '^lost=0 twice=0 wrong=0 '
check "every job completed" has "$counts" ' completed=200 failed=0 '

finish
