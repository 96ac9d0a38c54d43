// SPDX-License-Identifier: MIT
/*
 * Spans collector: application spans that trading components publish
 * through libjitterd-span (client/, docs/spans.md). No BPF: each process
 * registers once over a Unix socket (its spans' names and thresholds, and
 * a memfd of per-thread rings); on the loop's drain timer the daemon takes
 * the new registrations, reads every ring into per-span histograms of the
 * publisher's workload, and counts what publishers dropped. A span slower
 * than its threshold becomes a span_slow event that says what else the
 * logs saw on the thread's CPU during the span (the OS join).
 *
 * The rings are untrusted input: spans_drain_ring() copies and checks
 * every record, and nothing a publisher writes sizes or indexes anything
 * unchecked. A publisher that dies is seen when its socket closes.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#include "collectors/spans.h"
#include "probes/collector.h"
#include "probes/workloads.h"
#include "anomaly/signal.h"
#include "lib/hist.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/yamlwalk.h"
#include "lib/util.h"

#define PENDING_NS    (2 * (int64_t)NS_PER_S) /* a connection that sends nothing is closed after */
#define MAX_JOINED    8			      /* events of the CPU in one span_slow event */
#define SLOW_PER_PASS 64 /* span_slow events per drain; the rest only counted */
#define MAX_DURATION  (3600 * NS_PER_S)

struct spans_options {
	char socket[JD_PATH_MAX];
	char socket_group[JD_NAME_MAX];
	uint32_t max_publishers, max_series, max_threads, max_slots;
	uint64_t threshold_ns;
	/* The label names spans may carry (none by default), in this order on a series. */
	char labels[SPANS_MAX_LABEL_NAMES][JD_SPAN_LABEL_NAME_MAX];
	int n_labels;
};
COLLECTOR_OPTIONS(struct spans_options);

/* One histogram: a span (its name and labels) of a workload (processes of one workload share it).
 */
struct series {
	char workload[JD_NAME_MAX], span[JD_SPAN_NAME_MAX];
	struct jd_span_label labels[JD_SPAN_MAX_LABELS]; /* in the config's order; unused: "" */
	struct jd_hist_ns hist;
	uint64_t marks, slow;
};

/* What is counted per workload, by name (a reload may rename them). */
struct wl_counts {
	char name[JD_NAME_MAX];
	uint64_t ring_full, no_ring, invalid;
	uint32_t publishers;
	uint64_t ring_bytes;
};

struct publisher {
	enum { FREE, PENDING, LIVE } state;
	int sock;
	int pid;
	int64_t since_ns; /* PENDING: when it connected */
	unsigned wl;	  /* index in spans.wl */
	struct jd_span_shm *mem;
	size_t size;
	uint32_t n_rings, slots, clock, n_spans;
	unsigned series[JD_SPAN_MAX_SPANS];
	uint64_t threshold_ns[JD_SPAN_MAX_SPANS];
	struct span_ring_state *rings;
	uint64_t no_ring_seen;
};

struct spans {
	const struct spans_options *o;
	int listen_fd;
	struct publisher *pub;
	struct series *series;
	unsigned n_series;
	struct wl_counts wl[2 * JD_MAX_WORKLOADS];
	unsigned n_wl;
	uint64_t accepted, refused, slow_unlogged;
	int nr_cpus;
	unsigned id; /* the collector's, in its events' header */
	/* TSC -> CLOCK_MONOTONIC: a pair taken at start, and the latest. */
	bool tsc_ok;
	uint64_t tsc_base, tsc_ref;
	int64_t mono_base, mono_ref;
	double ns_per_tick;
	/* the record being drained: its publisher and ring, for slow spans */
	struct publisher *cur;
	uint32_t cur_ring;
	unsigned slow_this_pass;
	int64_t mono_to_real;
};

/* The event the spans collector logs through the shared path (events_handle). */
enum { SPANS_EVENT_SLOW };
struct spans_slow_event {
	struct jd_event_hdr hdr; /* time: the span's end */
	uint64_t duration_ns, threshold_ns, start_ns;
	uint32_t series, pid, tid, clock;
};

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* ---- the ring reader: untrusted memory -------------------------------------- */

static bool name_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == 0 || n == size)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == ':' || *s == '-'))
			return false;
	return true;
}

/* A label's name: [A-Za-z_][A-Za-z0-9_]*, NUL-terminated within size. */
static bool label_name_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == 0 || n == size ||
	    !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool record_ok(const struct jd_span_record *rec, uint64_t index, uint32_t n_spans)
{
	uint32_t span = rec->span & ~JD_SPAN_MARK;

	if (rec->seq != index || span >= n_spans || rec->t1 < rec->t0)
		return false;
	return !(rec->span & JD_SPAN_MARK) || rec->t0 == rec->t1;
}

void spans_drain_ring(struct jd_span_ring *r, uint32_t slots, uint32_t n_spans,
		      struct span_ring_state *st,
		      void (*fn)(const struct jd_span_record *rec, void *arg), void *arg,
		      struct span_drain_counts *n)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t drops = __atomic_load_n(&r->drops, __ATOMIC_RELAXED);

	if (drops > st->drops_seen) {
		n->new_drops += drops - st->drops_seen;
		st->drops_seen = drops;
	}
	if (head == st->tail)
		return;
	/* A head behind the tail, or more than a ring ahead: not a ring. */
	if (head < st->tail || head - st->tail > slots) {
		n->invalid++;
		st->tail = head;
		__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
		return;
	}
	for (uint64_t i = st->tail; i != head; i++) {
		struct jd_span_record rec;

		memcpy(&rec, (const void *)&r->records[i & (slots - 1)], sizeof(rec));
		if (!record_ok(&rec, i, n_spans)) {
			n->invalid++;
			continue;
		}
		n->records++;
		fn(&rec, arg);
	}
	st->tail = head;
	__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
}

