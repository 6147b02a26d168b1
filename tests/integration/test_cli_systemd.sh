# test_cli_systemd.sh - the systemd user unit (dist/jmake.service.in): systemd-analyze verify --user accepts it, rejects it with a wrong ExecStart, and its ExecStart and ExecStop start and stop the daemons of the home it names.
. "$(dirname "$0")/lib.sh"
write_config
BINDIR=$(cd "$(dirname "$JMAKE")" && pwd)
src=$SRC/dist/jmake.service.in
check "the unit's source exists" test -s "$src"
mkdir -p "$WORK/unit" "$WORK/xdg-runtime" && chmod 700 "$WORK/xdg-runtime"
sed "s|@JMAKE_BINDIR@|$BINDIR|g" "$src" > "$WORK/unit/jmake.service"
check "every placeholder is filled" bash -c '! grep -q @ "$1"' sh "$WORK/unit/jmake.service"
if command -v systemd-analyze >/dev/null; then
    out=$(XDG_RUNTIME_DIR="$WORK/xdg-runtime" systemd-analyze verify --user --man=no "$WORK/unit/jmake.service" 2>&1); rc=$?
    check_eq "systemd-analyze verify --user accepts the unit" 0 "$rc"
    check_eq "and has nothing to say about it" "" "$out"
    mkdir -p "$WORK/bad"
    sed "s|@JMAKE_BINDIR@|$WORK/nowhere|g" "$src" > "$WORK/bad/jmake.service"
    XDG_RUNTIME_DIR="$WORK/xdg-runtime" systemd-analyze verify --user --man=no "$WORK/bad/jmake.service" >/dev/null 2>&1; rc=$?
    check "and rejects one whose jmake does not exist (the check can fail)" [ "$rc" -ne 0 ]
elif [ "${CI:-}" = true ]; then
    fail "systemd-analyze is there to verify the unit"
else
    echo "note: systemd-analyze missing: the unit is not verified"
fi
# What systemd would run, with %S/jmake as the home (Type=forking: ExecStart returns
# once the daemons answer, and the PID file names the orchestrator).
line() { grep "^$1=" "$WORK/unit/jmake.service" | head -n 1 | cut -d= -f2- | sed "s|%S/jmake|$TEST_HOME|g; s|^-||"; }
check_eq "Type=forking" forking "$(line Type)"
read -r -a start_cmd <<<"$(line ExecStart)"
read -r -a stop_cmd <<<"$(line ExecStop)"
"${start_cmd[@]}" >/dev/null; rc=$?
check_eq "ExecStart starts the daemons and returns (exit 0)" 0 "$rc"
pidfile=$(line PIDFile)
check "PIDFile names the live orchestrator when ExecStart returns" kill -0 "$(cat "$pidfile")"
check "all six run" jm status
"${stop_cmd[@]}" >/dev/null; rc=$?
check_eq "ExecStop stops them (exit 0)" 0 "$rc"
check "none runs" bash -c '! "$1" --home "$2" status >/dev/null' sh "$JMAKE" "$TEST_HOME"
finish
