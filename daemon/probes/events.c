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

static struct {
	int map_fd, dropped_fd;
	struct ring_buffer *ring;
	struct source sources[EVENTS_MAX_SOURCES];
	uint64_t received, malformed;
	int64_t mono_to_real_ns; /* refreshed at each drain */
	/* The log: a circular array of JSON lines, oldest at `next` once full. */
	char **log;
	uint32_t log_size, next, count;
	struct buf line;
	int nr_cpus;
	uint64_t *dropped_percpu;
} ev = { .map_fd = -1, .dropped_fd = -1 };

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* RFC 3339 UTC with nanoseconds: what a person at 3 a.m. can read. */
static json_t *json_time(uint64_t mono_ns)
{
	int64_t real = (int64_t)mono_ns + ev.mono_to_real_ns;
	time_t sec = (time_t)(real / 1000000000);
	struct tm tm;
	char s[32], full[48];

	gmtime_r(&sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(full, sizeof(full), "%s.%09lldZ", s, (long long)(real % 1000000000));
	return json_string(full);
}

static void log_append(const struct buf *line)
{
	char *copy = strdup(line->data);

	if (!copy)
		return;
	free(ev.log[ev.next]);
	ev.log[ev.next] = copy;
	ev.next = (ev.next + 1) % ev.log_size;
	if (ev.count < ev.log_size)
		ev.count++;
}

void events_handle(const void *data, size_t len)
{
	const struct jd_event_hdr *h = data;
	const struct source *src;
	const struct event_def *d;
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
	json_object_set_new(obj, "time", json_time(h->time_ns));
	json_object_set_new(obj, "cpu", json_integer(h->cpu));
	json_object_set_new(obj, "type", json_string(d->name));
	if (d->handle(src->c, data, obj)) {
		buf_reset(&ev.line);
		if (!json_append(&ev.line, obj))
			log_append(&ev.line);
	}
	json_decref(obj);
}

void events_log(const char *type, const json_t *members)
{
	json_t *obj = json_object();

	if (!obj || !ev.log)
		goto out;
	ev.mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	json_object_set_new(obj, "time", json_time((uint64_t)clock_ns(CLOCK_MONOTONIC)));
	json_object_set_new(obj, "type", json_string(type));
	json_object_update(obj, (json_t *)members);
	buf_reset(&ev.line);
	if (!json_append(&ev.line, obj))
		log_append(&ev.line);
out:
	json_decref(obj);
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	events_handle(data, len);
	return 0;
}

int events_init(const struct jd_config *cfg)
{
	int err;

	ev.log_size = cfg->events.log_size;
	ev.log = calloc(ev.log_size, sizeof(*ev.log));
	ev.nr_cpus = libbpf_num_possible_cpus();
	ev.dropped_percpu = calloc(ev.nr_cpus > 0 ? ev.nr_cpus : 1, sizeof(uint64_t));
	if (!ev.log || !ev.dropped_percpu || ev.nr_cpus <= 0) {
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
	return 0;
fail:
	events_finish();
	return err;
}

int events_set_log_size(uint32_t size)
{
	char **log = calloc(size, sizeof(*log));
	uint32_t keep = ev.count < size ? ev.count : size;

	if (!log)
		return -ENOMEM;
	/* Oldest first: the ones that do not fit are the oldest. */
	for (uint32_t i = 0; i < ev.count; i++) {
		uint32_t at = (ev.next + ev.log_size - ev.count + i) % ev.log_size;

		if (i < ev.count - keep)
			free(ev.log[at]);
		else
			log[i - (ev.count - keep)] = ev.log[at];
	}
	free(ev.log);
	ev.log = log;
	ev.log_size = size;
	ev.count = keep;
	ev.next = keep % size;
	return 0;
}

int events_register(unsigned source, const struct event_def *defs, unsigned n, struct collector *c)
{
	if (source >= EVENTS_MAX_SOURCES || ev.sources[source].defs)
		return -EINVAL;
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
}

int events_render(void *ctx, struct buf *out)
{
	(void)ctx;
	/* Drain first, so that /events is as fresh as the timer allows. */
	events_drain();
	for (uint32_t i = 0; i < ev.count; i++) {
		uint32_t at = (ev.next + ev.log_size - ev.count + i) % ev.log_size;

		buf_puts(out, ev.log[at]);
		buf_putc(out, '\n');
	}
	return out->oom ? -1 : 0;
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
	for (uint32_t i = 0; ev.log && i < ev.log_size; i++)
		free(ev.log[i]);
	free(ev.log);
	ev.log = NULL;
	ev.count = ev.next = 0;
	free(ev.dropped_percpu);
	ev.dropped_percpu = NULL;
	buf_free(&ev.line);
}