/* Label l of span d, if used: its place in the allowed names, or -1 (why says). */
static int check_label(const struct jd_span_decl *d, unsigned l,
		       const char (*allowed)[JD_SPAN_LABEL_NAME_MAX], unsigned n_allowed, char *why,
		       size_t why_size)
{
	const struct jd_span_label *lb = &d->labels[l];

	if (!label_name_ok(lb->name, sizeof(lb->name))) {
		snprintf(why, why_size,
			 "span %s: a label name of [A-Za-z_][A-Za-z0-9_], 1 to %d bytes", d->name,
			 JD_SPAN_LABEL_NAME_MAX - 1);
		return -1;
	}
	if (!name_ok(lb->value, sizeof(lb->value))) {
		snprintf(why, why_size,
			 "span %s: label %s: a value of [A-Za-z0-9_.:-], 1 to %d bytes", d->name,
			 lb->name, JD_SPAN_LABEL_VALUE_MAX - 1);
		return -1;
	}
	for (unsigned k = 0; k < l; k++)
		if (!strcmp(d->labels[k].name, lb->name)) {
			snprintf(why, why_size, "span %s: label %s given twice", d->name, lb->name);
			return -1;
		}
	for (unsigned a = 0; a < n_allowed; a++)
		if (!strcmp(allowed[a], lb->name))
			return (int)a;
	snprintf(why, why_size, "span %s: label %s is not in collectors.spans.labels", d->name,
		 lb->name);
	return -1;
}

static unsigned n_labels(const struct jd_span_decl *d)
{
	unsigned n = 0;

	while (n < JD_SPAN_MAX_LABELS && d->labels[n].name[0])
		n++;
	return n;
}

/* The same name and the same labels, in any order: the same span. */
static bool same_span(const struct jd_span_decl *a, const struct jd_span_decl *b)
{
	unsigned n = n_labels(a);

	if (strcmp(a->name, b->name) || n != n_labels(b))
		return false;
	for (unsigned i = 0; i < n; i++) {
		unsigned j = 0;

		while (j < n && strcmp(a->labels[i].name, b->labels[j].name))
			j++;
		if (j == n || strcmp(a->labels[i].value, b->labels[j].value))
			return false;
	}
	return true;
}

int spans_check_hello(const void *msg, size_t len, uint32_t max_rings, uint32_t max_slots,
		      const char (*labels)[JD_SPAN_LABEL_NAME_MAX], unsigned n_allowed, char *why,
		      size_t why_size)
{
	struct jd_span_hello h;

	if (len < JD_SPAN_HELLO_BYTES(0)) {
		snprintf(why, why_size, "a registration of %zu bytes is too short", len);
		return -EINVAL;
	}
	memset(&h, 0, sizeof(h));
	memcpy(&h, msg, len < sizeof(h) ? len : sizeof(h));
	if (h.magic != JD_SPAN_MAGIC || h.version != JD_SPAN_VERSION) {
		snprintf(why, why_size,
			 "not a version %u registration (link the libjitterd-span of this jitterd)",
			 JD_SPAN_VERSION);
		return -EINVAL;
	}
	if (h.n_spans == 0 || h.n_spans > JD_SPAN_MAX_SPANS ||
	    len != JD_SPAN_HELLO_BYTES(h.n_spans)) {
		snprintf(why, why_size, "1 to %d spans, and a message of their size",
			 JD_SPAN_MAX_SPANS);
		return -EINVAL;
	}
	if (h.clock != JD_SPAN_CLOCK_MONOTONIC && h.clock != JD_SPAN_CLOCK_TSC) {
		snprintf(why, why_size, "clock %u is neither TSC nor CLOCK_MONOTONIC", h.clock);
		return -EINVAL;
	}
	if (h.n_rings == 0 || h.n_rings > max_rings) {
		snprintf(why, why_size, "%u threads: 1 to %u (collectors.spans.max_threads)",
			 h.n_rings, max_rings);
		return -EINVAL;
	}
	if (h.slots < JD_SPAN_MIN_SLOTS || h.slots > max_slots || (h.slots & (h.slots - 1))) {
		snprintf(why, why_size,
			 "%u slots: a power of two from %u to %u (collectors.spans.max_slots)",
			 h.slots, (unsigned)JD_SPAN_MIN_SLOTS, max_slots);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < h.n_spans; i++) {
		if (!name_ok(h.spans[i].name, sizeof(h.spans[i].name))) {
			snprintf(why, why_size, "span %u: a name of [A-Za-z0-9_.:-], 1 to %d bytes",
				 i, JD_SPAN_NAME_MAX - 1);
			return -EINVAL;
		}
		if (h.spans[i].threshold_ns > MAX_DURATION) {
			snprintf(why, why_size, "span %s: a threshold over an hour",
				 h.spans[i].name);
			return -EINVAL;
		}
		for (unsigned l = 0; l < JD_SPAN_MAX_LABELS; l++) {
			/* the used ones first: after an empty name, nothing */
			if (!h.spans[i].labels[l].name[0]) {
				if (l + 1 < JD_SPAN_MAX_LABELS &&
				    h.spans[i].labels[l + 1].name[0]) {
					snprintf(why, why_size, "span %s: a gap in its labels",
						 h.spans[i].name);
					return -EINVAL;
				}
				continue;
			}
			if (check_label(&h.spans[i], l, labels, n_allowed, why, why_size) < 0)
				return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++)
			if (same_span(&h.spans[i], &h.spans[j])) {
				snprintf(why, why_size,
					 "span %s is declared twice (spans %u and %u, the same "
					 "labels)",
					 h.spans[i].name, j, i);
				return -EINVAL;
			}
	}
	return 0;
}

