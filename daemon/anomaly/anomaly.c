// SPDX-License-Identifier: MIT
/*
 * The anomaly detector (see anomaly.h). One interval:
 *
 *   drain the events ring (the outlier waits up to now, with who held the
 *   CPU) -> build a fresh registry the way /metrics does -> the difference
 *   from the last one gives each signal's value for the interval -> judge
 *   every (signal, subject) against its baseline for the current session ->
 *   for each that went anomalous or back to normal: an "anomaly" event with
 *   the evidence and the likely causes -> forget the interval's waits.
 *
 * Memory is bounded by the config: one state per (signal, subject), where
 * subjects are the configured CPU groups, workloads, socket classes, and
 * the machine's CPUs and softirq vectors; causes are kept per CPU and per
 * workload in a few slots per interval, never per pid.
 */
#include "anomaly/anomaly.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anomaly/baseline.h"
#include "probes/collector.h"
#include "probes/events.h"
#include "lib/json.h"
#include "lib/log.h"
#include "core/loop.h"
#include "lib/parse.h"
#include "bpf/sched.h"

#define MAX_INSTANCES 4096
#define SUBJECT_MAX   96
#define TOP_CULPRITS  8	 /* tasks remembered per CPU and workload per interval */
#define MAX_PARTS     8	 /* evidence numbers of one interval */
#define MAX_CAUSES    12 /* causes weighed for one finding */
#define MAX_VECTORS   16
#define OTHER_TASKS   "(other tasks)"
#define OWN_THREADS   "(own threads)" /* fits a comm: culprits hold comms */

enum unit { U_SECONDS, U_PERCENT, U_RATE, U_BYTES };

enum signal {
	S_RUNQ_WAIT,
	S_RUNQ_P50,
	S_RUNQ_P99,
	S_RUNQ_P999,
	S_OUTLIER_RATE,
	S_CTXSW_RATE,
	S_INVOLUNTARY_SHARE,
	S_SOFTIRQ_TIME,
	S_SOFTIRQ_LATENCY_P99,
	S_HARDIRQ_TIME,
	S_SOCKET_DROPS,
	S_SOCKET_QUEUE,
	N_SIGNALS
};

static const struct signal_def {
	const char *name;
	enum jd_anomaly_family family;
	enum unit unit;
	const char *words; /* "<subject>: <words> rose to ..." */
} signals[N_SIGNALS] = {
	[S_RUNQ_WAIT] = { "runqueue_wait", JD_AN_RUNQ_WAIT, U_PERCENT,
			  "time spent waiting for a CPU" },
	[S_RUNQ_P50] = { "runqueue_latency_p50", JD_AN_RUNQ_LATENCY, U_SECONDS,
			 "run-queue latency p50" },
	[S_RUNQ_P99] = { "runqueue_latency_p99", JD_AN_RUNQ_LATENCY, U_SECONDS,
			 "run-queue latency p99" },
	[S_RUNQ_P999] = { "runqueue_latency_p999", JD_AN_RUNQ_LATENCY, U_SECONDS,
			  "run-queue latency p99.9" },
	[S_OUTLIER_RATE] = { "runqueue_outlier_rate", JD_AN_OUTLIER_RATE, U_RATE,
			     "run-queue waits over the outlier threshold" },
	[S_CTXSW_RATE] = { "context_switch_rate", JD_AN_CTXSW_RATE, U_RATE, "context switches" },
	[S_INVOLUNTARY_SHARE] = { "involuntary_share", JD_AN_INVOLUNTARY_SHARE, U_PERCENT,
				  "share of involuntary context switches" },
	[S_SOFTIRQ_TIME] = { "softirq_time", JD_AN_SOFTIRQ_TIME, U_PERCENT,
			     "time in softirq handlers" },
	[S_SOFTIRQ_LATENCY_P99] = { "softirq_latency_p99", JD_AN_SOFTIRQ_LATENCY, U_SECONDS,
				    "softirq raise-to-run latency p99" },
	[S_HARDIRQ_TIME] = { "hardirq_time", JD_AN_HARDIRQ_TIME, U_PERCENT,
			     "time in interrupt handlers" },
	[S_SOCKET_DROPS] = { "socket_drops", JD_AN_SOCKET_DROPS, U_RATE, "dropped packets" },
	[S_SOCKET_QUEUE] = { "socket_queue_max", JD_AN_SOCKET_QUEUE, U_BYTES,
			     "largest receive queue" },
};

enum subject_kind { K_CPU_GROUP, K_WORKLOAD, K_CPU, K_CPU_VECTOR, K_VECTOR, K_SOCKET };

struct instance {
	enum signal sig;
	enum subject_kind kind;
	int index; /* group, workload, CPU (K_CPU, K_CPU_VECTOR), vector (K_VECTOR), -1 */
	int vector;
	char subject[SUBJECT_MAX];
	struct detector det;
	struct baseline *base; /* one per session, the default first; allocated when used */
	bool judged;	       /* has a value this interval */
	double value;
	double parts[MAX_PARTS]; /* this interval's evidence, named below */
	char part_names[MAX_PARTS][24];
	unsigned n_parts;
	/* The anomaly in progress. */
	time_t since;
	double baseline_at_start, peak_value, peak_score;
	uint64_t raised; /* times */
};

struct culprit {
	char comm[JD_COMM_LEN + 1];
	uint64_t wait_ns;
	uint32_t waits;
};

/* The outlier waits of one CPU or workload in this interval, by who held the CPU. */
struct culprits {
	struct culprit top[TOP_CULPRITS];
	unsigned n;
	uint64_t other_ns, total_ns;
	uint32_t other_waits, total_waits;
};

