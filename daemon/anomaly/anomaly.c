// SPDX-License-Identifier: MIT
/*
 * The anomaly detector (see anomaly.h). One interval:
 *
 *   drain the events ring (the collectors hand over the outlier waits up to
 *   now, with who held the CPU: anomaly_note_outlier()) -> build a fresh
 *   registry the way /metrics does -> the difference from the last one
 *   gives the value of each signal the collectors declare -> judge
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
#include "anomaly/signal.h"
#include "probes/collector.h"
#include "probes/events.h"
#include "lib/json.h"
#include "lib/log.h"
#include "core/loop.h"
#include "lib/parse.h"

#define MAX_INSTANCES 4096
#define SUBJECT_MAX   512 /* a span's subject: workload, name and 4 labels */
#define TOP_CULPRITS  8	  /* tasks remembered per CPU and workload per interval */
#define MAX_PARTS     8	  /* evidence numbers of one interval */
#define MAX_CAUSES    12  /* causes weighed for one finding */
#define MAX_VECTORS   16
#define COMM_MAX      17 /* a task's comm (the kernel's TASK_COMM_LEN) and a NUL */
#define OTHER_TASKS   "(other tasks)"
#define OWN_THREADS   "(own threads)" /* fits a comm: culprits hold comms */

/*
 * The signals the collectors declare (collector_ops.signals), in table
 * order, each with its config row's place in jd_anomaly_config.signals.
 * Built once: the table does not change.
 */
static struct known_signal {
	const struct signal_def *def;
	unsigned config;
} known[SIGNAL_MAX_DECLARED];
static unsigned n_known;

static unsigned known_signals(void)
{
	const struct signal_config *rows[JD_AN_MAX_SIGNALS];
	unsigned n_rows;

	if (n_known)
		return n_known;
	n_rows = collectors_signal_configs(rows, JD_AN_MAX_SIGNALS);
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_signals; j++) {
			const struct signal_def *d = &collectors[i].ops->signals[j];
			unsigned r = 0;

			while (r < n_rows && rows[r] != d->config)
				r++;
			if (r < n_rows && n_known < SIGNAL_MAX_DECLARED)
				known[n_known++] = (struct known_signal){ d, r };
		}
	return n_known;
}

static enum signal_unit unit_of(unsigned sig)
{
	return known[sig].def->config->unit;
}

