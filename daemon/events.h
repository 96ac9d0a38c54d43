/* SPDX-License-Identifier: MIT */
/*
 * Notable events: one BPF ring buffer shared by every collector's object
 * (events_share() points each object's `events` and `events_dropped` maps at
 * the shared ones before load). The daemon drains it on its timer, hands
 * each event to the collector that registered its type, and keeps the last
 * events.log_size of them as JSON lines for /events.
 */
#ifndef JD_EVENTS_DAEMON_H
#define JD_EVENTS_DAEMON_H

#include <bpf/libbpf.h>
#include <stdbool.h>

#include "bpf/events.h"
#include "buf.h"
#include "config.h"
#include "metrics.h"

/*
 * Called for each event of the registered type, with the whole event
 * (header included; len already checked against min_len). Update counters,
 * then append the event's own JSON members to json, each starting with a
 * comma (`,"pid":42`); the common members (time, cpu, type) are already
 * there. Return false to keep the event out of the log (e.g. JD_EVENT_TASK,
 * which is bookkeeping, not news).
 */
typedef bool (*event_handler)(void *ctx, const void *event, struct buf *json);

int events_init(const struct jd_config *cfg);
int events_register(enum jd_event_type type, const char *name, size_t min_len,
		    event_handler handler, void *ctx);
void events_unregister(enum jd_event_type type);
/* Make obj's `events` / `events_dropped` maps (if any) the shared ones. */
int events_share(struct bpf_object *obj);
/* Readable when the kernel did wake us (a producer without NO_WAKEUP). */
int events_epoll_fd(void);
void events_drain(void);
void events_collect(struct metrics *m);
/* The log, oldest first, one JSON object per line (the /events page). */
int events_render(void *ctx, struct buf *out);
void events_finish(void);

/* JSON string with quotes and escapes, for handlers. */
void json_string(struct buf *b, const char *s, size_t max);

#endif
