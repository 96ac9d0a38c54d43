// SPDX-License-Identifier: MIT
/*
 * OS noise collector: what interrupts a CPU besides device interrupts and
 * softirqs (the softirq collector's): the local timer, each kind of IPI,
 * the APIC's other vectors, NMIs and TLB shootdowns received. Counts and
 * time per CPU and kind, a duration histogram per CPU group and kind, and
 * interruptions longer than events.interruption_duration_threshold as
 * events. The programs write one per-CPU value (bpf/noise.h); a scrape
 * reads it once.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/noise.h"
#include "probes/collector.h"
#include "probes/workloads.h"
#include "anomaly/signal.h"
#include "lib/json.h"
#include "lib/hist.h"
#include "lib/ksyms.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/yamlwalk.h"
#include "lib/util.h"
#include "bpf/noise.h"
#include "noise.skel.h"

/* The kind="" label values; docs/noise.md says what each is and where it comes from. */
static const char *const kind_names[JD_NOISE_KINDS] = {
	[JD_NOISE_TIMER] = "timer",
	[JD_NOISE_RESCHEDULE] = "reschedule",
	[JD_NOISE_CALL_FUNCTION] = "call_function",
	[JD_NOISE_CALL_SINGLE] = "call_function_single",
	[JD_NOISE_IRQ_WORK] = "irq_work",
	[JD_NOISE_PLATFORM] = "platform_ipi",
	[JD_NOISE_THERMAL] = "thermal",
	[JD_NOISE_SPURIOUS] = "spurious",
	[JD_NOISE_ERROR] = "apic_error",
	[JD_NOISE_NMI] = "nmi",
	[JD_NOISE_TLB] = "tlb_shootdown",
};

/* The dependency="" label values of jitterd_tick_kept_total: the kernel's TICK_DEP_BIT_*. */
static const char *const dep_names[JD_NOISE_TICK_DEPS] = {
	[JD_NOISE_DEP_POSIX_TIMER] = "posix_timer",
	[JD_NOISE_DEP_PERF_EVENTS] = "perf_events",
	[JD_NOISE_DEP_SCHED] = "sched",
	[JD_NOISE_DEP_CLOCK_UNSTABLE] = "clock_unstable",
	[JD_NOISE_DEP_RCU] = "rcu",
	[JD_NOISE_DEP_RCU_EXP] = "rcu_exp",
	[JD_NOISE_DEP_OTHER] = "other",
};

/* Kinds with a duration (a TLB shootdown's time is its IPI's). */
static bool timed(int kind)
{
	return kind != JD_NOISE_TLB;
}

struct noise {
	const struct jd_config *cfg;
	bool seen[JD_NOISE_KINDS]; /* its tracepoint attached: its series are exported */
	bool causes;	/* a sender's or hrtimer's tracepoint attached: causes are exported */
	bool ticks;	/* tick_stop attached */
	int *cpu_group; /* per possible CPU: index of its group, -1 for none */
	/*
	 * A group's histograms are base + what its CPUs counted since the
	 * last change of cpu_groups (their counts then are snap), so that a
	 * reload that moves a CPU makes no group's counter go back.
	 */
	struct jd_hist_ns base[JD_MAX_CPU_GROUPS][JD_NOISE_KINDS];
	struct jd_noise_cpu *snap;
	struct jd_noise_cpu *percpu;		   /* lookup buffer: one value per possible CPU */
	struct ksyms *ksyms;			   /* opened while root; NULL: addresses in hex */
	struct jd_noise_cause_count *cause_percpu; /* lookup buffer of noise_causes */
	struct jd_noise_workload *wl_percpu;	   /* lookup buffer of noise_workload */
	bool switches;		/* sched_switch attached: workloads and watched CPUs */
	bool has_tasks_on_cpus; /* the config watches some CPU */
	uint64_t followed_at;	/* CLOCK_MONOTONIC ns of the last walk for workload threads */
	unsigned long followed; /* threads written into noise_followed by it */
};

/* Rows of the top-N table of IPI causes (jitterd_interruption_cause_*) per group and kind. */
#define TOP_CAUSES 10

struct noise_options {
	uint64_t threshold_ns;
	cpu_set_t tasks_on_cpus; /* where a task of no workload is noise */
};
COLLECTOR_OPTIONS(struct noise_options);

static const struct yw_key noise_config_keys[] = {
	{ YW_KEY("tasks_on_cpus", SCALAR, yw_parse_cpus),
	  YW_FIELD(struct noise_options, tasks_on_cpus) },
	{},
};

static const struct yw_key noise_event_keys[] = {
	{ YW_KEY("interruption_duration_threshold", SCALAR, yw_parse_duration),
	  YW_FIELD(struct noise_options, threshold_ns), .min = 1, .max = 10 * NS_PER_S,
	  .def = "50us" },
	{},
};

/* A kernel address as "name+0xoff", its name alone (bare), or in hex when it has none. */
static void symbol(struct ksyms *k, uint64_t addr, bool bare, char *out, size_t size)
{
	uint64_t off = 0;
	const char *name = ksyms_lookup(k, addr, &off);

	if (!name || !*name)
		snprintf(out, size, "0x%llx", (unsigned long long)addr);
	else if (bare || !off)
		snprintf(out, size, "%s", name);
	else
		snprintf(out, size, "%s+0x%llx", name, (unsigned long long)off);
}

