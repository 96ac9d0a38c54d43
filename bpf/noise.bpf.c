// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * OS noise collector, kernel side: every interruption of a CPU by the
 * architecture's own vectors (the local timer, the IPIs, the APIC's
 * others), NMIs and TLB shootdowns received, counted and timed per CPU and
 * kind. Each hook comes in three flavours (tp_btf, raw_tp, classic
 * tracepoint); the daemon's probe layer loads the best one this kernel
 * accepts, and leaves out a hook the kernel lacks.
 *
 * The hot path is one per-CPU array lookup, a clock read and a few stores:
 * a vector's handler runs with interrupts off on the CPU it interrupted and
 * does not nest with another, so one entry stamp per CPU is all a run
 * needs, and nothing is shared between CPUs.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "noise.h"
#include "events.bpf.h"
#include "flavours.bpf.h"
#include "hist.bpf.h"

/* events.interruption_threshold; set by the daemon, rewritten on a reload. */
__u64 noise_threshold_ns = 50000;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_noise_cpu);
} noise_cpu SEC(".maps");

static __always_inline struct jd_noise_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&noise_cpu, &zero);
}

static __always_inline void report_long(__u32 kind, __u64 duration)
{
	struct jd_noise_event *e = event_reserve(sizeof(*e), JD_NOISE_EVENT_LONG);

	if (!e)
		return;
	e->duration_ns = duration;
	e->kind = kind;
	e->pad = 0;
	event_submit(e);
}

static __always_inline void add_duration(struct jd_noise_count *k, __u32 kind, __u64 d)
{
	hist_ns_add_apart(k->duration, &k->ns, d);
	if (d > noise_threshold_ns)
		report_long(kind, d);
}

/*
 * Counted at entry, as the kernel counts /proc/interrupts (inc_irq_stat
 * after the tracepoint). Both ends read the clock first: the lookup that
 * follows misses the cache on a CPU that was busy with something else
 * (~1-3 us in a VM), which would otherwise come off the start of the run
 * and not off its end.
 *
 * The two ends are subprograms, not inlined: 27 programs (9 vectors x 3
 * flavours) share one copy of each, which keeps the object the daemon
 * holds open 90 KB smaller, for a BPF-to-BPF call per hit.
 */
static __noinline void on_vector_entry(__u32 kind)
{
	__u64 now = bpf_ktime_get_ns();
	struct jd_noise_cpu *c = this_cpu();

	if (!c || kind >= JD_NOISE_KINDS)
		return;
	c->kind[kind].count++;
	c->entry_kind = kind;
	c->entry_ns = now;
}

/*
 * A run without its entry stamp (under way when jitterd attached, or an
 * entry that a missed hit lost) gives no sample; the stamp is cleared in any
 * case, so nothing is timed twice.
 */
static __noinline void on_vector_exit(__u32 kind)
{
	__u64 now = bpf_ktime_get_ns();
	struct jd_noise_cpu *c = this_cpu();
	__u64 start;

	if (!c || kind >= JD_NOISE_KINDS)
		return;
	start = c->entry_ns;
	c->entry_ns = 0;
	if (!start || c->entry_kind != kind || now < start)
		return;
	add_duration(&c->kind[kind], kind, now - start);
}

/*
 * nmi_handler fires after each handler of an NMI ran, with the handler's
 * own time: no stamp here, so an NMI inside a vector's run disturbs nothing
 * of it (its time stays in the vector's too, as the CPU lost it there).
 */
static __always_inline void on_nmi_handler(__s64 delta_ns)
{
	struct jd_noise_cpu *c = this_cpu();
	struct jd_noise_count *k;

	if (!c)
		return;
	k = &c->kind[JD_NOISE_NMI];
	k->count++;
	add_duration(k, JD_NOISE_NMI, delta_ns > 0 ? (__u64)delta_ns : 0);
}

/*
 * TLB flushes: only those a CPU received from another (the flush function
 * run by a shootdown IPI, inside a call_function(_single) vector, which
 * has its time); a CPU's own flushes are no interruption.
 */