struct view_list {
	struct metric_sample_view *v;
	int n, cap;
};

static struct {
	const struct jd_config *cfg;
	/*
	 * Its own copy of anomaly:, taken at start: a live reload that
	 * rewrites the config in place must not resize the windows and
	 * sessions under the baselines (changing them takes a restart).
	 */
	struct jd_anomaly_config conf;
	const struct jd_anomaly_config *a;
	int job;
	unsigned sched_source; /* the sched collector's place: its events' header */
	int nr_cpus;
	struct metrics *cur, *prev;
	bool have_prev;
	struct timespec last;
	double dt; /* seconds in this interval */
	unsigned session;
	struct instance *inst;
	unsigned n_inst, cursor;
	bool full_logged;
	float *scratch;
	struct culprits *by_cpu, by_workload[JD_MAX_WORKLOADS];
	cpu_set_t workload_cpus[JD_MAX_WORKLOADS];
	char vectors[MAX_VECTORS][16]; /* softirq vector names, as the registry has them */
	unsigned n_vectors;
	uint64_t total[N_SIGNALS];
	uint64_t intervals;
	double cpu_seconds; /* the detector's own */
	FILE *record;
	struct view_list cur_v, prev_v;
} an;

/* ---- the interval's outlier waits (an events watcher) ---------------------- */

static void culprits_add(struct culprits *c, const char *comm, uint64_t ns)
{
	unsigned i, least = 0;

	c->total_ns += ns;
	c->total_waits++;
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->top[i].comm, comm))
			break;
	if (i == c->n && c->n < TOP_CULPRITS) {
		snprintf(c->top[c->n++].comm, sizeof(c->top[0].comm), "%s", comm);
	} else if (i == c->n) {
		/* Full: the smallest makes way for a larger one and goes to "other". */
		for (unsigned k = 1; k < c->n; k++)
			if (c->top[k].wait_ns < c->top[least].wait_ns)
				least = k;
		if (c->top[least].wait_ns >= ns) {
			c->other_ns += ns;
			c->other_waits++;
			return;
		}
		c->other_ns += c->top[least].wait_ns;
		c->other_waits += c->top[least].waits;
		c->top[least] = (struct culprit){};
		snprintf(c->top[least].comm, sizeof(c->top[0].comm), "%s", comm);
		i = least;
	}
	c->top[i].wait_ns += ns;
	c->top[i].waits++;
}

static void on_event(const struct jd_event_hdr *h, const void *event, void *arg)
{
	const struct jd_runq_event *e = event;
	char comm[JD_COMM_LEN + 1];

	(void)arg;
	if (h->collector != an.sched_source || h->type != JD_SCHED_EVENT_RUNQ_LATENCY)
		return;
	/*
	 * prev is who held the CPU when the wait ended: the whole wait is put
	 * down to it, as the "held the CPU in 81% of the outlier
	 * waits" does. (Its prev_ran_ns, its last stint only, undercounts a
	 * hog that others preempt every millisecond.) A thread of the waiter's
	 * own workload is named as such: contention within the workload.
	 */
	snprintf(comm, sizeof(comm), "%.*s", JD_COMM_LEN, e->prev_comm);
	if ((int)h->cpu < an.nr_cpus)
		culprits_add(&an.by_cpu[h->cpu], comm, e->latency_ns);
	if (e->workload && e->workload <= (unsigned)an.cfg->n_workloads) {
		const struct jd_workload *w = &an.cfg->workloads[e->workload - 1];

		if (w->comm[0] && !fnmatch(w->comm, comm, 0))
			snprintf(comm, sizeof(comm), "%s", OWN_THREADS);
		culprits_add(&an.by_workload[e->workload - 1], comm, e->latency_ns);
		if (h->cpu < CPU_SETSIZE)
			CPU_SET(h->cpu, &an.workload_cpus[e->workload - 1]);
	}
}

static void forget_interval(void)
{
	memset(an.by_cpu, 0, an.nr_cpus * sizeof(*an.by_cpu));
	memset(an.by_workload, 0, sizeof(an.by_workload));
	memset(an.workload_cpus, 0, sizeof(an.workload_cpus));
}

/* ---- instances ------------------------------------------------------------ */

static struct instance *instance_get(enum signal sig, enum subject_kind kind, int index, int vector,
				     const char *subject)
{
	struct instance *in;

	/* Signals come in the same order every interval: the next one is likely it. */
	for (unsigned k = 0; k < an.n_inst; k++) {
		in = &an.inst[(an.cursor + k) % an.n_inst];
		if (in->sig == sig && !strcmp(in->subject, subject)) {
			an.cursor = (unsigned)(in - an.inst) + 1;
			return in;
		}
	}
	if (an.n_inst == MAX_INSTANCES) {
		if (!an.full_logged)
			log_warn("anomaly: more than %d signals; the rest are not judged",
				 MAX_INSTANCES);
		an.full_logged = true;
		return NULL;
	}
	in = &an.inst[an.n_inst++];
	memset(in, 0, sizeof(*in));
	in->base = calloc((size_t)an.a->n_sessions + 1, sizeof(*in->base));
	if (!in->base) {
		an.n_inst--;
		return NULL;
	}
	in->sig = sig;
	in->kind = kind;
	in->index = index;
	in->vector = vector;
	snprintf(in->subject, sizeof(in->subject), "%s", subject);
	an.cursor = an.n_inst;
	return in;
}

