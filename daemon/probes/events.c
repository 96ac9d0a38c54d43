// SPDX-License-Identifier: MIT
#include "probes/events.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/json.h"
#include "lib/log.h"
#include "probes/collector.h"
#include "probes/event_sinks.h"

/*
 * 512 KiB: some 6000 events (80-100 bytes each) between two drains, 60000 a
 * second at the default drain_interval, far beyond any outlier rate worth
 * the name; a burst beyond it is counted (jitterd_ringbuf_dropped_events_total).
 * libbpf maps the data twice (for reads across the wrap), all of it in the
 * daemon's RSS: 1 MiB here, and every doubling of the ring doubles that.
 */
#define EVENTS_RING_BYTES (1u << 19)

struct source {
	const struct event_def *defs;
	unsigned n;
	struct collector *c;
};

/*
 * A logged event: its line and what readers filter on. One allocation, so
 * that an event costs its line, its own workload and socket names and 24
 * bytes (the size, RSS and per-event figures are in docs/events.md).
 */
struct entry {
	uint64_t seq;	 /* its place among all logged events, from 1 */
	int64_t time_ns; /* Unix time */
	int32_t cpu;	 /* -1: none */
	uint32_t len;
	/* JSON, NUL-terminated; then its top-level "workload" and "socket"
	 * strings, each NUL-terminated ("": it has none). */
	char line[];
};

/* The log of one kind: a circular array, oldest at `next` once full. */
struct kind {
	const char *name; /* the event_def's or the daemon's own (static) */
	struct entry **log;
	uint32_t size, next, count;
	uint64_t logged, evicted;
	uint64_t evicted_seq; /* the newest evicted event's seq */
	int64_t last_ns;      /* the newest event's time, 0 before the first */
};

struct events_follower {
	struct events_follower *next;
	struct event_query q;
	uint32_t mask;	 /* kinds followed */
	uint64_t cursor; /* the last event sent (or passed over) */
	bool sse, cut;
};

static struct {
	int map_fd, dropped_fd;
	struct ring_buffer *ring;
	struct source sources[EVENTS_MAX_SOURCES];
	uint64_t received, malformed;
	int64_t mono_to_real_ns; /* refreshed at each drain */
	struct kind kinds[EVENTS_MAX_KINDS];
	unsigned n_kinds;
	uint64_t seq;  /* the last logged event's */
	uint64_t lost; /* events of no kind (more kinds than EVENTS_MAX_KINDS) or no memory */
	uint32_t default_size;
	struct jd_event_log_size sizes[JD_MAX_EVENT_KINDS];
	int n_sizes;
	struct buf line;
	int nr_cpus;
	uint64_t *dropped_percpu;
	struct events_follower *followers;
	uint64_t followers_cut;
	bool news;
	void (*on_news)(void);
} ev = { .map_fd = -1, .dropped_fd = -1 };

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* RFC 3339 UTC with nanoseconds: what a person at 3 a.m. can read. */
static json_t *json_time(int64_t real)
{
	time_t sec = (time_t)(real / 1000000000);
	struct tm tm;
	char s[32], full[48];

	gmtime_r(&sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(full, sizeof(full), "%s.%09lldZ", s, (long long)(real % 1000000000));
	return json_string(full);
}

/* ---- kinds ------------------------------------------------------------------ */

static const char *const own_kinds[] = { EVENTS_KIND_ANOMALY };

bool events_kind_known(const char *kind)
{
	for (unsigned i = 0; i < sizeof(own_kinds) / sizeof(own_kinds[0]); i++)
		if (!strcmp(own_kinds[i], kind))
			return true;
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_events; j++) {
			const struct event_def *d = &collectors[i].ops->events[j];

			if (d->name && !d->bookkeeping && !strcmp(d->name, kind))
				return true;
		}
	return false;
}

const char *events_kinds_known(void)
{
	static char list[512];
	size_t at = 0;

	list[0] = '\0';
	for (unsigned i = 0; i < sizeof(own_kinds) / sizeof(own_kinds[0]); i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s", own_kinds[i]);
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_events && at < sizeof(list); j++) {
			const struct event_def *d = &collectors[i].ops->events[j];

			if (d->name && !d->bookkeeping)
				at += (size_t)snprintf(list + at, sizeof(list) - at, ", %s",
						       d->name);
		}
	return list;
}

