// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Scheduler collector, kernel side: one program per sched_switch, in three
 * flavours (tp_btf, raw_tp, classic tracepoint); the daemon's probe layer
 * loads the best one this kernel accepts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sched.h"
#include "task.bpf.h"

/* Set by the daemon from BTF: sched_switch passes prev_state (5.18+). */
const volatile bool switch_has_prev_state = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_sched_cpu);
} sched_cpu SEC(".maps");

static __always_inline void count_switch(bool voluntary, bool idle)
{
	__u32 zero = 0;
	struct jd_sched_cpu *c = bpf_map_lookup_elem(&sched_cpu, &zero);

	if (!c)
		return;
	/* The idle task is never "voluntary": it yields the CPU to work. */
	if (idle)
		c->ctxsw[JD_CTXSW_IDLE]++;
	else if (voluntary)
		c->ctxsw[JD_CTXSW_VOLUNTARY]++;
	else
		c->ctxsw[JD_CTXSW_INVOLUNTARY]++;
}

/*
 * The kernel counts a switch as voluntary (nvcsw) when it was not a
 * preemption and prev was in a sleeping state. Older kernels do not pass
 * prev_state; then the task's own state field still holds it.
 */
static __always_inline bool switch_voluntary(bool preempt, struct task_struct *prev,
					     unsigned int prev_state)
{
	return !preempt && prev_state != 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned int state = switch_has_prev_state ? (unsigned int)ctx[3] : task_state(prev);

	count_switch(switch_voluntary(preempt, prev, state), prev->pid == 0);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned int state = switch_has_prev_state ? (unsigned int)ctx[3] : task_state(prev);

	count_switch(switch_voluntary(preempt, prev, state), BPF_CORE_READ(prev, pid) == 0);
	return 0;
}

/*
 * The classic tracepoint has no preempt flag: prev_state is the reported
 * state bit (0 = running) or TASK_REPORT_MAX (0x100) for a preemption.
 */
SEC("tracepoint/sched/sched_switch")
int switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	long state = ctx->prev_state;

	count_switch((state & 0xff) != 0, ctx->prev_pid == 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