static __always_inline bool remote_flush(int reason)
{
	/* The kernel's own values (CO-RE): 6.1 has no TLB_REMOTE_WRONG_CPU. */
	if (reason == bpf_core_enum_value(enum tlb_flush_reason, TLB_REMOTE_SHOOTDOWN))
		return true;
	return bpf_core_enum_value_exists(enum tlb_flush_reason, TLB_REMOTE_WRONG_CPU) &&
	       reason == bpf_core_enum_value(enum tlb_flush_reason, TLB_REMOTE_WRONG_CPU);
}

static __always_inline void on_tlb_flush(int reason)
{
	struct jd_noise_cpu *c;

	if (!remote_flush(reason))
		return;
	c = this_cpu();
	if (c)
		c->kind[JD_NOISE_TLB].count++;
}

/* A vector's two hooks, each in three flavours. */
#define VECTOR_HOOKS(name, kind)                                                                   \
	PROG_TP_BTF(name##_in, name##_entry)                                                       \
	{                                                                                          \
		on_vector_entry(kind);                                                             \
		return 0;                                                                          \
	}                                                                                          \
	PROG_RAW_TP(name##_in, name##_entry)                                                       \
	{                                                                                          \
		on_vector_entry(kind);                                                             \
		return 0;                                                                          \
	}                                                                                          \
	PROG_TRACEPOINT(name##_in, irq_vectors, name##_entry, trace_event_raw_x86_irq_vector)      \
	{                                                                                          \
		on_vector_entry(kind);                                                             \
		return 0;                                                                          \
	}                                                                                          \
	PROG_TP_BTF(name##_out, name##_exit)                                                       \
	{                                                                                          \
		on_vector_exit(kind);                                                              \
		return 0;                                                                          \
	}                                                                                          \
	PROG_RAW_TP(name##_out, name##_exit)                                                       \
	{                                                                                          \
		on_vector_exit(kind);                                                              \
		return 0;                                                                          \
	}                                                                                          \
	PROG_TRACEPOINT(name##_out, irq_vectors, name##_exit, trace_event_raw_x86_irq_vector)      \
	{                                                                                          \
		on_vector_exit(kind);                                                              \
		return 0;                                                                          \
	}

VECTOR_HOOKS(local_timer, JD_NOISE_TIMER)
VECTOR_HOOKS(reschedule, JD_NOISE_RESCHEDULE)
VECTOR_HOOKS(call_function, JD_NOISE_CALL_FUNCTION)
VECTOR_HOOKS(call_function_single, JD_NOISE_CALL_SINGLE)
VECTOR_HOOKS(irq_work, JD_NOISE_IRQ_WORK)
VECTOR_HOOKS(x86_platform_ipi, JD_NOISE_PLATFORM)
VECTOR_HOOKS(thermal_apic, JD_NOISE_THERMAL)
VECTOR_HOOKS(spurious_apic, JD_NOISE_SPURIOUS)
VECTOR_HOOKS(error_apic, JD_NOISE_ERROR)

PROG_TP_BTF(nmi, nmi_handler, void *handler, s64 delta_ns)
{
	on_nmi_handler(delta_ns);
	return 0;
}

PROG_RAW_TP(nmi, nmi_handler, void *handler, s64 delta_ns)
{
	on_nmi_handler(delta_ns);
	return 0;
}

PROG_TRACEPOINT(nmi, nmi, nmi_handler, trace_event_raw_nmi_handler)
{
	on_nmi_handler(ctx->delta_ns);
	return 0;
}

PROG_TP_BTF(tlb, tlb_flush, int reason)
{
	on_tlb_flush(reason);
	return 0;
}

PROG_RAW_TP(tlb, tlb_flush, int reason)
{
	on_tlb_flush(reason);
	return 0;
}

PROG_TRACEPOINT(tlb, tlb, tlb_flush, trace_event_raw_tlb_flush)
{
	on_tlb_flush(ctx->reason);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
