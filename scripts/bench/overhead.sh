#!/usr/bin/env bash
# Overhead of jitterd on the scheduler's hottest path, measured side by side.
#
#   1. `perf bench sched pipe` pinned to CPU 0, in rounds of one run per
#      case, the cases alternating (the table's columns):
#        without      nothing attached
#        empty        empty tp_btf programs on the hooks the default config
#                     uses (scripts/bench/empty_sched.bpf.c: sched_switch,
#                     sched_wakeup, sched_wakeup_new; empty_softirq.bpf.c:
#                     the softirq collector's five)
#        default      jitterd, default config (run-queue latency from the
#                     sched_info clocks where the kernel has them)
#        stamping     jitterd, default config, JITTERD_ATTACH=tp_btf: the
#                     stamping path (bpf_ktime_get_ns at wakeup and switch)
#        workload     jitterd with a workload (comm "sched-pipe" and
#                     "perf": the benchmark's own tasks) and a socket class
#        runqlat      libbpf-tools' runqlat (package libbpf-tools)
#      jitterd, bpfload and runqlat live on the other CPU, as on a trading
#      host where they run on a housekeeping core. Prints every round and
#      the median throughput ratio of each case against "without".
#   2. Per-program cost from the kernel's own BPF stats, one row per hook:
#      the empty program's ns per run beside jitterd's default and
#      stamping ones (kernel.bpf_stats_enabled=1 only for this step; the
#      stats' own cost is part of what they report, which is why the empty
#      program is shown).
#
# Usage: scripts/bench/overhead.sh [ROUNDS] [LOOPS]    (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/bench/lib.bash
. scripts/bench/lib.bash
rounds=${1:-7}
loops=${2:-500000}
empty_objs="build/bench/empty_sched.bpf.o build/bench/empty_softirq.bpf.o"
runqlat=$(command -v runqlat || echo /usr/sbin/runqlat)

printf 'daemon:\n  cpus: "%s"\n' "$daemon_cpu" >"$tmp/default.yaml"
cat >"$tmp/workload.yaml" <<EOF
daemon:
  cpus: "$daemon_cpu"
workloads:
  - { name: bench, comm: "sched-pipe" }
  - { name: perf, comm: "perf" }
collectors:
  sockets:
    classes:
      - { name: bench, protocol: udp, local_ports: [9] }
EOF

pipe_ops() {
	taskset -c "$bench_cpu" perf bench sched pipe -l "$loops" 2>/dev/null |
		awk '/ops\/sec/ { print $1 }'
}

without() { :; }
# shellcheck disable=SC2086
empty() { start empty $empty_objs; }
default() { start jitterd "$tmp/default.yaml"; }
stamping() { start jitterd "$tmp/default.yaml" JITTERD_ATTACH=tp_btf; }
workload() { start jitterd "$tmp/workload.yaml"; }
runqlat() { start cmd 'Hit Ctrl-C' stdbuf -oL "$runqlat"; } # stdout to a file: line-buffered

cases="without empty default stamping workload"
if [ -x "$runqlat" ]; then
	cases="$cases runqlat"
else
	echo "overhead.sh: no runqlat (Debian package libbpf-tools): that column is left out" >&2
fi

echo "== perf bench sched pipe -l $loops pinned to CPU $bench_cpu; jitterd/bpfload/runqlat on CPU $daemon_cpu; $(uname -r); $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
side_by_side_cases "$rounds" pipe_ops $cases

echo "== per-program cost from kernel BPF stats (kernel.bpf_stats_enabled=1 for this step only)"
stats_on
empty
pipe_ops >/dev/null
empty_prog_ns >"$tmp/empty_ns"
stop
for c in default stamping; do
	$c
	pipe_ops >/dev/null
	curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
	stop
	jitterd_prog_ns "$tmp/metrics" >"$tmp/${c}_ns"
done
stats_off
if [ ! -s "$tmp/default_ns" ]; then
	echo "overhead.sh: jitterd exported no BPF stats: did something turn" \
		"kernel.bpf_stats_enabled off meanwhile?" >&2
fi
# One row per hook: the empty program's (named empty_switch, empty_wakeup,
# empty_wakeup_ne: 15 characters; the softirq ones are left out, the pipe
# hardly runs them) and jitterd's, each in its own run.
python3 - "$tmp/empty_ns" "$tmp/default_ns" "$tmp/stamping_ns" <<'PY'
import sys
def rows(path):
    return {l.split()[0]: l.split()[1:] for l in open(path) if l.strip()}
empty = {"sched_" + ("wakeup_new" if k == "wakeup_ne" else k): v for k, v in rows(sys.argv[1]).items()
         if k in ("switch", "wakeup", "wakeup_ne")}
default, stamping = rows(sys.argv[2]), rows(sys.argv[3])
print("%-18s %8s %10s %10s %12s" % ("hook", "empty ns", "default ns", "stamping ns", "default runs"))
total = [0.0, 0.0, 0.0]
for hook in sorted(empty):
    v = [float(empty[hook][1]), float(default.get(hook, ["", "nan"])[1]),
         float(stamping.get(hook, ["", "nan"])[1])]
    total = [t + x for t, x in zip(total, v)]
    print("%-18s %8.1f %10.1f %10.1f %12s" % (hook, v[0], v[1], v[2], default.get(hook, ["0"])[0]))
print("%-18s %8.1f %10.1f %10.1f" % ("sum of the three", *total))
PY