/* The function an attributed IPI ran: the csd function seen in it, else the sender's callback. */
static uint64_t ran(uint64_t function, const struct jd_noise_sender *from)
{
	return function ? function : from->callback;
}

static bool on_long_interruption(struct collector *c, const void *event, json_t *obj)
{
	const struct jd_noise_event *e = event;
	struct noise *s = c->priv;
	char name[300];
	json_t *from;

	if (e->kind >= JD_NOISE_KINDS)
		return false;
	json_set_str(obj, "kind", kind_names[e->kind]);
	json_set_u64(obj, "duration_ns", e->duration_ns);
	if (e->kind == JD_NOISE_TIMER) {
		if (e->function) {
			symbol(s->ksyms, e->function, true, name, sizeof(name));
			json_set_str(obj, "hrtimer", name);
		}
		if (e->tick_dep && e->tick_dep <= JD_NOISE_TICK_DEPS)
			json_set_str(obj, "tick_kept_by", dep_names[e->tick_dep - 1]);
	}
	if (!e->from.time_ns)
		return true;
	from = json_object();
	if (!from)
		return true;
	json_set_u64(from, "cpu", e->from.cpu);
	json_set_u64(from, "pid", e->from.pid);
	json_set_u64(from, "tgid", e->from.tgid);
	json_set_bytes(from, "comm", e->from.comm, sizeof(e->from.comm));
	symbol(s->ksyms, e->from.callsite, false, name, sizeof(name));
	json_set_str(from, "caller", name);
	if (ran(e->function, &e->from)) {
		symbol(s->ksyms, ran(e->function, &e->from), true, name, sizeof(name));
		json_set_str(from, "function", name);
	}
	json_object_set_new(obj, "sender", from);
	return true;
}

/* A kernel thread's comm without its CPU and pool ("kworker/2:1H" -> "kworker"). */
static void task_label(const char *comm, char *out, size_t size)
{
	snprintf(out, size, "%.16s", comm);
	out[strcspn(out, "/")] = '\0';
}

static bool on_intrusion(struct collector *c, const void *event, json_t *obj)
{
	const struct jd_noise_task_event *e = event;
	struct noise *s = c->priv;

	json_set_u64(obj, "duration_ns", e->duration_ns);
	json_set_u64(obj, "pid", e->pid);
	if (e->tgid)
		json_set_u64(obj, "tgid", e->tgid);
	json_set_bytes(obj, "comm", e->comm, sizeof(e->comm));
	if (e->function) {
		char name[300];

		symbol(s->ksyms, e->function, true, name, sizeof(name));
		json_set_str(obj, "work", name);
	}
	return true;
}

static const struct event_def noise_events[] = {
	[JD_NOISE_EVENT_LONG] = { .name = "interruption",
				  .size = sizeof(struct jd_noise_event),
				  .handle = on_long_interruption },
	[JD_NOISE_EVENT_TASK] = { .name = "intrusion",
				  .size = sizeof(struct jd_noise_task_event),
				  .handle = on_intrusion },
};

/* The first probe of a sender (noise_probes: ipi_send_cpu, then ipi_send_cpumask). */
#define SENDER_PROBE (2 * JD_NOISE_NMI + 3)
/* hrtimer_expire_entry, then tick_stop. */
#define HRTIMER_PROBE (SENDER_PROBE + 2)
/* workqueue_execute_start, then sched_switch. */
#define SWITCH_PROBE (HRTIMER_PROBE + 3)

extern const struct collector_ops noise_collector;

/* This collector's options in cfg (a probe's wanted() has only the config). */
static const struct noise_options *options_in(const struct jd_config *cfg)
{
	for (unsigned i = 0; i < n_collectors; i++)
		if (collectors[i].ops == &noise_collector)
			return collector_options(&collectors[i], cfg);
	return NULL;
}

static bool watches_cpus(const struct jd_config *cfg)
{
	const struct noise_options *o = options_in(cfg);

	return o && CPU_COUNT(&o->tasks_on_cpus) > 0;
}

static bool follows_tasks(const struct jd_config *cfg)
{
	return cfg->n_workloads > 0 || watches_cpus(cfg);
}

#define VECTOR_PROBES(name, prefix)                                                                \
	PROBE_TRACEPOINT_DEF("irq_vectors", name "_exit", prefix "_out"),                          \
		PROBE_TRACEPOINT_DEF("irq_vectors", name "_entry", prefix "_in")

/*
 * Attached in this order: each vector's exit before its entry, so that no
 * run is seen starting without its end being watched. A kernel without one
 * (another architecture, an older kernel) leaves that kind at 0 and says so
 * in jitterd_probe_attached.
 */
