#!/usr/bin/env bash
# Cost and size of a scrape in each format: text 0.0.4 and OpenMetrics,
# each plain and gzip (what Prometheus gets with Accept-Encoding: gzip).
# jitterd runs pinned to its CPU with every collector, two CPU groups, a
# workload and two socket classes; N scrapes of each kind, one after the
# other, with curl. Prints per kind: bytes on the wire (the body, as curl
# counts it), and the daemon's CPU time per scrape (utime + stime of
# /proc/PID/stat over the N scrapes, in ms; includes rendering, encoding,
# compressing and libmicrohttpd).
#
# Usage: scripts/bench/scrape.sh [SCRAPES]  (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
. scripts/bench/lib.bash

cpus=$(nproc)
cat >"$tmp/jitterd.yaml" <<YAML
cpu_groups:
  housekeeping: "0"
  isolated: "$((cpus > 1 ? 1 : 0))-$((cpus - 1))"
workloads:
  - { name: strategy, comm: "strat*" }
collectors:
  sockets:
    enabled: true
    classes:
      - { name: md-feed, protocol: udp, local_ports: ["30001-30010"] }
      - { name: order-entry, protocol: tcp, remote_ports: [9001] }
YAML
[ "$cpus" -gt 1 ] || sed -i '/cpu_groups/,/isolated/d' "$tmp/jitterd.yaml"
start jitterd "$tmp/jitterd.yaml"
taskset -pc "$daemon_cpu" "$pid" >/dev/null

om='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)

printf '%-18s %10s %14s\n' format bytes "ms CPU/scrape"
for kind in text text+gzip openmetrics openmetrics+gzip; do
	args=(-s -o /dev/null -w '%{size_download}\n')
	case $kind in openmetrics*) args+=(-H "Accept: $om") ;; esac
	case $kind in *gzip) args+=(-H 'Accept-Encoding: gzip') ;; esac
	url="http://127.0.0.1:$port/metrics"
	bytes=$(curl "${args[@]}" "$url")
	before=$(ticks)
	for _ in $(seq "$n"); do curl "${args[@]}" "$url" >/dev/null; done
	after=$(ticks)
	printf '%-18s %10s %14s\n' "$kind" "$bytes" \
		"$(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", 1000 * t / hz / n }')"
done
stop
