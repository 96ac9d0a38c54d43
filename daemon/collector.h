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
#include <stdio.h>

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
	int start_err; /* what start() returned when it failed */
};

/* The table: every collector jitterd has. */
extern struct collector collectors[];
extern const unsigned n_collectors;

/* Start the enabled collectors; returns how many run. */
int collectors_start(const struct jd_config *cfg);
void collectors_collect(struct metrics *m);
void collectors_stop(void);
/*
 * `jitterd --probes`: one line per probe of every collector (started in
 * probes_survey() mode) with the attach type chosen, the ones that work, and
 * why the others fail.
 */
void collectors_report(FILE *out, const struct jd_config *cfg);

#endif
