# test_badproj.sh - bad projects through the real daemons: a sources entry that is no C file fails at its jmake.toml line without crashing the compilation daemon or retrying, config warnings reach `jmake build`, sources named like options build.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C
write_config
start_daemons

# A sources entry that is not C, C++ or assembly: once it crashed the
# compilation daemon (SIGSEGV) on every attempt.
mkdir -p "$WORK/notes/src"
echo 'int a(void) { return 1; }' > "$WORK/notes/src/a.c"
echo 'not code' > "$WORK/notes/src/notes.txt"
cat > "$WORK/notes/jmake.toml" <<'TOML'
[compile]
sources = ["src/a.c", "src/notes.txt"]
TOML
before=$(pid_of compilation)
id=$(jm submit --type compilation --config "$WORK/notes/jmake.toml")
jm job wait "$id" --timeout 60 >/dev/null; rc=$?
check_eq "the job fails (exit 1)" 1 "$rc"
check_eq "one attempt: a configuration error is not retried" 1 "$(job_field "$id" attempts)"
reason=$(job_field "$id" reason)
check "the reason names jmake.toml:2:23" has "$reason" 'jmake.toml:2:23: error: .*notes.txt.* is not a C, C\+\+ or assembly source'
check_eq "the compilation daemon did not restart" "$before" "$(pid_of compilation)"
check "the compilation daemon still answers" sh -c "$JMAKE --home $TEST_HOME status | grep -i compilation | grep -qi running"

# /etc/passwd and a missing file: the same kind of error, still no crash.
printf '[compile]\nsources = ["src/a.c",\n  "/etc/passwd"]\n' > "$WORK/notes/jmake.toml"
out=$(jm build "$WORK/notes" 2>&1); rc=$?
check "an absolute non-source is refused" has "$out" 'jmake.toml:3:3: error: .*/etc/passwd'
printf '[compile]\nsources = ["src/a.c", "src/gone.c"]\n' > "$WORK/notes/jmake.toml"
out=$(jm build "$WORK/notes" 2>&1); rc=$?
check "a missing literal source is a jmake.toml error" has "$out" 'jmake.toml:2:23: error: .*src/gone.c.* does not exist'
check_eq "still the same compilation daemon" "$before" "$(pid_of compilation)"

# Warnings about the configuration are in `jmake build` output and its result.
printf '[compile]\nsources = ["src/*.c", "nothing/**/*.c"]\ncolour = "blue"\n' > "$WORK/notes/jmake.toml"
out=$(jm build "$WORK/notes" 2>&1); rc=$?
check_eq "a project with warnings builds" 0 "$rc"
check "an unknown key is shown" has "$out" 'jmake.toml:3:1: warning: unknown key .compile.colour.'
check "a glob that matches nothing is shown" has "$out" 'jmake.toml:2:23: warning: .*nothing/\*\*/\*.c.* matches no source file'
json=$(jm build "$WORK/notes" --json)
check "the result lists the warnings" has "$json" '"warnings":.*jmake.toml:3:1'

# Sources named like compiler options build as files.
mkdir -p "$WORK/dash"
echo 'int e_fn(void) { return 1; }' > "$WORK/dash/-E.c"
echo '#ifdef INJECTED
#error injected
#endif
int inj(void) { return 2; }' > "$WORK/dash/-DINJECTED.c"
printf '[paths]\nsource = "."\n' > "$WORK/dash/jmake.toml"
out=$(jm build "$WORK/dash" 2>&1); rc=$?
check_eq "a project with -E.c and -DINJECTED.c builds" 0 "$rc"
check "both objects exist" [ -f "$WORK/dash/build/obj/-E.c.o" ] && [ -f "$WORK/dash/build/obj/-DINJECTED.c.o" ]

finish
