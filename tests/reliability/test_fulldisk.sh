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

rm -f "$FS/fill"
js submit --type discovery --path "$WORK/scan" --id after >/dev/null; rc=$?
check_eq "with room again, submits are acknowledged" 0 "$rc"
js start discovery >/dev/null
js job wait before after --timeout 30 >/dev/null; rc=$?
check_eq "and the jobs run" 0 "$rc"

js stop >/dev/null
echo "$TEST_NAME: $((CHECKS - FAILURES)) passed, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
