/* SPDX-License-Identifier: MIT */
/*
 * Notable events: one BPF ring buffer shared by every collector's object
 * (events_share() points each object's `events` and `events_dropped` maps at
 * the shared ones before load). The daemon drains it on its timer, hands
 * each event to the collector whose table place is in its header, and keeps
 * the last events.log_size of them as JSON lines for /events.
 */
#ifndef JD_EVENTS_DAEMON_H
#define JD_EVENTS_DAEMON_H

#include <bpf/libbpf.h>
#include <jansson.h>
#include <stdbool.h>

#include "bpf/event.h"
#include "lib/buf.h"
#include "core/config.h"
#include "lib/metrics.h"

struct collector;

/*
 * One event type of a collector: bpf/<name>.h numbers them from 0 and the
 * BPF side sends them with event_reserve(); that number indexes the
 * collector's table of these.
 */
struct event_def {
	const char *name; /* "type" in the event's JSON */
	size_t size;	  /* the event's struct, header included: shorter ones are dropped */
	/*
	 * Fold the event into the collector's state and add its own members to
	 * obj (time, cpu and type are there already). Return false to keep it
	 * out of the event log (bookkeeping, not news).
	 */
	bool (*handle)(struct collector *c, const void *event, json_t *obj);
};

#define EVENTS_MAX_SOURCES 256 /* jd_event_hdr.collector is a __u8 */

int events_init(const struct jd_config *cfg);
/* events.log_size changed (a reload): keep the newest events that fit. 0 or -ENOMEM. */
int events_set_log_size(uint32_t size);
/* Events whose header names source go to defs[type].handle(c, ...). */
int events_register(unsigned source, const struct event_def *defs, unsigned n, struct collector *c);
void events_unregister(unsigned source);
/*
 * Before load: make obj's `events` / `events_dropped` maps (if any) the
 * shared ones, and stamp its events with source (jd_collector_id).
 */
int events_share(struct bpf_object *obj, unsigned source);
/* Readable when the kernel did wake us (a producer without NO_WAKEUP). */
int events_epoll_fd(void);
void events_drain(void);
/*
 * One event from the ring (what events_drain() does with each): route it to
 * its collector's handle() and log it. A malformed one (shorter than its
 * header or its type's struct, or of no registered source and type) is
 * counted and dropped.
 */
void events_handle(const void *data, size_t len);
void events_collect(struct metrics *m);
/* Log an event of the daemon's own: "time" (now) and "type", then the
 * members of obj, in its order. */
void events_log(const char *type, const json_t *obj);
/* The log, oldest first, one JSON object per line (the /events page). */
int events_render(void *ctx, struct buf *out);
void events_finish(void);

#endif