static const struct probe_def noise_probes[] = {
	VECTOR_PROBES("local_timer", "local_timer"),
	VECTOR_PROBES("reschedule", "reschedule"),
	VECTOR_PROBES("call_function", "call_function"),
	VECTOR_PROBES("call_function_single", "call_function_single"),
	VECTOR_PROBES("irq_work", "irq_work"),
	VECTOR_PROBES("x86_platform_ipi", "x86_platform_ipi"),
	VECTOR_PROBES("thermal_apic", "thermal_apic"),
	VECTOR_PROBES("spurious_apic", "spurious_apic"),
	VECTOR_PROBES("error_apic", "error_apic"),
	PROBE_TRACEPOINT_DEF("nmi", "nmi_handler", "nmi"),
	PROBE_TRACEPOINT_DEF("tlb", "tlb_flush", "tlb"),
	/* Who caused an IPI: the function it runs, then its sender (6.6+). */
	PROBE_TRACEPOINT_DEF("csd", "csd_function_entry", "csd"),
	PROBE_TRACEPOINT_DEF("ipi", "ipi_send_cpu", "ipi_cpu"),
	PROBE_TRACEPOINT_DEF("ipi", "ipi_send_cpumask", "ipi_mask"),
	/* What a timer run fired, and why the tick kept running (nohz_full). */
	PROBE_TRACEPOINT_DEF("timer", "hrtimer_expire_entry", "hrtimer"),
	PROBE_TRACEPOINT_DEF("timer", "tick_stop", "tick_stop"),
	/* Who runs on the watched CPUs, and the noise of workloads: only if configured. */
	{ .name = "workqueue_execute_start",
	  .system = "workqueue",
	  .prog = "work",
	  .wanted = watches_cpus },
	{ .name = "sched_switch",
	  .system = "sched",
	  .prog = "switch",
	  .wanted = follows_tasks,
	  .label = "noise_sched_switch" },
};
_Static_assert(ARRAY_SIZE(noise_probes) == SWITCH_PROBE + 1, "counting_probe() knows the rows");

/* The probe (in noise_probes) whose hits count a kind: a vector's entry. */
static unsigned counting_probe(int kind)
{
	if (kind < JD_NOISE_NMI)
		return 2 * (unsigned)kind + 1;
	return kind == JD_NOISE_NMI ? 18 : 19;
}

/*
 * Whether noise_probes[probe] attached. c->probes holds only the wanted
 * ones: without tasks_on_cpus there is no workqueue_execute_start, and
 * sched_switch is one place earlier; so by label, not by place.
 */
static bool attached(const struct collector *c, unsigned probe)
{
	const struct probe_def *def = &noise_probes[probe];
	const char *label = def->label ? def->label : def->name;

	for (unsigned i = 0; i < c->n_probes; i++)
		if (!strcmp(c->probes[i].label, label))
			return c->probes[i].attach != PROBE_NONE;
	return false;
}

static int n_groups(const struct jd_config *cfg)
{
	return cfg->n_cpu_groups ? cfg->n_cpu_groups : 1;
}

static const char *group_name(const struct jd_config *cfg, int g)
{
	return cfg->n_cpu_groups ? cfg->cpu_groups[g].name : "all";
}

static void map_cpus_to_groups(struct noise *s, int nr_cpus, const struct jd_config *cfg)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		s->cpu_group[cpu] = cfg->n_cpu_groups ? -1 : 0;
		for (int g = 0; g < cfg->n_cpu_groups && cpu < CPU_SETSIZE; g++)
			if (CPU_ISSET(cpu, &cfg->cpu_groups[g].cpus))
				s->cpu_group[cpu] = g;
	}
}

static int noise_configure(struct collector *c, const struct jd_config *cfg)
{
	const struct noise_options *o = collector_options(c, cfg);
	struct noise_bpf *skel = c->skel;
	struct noise *s = c->priv;

	s->cfg = cfg;
	s->percpu = calloc(c->nr_cpus, sizeof(*s->percpu));
	s->snap = calloc(c->nr_cpus, sizeof(*s->snap));
	s->cpu_group = malloc(c->nr_cpus * sizeof(*s->cpu_group));
	s->cause_percpu = calloc(c->nr_cpus, sizeof(*s->cause_percpu));
	s->wl_percpu = calloc(c->nr_cpus, sizeof(*s->wl_percpu));
	if (!s->percpu || !s->snap || !s->cpu_group || !s->cause_percpu || !s->wl_percpu)
		return -ENOMEM;
	bpf_map__set_max_entries(skel->maps.noise_watch, (unsigned)c->nr_cpus);
	map_cpus_to_groups(s, c->nr_cpus, cfg);
	skel->data->noise_threshold_ns = o->threshold_ns;
	skel->rodata->noise_nr_cpus = c->nr_cpus;
	bpf_map__set_max_entries(skel->maps.noise_senders,
				 (unsigned)c->nr_cpus * JD_NOISE_SENDER_SLOTS);
	/* Now, while root: a reader opened later sees no addresses. */
	s->ksyms = ksyms_open("/proc/kallsyms");
	if (!s->ksyms)
		log_warn("noise: /proc/kallsyms shows no addresses: senders' code is named in hex");
	return 0;
}

/* noise_watch from collectors.noise.tasks_on_cpus. */
static int write_watch(struct collector *c, const struct jd_config *cfg)
{
	const struct noise_options *o = collector_options(c, cfg);
	const struct noise_bpf *skel = c->skel;
	struct noise *s = c->priv;
	int fd = bpf_map__fd(skel->maps.noise_watch);

	s->has_tasks_on_cpus = CPU_COUNT(&o->tasks_on_cpus) > 0;
	for (__u32 cpu = 0; cpu < (__u32)c->nr_cpus; cpu++) {
		__u32 on = cpu < CPU_SETSIZE && CPU_ISSET(cpu, &o->tasks_on_cpus);

		if (bpf_map_update_elem(fd, &cpu, &on, BPF_ANY))
			return -errno;
	}
	return 0;
}

