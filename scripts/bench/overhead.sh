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
. scripts/bench/lib.bash
rounds=${1:-7}
loops=${2:-500000}
empty_obj=build/bench/empty_sched.bpf.o

printf 'daemon:\n  cpus: "%s"\ncollectors:\n  softirq: { enabled: false }\n' \
	"$daemon_cpu" >"$tmp/jitterd.yaml"

pipe_ops() {
	taskset -c "$bench_cpu" perf bench sched pipe -l "$loops" 2>/dev/null |
		awk '/ops\/sec/ { print $1 }'
}

echo "== perf bench sched pipe -l $loops pinned to CPU $bench_cpu; jitterd (sched collector) / bpfload on CPU $daemon_cpu; $(uname -r)"
side_by_side "$rounds" pipe_ops "$empty_obj" "$tmp/jitterd.yaml"

echo "== per-program cost from kernel BPF stats (kernel.bpf_stats_enabled=1 for this step only)"
stats_on
start empty "$empty_obj"
pipe_ops >/dev/null
empty_prog_ns >"$tmp/empty_ns"
stop
start jitterd "$tmp/jitterd.yaml"
pipe_ops >/dev/null
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
stop
stats_off
jitterd_prog_ns "$tmp/metrics" >"$tmp/jitterd_ns"
if [ ! -s "$tmp/jitterd_ns" ]; then
	echo "overhead.sh: jitterd exported no BPF stats: did something turn" \
		"kernel.bpf_stats_enabled off meanwhile?" >&2
fi
# One row per hook: the empty program's (named empty_switch, empty_wakeup,
# empty_wakeup_ne: 15 characters) and jitterd's, each in its own run.
python3 - "$tmp/empty_ns" "$tmp/jitterd_ns" <<'PY'
import sys
def rows(path):
    return {l.split()[0]: l.split()[1:] for l in open(path) if l.strip()}
empty = {"sched_" + ("wakeup_new" if k == "wakeup_ne" else k): v for k, v in rows(sys.argv[1]).items()}
jd = rows(sys.argv[2])
print("%-22s %14s %14s %12s" % ("hook", "empty ns/run", "jitterd ns/run", "jitterd runs"))
for hook in sorted(set(empty) | set(jd)):
    print("%-22s %14s %14s %12s" % (hook, empty.get(hook, ["", "-"])[1],
                                    jd.get(hook, ["", "-"])[1], jd.get(hook, ["0"])[0]))
PY
