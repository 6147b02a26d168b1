# test_distcc.sh - compiles through a real distccd on 127.0.0.1: turning distcc on rebuilds nothing and keeps the cache, compiles go through distccd (its log says so) and give the same objects and library as local ones, and a distccd stopped mid-build leaves a build that succeeds here with the fallback counted.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

if ! command -v distccd >/dev/null || ! command -v distcc >/dev/null; then
    if [ -n "${JMAKE_CI:-}" ]; then
        fail "distcc and distccd installed (scripts/install-deps.sh installs them)"
        finish
    fi
    echo "test_distcc: distcc not installed, nothing to test (scripts/install-deps.sh installs it)"
    exit 0
fi

# distccd runs as root only after dropping to another user (--user nobody),
# which must be able to write its log and pid file: they are made beforehand,
# outside the 0700 home.
DCC_DIR=$(mktemp -d /tmp/jmdcc.XXXXXX)
chmod 755 "$DCC_DIR"
DCC_LOG=$DCC_DIR/distccd.log
DCC_PID=$DCC_DIR/distccd.pid
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HOST="127.0.0.1:$PORT"

stop_distccd() {
    local pid
    pid=$(tr -d '\n' < "$DCC_PID" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    # --daemon makes distccd a session leader: its group is itself and its preforked children.
    kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null
    wait_for 5 all_gone "$pid"
    rm -f "$DCC_PID"
}
trap 'stop_distccd; rm -rf "$DCC_DIR"; cleanup' EXIT

start_distccd() {
    : > "$DCC_LOG"
    : > "$DCC_PID"
    chmod 666 "$DCC_LOG" "$DCC_PID"
    local as_user=()
    [ "$(id -u)" = 0 ] && as_user=(--user nobody)
    distccd --daemon --listen 127.0.0.1 --port "$PORT" --allow 127.0.0.1 --jobs 4 \
        --log-file "$DCC_LOG" --verbose --pid-file "$DCC_PID" "${as_user[@]}" ||
        { fail "distccd starts"; exit 1; }
    wait_for 10 grep -q "preforking daemon started" "$DCC_LOG" || { fail "distccd ready"; cat "$DCC_LOG"; exit 1; }
    wait_for 5 sh -c "kill -0 \$(cat '$DCC_PID')" || { fail "distccd wrote its pid file"; exit 1; }
}

# Jobs distccd compiled successfully so far.
remote_ok() { grep -c "COMPILE_OK" "$DCC_LOG" 2>/dev/null || true; }

distcc_config() { # distcc_config HOSTS_TOML
    write_config "max_parallel_builds = 2

[distributed]
engine = \"distcc\"
hosts = $1"
}

field() { # field JSON PYTHON_INDEX
    printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$2"
}

# Compiles every entry of a compile_commands.json here into OUTDIR and checks
# each object byte for byte against the one jmake built.
objects_match_local() { # objects_match_local ROOT OUTDIR
    python3 - "$1" "$2" <<'PY'
import json, os, subprocess, sys, filecmp
root, outdir = sys.argv[1], sys.argv[2]
os.makedirs(outdir, exist_ok=True)
bad = 0
entries = json.load(open(os.path.join(root, "compile_commands.json")))
for i, e in enumerate(entries):
    args = list(e["arguments"])
    built = os.path.join(e["directory"], e["output"])
    mine = os.path.join(outdir, "%d.o" % i)
    for j, a in enumerate(args[:-1]):
        if a == "-o":
            args[j + 1] = mine
        elif a == "-MF":
            args[j + 1] = mine + ".d"
    subprocess.run(args, cwd=e["directory"], check=True)
    if not filecmp.cmp(built, mine, shallow=False):
        print("differs:", e["file"])
        bad += 1
print("%d objects compared, %d differ" % (len(entries), bad))
sys.exit(1 if bad or not entries else 0)
PY
}

start_distccd

# --- 1. test_project: local first, then distcc on -------------------------------
cp -r "$SRC/daemons/test_project" "$WORK/tp"
rm -rf "$WORK/tp/build" "$WORK/tp/.bridge_cache" "$WORK/tp/compile_commands.json"
write_config
start_daemons
json=$(jm build "$WORK/tp" --json); rc=$?
check_eq "local build exits 0" 0 "$rc"
check_eq "local build compiled 4" 4 "$(field "$json" "['files']['compiled']")"
check_eq "no distributed counts without [distributed]" None "$(field "$json" ".get('distributed')")"
cp -r "$WORK/tp/build" "$WORK/local_build"
local_syms=$(nm -D --defined-only "$WORK/tp/build/libmathlib.so" | awk '{print $NF}' | sort)
jm stop >/dev/null

# Every compile goes to distccd (localhost/0: none here by choice).
distcc_config "[\"$HOST/4\", \"localhost/0\"]"
start_daemons
json=$(jm build "$WORK/tp" --json); rc=$?
check_eq "distcc on: build exits 0" 0 "$rc"
check_eq "distcc on: nothing rebuilt (same commands, same record)" 4 "$(field "$json" "['files']['up_to_date']")"
check_eq "distcc on: distccd compiled nothing" 0 "$(remote_ok)"

rm -rf "$WORK/tp/build"
json=$(jm build "$WORK/tp" --json)
check_eq "build folder deleted: every object from the shared cache" 4 "$(field "$json" "['files']['from_cache']")"
check_eq "cache hits never reach distcc" 0 "$(remote_ok)"
check_eq "and count no remote compile" 0 "$(field "$json" "['distributed']['remote']")"

rm -rf "$WORK/tp/build" "$WORK/tp/.bridge_cache"
json=$(jm build "$WORK/tp" --json); rc=$?
check_eq "cache emptied: distcc build exits 0" 0 "$rc"
check_eq "4 compiled" 4 "$(field "$json" "['files']['compiled']")"
check_eq "4 counted remote" 4 "$(field "$json" "['distributed']['remote']")"
check_eq "none here, none fallen back" "0 0" \
    "$(field "$json" "['distributed']['local']") $(field "$json" "['distributed']['fallback']")"
check_eq "distccd's log has the 4 compiles" 4 "$(remote_ok)"
check "distccd's log names a source of the project" grep -q "COMPILE_OK.*src/vector.cpp" "$DCC_LOG"
dist_syms=$(nm -D --defined-only "$WORK/tp/build/libmathlib.so" | awk '{print $NF}' | sort)
check "same exported symbols as the local build" [ -n "$dist_syms" ] && [ "$local_syms" = "$dist_syms" ]
same=0
for o in $(cd "$WORK/local_build" && find obj -name '*.o'); do
    cmp -s "$WORK/local_build/$o" "$WORK/tp/build/$o" && same=$((same + 1))
done
check_eq "every object byte for byte as compiled here (-O2, no -g)" 4 "$same"
cc "$WORK/tp/check_library.c" -ldl -o "$WORK/check" && check "the library works through dlopen" "$WORK/check" "$WORK/tp/build/libmathlib.so"

# --- 2. a generated project through distcc ----------------------------------------
python3 "$SRC/bench/gen_project.py" "$WORK/gen" --sources 40 >/dev/null
before=$(remote_ok)
json=$(jm build "$WORK/gen" --json); rc=$?
check_eq "generated project: build exits 0" 0 "$rc"
check_eq "generated project: 40 compiled, all remote" "40 40" \
    "$(field "$json" "['files']['compiled']") $(field "$json" "['distributed']['remote']")"
check_eq "distccd's log has 40 more compiles" 40 "$(( $(remote_ok) - before ))"
check "generated project: objects identical to local compiles" objects_match_local "$WORK/gen" "$WORK/gen_local"
jm stop >/dev/null

# --- 3. distccd stopped mid-build: the build finishes here ------------------------
# Two remote slots first, two local ones beside them; 120 sources keep the
# build going long enough to stop distccd in the middle.
python3 "$SRC/bench/gen_project.py" "$WORK/mid" --sources 120 --seed 7 >/dev/null
distcc_config "[\"$HOST/2\"]"
start_daemons
before=$(remote_ok)
jm build "$WORK/mid" --json > "$WORK/mid.json" 2>"$WORK/mid.err" &
build_pid=$!
wait_for 60 sh -c "[ \$(grep -c COMPILE_OK '$DCC_LOG') -ge $((before + 6)) ]" || fail "distccd took compiles of the long build"
stop_distccd
wait "$build_pid"; rc=$?
json=$(cat "$WORK/mid.json")
check_eq "distccd stopped mid-build: the build still exits 0" 0 "$rc"
check_eq "all 120 compiled" 120 "$(field "$json" "['files']['compiled']")"
remote=$(field "$json" "['distributed']['remote']")
fallback=$(field "$json" "['distributed']['fallback']")
local_n=$(field "$json" "['distributed']['local']")
check "some compiles went remote before the stop ($remote)" [ "$remote" -ge 6 ]
check "the fallback is counted ($fallback)" [ "$fallback" -ge 1 ]
check_eq "every compile counted once" 120 "$((remote + fallback + local_n))"
check_eq "the result names the failing host" "['$HOST/2']" "$(field "$json" "['distributed']['failed_hosts']")"
failures=$(grep -c "distcc: host $HOST/2 failed" "$TEST_HOME/logs/compilation.log")
check "the compilation log names the failing host once per failure, not per file ($failures)" \
    [ "$failures" -ge 1 -a "$failures" -le 3 ]
check "the job log names the failing host" grep -rqs "failing hosts: $HOST/2" "$TEST_HOME"
check "the library is complete" [ "$(nm -D --defined-only "$WORK/mid/build/"*.so | grep -c ' T ')" -ge 120 ]

finish