static uint32_t size_of(const char *name)
{
	for (int i = 0; i < ev.n_sizes; i++)
		if (!strcmp(ev.sizes[i].kind, name))
			return ev.sizes[i].size;
	return ev.default_size;
}

static int kind_index(const char *name)
{
	for (unsigned i = 0; i < ev.n_kinds; i++)
		if (!strcmp(ev.kinds[i].name, name))
			return (int)i;
	return -1;
}

/* The kind's place, added (its log empty, made at its first event) if new. */
static int kind_add(const char *name)
{
	int i = kind_index(name);

	if (i >= 0)
		return i;
	if (ev.n_kinds == EVENTS_MAX_KINDS)
		return -ENOSPC;
	ev.kinds[ev.n_kinds] = (struct kind){ .name = name, .size = size_of(name) };
	return (int)ev.n_kinds++;
}

/* Keep the newest `size` of k's events (size > 0). */
static int kind_resize(struct kind *k, uint32_t size)
{
	struct entry **log;
	uint32_t keep = k->count < size ? k->count : size;

	if (!k->log) {
		k->size = size;
		return 0;
	}
	log = calloc(size, sizeof(*log));
	if (!log)
		return -ENOMEM;
	for (uint32_t i = 0; i < k->count; i++) {
		uint32_t at = (k->next + k->size - k->count + i) % k->size;

		if (i < k->count - keep) {
			k->evicted++;
			k->evicted_seq = k->log[at]->seq;
			free(k->log[at]);
		} else {
			log[i - (k->count - keep)] = k->log[at];
		}
	}
	free(k->log);
	k->log = log;
	k->size = size;
	k->count = keep;
	k->next = keep % size;
	return 0;
}

/* The i-th oldest event of k. */
static struct entry *kind_at(const struct kind *k, uint32_t i)
{
	return k->log[(k->next + k->size - k->count + i) % k->size];
}

/* ---- what readers ask for ------------------------------------------------------ */

/* The event's own workload and socket (not those of events it embeds, as a
 * span_slow's on_cpu list does): kept beside its line when it was logged. */
static const char *entry_workload(const struct entry *e)
{
	return e->line + e->len + 1;
}

static const char *entry_socket(const struct entry *e)
{
	const char *w = entry_workload(e);

	return w + strlen(w) + 1;
}

static bool matches(const struct event_query *q, const struct entry *e)
{
	return (!q->has_since || e->time_ns >= q->since_ns) && (q->cpu < 0 || e->cpu == q->cpu) &&
	       (!q->workload[0] || !strcmp(entry_workload(e), q->workload)) &&
	       (!q->socket[0] || !strcmp(entry_socket(e), q->socket));
}

/* The kinds q names as a mask of ours (all of them when it names none). */
static int query_mask(const struct event_query *q, uint32_t *mask, char *why, size_t why_size)
{
	*mask = q->n_kinds ? 0 : UINT32_MAX;
	for (unsigned i = 0; i < q->n_kinds; i++) {
		int k = kind_index(q->kinds[i]);

		if (k < 0) {
			snprintf(why, why_size, "kind: no kind \"%s\" (%s)", q->kinds[i],
				 events_kinds_known());
			return -EINVAL;
		}
		*mask |= 1u << k;
	}
	return 0;
}