static void follow_thread(void *ctx, int tid, unsigned workload)
{
	struct collector *c = ctx;
	const struct noise_bpf *skel = c->skel;
	struct noise *s = c->priv;
	__u32 key = (__u32)tid, value = workload;

	if (!workload)
		return;
	if (!bpf_map_update_elem(bpf_map__fd(skel->maps.noise_followed), &key, &value, BPF_ANY))
		s->followed++;
}

/*
 * The threads of the workloads, walked from /proc at start and again on a
 * scrape at least FOLLOW_EVERY_NS after the last walk: a thread started
 * since is not followed until then (the sched collector's fork and exec
 * hooks are its own). An exited thread's entry stays; the map holds
 * JD_NOISE_FOLLOWED.
 */
#define FOLLOW_EVERY_NS (30 * NS_PER_S)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void follow_workloads(struct collector *c)
{
	struct noise *s = c->priv;

	if (!s->cfg->n_workloads)
		return;
	s->followed = 0;
	workload_walk_all(s->cfg, follow_thread, c);
	s->followed_at = mono_ns();
}

static int noise_loaded(struct collector *c, const struct jd_config *cfg)
{
	return write_watch(c, cfg);
}

/* A kind whose tracepoint this kernel lacks has no series: absent, not 0. */
static void noise_attached(struct collector *c, const struct jd_config *cfg)
{
	struct noise *s = c->priv;

	(void)cfg;
	for (int k = 0; k < JD_NOISE_KINDS; k++)
		s->seen[k] = attached(c, counting_probe(k));
	s->causes = attached(c, SENDER_PROBE) || attached(c, SENDER_PROBE + 1) ||
		    attached(c, HRTIMER_PROBE);
	s->ticks = attached(c, HRTIMER_PROBE + 1);
	s->switches = attached(c, SWITCH_PROBE);
	if (s->switches)
		follow_workloads(c);
}

static void noise_finish(struct collector *c)
{
	struct noise *s = c->priv;

	free(s->percpu);
	free(s->snap);
	free(s->cpu_group);
	free(s->cause_percpu);
	free(s->wl_percpu);
	ksyms_close(s->ksyms);
}

static int read_noise_cpu(const struct collector *c, struct noise *s)
{
	const struct noise_bpf *skel = c->skel;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.noise_cpu), &zero, s->percpu)) {
		int err = -errno;

		log_warn("noise: reading noise_cpu: %s", strerror(errno));
		return err;
	}
	return 0;
}

static void add_counts(struct jd_hist_ns *h, const struct jd_noise_count *k)
{
	for (int b = 0; b < JD_HIST_NS_SLOTS; b++)
		h->slots[b] += k->duration[b];
	h->sum += k->ns;
}

/* Group g's histogram of kind from s->percpu: its base + its CPUs' counts since snap. */
static void group_hist(const struct collector *c, const struct noise *s, int g, int kind,
		       struct jd_hist_ns *h)
{
	*h = s->base[g][kind];
	for (int cpu = 0; cpu < c->nr_cpus; cpu++) {
		const struct jd_noise_count *now = &s->percpu[cpu].kind[kind],
					    *then = &s->snap[cpu].kind[kind];

		if (s->cpu_group[cpu] != g)
			continue;
		for (int b = 0; b < JD_HIST_NS_SLOTS; b++)
			h->slots[b] += now->duration[b] - then->duration[b];
		h->sum += now->ns - then->ns;
	}
}

/* ---- who caused the IPIs: the top of noise_causes -------------------------- */

/* At most this many rows (causes by name and group); a cause beyond them is not shown. */
#define MAX_CAUSE_ROWS (JD_NOISE_CAUSES * 2)

/* One row of the table: a cause as its labels name it, on the CPUs of one group. */
struct cause_row {
	int group;
	uint32_t kind;
	char comm[16];
	uint64_t caller, function; /* addresses; merged by their names */
	uint64_t count, ns;
};

static bool same_symbol(struct ksyms *k, uint64_t a, uint64_t b)
{
	const char *na, *nb;

	if (a == b)
		return true;
	na = ksyms_name(k, a, NULL);
	nb = ksyms_name(k, b, NULL);
	return na && nb && *na && !strcmp(na, nb);
}

static bool same_cause(struct ksyms *k, const struct cause_row *r, int group,
		       const struct jd_noise_cause *key)
{
	return r->group == group && r->kind == key->kind &&
	       !strncmp(r->comm, key->comm, sizeof(r->comm)) &&
	       same_symbol(k, r->caller, key->callsite) &&
	       same_symbol(k, r->function, key->function);
}

