// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fidelity check for run-queue latency (scripts/bench/runq_fidelity.sh):
 * on the same switches, the wait as the kernel's sched_info clocks give it
 * (rq->clock - next->sched_info.last_queued, no helper call) and as a
 * bpf_ktime_get_ns() stamp taken at wakeup/preemption gives it (jitterd's
 * stamping path). Histograms in fine power-of-two buckets from 0 ns, read by
 * bpftool from .bss. Bucket 0: exactly 0; bucket i: (2^(i-1), 2^i] ns.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define SLOTS	      40
#define RQCF_REQ_SKIP 0x01
#define RQCF_ACT_SKIP 0x02

/* Per CPU (by rq, written under its lock): a wakeup asked __schedule to
 * skip its clock update; the rq clock and ktime then. */
struct skip {
	__u64 clock, ktime;
	__u64 pending;
	__u64 pad[5];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct skip);
} skips SEC(".maps");

static __always_inline void note_skip(struct task_struct *p, bool always)
{
	struct rq *rq = p->se.cfs_rq->rq;
	__u32 cpu = rq->cpu;
	struct skip *sk;

	if (!always && !(rq->clock_update_flags & RQCF_REQ_SKIP))
		return;
	sk = bpf_map_lookup_elem(&skips, &cpu);
	if (!sk)
		return;
	sk->clock = rq->clock;
	sk->ktime = bpf_ktime_get_ns();
	sk->pending = 1;
}

/* One variable, so that its layout is the .bss map's (the reader's offsets). */
struct {
	__u64 ktime[SLOTS];	 /* every sample of the stamping path */
	__u64 si[SLOTS];	 /* every sample of the sched_info path */
	__u64 ktime_si0[SLOTS];	 /* stamping path, where sched_info said 0 */
	__u64 ktime_skip[SLOTS]; /* stamping path, where the rq clock update was skipped */
	__u64 diff[SLOTS];	 /* |stamping - sched_info| where both have a sample */
	__u64 hybrid[SLOTS];	 /* sched_info, the clock read where a skip was pending */
	__u64 hdiff[SLOTS];	 /* |stamping - hybrid| where both have a sample */
	__u64 si_zero_skip, si_zero_noskip, si_pos_skip, si_pos_noskip;
	__u64 both, only_ktime, only_si;
} fid;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} stamps SEC(".maps");

static __always_inline __u32 slot(__u64 v)
{
	__u32 i = 0;

	if (!v)
		return 0;
	v -= 1;
	while (v && i < SLOTS - 2) {
		v >>= 1;
		i++;
	}
	return i + 1 < SLOTS ? i + 1 : SLOTS - 1;
}

static __always_inline void add(__u64 *h, __u64 v)
{
	__u32 s = slot(v);

	if (s < SLOTS)
		__sync_fetch_and_add(&h[s], 1);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(fid_wakeup, struct task_struct *p)
{
	__u32 pid = p->pid;
	__u64 now;

	note_skip(p, false);
	if (!pid || p->on_cpu)
		return 0;
	if (bpf_map_lookup_elem(&stamps, &pid))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&stamps, &pid, &now, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(fid_wakeup_new, struct task_struct *p)
{
	__u32 pid = p->pid;
	__u64 now = bpf_ktime_get_ns();

	note_skip(p, true);
	bpf_map_update_elem(&stamps, &pid, &now, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(fid_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns(), *st, kt = 0, si = 0, hy = 0, lq;
	__u32 ppid = prev->pid, npid = next->pid;
	struct rq *rq = prev->se.cfs_rq->rq;
	bool skip = rq->clock_update_flags & RQCF_ACT_SKIP, has_kt = false, has_si = false;
	unsigned int state = prev->__state;

	if (ppid) {
		if (preempt || state == 0)
			bpf_map_update_elem(&stamps, &ppid, &now, BPF_ANY);
		else
			bpf_map_delete_elem(&stamps, &ppid);
	}
	if (!npid)
		return 0;
	st = bpf_map_lookup_elem(&stamps, &npid);
	if (st) {
		if (now > *st) {
			kt = now - *st;
			has_kt = true;
		}
		bpf_map_delete_elem(&stamps, &npid);
	}
	lq = next->sched_info.last_queued;
	{
		__u32 cpu = rq->cpu;
		struct skip *sk = bpf_map_lookup_elem(&skips, &cpu);
		__u64 clk = rq->clock;

		if (sk && sk->pending) {
			__u64 est = now - (sk->ktime - sk->clock);

			if (est > clk)
				clk = est;
			sk->pending = 0;
		}
		if (lq) {
			hy = clk - lq;
			add(fid.hybrid, hy);
		}
	}
	if (lq) {
		si = rq->clock - lq;
		has_si = true;
	}
	if (has_kt)
		add(fid.ktime, kt);
	if (has_si) {
		add(fid.si, si);
		if (!si)
			__sync_fetch_and_add(skip ? &fid.si_zero_skip : &fid.si_zero_noskip, 1);
		else
			__sync_fetch_and_add(skip ? &fid.si_pos_skip : &fid.si_pos_noskip, 1);
	}
	if (has_kt && has_si) {
		__sync_fetch_and_add(&fid.both, 1);
		add(fid.diff, kt > si ? kt - si : si - kt);
		add(fid.hdiff, kt > hy ? kt - hy : hy - kt);
		if (!si)
			add(fid.ktime_si0, kt);
		if (skip)
			add(fid.ktime_skip, kt);
	} else if (has_kt) {
		__sync_fetch_and_add(&fid.only_ktime, 1);
	} else if (has_si) {
		__sync_fetch_and_add(&fid.only_si, 1);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
