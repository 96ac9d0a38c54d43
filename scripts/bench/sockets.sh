#!/usr/bin/env bash
# Cost of the sockets collector, measured side by side.
#
#   1. Per-program cost from the kernel's own BPF stats
#      (kernel.bpf_stats_enabled=1 only for this step), under the same load
#      for each column: the empty calibration programs of
#      scripts/bench/empty_sockets.bpf.c, jitterd with classes that match
#      none of the load's sockets ("unmatched": what every other socket on
#      a host costs), and jitterd with classes that match all of them
#      ("matched"). The load is loopback TCP (iperf3) and a UDP burst into
#      a receiver that does not read (drops: skb:kfree_skb).
#   2. Loopback TCP throughput (iperf3, server on CPU 0, client on the
#      other CPU), in rounds of three runs: without anything, with the
#      empty programs, with jitterd (classes matching the benchmark's port,
#      pinned with the client, as on a housekeeping core). Prints every
#      round and the median throughput ratios against "without".
#   jitterd runs with the sched collector off in both steps: the figures
#   are the sockets collector's (scripts/bench/overhead.sh has sched's).
#
# Usage: scripts/bench/sockets.sh [ROUNDS] [SECONDS]  (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
secs=${2:-3}
. scripts/bench/lib.bash
empty_obj=build/bench/empty_sockets.bpf.o
server_cpu=$bench_cpu
client_cpu=$daemon_cpu
server=
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; bench_cleanup' EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
tcp_port=$(free_port)
udp_port=$(free_port)

# Classes on ports that nothing here uses (9: discard), and on the load's.
# The sched collector is off: these figures are the sockets collector's.
classes() {
	printf 'daemon:\n  cpus: "%s"\ncollectors:\n  sched: { enabled: false }\n  sockets:\n    classes:\n' "$client_cpu"
	for c in "$@"; do printf '      - {%s}\n' "$c"; done
}
classes "name: idle-tcp, protocol: tcp, local_ports: [9]" \
	"name: idle-udp, protocol: udp, local_ports: [9]" >"$tmp/unmatched.yaml"
classes "name: bench-server, protocol: tcp, local_ports: [$tcp_port]" \
	"name: bench-client, protocol: tcp, remote_ports: [$tcp_port]" \
	"name: bench-udp, protocol: udp, local_ports: [$udp_port]" >"$tmp/matched.yaml"

# run empty|unmatched|matched: start (lib.bash) the loader or jitterd with that config.
run() {
	if [ "$1" = empty ]; then
		start empty "$empty_obj"
	else
		start jitterd "$tmp/$1.yaml"
	fi
}

taskset -c "$server_cpu" iperf3 -s -p "$tcp_port" >/dev/null 2>&1 &
server=$!
sleep 0.5

# Received bits per second of one loopback TCP run.
tcp_bps() {
	taskset -c "$client_cpu" iperf3 -c 127.0.0.1 -p "$tcp_port" -t "$secs" -J |
		python3 -c 'import json, sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'
}

# A burst into a UDP receiver that does not read: a few enqueues, many drops.
udp_burst() {
	python3 - "$udp_port" <<'PY'
import socket, sys
port = int(sys.argv[1])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
rx.bind(("127.0.0.1", port))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(200000):
    tx.sendto(b"b" * 200, ("127.0.0.1", port))
PY
}

# snapshot empty|unmatched|matched PHASE: "hook runs seconds" of each program so far.
snapshot() {
	if [ "$1" = empty ]; then
		bpftool prog show --json | python3 -c '
import json, sys
hooks = {"empty_readable": "sk_data_ready", "empty_send": "sock_send_length",
         "empty_ack": "tcp_probe", "empty_drop": "kfree_skb"}
for p in json.load(sys.stdin):
    if p.get("name") in hooks:
        print(hooks[p["name"]], p.get("run_cnt", 0), p.get("run_time_ns", 0) / 1e9)'
	else
		curl -sf "http://127.0.0.1:$port/metrics" | sed -n \
			's/^jitterd_bpf_program_\(runs\|run_seconds\)_total{program="\([^"]*\)"} \(.*\)/\1 \2 \3/p' |
			awk '$1 == "runs" { r[$2] = $3 } $1 == "run_seconds" { s[$2] = $3 }
			     END { for (p in r) print p, r[p], s[p] }'
	fi >"$tmp/$1.$2"
}

echo "== per-program cost from kernel BPF stats (kernel.bpf_stats_enabled=1 for this step only); $(uname -r)"
echo "   TCP hooks under iperf3 -t $secs over loopback; kfree_skb under 200000 UDP datagrams into a full receiver"
stats_on
for run in empty unmatched matched; do
	run "$run"
	snapshot "$run" start
	tcp_bps >/dev/null
	snapshot "$run" tcp
	udp_burst
	snapshot "$run" udp
	stop
done
stats_off
python3 - "$tmp" <<'PY'
import sys
cols = ("empty", "unmatched", "matched")
# Each hook is measured over the phase of the load that exercises it.
phases = {"sk_data_ready": ("start", "tcp"), "sock_send_length": ("start", "tcp"),
          "tcp_probe": ("start", "tcp"), "kfree_skb": ("tcp", "udp")}

def read(col, phase):
    out = {}
    for line in open("%s/%s.%s" % (sys.argv[1], col, phase)):
        hook, runs, secs = line.split()
        out[hook] = (float(runs), float(secs))
    return out

print("%-17s %21s %21s %21s" % ("hook: ns/run runs", *cols))
for hook, (a, b) in phases.items():
    cells = []
    for c in cols:
        r0, s0 = read(c, a).get(hook, (0, 0))
        r1, s1 = read(c, b).get(hook, (0, 0))
        runs = r1 - r0
        cells.append("%8.1f %12d" % ((s1 - s0) * 1e9 / runs, runs) if runs else "%21s" % "-")
    print("%-17s %s" % (hook, " ".join(cells)))
PY

echo "== loopback TCP throughput: iperf3 -t $secs, server on CPU $server_cpu, client (and jitterd/bpfload) on CPU $client_cpu"
side_by_side "$rounds" tcp_bps "$empty_obj" "$tmp/matched.yaml"