/* This interval's value of a signal (judged after every value is in). */
static struct instance *observe(enum signal sig, enum subject_kind kind, int index, int vector,
				const char *subject, double value, bool has_value)
{
	struct instance *in;

	if (!an.a->signals[signals[sig].family].enabled)
		return NULL;
	in = instance_get(sig, kind, index, vector, subject);
	if (!in)
		return NULL;
	in->judged = has_value;
	in->value = has_value ? value : 0;
	in->n_parts = 0;
	return in;
}

static void add_part(struct instance *in, const char *name, double v)
{
	if (!in || in->n_parts == MAX_PARTS)
		return;
	snprintf(in->part_names[in->n_parts], sizeof(in->part_names[0]), "%s", name);
	in->parts[in->n_parts++] = v;
}

/* ---- reading the registry -------------------------------------------------- */

static void gather_one(const struct metric_sample_view *s, void *arg)
{
	struct view_list *l = arg;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct metric_sample_view *v = realloc(l->v, (size_t)cap * sizeof(*v));

		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
}

/* The family's samples now and an interval ago. */
static int gather(const char *family)
{
	an.cur_v.n = an.prev_v.n = 0;
	metrics_each_sample(an.cur, family, gather_one, &an.cur_v);
	metrics_each_sample(an.prev, family, gather_one, &an.prev_v);
	return an.cur_v.n;
}

static bool same_labels(const struct metric_sample_view *a, const struct metric_sample_view *b)
{
	return a->labels_len == b->labels_len && !memcmp(a->labels, b->labels, a->labels_len);
}

/* The sample an interval ago with the labels of the i-th one now, or NULL. */
static const struct metric_sample_view *before(int i)
{
	const struct metric_sample_view *now = &an.cur_v.v[i];

	if (i < an.prev_v.n && same_labels(&an.prev_v.v[i], now))
		return &an.prev_v.v[i];
	for (int j = 0; j < an.prev_v.n; j++)
		if (same_labels(&an.prev_v.v[j], now))
			return &an.prev_v.v[j];
	return NULL;
}

/* A counter's increase over the interval (0 after a reset or a new series). */
static double counter_delta(int i)
{
	const struct metric_sample_view *p = before(i);
	double d = p ? an.cur_v.v[i].value - p->value : 0;

	return d > 0 ? d : 0;
}

/* The interval's histogram: per-bucket increases into delta; returns the count. */
static uint64_t hist_delta(int i, uint64_t *delta, unsigned max)
{
	const struct metric_sample_view *p = before(i);
	const struct metric_hist *h = &an.cur_v.v[i].hist;
	uint64_t n = 0;

	if (!p || p->hist.n_buckets != h->n_buckets || h->n_buckets > max)
		return 0;
	for (unsigned b = 0; b < h->n_buckets; b++) {
		delta[b] = h->buckets[b] >= p->hist.buckets[b] ? h->buckets[b] - p->hist.buckets[b]
							       : 0;
		n += delta[b];
	}
	return n;
}

/* The q-quantile of a delta histogram, interpolated in its bucket (as
 * Prometheus' histogram_quantile does). */
static double hist_quantile(const uint64_t *delta, uint64_t n, const struct metric_hist *h,
			    double q)
{
	double rank = q * (double)n, seen = 0;

	for (unsigned b = 0; b < h->n_buckets; b++) {
		double upper = ldexp(1, (int)(h->first_log2 + b));
		double lower = b ? upper / 2 : 0;

		if (b + 1 == h->n_buckets) /* the overflow bucket: say its lower bound */
			return lower;
		if (seen + (double)delta[b] >= rank && delta[b])
			return lower + (upper - lower) * (rank - seen) / (double)delta[b];
		seen += (double)delta[b];
	}
	return 0;
}

static int label_int(const struct metric_sample_view *s, const char *name)
{
	char v[24];

	return metric_sample_label(s, name, v, sizeof(v)) ? -1 : atoi(v);
}

static int vector_index(const char *name)
{
	for (unsigned i = 0; i < an.n_vectors; i++)
		if (!strcmp(an.vectors[i], name))
			return (int)i;
	if (an.n_vectors == MAX_VECTORS)
		return -1;
	snprintf(an.vectors[an.n_vectors], sizeof(an.vectors[0]), "%s", name);
	return (int)an.n_vectors++;
}

/* ---- signals --------------------------------------------------------------- */

static int group_index(const char *name)
{
	if (!an.cfg->n_cpu_groups)
		return 0;
	for (int g = 0; g < an.cfg->n_cpu_groups; g++)
		if (!strcmp(an.cfg->cpu_groups[g].name, name))
			return g;
	return -1;
}

static int workload_index(const char *name)
{
	for (int w = 0; w < an.cfg->n_workloads; w++)
		if (!strcmp(an.cfg->workloads[w].name, name))
			return w;
	return -1;
}

