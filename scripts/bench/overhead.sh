#!/usr/bin/env bash
# Overhead of jitterd on the scheduler's hottest path, measured side by side:
#   1. `perf bench sched pipe` pinned to CPU 0, alternating without and with
#      jitterd running (jitterd pinned to the other CPU, as on a trading host
#      where it lives on a housekeeping core): median throughput ratio.
#   2. Per-program cost from the kernel's own BPF stats
#      (kernel.bpf_stats_enabled=1 only for this step; its own ~25 ns are
#      included in what it reports).
# Usage: scripts/bench/overhead.sh [PAIRS] [LOOPS]     (needs root)
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-7}
loops=${2:-500000}
jitterd=build/jitterd
bench_cpu=0
daemon_cpu=$(($(nproc) > 1 ? 1 : 0))
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${stats_was:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	rm -rf "$tmp"
}
trap cleanup EXIT

printf 'daemon:\n  cpus: "%s"\n' "$daemon_cpu" >"$tmp/jitterd.yaml"

start_jitterd() {
	"$jitterd" --config "$tmp/jitterd.yaml" --listen 127.0.0.1:0 >"$tmp/log" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		port=$(sed -n 's/.*serving http:.* (port \([0-9]*\)).*/\1/p' "$tmp/log")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	cat "$tmp/log" >&2
	echo "jitterd did not start" >&2
	exit 1
}

stop_jitterd() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

pipe_ops() {
	taskset -c "$bench_cpu" perf bench sched pipe -l "$loops" 2>/dev/null |
		awk '/ops\/sec/ { print $1 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== perf bench sched pipe -l $loops, pinned to CPU $bench_cpu; jitterd on CPU $daemon_cpu"
echo "pair  without(ops/s)  with(ops/s)  ratio"
: >"$tmp/ratios"
for i in $(seq "$pairs"); do
	without=$(pipe_ops)
	start_jitterd
	with=$(pipe_ops)
	stop_jitterd
	ratio=$(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.4f", a / b }')
	echo "$ratio" >>"$tmp/ratios"
	printf '%4d  %14s  %11s  %s\n' "$i" "$without" "$with" "$ratio"
done
echo "median ratio (with/without): $(median <"$tmp/ratios")"

echo "== per-program cost (kernel BPF stats, includes the stats' own overhead)"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
start_jitterd
pipe_ops >/dev/null
curl -s "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
stop_jitterd
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
stats_was=
awk '
	/^jitterd_bpf_program_runs_total/ { match($0, /program="[^"]*"/); p = substr($0, RSTART + 9, RLENGTH - 10); runs[p] = $NF }
	/^jitterd_bpf_program_run_seconds_total/ { match($0, /program="[^"]*"/); p = substr($0, RSTART + 9, RLENGTH - 10); secs[p] = $NF }
	END {
		printf "%-24s %12s %10s\n", "program", "runs", "ns/run"
		for (p in runs)
			printf "%-24s %12d %10.1f\n", p, runs[p], runs[p] ? secs[p] * 1e9 / runs[p] : 0
	}' "$tmp/metrics"
