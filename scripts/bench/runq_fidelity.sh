#!/usr/bin/env bash
# Fidelity of run-queue latency from the kernel's sched_info clocks against
# the stamping path, on the same switches (scripts/bench/runq_fidelity.bpf.c
# computes all three on every switch, in buckets from 0 ns):
#   stamping   bpf_ktime_get_ns() at wakeup/preemption and at the switch
#   sched_info rq->clock - next->sched_info.last_queued (what the kernel adds
#              to /proc/PID/schedstat run_delay): no clock read
#   hybrid     sched_info, the time read only at switches that a preempting
#              wakeup left with a stale rq clock (jitterd's sched_info path)
# plus the stamping path's figures for the waits sched_info calls 0, and
# |stamping - sched_info|, |stamping - hybrid| per sample. Loads: `perf bench
# sched pipe` pinned to one CPU (every wakeup preempts), then unpinned
# (wakeups across CPUs, onto idle ones).
#
# Usage: scripts/bench/runq_fidelity.sh [LOOPS]   (root; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/bench/lib.bash
. scripts/bench/lib.bash
loops=${1:-200000}
obj=build/bench/runq_fidelity.bpf.o

report() {
	bpftool -j map dump name runq_fid.bss | python3 -c '
import json, struct, sys
raw = bytes(int(x, 16) for x in json.load(sys.stdin)[0]["value"])
v = struct.unpack("<%dQ" % (len(raw) // 8), raw)
S = 40
names = ["stamping", "sched_info", "stamp|si=0", "stamp|skip", "|st-si|", "hybrid", "|st-hy|"]
h = {n: v[i * S:(i + 1) * S] for i, n in enumerate(names)}
counts = dict(zip(["si_zero_skip", "si_zero_noskip", "si_pos_skip", "si_pos_noskip", "both",
                   "only_stamping", "only_sched_info"], v[7 * S:]))
cols = [n for n in names if n != "stamp|skip"]
print("%-12s" % "bucket (ns)" + "".join("%12s" % n for n in cols))
for i in range(S):
    row = [h[n][i] for n in cols]
    if any(row):
        print("%-12s" % ("0" if i == 0 else "<=%d" % (1 << (i - 1))) + "".join("%12d" % x for x in row))
zero = counts["si_zero_skip"] + counts["si_zero_noskip"]
total = zero + counts["si_pos_skip"] + counts["si_pos_noskip"]
print("sched_info samples %d, of them exactly 0: %d (%.1f%%); samples in both paths %d, stamping only %d, sched_info only %d"
      % (total, zero, 100.0 * zero / max(total, 1), counts["both"], counts["only_stamping"],
         counts["only_sched_info"]))
'
}

for how in pinned unpinned; do
	start empty "$obj"
	if [ "$how" = pinned ]; then
		echo "== perf bench sched pipe -l $loops pinned to CPU $bench_cpu; $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg)"
		taskset -c "$bench_cpu" perf bench sched pipe -l "$loops" >/dev/null 2>&1
	else
		echo "== perf bench sched pipe -l $loops, not pinned; load $(cut -d' ' -f1-3 /proc/loadavg)"
		perf bench sched pipe -l "$loops" >/dev/null 2>&1
	fi
	report
	stop
done
