// SPDX-License-Identifier: MIT
#include "collector.h"

#include <string.h>

#include "log.h"

extern const struct collector_ops sched_collector;
extern const struct collector_ops softirq_collector;
extern const struct collector_ops sockets_collector;

struct collector collectors[] = {
	{ .ops = &sched_collector },
	{ .ops = &softirq_collector },
	{ .ops = &sockets_collector },
};
const unsigned n_collectors = sizeof(collectors) / sizeof(collectors[0]);

int collectors_start(const struct jd_config *cfg)
{
	int running = 0;

	for (unsigned i = 0; i < n_collectors; i++) {
		struct collector *c = &collectors[i];
		int err;

		if (!c->ops->enabled(cfg)) {
			log_info("collector %s: off (disabled, or nothing for it to watch in the "
				 "config)",
				 c->ops->name);
			continue;
		}
		err = c->ops->start(c, cfg);
		c->start_err = err;
		if (err) {
			log_err("collector %s: cannot start: %s", c->ops->name, strerror(-err));
			continue;
		}
		c->running = true;
		running++;
	}
	return running;
}

void collectors_collect(struct metrics *m)
{
	for (unsigned i = 0; i < n_collectors; i++)
		if (collectors[i].running)
			collectors[i].ops->collect(&collectors[i], m);
}

void collectors_stop(void)
{
	for (unsigned i = n_collectors; i-- > 0;) {
		if (!collectors[i].running)
			continue;
		collectors[i].ops->stop(&collectors[i]);
		collectors[i].running = false;
	}
}

/* One row of the --probes table; "-" stands for nothing. */
static void report_row(FILE *out, const char *collector, const char *probe, const char *attach,
		       unsigned works, const char *why)
{
	char list[64] = "-";
	size_t used = 0;

	for (unsigned a = PROBE_TP_BTF; a < PROBE_ATTACH_TYPES; a++)
		if (works & (1u << a))
			used += snprintf(list + used, sizeof(list) - used, "%s%s", used ? "," : "",
					 probe_attach_name(a));
	fprintf(out, "%-10s %-24s %-10s %-38s %s\n", collector, probe, attach, list,
		why && *why ? why : "-");
}

void collectors_report(FILE *out, const struct jd_config *cfg)
{
	char why[128];

	fprintf(out, "%-10s %-24s %-10s %-38s %s\n", "COLLECTOR", "PROBE", "ATTACH", "WORKS",
		"WHY NOT");
	for (unsigned i = 0; i < n_collectors; i++) {
		const struct collector *c = &collectors[i];

		if (!c->ops->enabled(cfg)) {
			report_row(out, c->ops->name, "-", "-", 0,
				   "off (disabled, or nothing for it to watch in the config)");
			continue;
		}
		if (!c->running) {
			snprintf(why, sizeof(why), "cannot start: %s", strerror(-c->start_err));
			report_row(out, c->ops->name, "-", "none", 0, why);
			continue;
		}
		for (unsigned j = 0; j < c->n_probes; j++) {
			const struct probe *p = &c->probes[j];

			report_row(out, c->ops->name, p->name, probe_attach_name(p->attach),
				   p->works, p->why);
		}
	}
}
