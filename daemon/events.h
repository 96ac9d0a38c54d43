/* SPDX-License-Identifier: MIT */
/*
 * Notable events: one BPF ring buffer shared by every collector's object
 * (each reuses this map's fd for its `events` map). BPF programs submit with
 * BPF_RB_NO_WAKEUP, so the ring never wakes the daemon from an isolated CPU;
 * the daemon drains it on its own timer.
 */
#ifndef JD_EVENTS_H
#define JD_EVENTS_H

#include <bpf/libbpf.h>

#include "config.h"
#include "metrics.h"

int events_init(const struct jd_config *cfg);
/* Make obj's ring buffer map named "events" (if any) this shared ring. */
int events_share(struct bpf_object *obj);
/* Readable when the kernel did wake us (a producer without NO_WAKEUP). */
int events_epoll_fd(void);
void events_drain(void);
void events_collect(struct metrics *m);
void events_finish(void);

#endif