/* ---- clocks ------------------------------------------------------------------ */

#if HAVE_TSC
/* A TSC reading and the CLOCK_MONOTONIC time of it: the tightest of a few brackets. */
static void tsc_pair(uint64_t *tsc, int64_t *mono)
{
	int64_t best = INT64_MAX;

	for (int i = 0; i < 7; i++) {
		int64_t a = mono_now();
		uint64_t t = __rdtsc();
		int64_t b = mono_now();

		if (b - a < best) {
			best = b - a;
			*tsc = t;
			*mono = a + (b - a) / 2;
		}
	}
}

/* constant_tsc and nonstop_tsc: ticks at one rate in every state, on every CPU. */
static bool tsc_invariant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool ok = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
			break;
		}
	fclose(f);
	return ok;
}
#endif

/* The rate from the first pair to now: its error shrinks as the daemon runs. */
static void tsc_refresh(struct spans *s)
{
#if HAVE_TSC
	if (!s->tsc_ok)
		return;
	tsc_pair(&s->tsc_ref, &s->mono_ref);
	if (s->mono_ref - s->mono_base > 10000000 && s->tsc_ref > s->tsc_base)
		s->ns_per_tick =
			(double)(s->mono_ref - s->mono_base) / (double)(s->tsc_ref - s->tsc_base);
#else
	(void)s;
#endif
}

static void tsc_init(struct spans *s)
{
#if HAVE_TSC
	struct timespec pause = { .tv_nsec = 20000000 };

	s->tsc_ok = tsc_invariant();
	if (!s->tsc_ok)
		return;
	tsc_pair(&s->tsc_base, &s->mono_base);
	nanosleep(&pause, NULL);
	tsc_refresh(s);
#else
	(void)s;
#endif
}

static uint64_t ticks_to_ns(const struct spans *s, uint32_t clock, uint64_t d)
{
	return clock == JD_SPAN_CLOCK_TSC ? (uint64_t)llround((double)d * s->ns_per_tick) : d;
}

static int64_t to_mono(const struct spans *s, uint32_t clock, uint64_t t)
{
	if (clock != JD_SPAN_CLOCK_TSC)
		return (int64_t)t;
	return s->mono_ref + (int64_t)llround((double)(int64_t)(t - s->tsc_ref) * s->ns_per_tick);
}

/* ---- series and workloads ------------------------------------------------------- */

static int wl_index(struct spans *s, const char *name)
{
	for (unsigned i = 0; i < s->n_wl; i++)
		if (!strcmp(s->wl[i].name, name))
			return (int)i;
	if (s->n_wl == ARRAY_SIZE(s->wl))
		return -ENOSPC;
	snprintf(s->wl[s->n_wl].name, sizeof(s->wl[0].name), "%s", name);
	return (int)s->n_wl++;
}

/*
 * A declaration's labels in the config's order (spans_check_hello() has
 * checked them), copied as strings: what follows a NUL in the publisher's
 * fields is not part of a series' identity (else two series would show
 * the same labels).
 */
static void canonical_labels(const struct spans *s, const struct jd_span_decl *d,
			     struct jd_span_label out[JD_SPAN_MAX_LABELS])
{
	unsigned n = 0;

	memset(out, 0, JD_SPAN_MAX_LABELS * sizeof(*out));
	for (int a = 0; a < s->o->n_labels; a++)
		for (unsigned l = 0; l < JD_SPAN_MAX_LABELS && n < JD_SPAN_MAX_LABELS; l++)
			if (d->labels[l].name[0] && !strcmp(d->labels[l].name, s->o->labels[a])) {
				snprintf(out[n].name, sizeof(out[n].name), "%s", d->labels[l].name);
				snprintf(out[n].value, sizeof(out[n].value), "%s",
					 d->labels[l].value);
				n++;
			}
}

static int series_find(const struct spans *s, const char *wl, const char *span,
		       const struct jd_span_label labels[JD_SPAN_MAX_LABELS])
{
	for (unsigned i = 0; i < s->n_series; i++)
		if (!strcmp(s->series[i].workload, wl) && !strcmp(s->series[i].span, span) &&
		    !memcmp(s->series[i].labels, labels, sizeof(s->series[i].labels)))
			return (int)i;
	return -1;
}

/* ---- draining ------------------------------------------------------------------- */

static void slow_span(struct spans *s, struct publisher *p, const struct jd_span_record *rec,
		      uint64_t ns, uint64_t threshold)
{
	uint32_t span = rec->span & ~JD_SPAN_MARK;
	struct jd_span_ring *r;
	struct spans_slow_event e;

	if (s->slow_this_pass++ >= SLOW_PER_PASS) {
		s->slow_unlogged++;
		return;
	}
	r = (struct jd_span_ring *)(p->mem->rings +
				    (size_t)s->cur_ring * JD_SPAN_RING_BYTES(p->slots));
	e = (struct spans_slow_event){
		.hdr = { .time_ns = (uint64_t)to_mono(s, p->clock, rec->t1),
			 .cpu = rec->cpu,
			 .type = SPANS_EVENT_SLOW,
			 .len = sizeof(e) },
		.duration_ns = ns,
		.threshold_ns = threshold,
		.start_ns = (uint64_t)to_mono(s, p->clock, rec->t0),
		.series = p->series[span],
		.pid = (uint32_t)p->pid,
		.tid = __atomic_load_n(&r->owner, __ATOMIC_RELAXED),
		.clock = p->clock,
	};
	e.hdr.collector = (__u8)s->id;
	events_handle(&e, sizeof(e));
}

