# test_cli_autostart.sh - commands that need the daemons start them: one line on stderr, stdout untouched, --no-start and JMAKE_NO_AUTOSTART refuse (exit 3), and 20 concurrent builds on a stopped home start exactly one set.
. "$(dirname "$0")/lib.sh"
write_config
mkdir -p "$WORK/p/src"
echo 'int p(void) { return 2; }' > "$WORK/p/src/p.c"
printf '[project]\nname = "p"\n' > "$WORK/p/jmake.toml"

jm submit --type discovery --path "$WORK/p" --no-start >/dev/null 2>&1; rc=$?
check_eq "submit --no-start on a stopped home exits 3" 3 "$rc"
check "and started nothing" [ ! -e "$TEST_HOME/run/orchestrator.pid" ] || ! jm status >/dev/null
out=$(jm submit --type discovery --path "$WORK/p" --id d1 2>"$WORK/submit.err"); rc=$?
check_eq "plain submit starts the daemons (exit 0)" 0 "$rc"
check_eq "stdout is the job id only" d1 "$out"
check_eq "stderr is one line" 1 "$(wc -l < "$WORK/submit.err")"
check "saying so, with the home" has "$(cat "$WORK/submit.err")" "started them \(home $TEST_HOME\)"
check "all six run" jm status
jm job wait d1 --timeout 60 >/dev/null
jm stop >/dev/null

# 20 clients at once on a stopped home: one orchestrator, every build done.
for i in $(seq 1 20); do
    ( jm build "$WORK/p" >"$WORK/b$i.out" 2>"$WORK/b$i.err"; echo $? > "$WORK/b$i.rc" ) &
done
wait
ok=0
for i in $(seq 1 20); do [ "$(cat "$WORK/b$i.rc")" = 0 ] && ok=$((ok + 1)); done
check_eq "20 concurrent builds on a stopped home all succeed" 20 "$ok"
starts=$(grep -c 'orchestrator .* ready on' "$TEST_HOME/logs/orchestrator.log")
# One for the submit above, one for the 20 builds.
check_eq "exactly one orchestrator started for the 20 (two in the log in all)" 2 "$starts"
check_eq "exactly one client said it started them" 1 "$(cat "$WORK"/b*.err | grep -c 'started them')"
check "no orchestrator failed to start" sh -c "! grep -q 'already running\|cannot' \"\$1\"/logs/daemons.err 2>/dev/null" _ "$TEST_HOME"
check_eq "one orchestrator process" 1 "$(pgrep -f "jmake daemon orchestrator --home $TEST_HOME\$" | wc -l)"
check_eq "one compilation daemon process" 1 "$(pgrep -f "jmake daemon compilation --home $TEST_HOME\$" | wc -l)"


# Every command the table marks as needing the daemons starts them, whichever file it is in:
# init, watch and wrap too, not only build and submit.
jm stop >/dev/null
mkdir -p "$WORK/fresh/src" && echo 'int g(void) { return 1; }' > "$WORK/fresh/src/g.c"
out=$(cd "$WORK/fresh" && jm init 2>&1); rc=$?
check_eq "init on a stopped home starts the daemons and writes jmake.toml" "0 yes" "$rc $([ -f "$WORK/fresh/jmake.toml" ] && echo yes)"
check "init said so" has "$out" 'started them'
jm stop >/dev/null
out=$(jm watch add "$WORK/fresh" 2>&1); rc=$?
check_eq "watch add on a stopped home starts the daemons" 0 "$rc"
check "watch add said so" has "$out" 'started them'
jm stop >/dev/null
jm watch list --no-start >/dev/null 2>&1; rc=$?
check_eq "watch list --no-start on a stopped home exits 3" 3 "$rc"
finish
