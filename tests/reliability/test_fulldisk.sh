# test_fulldisk.sh - a home on a small file system: the daemons start on it, a full disk refuses submits with the reason and loses nothing acknowledged, and service resumes when room comes back.
. "$(dirname "$0")/../integration/lib.sh"
# The home is a 3 MiB tmpfs of this test's own (mounting needs root, which CI has).
FS=$(mktemp -d /tmp/jmkfs.XXXXXX)
if ! mount -t tmpfs -o size=3m tmpfs "$FS" 2>/dev/null; then
    rmdir "$FS"
    if [ "${CI:-}" = true ]; then
        fail "mounting a tmpfs for the full-disk test (CI runs as root)"
    else
        echo "note: cannot mount a tmpfs here (not root?): the full-disk checks need it"
    fi
    echo "$TEST_NAME: $((CHECKS - FAILURES)) passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
    exit
fi
SMALL=$FS/home
unmount_fs() { "$JMAKE" --home "$SMALL" stop --grace 2 >/dev/null 2>&1; umount "$FS" 2>/dev/null; rmdir "$FS" 2>/dev/null; cleanup; }
trap unmount_fs EXIT
js() { "$JMAKE" --home "$SMALL" "$@"; }
mkdir -p "$WORK/scan"

js start >/dev/null 2>&1; rc=$?
check_eq "the daemons start on a 3 MiB home" 0 "$rc"
js stop discovery >/dev/null
js submit --type discovery --path "$WORK/scan" --id before >/dev/null
check_eq "a submit with room is acknowledged" pending "$("$JMAKE" --home "$SMALL" job status before 2>/dev/null)"

head -c 16M /dev/zero > "$FS/fill" 2>/dev/null
out=$(js submit --type discovery --path "$WORK/scan" --id during 2>&1); rc=$?
check_eq "a submit on a full disk is refused (exit 2)" 2 "$rc"
check "saying the disk is full" has "$out" 'disk is full'
check "nothing of it was queued" sh -c "! \"$JMAKE\" --home \"$SMALL\" job status during >/dev/null 2>&1"
check "the daemons still answer" js job list
check_eq "the acknowledged job is still there" pending "$("$JMAKE" --home "$SMALL" job status before 2>/dev/null)"
# Its daemon comes back while the store cannot mark the job running: the job
# waits, and the orchestrator waits with it instead of retrying in a busy loop.
# (A bounded wait for the reply: an orchestrator that spins would never send it.)
JMAKE_REPLY_TIMEOUT_MS=5000 js start discovery >/dev/null
orch_pid=$(cat "$SMALL/run/orchestrator.pid")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$orch_pid/stat"; }
t0=$(cpu_ticks); sleep 2; t1=$(cpu_ticks)
echo "orchestrator CPU over 2 s with a job it cannot start: $((t1 - t0)) ticks of $(getconf CLK_TCK)/s"
check "the orchestrator does not spin on a job the full store cannot start" [ $((t1 - t0)) -lt 50 ]
if [ $((t1 - t0)) -ge 50 ]; then
    # A spinning orchestrator answers no one: stop here instead of waiting out every timeout.
    kill -9 "$orch_pid" 2>/dev/null
    pkill -9 -f -- "--home $SMALL" 2>/dev/null
    echo "$TEST_NAME: $((CHECKS - FAILURES)) passed, $FAILURES failed"
    exit 1
fi
check_eq "the job is still pending" pending "$("$JMAKE" --home "$SMALL" job status before 2>/dev/null)"
js stop discovery >/dev/null

rm -f "$FS/fill"
js submit --type discovery --path "$WORK/scan" --id after >/dev/null; rc=$?
check_eq "with room again, submits are acknowledged" 0 "$rc"
js start discovery >/dev/null
js job wait before after --timeout 30 >/dev/null; rc=$?
check_eq "and the jobs run" 0 "$rc"


# The disk fills while a build runs (the project lives elsewhere): the build
# completes, and says what it could not store, once per kind.
make_slow_project "$WORK/proj" 2
printf 'int other(void) { return 2; }\n' > "$WORK/proj/src/other.c"
sed -i 's/^enabled = false/enabled = true/' "$WORK/proj/jmake.toml"
# Its compiles wait for the disk to be full (a flag outside it), so no cache
# entry can be stored before, however loaded the machine.
sed -i "s|^sleep 2$|until [ -e \"$WORK/disk-full\" ]; do sleep 0.05; done|" "$WORK/proj/slowcc.sh"
grep -q disk-full "$WORK/proj/slowcc.sh" || fail "the compiler waits for the full disk"
js build "$WORK/proj" > "$WORK/build.out" 2> "$WORK/build.err" &
build_pid=$!
wait_for 10 some_procs_in "$WORK/proj"
head -c 16M /dev/zero > "$FS/fill" 2>/dev/null
touch "$WORK/disk-full"
# The worker reports the build done; the job database may have no room to
# record it: the orchestrator keeps the outcome and writes it once there is.
daemon_idle() { # daemon_idle NAME: it runs nothing and nothing is pending
    python3 - "$SMALL/run/jmake.sock" "$1" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
body = b'{"v": 1, "op": "status"}'
s.sendall(struct.pack(">I", len(body)) + body)
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
reply = json.loads(s.recv(n, socket.MSG_WAITALL))
d = [x for x in reply["daemons"] if x["name"] == sys.argv[2]][0]
sys.exit(0 if d["running_jobs"] == 0 and reply["queue"]["pending"] == 0 else 1)
PY
}
check "the compilation daemon reports the build done" wait_for 30 daemon_idle compilation
rm -f "$FS/fill"
wait "$build_pid"; rc=$?
cat "$WORK/build.out" "$WORK/build.err"
check_eq "a build whose home fills up meanwhile still completes" 0 "$rc"
err=$(cat "$WORK/build.err")
check "its cache entries not stored, said once" \
    has "$err" '^jmake: warning: cache entry for src/(slow|other)\.c not stored: No space left on device \(and 1 more\)$'
