/* SPDX-License-Identifier: MIT */
/* Metrics about jitterd itself: build, probes, BPF program cost, process. */
#ifndef JD_SELF_H
#define JD_SELF_H

#include "lib/metrics.h"

/* Once at start-up: records what does not change (start time, kernel). */
void self_init(void);
void self_collect(struct metrics *m);

#endif
