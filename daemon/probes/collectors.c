// SPDX-License-Identifier: MIT
#include "probes/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/signal.h"
#include "probes/load.h"
#include "lib/yamlwalk.h"
#include "lib/log.h"
#include "lib/util.h"

/* The table: one row per collector, in start order. */
#define COLLECTORS(X) X(sched) X(softirq) X(sockets) X(noise) X(spans)

#define DECLARE(name) extern const struct collector_ops name##_collector;
#define ROW(name)     { .ops = &name##_collector },
COLLECTORS(DECLARE)
struct collector collectors[] = { COLLECTORS(ROW) };
const unsigned n_collectors = ARRAY_SIZE(collectors);
_Static_assert(ARRAY_SIZE(collectors) <= JD_MAX_COLLECTORS,
	       "struct jd_config has a place for every collector");

/* ---- their config ------------------------------------------------------ */

/*
 * Each collector brings its own rows (collector_ops.config_keys under
 * collectors.<name>, event_keys under events:), which fill its options
 * struct. The schema (config.c) only asks for them here.
 */

static const struct yw_key enabled_keys[] = {
	{ YW_KEY("enabled", SCALAR, yw_parse_bool), YW_FIELD(struct jd_collector_config, enabled),
	  .def = "true" },
	{},
};
static const struct yw_key opt_in_keys[] = {
	{ YW_KEY("enabled", SCALAR, yw_parse_bool), YW_FIELD(struct jd_collector_config, enabled),
	  .def = "false" },
	{},
};

static struct jd_collector_config *collector_config(char *cfg, unsigned i)
{
	return &((struct jd_config *)cfg)->collectors[i];
}

/* collectors.<name>: enabled, then the collector's own rows. */
static unsigned collector_sets(const struct yw_key *k, char *cfg, struct yw_key_set *sets,
			       unsigned max)
{
	struct jd_collector_config *cc;
	unsigned i = 0, n = 0;

	while (strcmp(collectors[i].ops->name, k->name)) /* the row is one of the table's */
		i++;
	cc = collector_config(cfg, i);
	if (max < 2)
		return 0;
	sets[n++] = (struct yw_key_set){ collectors[i].ops->opt_in ? opt_in_keys : enabled_keys,
					 (char *)cc };
	if (collectors[i].ops->config_keys)
		sets[n++] =
			(struct yw_key_set){ collectors[i].ops->config_keys, (char *)cc->options };
	return n;
}

/* One mapping row per collector, in table order. */
static struct yw_key collector_rows[JD_MAX_COLLECTORS + 1];

unsigned collectors_config_sets(const struct yw_key *k, char *cfg, struct yw_key_set *sets,
				unsigned max)
{
	(void)k;
	if (!collector_rows[0].name)
		for (unsigned i = 0; i < n_collectors; i++)
			collector_rows[i] = (struct yw_key){ YW_KEY(collectors[i].ops->name,
								    MAPPING, yw_parse_mapping),
							     .sets = collector_sets };
	if (max < 1)
		return 0;
	sets[0] = (struct yw_key_set){ collector_rows, cfg };
	return 1;
}

unsigned collectors_event_sets(char *cfg, struct yw_key_set *sets, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_collectors && n < max; i++)
		if (collectors[i].ops->event_keys)
			sets[n++] =
				(struct yw_key_set){ collectors[i].ops->event_keys,
						     (char *)collector_config(cfg, i)->options };
	return n;
}

unsigned collectors_signal_configs(const struct signal_config **rows, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_signals; j++) {
			const struct signal_config *sc = collectors[i].ops->signals[j].config;
			unsigned k = 0;

			while (k < n && rows[k] != sc)
				k++;
			if (k == n && n < max)
				rows[n++] = sc;
		}
	return n;
}

/* ---- the lifecycle ------------------------------------------------------ */

/* Every bpftool skeleton starts with these two members. */
struct skeleton_head {
	struct bpf_object_skeleton *skeleton;
	struct bpf_object *obj;
};

/*
 * The one way down, from whatever point collector_start() reached: every
 * step undoes only what was done, in reverse.
 */
static void collector_stop(struct collector *c)
{
	events_unregister(c->id);
	probe_detach(c->probes, c->n_probes);
	if (c->priv && c->ops->finish)
		c->ops->finish(c);
	if (c->skel && c->ops->open) {
		bpf_object__destroy_skeleton(((struct skeleton_head *)c->skel)->skeleton);
		free(c->skel);
	}
	free(c->probes);
	free(c->priv);
	c->skel = NULL;
	c->obj = NULL;
	c->probes = NULL;
	c->priv = NULL;
	c->n_probes = 0;
	c->running = false;
}