static int by_count(const void *a, const void *b)
{
	const struct cause_row *x = a, *y = b;

	if (x->group != y->group)
		return x->group - y->group;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Adds key's per-CPU counts (s->cause_percpu) to rows, one row per group and cause. */
/* Adds what one CPU counted of key to rows (the cause's row in the CPU's group). */
static unsigned add_cause(struct noise *s, struct cause_row *rows, unsigned n, int cpu,
			  const struct jd_noise_cause *key, const struct jd_noise_cause_count *v)
{
	int g = s->cpu_group[cpu];
	unsigned i;

	if (g < 0 || !v->count)
		return n;
	for (i = 0; i < n && !same_cause(s->ksyms, &rows[i], g, key); i++)
		;
	if (i == n) {
		if (n == MAX_CAUSE_ROWS)
			return n;
		rows[n++] = (struct cause_row){ .group = g,
						.kind = key->kind,
						.caller = key->callsite,
						.function = key->function };
		memcpy(rows[i].comm, key->comm, sizeof(rows[i].comm));
	}
	rows[i].count += v->count;
	rows[i].ns += v->ns;
	return n;
}

/* The causes, merged by name, sorted by group, kind and count: how many rows. */
static unsigned read_causes(const struct collector *c, struct noise *s, struct cause_row *rows)
{
	const struct noise_bpf *skel = c->skel;
	int fd = bpf_map__fd(skel->maps.noise_causes);
	struct jd_noise_cause key, next;
	const void *prev = NULL;
	unsigned n = 0;

	/* Names first (one pass over kallsyms for all that are new), then merge by them. */
	for (int cpu = 0; cpu < c->nr_cpus; cpu++)
		for (int i = 0; i < JD_NOISE_CPU_CAUSES; i++) {
			ksyms_want(s->ksyms, s->percpu[cpu].cause[i].key.callsite);
			ksyms_want(s->ksyms, s->percpu[cpu].cause[i].key.function);
		}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		ksyms_want(s->ksyms, next.callsite);
		ksyms_want(s->ksyms, next.function);
		key = next;
		prev = &key;
	}
	ksyms_resolve(s->ksyms);
	for (int cpu = 0; cpu < c->nr_cpus; cpu++)
		for (int i = 0; i < JD_NOISE_CPU_CAUSES; i++)
			n = add_cause(s, rows, n, cpu, &s->percpu[cpu].cause[i].key,
				      &s->percpu[cpu].cause[i].n);
	prev = NULL;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, s->cause_percpu))
			continue;
		for (int cpu = 0; cpu < c->nr_cpus; cpu++)
			n = add_cause(s, rows, n, cpu, &key, &s->cause_percpu[cpu]);
	}
	qsort(rows, n, sizeof(*rows), by_count);
	return n;
}

