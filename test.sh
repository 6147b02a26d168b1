#!/usr/bin/env bash
# test.sh - builds jmake and runs every test (unit, conformance, integration) with CTest.
# JMAKE_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
if [ "${JMAKE_SANITIZE:-0}" = 1 ]; then
    dir=build-asan
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJMAKE_SANITIZE=ON >/dev/null
else
    dir=build
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$dir"
cd "$dir"
ctest --output-on-failure -j2 "$@"
