/* SPDX-License-Identifier: MIT */
/*
 * Notable events: one BPF ring buffer shared by every collector's object
 * (events_share() points each object's `events` and `events_dropped` maps at
 * the shared ones before load). The daemon drains it on its timer, hands
 * each event to the collector whose table place is in its header, and keeps
 * the news as JSON lines for /events: one log per kind (the event's "type"),
 * each of its own size (events.log_size, events.log_sizes), so that a flood
 * of one kind never pushes out the rare ones. Readers ask for kinds, a time,
 * a CPU, workload or socket (event_query.h), or follow the logs as they grow.
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
#include "probes/event_query.h"

struct collector;

/*
 * One event type of a collector: bpf/<name>.h numbers them from 0 and the
 * BPF side sends them with event_reserve(); that number indexes the
 * collector's table of these.
 */
struct event_def {
	const char *name; /* "type" in the event's JSON: its kind */
	size_t size;	  /* the event's struct, header included: shorter ones are dropped */
	/*
	 * Fold the event into the collector's state and add its own members to
	 * obj (time, cpu and type are there already). Return false to keep it
	 * out of the event log (bookkeeping, not news).
	 */
	bool (*handle)(struct collector *c, const void *event, json_t *obj);
	bool bookkeeping; /* handle() never keeps it: no log of its own */
};

#define EVENTS_MAX_SOURCES 256 /* jd_event_hdr.collector is a __u8 */
#define EVENTS_MAX_KINDS   JD_MAX_EVENT_KINDS
/* The daemon's own kind (events_log): the detector's news. */
#define EVENTS_KIND_ANOMALY "anomaly"

/* A kind this build can log: a collector's event (any in the table) or the daemon's own. */
bool events_kind_known(const char *kind);
/* The known kinds, comma-separated, for messages. */
const char *events_kinds_known(void);

int events_init(const struct jd_config *cfg);
/* events.log_size / log_sizes changed (a reload): each log keeps its newest
 * events that fit. 0 or -ENOMEM (the sizes then are the old ones). */
int events_set_log_sizes(const struct jd_config *cfg);
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
/* The logs, oldest first, one JSON object per line (the /events page). */
int events_render(void *ctx, struct buf *out);
/*
 * What q asks for, oldest first, as events_render() writes it. -EINVAL
 * (why says which kind is unknown) or -ENOMEM.
 */
int events_query(const struct event_query *q, struct buf *out, char *why, size_t why_size);
/*
 * The logged events whose time (Unix ns) is within [from_ns, to_ns], on
 * any CPU, of any kind but skip, newest first within a kind: fn(kind, its
 * CPU (-1: none), its own socket member ("": none), its JSON line, arg)
 * until it returns false. For a joiner of what the logs hold (the spans
 * collector).
 */
struct events_joined {
	const char *kind;
	int cpu;
	const char *socket;
	const char *line;
};
void events_each_within(int64_t from_ns, int64_t to_ns, const char *skip,
			bool (*fn)(const struct events_joined *e, void *arg), void *arg);
/* CLOCK_REALTIME - CLOCK_MONOTONIC, as of the last drain (ns). */
int64_t events_mono_to_real(void);

/*
 * A follower: q's events from now on (from q->since_ns with since), in the
 * order they were logged, as JSON lines or as Server-Sent Events (id: the
 * event's number in the log, data: its line). It is sent what the logs
 * keep: one that falls behind the log of a kind it follows (an event it
 * was to be sent is evicted first) is cut, and counted. NULL: bad kinds
 * (why) or no memory.
 */
struct events_follower;
struct events_follower *events_follow(const struct event_query *q, bool sse, char *why,
				      size_t why_size);
/* Whole events into buf (at most max bytes): bytes, 0 (none yet) or -1 (cut). */
long events_follow_read(struct events_follower *f, char *buf, size_t max);
bool events_follow_cut(const struct events_follower *f);
void events_follow_free(struct events_follower *f);
/* fn() after each drain (and events_log()) that logged something. */
void events_on_news(void (*fn)(void));
void events_finish(void);

#endif
