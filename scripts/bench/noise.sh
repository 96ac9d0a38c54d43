#!/usr/bin/env bash
# Overhead of the noise collector, measured side by side.
#
#   1. An IPI storm (tests/integration/ipi_load.py: two threads of one
#      process on two CPUs, membarrier() and mprotect() in a loop, each
#      round an IPI or a TLB shootdown to the other CPU), its rounds a
#      second as the throughput, in rounds of three runs: without
#      anything, with the empty calibration programs of
#      scripts/bench/empty_noise.bpf.c, and with jitterd running the noise
#      collector only. The load needs two CPUs, so on a 2-CPU machine
#      jitterd shares one of them with it. Prints every round and the median
#      ratios against "without".
#   2. Per-program cost from the kernel's own BPF stats
#      (kernel.bpf_stats_enabled=1 only for this step), under the same load
#      plus a task sleeping 0.5 ms at a time (hrtimer expiries), for the
#      empty programs and for jitterd's; entry + exit summed per vector.
#
# Usage: scripts/bench/noise.sh [ROUNDS] [SECONDS]   (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/bench/lib.bash
. scripts/bench/lib.bash
rounds=${1:-7}
secs=${2:-3}
empty_obj=build/bench/empty_noise.bpf.o
trap bench_cleanup EXIT

if [ "$(nproc)" -lt 2 ]; then
	echo "$0: the IPI load needs two CPUs" >&2
	exit 1
fi

cat >"$tmp/jitterd.yaml" <<EOF
collectors:
  sched: { enabled: false }
  softirq: { enabled: false }
  sockets: { enabled: false }
  noise: { enabled: true }
daemon:
  cpus: "$daemon_cpu"
EOF

ipi_rounds_per_s() {
	python3 tests/integration/ipi_load.py "$secs" |
		python3 -c "import json, sys; print('%.0f' % (json.load(sys.stdin)['rounds'] / $secs))"
}

echo "== IPI storm (ipi_load.py, ${secs}s, CPUs 0 and 1); jitterd/bpfload on CPU $daemon_cpu; $(uname -r); $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
side_by_side "$rounds" ipi_rounds_per_s "$empty_obj" "$tmp/jitterd.yaml"

load() {
	python3 -c 'import time
for _ in range(2000): time.sleep(0.0005)' &
	ipi_rounds_per_s >/dev/null
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
hooks = {"lt_in": "local_timer_entry", "lt_out": "local_timer_exit",
         "res_in": "reschedule_entry", "res_out": "reschedule_exit",
         "cf_in": "call_function_entry", "cf_out": "call_function_exit",
         "cfs_in": "call_function_single_entry", "cfs_out": "call_function_single_exit",
         "nmi": "nmi_handler", "tlb": "tlb_flush", "csd": "csd_function_entry",
         "ipi_cpu": "ipi_send_cpu", "ipi_mask": "ipi_send_cpumask",
         "hrtimer": "hrtimer_expire_entry", "tick_stop": "tick_stop"}
def read(path, rename=lambda n: n):
    out = {}
    for line in open(path):
        name, runs, ns = line.split()
        out[rename(name)] = (int(runs), float(ns))
    return out
empty = read(sys.argv[1], lambda n: hooks.get(n, n))
jd = read(sys.argv[2])
print("%-28s %12s %8s %12s %8s" % ("hook", "empty runs", "ns/run", "jitterd runs", "ns/run"))
for h in hooks.values():
    e, j = empty.get(h, (0, 0.0)), jd.get(h, (0, 0.0))
    print("%-28s %12d %8.1f %12d %8.1f" % (h, e[0], e[1], j[0], j[1]))
for v in ("local_timer", "reschedule", "call_function", "call_function_single"):
    a, b = v + "_entry", v + "_exit"
    e = empty.get(a, (0, 0.0))[1] + empty.get(b, (0, 0.0))[1]
    j = jd.get(a, (0, 0.0))[1] + jd.get(b, (0, 0.0))[1]
    print("%s entry + exit: jitterd %.1f ns, empty programs %.1f ns" % (v, j, e))
PY
