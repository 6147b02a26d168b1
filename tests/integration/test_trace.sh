# test_trace.sh - build timelines through the real daemons: build --trace and job result --trace, every unit once, no overlap on a lane, steps that add up to timings_ms, the last 5 kept, the five slowest printed only past 50 compiled.
. "$(dirname "$0")/lib.sh"
SLOTS=3
write_config "max_parallel_builds = $SLOTS"
start_daemons

# check_trace TRACE RESULT_JSON SOURCES_DIR KIND: the timeline against the result
# of the same build. KIND is the category every source must appear in once
# ("compile", "cache restore", or "none" for a build with nothing to do).
# Prints the first problem and fails, or prints nothing.
check_trace() {
    python3 - "$@" <<'PY'
import json, os, sys
trace_path, result_path, src_dir, kind = sys.argv[1:5]
trace = json.load(open(trace_path))              # it parses
result = json.load(open(result_path))
events = trace["traceEvents"]
xs = [e for e in events if e["ph"] == "X"]
def bad(msg):
    print(msg); sys.exit(1)

# Every source once, in the expected kind, with its outcome.
sources = sorted(os.path.relpath(os.path.join(d, f), os.path.dirname(src_dir))
                 for d, _, fs in os.walk(src_dir) for f in fs if f.endswith(".c"))
units = [e for e in xs if e["cat"] in ("compile", "cache restore")]
files = sorted(e["args"]["file"] for e in units)
if kind == "none":
    if units: bad(f"a build with nothing to do has {len(units)} unit slices")
else:
    if files != sources: bad(f"unit slices {len(files)} != sources {len(sources)} (or not each once)")
    want = {"compile": "compiled", "cache restore": "from_cache"}[kind]
    if any(e["cat"] != kind or e["args"]["outcome"] != want for e in units):
        bad(f"a unit is not a {kind} slice with outcome {want}")
# Every unit is decided once on a check lane: the check runs plus the restores.
decided = sum(e["args"]["units"] for e in xs if e["cat"] == "check") + \
          sum(1 for e in xs if e["cat"] == "cache restore")
if decided != len(sources): bad(f"check lanes decided {decided} units, the project has {len(sources)}")
up = sum(e["args"]["up_to_date"] for e in xs if e["cat"] == "check")
if up != result["files"]["up_to_date"]: bad(f"check runs count {up} up to date, the result {result['files']['up_to_date']}")

# No two slices on one lane overlap (times are printed to the nanosecond).
lanes = {}
for e in xs:
    lanes.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"], e["name"]))
for tid, spans in lanes.items():
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        if b[0] < a[1] - 1e-3: bad(f"tid {tid}: {b[2]} starts at {b[0]} before {a[2]} ends at {a[1]}")
names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
slots = [t for t, n in names.items() if n.startswith("slot ")]
if len(slots) > int(os.environ["SLOTS"]): bad(f"{len(slots)} slot lanes, max_parallel_builds is {os.environ['SLOTS']}")
if any(e["tid"] not in names for e in xs): bad("a slice on a lane without a name")
proc = [e for e in events if e["ph"] == "M" and e["name"] == "process_name"]
if not proc or not proc[0]["args"]["name"].startswith("jmake build "): bad("no process name 'jmake build ...'")

# The build lane's steps follow each other from 0 and add up to the result's
# timings. timings_ms are whole milliseconds, each a difference of two clock
# readings truncated to the millisecond, taken microseconds away from the
# trace's nanosecond readings: they differ from the trace by less than 2 ms.
steps = sorted((e for e in xs if e["cat"] == "step"), key=lambda e: e["ts"])
at = 0.0
for s in steps:
    if abs(s["ts"] - at) > 1e-3: bad(f"step {s['name']} starts at {s['ts']} us, the previous ended at {at}")
    at = s["ts"] + s["dur"]
t = result["timings_ms"]
def near(what, ms, want):
    if abs(ms - want) >= 2.0: bad(f"{what}: trace {ms:.3f} ms, timings_ms {want}")
near("total", at / 1000, t["total"])
step = {s["name"]: s for s in steps}
near("units (timings_ms.compile)", step["units"]["dur"] / 1000, t["compile"])
if "link" in step: near("link", step["link"]["dur"] / 1000, t["link"])
u0, u1 = step["units"]["ts"], step["units"]["ts"] + step["units"]["dur"]
if any(e["ts"] < u0 - 1e-3 or e["ts"] + e["dur"] > u1 + 1e-3 for e in units):
    bad("a unit slice lies outside the units step")
PY
}

