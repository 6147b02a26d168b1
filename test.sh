#!/usr/bin/env bash
# test.sh - builds jmake and runs every test (unit, conformance, integration) with CTest.
# JMAKE_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/.
# JMAKE_CI=1 (set by .ci/run) makes a missing toml-test suite or valgrind an error
# instead of a skipped test; JMAKE_CMAKE_ARGS holds extra cmake arguments
# (e.g. "-DJMAKE_TOML_TEST_DIR=/path/to/toml-test").
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
read -r -a extra_args <<< "${JMAKE_CMAKE_ARGS:-}"
ci=OFF
[ "${JMAKE_CI:-0}" = 1 ] && ci=ON
if [ "${JMAKE_SANITIZE:-0}" = 1 ]; then
    dir=build-asan
    # Any sanitizer report fails the process that printed it (tests and daemons alike).
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJMAKE_SANITIZE=ON -DJMAKE_CI=$ci "${extra_args[@]}" >/dev/null
else
    dir=build
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJMAKE_CI=$ci "${extra_args[@]}" >/dev/null
fi
ninja -C "$dir"
cd "$dir"
ctest --output-on-failure -j2 "$@"
