#!/usr/bin/env bash
# The cost of application spans (docs/spans.md "Cost"):
#
#   1. ns per record in the component (build/bench/span_bench, linked with
#      libjitterd-span), beside a bare clock_gettime() pair and rdtsc, with
#      1 and 64 spans and 2 threads at once, against a jitterd (spans
#      collector only) that drains its rings; best of 8 rounds of 2^19.
#   2. jitterd's CPU per million records: its utime + stime (/proc) over
#      MILLIONS records, less its CPU over as long a time without records.
#   3. Memory per ring (32 bytes a record + 192 of header).
#
# Usage: scripts/bench/spans.sh [MILLIONS]   (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/bench/lib.bash
. scripts/bench/lib.bash
millions=${1:-20}
bench=build/bench/span_bench

cat >"$tmp/jitterd.yaml" <<EOF
workloads:
  - { name: bench, comm: "span_bench*" }
collectors:
  sched: { enabled: false }
  softirq: { enabled: false }
  sockets: { enabled: false }
  spans: { socket: "$tmp/spans.sock", max_slots: 1048576 }
daemon:
  cpus: "$daemon_cpu"
EOF
start jitterd "$tmp/jitterd.yaml"
echo "load: $(uptime)"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

taskset -c "$bench_cpu" "$bench" "$tmp/spans.sock" "$millions" >"$tmp/bench.out" &
bench_pid=$!
until grep -q '^publishing' "$tmp/bench.out"; do
	kill -0 "$bench_pid" 2>/dev/null || { cat "$tmp/bench.out"; exit 1; }
	sleep 0.1
done
c0=$(cpu_ticks)
w0=$(date +%s.%N)
wait "$bench_pid"
sleep 0.3
c1=$(cpu_ticks)
w1=$(date +%s.%N)
wall=$(echo "$w1 - $w0" | bc)
# The same time without records: what jitterd's loop costs anyway.
sleep "$wall"
c2=$(cpu_ticks)
hz=$(getconf CLK_TCK)
sed '/^publishing/d' "$tmp/bench.out"
awk -v a="$c0" -v b="$c1" -v c="$c2" -v hz="$hz" -v m="$millions" -v w="$wall" 'BEGIN {
	busy = (b - a) / hz; idle = (c - b) / hz
	printf "jitterd CPU: %.2f s over %.1f s with %d million records, %.2f s without: %.1f ms per million records\n",
		busy, w, m, idle, (busy - idle) * 1000 / m
}'
