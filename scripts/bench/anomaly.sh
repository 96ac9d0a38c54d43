#!/usr/bin/env bash
# The anomaly detector against injected faults: detection delay, the cause
# it names, time to clear, false positives per hour of quiet, for the live
# detector and for each baseline method replayed over the same recording;
# and the detector's own CPU time per interval. See
# scripts/bench/anomaly_bench.py for the load and the faults.
#
# Usage: scripts/bench/anomaly.sh [QUIET_S] [FAULT_S] [GAP_S]   (root)
#   defaults 600 10 30: ten minutes of quiet, for false positives per hour; a short
#   check is e.g. `scripts/bench/anomaly.sh 60 8 20`. ANOMALY_BENCH_RT=1:
#   the workload and the hog at real-time priority (a shared machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory -s build/jitterd build/bench/anomaly-replay
exec /usr/bin/python3 scripts/bench/anomaly_bench.py build/jitterd build/bench/anomaly-replay \
	"${1:-600}" "${2:-10}" "${3:-30}"
