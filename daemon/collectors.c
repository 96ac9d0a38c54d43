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
