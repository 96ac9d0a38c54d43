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

/* Possible CPUs; set by the daemon before load (bounds the cpumask walk). */
const volatile __u32 noise_nr_cpus = 1;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_noise_cpu);
} noise_cpu SEC(".maps");

/*
 * The last sender of each kind of request to each CPU: JD_NOISE_SENDER_SLOTS
 * per possible CPU (the daemon sizes it). A plain array, not per CPU: the
 * sender writes the target's slot, the target takes it. Two senders racing
 * for one target leave the later one (or, rarely, a mix of the two).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, JD_NOISE_SENDER_SLOTS);
	__type(key, __u32);
	__type(value, struct jd_noise_sender);
} noise_senders SEC(".maps");

/* Count and time of attributed IPIs by cause; a cause new when full is not kept. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, JD_NOISE_CAUSES);
	__type(key, struct jd_noise_cause);
	__type(value, struct jd_noise_cause_count);
} noise_causes SEC(".maps");

static __always_inline struct jd_noise_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&noise_cpu, &zero);
}

static __always_inline void report_long(const struct jd_noise_cpu *c, __u32 kind, __u64 duration)
{
	struct jd_noise_event *e = event_reserve(sizeof(*e), JD_NOISE_EVENT_LONG);

	if (!e)
		return;
	e->duration_ns = duration;
	e->kind = kind;
	e->pad = 0;
	e->pad2 = 0;
	if (c) {
		e->from = c->from;
		e->function = c->function;
		e->tick_dep = kind == JD_NOISE_TIMER ? c->tick_dep : 0;
	} else {
		__builtin_memset(&e->from, 0, sizeof(e->from));
		e->function = 0;
		e->tick_dep = 0;
	}
	event_submit(e);
}

/* c: the CPU's state when the interruption has a sender to name, else NULL. */
static __always_inline void add_duration(struct jd_noise_count *k, const struct jd_noise_cpu *c,
					 __u32 kind, __u64 d)
{
	hist_ns_add_apart(k->duration, &k->ns, d);
	if (d > noise_threshold_ns)
		report_long(c, kind, d);
}

/* ---- tasks on watched CPUs, and the noise of workloads ---------------------- */

/* 1 for a CPU of collectors.noise.tasks_on_cpus; the daemon sizes and fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} noise_watch SEC(".maps");

/* tid -> 1 + the index of its workload; the daemon fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JD_NOISE_FOLLOWED);
	__type(key, __u32);
	__type(value, __u32);
} noise_followed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, JD_NOISE_TASKS);
	__type(key, struct jd_noise_task_key);
	__type(value, struct jd_noise_cause_count);
} noise_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JD_NOISE_WORKLOADS);
	__type(key, __u32);
	__type(value, struct jd_noise_workload);
} noise_workload SEC(".maps");

/* An interruption of the running task: the workload's, if it has one. */
static __always_inline void workload_noise(const struct jd_noise_cpu *c, __u64 d)
{
	__u32 key = c->run_workload - 1;
	struct jd_noise_workload *w;

	if (!c->run_workload)
		return;
	w = bpf_map_lookup_elem(&noise_workload, &key);
	if (!w)
		return;
	w->count++;
	hist_ns_add_apart(w->duration, &w->ns, d);
}

static __always_inline void report_task(const struct jd_noise_cpu *c, __u64 d)
{
	struct jd_noise_task_event *e = event_reserve(sizeof(*e), JD_NOISE_EVENT_TASK);

	if (!e)
		return;
	e->duration_ns = d;
	e->function = c->run_function;
	e->pid = c->run_pid;
	e->tgid = c->run_tgid;
	__builtin_memcpy(e->comm, c->run_comm, sizeof(e->comm));
	event_submit(e);
}

/* The end of a run of a task of no workload on a watched CPU. */
static __always_inline void task_ran(const struct jd_noise_cpu *c, __u64 d)
{
	struct jd_noise_task_key key = { .function = c->run_function };
	struct jd_noise_cause_count *n, zero = {};

	__builtin_memcpy(key.comm, c->run_comm, sizeof(key.comm));
	n = bpf_map_lookup_elem(&noise_tasks, &key);
	if (!n) {
		bpf_map_update_elem(&noise_tasks, &key, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&noise_tasks, &key);
	}
	if (n) {
		n->count++;
		n->ns += d;
	}
	if (d > noise_threshold_ns)
		report_task(c, d);
}