python3 "$SRC/bench/gen_project.py" "$WORK/big" --sources 60 --flags=-O0 >/dev/null
python3 "$SRC/bench/gen_project.py" "$WORK/small" --sources 10 --seed 3 --flags=-O0 >/dev/null
export SLOTS
lacks() { ! has "$@"; }

last_job() { jm --json job list --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
result_of() { # result_of ID FILE: the job's result JSON into FILE
    jm job result "$1" | python3 -c 'import json,sys; json.dump(json.load(sys.stdin)["result"], open(sys.argv[1], "w"))' "$2"
}

# A full build of 60 sources: the timeline, and the five slowest after the result line.
out=$(jm build "$WORK/big" --trace "$WORK/full.json" 2>"$WORK/full.err")
check_eq "build --trace succeeds" 0 $?
full_id=$(last_job)
check "the trace was written" test -s "$WORK/full.json"
check "stderr says where" has "$(cat "$WORK/full.err")" "^wrote $WORK/full.json: the timeline of job $full_id"
check "the five slowest follow the result line" \
    has "$(printf '%s\n' "$out" | sed -n 2p)" '^slowest 5 of 60 compiled:$'
check_eq "five of them, one a line" 5 "$(printf '%s\n' "$out" | sed -n '3,$p' | grep -cE '^ +[0-9]+\.[0-9]{2} s  src/s[0-9]+\.c$')"
result_of "$full_id" "$WORK/full.result"
msg=$(check_trace "$WORK/full.json" "$WORK/full.result" "$WORK/big/src" compile)
check "full build: every source one compile slice, no overlap, steps add up [$msg]" [ -z "$msg" ]
check_eq "the result lists five slowest" 5 \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["slowest"]))' "$WORK/full.result")"

# A past job's timeline, by id: the same file.
jm job result "$full_id" --trace "$WORK/again.json" 2>/dev/null
check_eq "job result --trace succeeds" 0 $?
check "job result --trace writes the same timeline" cmp -s "$WORK/full.json" "$WORK/again.json"

# Nothing changed: no slice per unit, every unit counted as up to date.
out=$(jm build "$WORK/big" --trace "$WORK/noop.json" 2>/dev/null)
result_of "$(last_job)" "$WORK/noop.result"
msg=$(check_trace "$WORK/noop.json" "$WORK/noop.result" "$WORK/big/src" none)
check "no-op build: no unit slices, check runs count all 60 [$msg]" [ -z "$msg" ]
check "no slowest list when nothing compiled" lacks "$out" '^slowest'

# Build folder gone, warm cache: every source one cache restore.
rm -rf "$WORK/big/build"
jm build "$WORK/big" --trace "$WORK/warm.json" >/dev/null 2>&1
result_of "$(last_job)" "$WORK/warm.result"
msg=$(check_trace "$WORK/warm.json" "$WORK/warm.result" "$WORK/big/src" "cache restore")
check "warm cache: every source one restore slice [$msg]" [ -z "$msg" ]

# Ten compiled: the timeline has them, the output names no slowest.
out=$(jm build "$WORK/small" 2>/dev/null)
check "10 compiled: no slowest list" lacks "$out" '^slowest'
check "10 compiled: the result line is there" has "$out" '^build completed: .*10 compiled'

# The last 5 per project: the big project's first build has gone after 5 more.
for i in 1 2 3; do jm build "$WORK/big" >/dev/null 2>&1; done
trace_dir=$(dirname "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace"])' "$WORK/full.result")")
check_eq "five timelines kept for the project" 5 "$(ls "$trace_dir" | grep -c '\.json$')"
err=$(jm job result "$full_id" --trace "$WORK/gone.json" 2>&1)
check_eq "a deleted timeline: exit 1" 1 $?
check "and says why" has "$err" "^jmake: no timeline kept for job $full_id \(only the last 5 per project are kept\)$"
check "nothing written" test ! -e "$WORK/gone.json"
check "the other project's timeline is still there" test "$(ls "$TEST_HOME/traces" | wc -l)" -eq 2

# A job that is not a build has none.
id=$(jm submit --type discovery --path "$WORK/small")
jm job wait "$id" >/dev/null
err=$(jm job result "$id" --trace "$WORK/none.json" 2>&1)
check_eq "a discovery job: exit 1" 1 $?
check "and says it has no timeline" has "$err" "^jmake: job $id has no timeline"

# --trace into a folder that does not exist: refused before anything is queued.
before=$(jm --json job list --limit 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
err=$(jm build "$WORK/small" --trace "$WORK/no/such/dir/t.json" 2>&1)
check_eq "--trace into a missing folder: exit 2" 2 $?
check "and says so" has "$err" "--trace: its folder does not exist"
after=$(jm --json job list --limit 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check_eq "no job was queued" "$before" "$after"
finish
