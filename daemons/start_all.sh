#!/usr/bin/env bash
# start_all.sh - starts the six daemons with this folder as their home (wraps `jmake start`).
here="$(cd "$(dirname "$0")" && pwd)"
JMAKE=${JMAKE:-$(command -v jmake || echo "$here/../build/jmake")}
exec "$JMAKE" --home "$here" start "$@"
