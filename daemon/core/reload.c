// SPDX-License-Identifier: MIT
#include "core/reload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

static struct {
	bool successful;
	bool restart_required;
	struct timespec success_time; /* CLOCK_REALTIME */
} last = { .successful = true };

void reload_init(void)
{
	clock_gettime(CLOCK_REALTIME, &last.success_time);
}

/* Parse into cfg; the parser's messages go to the log (their source line
 * and caret, which the log's prefix would misalign, at debug level). */
static int parse(struct jd_config *cfg, const char *path)
{
	unsigned nr_cpus = (unsigned)sysconf(_SC_NPROCESSORS_CONF);
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *err;
	int ret;

	if (!path) {
		config_defaults(cfg);
		return 0;
	}
	err = open_memstream(&text, &len);
	if (!err)
		return -ENOMEM;
	ret = config_load_file(cfg, path, nr_cpus, err);
	fclose(err);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, path, strlen(path)) && line[strlen(path)] == ':')
			log_err("reload: %s", line);
		else
			log_debug("reload: %s", line);
	}
	free(text);
	return ret;
}

static int run_steps(const struct jd_config *old, const struct jd_config *new,
		     const struct reload_step *steps, unsigned n)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < n; i++) {
		err = steps[i].apply ? steps[i].apply(old, new) : 0;
		if (err)
			break;
	}
	if (!err)
		return 0;
	/* The step said why. */
	log_err("reload: applying %s failed; the old config stays in force", steps[i].name);
	while (i-- > 0)
		if (steps[i].apply && steps[i].apply(new, old))
			log_err("reload: %s: cannot put the old config back", steps[i].name);
	return err;
}

/* The first step that can only take new by a restart says why. */
static bool restart_needed(const struct jd_config *old, const struct jd_config *new,
			   const struct reload_step *steps, unsigned n, char *why, size_t size)
{
	for (unsigned i = 0; i < n; i++)
		if (steps[i].restart_needed && steps[i].restart_needed(old, new, why, size))
			return true;
	return false;
}

int reload_config(struct jd_config *live, const char *path, void (*override)(struct jd_config *cfg),
		  const struct reload_step *steps, unsigned n_steps)
{
	struct jd_config *next = malloc(sizeof(*next));
	char why[512];
	int err;

	if (!next) {
		err = -ENOMEM;
		log_err("reload: %s", strerror(-err));
		goto out;
	}
	err = parse(next, path);
	if (err) {
		log_err("reload: %s is not valid; the old config stays in force",
			path ? path : "the config");
		goto out;
	}
	if (override)
		override(next);
	last.restart_required = restart_needed(live, next, steps, n_steps, why, sizeof(why));
	if (last.restart_required) {
		log_err("reload: needs a restart, so nothing of it was applied: %s", why);
		err = -EBUSY;
		goto out;
	}
	err = run_steps(live, next, steps, n_steps);
	if (!err) {
		memcpy(live, next, sizeof(*live));
		clock_gettime(CLOCK_REALTIME, &last.success_time);
		log_info("reload: %s applied", path ? path : "the built-in config");
	}
out:
	last.successful = !err;
	free(next);
	return err;
}

void reload_collect(struct metrics *m)
{
	metric_u64(metrics_family(m, "jitterd_config_last_reload_successful",
				  "1 when the last configuration reload (SIGHUP) applied the file; "
				  "0 when it was invalid or needed a restart, and the old "
				  "config stayed in force.",
				  METRIC_GAUGE, METRIC_UNIT_NONE),
		   last.successful, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_config_last_reload_success_timestamp_seconds",
				  "When the configuration was last applied: the start, or the last "
				  "successful reload (Unix time).",
				  METRIC_GAUGE, METRIC_UNIT_SECONDS),
		   (uint64_t)last.success_time.tv_sec * 1000000000ull +
			   (uint64_t)last.success_time.tv_nsec,
		   LABELS_END);
	metric_u64(metrics_family(m, "jitterd_config_restart_required",
				  "1 when the last reload read a config that only a restart can "
				  "apply (a collector switched on or off, a probe gained or lost); "
				  "nothing of it was applied.",
				  METRIC_GAUGE, METRIC_UNIT_NONE),
		   last.restart_required, LABELS_END);
}
