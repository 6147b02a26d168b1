#!/usr/bin/env bash
# test_errors.sh - error learning through the daemons: a missing header, the fix learned from jmake.toml, suggested first to a second project; linker errors in `jmake build`; `jmake errors` and its export.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

write_config
start_daemons

# The orchestrator queues ID.analysis after every failed compilation.
analyse() { # analyse JOB_ID: waits for the analysis the failure of JOB_ID queued, prints its result JSON
    jm job wait "$1.analysis" --timeout 30 >/dev/null
    jm job result "$1.analysis"
}
last_compilation() { jm --json job list | python3 -c 'import json,sys; print(max((j for j in json.load(sys.stdin) if j["type"]=="compilation"), key=lambda j: j["seq"])["id"])'; }
json_get() { python3 -c "import json,sys; r=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

make_project() { # make_project DIR NAME: a library including a header that lives in DIR/third/inc
    mkdir -p "$1/src" "$1/third/inc"
    printf '#include "gizmo.h"\nint %s_value(void) { return GIZMO; }\n' "$2" > "$1/src/a.c"
    printf '#define GIZMO 7\n' > "$1/third/inc/gizmo.h"
    printf '[project]\nname = "%s"\n' "$2" > "$1/jmake.toml"
}

# 1. A build fails on a missing header; the analysis classifies and locates it.
P1=$WORK/one
make_project "$P1" one
out=$(jm build "$P1" 2>&1); rc=$?
check_eq "build without the include folder fails" 1 "$rc"
check "the error names file and line" has "$out" 'src/a.c:1:10: (fatal )?error: gizmo.h: No such file'
job1=$(last_compilation)
check "jmake build printed the suggestion under the error" has "$out" "suggestion: add include folder $P1/third/inc"
check_eq "the failed build was followed by its analysis" completed "$(job_state "$job1.analysis")"
res=$(analyse "$job1")
check_eq "analysis completed" completed "$(printf '%s' "$res" | json_get 'r["state"]')"
check_eq "classified as missing_header" "missing_header gizmo.h src/a.c 1" \
    "$(printf '%s' "$res" | json_get '" ".join(str(x) for x in [r["result"]["errors"][0]["pattern"], r["result"]["errors"][0]["subject"], r["result"]["errors"][0]["file"], r["result"]["errors"][0]["line"]])')"
check_eq "built-in suggestion: the folder holding the header" "builtin $P1/third/inc" \
    "$(printf '%s' "$res" | json_get 'r["result"]["suggestions"][0]["source"] + " " + r["result"]["suggestions"][0]["changes"][0]["value"]')"

# 2. The include folder is added; the build succeeds; the fix is learned (from the job's log, within a few seconds).
printf '[project]\nname = "one"\n[compile]\ninclude_dirs = ["third/inc"]\n' > "$P1/jmake.toml"
jm build "$P1" >/dev/null 2>&1
check_eq "build with the include folder succeeds" 0 "$?"
id=$(printf '%s' "$res" | json_get 'r["result"]["errors"][0]["id"]')
learned() { jm errors show "$id" | grep -q "add include folder $P1/third/inc"; }
check "jmake errors show lists the learned fix" wait_for 10 learned
check "jmake errors list shows the pattern with one fix" has "$(jm errors list)" "^$id +1 +1 +missing_header +gizmo.h"
check_eq "errors show --json: fix count" 1 "$(jm errors show "$id" --json | json_get 'r["fixes"][0]["count"]')"

# 3. A second project failing the same way gets the learned fix first.
P2=$WORK/two
make_project "$P2" two
# Its header is in a folder of its own too, so a built-in suggestion (that folder)
# competes with the learned one: the learned one must still come first.
mkdir -p "$P2/vendor" && mv "$P2/third/inc/gizmo.h" "$P2/vendor/" && rm -rf "$P2/third"
jm build "$P2" >/dev/null 2>&1
res2=$(analyse "$(last_compilation)")
check_eq "second project: the learned fix comes first, with its count" "learned $P1/third/inc 1" \
    "$(printf '%s' "$res2" | json_get 'r["result"]["suggestions"][0]["source"] + " " + r["result"]["suggestions"][0]["changes"][0]["value"] + " " + str(r["result"]["suggestions"][0]["count"])')"

# 4. Linker errors: shown by `jmake build` with symbol, source and line, without ld's summary.
P3=$WORK/dup
mkdir -p "$P3/src"
printf 'int twice(void) { return 1; }\n' > "$P3/src/a.c"
printf '/* b */\nint twice(void) { return 2; }\n' > "$P3/src/b.c"
printf '[project]\nname = "dup"\n' > "$P3/jmake.toml"
out=$(jm build "$P3" 2>&1)
check "multiple definition located in src/b.c line 2" has "$out" "src/b.c:2:0: error: multiple definition of .twice."
check "the summary says the link failed, not that 0 files failed" has "$out" '^the link failed \(none of the 2 sources failed to compile\)'
check "no 'ld returned 1 exit status'" test -z "$(printf '%s\n' "$out" | grep 'ld returned')"
res3=$(analyse "$(last_compilation)")
check_eq "analysis: multiple_definition of twice" "multiple_definition twice" \
    "$(printf '%s' "$res3" | json_get 'r["result"]["errors"][0]["pattern"] + " " + r["result"]["errors"][0]["subject"]')"
P4=$WORK/undef
mkdir -p "$P4/src"
printf 'int missing_fn(void);\n\nint main(void)\n{\n    return missing_fn();\n}\n' > "$P4/src/main.c"
printf '[project]\nname = "undef"\n[binary]\nlibrary_type = "executable"\n' > "$P4/jmake.toml"
out=$(jm build "$P4" 2>&1)
check "undefined reference located in src/main.c line 5" has "$out" "src/main.c:5:0: error: undefined reference to .missing_fn."
printf '[project]\nname = "nolib"\n[binary]\nlibrary_type = "executable"\n[compile]\nlibraries = ["doesnotexist"]\n' > "$P4/jmake.toml"
printf 'int main(void) { return 0; }\n' > "$P4/src/main.c"
out=$(jm build "$P4" 2>&1)
check "cannot find -ldoesnotexist shown" has "$out" "error: cannot find -ldoesnotexist"

# 5. error_analysis of a log file.
printf 'x.c:3:5: error: unknown type name '"'"'widget_t'"'"'\n' > "$WORK/build.log"
printf '[[jobs]]\nid = "an-log"\ntype = "error_analysis"\nargs = { log = "%s" }\n' "$WORK/build.log" > "$WORK/an.toml"
jm submit "$WORK/an.toml" >/dev/null; jm job wait an-log --timeout 30 >/dev/null
check_eq "a log: unknown_type widget_t" "unknown_type widget_t" \
    "$(jm job result an-log | json_get 'r["result"]["errors"][0]["pattern"] + " " + r["result"]["errors"][0]["subject"]')"

# 6. The export.
jm errors export "$WORK/daemon_errors.md" >/dev/null
md=$(cat "$WORK/daemon_errors.md")
check "export: title and statistics" has "$md" '^# jmake daemon errors'
check "export: distinct errors counted" has "$md" '^- distinct errors: [3-9]'
check "export: the pattern with its learned fix" has "$md" "^### $id \`missing_header\`: gizmo.h"
check "export: the fix and its count" has "$md" "^- fix: add include folder $P1/third/inc to \[compile\] include_dirs \(fixed 1 build\)"
check "export: recent errors section" has "$md" '^## Recent errors'
check "export: the linker error among the recent ones" has "$md" 'src/b.c:2: `multiple_definition`'

# 7. The database survives a restart; errors reads it with the daemons stopped.
jm stop >/dev/null
check "errors list with the daemons stopped" has "$(jm errors list)" "missing_header +gizmo.h"
check_eq "unknown id" 2 "$(jm errors show ffffffffffff >/dev/null 2>&1; echo $?)"

echo "$CHECKS checks, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