/* The first event of k after seq, or k->count. */
static uint32_t first_after(const struct kind *k, uint64_t seq)
{
	uint32_t lo = 0, hi = k->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (kind_at(k, mid)->seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The next event (by seq) after seq among the kinds of mask, or NULL. */
static const struct entry *next_after(uint32_t mask, uint64_t seq)
{
	const struct entry *best = NULL;

	for (unsigned i = 0; i < ev.n_kinds; i++) {
		const struct kind *k = &ev.kinds[i];
		uint32_t at;

		if (!(mask & (1u << i)) || !k->count)
			continue;
		at = first_after(k, seq);
		if (at < k->count && (!best || kind_at(k, at)->seq < best->seq))
			best = kind_at(k, at);
	}
	return best;
}

int events_query(const struct event_query *q, struct buf *out, char *why, size_t why_size)
{
	const struct entry **picked = NULL, *e;
	size_t n = 0, cap = 0, first;
	uint32_t mask;
	uint64_t seq = 0;
	int err;

	if ((err = query_mask(q, &mask, why, why_size)))
		return err;
	/* Drain first, so that /events is as fresh as the timer allows. */
	events_drain();
	for (unsigned i = 0; i < ev.n_kinds; i++)
		if (mask & (1u << i))
			cap += ev.kinds[i].count;
	if (q->limit && cap > q->limit)
		cap = q->limit;
	if (cap && !(picked = malloc(cap * sizeof(*picked))))
		return -ENOMEM;
	/* Oldest first; with a limit, the newest of them: a window slid along
	 * (a circle of cap places, the oldest at n % cap once it went round). */
	while (cap && (e = next_after(mask, seq))) {
		seq = e->seq;
		if (matches(q, e))
			picked[n++ % cap] = e;
	}
	first = n > cap ? n % cap : 0;
	for (size_t i = 0; i < n && i < cap; i++) {
		const struct entry *p = picked[(first + i) % cap];

		buf_append(out, p->line, p->len);
		buf_putc(out, '\n');
	}
	free(picked);
	return out->oom ? -ENOMEM : 0;
}

void events_each_within(int64_t from_ns, int64_t to_ns, const char *skip,
			bool (*fn)(const struct events_joined *e, void *arg), void *arg)
{
	for (unsigned i = 0; i < ev.n_kinds; i++) {
		const struct kind *k = &ev.kinds[i];

		if (skip && !strcmp(k->name, skip))
			continue;
		/* Newest first; a kind's log is in the order it was drained, which
		 * is time order but for CPUs whose events came late (a second). */
		for (uint32_t j = k->count; j-- > 0;) {
			const struct entry *e = kind_at(k, j);

			if (e->time_ns < from_ns - 1000000000)
				break;
			struct events_joined j = { .kind = k->name,
						   .cpu = e->cpu,
						   .socket = entry_socket(e),
						   .line = e->line };

			if (e->time_ns >= from_ns && e->time_ns <= to_ns && !fn(&j, arg))
				return;
		}
	}
}

int64_t events_mono_to_real(void)
{
	return ev.mono_to_real_ns ? ev.mono_to_real_ns
				  : clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

int events_render(void *ctx, struct buf *out)
{
	struct event_query all;
	char why[8];

	(void)ctx;
	event_query_parse(&all, NULL, 0, why, sizeof(why));
	return events_query(&all, out, why, sizeof(why)) ? -1 : 0;
}

/* ---- followers ------------------------------------------------------------------ */

struct events_follower *events_follow(const struct event_query *q, bool sse, char *why,
				      size_t why_size)
{
	struct events_follower *f;
	uint32_t mask;

	if (query_mask(q, &mask, why, why_size))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	f->q = *q;
	f->mask = mask;
	f->sse = sse;
	/* From now on, or what the logs still have since q->since_ns. */
	f->cursor = q->has_since ? 0 : ev.seq;
	f->next = ev.followers;
	ev.followers = f;
	return f;
}

long events_follow_read(struct events_follower *f, char *buf, size_t max)
{
	const struct entry *e;
	size_t at = 0;

	if (f->cut)
		return -1;
	while ((e = next_after(f->mask, f->cursor))) {
		char head[48];
		int hl = 0;
		size_t need;

		if (!matches(&f->q, e)) {
			f->cursor = e->seq;
			continue;
		}
		if (f->sse)
			hl = snprintf(head, sizeof(head),
				      "id: %llu\ndata: ", (unsigned long long)e->seq);
		need = (size_t)hl + e->len + (f->sse ? 2 : 1);
		if (at + need > max) {
			if (!at && need > max)
				f->cursor = e->seq; /* can never fit: passed over */
			break;
		}
		memcpy(buf + at, head, (size_t)hl);
		memcpy(buf + at + hl, e->line, e->len);
		at += (size_t)hl + e->len;
		buf[at++] = '\n';
		if (f->sse)
			buf[at++] = '\n';
		f->cursor = e->seq;
	}
	return (long)at;
}

bool events_follow_cut(const struct events_follower *f)
{
	return f->cut;
}

void events_follow_free(struct events_follower *f)
{
	for (struct events_follower **p = &ev.followers; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	free(f);
}

void events_on_news(void (*fn)(void))
{
	ev.on_news = fn;
}

/* e leaves k's log: a follower that was yet to be sent it falls behind. */
static void evicting(unsigned kind, const struct entry *e)
{
	for (struct events_follower *f = ev.followers; f; f = f->next)
		if (!f->cut && (f->mask & (1u << kind)) && f->cursor < e->seq &&
		    matches(&f->q, e)) {
			f->cut = true;
			ev.followers_cut++;
		}
}

static void tell_news(void)
{
	if (ev.news && ev.on_news)
		ev.on_news();
	ev.news = false;
}

/* ---- logging --------------------------------------------------------------------- */

/* obj's top-level string member key, or "". */
static const char *own_name(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static void log_append(const char *kind_name, int64_t time_ns, int cpu, const struct buf *line,
		       const json_t *obj)
{
	int i = kind_add(kind_name);
	const char *workload = own_name(obj, "workload"), *socket = own_name(obj, "socket");
	size_t wl = strlen(workload) + 1, sl = strlen(socket) + 1;
	struct kind *k;
	struct entry *e;

	if (i < 0) {
		ev.lost++;
		return;
	}
	k = &ev.kinds[i];
	if (!k->log && !(k->log = calloc(k->size, sizeof(*k->log)))) {
		ev.lost++;
		return;
	}
	e = malloc(sizeof(*e) + line->len + 1 + wl + sl);
	if (!e) {
		ev.lost++;
		return;
	}
	*e = (struct entry){
		.seq = ++ev.seq, .time_ns = time_ns, .cpu = cpu, .len = (uint32_t)line->len
	};
	memcpy(e->line, line->data, line->len + 1);
	memcpy(e->line + line->len + 1, workload, wl);
	memcpy(e->line + line->len + 1 + wl, socket, sl);
	if (k->count == k->size) {
		struct entry *old = k->log[k->next];

		evicting((unsigned)i, old);
		k->evicted++;
		k->evicted_seq = old->seq;
		free(old);
	} else {
		k->count++;
	}
	k->log[k->next] = e;
	k->next = (k->next + 1) % k->size;
	k->logged++;
	k->last_ns = time_ns;
	ev.news = true;
	event_sinks_write(kind_name, line->data, line->len);
}

void events_handle(const void *data, size_t len)
{
	const struct jd_event_hdr *h = data;
	const struct source *src;
	const struct event_def *d;
	int64_t real;
	json_t *obj;

	ev.received++;
	if (len < sizeof(*h) || h->type >= (src = &ev.sources[h->collector])->n ||
	    len < src->defs[h->type].size) {
		ev.malformed++;
		return;
	}
	d = &src->defs[h->type];
	obj = json_object();
	if (!obj)
		return;
	real = (int64_t)h->time_ns + ev.mono_to_real_ns;
	json_object_set_new(obj, "time", json_time(real));
	json_object_set_new(obj, "cpu", json_integer(h->cpu));
	json_object_set_new(obj, "type", json_string(d->name));
	if (d->handle(src->c, data, obj)) {
		buf_reset(&ev.line);
		if (!json_append(&ev.line, obj))
			log_append(d->name, real, (int)h->cpu, &ev.line, obj);
	}
	json_decref(obj);
}

void events_log(const char *type, const json_t *members)
{
	json_t *obj = json_object();
	int64_t real = clock_ns(CLOCK_REALTIME);

	if (!obj || !ev.dropped_percpu)
		goto out;
	json_object_set_new(obj, "time", json_time(real));
	json_object_set_new(obj, "type", json_string(type));
	json_object_update(obj, (json_t *)members);
	buf_reset(&ev.line);
	if (!json_append(&ev.line, obj))
		log_append(type, real, -1, &ev.line, obj);
	tell_news();
out:
	json_decref(obj);
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	events_handle(data, len);
	return 0;
}

static void set_sizes(const struct jd_config *cfg)
{
	ev.default_size = cfg->events.log_size;
	ev.n_sizes = cfg->events.n_log_sizes;
	memcpy(ev.sizes, cfg->events.log_sizes, sizeof(ev.sizes));
}

int events_init(const struct jd_config *cfg)
{
	int err;

	set_sizes(cfg);
	/* Every kind of the build, so that each has its counters from the start. */
	for (unsigned i = 0; i < sizeof(own_kinds) / sizeof(own_kinds[0]); i++)
		kind_add(own_kinds[i]);
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_events; j++)
			if (!collectors[i].ops->events[j].bookkeeping)
				kind_add(collectors[i].ops->events[j].name);
	ev.nr_cpus = libbpf_num_possible_cpus();
	ev.dropped_percpu = calloc(ev.nr_cpus > 0 ? ev.nr_cpus : 1, sizeof(uint64_t));
	if (!ev.dropped_percpu || ev.nr_cpus <= 0) {
		err = -ENOMEM;
		goto fail;
	}
	ev.map_fd =
		bpf_map_create(BPF_MAP_TYPE_RINGBUF, "jd_events", 0, 0, EVENTS_RING_BYTES, NULL);
	ev.dropped_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "jd_events_drop", sizeof(__u32),
				       sizeof(__u64), 1, NULL);
	if (ev.map_fd < 0 || ev.dropped_fd < 0) {
		err = -errno;
		log_err("creating the events ring buffer: %s", strerror(-err));
		goto fail;
	}
	ev.ring = ring_buffer__new(ev.map_fd, on_event, NULL, NULL);
	if (!ev.ring) {
		err = -errno;
		log_err("mapping the events ring buffer: %s", strerror(-err));
		goto fail;
	}
	event_sinks_set(cfg); /* a file it cannot open is logged, and counted as it fails */
	return 0;
fail:
	events_finish();
	return err;
}

int events_set_log_sizes(const struct jd_config *cfg)
{
	int err = 0;

	set_sizes(cfg);
	for (unsigned i = 0; i < ev.n_kinds; i++) {
		struct kind *k = &ev.kinds[i];
		uint32_t size = size_of(k->name);

		if (size == k->size)
			continue;
		/* Evictions a shrink makes cut followers like any other. */
		for (uint32_t j = 0; k->log && size < k->count && j < k->count - size; j++)
			evicting(i, kind_at(k, j));
		if (kind_resize(k, size))
			err = -ENOMEM;
	}
	return err;
}

int events_register(unsigned source, const struct event_def *defs, unsigned n, struct collector *c)
{
	if (source >= EVENTS_MAX_SOURCES || ev.sources[source].defs)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (defs[i].name && !defs[i].bookkeeping && kind_add(defs[i].name) < 0)
			return -ENOSPC;
	ev.sources[source] = (struct source){ defs, n, c };
	return 0;
}

void events_unregister(unsigned source)
{
	if (source < EVENTS_MAX_SOURCES)
		memset(&ev.sources[source], 0, sizeof(ev.sources[source]));
}

/* Set the __u8 global `name` of obj's .rodata (const volatile), before load. */
static int set_rodata_u8(struct bpf_object *obj, const char *name, __u8 value)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec;
	struct bpf_map *map;
	const void *initial;
	size_t size;
	int id;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return id;
	sec = btf__type_by_id(btf, id);
	bpf_object__for_each_map (map, obj) {
		const char *n = bpf_map__name(map);
		size_t len = strlen(n);

		/* Not .rodata.str1.1 and the like: libbpf names it <obj>.rodata. */
		if (bpf_map__is_internal(map) && len >= 7 && !strcmp(n + len - 7, ".rodata"))
			break;
	}
	initial = map ? bpf_map__initial_value(map, &size) : NULL;
	if (!initial)
		return -ENOENT;
	vsi = btf_var_secinfos(sec);
	for (unsigned i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *var = btf__type_by_id(btf, vsi->type);
		char *copy;
		int err;

		if (strcmp(btf__name_by_offset(btf, var->name_off), name) ||
		    vsi->offset + sizeof(value) > size)
			continue;
		/* The API's way to write it: a whole new initial value. */
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, initial, size);
		copy[vsi->offset] = (char)value;
		err = bpf_map__set_initial_value(map, copy, size);
		free(copy);
		return err;
	}
	return -ENOENT;
}

int events_share(struct bpf_object *obj, unsigned source)
{
	struct bpf_map *ring = bpf_object__find_map_by_name(obj, "events");
	struct bpf_map *dropped = bpf_object__find_map_by_name(obj, "events_dropped");
	int err = 0;

	if (!ring)
		return 0; /* an object that sends no events */
	if (source >= EVENTS_MAX_SOURCES)
		return -EINVAL;
	err = bpf_map__reuse_fd(ring, ev.map_fd);
	if (!err && dropped)
		err = bpf_map__reuse_fd(dropped, ev.dropped_fd);
	if (!err)
		err = set_rodata_u8(obj, "jd_collector_id", (__u8)source);
	return err;
}

int events_epoll_fd(void)
{
	return ring_buffer__epoll_fd(ev.ring);
}

void events_drain(void)
{
	if (!ev.ring)
		return;
	ev.mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (ring_buffer__consume(ev.ring) < 0)
		log_warn("draining the events ring: %s", strerror(errno));
	tell_news();
}

static void collect_kinds(struct metrics *m)
{
	struct metric_family *logged, *evicted, *kept, *last;

	logged = metrics_family(m, "jitterd_events_total",
				"Events logged for /events, per kind (the event's type).",
				METRIC_COUNTER, METRIC_UNIT_NONE);
	evicted = metrics_family(m, "jitterd_events_evicted_total",
				 "Events pushed out of their kind's log by newer ones of the "
				 "kind (events.log_size, events.log_sizes).",
				 METRIC_COUNTER, METRIC_UNIT_NONE);
	kept = metrics_family(m, "jitterd_events_retained",
			      "Events of the kind in its log now (at most its log size).",
			      METRIC_GAUGE, METRIC_UNIT_NONE);
	last = metrics_family(m, "jitterd_event_last_timestamp_seconds",
			      "When the kind's newest event happened, Unix time (0: none "
			      "since the start): for dashboard annotations.",
			      METRIC_GAUGE, METRIC_UNIT_SECONDS);
	for (unsigned i = 0; i < ev.n_kinds; i++) {
		const struct kind *k = &ev.kinds[i];

		metric_u64(logged, k->logged, "kind", k->name, LABELS_END);
		metric_u64(evicted, k->evicted, "kind", k->name, LABELS_END);
		metric_u64(kept, k->count, "kind", k->name, LABELS_END);
		metric_u64(last, (uint64_t)k->last_ns, "kind", k->name, LABELS_END);
	}
	metric_u64(metrics_family(m, "jitterd_events_followers_cut_total",
				  "Followers of /events?follow=1 cut because they fell behind: "
				  "an event they were to be sent left its log first.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   ev.followers_cut, LABELS_END);
}

void events_collect(struct metrics *m)
{
	__u32 zero = 0;
	uint64_t dropped = 0;

	if (!bpf_map_lookup_elem(ev.dropped_fd, &zero, ev.dropped_percpu))
		for (int i = 0; i < ev.nr_cpus; i++)
			dropped += ev.dropped_percpu[i];
	metric_u64(metrics_family(m, "jitterd_ringbuf_events_total",
				  "Notable events received from the BPF ring buffer.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   ev.received, "ring", "events", LABELS_END);
	metric_u64(metrics_family(m, "jitterd_ringbuf_dropped_events_total",
				  "Notable events lost because the ring buffer was full (counted "
				  "by the BPF programs when a reservation fails).",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   dropped, "ring", "events", LABELS_END);
	collect_kinds(m);
	event_sinks_collect(m);
}

void events_finish(void)
{
	ring_buffer__free(ev.ring);
	ev.ring = NULL;
	if (ev.map_fd >= 0)
		close(ev.map_fd);
	if (ev.dropped_fd >= 0)
		close(ev.dropped_fd);
	ev.map_fd = ev.dropped_fd = -1;
	for (unsigned i = 0; i < ev.n_kinds; i++) {
		struct kind *k = &ev.kinds[i];

		for (uint32_t j = 0; k->log && j < k->count; j++)
			free(kind_at(k, j));
		free(k->log);
	}
	memset(ev.kinds, 0, sizeof(ev.kinds));
	ev.n_kinds = 0;
	ev.seq = 0;
	while (ev.followers)
		events_follow_free(ev.followers);
	free(ev.dropped_percpu);
	ev.dropped_percpu = NULL;
	buf_free(&ev.line);
	event_sinks_finish();
}