/* Run-queue latency quantiles of each cpu_group or workload. */
static void runq_signals(const char *family, const char *label, enum subject_kind kind)
{
	static const enum signal sig[] = { S_RUNQ_P50, S_RUNQ_P99, S_RUNQ_P999 };
	static const double q[] = { 0.5, 0.99, 0.999 };
	const struct jd_anomaly_signal *sc = &an.a->signals[JD_AN_RUNQ_LATENCY];
	const bool wanted[] = { sc->p50, sc->p99, sc->p999 };
	uint64_t delta[80];

	for (int i = 0; i < gather(family); i++) {
		const struct metric_hist *h = &an.cur_v.v[i].hist;
		char name[JD_NAME_MAX], subject[SUBJECT_MAX];
		uint64_t n = hist_delta(i, delta, 80);
		bool enough = n >= an.a->min_samples;
		int index, cpus = kind == K_CPU_GROUP && !an.cfg->n_cpu_groups ? an.nr_cpus : 1;
		double quantile[3], wait;
		struct instance *in;

		if (metric_sample_label(&an.cur_v.v[i], label, name, sizeof(name)))
			continue;
		index = kind == K_CPU_GROUP ? group_index(name) : workload_index(name);
		snprintf(subject, sizeof(subject), "%s:%s",
			 kind == K_CPU_GROUP ? "cpu_group" : "workload", name);
		for (int k = 0; k < 3; k++)
			quantile[k] = enough ? hist_quantile(delta, n, h, q[k]) : 0;
		wait = before(i) ? (double)(h->sum - before(i)->hist.sum) : 0;
		if (kind == K_CPU_GROUP && an.cfg->n_cpu_groups && index >= 0)
			cpus = CPU_COUNT(&an.cfg->cpu_groups[index].cpus);
		in = observe(S_RUNQ_WAIT, kind, index, -1, subject,
			     100 * wait / (an.dt * 1e9 * (cpus > 0 ? cpus : 1)), true);
		add_part(in, "waits", (double)n);
		add_part(in, "wait_seconds", wait / 1e9);
		for (int k = 0; k < 3; k++) {
			if (!wanted[k])
				continue;
			in = observe(sig[k], kind, index, -1, subject, quantile[k], enough);

			add_part(in, "waits", (double)n);
			add_part(in, "p50_seconds", quantile[0] / 1e9);
			add_part(in, "p99_seconds", quantile[1] / 1e9);
			add_part(in, "p999_seconds", quantile[2] / 1e9);
		}
	}
}

static void outlier_signals(void)
{
	for (int i = 0; i < gather("jitterd_runqueue_latency_outliers_total"); i++) {
		char name[JD_NAME_MAX], subject[SUBJECT_MAX];
		double d = counter_delta(i);
		struct instance *in;

		if (metric_sample_label(&an.cur_v.v[i], "cpu_group", name, sizeof(name)))
			continue;
		snprintf(subject, sizeof(subject), "cpu_group:%s", name);
		in = observe(S_OUTLIER_RATE, K_CPU_GROUP, group_index(name), -1, subject, d / an.dt,
			     true);
		add_part(in, "outlier_waits", d);
	}
}

/* Switches by kind, per CPU (jitterd_context_switches_total) or workload. */
static void ctxsw_signals(bool per_cpu)
{
	const char *family = per_cpu ? "jitterd_context_switches_total"
				     : "jitterd_workload_context_switches_total";
	int n = gather(family);

	/* Samples come grouped by subject, kinds in a row: sum each run. */
	for (int i = 0; i < n;) {
		char name[JD_NAME_MAX], kind[16], other[JD_NAME_MAX], subject[SUBJECT_MAX];
		double vol = 0, invol = 0, idle = 0;
		const char *label = per_cpu ? "cpu" : "workload";
		struct instance *in;

		if (metric_sample_label(&an.cur_v.v[i], label, name, sizeof(name))) {
			i++;
			continue;
		}
		for (; i < n && !metric_sample_label(&an.cur_v.v[i], label, other, sizeof(other)) &&
		       !strcmp(other, name);
		     i++) {
			double d = counter_delta(i);

			if (metric_sample_label(&an.cur_v.v[i], "kind", kind, sizeof(kind)))
				continue;
			if (!strcmp(kind, "voluntary"))
				vol += d;
			else if (!strcmp(kind, "involuntary"))
				invol += d;
			else
				idle += d;
		}
		snprintf(subject, sizeof(subject), "%s:%s", label, name);
		if (per_cpu) {
			in = observe(S_CTXSW_RATE, K_CPU, atoi(name), -1, subject,
				     (vol + invol + idle) / an.dt, true);
			add_part(in, "voluntary", vol);
			add_part(in, "involuntary", invol);
			add_part(in, "idle", idle);
		}
		in = observe(S_INVOLUNTARY_SHARE, per_cpu ? K_CPU : K_WORKLOAD,
			     per_cpu ? atoi(name) : workload_index(name), -1, subject,
			     vol + invol > 0 ? 100 * invol / (vol + invol) : 0,
			     vol + invol >= an.a->min_samples);
		add_part(in, "voluntary", vol);
		add_part(in, "involuntary", invol);
	}
}

static void softirq_time_signals(void)
{
	for (int i = 0; i < gather("jitterd_softirq_seconds_total"); i++) {
		char vector[16], subject[SUBJECT_MAX];
		int cpu = label_int(&an.cur_v.v[i], "cpu");
		double d = counter_delta(i);
		struct instance *in;

		if (cpu < 0 ||
		    metric_sample_label(&an.cur_v.v[i], "vector", vector, sizeof(vector)))
			continue;
		snprintf(subject, sizeof(subject), "cpu:%d/%s", cpu, vector);
		in = observe(S_SOFTIRQ_TIME, K_CPU_VECTOR, cpu, vector_index(vector), subject,
			     100 * d / (an.dt * 1e9), true);
		add_part(in, "softirq_seconds", d / 1e9);
	}
}

static void hardirq_signals(void)
{
	for (int i = 0; i < gather("jitterd_hardirq_seconds_total"); i++) {
		char subject[SUBJECT_MAX];
		int cpu = label_int(&an.cur_v.v[i], "cpu");
		double d = counter_delta(i);
		struct instance *in;

		if (cpu < 0)
			continue;
		snprintf(subject, sizeof(subject), "cpu:%d", cpu);
		in = observe(S_HARDIRQ_TIME, K_CPU, cpu, -1, subject, 100 * d / (an.dt * 1e9),
			     true);
		add_part(in, "hardirq_seconds", d / 1e9);
	}
}

