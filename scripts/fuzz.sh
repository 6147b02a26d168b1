#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets of fuzz/ and runs each for SECONDS (default 60) on a copy of its seed corpus; fails on any crash.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (TARGET: toml wire ccdiag depfile elf; default all)
# The build folder is build-fuzz/ (JMAKE_FUZZ_BUILD_DIR to change it);
# JMAKE_CMAKE_ARGS holds extra cmake arguments, as for test.sh.
# The committed corpus in fuzz/corpus/ is never written: each run works on a
# copy in a scratch folder, kept (and named) when a target fails, so the
# crashing input can be committed as a regression seed after the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi
all_targets=(toml wire ccdiag depfile elf)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [ -d "fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t' (known: ${all_targets[*]})" >&2; exit 2; }
done

if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang is needed (scripts/install-deps.sh installs it)" >&2
    exit 2
fi
dir=${JMAKE_FUZZ_BUILD_DIR:-build-fuzz}
read -r -a extra_args <<< "${JMAKE_CMAKE_ARGS:-}"
CC=clang cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJMAKE_FUZZ=ON "${extra_args[@]}" >/dev/null
# Only the fuzz targets: the rest of the project is not needed to fuzz.
ninja -C "$dir" fuzz

scratch=$(mktemp -d "${TMPDIR:-/tmp}/jmake-fuzz.XXXXXX")
failed=()
for t in "${targets[@]}"; do
    corpus="$scratch/$t/corpus"
    artifacts="$scratch/$t/artifacts"
    log="$scratch/$t/log"
    mkdir -p "$corpus" "$artifacts"
    cp -r "fuzz/corpus/$t/." "$corpus/"
    seeds=$(find "$corpus" -type f | wc -l)
    echo "== fuzz_$t: ${seconds} s from $seeds seeds"
    rc=0
    # -timeout: an input that takes 10 s is a hang, reported as a failure;
    # leaks are failures too (libFuzzer's default under ASan).
    "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    # The last status line holds the final coverage: "#N ... cov: C ft: F corp: U/S ...".
    status=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$status")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$status")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<< "$status")
    files=$(find "$corpus" -type f | wc -l)
    echo "fuzz_$t: ${execs:-?} executions (${rate:-?}/s), cov: ${cov:-?} ft: ${ft:-?}, corpus ${corp:-?} (units/bytes), $seeds seeds -> $files files"
    crashes=$(find "$artifacts" -type f | wc -l)
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        echo "fuzz_$t: FAILED (exit $rc); the report:" >&2
        grep -E -A40 '^==[0-9]+==|runtime error|^SUMMARY' "$log" | head -80 >&2 || tail -40 "$log" >&2
        find "$artifacts" -type f -exec echo "fuzz_$t: input saved as {}" \; >&2
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (logs, corpora and inputs kept in $scratch)" >&2
    exit 1
fi
rm -rf "$scratch"
echo "fuzz.sh: ${#targets[@]} targets, ${seconds} s each, no crash"