struct instance {
	unsigned sig; /* in known[] */
	enum signal_subject kind;
	int index;  /* group, workload, CPU, or -1 (vectors, sockets) */
	int vector; /* the subject's second label's value, in an.vectors, or -1 */
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
	char comm[COMM_MAX];
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
	char vectors[MAX_VECTORS][16]; /* second labels' values (softirq vectors) */
	unsigned n_vectors;
	uint64_t total[SIGNAL_MAX_DECLARED];
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

void anomaly_note_outlier(unsigned cpu, unsigned workload, const char *culprit, uint64_t wait_ns)
{
	char comm[COMM_MAX];

	if (!an.inst)
		return;
	/*
	 * The culprit is who held the CPU when the wait ended: the whole wait
	 * is put down to it, "held the CPU in 81% of the outlier waits". (Its
	 * last stint only would undercount a hog that others preempt every
	 * millisecond.) A thread of the waiter's own workload is named as
	 * such: contention within the workload.
	 */
	snprintf(comm, sizeof(comm), "%s", culprit);
	if (cpu < (unsigned)an.nr_cpus)
		culprits_add(&an.by_cpu[cpu], comm, wait_ns);
	if (workload && workload <= (unsigned)an.cfg->n_workloads) {
		const struct jd_workload *w = &an.cfg->workloads[workload - 1];

		if (w->comm[0] && !fnmatch(w->comm, comm, 0))
			snprintf(comm, sizeof(comm), "%s", OWN_THREADS);
		culprits_add(&an.by_workload[workload - 1], comm, wait_ns);
		if (cpu < CPU_SETSIZE)
			CPU_SET(cpu, &an.workload_cpus[workload - 1]);
	}
}

static void forget_interval(void)
{
	memset(an.by_cpu, 0, an.nr_cpus * sizeof(*an.by_cpu));
	memset(an.by_workload, 0, sizeof(an.by_workload));
	memset(an.workload_cpus, 0, sizeof(an.workload_cpus));
}

/* ---- instances ------------------------------------------------------------ */

static struct instance *instance_get(unsigned sig, enum signal_subject kind, int index, int vector,
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
static struct instance *observe(unsigned sig, enum signal_subject kind, int index, int vector,
				const char *subject, double value, bool has_value)
{
	struct instance *in;

	if (!an.a->signals[known[sig].config].enabled)
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

static bool subject_on(enum signal_subject kind)
{
	switch (kind) {
	case SIGNAL_CPU_GROUP: return an.a->subjects.cpu_groups;
	case SIGNAL_WORKLOAD: return an.a->subjects.workloads;
	case SIGNAL_CPU: return an.a->subjects.cpus;
	case SIGNAL_VECTOR: return an.a->subjects.vectors;
	case SIGNAL_SOCKET: return an.a->subjects.sockets;
	default: return false;
	}
}

/* A row with quantile switches judges only the quantiles switched on. */
static bool quantile_on(const struct signal_def *d, const struct jd_anomaly_signal *sc)
{
	if (d->judge != SIGNAL_QUANTILE || !d->config->quantiles)
		return true;
	return d->quantile == SIGNAL_P50 ? sc->p50 : d->quantile == SIGNAL_P99 ? sc->p99 : sc->p999;
}

static double quantile_of(enum signal_quantile q)
{
	return q == SIGNAL_P50 ? 0.5 : q == SIGNAL_P99 ? 0.99 : 0.999;
}

/* The samples of one subject: in a row, with the same subject labels. */
struct subject {
	int first, end; /* in an.cur_v */
	enum signal_subject kind;
	int index, vector;
	char name[SUBJECT_MAX]; /* "<label>:<value>[/<value of label2>][{<other labels>}]" */
};

/* src->other_labels: the sample's labels but label, label2 and le, as "{a=x,b=y}" (or ""). */
static void other_labels(const struct metric_sample_view *v, const struct signal_source *src,
			 char *out, size_t size)
{
	const char *p = v->labels, *end = v->labels + v->labels_len;
	size_t n = 0;

	out[0] = '\0';
	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p)), *q;
		size_t len;
		bool skip;

		if (!eq || eq + 1 >= end) /* encode_labels wrote name="value",... */
			break;
		len = (size_t)(eq - p);
		skip = (strlen(src->label) == len && !strncmp(p, src->label, len)) ||
		       (src->label2 && strlen(src->label2) == len &&
			!strncmp(p, src->label2, len)) ||
		       (len == 2 && !strncmp(p, "le", 2));
		for (q = eq + 2; q < end && *q != '"'; q++)
			if (*q == '\\')
				q++;
		if (!skip && n + 1 < size) {
			n += (size_t)snprintf(out + n, size - n, "%c%.*s=%.*s", n ? ',' : '{',
					      (int)len, p, (int)(q - eq - 2), eq + 2);
			if (n >= size)
				n = size - 1;
		}
		p = q + 2; /* the closing quote and the comma */
	}
	if (n && n + 1 < size)
		memcpy(out + n, "}", 2);
}

/* The subject labels of sample i, or -1 when it lacks one. */
static int subject_labels(int i, const struct signal_source *src, char *v1, char *v2, char *rest)
{
	v2[0] = '\0';
	rest[0] = '\0';
	if (metric_sample_label(&an.cur_v.v[i], src->label, v1, JD_NAME_MAX))
		return -1;
	if (src->label2 && metric_sample_label(&an.cur_v.v[i], src->label2, v2, JD_NAME_MAX))
		return -1;
	if (src->other_labels)
		other_labels(&an.cur_v.v[i], src, rest, SUBJECT_MAX);
	return 0;
}

/* The subject that starts at sample i; false when that sample has none. */
static bool subject_at(int i, const struct signal_source *src, struct subject *sub)
{
	char v1[JD_NAME_MAX], v2[JD_NAME_MAX], o1[JD_NAME_MAX], o2[JD_NAME_MAX];
	char r1[SUBJECT_MAX], r2[SUBJECT_MAX];

	sub->first = i;
	sub->end = i + 1;
	if (subject_labels(i, src, v1, v2, r1))
		return false;
	while (sub->end < an.cur_v.n && !subject_labels(sub->end, src, o1, o2, r2) &&
	       !strcmp(o1, v1) && !strcmp(o2, v2) && !strcmp(r1, r2))
		sub->end++;
	sub->kind = src->subject;
	sub->index = src->subject == SIGNAL_CPU_GROUP  ? group_index(v1)
		     : src->subject == SIGNAL_WORKLOAD ? workload_index(v1)
		     : src->subject == SIGNAL_CPU      ? atoi(v1)
						       : -1;
	sub->vector = src->label2 ? vector_index(v2) : -1;
	if (src->label2)
		snprintf(sub->name, sizeof(sub->name), "%s:%s/%s%s", src->label, v1, v2, r1);
	else
		snprintf(sub->name, sizeof(sub->name), "%s:%s%s", src->label, v1, r1);
	return true;
}