static void softirq_latency_signals(void)
{
	uint64_t delta[80];

	for (int i = 0; i < gather("jitterd_softirq_latency_seconds"); i++) {
		char vector[16], subject[SUBJECT_MAX];
		uint64_t n = hist_delta(i, delta, 80);
		bool enough = n >= an.a->min_samples;
		struct instance *in;

		if (metric_sample_label(&an.cur_v.v[i], "vector", vector, sizeof(vector)))
			continue;
		snprintf(subject, sizeof(subject), "vector:%s", vector);
		in = observe(S_SOFTIRQ_LATENCY_P99, K_VECTOR, -1, vector_index(vector), subject,
			     enough ? hist_quantile(delta, n, &an.cur_v.v[i].hist, 0.99) : 0,
			     enough);
		add_part(in, "runs", (double)n);
	}
}

static void socket_signals(void)
{
	uint64_t delta[80];
	int n = gather("jitterd_socket_drops_total");

	for (int i = 0; i < n;) {
		char name[JD_NAME_MAX], other[JD_NAME_MAX], reason[24], subject[SUBJECT_MAX];
		double total = 0;
		struct instance *in;
		int first = i;

		if (metric_sample_label(&an.cur_v.v[i], "socket", name, sizeof(name))) {
			i++;
			continue;
		}
		while (i < n &&
		       !metric_sample_label(&an.cur_v.v[i], "socket", other, sizeof(other)) &&
		       !strcmp(other, name))
			total += counter_delta(i++);
		snprintf(subject, sizeof(subject), "socket:%s", name);
		in = observe(S_SOCKET_DROPS, K_SOCKET, -1, -1, subject, total / an.dt, true);
		for (int j = first; j < i; j++)
			if (!metric_sample_label(&an.cur_v.v[j], "reason", reason, sizeof(reason)))
				add_part(in, reason, counter_delta(j));
	}
	for (int i = 0; i < gather("jitterd_socket_receive_queue_bytes"); i++) {
		const struct metric_hist *h = &an.cur_v.v[i].hist;
		char name[JD_NAME_MAX], subject[SUBJECT_MAX];
		uint64_t count = hist_delta(i, delta, 80);
		double max = 0;
		struct instance *in;

		if (metric_sample_label(&an.cur_v.v[i], "socket", name, sizeof(name)))
			continue;
		for (unsigned b = 0; b < h->n_buckets && count; b++)
			if (delta[b])
				max = ldexp(1, (int)(h->first_log2 + b));
		snprintf(subject, sizeof(subject), "socket:%s", name);
		in = observe(S_SOCKET_QUEUE, K_SOCKET, -1, -1, subject, max, true);
		add_part(in, "enqueues", (double)count);
	}
}

static void read_signals(void)
{
	const struct jd_anomaly_config *a = an.a;

	if (a->subjects.cpu_groups) {
		runq_signals("jitterd_runqueue_latency_seconds", "cpu_group", K_CPU_GROUP);
		outlier_signals();
	}
	if (a->subjects.workloads) {
		runq_signals("jitterd_workload_runqueue_latency_seconds", "workload", K_WORKLOAD);
		ctxsw_signals(false);
	}
	if (a->subjects.cpus) {
		ctxsw_signals(true);
		softirq_time_signals();
		hardirq_signals();
	}
	if (a->subjects.vectors)
		softirq_latency_signals();
	if (a->subjects.sockets)
		socket_signals();
}

/* ---- words ----------------------------------------------------------------- */

static void format_value(char *buf, size_t size, enum unit u, double v)
{
	switch (u) {
	case U_SECONDS:
		if (v < 1e3)
			snprintf(buf, size, "%.0f ns", v);
		else if (v < 1e6)
			snprintf(buf, size, "%.1f us", v / 1e3);
		else if (v < 1e9)
			snprintf(buf, size, "%.1f ms", v / 1e6);
		else
			snprintf(buf, size, "%.2f s", v / 1e9);
		break;
	case U_PERCENT: snprintf(buf, size, "%.1f%%", v); break;
	case U_RATE: snprintf(buf, size, "%.0f/s", v); break;
	case U_BYTES: snprintf(buf, size, "%.0f bytes", v); break;
	}
}

/* A value as the event carries it: seconds, not nanoseconds. */
static double export_value(enum unit u, double v)
{
	return u == U_SECONDS ? v / 1e9 : v;
}

static const char *unit_name(enum unit u)
{
	static const char *const names[] = { "seconds", "percent", "per_second", "bytes" };

	return names[u];
}

static const char *session_name(unsigned s)
{
	return s ? an.a->sessions[s - 1].name : "default";
}

/* ---- attribution ----------------------------------------------------------- */

struct cause {
	const char *kind; /* task, softirq, hardirq, drop_reason */
	char name[48];
	double amount; /* ns of CPU time (tasks: outlier wait time), or packets */
	uint32_t count;
	double share;
};

static struct cause *cause_add(struct cause *c, unsigned *n, const char *kind, const char *name)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(c[i].kind, kind) && !strcmp(c[i].name, name))
			return &c[i];
	if (*n == MAX_CAUSES)
		return NULL;
	c[*n] = (struct cause){ .kind = kind };
	snprintf(c[*n].name, sizeof(c[0].name), "%s", name);
	return &c[(*n)++];
}

