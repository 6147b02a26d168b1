# test_cli.sh - the command line as people type it: GNU options, help, usage errors, state words, JSON, start/stop by name, a stopped daemon, messages, plurals, tables, stdout and stderr, progress and colours on a terminal.
. "$(dirname "$0")/lib.sh"
write_config

# A one-file project, so that plurals show.
one_file_project() { # one_file_project DIR
    mkdir -p "$1/src"
    echo 'int one(void) { return 1; }' > "$1/src/one.c"
    printf '[project]\nname = "one"\n[cache]\nenabled = false\n' > "$1/jmake.toml"
}
ESC=$(printf '\033')
CR=$(printf '\r')

# ---- Help, usage errors, GNU conventions (no daemons needed) ----
out=$(jm help); rc=$?
check_eq "jmake help exits 0" 0 "$rc"
for cmd in start stop restart status submit job build config logs completion help; do
    check "jmake help lists $cmd" has "$out" "^  $cmd "
    h=$(jm "$cmd" --help); rc=$?
    check_eq "$cmd --help exits 0" 0 "$rc"
    check "$cmd --help has a usage line" has "$h" "^usage: jmake $cmd"
    check "$cmd --help has an example" has "$h" '^Example:'
    check_eq "$cmd -h is --help" "$h" "$(jm "$cmd" -h)"
done
check "build --help lists its options" has "$(jm build --help)" '^  --priority N '
check "help COMMAND is COMMAND --help" [ "$(jm help build)" = "$(jm build --help)" ]

err=$(jm build --frobnicate 2>&1); rc=$?
check_eq "an unknown option exits 2" 2 "$rc"
check "and the message names it" has "$err" "unknown option '--frobnicate'"
check "and prints the usage line" has "$err" '^usage: jmake build'
err=$(jm submit --type 2>&1); rc=$?
check_eq "--type without a value exits 2" 2 "$rc"
check "and the message names the option" has "$err" "option '--type' needs a value"
err=$(jm job wait 2>&1); rc=$?
check_eq "job wait without ids exits 2" 2 "$rc"
check "and says what is missing" has "$err" 'missing ID'
err=$(jm frobnicate 2>&1); rc=$?
check_eq "an unknown command exits 2" 2 "$rc"
check "and names it" has "$err" "unknown command 'frobnicate'"
"$JMAKE" --home="$TEST_HOME" status >/dev/null; rc=$?
check_eq "--home=DIR before the command is understood (status: none run, exit 3)" 3 "$rc"
"$JMAKE" status --home "$TEST_HOME" >/dev/null; rc=$?
check_eq "--home DIR after the command too" 3 "$rc"
check "--json anywhere" has "$("$JMAKE" status --home="$TEST_HOME" --json)" '"state":[[:space:]]*"stopped"'

# ---- start, stop, restart on a stopped home ----
out=$(jm stop 2>&1); rc=$?
check_eq "stop with nothing running exits 3" 3 "$rc"
check "and says nothing runs" has "$out" 'not running'
out=$(jm start compilation); rc=$?
check_eq "start DAEMON on a stopped home exits 0" 0 "$rc"
check "the orchestrator runs" has "$out" '^Orchestrator Daemon: Running'
check "that daemon runs" has "$out" '^Compilation Daemon: Running'
check_eq "and no other daemon" 4 "$(jm status | grep -c ': Stopped$')"
jm stop >/dev/null
out=$(jm restart build); rc=$?
check_eq "restart DAEMON on a stopped home exits 0" 0 "$rc"
check_eq "it starts the orchestrator and that daemon only" 4 "$(jm status | grep -c ': Stopped$')"
check "the build daemon runs" has "$(jm status)" '^Build Daemon: Running'
jm stop >/dev/null
jm restart >/dev/null; rc=$?
check_eq "restart on a stopped home starts everything (exit 0)" 0 "$rc"
check "all six run" jm status

# ---- config check --json, config show, logs --json and --lines ----
out=$(jm config check --json "$TEST_HOME/job_queue_design.toml" 2>"$WORK/check.err"); rc=$?
check_eq "config check --json exits 0" 0 "$rc"
check "config check --json prints JSON" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ok"] and d["files"][0]["kind"] == "daemon"' "$out"
check_eq "and nothing on stderr" "" "$(cat "$WORK/check.err")"
printf '[queue]\nmax_concurrent_jobs = "four"\n' > "$WORK/bad.toml"
out=$(jm config check "$WORK/bad.toml" --json); rc=$?
check_eq "a bad file: exit 2" 2 "$rc"
check "its error as JSON with line and column" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); e=d["diagnostics"][0]; assert e["line"] == 2 and e["severity"] == "error" and not d["ok"]' "$out"
check_eq "config show KEY" "queue.max_concurrent_jobs = 4" "$(jm config show queue.max_concurrent_jobs)"
check "config show --json" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["queue.job_timeout_seconds"] == 300' "$(jm config show --json)"
jm config show no.such_key >/dev/null 2>&1; rc=$?
check_eq "config show of an unknown key exits 2" 2 "$rc"
out=$(jm logs orchestrator --json); rc=$?
check_eq "logs --json exits 0" 0 "$rc"
check "logs --json: one object a line with time, level, source, message" python3 -c '
import json, sys
lines = sys.argv[1].splitlines()
assert lines
for l in lines:
    d = json.loads(l)
    assert d["time"] and d["level"] and d["source"] == "orchestrator" and "message" in d