/* The wanted probes of c, resolved in its object. */
static int collector_probes(struct collector *c, const struct jd_config *cfg)
{
	const struct collector_ops *ops = c->ops;
	struct bpf_program *prog;

	c->probes = calloc(ops->n_probes ? ops->n_probes : 1, sizeof(*c->probes));
	if (!c->probes)
		return -ENOMEM;
	/* probe_select() turns on the one variant of each probe that will be used. */
	bpf_object__for_each_program (prog, c->obj)
		bpf_program__set_autoload(prog, false);
	for (unsigned i = 0; i < ops->n_probes; i++)
		if (!ops->probes[i].wanted || ops->probes[i].wanted(cfg))
			probe_resolve(&c->probes[c->n_probes++], &ops->probes[i], c->obj);
	probe_select(c->probes, c->n_probes);
	return 0;
}

/* A collector without BPF programs: its hooks and events, nothing to load. */
static int collector_start_user(struct collector *c, const struct jd_config *cfg)
{
	const struct collector_ops *ops = c->ops;
	const char *step = "configuring it";
	int err = c->priv ? 0 : -ENOMEM;

	c->probes = calloc(1, sizeof(*c->probes));
	if (!err && !c->probes)
		err = -ENOMEM;
	if (!err)
		err = ops->configure(c, cfg);
	if (!err && ops->loaded) {
		step = "starting it";
		err = ops->loaded(c, cfg);
	}
	if (!err) {
		step = "registering its events";
		err = events_register(c->id, ops->events, ops->n_events, c);
	}
	if (err) {
		log_err("collector %s: %s: %s", ops->name, step, strerror(-err));
		collector_stop(c);
		return err;
	}
	if (ops->attached)
		ops->attached(c, cfg);
	c->running = true;
	return 0;
}

static int collector_start(struct collector *c, const struct jd_config *cfg)
{
	const struct collector_ops *ops = c->ops;
	const char *step;
	int err;

	step = "opening its BPF object";
	c->nr_cpus = libbpf_num_possible_cpus();
	c->priv = calloc(1, ops->priv_size ? ops->priv_size : 1);
	if (!ops->open)
		return collector_start_user(c, cfg);
	c->skel = ops->open();
	if (c->nr_cpus <= 0 || !c->priv || !c->skel) {
		err = c->nr_cpus < 0 ? c->nr_cpus : -ENOMEM;
		goto fail;
	}
	c->obj = ((struct skeleton_head *)c->skel)->obj;
	step = "sharing the events ring";
	err = events_share(c->obj, c->id);
	if (!err) {
		step = "choosing its probes";
		err = collector_probes(c, cfg);
	}
	if (!err) {
		step = "configuring it";
		err = ops->configure(c, cfg);
	}
	if (!err) {
		step = "loading its BPF programs";
		/* The loading process parses the kernel's BTF for itself: not two
		 * processes holding it at once. */
		probe_release_btf();
		err = load_skeleton(((struct skeleton_head *)c->skel)->skeleton, c->probes,
				    c->n_probes);
	}
	if (!err && ops->loaded) {
		step = "filling its maps";
		err = ops->loaded(c, cfg);
	}
	if (!err) {
		step = "registering its events";
		err = events_register(c->id, ops->events, ops->n_events, c);
	}
	if (err)
		goto fail;
	probe_attach(c->probes, c->n_probes);
	if (ops->attached)
		ops->attached(c, cfg);
	c->running = true;
	return 0;
fail:
	log_err("collector %s: %s: %s", ops->name, step, strerror(-err));
	collector_stop(c);
	return err;
}

/* Enabled in the config, and something for it to watch. */
static bool collector_wanted(const struct collector *c, const struct jd_config *cfg)
{
	return cfg->collectors[c->id].enabled && !(c->ops->idle && c->ops->idle(c, cfg));
}