static void add_culprits(struct cause *c, unsigned *n, const struct culprits *cu)
{
	for (unsigned i = 0; i < cu->n; i++) {
		struct cause *k = cause_add(c, n, "task", cu->top[i].comm);

		if (k) {
			k->amount += (double)cu->top[i].wait_ns;
			k->count += cu->top[i].waits;
		}
	}
	if (cu->other_waits) {
		struct cause *k = cause_add(c, n, "task", OTHER_TASKS);

		if (k) {
			k->amount += (double)cu->other_ns;
			k->count += cu->other_waits;
		}
	}
}

/* Softirq and interrupt time on cpu over its own baseline, as ns of the interval. */
static void add_irq_excess(struct cause *c, unsigned *n, int cpu)
{
	for (unsigned i = 0; i < an.n_inst; i++) {
		const struct instance *in = &an.inst[i];
		double excess = in->value - in->det.center;
		struct cause *k;

		if (!in->judged || in->index != cpu || excess <= 0 ||
		    (in->sig != S_SOFTIRQ_TIME && in->sig != S_HARDIRQ_TIME))
			continue;
		if (in->sig == S_SOFTIRQ_TIME)
			k = cause_add(c, n, "softirq", an.vectors[in->vector]);
		else
			k = cause_add(c, n, "hardirq", "interrupt handlers");
		if (k)
			k->amount += excess / 100 * an.dt * 1e9;
	}
}

/*
 * Largest first; then the workload's own threads (they end its waits in
 * quiet times too, so they are seldom the news) and "(other tasks)" (many
 * small ones together, which names no one).
 */
static bool irq_first; /* judging softirq or interrupt time: that time is the cause */

static int cause_rank(const struct cause *c)
{
	if (irq_first && (!strcmp(c->kind, "softirq") || !strcmp(c->kind, "hardirq")))
		return -1;
	return !strcmp(c->name, OWN_THREADS) ? 1 : !strcmp(c->name, OTHER_TASKS) ? 2 : 0;
}

static int cause_cmp(const void *a, const void *b)
{
	const struct cause *ca = a, *cb = b;

	if (cause_rank(ca) != cause_rank(cb))
		return cause_rank(ca) - cause_rank(cb);
	return ca->amount < cb->amount ? 1 : ca->amount > cb->amount ? -1 : 0;
}

/* The likely causes of in's value this interval, largest share first. */
static unsigned attribute(const struct instance *in, struct cause *c)
{
	unsigned n = 0;
	double sum = 0;

	if (in->kind == K_SOCKET) {
		for (unsigned p = 0; in->sig == S_SOCKET_DROPS && p < in->n_parts; p++) {
			struct cause *k;

			if (in->parts[p] <= 0)
				continue;
			k = cause_add(c, &n, "drop_reason", in->part_names[p]);
			if (k)
				k->amount = in->parts[p];
		}
	} else if (in->kind == K_WORKLOAD) {
		add_culprits(c, &n, &an.by_workload[in->index]);
		for (int cpu = 0; cpu < an.nr_cpus && cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &an.workload_cpus[in->index]))
				add_irq_excess(c, &n, cpu);
	} else {
		for (int cpu = 0; cpu < an.nr_cpus; cpu++) {
			bool in_subject;

			if (in->kind == K_CPU_GROUP)
				in_subject = !an.cfg->n_cpu_groups ||
					     (cpu < CPU_SETSIZE &&
					      CPU_ISSET(cpu, &an.cfg->cpu_groups[in->index].cpus));
			else if (in->kind == K_VECTOR)
				in_subject = true;
			else
				in_subject = cpu == in->index;
			if (!in_subject)
				continue;
			add_culprits(c, &n, &an.by_cpu[cpu]);
			add_irq_excess(c, &n, cpu);
		}
	}
	for (unsigned i = 0; i < n; i++)
		sum += c[i].amount;
	for (unsigned i = 0; i < n; i++)
		c[i].share = sum > 0 ? c[i].amount / sum : 0;
	irq_first = in->sig == S_SOFTIRQ_TIME || in->sig == S_HARDIRQ_TIME;
	qsort(c, n, sizeof(*c), cause_cmp);
	return n;
}

static void describe_cause(char *buf, size_t size, const struct cause *c)
{
	if (!strcmp(c->kind, "task"))
		snprintf(buf, size,
			 "task \"%s\" had the CPU when %.0f%% of the long run-queue waits "
			 "ended (by wait time: %u waits, %.1f ms)",
			 c->name, 100 * c->share, c->count, c->amount / 1e6);
	else if (!strcmp(c->kind, "softirq"))
		snprintf(buf, size, "%s softirq took %.1f ms more CPU time than usual (%.0f%%)",
			 c->name, c->amount / 1e6, 100 * c->share);
	else if (!strcmp(c->kind, "hardirq"))
		snprintf(buf, size,
			 "interrupt handlers took %.1f ms more CPU time than usual (%.0f%%)",
			 c->amount / 1e6, 100 * c->share);
	else
		snprintf(buf, size, "%.0f packets dropped for %s (%.0f%%)", c->amount, c->name,
			 100 * c->share);
}

/* ---- events ---------------------------------------------------------------- */

static void clock_text(char *buf, size_t size, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%H:%M:%S %Z", &tm);
}

static json_t *evidence_json(const struct instance *in)
{
	json_t *ev = json_object();

	for (unsigned p = 0; ev && p < in->n_parts; p++)
		json_object_set_new(ev, in->part_names[p], json_real(in->parts[p]));
	return ev;
}

