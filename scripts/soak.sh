#!/bin/sh
# Soak: jitterd under load for MINUTES (default 30) with every collector on,
# four scrapers and a UDP flood; passes when memory, fds and counters hold.
# A benchmark, not a CI test: see scripts/soak.py for what it does and judges.
# Needs root and a build (make). Usage: scripts/soak.sh [MINUTES]
set -eu
cd "$(dirname "$0")/.."
[ -x build/jitterd ] || { echo "soak: build/jitterd is missing: run make first" >&2; exit 1; }
exec /usr/bin/python3 scripts/soak.py "$@"
