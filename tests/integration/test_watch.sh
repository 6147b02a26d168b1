# test_watch.sh - reactive builds with real inotify and real daemons: one save one build, bursts, new folders, ignored folders, atomic saves, deletions, outside headers, follow-ups, the sync cookie.
. "$(dirname "$0")/lib.sh"
write_config '[watcher]
debounce_ms = 150'
start_daemons

# Compilation jobs of the home so far.
builds() { jm job list --limit 0 | grep -c ' compilation ' ; }
# The count of builds the next settle counts from.
BASE=0
mark() { BASE=$(builds); }
# Waits for the watcher's builds to come and every build to settle.
settle() { # settle NEW_BUILDS: true when exactly that many builds came since the last mark, once all are final
    local want=$((BASE + $1))
    wait_for 15 sh -c "[ \$(\"$JMAKE\" --home \"$TEST_HOME\" job list --limit 0 | grep -c ' compilation ') -ge $want ]" || return 1
    wait_for 30 sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" job list --limit 0 | grep -Eq 'pending|running'"
    sleep 0.6   # a second build would have been queued by now (debounce 150 ms)
    [ "$(builds)" -eq "$want" ]
}
last_id() { jm job list --limit 0 | awk '/ compilation / {print $1}' | sort -t- -k2 -n | tail -1; }
last_result() { jm job result "$(last_id)"; }
# index_of KEY: the discovery daemon's last index change of project p (added, removed or sources).
index_of() { jm watch list --json | python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin) if x["config"].endswith("/p/jmake.toml")][0]; v=p.get("index",{}).get(sys.argv[1]); print(" ".join(v) if isinstance(v,list) else v)' "$1"; }
# scan_of_last: how the last build listed its sources: "walked joined left" (walked is True or False).
scan_of_last() { last_result | python3 -c 'import json,sys; s=json.load(sys.stdin)["result"]["scan"]; print(s["walked"], s["joined"], s["left"])'; }
symbols_of_last() { last_result | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["result"]["symbols"]))'; }

P=$WORK/p
mkdir -p "$P/src" "$WORK/outside/inc"
echo 'int a(void) { return 1; }' > "$P/src/a.c"
echo 'int b(void) { return 2; }' > "$P/src/b.c"
echo '#define OUT_VALUE 3' > "$WORK/outside/inc/out.h"
echo '#include "out.h"
int o(void) { return OUT_VALUE; }' > "$P/src/o.c"
printf '[project]\nname = "w"\n[compile]\ninclude_dirs = ["%s"]\n' "$WORK/outside/inc" > "$P/jmake.toml"

# watch add checks the jmake.toml as build does, and starts no build.
mkdir -p "$WORK/bad"
printf '[project]\nname = 3\n' > "$WORK/bad/jmake.toml"
err=$(jm watch add "$WORK/bad" 2>&1); rc=$?
check_eq "watch add of an invalid jmake.toml exits 2" 2 "$rc"
check "and names the file, line and column" has "$err" 'bad/jmake.toml:2:[0-9]+'
check "watch add of a valid project succeeds" jm watch add "$P"
sleep 1
check_eq "watch add starts no build" 0 "$(builds)"
check "watch list shows the project watching" has "$(jm watch list)" "$P/jmake.toml +watching"
jm build "$P" >/dev/null
check_eq "the explicit first build" 1 "$(builds)"
check_eq "which walks the tree (nothing was known)" "True 0 0" "$(scan_of_last)"
mark

# One save gives one build.
echo 'int a(void) { return 11; }' > "$P/src/a.c"
check "one save gives exactly one build" settle 1
mark
check_eq "a build with a reported path lists its sources from the index, without a walk" "False 0 0" "$(scan_of_last)"

# 1,000 files written within 200 ms give exactly one build. Headers, so that
# the build re-hashes them instead of running 1,000 compilers.
mkdir -p "$P/src/many"
took=$(python3 - "$P/src/many" <<'PY'
import sys, time
t = time.monotonic()
for i in range(1000):
    with open(f"{sys.argv[1]}/m{i}.h", "w") as f:
        f.write(f"#define M{i} {i}\n")
print(int((time.monotonic() - t) * 1000))
PY
)
if [ "$took" -le 200 ]; then
    check "1,000 files written within 200 ms ($took ms) give exactly one build" settle 1
