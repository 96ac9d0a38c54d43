#!/usr/bin/env bash
# Cost of collectors.sockets.latency (docs/netlat.md), measured side by side.
#
#   1. Per-program cost from the kernel's own BPF stats
#      (kernel.bpf_stats_enabled=1 only for this step) under a loopback UDP
#      flood (iperf3 -u, 64-byte datagrams, as fast as it goes): the empty
#      calibration programs of scripts/bench/empty_netlat.bpf.c on the same
#      hooks, jitterd with latency off (a class on the flood: the queue
#      depths only), with latency on and a class that matches nothing
#      ("unmatched": what every other socket's packets cost), and with
#      latency on and classes on the flood's receiver and sender ("matched").
#   2. Loopback UDP flood, datagrams per second received, in rounds: without
#      anything, with software RX timestamping alone (a socket holding
#      SO_TIMESTAMPING, as jitterd does), latency off, unmatched, matched.
#      Prints every round and the median ratios against "without".
#   3. Loopback TCP stream (iperf3, one connection), bits per second
#      received, in rounds: without anything, latency off, unmatched and
#      matched (TCP classes on the stream's receiver and sender: TCP's
#      receive latency per chunk, hol included, and its send stages).
#   The sched collector is off: the figures are the sockets collector's.
#
# Usage: scripts/bench/netlat.sh [ROUNDS] [SECONDS]  (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
secs=${2:-3}
. scripts/bench/lib.bash
empty_obj=build/bench/empty_netlat.bpf.o
server_cpu=$bench_cpu
client_cpu=$daemon_cpu
server=
tstamp=
trap 'for p in $server $tstamp; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; bench_cleanup' EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
flood_port=$port

config() { # latency classes...
	printf 'daemon:\n  cpus: "%s"\ncollectors:\n  sched: { enabled: false }\n  sockets:\n    latency: %s\n    classes:\n' "$client_cpu" "$1"
	shift
	for c in "$@"; do printf '      - {%s}\n' "$c"; done
}
config false "name: flood-rx, protocol: udp, local_ports: [$flood_port]" \
	"name: flood-tx, protocol: udp, remote_ports: [$flood_port]" >"$tmp/off.yaml"
config true "name: idle-udp, protocol: udp, local_ports: [9]" >"$tmp/unmatched.yaml"
config true "name: flood-rx, protocol: udp, local_ports: [$flood_port]" \
	"name: flood-tx, protocol: udp, remote_ports: [$flood_port]" >"$tmp/matched.yaml"
config false "name: stream-rx, protocol: tcp, local_ports: [$flood_port]" \
	"name: stream-tx, protocol: tcp, remote_ports: [$flood_port]" >"$tmp/tcp-off.yaml"
config true "name: idle-tcp, protocol: tcp, local_ports: [9]" >"$tmp/tcp-unmatched.yaml"
config true "name: stream-rx, protocol: tcp, local_ports: [$flood_port]" \
	"name: stream-tx, protocol: tcp, remote_ports: [$flood_port]" >"$tmp/tcp-matched.yaml"

taskset -c "$server_cpu" iperf3 -s -p "$flood_port" >/dev/null 2>&1 &
server=$!
sleep 0.5

# Datagrams per second the receiver got in one flood.
flood_pps() {
	taskset -c "$client_cpu" iperf3 -c 127.0.0.1 -p "$flood_port" -u -b 0 -l 64 -t "$secs" -J |
		python3 -c '
import json, sys
s = json.load(sys.stdin)["end"]["sum"]
print(int((s["packets"] - s["lost_packets"]) / s["seconds"]))'
}

# Bits per second the receiver got from one TCP stream.
stream_bps() {
	taskset -c "$client_cpu" iperf3 -c 127.0.0.1 -p "$flood_port" -t "$secs" -J |
		python3 -c '
import json, sys
print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'
}

# snapshot COLUMN: "hook runs seconds" of each program so far.
snapshot() {
	if [ "$1" = empty ]; then
		bpftool prog show --json | python3 -c '
import json, sys
hooks = {"empty_readable": "sk_data_ready", "empty_recv": "sock_recv_length",
         "empty_devq": "net_dev_queue", "empty_xstart": "net_dev_start_xmit",
         "empty_xdone": "net_dev_xmit"}
for p in json.load(sys.stdin):
    if p.get("name") in hooks:
        print(hooks[p["name"]], p.get("run_cnt", 0), p.get("run_time_ns", 0) / 1e9)'
	else
		curl -sf "http://127.0.0.1:$port/metrics" | sed -n \
			's/^jitterd_bpf_program_\(runs\|run_seconds\)_total{program="\([^"]*\)"} \(.*\)/\1 \2 \3/p' |
			awk '$1 == "runs" { r[$2] = $3 } $1 == "run_seconds" { s[$2] = $3 }
			     END { for (p in r) print p, r[p], s[p] }' |
			sed -e 's/^rq_btf /sk_data_ready /' -e 's/^recv_btf /sock_recv_length /' \
				-e 's/^devq_btf /net_dev_queue /' -e 's/^xstart_btf /net_dev_start_xmit /' \
				-e 's/^xdone_btf /net_dev_xmit /'
	fi >"$tmp/$1.$2"
}

