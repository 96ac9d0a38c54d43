/* SPDX-License-Identifier: MIT */
/*
 * A collector is one kernel concept end to end: bpf/<name>.bpf.c, the
 * structs it shares in bpf/<name>.h, and daemon/<name>.c, which exports one
 * `struct collector_ops` listed in daemon/collectors.c. Nothing else needs
 * to know it exists.
 */
#ifndef JD_COLLECTOR_H
#define JD_COLLECTOR_H

#include <stdbool.h>

#include "config.h"
#include "metrics.h"
#include "probe.h"

struct collector;

struct collector_ops {
	const char *name;
	/* Whether to start: enabled in the config and something to watch. */
	bool (*enabled)(const struct jd_config *cfg);
	/*
	 * Open the BPF object, set its tunables, fill c->probes, call
	 * probes_select(), load, probes_attach(). Return 0, or a negative
	 * errno when the collector cannot run at all (it is then skipped;
	 * probes that merely failed to attach are not an error).
	 */
	int (*start)(struct collector *c, const struct jd_config *cfg);
	/* Read the BPF maps and describe metrics; runs at scrape time. */
	void (*collect)(struct collector *c, struct metrics *m);
	/* Detach and free everything start() acquired. */
	void (*stop)(struct collector *c);
};

struct collector {
	const struct collector_ops *ops;
	struct probe *probes;
	unsigned n_probes;
	void *priv;
	bool running;
};

/* The table: every collector jitterd has. */
extern struct collector collectors[];
extern const unsigned n_collectors;

/* Start the enabled collectors; returns how many run. */
int collectors_start(const struct jd_config *cfg);
void collectors_collect(struct metrics *m);
void collectors_stop(void);

#endif
