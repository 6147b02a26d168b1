#!/usr/bin/env bash
# stop_all.sh - stops the daemons of this folder's home gracefully (wraps `jmake stop`).
here="$(cd "$(dirname "$0")" && pwd)"
JMAKE=${JMAKE:-$(command -v jmake || echo "$here/../build/jmake")}
exec "$JMAKE" --home "$here" stop "$@"