static void on_record(const struct jd_span_record *rec, void *arg)
{
	struct spans *s = arg;
	struct publisher *p = s->cur;
	uint32_t span = rec->span & ~JD_SPAN_MARK;
	struct series *se = &s->series[p->series[span]];
	uint64_t ns;
	unsigned slot;

	if (rec->span & JD_SPAN_MARK) {
		se->marks++;
		return;
	}
	ns = ticks_to_ns(s, p->clock, rec->t1 - rec->t0);
	if (ns > MAX_DURATION) {
		s->wl[p->wl].invalid++;
		return;
	}
	/* Bucket i holds values <= 2^(first + i): the run-queue histograms' rule. */
	slot = ns <= (1ull << JD_HIST_NS_FIRST_LOG2)
		       ? 0
		       : (unsigned)(64 - __builtin_clzll(ns - 1)) - JD_HIST_NS_FIRST_LOG2;
	if (slot >= JD_HIST_NS_SLOTS)
		slot = JD_HIST_NS_SLOTS - 1;
	se->hist.slots[slot]++;
	se->hist.sum += ns;
	if (ns > p->threshold_ns[span]) {
		se->slow++;
		slow_span(s, p, rec, ns, p->threshold_ns[span]);
	}
}

static void drain_publisher(struct spans *s, struct publisher *p)
{
	struct span_drain_counts n = { 0 };
	uint64_t no_ring;

	s->cur = p;
	for (uint32_t i = 0; i < p->n_rings; i++) {
		struct jd_span_ring *r =
			(struct jd_span_ring *)(p->mem->rings +
						(size_t)i * JD_SPAN_RING_BYTES(p->slots));

		s->cur_ring = i;
		spans_drain_ring(r, p->slots, p->n_spans, &p->rings[i], on_record, s, &n);
	}
	no_ring = __atomic_load_n(&p->mem->no_ring_drops, __ATOMIC_RELAXED);
	if (no_ring > p->no_ring_seen) {
		s->wl[p->wl].no_ring += no_ring - p->no_ring_seen;
		p->no_ring_seen = no_ring;
	}
	s->wl[p->wl].ring_full += n.new_drops;
	s->wl[p->wl].invalid += n.invalid;
}

static void publisher_close(struct spans *s, struct publisher *p)
{
	if (p->state == LIVE) {
		drain_publisher(s, p); /* what it wrote before it left */
		s->wl[p->wl].publishers--;
		s->wl[p->wl].ring_bytes -= p->size;
		log_info("spans: publisher %d (workload %s) left", p->pid, s->wl[p->wl].name);
	}
	if (p->mem)
		munmap(p->mem, p->size);
	if (p->sock >= 0)
		close(p->sock);
	free(p->rings);
	*p = (struct publisher){ .state = FREE, .sock = -1 };
}

/* ---- registration ------------------------------------------------------------------ */

struct match {
	int pid;
	unsigned workload;
};

static void visit_main(void *ctx, int tid, unsigned workload)
{
	struct match *m = ctx;

	if (tid == m->pid || !m->workload)
		m->workload = workload;
}

static void reply(int sock, int status, const char *why)
{
	struct jd_span_reply r = { .magic = JD_SPAN_MAGIC, .status = status };

	snprintf(r.why, sizeof(r.why), "%s", why);
	if (send(sock, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("spans: replying to a publisher: %s", strerror(errno));
}

/* The memfd: sealed against shrinking (else a read past its end faults), of the size said. */
static int map_rings(struct publisher *p, int fd, char *why, size_t why_size)
{
	uint64_t want = JD_SPAN_SHM_BYTES(p->n_rings, p->slots);
	struct jd_span_shm head;
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		snprintf(why, why_size, "the rings must be a memfd sealed with F_SEAL_SHRINK");
		return -EINVAL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != want) {
		snprintf(why, why_size, "the memfd must be %llu bytes", (unsigned long long)want);
		return -EINVAL;
	}
	p->mem = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		snprintf(why, why_size, "mapping the rings: %s", strerror(errno));
		return -errno;
	}
	p->size = want;
	memcpy(&head, p->mem, sizeof(head));
	if (head.magic != JD_SPAN_MAGIC || head.n_rings != p->n_rings || head.slots != p->slots) {
		snprintf(why, why_size, "the rings' header does not match the registration");
		return -EINVAL;
	}
	p->rings = calloc(p->n_rings, sizeof(*p->rings));
	if (!p->rings) {
		snprintf(why, why_size, "no memory");
		return -ENOMEM;
	}
	/* Whatever the rings hold now was written before us: start at their heads. */
	for (uint32_t i = 0; i < p->n_rings; i++) {
		struct jd_span_ring *r =
			(struct jd_span_ring *)(p->mem->rings +
						(size_t)i * JD_SPAN_RING_BYTES(p->slots));

		p->rings[i].tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
		__atomic_store_n(&r->head, p->rings[i].tail, __ATOMIC_RELAXED);
		p->rings[i].drops_seen = __atomic_load_n(&r->drops, __ATOMIC_RELAXED);
	}
	p->no_ring_seen = __atomic_load_n(&p->mem->no_ring_drops, __ATOMIC_RELAXED);
	return 0;
}