/* A switch to next (pid 0: the idle task). comm: next's (kernel memory, or the record's). */
static __noinline void on_switch(__u32 pid, __u32 tgid, const char *comm)
{
	__u64 now = bpf_ktime_get_ns();
	struct jd_noise_cpu *c = this_cpu();
	__u32 cpu = bpf_get_smp_processor_id(), *v;

	if (!c)
		return;
	if (c->run_noise && c->run_start && now > c->run_start)
		task_ran(c, now - c->run_start);
	c->run_start = now;
	c->run_function = 0;
	c->run_pid = pid;
	c->run_tgid = tgid;
	if (!pid) {
		c->run_workload = 0;
		c->run_noise = 0;
		return;
	}
	v = bpf_map_lookup_elem(&noise_followed, &pid);
	c->run_workload = v ? *v : 0;
	v = bpf_map_lookup_elem(&noise_watch, &cpu);
	c->run_noise = v && *v && !c->run_workload;
	if (c->run_noise)
		bpf_probe_read_kernel_str(c->run_comm, sizeof(c->run_comm), comm);
}

/* A kworker's work: the first one of its run names it. */
static __always_inline void on_work(__u64 function)
{
	struct jd_noise_cpu *c = this_cpu();

	if (c && c->run_noise && !c->run_function)
		c->run_function = function;
}

/* ---- who sent an IPI ------------------------------------------------------ */

static __always_inline bool has_sender(__u32 kind)
{
	return kind == JD_NOISE_RESCHEDULE || kind == JD_NOISE_CALL_FUNCTION ||
	       kind == JD_NOISE_CALL_SINGLE;
}

static __always_inline void sender_here(struct jd_noise_sender *who, __u64 callsite, __u64 callback)
{
	__u64 id = bpf_get_current_pid_tgid();

	who->time_ns = bpf_ktime_get_ns();
	who->callsite = callsite;
	who->callback = callback;
	who->cpu = bpf_get_smp_processor_id();
	who->pid = (__u32)id;
	who->tgid = id >> 32;
	who->pad = 0;
	bpf_get_current_comm(who->comm, sizeof(who->comm));
}

static __always_inline void record_sender(__u32 target, const struct jd_noise_sender *who)
{
	__u32 slot = target * JD_NOISE_SENDER_SLOTS + (who->callback ? 1 : 0);
	struct jd_noise_sender *s;

	if (target >= noise_nr_cpus)
		return;
	s = bpf_map_lookup_elem(&noise_senders, &slot);
	if (s)
		*s = *who;
}

static __noinline void on_send_cpu(__u32 target, __u64 callsite, __u64 callback)
{
	struct jd_noise_sender who;

	sender_here(&who, callsite, callback);
	record_sender(target, &who);
}

/* bits: the kernel's cpumask (read through bpf_probe_read_kernel, any flavour). */
static __noinline void on_send_mask(const void *bits, __u64 callsite, __u64 callback)
{
	__u32 words = (noise_nr_cpus + 63) / 64;
	struct jd_noise_sender who;

	sender_here(&who, callsite, callback);
	for (__u32 w = 0; w < JD_NOISE_MAX_CPU_WORDS && w < words; w++) {
		__u64 word = 0;

		if (bpf_probe_read_kernel(&word, sizeof(word), bits + w * sizeof(word)))
			return;
		for (__u32 b = 0; b < 64 && (word >> b); b++)
			if (word & (1ULL << b))
				record_sender(w * 64 + b, &who);
	}
}

/* The receiving vector's entry: its sender, taken so that no later vector reuses it. */
static __always_inline void take_sender(struct jd_noise_cpu *c, __u32 kind)
{
	__u32 slot = bpf_get_smp_processor_id() * JD_NOISE_SENDER_SLOTS +
		     (kind == JD_NOISE_RESCHEDULE ? 0 : 1);
	struct jd_noise_sender *s = bpf_map_lookup_elem(&noise_senders, &slot);

	c->function = 0;
	if (!s || !s->time_ns) {
		c->from.time_ns = 0;
		return;
	}
	c->from = *s;
	s->time_ns = 0;
}