static struct instance *observe_subject(unsigned sig, const struct subject *sub, double value,
					bool has_value)
{
	return observe(sig, sub->kind, sub->index, sub->vector, sub->name, value, has_value);
}

/* Whether sample i is one d counts (d->only), and whether only its evidence (also_shown). */
static bool counted(const struct signal_def *d, int i, bool *shown)
{
	char v[JD_NAME_MAX];

	if (shown)
		*shown = false;
	if (!d->only)
		return true;
	if (metric_sample_label(&an.cur_v.v[i], d->only_label, v, sizeof(v)))
		return false;
	if (shown)
		*shown = signal_list_has(d->also_shown, v);
	return signal_counts(d, v);
}

/* Whether sub has a sample that d counts: a CPU without the kinds d reads is not its subject. */
static bool has_counted(const struct signal_def *d, const struct subject *sub)
{
	for (int i = sub->first; i < sub->end; i++)
		if (counted(d, i, NULL))
			return true;
	return false;
}

/* The increase of the counters of sub that d counts, all of them or those whose label is value. */
static double subject_delta(const struct signal_def *d, const struct subject *sub,
			    const char *label, const char *value)
{
	char v[JD_NAME_MAX];
	double sum = 0;

	for (int i = sub->first; i < sub->end; i++)
		if (counted(d, i, NULL) &&
		    (!label || (!metric_sample_label(&an.cur_v.v[i], label, v, sizeof(v)) &&
				!strcmp(v, value))))
			sum += counter_delta(i);
	return sum;
}

static void rate_of(unsigned sig, const struct subject *sub)
{
	const struct signal_def *d = known[sig].def;
	double total = subject_delta(d, sub, NULL, NULL);
	struct instance *in = observe_subject(sig, sub, total / an.dt, true);
	char v[JD_NAME_MAX];
	bool shown;

	if (!d->by) {
		add_part(in, d->evidence[0], total);
		return;
	}
	for (int i = sub->first; i < sub->end; i++)
		if ((counted(d, i, &shown) || shown) &&
		    !metric_sample_label(&an.cur_v.v[i], d->by, v, sizeof(v)))
			add_part(in, v, counter_delta(i));
}

static void share_of(unsigned sig, const struct subject *sub)
{
	const struct signal_def *d = known[sig].def;
	double of = subject_delta(d, sub, d->by, d->of), vs = subject_delta(d, sub, d->by, d->vs);
	struct instance *in = observe_subject(sig, sub, of + vs > 0 ? 100 * of / (of + vs) : 0,
					      of + vs >= an.a->min_samples);

	add_part(in, d->vs, vs);
	add_part(in, d->of, of);
}

static void time_share(unsigned sig, const struct subject *sub)
{
	double ns = subject_delta(known[sig].def, sub, NULL, NULL);
	struct instance *in = observe_subject(sig, sub, 100 * ns / (an.dt * 1e9), true);

	add_part(in, known[sig].def->evidence[0], ns / 1e9);
}

/* The CPUs whose time a subject's waits share: its group's, or one. */
static int subject_cpus(const struct subject *sub)
{
	int cpus = 1;

	if (sub->kind == SIGNAL_CPU_GROUP && !an.cfg->n_cpu_groups)
		cpus = an.nr_cpus;
	else if (sub->kind == SIGNAL_CPU_GROUP && sub->index >= 0)
		cpus = CPU_COUNT(&an.cfg->cpu_groups[sub->index].cpus);
	return cpus > 0 ? cpus : 1;
}