/* Its spans' series, made if new: all or none. */
static int assign_series(struct spans *s, struct publisher *p, const struct jd_span_hello *h,
			 const char *wl, char *why, size_t why_size)
{
	struct jd_span_label labels[JD_SPAN_MAX_LABELS];
	unsigned fresh = 0;

	/* Each (name, labels) of a workload is a series: labels count into the bound. */
	for (uint32_t i = 0; i < h->n_spans; i++) {
		canonical_labels(s, &h->spans[i], labels);
		if (series_find(s, wl, h->spans[i].name, labels) < 0)
			fresh++;
	}
	if (s->n_series + fresh > s->o->max_series) {
		snprintf(why, why_size,
			 "%u new series would pass collectors.spans.max_series (%u, %u in use)",
			 fresh, s->o->max_series, s->n_series);
		return -ENOSPC;
	}
	for (uint32_t i = 0; i < h->n_spans; i++) {
		int k;

		canonical_labels(s, &h->spans[i], labels);
		k = series_find(s, wl, h->spans[i].name, labels);
		if (k < 0) {
			k = (int)s->n_series++;
			memset(&s->series[k], 0, sizeof(s->series[k]));
			snprintf(s->series[k].workload, sizeof(s->series[k].workload), "%s", wl);
			snprintf(s->series[k].span, sizeof(s->series[k].span), "%s",
				 h->spans[i].name);
			memcpy(s->series[k].labels, labels, sizeof(labels));
		}
		p->series[i] = (unsigned)k;
		p->threshold_ns[i] =
			h->spans[i].threshold_ns ? h->spans[i].threshold_ns : s->o->threshold_ns;
	}
	return 0;
}

