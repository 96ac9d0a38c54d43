/* SPDX-License-Identifier: MIT */
/*
 * A live reload of jitterd.yaml (SIGHUP): all of the new config or none of
 * it. The file is parsed and validated into a scratch copy; a bad one is
 * logged line by line (FILE:LINE:COL: message) and changes nothing. One
 * that a step can only take with a restart (its restart_needed(): the
 * collectors' BPF programs reloaded, the detector's baselines resized)
 * changes nothing either and sets jitterd_config_restart_required. Else
 * the steps run in order, each applying its part; a step that fails makes
 * the ones before it apply old again, in reverse. Only when every step
 * succeeded does the live config become the new one.
 *
 * The steps are main.c's table: a part of jitterd that has config of its
 * own (the collectors, the anomaly detector, the doctor's checks, the web
 * config) adds one row there, with functions of these shapes.
 */
#ifndef JD_RELOAD_H
#define JD_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "lib/metrics.h"

struct reload_step {
	const char *name; /* for the log: what failed */
	/* Optional. Apply new in place of old; on failure leave old in force.
	 * 0 or -errno. */
	int (*apply)(const struct jd_config *old, const struct jd_config *new);
	/* Optional. Whether new can only be taken by a restart; if so, writes
	 * why into why (for the log). Asked of every step before any applies. */
	bool (*restart_needed)(const struct jd_config *old, const struct jd_config *new, char *why,
			       size_t size);
};

/* Stamps the start as the first successful load (as Prometheus does). */
void reload_init(void);

/*
 * Reload live from path (NULL: the built-in defaults). override() (may be
 * NULL) puts back what the command line set over the file (--listen).
 * Returns 0 when applied, -EINVAL for a bad file, -EBUSY when a restart is
 * needed, or the failing step's error.
 */
int reload_config(struct jd_config *live, const char *path, void (*override)(struct jd_config *cfg),
		  const struct reload_step *steps, unsigned n_steps);

/* jitterd_config_last_reload_successful, _success_timestamp_seconds,
 * jitterd_config_restart_required. */
void reload_collect(struct metrics *m);

#endif