static void report(struct instance *in, enum detector_change change)
{
	const struct signal_def *def = &signals[in->sig];
	char observed[32], usual[32], peak[32], when[32], cause[256], text[768];
	json_t *obj = json_object(), *causes = json_array();
	struct cause c[MAX_CAUSES];
	unsigned n = 0;
	time_t now = time(NULL);

	if (!obj || !causes)
		goto out;
	format_value(observed, sizeof(observed), def->unit, in->value);
	format_value(usual, sizeof(usual), def->unit,
		     change == DETECTOR_RAISED ? in->det.center : in->baseline_at_start);
	json_set_str(obj, "state", change == DETECTOR_RAISED ? "started" : "ended");
	json_set_str(obj, "signal", def->name);
	json_set_str(obj, "subject", in->subject);
	json_set_str(obj, "session", session_name(an.session));
	json_set_str(obj, "unit", unit_name(def->unit));
	json_object_set_new(obj, "observed", json_real(export_value(def->unit, in->value)));
	if (change == DETECTOR_RAISED) {
		in->since = now;
		in->baseline_at_start = in->det.center;
		in->peak_value = in->value;
		in->peak_score = in->det.score;
		clock_text(when, sizeof(when), now);
		json_object_set_new(obj, "baseline",
				    json_real(export_value(def->unit, in->det.center)));
		json_object_set_new(obj, "score", json_real(in->det.score));
		json_object_set_new(obj, "threshold", json_integer(an.a->sensitivity));
		json_object_set_new(obj, "evidence", evidence_json(in));
		n = attribute(in, c);
		for (unsigned i = 0; i < n; i++) {
			json_t *o = json_object();

			describe_cause(cause, sizeof(cause), &c[i]);
			json_set_str(o, "kind", c[i].kind);
			json_set_str(o, "name", c[i].name);
			json_object_set_new(o, "share", json_real(round(c[i].share * 1000) / 1000));
			json_set_str(o, "detail", cause);
			json_array_append_new(causes, o);
		}
		if (n)
			describe_cause(cause, sizeof(cause), &c[0]);
		snprintf(text, sizeof(text),
			 "%s: %s rose to %s (usually %s; %.0f deviations, the threshold is %u) "
			 "at %s. %s%s",
			 in->subject, def->words, observed, usual, in->det.score, an.a->sensitivity,
			 when, n ? "Most likely cause: " : "No cause seen",
			 n ? cause : " in the same interval.");
		json_object_set(obj, "attribution", causes);
	} else {
		format_value(peak, sizeof(peak), def->unit, in->peak_value);
		json_object_set_new(obj, "baseline",
				    json_real(export_value(def->unit, in->baseline_at_start)));
		json_object_set_new(obj, "peak",
				    json_real(export_value(def->unit, in->peak_value)));
		json_object_set_new(obj, "peak_score", json_real(in->peak_score));
		json_object_set_new(obj, "duration_seconds",
				    json_integer((json_int_t)(now - in->since)));
		snprintf(text, sizeof(text),
			 "%s: %s is back to normal (%s, usually %s) after %lld s; it peaked at %s.",
			 in->subject, def->words, observed, usual, (long long)(now - in->since),
			 peak);
	}
	json_set_str(obj, "summary", text);
	events_log("anomaly", obj);
	log_info("anomaly %s: %s", change == DETECTOR_RAISED ? "started" : "ended", text);
out:
	json_decref(causes);
	json_decref(obj);
}

/* ---- the interval ---------------------------------------------------------- */

static unsigned current_session(time_t now)
{
	struct tm tm;
	uint32_t m;

	localtime_r(&now, &tm);
	m = (uint32_t)(tm.tm_hour * 60 + tm.tm_min);
	for (int s = 0; s < an.a->n_sessions; s++) {
		const struct jd_anomaly_session *ss = &an.a->sessions[s];

		if (ss->start_min < ss->end_min ? m >= ss->start_min && m < ss->end_min
						: m >= ss->start_min || m < ss->end_min)
			return (unsigned)s + 1;
	}
	return 0;
}

int anomaly_params(const struct jd_anomaly_config *a, const char *name, struct detector_params *p)
{
	for (int s = 0; s < N_SIGNALS; s++) {
		const struct jd_anomaly_signal *sc = &a->signals[signals[s].family];

		if (strcmp(signals[s].name, name))
			continue;
		if (!sc->enabled)
			return -ENOENT;
		*p = (struct detector_params){
			.method = a->method,
			.window = a->window,
			.warmup = a->warmup,
			.raise_after = a->raise_after,
			.clear_after = a->clear_after,
			.sensitivity = a->sensitivity,
			.floor = signals[s].unit == U_SECONDS ? (double)sc->floor_ns
							      : (double)sc->floor,
		};
		return 0;
	}
	return -ENOENT;
}