static int do_register(struct spans *s, const struct jd_config *cfg, struct publisher *p,
		       const struct jd_span_hello *h, int fd, char *why, size_t why_size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct match m = { 0 };
	int err, wl;

	if (h->clock == JD_SPAN_CLOCK_TSC && !s->tsc_ok) {
		snprintf(why, why_size,
			 "this machine's TSC is not invariant (constant_tsc, nonstop_tsc): use "
			 "CLOCK_MONOTONIC");
		return -EINVAL;
	}
	if (getsockopt(p->sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.pid <= 0) {
		snprintf(why, why_size, "no peer credentials");
		return -EPERM;
	}
	m.pid = cred.pid;
	if (workload_walk_process(cfg, cred.pid, visit_main, &m) || !m.workload) {
		snprintf(why, why_size, "process %d is in no workload of jitterd's config",
			 (int)cred.pid);
		return -EPERM;
	}
	wl = wl_index(s, cfg->workloads[m.workload - 1].name);
	if (wl < 0) {
		snprintf(why, why_size, "too many workloads seen");
		return wl;
	}
	p->pid = cred.pid;
	p->wl = (unsigned)wl;
	p->clock = h->clock;
	p->n_rings = h->n_rings;
	p->slots = h->slots;
	p->n_spans = h->n_spans;
	err = map_rings(p, fd, why, why_size);
	if (!err)
		err = assign_series(s, p, h, s->wl[wl].name, why, why_size);
	return err;
}

/* A connection's message, when it came: the registration, accepted or refused. */
static void take_hello(struct spans *s, const struct jd_config *cfg, struct publisher *p)
{
	struct jd_span_hello *h = calloc(1, sizeof(*h) + 1);
	char control[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(*h) + 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	char why[120] = "";
	int fd = -1, err;
	ssize_t got;

	if (!h)
		return;
	got = recvmsg(p->sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		if (mono_now() - p->since_ns > PENDING_NS)
			goto refuse_quiet;
		free(h);
		return;
	}
	/* Every descriptor that came: the first is the rings, the rest are closed. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); got >= 0 && c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int one;

				memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (fd < 0)
					fd = one;
				else
					close(one);
			}
	if (got <= 0)
		goto refuse_quiet;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		snprintf(why, sizeof(why), "the registration was cut short");
		err = -EINVAL;
	} else {
		err = spans_check_hello(h, (size_t)got, s->o->max_threads, s->o->max_slots,
					s->o->labels, (unsigned)s->o->n_labels, why, sizeof(why));
	}
	if (!err && fd < 0) {
		snprintf(why, sizeof(why), "no memfd came with the registration");
		err = -EINVAL;
	}
	if (!err)
		err = do_register(s, cfg, p, h, fd, why, sizeof(why));
	if (fd >= 0)
		close(fd);
	free(h);
	if (err) {
		reply(p->sock, err, why);
		log_warn("spans: refused a publisher: %s", why);
		s->refused++;
		if (p->mem)
			munmap(p->mem, p->size);
		free(p->rings);
		p->mem = NULL;
		p->rings = NULL;
		close(p->sock);
		*p = (struct publisher){ .state = FREE, .sock = -1 };
		return;
	}
	reply(p->sock, 0, "");
	p->state = LIVE;
	s->accepted++;
	s->wl[p->wl].publishers++;
	s->wl[p->wl].ring_bytes += p->size;
	log_info("spans: publisher %d registered (workload %s, %u spans, %u rings of %u)", p->pid,
		 s->wl[p->wl].name, p->n_spans, p->n_rings, p->slots);
	return;
refuse_quiet: /* closed, or silent: not a registration */
	if (fd >= 0)
		close(fd);
	free(h);
	close(p->sock);
	*p = (struct publisher){ .state = FREE, .sock = -1 };
}

static void accept_new(struct spans *s)
{
	for (;;) {
		struct publisher *p = NULL;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		for (uint32_t i = 0; i < s->o->max_publishers && !p; i++)
			if (s->pub[i].state == FREE)
				p = &s->pub[i];
		if (!p) {
			reply(fd, -EUSERS, "jitterd has collectors.spans.max_publishers already");
			s->refused++;
			close(fd);
			continue;
		}
		*p = (struct publisher){ .state = PENDING, .sock = fd, .since_ns = mono_now() };
	}
}

/* A publisher's socket closed (it exited, or unregistered). */
static bool gone(int sock)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char byte;

	if (poll(&pfd, 1, 0) <= 0)
		return false;
	if (pfd.revents & (POLLHUP | POLLERR))
		return true;
	return recv(sock, &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

/* ---- the collector ------------------------------------------------------------------- */

static const struct jd_config *live_cfg;

static void spans_drain(struct collector *c)
{
	struct spans *s = c->priv;

	if (s->listen_fd < 0)
		return;
	tsc_refresh(s);
	s->slow_this_pass = 0;
	accept_new(s);
	for (uint32_t i = 0; i < s->o->max_publishers; i++) {
		struct publisher *p = &s->pub[i];

		if (p->state == PENDING)
			take_hello(s, live_cfg, p);
		else if (p->state == LIVE && gone(p->sock))
			publisher_close(s, p);
		else if (p->state == LIVE)
			drain_publisher(s, p);
	}
}

static int bind_socket(struct spans *s, const struct spans_options *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[JD_PATH_MAX];
	struct stat st;
	char *slash;
	gid_t gid = (gid_t)-1;
	int fd;

	if (strlen(o->socket) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (o->socket_group[0]) {
		struct group *g = getgrnam(o->socket_group);

		if (!g) {
			log_err("collectors.spans.socket_group: no group %s", o->socket_group);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", o->socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
	}
	memcpy(sa.sun_path, o->socket, strlen(o->socket) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * A socket left by a daemon that could not remove it (it runs as
	 * nobody then) is replaced; one that another jitterd serves is not.
	 */
	if (!lstat(o->socket, &st) && S_ISSOCK(st.st_mode)) {
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno == EAGAIN) {
			close(fd);
			return -EADDRINUSE;
		}
		close(fd);
		unlink(o->socket);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	}
	/* The group's members may connect too: chown() needs the daemon to be
	 * one of them (the unit's SupplementaryGroups=) or CAP_CHOWN. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
	    (o->socket_group[0] && chown(o->socket, (uid_t)-1, gid)) ||
	    chmod(o->socket, o->socket_group[0] ? 0660 : 0600)) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->listen_fd = fd;
	return 0;
}

static int spans_configure(struct collector *c, const struct jd_config *cfg)
{
	const struct spans_options *o = collector_options(c, cfg);
	struct spans *s = c->priv;
	int err;

	s->o = o;
	s->listen_fd = -1;
	live_cfg = cfg;
	s->nr_cpus = c->nr_cpus;
	s->id = c->id;
	s->pub = calloc(o->max_publishers, sizeof(*s->pub));
	s->series = calloc(o->max_series, sizeof(*s->series));
	if (!s->pub || !s->series)
		return -ENOMEM;
	for (uint32_t i = 0; i < o->max_publishers; i++)
		s->pub[i].sock = -1;
	tsc_init(s);
	if (probe_surveying())
		return 0; /* --probes: nothing to serve */
	err = bind_socket(s, o);
	if (err)
		log_err("spans: %s: %s", o->socket, strerror(-err));
	else
		log_info("spans: publishers register at %s (TSC %s)", o->socket,
			 s->tsc_ok ? "invariant: accepted" : "not invariant: refused");
	return err;
}

static void spans_finish(struct collector *c)
{
	struct spans *s = c->priv;

	for (uint32_t i = 0; s->pub && i < s->o->max_publishers; i++)
		if (s->pub[i].state != FREE)
			publisher_close(s, &s->pub[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->pub);
	free(s->series);
}

static void spans_collect(struct collector *c, struct metrics *m)
{
	struct spans *s = c->priv;
	struct metric_family *dur, *marks, *slow, *dropped, *pubs, *bytes, *regs;

	dur = metrics_family(m, SPANS_DURATION,
			     "Durations of the spans that components publish (libjitterd-span), "
			     "per workload and span.",
			     METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	marks = metrics_family(m, SPANS_MARKS, "Marks (points in time) components published.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	slow = metrics_family(m, SPANS_SLOW,
			      "Spans slower than their threshold (each a span_slow event, up to "
			      "64 per drain).",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	for (unsigned i = 0; i < s->n_series; i++) {
		const struct series *se = &s->series[i];
		struct metric_hist h = hist_ns_metric(&se->hist);
		const char *l[JD_SPAN_MAX_LABELS]; /* the first unused one ends the labels */

		for (unsigned k = 0; k < JD_SPAN_MAX_LABELS; k++)
			l[k] = se->labels[k].name[0] ? se->labels[k].name : LABELS_END;
#define SERIES_LABELS                                                                              \
	"workload", se->workload, "span", se->span, l[0], se->labels[0].value, l[1],               \
		se->labels[1].value, l[2], se->labels[2].value, l[3], se->labels[3].value,         \
		LABELS_END
		_Static_assert(JD_SPAN_MAX_LABELS == 4, "SERIES_LABELS names each label");
		metric_hist(dur, &h, SERIES_LABELS);
		metric_u64(marks, se->marks, SERIES_LABELS);
		metric_u64(slow, se->slow, SERIES_LABELS);
#undef SERIES_LABELS
	}
	dropped = metrics_family(m, SPANS_DROPPED,
				 "Span records lost: ring_full (the publisher's ring was full), "
				 "no_ring (more threads than rings), invalid (failed jitterd's "
				 "checks).",
				 METRIC_COUNTER, METRIC_UNIT_NONE);
	pubs = metrics_family(m, SPANS_PUBLISHERS, "Processes publishing spans now.", METRIC_GAUGE,
			      METRIC_UNIT_NONE);
	bytes = metrics_family(m, SPANS_RING_BYTES,
			       "Shared memory of the publishers' rings (theirs; jitterd maps it).",
			       METRIC_GAUGE, METRIC_UNIT_NONE);
	for (unsigned i = 0; i < s->n_wl; i++) {
		const struct wl_counts *w = &s->wl[i];

		metric_u64(dropped, w->ring_full, "workload", w->name, "reason", "ring_full",
			   LABELS_END);
		metric_u64(dropped, w->no_ring, "workload", w->name, "reason", "no_ring",
			   LABELS_END);
		metric_u64(dropped, w->invalid, "workload", w->name, "reason", "invalid",
			   LABELS_END);
		metric_u64(pubs, w->publishers, "workload", w->name, LABELS_END);
		metric_u64(bytes, w->ring_bytes, "workload", w->name, LABELS_END);
	}
	regs = metrics_family(m, SPANS_REGISTRATIONS,
			      "Registrations of span publishers, accepted or refused (the log "
			      "says why).",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	metric_u64(regs, s->accepted, "result", "accepted", LABELS_END);
	metric_u64(regs, s->refused, "result", "refused", LABELS_END);
}

/* ---- span_slow: the OS join ------------------------------------------------------------ */

struct join {
	int cpu;	     /* the span's */
	const char *sockets; /* its workload's socket classes, comma-separated */
	json_t *list, *own;  /* on_cpu, on_sockets */
	json_t *time;	     /* on_cpu_time: per kind, events with a duration_ns and their sum */
	unsigned n, more;    /* on_cpu */
	unsigned n_own, more_own;
};

/* The unsigned number after "key": in line (its first), or 0. */
static uint64_t line_u64(const char *line, const char *key)
{
	const char *at = strstr(line, key);

	return at ? strtoull(at + strlen(key), NULL, 10) : 0;
}

/* name is one of list's (comma-separated). */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (n && *list) {
		size_t len = strcspn(list, ",");

		if (len == n && !strncmp(list, name, n))
			return true;
		list += len + (list[len] == ',');
	}
	return false;
}

/* The kind's share of the CPU's time during the span: what its events say they took. */
static void add_time(struct join *j, const char *kind, const char *line)
{
	uint64_t ns = line_u64(line, "\"duration_ns\":");
	json_t *t;

	if (!ns)
		return;
	t = json_object_get(j->time, kind);
	if (!t) {
		t = json_object();
		if (!t || json_object_set_new(j->time, kind, t))
			return;
	}
	json_set_u64(t, "events", (uint64_t)json_integer_value(json_object_get(t, "events")) + 1);
	json_set_u64(t, "ns", (uint64_t)json_integer_value(json_object_get(t, "ns")) + ns);
}

static void join_list(json_t *list, unsigned *n, unsigned *more, const char *line, bool own_cpu)
{
	json_t *ev;

	if (*n == MAX_JOINED) {
		(*more)++;
		return;
	}
	ev = json_loads(line, 0, NULL);
	if (ev) {
		if (own_cpu)
			json_object_del(ev, "cpu"); /* the span's */
		json_array_append_new(list, ev);
		(*n)++;
	}
}

static bool join_one(const struct events_joined *e, void *arg)
{
	struct join *j = arg;

	if (e->cpu == j->cpu) {
		add_time(j, e->kind, e->line);
		join_list(j->list, &j->n, &j->more, e->line, true);
	}
	if (listed(j->sockets, e->socket))
		join_list(j->own, &j->n_own, &j->more_own, e->line, false);
	return true;
}

/* The socket classes the config gives the workload (workloads[].sockets). */
static const char *workload_sockets(const char *workload)
{
	for (int i = 0; live_cfg && i < live_cfg->n_workloads; i++)
		if (!strcmp(live_cfg->workloads[i].name, workload))
			return live_cfg->workloads[i].sockets;
	return "";
}

static bool on_slow(struct collector *c, const void *event, json_t *obj)
{
	const struct spans_slow_event *e = event;
	struct spans *s = c->priv;
	const struct series *se;
	int64_t real = events_mono_to_real();
	bool cpu_known = e->hdr.cpu != JD_SPAN_CPU_UNKNOWN && (int)e->hdr.cpu < s->nr_cpus;
	struct join j = { .cpu = cpu_known ? (int)e->hdr.cpu : INT_MIN, /* no event's */
			  .sockets = "",
			  .list = json_array(),
			  .own = json_array(),
			  .time = json_object() };
	bool ok = e->series < s->n_series && j.list && j.own && j.time;

	if (!ok)
		goto out;
	se = &s->series[e->series];
	j.sockets = workload_sockets(se->workload);
	json_set_str(obj, "workload", se->workload);
	json_set_str(obj, "span", se->span);
	if (se->labels[0].name[0]) {
		json_t *labels = json_object();

		for (unsigned k = 0; labels && k < JD_SPAN_MAX_LABELS && se->labels[k].name[0]; k++)
			json_set_str(labels, se->labels[k].name, se->labels[k].value);
		if (labels)
			json_object_set_new(obj, "labels", labels);
	}
	json_set_u64(obj, "duration_ns", e->duration_ns);
	json_set_u64(obj, "threshold_ns", e->threshold_ns);
	json_set_u64(obj, "pid", e->pid);
	json_set_u64(obj, "tid", e->tid);
	/* Its workload's sockets' events are joined wherever they were; the rest by its CPU. */
	events_each_within((int64_t)e->start_ns + real, (int64_t)e->hdr.time_ns + real, "span_slow",
			   join_one, &j);
	if (cpu_known) {
		json_object_set(obj, "on_cpu", j.list);
		if (j.more)
			json_set_u64(obj, "on_cpu_more", j.more);
		if (json_object_size(j.time))
			json_object_set(obj, "on_cpu_time", j.time);
	} else {
		json_object_set_new(obj, "cpu", json_null());
	}
	if (j.n_own)
		json_object_set(obj, "on_sockets", j.own);
	if (j.more_own)
		json_set_u64(obj, "on_sockets_more", j.more_own);
out:
	json_decref(j.list);
	json_decref(j.own);
	json_decref(j.time);
	return ok;
}

static const struct event_def spans_events[] = {
	[SPANS_EVENT_SLOW] = { .name = "span_slow",
			       .size = sizeof(struct spans_slow_event),
			       .handle = on_slow },
};

static int check_socket_path(const char *s, const char **why)
{
	if (s[0] != '/') {
		*why = "an absolute path";
		return -EINVAL;
	}
	if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		*why = "a Unix socket's path is at most 107 bytes";
		return -EINVAL;
	}
	return 0;
}

static const struct yw_string_check socket_check = { "socket path", check_socket_path };

/* A label name spans may carry: a Prometheus label name that is none of the fixed ones. */
static int parse_label_name(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item, char *elem)
{
	const char *s = yw_scalar_text(c, k->name, item);

	if (!s)
		return -EINVAL;
	if (!label_name_ok(s, JD_SPAN_LABEL_NAME_MAX))
		return yw_bad_value(c, k->name, "label name", item,
				    "use 1 to 31 of A-Z a-z 0-9 _, not starting with a digit");
	if (!strncmp(s, "__", 2) || !strcmp(s, "workload") || !strcmp(s, "span") ||
	    !strcmp(s, "le"))
		return yw_bad_value(c, k->name, "label name", item,
				    "workload, span and le are jitterd's; __ is Prometheus'");
	memcpy(elem, s, strlen(s) + 1);
	return 0;
}

static const struct yw_list label_list = {
	.what = "label name",
	.item_type = YAML_SCALAR_NODE,
	.item_size = JD_SPAN_LABEL_NAME_MAX,
	.parse_item = parse_label_name,
};

/* The list, and no name twice. */
static int parse_labels(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *seq, char *base)
{
	yaml_node_item_t *start = seq->data.sequence.items.start, *it, *first;
	char q[YW_QUOTE_SIZE];

	yw_parse_list(c, k, seq, base);
	for (it = start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *v = yw_node(c, *it);

		for (first = start; v->type == YAML_SCALAR_NODE && first < it; first++) {
			yaml_node_t *f = yw_node(c, *first);

			if (f->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)v->data.scalar.value,
				    (const char *)f->data.scalar.value))
				return yw_report(
					c, v->start_mark,
					"duplicate label name %s (first at line %zu)",
					yw_quote(q, sizeof(q), (const char *)v->data.scalar.value),
					f->start_mark.line + 1);
		}
	}
	return 0;
}

static const struct yw_key spans_config_keys[] = {
	{ YW_KEY("socket", SCALAR, yw_parse_string), YW_FIELD(struct spans_options, socket),
	  .check = &socket_check, .def = "/run/jitterd/spans.sock" },
	{ YW_KEY("socket_group", SCALAR, yw_parse_string),
	  YW_FIELD(struct spans_options, socket_group), .def = "" },
	{ YW_KEY("max_publishers", SCALAR, yw_parse_u32),
	  YW_FIELD(struct spans_options, max_publishers), .min = 1, .max = 4096, .def = "64" },
	{ YW_KEY("max_series", SCALAR, yw_parse_u32), YW_FIELD(struct spans_options, max_series),
	  .min = 1, .max = 65536, .def = "256" },
	{ YW_KEY("max_threads", SCALAR, yw_parse_u32), YW_FIELD(struct spans_options, max_threads),
	  .min = 1, .max = JD_SPAN_MAX_RINGS, .def = "256" },
	{ YW_KEY("max_slots", SCALAR, yw_parse_u32), YW_FIELD(struct spans_options, max_slots),
	  .min = JD_SPAN_MIN_SLOTS, .max = JD_SPAN_MAX_SLOTS, .def = "65536" },
	{ YW_KEY("labels", SEQUENCE, parse_labels), YW_FIELD(struct spans_options, labels),
	  YW_COUNT(struct spans_options, n_labels), .list = &label_list },
	{},
};

static const struct yw_key spans_event_keys[] = {
	{ YW_KEY("span_duration_threshold", SCALAR, yw_parse_duration),
	  YW_FIELD(struct spans_options, threshold_ns), .min = 1, .max = 3600 * NS_PER_S,
	  .def = "1ms" },
	{},
};

/* ---- what the anomaly detector may judge it by ---------------------------------------- */

static const struct signal_config span_latency_config = {
	.name = "span_latency",
	.unit = SIGNAL_SECONDS,
	.floor = "50us",
	.floor_min = 1,
	.floor_max = 10 * NS_PER_S,
	.quantiles = true,
};

/* Per workload and span: "workload:strategy/tick_to_order". */
#define SPAN_QUANTILE(n, q, w)                                                                     \
	{                                                                                          \
		.name = (n), .config = &span_latency_config, .words = (w),                         \
		.judge = SIGNAL_QUANTILE,                                                          \
		.from = { { .family = SPANS_DURATION,                                              \
			    .subject = SIGNAL_WORKLOAD,                                            \
			    .label = "workload",                                                   \
			    .label2 = "span",                                                      \
			    .other_labels = true } },                                              \
		.quantile = (q), .evidence = { "spans" }, .quantile_evidence = true,               \
	}

static const struct signal_def spans_signals[] = {
	SPAN_QUANTILE("span_latency_p50", SIGNAL_P50, "span latency p50"),
	SPAN_QUANTILE("span_latency_p99", SIGNAL_P99, "span latency p99"),
	SPAN_QUANTILE("span_latency_p999", SIGNAL_P999, "span latency p99.9"),
};

const struct collector_ops spans_collector = {
	.name = "spans",
	.priv_size = sizeof(struct spans),
	.events = spans_events,
	.n_events = ARRAY_SIZE(spans_events),
	.config_keys = spans_config_keys,
	.event_keys = spans_event_keys,
	.signals = spans_signals,
	.n_signals = ARRAY_SIZE(spans_signals),
	.configure = spans_configure,
	.drain = spans_drain,
	.collect = spans_collect,
	.finish = spans_finish,
};
