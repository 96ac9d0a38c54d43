#!/usr/bin/env bash
# Overhead of jitterd on the scheduler's hottest path, measured side by side.
#
#   1. `perf bench sched pipe` pinned to CPU 0, in rounds of three runs:
#      without anything, with the empty calibration programs of
#      scripts/bench/empty_sched.bpf.c (sched_switch, sched_wakeup,
#      sched_wakeup_new), and with jitterd (context switches and run-queue
#      latency; pinned to the other CPU, as on a trading host where it lives
#      on a housekeeping core). Prints every round and the median
#      throughput ratios against "without".
#   2. Per-program cost from the kernel's own BPF stats, one row per hook:
#      the empty program's ns per run beside jitterd's
#      (kernel.bpf_stats_enabled=1 only for this step; the stats' own cost is
#      part of what they report, which is why the empty program is shown).
#
# Usage: scripts/bench/overhead.sh [ROUNDS] [LOOPS]    (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
loops=${2:-500000}
jitterd=build/jitterd
bpfload=build/bench/bpfload
empty_obj=build/bench/empty_sched.bpf.o
bench_cpu=0
daemon_cpu=$(($(nproc) > 1 ? 1 : 0))
tmp=$(mktemp -d)
pid=
stats_was=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	if [ -n "$stats_was" ]; then sysctl -qw kernel.bpf_stats_enabled="$stats_was"; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

printf 'daemon:\n  cpus: "%s"\n' "$daemon_cpu" >"$tmp/jitterd.yaml"

# start jitterd|empty: run it in the background until stop; sets $port for jitterd.
start() {
	: >"$tmp/log"
	if [ "$1" = jitterd ]; then
		"$jitterd" --config "$tmp/jitterd.yaml" --listen 127.0.0.1:0 >"$tmp/log" 2>&1 &
		ready='serving http:'
	else
		taskset -c "$daemon_cpu" "$bpfload" "$empty_obj" >"$tmp/log" 2>&1 &
		ready='^ready$'
	fi
	pid=$!
	for _ in $(seq 200); do
		if grep -q "$ready" "$tmp/log"; then
			port=$(sed -n 's|.*serving http://.*:\([0-9]*\)/metrics.*|\1|p' "$tmp/log")
			return 0
		fi
		sleep 0.05
	done
	cat "$tmp/log" >&2
	echo "overhead.sh: $1 did not start" >&2
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

pipe_ops() {
	taskset -c "$bench_cpu" perf bench sched pipe -l "$loops" 2>/dev/null |
		awk '/ops\/sec/ { print $1 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }

echo "== perf bench sched pipe -l $loops pinned to CPU $bench_cpu; jitterd/bpfload on CPU $daemon_cpu; $(uname -r)"
printf '%5s %12s %12s %12s %8s %8s\n' round without empty jitterd empty/w jitterd/w
: >"$tmp/empty_ratios"
: >"$tmp/jitterd_ratios"
for i in $(seq "$rounds"); do
	without=$(pipe_ops)
	start empty
	empty=$(pipe_ops)
	stop
	start jitterd
	with=$(pipe_ops)
	stop
	ratio "$empty" "$without" >>"$tmp/empty_ratios"
	echo >>"$tmp/empty_ratios"
	ratio "$with" "$without" >>"$tmp/jitterd_ratios"
	echo >>"$tmp/jitterd_ratios"
	printf '%5d %12s %12s %12s %8s %8s\n' "$i" "$without" "$empty" "$with" \
		"$(ratio "$empty" "$without")" "$(ratio "$with" "$without")"
done
echo "median throughput ratio, empty programs / without: $(median <"$tmp/empty_ratios")"
echo "median throughput ratio, jitterd / without:        $(median <"$tmp/jitterd_ratios")"

echo "== per-program cost from kernel BPF stats (kernel.bpf_stats_enabled=1 for this step only)"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
start empty
pipe_ops >/dev/null
# Only the programs bpfload holds: other benchmarks may run empty ones too.
awk '/^prog_id:/ { print $2 }' /proc/"$pid"/fdinfo/* 2>/dev/null | sort -u |
	while read -r id; do
		bpftool prog show id "$id" --json
		echo
	done >"$tmp/empty.json"
stop
start jitterd
pipe_ops >/dev/null
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
stop
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
stats_was=
# One row per hook: the empty program and jitterd's, each in its own run.
python3 - "$tmp/empty.json" "$tmp/metrics" <<'PY'
import json, re, sys
empty = {}
for p in (json.loads(line) for line in open(sys.argv[1]) if line.strip()):
    name = p.get("name", "")
    if name.startswith("empty_") and p.get("run_cnt"):
        hook = name[len("empty_"):]
        hook = "sched_" + ("wakeup_new" if hook == "wakeup_ne" else hook)
        empty[hook] = (p["run_cnt"], p["run_time_ns"] / p["run_cnt"])
runs, secs = {}, {}
for line in open(sys.argv[2]):
    m = re.match(r'jitterd_bpf_program_(runs|run_seconds)_total\{program="([^"]*)"\} (\S+)', line)
    if m:
        (runs if m.group(1) == "runs" else secs)[m.group(2)] = float(m.group(3))
if not any(runs.values()):
    print("overhead.sh: jitterd exported no BPF stats: did something turn "
          "kernel.bpf_stats_enabled off meanwhile?", file=sys.stderr)
print("%-22s %14s %14s %12s" % ("hook", "empty ns/run", "jitterd ns/run", "jitterd runs"))
for hook in sorted(set(empty) | {p for p in runs if runs[p]}):
    e = "%.1f" % empty[hook][1] if hook in empty else "-"
    j = "%.1f" % (secs[hook] * 1e9 / runs[hook]) if runs.get(hook) else "-"
    print("%-22s %14s %14s %12d" % (hook, e, j, runs.get(hook, 0)))
PY