static void wait_share(unsigned sig, const struct subject *sub)
{
	const struct signal_def *d = known[sig].def;
	const struct metric_hist *h = &an.cur_v.v[sub->first].hist;
	const struct metric_sample_view *p = before(sub->first);
	uint64_t delta[80], n = hist_delta(sub->first, delta, 80);
	double wait = p ? (double)(h->sum - p->hist.sum) : 0;
	struct instance *in =
		observe_subject(sig, sub, 100 * wait / (an.dt * 1e9 * subject_cpus(sub)), true);

	add_part(in, d->evidence[0], (double)n);
	add_part(in, d->evidence[1], wait / 1e9);
}

static void quantile(unsigned sig, const struct subject *sub)
{
	static const enum signal_quantile evidence[] = { SIGNAL_P50, SIGNAL_P99, SIGNAL_P999 };
	static const char *const evidence_names[] = { "p50_seconds", "p99_seconds",
						      "p999_seconds" };
	const struct signal_def *d = known[sig].def;
	const struct metric_hist *h = &an.cur_v.v[sub->first].hist;
	uint64_t delta[80], n = hist_delta(sub->first, delta, 80);
	bool enough = n >= an.a->min_samples;
	struct instance *in = observe_subject(
		sig, sub, enough ? hist_quantile(delta, n, h, quantile_of(d->quantile)) : 0,
		enough);

	add_part(in, d->evidence[0], (double)n);
	for (unsigned k = 0; d->quantile_evidence && k < 3; k++)
		add_part(in, evidence_names[k],
			 enough ? hist_quantile(delta, n, h, quantile_of(evidence[k])) / 1e9 : 0);
}

static void max_of(unsigned sig, const struct subject *sub)
{
	const struct metric_hist *h = &an.cur_v.v[sub->first].hist;
	uint64_t delta[80], count = hist_delta(sub->first, delta, 80);
	double max = 0;
	struct instance *in;

	for (unsigned b = 0; b < h->n_buckets && count; b++)
		if (delta[b])
			max = ldexp(1, (int)(h->first_log2 + b));
	in = observe_subject(sig, sub, max, true);
	add_part(in, known[sig].def->evidence[0], (double)count);
}

static void judge_subject(unsigned sig, const struct subject *sub)
{
	if (!has_counted(known[sig].def, sub))
		return;
	switch (known[sig].def->judge) {
	case SIGNAL_RATE_OF: rate_of(sig, sub); break;
	case SIGNAL_SHARE_OF: share_of(sig, sub); break;
	case SIGNAL_TIME_SHARE: time_share(sig, sub); break;
	case SIGNAL_WAIT_SHARE: wait_share(sig, sub); break;
	case SIGNAL_QUANTILE: quantile(sig, sub); break;
	case SIGNAL_MAX: max_of(sig, sub); break;
	}
}

/* Signal sig's source that reads family for kind, or NULL. */
static const struct signal_source *source_of(unsigned sig, const char *family,
					     enum signal_subject kind)
{
	const struct signal_source *from = known[sig].def->from;

	for (unsigned f = 0; f < SIGNAL_MAX_SOURCES && from[f].family; f++)
		if (from[f].subject == kind && !strcmp(from[f].family, family))
			return &from[f];
	return NULL;
}

/*
 * The signals from family for subjects of one kind, from sig on: each
 * subject's samples once, every signal of it in declaration order.
 */
static void read_family(unsigned sig, const struct signal_source *src)
{
	int n = gather(src->family);
	struct subject sub;

	for (int i = 0; i < n; i = sub.end) {
		if (!subject_at(i, src, &sub))
			continue;
		for (unsigned s = sig; s < n_known; s++)
			if (source_of(s, src->family, src->subject) &&
			    quantile_on(known[s].def, &an.a->signals[known[s].config]))
				judge_subject(s, &sub);
	}
}

/* Subjects by kind (cpu groups, workloads, CPUs, vectors, sockets), each
 * family once, where its first signal is. */
static void read_signals(void)
{
	for (int kind = 0; kind < SIGNAL_SUBJECTS; kind++) {
		if (!subject_on(kind))
			continue;
		for (unsigned s = 0; s < n_known; s++)
			for (unsigned f = 0; f < SIGNAL_MAX_SOURCES; f++) {
				const struct signal_source *src = &known[s].def->from[f];
				bool read = false;

				if (!src->family || src->subject != (enum signal_subject)kind)
					continue;
				for (unsigned t = 0; t < s && !read; t++)
					read = source_of(t, src->family, kind) != NULL;
				if (!read)
					read_family(s, src);
			}
	}
}