static void collect_causes(struct collector *c, struct metrics *m)
{
	static struct cause_row rows[MAX_CAUSE_ROWS];
	struct metric_family *count, *seconds;
	struct noise *s = c->priv;
	char caller[300], function[300], comm[17];
	unsigned n = read_causes(c, s, rows), shown = 0;

	count = metrics_family(
		m, NOISE_CAUSE_INTERRUPTIONS,
		"Interruptions of the CPUs of a group by cause: an IPI by who sent it (the "
		"sending task's comm, the kernel code that sent it as caller) and the "
		"function it ran, a local timer run by the first hrtimer callback it fired. "
		"Only the 10 most frequent causes of each group and kind are shown.",
		METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds =
		metrics_family(m, NOISE_CAUSE_SECONDS,
			       "Time the CPUs of a group spent in the IPIs of a cause (the rows of "
			       "jitterd_interruption_cause_interruptions_total).",
			       METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (unsigned i = 0; i < n; i++) {
		const struct cause_row *r = &rows[i];

		shown = i && rows[i - 1].group == r->group && rows[i - 1].kind == r->kind
				? shown + 1
				: 0;
		if (shown >= TOP_CAUSES || r->kind >= JD_NOISE_KINDS)
			continue;
		caller[0] = function[0] =
			'\0'; /* a timer has no caller, a reschedule no function */
		if (r->caller)
			symbol(s->ksyms, r->caller, true, caller, sizeof(caller));
		if (r->function)
			symbol(s->ksyms, r->function, true, function, sizeof(function));
		snprintf(comm, sizeof(comm), "%.16s", r->comm);
		metric_u64(count, r->count, "cpu_group", group_name(s->cfg, r->group), "kind",
			   kind_names[r->kind], "task", comm, "caller", caller, "function",
			   function, LABELS_END);
		metric_u64(seconds, r->ns, "cpu_group", group_name(s->cfg, r->group), "kind",
			   kind_names[r->kind], "task", comm, "caller", caller, "function",
			   function, LABELS_END);
	}
}

/* ---- tasks on the watched CPUs, noise of the workloads --------------------- */

struct task_row {
	int group;
	char task[17];
	uint64_t function;
	uint64_t count, ns;
};

static int by_group_count(const void *a, const void *b)
{
	const struct task_row *x = a, *y = b;

	if (x->group != y->group)
		return x->group - y->group;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Top 10 per group of the tasks of no workload that ran on watched CPUs. */
static void collect_tasks(struct collector *c, struct metrics *m)
{
	static struct task_row rows[JD_NOISE_TASKS * 2];
	const struct noise_bpf *skel = c->skel;
	int fd = bpf_map__fd(skel->maps.noise_tasks);
	struct jd_noise_task_key key, next;
	struct metric_family *runs, *seconds;
	struct noise *s = c->priv;
	const void *prev = NULL;
	unsigned n = 0, shown = 0;
	char task[17], function[300];

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		ksyms_want(s->ksyms, key.function);
		if (bpf_map_lookup_elem(fd, &key, s->cause_percpu))
			continue;
		task_label(key.comm, task, sizeof(task));
		for (int cpu = 0; cpu < c->nr_cpus; cpu++) {
			const struct jd_noise_cause_count *v = &s->cause_percpu[cpu];
			int g = s->cpu_group[cpu];
			unsigned i;

			if (g < 0 || !v->count)
				continue;
			for (i = 0; i < n; i++)
				if (rows[i].group == g && rows[i].function == key.function &&
				    !strcmp(rows[i].task, task))
					break;
			if (i == n) {
				if (n == ARRAY_SIZE(rows))
					continue;
				rows[n++] =
					(struct task_row){ .group = g, .function = key.function };
				memcpy(rows[i].task, task, sizeof(task));
			}
			rows[i].count += v->count;
			rows[i].ns += v->ns;
		}
	}
	ksyms_resolve(s->ksyms);
	qsort(rows, n, sizeof(*rows), by_group_count);
	runs = metrics_family(m, NOISE_TASK_RUNS,
			      "Runs of tasks of no workload on the CPUs of "
			      "collectors.noise.tasks_on_cpus, by CPU group, task (its comm, a "
			      "kernel thread's without its /CPU) and a kworker's first work "
			      "function. Only the 10 most frequent of each group are shown.",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, NOISE_TASK_SECONDS,
				 "Time those tasks ran there (the rows of "
				 "jitterd_cpu_intruder_runs_total).",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (unsigned i = 0; i < n; i++) {
		const struct task_row *r = &rows[i];

		shown = i && rows[i - 1].group == r->group ? shown + 1 : 0;
		if (shown >= TOP_CAUSES)
			continue;
		function[0] = '\0';
		if (r->function)
			symbol(s->ksyms, r->function, true, function, sizeof(function));
		metric_u64(runs, r->count, "cpu_group", group_name(s->cfg, r->group), "task",
			   r->task, "function", function, LABELS_END);
		metric_u64(seconds, r->ns, "cpu_group", group_name(s->cfg, r->group), "task",
			   r->task, "function", function, LABELS_END);
	}
}

static void collect_workloads(struct collector *c, struct metrics *m)
{
	const struct noise_bpf *skel = c->skel;
	int fd = bpf_map__fd(skel->maps.noise_workload);
	struct metric_family *count, *seconds, *duration;
	struct noise *s = c->priv;

	if (mono_ns() - s->followed_at >= FOLLOW_EVERY_NS)
		follow_workloads(c);
	count = metrics_family(m, NOISE_WORKLOAD_INTERRUPTIONS,
			       "Interruptions (the kinds of jitterd_interruptions_total) of the "
			       "running threads of a workload.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, NOISE_WORKLOAD_SECONDS,
				 "Time the running threads of a workload lost to interruptions.",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	duration =
		metrics_family(m, NOISE_WORKLOAD_DURATION,
			       "Duration of single interruptions of a workload's running threads.",
			       METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	for (__u32 w = 0; w < (__u32)s->cfg->n_workloads && w < JD_NOISE_WORKLOADS; w++) {
		struct jd_hist_ns h = {};
		struct metric_hist view;
		uint64_t n = 0;
		const char *name = s->cfg->workloads[w].name;

		if (bpf_map_lookup_elem(fd, &w, s->wl_percpu))
			continue;
		for (int cpu = 0; cpu < c->nr_cpus; cpu++) {
			const struct jd_noise_workload *v = &s->wl_percpu[cpu];

			n += v->count;
			h.sum += v->ns;
			for (int b = 0; b < JD_HIST_NS_SLOTS; b++)
				h.slots[b] += v->duration[b];
		}
		metric_u64(count, n, "workload", name, LABELS_END);
		metric_u64(seconds, h.sum, "workload", name, LABELS_END);
		view = hist_ns_metric(&h);
		metric_hist(duration, &view, "workload", name, LABELS_END);
	}
}

/* Per CPU that ever failed to stop its tick (a nohz_full CPU), each dependency. */
static void collect_ticks(struct collector *c, struct metrics *m)
{
	struct metric_family *kept;
	struct noise *s = c->priv;
	char cpu[16];

	kept = metrics_family(m, NOISE_TICK_KEPT,
			      "Times a nohz_full CPU could not stop its tick, by the dependency "
			      "that kept it (timer:tick_stop): a POSIX timer or perf event of "
			      "a task there, the scheduler (more than one task), RCU, an "
			      "unstable clock. Only CPUs where it happened have series.",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	for (int i = 0; i < c->nr_cpus; i++) {
		const __u64 *n = s->percpu[i].tick_kept;
		__u64 any = 0;

		for (int d = 0; d < JD_NOISE_TICK_DEPS; d++)
			any += n[d];
		if (!any)
			continue;
		snprintf(cpu, sizeof(cpu), "%d", i);
		for (int d = 0; d < JD_NOISE_TICK_DEPS; d++)
			metric_u64(kept, n[d], "cpu", cpu, "dependency", dep_names[d], LABELS_END);
	}
}

static void noise_collect(struct collector *c, struct metrics *m)
{
	struct metric_family *count, *seconds, *duration;
	struct noise *s = c->priv;
	char cpu[16];

	if (read_noise_cpu(c, s))
		return;
	count = metrics_family(m, NOISE_INTERRUPTIONS,
			       "Interruptions of a CPU by kind: the local timer, IPIs, the APIC's "
			       "other vectors (counted at entry, as /proc/interrupts counts them), "
			       "NMI handler runs and TLB shootdowns received.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, NOISE_INTERRUPTION_SECONDS,
				 "Time a CPU spent in interruptions by kind (entry to exit; for "
				 "NMIs the handlers' own time). A TLB shootdown's time is in its "
				 "call_function IPI's.",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (int i = 0; i < c->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		for (int k = 0; k < JD_NOISE_KINDS; k++) {
			const struct jd_noise_count *n = &s->percpu[i].kind[k];

			if (!s->seen[k])
				continue;
			metric_u64(count, n->count, "cpu", cpu, "kind", kind_names[k], LABELS_END);
			if (timed(k))
				metric_u64(seconds, n->ns, "cpu", cpu, "kind", kind_names[k],
					   LABELS_END);
		}
	}
	duration = metrics_family(m, NOISE_INTERRUPTION_DURATION,
				  "Duration of single interruptions by kind, by the CPU group "
				  "of the CPU they interrupted.",
				  METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	for (int g = 0; g < n_groups(s->cfg); g++)
		for (int k = 0; k < JD_NOISE_KINDS; k++) {
			struct jd_hist_ns h;
			struct metric_hist view;

			if (!timed(k) || !s->seen[k])
				continue;
			group_hist(c, s, g, k, &h);
			view = hist_ns_metric(&h);
			metric_hist(duration, &view, "cpu_group", group_name(s->cfg, g), "kind",
				    kind_names[k], LABELS_END);
		}
	if (s->causes)
		collect_causes(c, m);
	if (s->ticks)
		collect_ticks(c, m);
	if (s->switches && s->has_tasks_on_cpus)
		collect_tasks(c, m);
	if (s->switches && s->cfg->n_workloads)
		collect_workloads(c, m);
}

/* ---- reload ------------------------------------------------------------ */

static bool groups_differ(const struct jd_config *old, const struct jd_config *new)
{
	return old->n_cpu_groups != new->n_cpu_groups ||
	       memcmp(old->cpu_groups, new->cpu_groups, sizeof(old->cpu_groups));
}

/*
 * New groups: each starts from what the old group of its name counted (a
 * group new by name, from what its CPUs counted since jitterd started),
 * and adds what its CPUs count from now on.
 */
static int regroup(struct collector *c, struct noise *s, const struct jd_config *old,
		   const struct jd_config *new)
{
	static struct jd_hist_ns base[JD_MAX_CPU_GROUPS][JD_NOISE_KINDS];
	int err = read_noise_cpu(c, s);

	if (err)
		return err;
	memset(base, 0, sizeof(base));
	for (int g = 0; g < n_groups(new); g++) {
		int og;

		for (og = 0; og < n_groups(old); og++)
			if (!strcmp(group_name(old, og), group_name(new, g)))
				break;
		for (int k = 0; k < JD_NOISE_KINDS; k++) {
			if (og < n_groups(old)) {
				group_hist(c, s, og, k, &base[g][k]);
				continue;
			}
			for (int cpu = 0; cpu < c->nr_cpus; cpu++)
				if (cpu < CPU_SETSIZE && (!new->n_cpu_groups ||
							  CPU_ISSET(cpu, &new->cpu_groups[g].cpus)))
					add_counts(&base[g][k], &s->percpu[cpu].kind[k]);
		}
	}
	memcpy(s->base, base, sizeof(base));
	memcpy(s->snap, s->percpu, c->nr_cpus * sizeof(*s->snap));
	map_cpus_to_groups(s, c->nr_cpus, new);
	return 0;
}

/*
 * The workloads' noise is kept by index in config: another list of
 * workloads would put one's counts under another's name.
 */
static const char *noise_restart_needed(const struct collector *c, const struct jd_config *old,
					const struct jd_config *new)
{
	(void)c;
	if (old->n_workloads != new->n_workloads ||
	    memcmp(old->workloads, new->workloads, sizeof(old->workloads)))
		return "workloads: the noise collector counts each workload's noise by its place";
	return NULL;
}

/* The threshold is a global the programs read (mapped: a plain store). */
static int noise_reconfigure(struct collector *c, const struct jd_config *old,
			     const struct jd_config *new)
{
	const struct noise_options *o = collector_options(c, new);
	struct noise_bpf *skel = c->skel;
	struct noise *s = c->priv;
	int err;

	/* s->cfg stays the live config, which becomes new once the reload succeeds. */
	if (groups_differ(old, new) && (err = regroup(c, s, old, new)))
		return err;
	if (s->switches && (err = write_watch(c, new)))
		return err;
	skel->data->noise_threshold_ns = o->threshold_ns;
	return 0;
}

/* ---- what the anomaly detector may judge it by ---------------------------- */

static const struct signal_config interruption_rate_config = {
	.name = "interruption_rate",
	.unit = SIGNAL_RATE,
	.floor = "200",
	.floor_min = 1,
	.floor_max = 100000000,
};
static const struct signal_config interruption_time_config = {
	.name = "interruption_time",
	.unit = SIGNAL_PERCENT,
	.floor = "2",
	.floor_min = 1,
	.floor_max = 100,
};

static const struct signal_config tick_rate_config = {
	.name = "tick_rate",
	.unit = SIGNAL_RATE,
	.floor = "100",
	.floor_min = 1,
	.floor_max = 100000000,
};
static const struct signal_config ipi_rate_config = {
	.name = "ipi_rate",
	.unit = SIGNAL_RATE,
	.floor = "200",
	.floor_min = 1,
	.floor_max = 100000000,
};
static const struct signal_config ipi_time_config = {
	.name = "ipi_time",
	.unit = SIGNAL_PERCENT,
	.floor = "1",
	.floor_min = 1,
	.floor_max = 100,
};
static const struct signal_config workload_noise_config = {
	.name = "workload_noise",
	.unit = SIGNAL_PERCENT,
	.floor = "1",
	.floor_min = 1,
	.floor_max = 100,
};

/*
 * The IPIs a CPU receives: sent by another CPU (a wake-up, a function to
 * run: membarrier, a TLB shootdown, a sysctl that touches every CPU) or
 * raised by the CPU itself (irq_work: perf, printk, RCU). A TLB shootdown
 * is not one more: it arrives inside a call_function(_single) IPI, counted
 * there; it is the rate's evidence beside them. platform_ipi, despite its
 * x86 name, is a hypervisor's or platform's notification, not another CPU's.
 */
static const char *const ipi_kinds[] = { "reschedule", "call_function", "call_function_single",
					 "irq_work", NULL };
static const char *const ipi_evidence[] = { "tlb_shootdown", NULL };
static const char *const timer_kind[] = { "timer", NULL };

/*
 * Per CPU, all kinds together, with the kinds as the evidence: "cpu:5:
 * interruptions rose to 250/s (...; 249 interruptions of kind timer)" is
 * a tick that no longer stops, call_function a storm of IPIs. One subject
 * per CPU, not one per CPU and kind: the detector keeps a baseline per
 * subject, and 21 of them per CPU cost more memory (~7 KiB each) and
 * series than the per-kind view is worth; the evidence names the kind.
 */
static const struct signal_def noise_signals[] = {
	{ .name = "interruption_rate",
	  .config = &interruption_rate_config,
	  .words = "interruptions",
	  .judge = SIGNAL_RATE_OF,
	  .from = { { .family = NOISE_INTERRUPTIONS, .subject = SIGNAL_CPU, .label = "cpu" } },
	  .by = "kind",
	  .evidence_causes = "interruption",
	  .cause_words = "interruptions of kind" },
	{ .name = "interruption_time",
	  .config = &interruption_time_config,
	  .words = "time in interruptions",
	  .judge = SIGNAL_TIME_SHARE,
	  .from = { { .family = NOISE_INTERRUPTION_SECONDS,
		      .subject = SIGNAL_CPU,
		      .label = "cpu" } },
	  .evidence = { "interruption_seconds" },
	  .cpu_time_cause = "interruption",
	  .cause_name = "interruptions" },
	/*
	 * The tick and the IPIs alone, per CPU: on an isolated CPU these are
	 * the two that settings (nohz_full) and applications (membarrier,
	 * munmap) change, and a rise of one is hidden in interruption_rate by
	 * a busy CPU's other kinds. Three more subjects per CPU, not 21.
	 */
	{ .name = "tick_rate",
	  .config = &tick_rate_config,
	  .words = "local timer interrupts (the tick and hrtimers)",
	  .judge = SIGNAL_RATE_OF,
	  .from = { { .family = NOISE_INTERRUPTIONS, .subject = SIGNAL_CPU, .label = "cpu" } },
	  .evidence = { "timer_interrupts" },
	  .only_label = "kind",
	  .only = timer_kind },
	{ .name = "ipi_rate",
	  .config = &ipi_rate_config,
	  .words = "IPIs",
	  .judge = SIGNAL_RATE_OF,
	  .from = { { .family = NOISE_INTERRUPTIONS, .subject = SIGNAL_CPU, .label = "cpu" } },
	  .by = "kind",
	  .only_label = "kind",
	  .only = ipi_kinds,
	  .also_shown = ipi_evidence },
	{ .name = "ipi_time",
	  .config = &ipi_time_config,
	  .words = "time in IPIs",
	  .judge = SIGNAL_TIME_SHARE,
	  .from = { { .family = NOISE_INTERRUPTION_SECONDS,
		      .subject = SIGNAL_CPU,
		      .label = "cpu" } },
	  .evidence = { "ipi_seconds" },
	  .only_label = "kind",
	  .only = ipi_kinds },
	/*
	 * What a followed workload's running threads lost to interruptions,
	 * as a percent of the interval (summed over its threads: a workload
	 * of two busy threads can lose up to 200%). A busy poller never
	 * waits in a run queue: this is its latency signal.
	 */
	{ .name = "workload_noise",
	  .config = &workload_noise_config,
	  .words = "time its running threads lost to interruptions",
	  .judge = SIGNAL_TIME_SHARE,
	  .from = { { .family = NOISE_WORKLOAD_SECONDS,
		      .subject = SIGNAL_WORKLOAD,
		      .label = "workload" } },
	  .evidence = { "interruption_seconds" } },
};

COLLECTOR_SKELETON(noise)

/* Opt-in: its 20 counting probes make the daemon's start 2.5 times as long
 * (0.4 -> 1.0 s here, tens of seconds in an emulated guest; docs/noise.md);
 * the 5 naming ones added no time this machine could measure. */
const struct collector_ops noise_collector = {
	.name = "noise",
	.opt_in = true,
	.open = noise_open,
	.priv_size = sizeof(struct noise),
	.probes = noise_probes,
	.n_probes = ARRAY_SIZE(noise_probes),
	.events = noise_events,
	.n_events = ARRAY_SIZE(noise_events),
	.config_keys = noise_config_keys,
	.event_keys = noise_event_keys,
	.signals = noise_signals,
	.n_signals = ARRAY_SIZE(noise_signals),
	.configure = noise_configure,
	.loaded = noise_loaded,
	.attached = noise_attached,
	.restart_needed = noise_restart_needed,
	.reconfigure = noise_reconfigure,
	.collect = noise_collect,
	.finish = noise_finish,
};
