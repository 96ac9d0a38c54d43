#!/usr/bin/env bash
# Scrape cost and how it grows with CPUs. Each per-CPU map gives one value
# per possible CPU, and some families have a series per CPU (context
# switches by kind, softirqs and their time by vector, hardirqs): a scrape's
# bytes and time grow with the CPU count. This host has few CPUs, so the
# growth is measured per CPU-row and projected:
#   - bytes per CPU: the lines with a cpu label in one scrape, divided by
#     the possible CPUs (exact);
#   - time per byte: the daemon's own jitterd_scrape_duration_seconds
#     (median of N scrapes) with the default config and with the softirq
#     collector off (fewer per-CPU lines and a smaller per-CPU map), the
#     difference over the difference in bytes (so each byte carries its
#     share of map reading and merging);
#   - projection: default + (CPUS - possible) x bytes per CPU x time per byte.
#
# Usage: scripts/bench/scrape_cpus.sh [SCRAPES] [CPUS]   (root; default 50 scrapes, 256 CPUs)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/bench/lib.bash
. scripts/bench/lib.bash
n=${1:-50}
cpus=${2:-256}
possible=$(awk -F- '{ print ($2 == "" ? $1 : $2) + 1 }' /sys/devices/system/cpu/possible)

printf 'daemon:\n  cpus: "%s"\n' "$daemon_cpu" >"$tmp/default.yaml"
printf 'daemon:\n  cpus: "%s"\ncollectors:\n  softirq: { enabled: false }\n' "$daemon_cpu" >"$tmp/nosoftirq.yaml"

# scrapes CONFIG: "bytes cpu_bytes median_seconds" over n scrapes.
scrapes() {
	start jitterd "$1"
	for _ in $(seq "$n"); do
		curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/m"
		sed -n 's/^jitterd_scrape_duration_seconds \(.*\)/\1/p' "$tmp/m" >>"$tmp/durations"
	done
	stop
	printf '%s %s %s\n' "$(wc -c <"$tmp/m")" \
		"$(grep 'cpu="' "$tmp/m" | awk '{ s += length($0) + 1 } END { print s + 0 }')" \
		"$(median <"$tmp/durations")"
	: >"$tmp/durations"
}

echo "== scrape cost, $n scrapes each, $possible possible CPUs; $(uname -r); $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/durations"
read -r bytes_a cpu_a t_a < <(scrapes "$tmp/default.yaml")
read -r bytes_b cpu_b t_b < <(scrapes "$tmp/nosoftirq.yaml")
python3 - "$possible" "$cpus" "$bytes_a" "$cpu_a" "$t_a" "$bytes_b" "$cpu_b" "$t_b" <<'PY'
import sys
possible, cpus = int(sys.argv[1]), int(sys.argv[2])
ba, ca, ta, bb, cb, tb = (float(x) for x in sys.argv[3:])
per_cpu = ca / possible
per_byte = (ta - tb) / (ba - bb) if ba > bb and ta > tb else ta / ba
print("%-26s %10s %14s %12s" % ("config", "bytes", "per-CPU bytes", "median ms"))
print("%-26s %10d %14d %12.3f" % ("default", ba, ca, ta * 1e3))
print("%-26s %10d %14d %12.3f" % ("softirq collector off", bb, cb, tb * 1e3))
print("bytes per CPU (default): %.0f; time per byte: %.2f ns" % (per_cpu, per_byte * 1e9))
t = ta + (cpus - possible) * per_cpu * per_byte
b = ba + (cpus - possible) * per_cpu
print("projected for %d CPUs: %.0f KB, %.2f ms a scrape (target < 5 ms)" % (cpus, b / 1e3, t * 1e3))
PY