' "$out"
check_eq "logs --lines 2: two lines" 2 "$(jm logs orchestrator --lines 2 | wc -l)"
check_eq "logs -n 2 is the last two" "$(tail -n 2 "$TEST_HOME/logs/orchestrator.log")" "$(jm logs orchestrator -n 2)"
check_eq "logs --lines=0: none" 0 "$(jm logs orchestrator --lines=0 | wc -l)"

# ---- jobs: the state word, options after operands, the list as a table ----
one_file_project "$WORK/one"
printf 'this is not C\n' > "$WORK/one/src/broken.c"
id=$(jm submit --type compilation --config "$WORK/one/jmake.toml" --id broken1)
jm job wait "$id" --timeout=60 >/dev/null; rc=$?
check_eq "job wait ID --timeout=60 (option after the operand) waits: the job failed, exit 1" 1 "$rc"
check_eq "job status prints the state word only" failed "$(jm job status "$id")"
check "the reason is in --json" has "$(job_field "$id" reason)" '.'
rm "$WORK/one/src/broken.c"
out=$(jm job list)
check "job list has a header" has "$(printf '%s\n' "$out" | head -n 1)" '^ID +TYPE +PRIORITY +STATE +AGE +DURATION$'
check "job list has the job's row" has "$out" '^broken1 +compilation +5 +failed +[0-9.]+[smhd]'
hdr=$(printf '%s\n' "$out" | head -n 1); row=$(printf '%s\n' "$out" | grep '^broken1 ')
check_eq "columns are aligned (STATE starts where the row's state does)" \
    "$(printf '%s\n' "$hdr" | grep -bo STATE | cut -d: -f1)" "$(printf '%s\n' "$row" | grep -bo failed | cut -d: -f1)"

# ---- build: stdout and stderr, plurals, missing jmake.toml ----
out=$(jm build "$WORK/one" 2>"$WORK/build.err"); rc=$?
check_eq "build of the one-file project exits 0" 0 "$rc"
check "the result goes to stdout" has "$out" '^build completed: .*libone'
check "one file is '1 file'" has "$out" ': 1 file, [0-9]+ compiled'
check "what it does goes to stderr" has "$(cat "$WORK/build.err")" '^job [^ ]+ queued$'
check "no control characters on stderr when not a terminal" lacks "$(cat "$WORK/build.err")" '[[:cntrl:]]'
check "no control characters on stdout when not a terminal" lacks "$out" '[[:cntrl:]]'
mkdir -p "$WORK/empty"
err=$(jm build "$WORK/empty" 2>&1); rc=$?
check_eq "a folder without jmake.toml exits 2" 2 "$rc"
check "the message names the folder" has "$err" "$WORK/empty has no jmake.toml"
check "and suggests jmake init" has "$err" 'jmake init'

# ---- progress and colours on a terminal (script gives one) ----
if command -v script >/dev/null; then
    echo '// again' >> "$WORK/one/src/one.c"
    script -qec "$JMAKE --home $TEST_HOME build $WORK/one" "$WORK/tty.out" >/dev/null 2>&1
    tty_out=$(cat "$WORK/tty.out")
    check "on a terminal: progress with the elapsed time" has "$tty_out" '\[(queued|0/\?|1/1)\].*[0-9]+\.[0-9]s'
    check "on a terminal: the line is redrawn in place" has "$tty_out" "$CR"
    check "on a terminal: the result in colour" has "$tty_out" "$ESC\\[1;32mbuild completed"
    echo '// again' >> "$WORK/one/src/one.c"
    NO_COLOR=1 script -qec "$JMAKE --home $TEST_HOME build $WORK/one" "$WORK/tty2.out" >/dev/null 2>&1
    check "NO_COLOR: no colour" lacks "$(cat "$WORK/tty2.out")" "$ESC\\[[0-9;]*m"
    check "NO_COLOR: still the result" grep -q 'build completed' "$WORK/tty2.out"
    echo '// again' >> "$WORK/one/src/one.c"
    script -qec "$JMAKE --home $TEST_HOME --color=never build $WORK/one" "$WORK/tty3.out" >/dev/null 2>&1
    check "--color=never: no colour" lacks "$(cat "$WORK/tty3.out")" "$ESC\\[[0-9;]*m"
    out=$(jm build "$WORK/one" --color=always 2>/dev/null)
    check "--color=always: colour in a pipe too" has "$out" "$ESC\\[1;32m"
else
    fail "script (util-linux) is needed for the terminal checks"
fi

# ---- a build whose daemon is stopped: says so, waits no longer than the job's timeout ----
jm stop compilation >/dev/null
sed -i 's/^job_timeout_seconds = 300$/job_timeout_seconds = 3/' "$TEST_HOME/job_queue_design.toml"
start_s=$(date +%s)
err=$(jm build "$WORK/one" 2>&1 >/dev/null); rc=$?
took=$(( $(date +%s) - start_s ))
check_eq "build with the compilation daemon stopped gives up (exit 4)" 4 "$rc"
check "it says the compilation daemon is not running" has "$err" 'compilation daemon, which is not running'
check "and how to start it" has "$err" 'jmake --home [^ ]+ start compilation'
check "it waited about the job's timeout, not forever ($took s)" [ "$took" -le 15 ]
write_config
jm start compilation >/dev/null

finish
