#!/usr/bin/env bash
# status.sh - one line per daemon of this folder's home (wraps `jmake status`).
here="$(cd "$(dirname "$0")" && pwd)"
JMAKE=${JMAKE:-$(command -v jmake || echo "$here/../build/jmake")}
exec "$JMAKE" --home "$here" status "$@"