else
    # A loaded machine left gaps longer than debounce_ms between writes: more
    # than one build is right then; what must hold is that all of them settle.
    echo "note: the 1,000 files took $took ms to write (> 200 ms): not the burst case, exactness not checked"
    wait_for 60 sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" job list --limit 0 | grep -Eq 'pending|running'"
fi
mark
[ "$took" -le 200 ] && check "which was told of all 1,000" grep -q 'watched: 1000 changed paths' "$(last_result | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_path"])')"
rm -rf "$P/src/many"
check "removing the folder gives one build" settle 1
mark
# A new folder with a new source joins the next build.
mkdir -p "$P/src/newdir/deeper"
echo 'int fresh(void) { return 5; }' > "$P/src/newdir/deeper/fresh.c"
check "a new folder's source gives one build" settle 1
mark
check "and joins the library" has "$(symbols_of_last)" 'fresh'
check_eq "without a walk of the tree: one source joined the index" "False 1 0" "$(scan_of_last)"
check "the discovery index says it joined, without a rescan" has "$(index_of added)" 'src/newdir/deeper/fresh.c'
check "and counts the sources" has "$(index_of sources)" '^4$'

# Paths under build/ and julia/ never trigger.
mkdir -p "$P/julia"
echo 'int j(void);' > "$P/julia/j.h"
echo 'x' > "$P/build/junk.c"
echo 'int r;' > "$P/src/notes.txt"
sleep 1
check_eq "build/, julia/ and non-source files trigger nothing" "$BASE" "$(builds)"

# An editor's atomic save (write a temporary, rename it over the file) is one change.
echo 'int b(void) { return 22; }
int b_saved(void) { return 1; }' > "$P/src/.b.c.swp"
mv "$P/src/.b.c.swp" "$P/src/b.c"
check "an atomic save gives one build" settle 1
mark
check "and the saved content is built" has "$(symbols_of_last)" 'b_saved'

# A deleted source leaves the link.
rm "$P/src/newdir/deeper/fresh.c"
check "a deletion gives one build" settle 1
mark
check "and the deleted source's symbol is gone" lacks "$(symbols_of_last)" 'fresh'
check_eq "without a walk: one source left the index" "False 0 1" "$(scan_of_last)"
check "the discovery index says it left" has "$(index_of removed)" 'src/newdir/deeper/fresh.c' 

# A header in an include folder outside the root.
echo '#define OUT_VALUE 4
int out_changed;' > "$WORK/outside/inc/out.h"
check "a header outside the root gives one build" settle 1
mark
check_eq "which recompiles its dependent" 1 "$(last_result | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["files"]["compiled"])')"

# [compile] sources globs and an exclude, kept from the index: a new file a glob
# now matches joins, one the exclude now matches does not (and that exclude's
# "matches nothing" warning goes), one no glob matches does not, and a renamed
# folder's sources leave under the old name and join under the new one.
G=$WORK/g
mkdir -p "$G/src/sub" "$G/extra" "$G/other"
echo 'int g_main(void) { return 1; }' > "$G/src/main.c"
echo 'int g_sub(void) { return 2; }' > "$G/src/sub/sub.c"
printf '[project]\nname = "g"\n[compile]\nsources = ["src/**/*.c", "extra/*.c"]\nexclude = ["src/gen/**"]\n' > "$G/jmake.toml"
jm watch add "$G" >/dev/null
jm build "$G" >/dev/null
wait_for 30 sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" job list --limit 0 | grep -Eq 'pending|running'"
check "the globs project's first build warns that the exclude matches nothing" has "$(last_result)" "compile.exclude: 'src/gen/\*\*' matches no source file"
mark
echo 'int g_extra(void) { return 3; }' > "$G/extra/e.c"
check "a new file a sources glob matches gives one build" settle 1
mark
check "and joins the library" has "$(symbols_of_last)" 'g_extra'
check_eq "from the index" "False 1 0" "$(scan_of_last)"
mkdir -p "$G/src/gen"
echo 'int g_generated(void) { return 4; }' > "$G/src/gen/skip.c"
check "a new file the exclude matches gives one build" settle 1
mark
check "but does not join" lacks "$(symbols_of_last)" 'g_generated'
check_eq "the index has it (the excludes apply after the index), without a walk" "False 1 0" "$(scan_of_last)"
check "the exclude's warning is gone: it matches a source now" lacks "$(last_result)" "compile.exclude: 'src/gen"
echo 'int g_other(void) { return 5; }' > "$G/other/o.c"
check "a new file no glob matches gives one build" settle 1
mark
check "but does not join" lacks "$(symbols_of_last)" 'g_other'
mv "$G/src/sub" "$G/src/moved"
check "renaming a folder gives one build" settle 1
mark
check "its source is still in the library" has "$(symbols_of_last)" 'g_sub'
check_eq "having left under the old name and joined under the new one, without a walk" "False 1 1" "$(scan_of_last)"
check "and the object under the old name is gone" sh -c "! find '$G/build' -path '*src/sub/*' -name '*.o' | grep -q ."
jm watch remove "$G" >/dev/null

