#!/usr/bin/env bash
# run.sh - sets everything up and runs the main job: build jmake, start the daemons (home: daemons/), build the test project.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build jmake
export PATH="$PWD/build:$PATH"
daemons/start_all.sh
# The build runs in the daemons; this command only follows its progress and prints the result.
jmake --home daemons build daemons/test_project
daemons/status.sh
echo "Stop the daemons with: daemons/stop_all.sh"
