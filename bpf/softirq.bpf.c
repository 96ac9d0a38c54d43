// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Softirq and hardirq collector, kernel side. Five hooks, each in three
 * flavours (tp_btf, raw_tp, classic tracepoint); the daemon's probe layer
 * loads the best one this kernel accepts.
 *
 * Everything lives in one per-CPU value: a softirq runs, and is raised, on
 * one CPU (raise_softirq() marks the local CPU's pending mask), and a CPU
 * runs one softirq at a time (handle_softirqs() does not nest; on
 * PREEMPT_RT a per-CPU lock serialises the threads that run them), so one
 * entry stamp per CPU, with its vector, is all a run needs, the stamps never
 * need another CPU's view, and nothing is shared.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "softirq.h"
#include "events.bpf.h"
#include "flavours.bpf.h"
#include "hist.bpf.h"

/* events.softirq_duration_threshold; set by the daemon, rewritten on a reload. */
__u64 softirq_threshold_ns = 50000;
/* events.hardirq_duration_threshold, likewise. */
__u64 hardirq_threshold_ns = 20000;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_softirq_cpu);
} softirq_cpu SEC(".maps");

static __always_inline struct jd_softirq_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&softirq_cpu, &zero);
}

/*
 * Only the first raise is stamped: later raises while the vector is pending
 * are the same pending bit, handled by the same run. The stamp is cleared
 * when the run starts, so a raise during the run (net_rx_action re-raising
 * itself) times the next run.
 */
static __always_inline void on_softirq_raise(__u32 vec)
{
	struct jd_softirq_cpu *c = this_cpu();

	if (c && vec < JD_NR_SOFTIRQS && !c->vec[vec].raise_ns)
		c->vec[vec].raise_ns = bpf_ktime_get_ns();
}

/* Counted here, like /proc/softirqs (kstat_incr_softirqs_this_cpu). */
static __always_inline void on_softirq_entry(__u32 vec)
{
	struct jd_softirq_cpu *c = this_cpu();
	struct jd_softirq_vec *v;
	__u64 now, raised;

	if (!c || vec >= JD_NR_SOFTIRQS)
		return;
	v = &c->vec[vec];
	now = bpf_ktime_get_ns();
	v->count++;
	c->entry_ns = now;
	c->entry_vec = vec;
	c->hardirq_in_softirq_ns = 0;
	raised = v->raise_ns;
	if (raised) {
		v->raise_ns = 0;
		hist_ns_add_apart(v->latency, &v->latency_sum, now - raised);
	}
}

static __always_inline void report_long_run(__u32 vec, __u64 duration, __u64 hardirq)
{
	struct jd_softirq_event *e = event_reserve(sizeof(*e), JD_SOFTIRQ_EVENT_LONG_RUN);

	if (!e)
		return;
	e->duration_ns = duration;
	e->hardirq_ns = hardirq;
	e->vector = vec;
	e->pad = 0;
	event_submit(e);
}

/*
 * A run without an entry stamp (of its vector) was already under way when
 * jitterd attached: no sample. The stamp is cleared in any case, so nothing
 * is counted twice. Handler time that interrupted the run belongs to the
 * hardirq counters, not to the softirq.
 */
static __always_inline void on_softirq_exit(__u32 vec)
{
	struct jd_softirq_cpu *c = this_cpu();
	__u64 start, elapsed, hardirq, d;

	if (!c || vec >= JD_NR_SOFTIRQS)
		return;
	start = c->entry_ns;
	c->entry_ns = 0;
	if (!start || c->entry_vec != vec)
		return;
	elapsed = bpf_ktime_get_ns() - start;
	hardirq = c->hardirq_in_softirq_ns;
	d = elapsed > hardirq ? elapsed - hardirq : 0;
	hist_ns_add_apart(c->vec[vec].duration, &c->vec[vec].duration_sum, d);
	if (d > softirq_threshold_ns)
		report_long_run(vec, d, hardirq);
}

/* Counted per handler: a shared line with N actions runs N handlers. */
static __always_inline void on_irq_entry(void)
{
	struct jd_softirq_cpu *c = this_cpu();

	if (!c)
		return;
	c->hardirqs++;
	c->hardirq_entry_ns = bpf_ktime_get_ns();
}

static __always_inline void report_long_irq(int irq, __u64 duration)
{
	struct jd_hardirq_event *e = event_reserve(sizeof(*e), JD_HARDIRQ_EVENT_LONG_RUN);

	if (!e)
		return;
	e->duration_ns = duration;
	e->irq = irq;
	e->pad = 0;
	event_submit(e);
}

/*
 * Handlers run with interrupts off, so they do not nest and the stamp is
 * the handler's own. Their time is also added to what the softirq in
 * progress (if any) must not be charged; softirq_entry zeroes it.
 */
static __always_inline void on_irq_exit(int irq)
{
	struct jd_softirq_cpu *c = this_cpu();
	__u64 start, d;

	if (!c)
		return;
	start = c->hardirq_entry_ns;
	if (!start)
		return;
	c->hardirq_entry_ns = 0;
	d = bpf_ktime_get_ns() - start;
	c->hardirq_ns += d;
	c->hardirq_in_softirq_ns += d;
	if (d > hardirq_threshold_ns)
		report_long_irq(irq, d);
}

PROG_TP_BTF(si_raise, softirq_raise, unsigned int vec)
{
	on_softirq_raise(vec);
	return 0;
}

PROG_RAW_TP(si_raise, softirq_raise, unsigned int vec)
{
	on_softirq_raise(vec);
	return 0;
}

PROG_TRACEPOINT(si_raise, irq, softirq_raise, trace_event_raw_softirq)
{
	on_softirq_raise(ctx->vec);
	return 0;
}

PROG_TP_BTF(si_entry, softirq_entry, unsigned int vec)
{
	on_softirq_entry(vec);
	return 0;
}

PROG_RAW_TP(si_entry, softirq_entry, unsigned int vec)
{
	on_softirq_entry(vec);
	return 0;
}

PROG_TRACEPOINT(si_entry, irq, softirq_entry, trace_event_raw_softirq)
{
	on_softirq_entry(ctx->vec);
	return 0;
}

PROG_TP_BTF(si_exit, softirq_exit, unsigned int vec)
{
	on_softirq_exit(vec);
	return 0;
}

PROG_RAW_TP(si_exit, softirq_exit, unsigned int vec)
{
	on_softirq_exit(vec);
	return 0;
}

PROG_TRACEPOINT(si_exit, irq, softirq_exit, trace_event_raw_softirq)
{
	on_softirq_exit(ctx->vec);
	return 0;
}

PROG_TP_BTF(irq_entry, irq_handler_entry)
{
	on_irq_entry();
	return 0;
}

PROG_RAW_TP(irq_entry, irq_handler_entry)
{
	on_irq_entry();
	return 0;
}

PROG_TRACEPOINT(irq_entry, irq, irq_handler_entry, trace_event_raw_irq_handler_entry)
{
	on_irq_entry();
	return 0;
}

PROG_TP_BTF(irq_exit, irq_handler_exit, int irq)
{
	on_irq_exit(irq);
	return 0;
}

PROG_RAW_TP(irq_exit, irq_handler_exit, int irq)
{
	on_irq_exit(irq);
	return 0;
}

PROG_TRACEPOINT(irq_exit, irq, irq_handler_exit, trace_event_raw_irq_handler_exit)
{
	on_irq_exit(ctx->irq);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
