#!/usr/bin/env bash
# Overhead of the softirq collector, measured side by side.
#
#   1. Loopback TCP throughput (iperf3, client and server pinned to CPU 0, so
#      that the NET_RX/NET_TX softirqs run on the CPU that pays for them), in
#      rounds of three runs: without anything, with the empty calibration
#      programs of scripts/bench/empty_softirq.bpf.c, and with jitterd
#      running the softirq collector only (pinned to the other CPU). Prints
#      every round and the median throughput ratios against "without".
#   2. Per-program cost from the kernel's own BPF stats
#      (kernel.bpf_stats_enabled=1 only for this step), under the same
#      traffic plus synchronous disk writes (device interrupts), for the
#      empty programs and for jitterd's; entry + exit summed per hook pair.
#
# Usage: scripts/bench/softirq.sh [ROUNDS] [SECONDS]   (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/bench/lib.bash
. scripts/bench/lib.bash
rounds=${1:-7}
secs=${2:-3}
empty_obj=build/bench/empty_softirq.bpf.o
iperf_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$tmp/jitterd.yaml" <<EOF
collectors:
  sched: { enabled: false }
  sockets: { enabled: false }
daemon:
  cpus: "$daemon_cpu"
EOF

taskset -c "$bench_cpu" iperf3 --server --bind 127.0.0.1 --port "$iperf_port" >"$tmp/iperf3-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do
	if ss -Hltn "sport = :$iperf_port" | grep -q .; then break; fi
	sleep 0.05
done

iperf_bps() {
	taskset -c "$bench_cpu" iperf3 --client 127.0.0.1 --port "$iperf_port" --time "$secs" --json |
		python3 -c 'import json, sys; print("%.0f" % json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])'
}

echo "== iperf3 loopback TCP, ${secs}s, client and server on CPU $bench_cpu; jitterd/bpfload on CPU $daemon_cpu; $(uname -r); $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
side_by_side "$rounds" iperf_bps "$empty_obj" "$tmp/jitterd.yaml"

# Traffic for the softirq hooks and synchronous writes for the interrupt ones.
load() {
	dd if=/dev/zero of="$tmp/dsync" bs=4k count=3000 oflag=dsync status=none &
	iperf_bps >/dev/null
	wait $!
}

echo "== per-program cost from kernel BPF stats (kernel.bpf_stats_enabled=1 for this step only)"
stats_on
start empty "$empty_obj"
load
empty_prog_ns >"$tmp/empty_ns"
stop
start jitterd "$tmp/jitterd.yaml"
load
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
stop
stats_off
jitterd_prog_ns "$tmp/metrics" >"$tmp/jitterd_ns"
python3 - "$tmp/empty_ns" "$tmp/jitterd_ns" <<'PY'
import sys
# empty_<short> program -> the probe (jitterd's program label) on the same hook
hooks = {"si_raise": "softirq_raise", "si_entry": "softirq_entry", "si_exit": "softirq_exit",
         "irq_entry": "irq_handler_entry", "irq_exit": "irq_handler_exit"}
def read(path, rename=lambda n: n):
    out = {}
    for line in open(path):
        name, runs, ns = line.split()
        out[rename(name)] = (int(runs), float(ns))
    return out
empty = read(sys.argv[1], lambda n: hooks.get(n, n))
jd = read(sys.argv[2])
print("%-20s %12s %8s %12s %8s" % ("hook", "empty runs", "ns/run", "jitterd runs", "ns/run"))
for h in hooks.values():
    e, j = empty.get(h, (0, 0.0)), jd.get(h, (0, 0.0))
    print("%-20s %12d %8.1f %12d %8.1f" % (h, e[0], e[1], j[0], j[1]))
for name, a, b in (("softirq entry + exit", "softirq_entry", "softirq_exit"),
                   ("hardirq entry + exit", "irq_handler_entry", "irq_handler_exit")):
    e = empty.get(a, (0, 0.0))[1] + empty.get(b, (0, 0.0))[1]
    j = jd.get(a, (0, 0.0))[1] + jd.get(b, (0, 0.0))[1]
    print("%s: jitterd %.1f ns, empty programs %.1f ns (target <= 150 ns)" % (name, j, e))
PY