/* ---- words ----------------------------------------------------------------- */

static void format_value(char *buf, size_t size, enum signal_unit u, double v)
{
	switch (u) {
	case SIGNAL_SECONDS:
		if (v < 1e3)
			snprintf(buf, size, "%.0f ns", v);
		else if (v < 1e6)
			snprintf(buf, size, "%.1f us", v / 1e3);
		else if (v < 1e9)
			snprintf(buf, size, "%.1f ms", v / 1e6);
		else
			snprintf(buf, size, "%.2f s", v / 1e9);
		break;
	case SIGNAL_PERCENT: snprintf(buf, size, "%.1f%%", v); break;
	case SIGNAL_RATE: snprintf(buf, size, "%.0f/s", v); break;
	case SIGNAL_BYTES: snprintf(buf, size, "%.0f bytes", v); break;
	}
}

/* A value as the event carries it: seconds, not nanoseconds. */
static double export_value(enum signal_unit u, double v)
{
	return u == SIGNAL_SECONDS ? v / 1e9 : v;
}

static const char *unit_name(enum signal_unit u)
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
	const char *kind;	       /* task, or what the signal that names it declares */
	const struct signal_def *from; /* that signal; NULL for a task */
	char name[48];
	double amount; /* ns of CPU time (tasks: outlier wait time), or packets */
	uint32_t count;
	double share;
};

static struct cause *cause_add(struct cause *c, unsigned *n, const char *kind, const char *name,
			       const struct signal_def *from)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(c[i].kind, kind) && !strcmp(c[i].name, name))
			return &c[i];
	if (*n == MAX_CAUSES)
		return NULL;
	c[*n] = (struct cause){ .kind = kind, .from = from };
	snprintf(c[*n].name, sizeof(c[0].name), "%s", name);
	return &c[(*n)++];
}

static void add_culprits(struct cause *c, unsigned *n, const struct culprits *cu)
{
	for (unsigned i = 0; i < cu->n; i++) {
		struct cause *k = cause_add(c, n, "task", cu->top[i].comm, NULL);

		if (k) {
			k->amount += (double)cu->top[i].wait_ns;
			k->count += cu->top[i].waits;
		}
	}
	if (cu->other_waits) {
		struct cause *k = cause_add(c, n, "task", OTHER_TASKS, NULL);

		if (k) {
			k->amount += (double)cu->other_ns;
			k->count += cu->other_waits;
		}
	}
}

/*
 * CPU time on cpu over its own baseline, of the signals that declare it a
 * cause (softirq and interrupt time), as ns of the interval.
 */
static void add_cpu_time_excess(struct cause *c, unsigned *n, int cpu)
{
	for (unsigned i = 0; i < an.n_inst; i++) {
		const struct instance *in = &an.inst[i];
		const struct signal_def *d = known[in->sig].def;
		double excess = in->value - in->det.center;
		const char *name = d->cause_name;
		struct cause *k;

		if (!in->judged || in->index != cpu || excess <= 0 || !d->cpu_time_cause ||
		    in->kind != SIGNAL_CPU)
			continue;
		if (!name && in->vector < 0)
			continue;
		k = cause_add(c, n, d->cpu_time_cause, name ? name : an.vectors[in->vector], d);
		if (k)
			k->amount += excess / 100 * an.dt * 1e9;
	}
}

/*
 * Largest first; then the workload's own threads (they end its waits in
 * quiet times too, so they are seldom the news) and "(other tasks)" (many
 * small ones together, which names no one).
 */
static bool cpu_time_first; /* judging a CPU time that is a cause: that time is the cause */