static void judge(struct instance *in)
{
	struct detector_params p;
	struct baseline *b = &in->base[an.session];
	enum detector_change change;

	if (anomaly_params(an.a, signals[in->sig].name, &p) ||
	    (!b->ring && baseline_init(b, an.a->window)))
		return;
	change = in->judged ? detector_step(&in->det, b, &p, in->value, an.scratch)
			    : detector_idle(&in->det, &p);
	if (in->det.active && in->judged && in->det.score > in->peak_score) {
		in->peak_score = in->det.score;
		in->peak_value = in->value;
	}
	if (change == DETECTOR_RAISED) {
		an.total[in->sig]++;
		in->raised++;
	}
	if (change != DETECTOR_SAME)
		report(in, change);
	if (an.record && in->judged)
		fprintf(an.record, "%lld\t%s\t%s\t%s\t%.9g\n", (long long)time(NULL),
			session_name(an.session), signals[in->sig].name, in->subject, in->value);
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void tick(void *arg)
{
	struct timespec now, cpu0, cpu1;
	struct metrics *t;

	(void)arg;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
	events_drain(); /* the outlier waits up to now */
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = an.prev;
	an.prev = an.cur;
	an.cur = t;
	metrics_clear(an.cur);
	collectors_collect(an.cur);
	if (an.have_prev) {
		an.dt = seconds_between(&an.last, &now);
		an.session = current_session(time(NULL));
		for (unsigned i = 0; i < an.n_inst; i++)
			an.inst[i].judged = false;
		if (an.dt > 0) {
			read_signals();
			for (unsigned i = 0; i < an.n_inst; i++)
				judge(&an.inst[i]);
		}
		if (an.record)
			fflush(an.record);
		an.intervals++;
	}
	an.have_prev = true;
	an.last = now;
	forget_interval();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
	an.cpu_seconds += seconds_between(&cpu0, &cpu1);
}

/* ---- start, export, stop ---------------------------------------------------- */

int anomaly_init(const struct jd_config *cfg)
{
	an.cfg = cfg;
	an.conf = cfg->anomaly;
	an.a = &an.conf;
	if (!an.a->enabled)
		return 0;
	an.nr_cpus = libbpf_num_possible_cpus();
	for (unsigned i = 0; i < n_collectors; i++)
		if (!strcmp(collectors[i].ops->name, "sched"))
			an.sched_source = collectors[i].id;
	an.cur = metrics_new();
	an.prev = metrics_new();
	an.inst = calloc(MAX_INSTANCES, sizeof(*an.inst));
	an.scratch = calloc(an.a->window, sizeof(*an.scratch));
	an.by_cpu = calloc(an.nr_cpus > 0 ? (size_t)an.nr_cpus : 1, sizeof(*an.by_cpu));
	if (an.nr_cpus <= 0 || !an.cur || !an.prev || !an.inst || !an.scratch || !an.by_cpu)
		goto nomem;
	if (an.a->record[0]) {
		an.record = fopen(an.a->record, "ae");
		if (!an.record)
			log_warn("anomaly.record: %s: %s; not recording", an.a->record,
				 strerror(errno));
	}
	an.job = loop_every("anomaly.interval", an.a->interval_ns, tick, NULL);
	if (an.job < 0) {
		log_err("anomaly: cannot start its timer: %s", strerror(-an.job));
		anomaly_finish();
		return an.job;
	}
	events_watch(on_event, NULL);
	log_info("anomaly: judging every %.3g s, %s baselines over %u intervals",
		 (double)an.a->interval_ns / 1e9, an.a->method == JD_AN_METHOD_MAD ? "mad" : "ewma",
		 an.a->window);
	return 0;
nomem:
	anomaly_finish();
	return -ENOMEM;
}

void anomaly_collect(struct metrics *m)
{
	struct metric_family *flag, *score, *total;

	if (!an.inst)
		return;
	flag = metrics_family(m, "jitterd_anomaly",
			      "1 while the signal of the subject is anomalous (see the anomaly "
			      "events at /events), else 0.",
			      METRIC_GAUGE, METRIC_UNIT_NONE);
	score = metrics_family(m, "jitterd_anomaly_score",
			       "How far the signal's last value is above its baseline, in robust "
			       "deviations; anomaly.sensitivity or more is anomalous.",
			       METRIC_GAUGE, METRIC_UNIT_NONE);
	total = metrics_family(m, "jitterd_anomalies_total", "Anomalies raised, by signal.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	for (unsigned i = 0; i < an.n_inst; i++) {
		const struct instance *in = &an.inst[i];

		metric_u64(flag, in->det.active, "signal", signals[in->sig].name, "subject",
			   in->subject, LABELS_END);
		metric_double(score, in->det.score, "signal", signals[in->sig].name, "subject",
			      in->subject, LABELS_END);
	}
	for (int s = 0; s < N_SIGNALS; s++)
		if (an.a->signals[signals[s].family].enabled)
			metric_u64(total, an.total[s], "signal", signals[s].name, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_anomaly_intervals_total",
				  "Intervals the anomaly detector has judged.", METRIC_COUNTER,
				  METRIC_UNIT_NONE),
		   an.intervals, LABELS_END);
	metric_double(metrics_family(m, "jitterd_anomaly_cpu_seconds_total",
				     "CPU time the anomaly detector used (reading the maps and "
				     "judging), for its cost per interval.",
				     METRIC_COUNTER, METRIC_UNIT_NONE),
		      an.cpu_seconds, LABELS_END);
}

bool anomaly_restart_needed(const struct jd_config *old, const struct jd_config *new, char *why,
			    size_t size)
{
	if (!memcmp(&old->anomaly, &new->anomaly, sizeof(old->anomaly)))
		return false;
	snprintf(why, size, "anomaly: changed (the detector's keys take a restart)");
	return true;
}

void anomaly_finish(void)
{
	events_watch(NULL, NULL);
	for (unsigned i = 0; an.inst && i < an.n_inst; i++) {
		for (int s = 0; s <= an.a->n_sessions; s++)
			baseline_free(&an.inst[i].base[s]);
		free(an.inst[i].base);
	}
	free(an.inst);
	free(an.scratch);
	free(an.by_cpu);
	free(an.cur_v.v);
	free(an.prev_v.v);
	metrics_free(an.cur);
	metrics_free(an.prev);
	if (an.record)
		fclose(an.record);
	memset(&an, 0, sizeof(an));
}