echo "== per-program cost from kernel BPF stats (kernel.bpf_stats_enabled=1 for this step only); $(uname -r); load: $(uptime)"
echo "   under iperf3 -u -l 64 -b 0 -t $secs over loopback"
stats_on
for col in empty off unmatched matched; do
	if [ "$col" = empty ]; then start empty "$empty_obj"; else start jitterd "$tmp/$col.yaml"; fi
	snapshot "$col" start
	flood_pps >"$tmp/$col.pps"
	snapshot "$col" end
	stop
done
stats_off
python3 - "$tmp" <<'PY'
import sys
cols = ("empty", "off", "unmatched", "matched")
hooks = ("sk_data_ready", "sock_recv_length", "net_dev_queue", "net_dev_start_xmit", "net_dev_xmit")

def read(col, phase):
    out = {}
    for line in open("%s/%s.%s" % (sys.argv[1], col, phase)):
        hook, runs, secs = line.split()
        out[hook] = (float(runs), float(secs))
    return out

print("%-19s %21s %21s %21s %21s" % ("hook: ns/run runs", *cols))
for hook in hooks:
    cells = []
    for c in cols:
        r0, s0 = read(c, "start").get(hook, (0, 0))
        r1, s1 = read(c, "end").get(hook, (0, 0))
        runs = r1 - r0
        cells.append("%8.1f %12d" % ((s1 - s0) * 1e9 / runs, runs) if runs else "%21s" % "-")
    print("%-19s %s" % (hook, " ".join(cells)))
PY

echo "== loopback UDP flood, datagrams/s received: iperf3 -u -l 64 -b 0 -t $secs, server on CPU $server_cpu, client (and jitterd) on CPU $client_cpu"
printf '%5s %10s %10s %10s %10s %10s %7s %7s %7s %7s\n' round without rx_tstamp off unmatch match ts/w off/w unm/w match/w
: >"$tmp/ratios"
for i in $(seq "$rounds"); do
	without=$(flood_pps)
	python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 37, (1 << 3) | (1 << 4))  # SO_TIMESTAMPING: RX_SOFTWARE | SOFTWARE
print("ready", flush=True)
time.sleep(3600)' >"$tmp/tstamp.log" &
	tstamp=$!
	until grep -q ready "$tmp/tstamp.log"; do sleep 0.05; done
	ts=$(flood_pps)
	kill "$tstamp"
	wait "$tstamp" 2>/dev/null || true
	tstamp=
	vals=()
	for col in off unmatched matched; do
		start jitterd "$tmp/$col.yaml"
		vals+=("$(flood_pps)")
		stop
	done
	printf '%5d %10s %10s %10s %10s %10s %7s %7s %7s %7s\n' "$i" "$without" "$ts" "${vals[@]}" \
		"$(ratio "$ts" "$without")" "$(ratio "${vals[0]}" "$without")" \
		"$(ratio "${vals[1]}" "$without")" "$(ratio "${vals[2]}" "$without")"
	echo "$(ratio "$ts" "$without") $(ratio "${vals[0]}" "$without") $(ratio "${vals[1]}" "$without") $(ratio "${vals[2]}" "$without")" >>"$tmp/ratios"
done
for n in 1 2 3 4; do
	name=$(echo "rx_timestamping_alone latency_off unmatched matched" | cut -d' ' -f"$n")
	echo "median ratio to without, $name: $(cut -d' ' -f"$n" "$tmp/ratios" | median)"
done

echo "== loopback TCP stream, bits/s received: iperf3 -t $secs, server on CPU $server_cpu, client (and jitterd) on CPU $client_cpu"
printf '%5s %12s %12s %12s %12s %7s %7s %7s\n' round without off unmatch match off/w unm/w match/w
: >"$tmp/tcp-ratios"
for i in $(seq "$rounds"); do
	without=$(stream_bps)
	vals=()
	for col in tcp-off tcp-unmatched tcp-matched; do
		start jitterd "$tmp/$col.yaml"
		vals+=("$(stream_bps)")
		stop
	done
	printf '%5d %12s %12s %12s %12s %7s %7s %7s\n' "$i" "$without" "${vals[@]}" \
		"$(ratio "${vals[0]}" "$without")" "$(ratio "${vals[1]}" "$without")" \
		"$(ratio "${vals[2]}" "$without")"
	echo "$(ratio "${vals[0]}" "$without") $(ratio "${vals[1]}" "$without") $(ratio "${vals[2]}" "$without")" >>"$tmp/tcp-ratios"
done
for n in 1 2 3; do
	name=$(echo "latency_off unmatched matched" | cut -d' ' -f"$n")
	echo "median TCP ratio to without, $name: $(cut -d' ' -f"$n" "$tmp/tcp-ratios" | median)"
done
