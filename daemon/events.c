// SPDX-License-Identifier: MIT
#include "events.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define EVENTS_RING_BYTES (1u << 20)

static struct {
	int map_fd;
	struct ring_buffer *ring;
	uint64_t received;
} ev = { .map_fd = -1 };

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	ev.received++;
	return 0;
}

int events_init(const struct jd_config *cfg)
{
	(void)cfg;
	ev.map_fd =
		bpf_map_create(BPF_MAP_TYPE_RINGBUF, "jd_events", 0, 0, EVENTS_RING_BYTES, NULL);
	if (ev.map_fd < 0) {
		int err = -errno;

		log_err("creating the events ring buffer: %s", strerror(-err));
		return err;
	}
	ev.ring = ring_buffer__new(ev.map_fd, on_event, NULL, NULL);
	if (!ev.ring) {
		int err = -errno;

		log_err("mapping the events ring buffer: %s", strerror(-err));
		close(ev.map_fd);
		ev.map_fd = -1;
		return err;
	}
	return 0;
}

int events_share(struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "events");

	return map ? bpf_map__reuse_fd(map, ev.map_fd) : 0;
}

int events_epoll_fd(void)
{
	return ring_buffer__epoll_fd(ev.ring);
}

void events_drain(void)
{
	if (ev.ring)
		ring_buffer__consume(ev.ring);
}

void events_collect(struct metrics *m)
{
	metric_u64(metrics_family(m, "jitterd_ringbuf_events_total",
				  "Notable events received from the BPF ring buffer.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   ev.received, "ring", "events", NULL);
}

void events_finish(void)
{
	ring_buffer__free(ev.ring);
	ev.ring = NULL;
	if (ev.map_fd >= 0)
		close(ev.map_fd);
	ev.map_fd = -1;
}