int collectors_init(const struct jd_config *cfg)
{
	int running = 0;

	for (unsigned i = 0; i < n_collectors; i++) {
		struct collector *c = &collectors[i];

		c->id = i;
		if (!collector_wanted(c, cfg)) {
			log_info("collector %s: off (disabled, or nothing for it to watch in the "
				 "config)",
				 c->ops->name);
			continue;
		}
		c->start_err = collector_start(c, cfg);
		if (!c->start_err)
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

void collectors_drain(void)
{
	for (unsigned i = 0; i < n_collectors; i++)
		if (collectors[i].running && collectors[i].ops->drain)
			collectors[i].ops->drain(&collectors[i]);
}

void collectors_finish(void)
{
	for (unsigned i = n_collectors; i-- > 0;)
		if (collectors[i].running)
			collector_stop(&collectors[i]);
}

void collectors_each_probe(void (*fn)(const struct probe *p, void *arg), void *arg)
{
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; collectors[i].running && j < collectors[i].n_probes; j++)
			fn(&collectors[i].probes[j], arg);
}

struct probe_counts {
	unsigned attached, failed;
};

static void count_probe(const struct probe *p, void *arg)
{
	struct probe_counts *n = arg;

	if (p->attach != PROBE_NONE)
		n->attached++;
	else
		n->failed++;
}

void collectors_probe_counts(unsigned *attached, unsigned *failed)
{
	struct probe_counts n = {};

	collectors_each_probe(count_probe, &n);
	*attached = n.attached;
	*failed = n.failed;
}

/* One row of the --probes table; "-" stands for nothing. */
static void report_row(FILE *out, const char *collector, const char *probe, const char *attach,
		       unsigned works, const char *why)
{
	char list[64] = "-";
	size_t used = 0;

	for (unsigned a = PROBE_FIRST; a < PROBE_ATTACH_TYPES; a++)
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

		if (!collector_wanted(c, cfg)) {
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

			report_row(out, c->ops->name, p->label, probe_attach_name(p->attach),
				   p->works, p->why);
		}
	}
}

/* ---- reload ------------------------------------------------------------ */

static bool options_differ(const struct collector *c, const struct jd_config *old,
			   const struct jd_config *new)
{
	return memcmp(old->collectors[c->id].options, new->collectors[c->id].options,
		      JD_COLLECTOR_OPTIONS_MAX) != 0;
}

/* Why c cannot take new without a restart, or NULL. */
static const char *restart_reason(const struct collector *c, const struct jd_config *old,
				  const struct jd_config *new, char *buf, size_t size)
{
	const struct collector_ops *ops = c->ops;
	bool was = collector_wanted(c, old), will = collector_wanted(c, new);

	if (was && !will && !c->running) /* it failed to start: nothing to stop */
		return NULL;
	if (was != will) {
		snprintf(buf, size, "collector %s would be switched %s", ops->name,
			 will ? "on" : "off");
		return buf;
	}
	if (!c->running) /* off, or it failed to start: the options touch nothing */
		return NULL;
	for (unsigned i = 0; i < ops->n_probes; i++) {
		const struct probe_def *p = &ops->probes[i];

		if (p->wanted && p->wanted(old) != p->wanted(new)) {
			snprintf(buf, size, "collector %s: probe %s would be %s", ops->name,
				 p->label ? p->label : p->name,
				 p->wanted(new) ? "added" : "removed");
			return buf;
		}
	}
	if (!ops->reconfigure && options_differ(c, old, new)) {
		snprintf(buf, size, "collector %s cannot change its options without a restart",
			 ops->name);
		return buf;
	}
	if (ops->restart_needed) {
		const char *why = ops->restart_needed(c, old, new);

		if (why) {
			snprintf(buf, size, "collector %s: %s", ops->name, why);
			return buf;
		}
	}
	return NULL;
}

bool collectors_restart_needed(const struct jd_config *old, const struct jd_config *new, char *why,
			       size_t size)
{
	size_t used = 0;

	why[0] = '\0';
	for (unsigned i = 0; i < n_collectors; i++) {
		char reason[160];

		if (restart_reason(&collectors[i], old, new, reason, sizeof(reason)) && used < size)
			used += snprintf(why + used, size - used, "%s%s", used ? "; " : "", reason);
	}
	return used > 0;
}

int collectors_reconfigure(const struct jd_config *old, const struct jd_config *new)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < n_collectors && !err; i++) {
		struct collector *c = &collectors[i];

		/* Not only its options: cpu_groups and workloads are everyone's. */
		if (c->running && c->ops->reconfigure)
			err = c->ops->reconfigure(c, old, new);
		if (err)
			log_err("collector %s: applying the new config: %s", c->ops->name,
				strerror(-err));
	}
	if (!err)
		return 0;
	/* Collector i - 1 left old in force itself; undo the ones before it. */
	for (i--; i-- > 0;) {
		struct collector *c = &collectors[i];

		if (c->running && c->ops->reconfigure)
			c->ops->reconfigure(c, new, old);
	}
	return err;
}