/* An attributed IPI's (or a timer's, by its hrtimer) count and time under its cause. */
static __always_inline bool same_key(const struct jd_noise_cause *a, const struct jd_noise_cause *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* In the CPU's own slots: false when the probed places hold other causes. */
static __always_inline bool count_in_cpu(struct jd_noise_cpu *c, const struct jd_noise_cause *key,
					 __u64 d)
{
	__u64 h = (key->function ^ (key->callsite >> 3) ^ key->tgid ^ key->kind) *
		  0x9e3779b97f4a7c15ULL;

	for (__u32 i = 0; i < JD_NOISE_CAUSE_PROBES; i++) {
		struct jd_noise_cause_slot *slot =
			&c->cause[((h >> 58) + i) & (JD_NOISE_CPU_CAUSES - 1)];

		if (!slot->n.count)
			slot->key = *key;
		else if (!same_key(&slot->key, key))
			continue;
		slot->n.count++;
		slot->n.ns += d;
		return true;
	}
	return false;
}

static __always_inline void count_cause(struct jd_noise_cpu *c, __u32 kind, __u64 d)
{
	struct jd_noise_cause key = {
		.function = c->function ? c->function : c->from.callback,
		.kind = kind,
	};
	struct jd_noise_cause_count *n, zero = {};

	if (c->from.time_ns) { /* else a timer's: no sender, the fields are an older IPI's */
		key.callsite = c->from.callsite;
		key.tgid = c->from.tgid;
		__builtin_memcpy(key.comm, c->from.comm, sizeof(key.comm));
	} else {
		key.function = c->function;
	}
	if (count_in_cpu(c, &key, d))
		return;
	n = bpf_map_lookup_elem(&noise_causes, &key);
	if (!n) {
		bpf_map_update_elem(&noise_causes, &key, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&noise_causes, &key);
		if (!n)
			return;
	}
	n->count++;
	n->ns += d;
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
	if (has_sender(kind)) {
		take_sender(c, kind);
	} else {
		c->from.time_ns = 0;
		c->function = 0;
	}
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
	workload_noise(c, now - start);
	if (c->from.time_ns || (kind == JD_NOISE_TIMER && c->function)) {
		count_cause(c, kind, now - start);
		add_duration(&c->kind[kind], c, kind, now - start);
	} else {
		add_duration(&c->kind[kind], kind == JD_NOISE_TIMER ? c : NULL, kind, now - start);
	}
}

/* An hrtimer callback: the first of a local timer's run names it. */
static __always_inline void on_hrtimer(__u64 func)
{
	struct jd_noise_cpu *c = this_cpu();

	if (c && c->entry_ns && c->entry_kind == JD_NOISE_TIMER && !c->function)
		c->function = func;
}

/*
 * tick_stop: success, or the dependency that kept the tick (only a
 * nohz_full CPU asks for the latter). The bit's position is the kernel's
 * TICK_DEP_BIT_*, stable since 4.x.
 */
static __always_inline void on_tick_stop(int success, int dependency)
{
	struct jd_noise_cpu *c = this_cpu();
	__u32 dep = JD_NOISE_DEP_OTHER;

	if (!c)
		return;
	if (success) {
		c->tick_dep = 0;
		return;
	}
	for (__u32 b = 0; b < JD_NOISE_DEP_OTHER; b++)
		if (dependency == (1 << b)) {
			dep = b;
			break;
		}
	c->tick_kept[dep]++;
	c->tick_dep = dep + 1;
}

/* The function a call_function(_single) vector runs: the first one names it. */
static __always_inline void on_csd_function(__u64 func)
{
	struct jd_noise_cpu *c = this_cpu();

	if (c && c->entry_ns && !c->function)
		c->function = func;
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
	add_duration(k, NULL, JD_NOISE_NMI, delta_ns > 0 ? (__u64)delta_ns : 0);
	workload_noise(c, delta_ns > 0 ? (__u64)delta_ns : 0);
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

/*
 * The senders (6.6+; an older kernel names no sender). The classic
 * tracepoint's cpumask is a __data_loc: its offset within the record in
 * the low 16 bits.
 */
PROG_TP_BTF(ipi_cpu, ipi_send_cpu, unsigned int cpu, void *callsite, void *callback)
{
	on_send_cpu(cpu, (__u64)callsite, (__u64)callback);
	return 0;
}

PROG_RAW_TP(ipi_cpu, ipi_send_cpu, unsigned int cpu, void *callsite, void *callback)
{
	on_send_cpu(cpu, (__u64)callsite, (__u64)callback);
	return 0;
}

PROG_TRACEPOINT(ipi_cpu, ipi, ipi_send_cpu, trace_event_raw_ipi_send_cpu)
{
	on_send_cpu(ctx->cpu, (__u64)ctx->callsite, (__u64)ctx->callback);
	return 0;
}

PROG_TP_BTF(ipi_mask, ipi_send_cpumask, const struct cpumask *mask, void *callsite, void *callback)
{
	on_send_mask(mask, (__u64)callsite, (__u64)callback);
	return 0;
}

PROG_RAW_TP(ipi_mask, ipi_send_cpumask, const struct cpumask *mask, void *callsite, void *callback)
{
	on_send_mask(mask, (__u64)callsite, (__u64)callback);
	return 0;
}

PROG_TRACEPOINT(ipi_mask, ipi, ipi_send_cpumask, trace_event_raw_ipi_send_cpumask)
{
	on_send_mask((void *)ctx + (ctx->__data_loc_cpumask & 0xffff), (__u64)ctx->callsite,
		     (__u64)ctx->callback);
	return 0;
}

/*
 * No tp_btf flavour: its first argument is a function pointer, which the
 * verifier refuses to read from a tp_btf context ("arg0 type FUNC_PROTO
 * is not a struct"); raw_tp reads it as a number.
 */
PROG_RAW_TP(csd, csd_function_entry, void *func, void *csd)
{
	on_csd_function((__u64)func);
	return 0;
}

PROG_TRACEPOINT(csd, csd, csd_function_entry, trace_event_raw_csd_function)
{
	on_csd_function((__u64)ctx->func);
	return 0;
}

/* The tick's reasons, and the hrtimer callbacks its runs fire. */
PROG_TP_BTF(tick_stop, tick_stop, int success, int dependency)
{
	on_tick_stop(success, dependency);
	return 0;
}

PROG_RAW_TP(tick_stop, tick_stop, int success, int dependency)
{
	on_tick_stop(success, dependency);
	return 0;
}

PROG_TRACEPOINT(tick_stop, timer, tick_stop, trace_event_raw_tick_stop)
{
	on_tick_stop(ctx->success, ctx->dependency);
	return 0;
}

PROG_TP_BTF(hrtimer, hrtimer_expire_entry, struct hrtimer *timer, void *now)
{
	on_hrtimer((__u64)BPF_CORE_READ(timer, function));
	return 0;
}

PROG_RAW_TP(hrtimer, hrtimer_expire_entry, struct hrtimer *timer, void *now)
{
	on_hrtimer((__u64)BPF_CORE_READ(timer, function));
	return 0;
}

PROG_TRACEPOINT(hrtimer, timer, hrtimer_expire_entry, trace_event_raw_hrtimer_expire_entry)
{
	on_hrtimer((__u64)ctx->function);
	return 0;
}

/* Who runs on the watched CPUs, and whether it is a workload's (only with either configured). */
PROG_TP_BTF(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(BPF_CORE_READ(next, pid), BPF_CORE_READ(next, tgid), next->comm);
	return 0;
}

PROG_RAW_TP(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(BPF_CORE_READ(next, pid), BPF_CORE_READ(next, tgid), next->comm);
	return 0;
}

PROG_TRACEPOINT(switch, sched, sched_switch, trace_event_raw_sched_switch)
{
	on_switch(ctx->next_pid, 0, ctx->next_comm);
	return 0;
}

PROG_TP_BTF(work, workqueue_execute_start, struct work_struct *work)
{
	on_work((__u64)BPF_CORE_READ(work, func));
	return 0;
}

PROG_RAW_TP(work, workqueue_execute_start, struct work_struct *work)
{
	on_work((__u64)BPF_CORE_READ(work, func));
	return 0;
}

PROG_TRACEPOINT(work, workqueue, workqueue_execute_start, trace_event_raw_workqueue_execute_start)
{
	on_work((__u64)ctx->function);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