# The sync cookie: a build asked right after a save sees that save, 100 times.
missed=0
for i in $(seq 1 100); do
    echo "int a(void) { return 1; } int step_$i(void) { return $i; }" > "$P/src/a.c"
    json=$(jm build "$P" --json)
    printf '%s' "$json" | grep -q "\"step_$i\"" || missed=$((missed + 1))
done
check_eq "100 save-then-build pairs: every build saw its save" 0 "$missed"
check "no sync cookie is left in the project root" sh -c "! ls -a '$P' | grep -q '^.jmake-sync'"
wait_for 30 sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" job list --limit 0 | grep -Eq 'pending|running'"

# A change during a running build gives exactly one follow-up, carrying every path.
S=$WORK/slow
make_slow_project "$S" 2
jm watch add "$S" >/dev/null
jm build "$S" >/dev/null
n0=$(builds)
echo 'int slow(void) { return 2; }' > "$S/src/slow.c"
wait_for 10 sh -c "\"$JMAKE\" --home \"$TEST_HOME\" job list --limit 0 | grep -q running"
echo 'int later1(void) { return 1; }' > "$S/src/later1.c"
sleep 0.4
echo 'int later2(void) { return 2; }' > "$S/src/later2.c"
sleep 0.4
echo 'int later3(void) { return 3; }' > "$S/src/later3.c"
BASE=$n0
check "changes during a running build give exactly one follow-up" settle 2
check "which has every change" has "$(symbols_of_last)" 'later1.*later2.*later3|later1.*later3.*later2|later2.*later1.*later3|later2.*later3.*later1|later3.*later1.*later2|later3.*later2.*later1'

# kill -9 of the watcher, then a change: the change is built.
n0=$(builds)
kill_worker watcher KILL
echo 'int a(void) { return 1; } int after_kill(void) { return 1; }' > "$P/src/a.c"
wait_for 15 sh -c "\"$JMAKE\" --home \"$TEST_HOME\" status | grep -q 'Watcher Daemon: Running'"
for _ in $(seq 1 100); do has "$(symbols_of_last)" after_kill && break; sleep 0.2; done
check "after kill -9 of the watcher, a change made meanwhile is built" has "$(symbols_of_last)" 'after_kill'

# The same, deterministically: a change made while the watcher is stopped is built once it is back.
jm stop watcher >/dev/null
wait_for 10 sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" status | grep -q 'Watcher Daemon: Running'"
echo 'int a(void) { return 1; } int while_stopped(void) { return 1; }' > "$P/src/a.c"
sleep 0.3
jm start watcher >/dev/null
for _ in $(seq 1 100); do has "$(symbols_of_last)" while_stopped && break; sleep 0.2; done
check "a change made while the watcher was stopped is built when it is back" has "$(symbols_of_last)" 'while_stopped'

# The watch list survives a restart of the daemons.
jm stop >/dev/null
start_daemons
out=$(jm watch list)
check "watch list after a restart still has the project" has "$out" "$P/jmake.toml"
check "with its last build" has "$out" 'last build job-[0-9]+ (completed|failed)'
json=$(jm watch list --json)
check "watch list --json is an array of projects" has "$json" '"config":[[:space:]]*"'"$P"'/jmake.toml"'
check "watch remove" jm watch remove "$S"
check "the removed project is no longer listed" sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" watch list | grep -q '$S/jmake.toml'"
err=$(jm watch remove "$S" 2>&1); rc=$?
check_eq "removing it again exits 2" 2 "$rc"

finish