static int cause_rank(const struct cause *c)
{
	if (cpu_time_first && c->from && c->from->cpu_time_cause)
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
	const struct signal_def *d = known[in->sig].def;
	unsigned n = 0;
	double sum = 0;

	if (in->kind == SIGNAL_SOCKET) {
		for (unsigned p = 0; d->evidence_causes && p < in->n_parts; p++) {
			struct cause *k;

			if (in->parts[p] <= 0)
				continue;
			k = cause_add(c, &n, d->evidence_causes, in->part_names[p], d);
			if (k)
				k->amount = in->parts[p];
		}
	} else if (in->kind == SIGNAL_WORKLOAD) {
		add_culprits(c, &n, &an.by_workload[in->index]);
		for (int cpu = 0; cpu < an.nr_cpus && cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &an.workload_cpus[in->index]))
				add_cpu_time_excess(c, &n, cpu);
	} else {
		for (int cpu = 0; cpu < an.nr_cpus; cpu++) {
			bool in_subject;

			if (in->kind == SIGNAL_CPU_GROUP)
				in_subject = !an.cfg->n_cpu_groups ||
					     (cpu < CPU_SETSIZE &&
					      CPU_ISSET(cpu, &an.cfg->cpu_groups[in->index].cpus));
			else if (in->kind == SIGNAL_VECTOR)
				in_subject = true;
			else
				in_subject = cpu == in->index;
			if (!in_subject)
				continue;
			add_culprits(c, &n, &an.by_cpu[cpu]);
			add_cpu_time_excess(c, &n, cpu);
		}
	}
	for (unsigned i = 0; i < n; i++)
		sum += c[i].amount;
	for (unsigned i = 0; i < n; i++)
		c[i].share = sum > 0 ? c[i].amount / sum : 0;
	cpu_time_first = d->cpu_time_cause != NULL;
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
	else if (c->from->cpu_time_cause && c->from->cause_name)
		snprintf(buf, size, "%s took %.1f ms more CPU time than usual (%.0f%%)", c->name,
			 c->amount / 1e6, 100 * c->share);
	else if (c->from->cpu_time_cause)
		snprintf(buf, size, "%s %s took %.1f ms more CPU time than usual (%.0f%%)", c->name,
			 c->kind, c->amount / 1e6, 100 * c->share);
	else
		snprintf(buf, size, "%.0f %s %s (%.0f%%)", c->amount, c->from->cause_words, c->name,
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
	const struct signal_def *def = known[in->sig].def;
	const enum signal_unit unit = unit_of(in->sig);
	char observed[32], usual[32], peak[32], when[32], cause[256], text[768];
	json_t *obj = json_object(), *causes = json_array();
	struct cause c[MAX_CAUSES];
	unsigned n = 0;
	time_t now = time(NULL);

	if (!obj || !causes)
		goto out;
	format_value(observed, sizeof(observed), unit, in->value);
	format_value(usual, sizeof(usual), unit,
		     change == DETECTOR_RAISED ? in->det.center : in->baseline_at_start);
	json_set_str(obj, "state", change == DETECTOR_RAISED ? "started" : "ended");
	json_set_str(obj, "signal", def->name);
	json_set_str(obj, "subject", in->subject);
	json_set_str(obj, "session", session_name(an.session));
	json_set_str(obj, "unit", unit_name(unit));
	json_object_set_new(obj, "observed", json_real(export_value(unit, in->value)));
	if (change == DETECTOR_RAISED) {
		in->since = now;
		in->baseline_at_start = in->det.center;
		in->peak_value = in->value;
		in->peak_score = in->det.score;
		clock_text(when, sizeof(when), now);
		json_object_set_new(obj, "baseline", json_real(export_value(unit, in->det.center)));
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
		format_value(peak, sizeof(peak), unit, in->peak_value);
		json_object_set_new(obj, "baseline",
				    json_real(export_value(unit, in->baseline_at_start)));
		json_object_set_new(obj, "peak", json_real(export_value(unit, in->peak_value)));
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
	for (unsigned s = 0; s < known_signals(); s++) {
		const struct jd_anomaly_signal *sc = &a->signals[known[s].config];

		if (strcmp(known[s].def->name, name))
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
			.floor = unit_of(s) == SIGNAL_SECONDS ? (double)sc->floor_ns
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

	if (anomaly_params(an.a, known[in->sig].def->name, &p) ||
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
			session_name(an.session), known[in->sig].def->name, in->subject, in->value);
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
	known_signals();
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

		metric_u64(flag, in->det.active, "signal", known[in->sig].def->name, "subject",
			   in->subject, LABELS_END);
		metric_double(score, in->det.score, "signal", known[in->sig].def->name, "subject",
			      in->subject, LABELS_END);
	}
	for (unsigned s = 0; s < n_known; s++)
		if (an.a->signals[known[s].config].enabled)
			metric_u64(total, an.total[s], "signal", known[s].def->name, LABELS_END);
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
