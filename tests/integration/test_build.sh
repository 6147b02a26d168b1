# test_build.sh - the bundled test project built through the daemons, loaded with dlopen and checked; incremental and failing builds via the CLI.
. "$(dirname "$0")/lib.sh"
# gcc quotes with ASCII in the C locale and with UTF-8 quotes otherwise: both must pass.
export LC_ALL=C
write_config
start_daemons
cp -r "$SRC/daemons/test_project" "$WORK/tp"
rm -rf "$WORK/tp/build" "$WORK/tp/.bridge_cache" "$WORK/tp/compile_commands.json"

out=$(jm build "$WORK/tp" 2>&1); rc=$?
check_eq "jmake build exits 0" 0 "$rc"
check "progress lines name the sources" has "$out" '^\[[0-9]*/4\] src/'
check "summary names the library" has "$out" 'build completed: .*libmathlib.so'
lib="$WORK/tp/build/libmathlib.so"
check "the library exists" [ -f "$lib" ]
cc "$WORK/tp/check_library.c" -ldl -o "$WORK/check" || fail "check_library builds"
check "every API function gives the expected results through dlopen" "$WORK/check" "$lib"
check "compile_commands.json written at the project root" [ -s "$WORK/tp/compile_commands.json" ]

json=$(jm build "$WORK/tp" --json); rc=$?
check_eq "second build exits 0" 0 "$rc"
field() { echo "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
check_eq "nothing changed: 0 compiled" 0 "$(field "['files']['compiled']")"
check_eq "nothing changed: 4 up to date" 4 "$(field "['files']['up_to_date']")"
check_eq "artifact kind" shared "$(field "['artifact']['kind']")"
check "exported API symbols listed" has "$json" 'mathlib_version'

echo '// touched' >> "$WORK/tp/src/vector.cpp"
json=$(jm build "$WORK/tp" --json)
check_eq "one source changed: 1 compiled" 1 "$(field "['files']['compiled']")"

# A syntax error fails the build (exit 1) with located diagnostics; the other files still build.
echo 'int broken( {' >> "$WORK/tp/src/matrix.cpp"
err=$(jm build "$WORK/tp" 2>&1); rc=$?
check_eq "failing build exits 1" 1 "$rc"
check "diagnostic names file and line" has "$err" 'src/matrix.cpp:[0-9]+:[0-9]+: error'
log=$(jm --json job list --limit 5 | python3 -c 'import json,sys; print([j for j in json.load(sys.stdin) if j["type"] == "compilation"][0]["log_path"])')
check "the job log ends with a line break" [ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ]

# Missing project or source folder: rejected at submit (exit 2).
err=$(jm build "$WORK/nowhere" 2>&1); rc=$?
check_eq "missing jmake.toml exits 2" 2 "$rc"
check "and says which file" has "$err" 'nowhere/jmake.toml'
mkdir -p "$WORK/nosrc" && printf '[project]\nname = "x"\n' > "$WORK/nosrc/jmake.toml"
jm build "$WORK/nosrc" >/dev/null 2>&1; rc=$?
check_eq "missing source folder exits 2" 2 "$rc"

# Daemons not running: exit 3 when told not to start them (SPEC 2: --no-start or JMAKE_NO_AUTOSTART=1) ...
jm stop >/dev/null
jm build "$WORK/tp" --no-start >/dev/null 2>&1; rc=$?
check_eq "build --no-start without daemons exits 3" 3 "$rc"
JMAKE_NO_AUTOSTART=1 jm build "$WORK/tp" >/dev/null 2>&1; rc=$?
check_eq "build with JMAKE_NO_AUTOSTART=1 without daemons exits 3" 3 "$rc"
# ... and plain build starts them, saying so on stderr, with only the result on stdout.
cp "$SRC/daemons/test_project/src/matrix.cpp" "$WORK/tp/src/matrix.cpp"
out=$(jm build "$WORK/tp" 2>"$WORK/autostart.err"); rc=$?
check_eq "build without daemons starts them and builds (exit 0)" 0 "$rc"
check "it says on stderr that it started them, and where the home is" \
    has "$(cat "$WORK/autostart.err")" "started them \(home $TEST_HOME\)"
check "stdout has the result line only" has "$out" '^build completed: '
check_eq "stdout is one line" 1 "$(printf '%s\n' "$out" | wc -l)"
check "the daemons run afterwards" jm status

finish