check "its build record not saved, said why" \
    has "$err" '^jmake: warning: build record not saved: .*: No space left on device: the next build checks every file$'
check_eq "the compilation daemon's log has one line per kind" 1 \
    "$(grep -c 'engine: cache entry for .* not stored' "$SMALL/logs/compilation.log" "$SMALL/logs/daemons.err" | awk -F: '{n += $2} END {print n}')"

js stop >/dev/null
wait_for 10 sh -c "! \"$JMAKE\" --home \"$SMALL\" status >/dev/null"

# The build's own outputs on a full disk (its build folder on a second small
# file system, the home elsewhere with room): the build fails, naming the file
# and the reason, and the daemons go on serving.
OUT=$(mktemp -d /tmp/jmkout.XXXXXX)
mount -t tmpfs -o size=1m tmpfs "$OUT"
mkdir -p "$WORK/outfull/src"
for i in 1 2 3; do printf 'int f%d(void) { return %d; }\n' "$i" "$i" > "$WORK/outfull/src/f$i.c"; done
printf '[project]\nname = "outfull"\n[paths]\nbuild = "%s/build"\n[cache]\nenabled = false\n' "$OUT" > "$WORK/outfull/jmake.toml"
head -c 2M /dev/zero > "$OUT/fill" 2>/dev/null
out=$(jm build "$WORK/outfull" 2>&1); rc=$?
check_eq "a build whose objects cannot be written fails (exit 1)" 1 "$rc"
check "naming the file and the full disk" has "$out" "$OUT/build/obj/.*: No space left on device"
# Objects built with room, then only the link left to do on a full disk.
rm -f "$OUT/fill"
jm build "$WORK/outfull" >/dev/null 2>&1 || fail "the project builds with room"
rm -f "$OUT"/build/*.so
avail=$(df -B1 --output=avail "$OUT" | tail -1)
head -c $((avail - 4 * 1024)) /dev/zero > "$OUT/fill" 2>/dev/null
out=$(jm build "$WORK/outfull" 2>&1); rc=$?
echo "$out" | tail -3
check_eq "a build whose library cannot be written fails (exit 1)" 1 "$rc"
check "naming the library and the full disk" has "$out" 'lib[a-z]*\.so.*No space left on device'
check "no half-written library is left" sh -c "! ls \"$OUT\"/build/*.so 2>/dev/null | grep -q ."
rm -f "$OUT/fill"
out=$(jm build "$WORK/outfull" 2>&1); rc=$?
check_eq "with room again it builds" 0 "$rc"
umount "$OUT"; rmdir "$OUT"

# A start on a full disk fails at once with the reason and leaves nothing running.
fill_to() { # fill_to KIB_LEFT
    rm -f "$FS/fill"
    avail=$(df -B1 --output=avail "$FS" | tail -1)
    head -c $((avail - $1 * 1024)) /dev/zero > "$FS/fill" 2>/dev/null
}
start_fails_on_full_disk() { # start_fails_on_full_disk HOME KIB_LEFT EXPECTED_REASON
    fill_to "$2"
    t0=$(date +%s%N)
    err=$("$JMAKE" --home "$1" start 2>&1 >/dev/null); rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "start with $2 KiB left: exit $rc after $ms ms: $err"
    check_eq "a start with $2 KiB left exits 3" 3 "$rc"
    check "naming the cause" has "$err" "$3"
    check "at once, not after the 20 s start timeout" [ "$ms" -lt 5000 ]
    check_eq "and no daemon is left running" 6 "$("$JMAKE" --home "$1" status | grep -c ': Stopped$')"
}
start_fails_on_full_disk "$FS/new0" 0 \
    "^jmake: orchestrator: cannot take the PID file $FS/new0/run/orchestrator.pid: No space left on device$"
start_fails_on_full_disk "$FS/new8" 8 \
    "^jmake: orchestrator: cannot open the job database $FS/new8/jobs.db: No space left on device$"
# A home that has run before needs no new room to start: it starts and refuses what does.
fill_to 0
js start >/dev/null; rc=$?
check_eq "a home that ran before starts on a full disk" 0 "$rc"
out=$(js submit --type discovery --path "$WORK/scan" --id full 2>&1); rc=$?
check_eq "and refuses submits (exit 2)" 2 "$rc"
check "naming the full disk" has "$out" 'No space left on device'
check_eq "the acknowledged jobs are still there" completed "$("$JMAKE" --home "$SMALL" job status after 2>/dev/null)"
js stop >/dev/null
rm -f "$FS/fill"
echo "$TEST_NAME: $((CHECKS - FAILURES)) passed, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
