/* SPDX-License-Identifier: MIT */
/*
 * A collector is one kernel concept end to end: bpf/<name>.bpf.c, the
 * structs it shares in bpf/<name>.h, its metric family names in
 * daemon/collectors/<name>.h, and daemon/collectors/<name>.c, which
 * defines one `struct collector_ops` named <name>_collector and lists it
 * in the COLLECTORS row of daemon/probes/collectors.c. Nothing else needs
 * to know it exists (docs/adding-a-collector.md).
 *
 * The ops are mostly declarations: the probes, the events, the config
 * rows, the anomaly signals and the hooks that set the object up. collectors.c runs the one
 * lifecycle every collector shares:
 *
 *   open the skeleton -> point its events maps at the shared ring ->
 *   choose each wanted probe's attach type -> configure() -> load (in a
 *   child process, load.c) -> loaded() -> register the events -> attach ->
 *   attached()
 *
 * and tears down in reverse through one path, whatever step failed.
 *
 * On a reload (SIGHUP, see main.c) a running collector whose probes stay
 * the same gets reconfigure(): it applies the new options to the maps and
 * state it has, without reloading its programs or losing a count. What it
 * cannot apply that way, restart_needed() names before anything changes,
 * and then nothing of the new config is applied.
 */
#ifndef JD_COLLECTOR_H
#define JD_COLLECTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "probes/events.h"
#include "lib/metrics.h"
#include "probes/probe.h"

struct collector;
struct signal_config;
struct signal_def;
struct yw_key;
struct yw_key_set;

struct collector_ops {
	const char *name;
	/* Off unless collectors.<name>.enabled says true (a collector whose
	 * start-up or series cost not every host should pay). */
	bool opt_in;
	/*
	 * Opens the bpftool skeleton: COLLECTOR_SKELETON(name) defines it.
	 * NULL: a collector without BPF programs (its data comes from user
	 * space, as the spans collector's rings): no object, probes or load;
	 * configure(), loaded(), its events and attached() as for any other.
	 */
	void *(*open)(void);
	size_t priv_size; /* c->priv: zeroed state of this size, freed after finish() */

	/* Hooks, in attach order (see bpf/<name>.bpf.c for why that order). */
	const struct probe_def *probes;
	unsigned n_probes;
	const struct event_def *events;
	unsigned n_events;

	/*
	 * Its config: rows under collectors.<name> (beside `enabled`, which
	 * every collector has) and under events:, with their defaults, writing
	 * into its options struct (COLLECTOR_OPTIONS). Either may be NULL.
	 */
	const struct yw_key *config_keys;
	const struct yw_key *event_keys;

	/*
	 * Optional. The signals the anomaly detector may judge it by, read
	 * from its own metric families (daemon/anomaly/signal.h). Their
	 * config rows, anomaly.signals.<name>, come from these too.
	 */
	const struct signal_def *signals;
	unsigned n_signals;

	/* Optional. Enabled, but nothing to watch in the config: not started. */
	bool (*idle)(const struct collector *c, const struct jd_config *cfg);
	/* Before load, probes chosen: tunables, map sizes, lookup buffers. */
	int (*configure)(struct collector *c, const struct jd_config *cfg);
	/* Optional. After load, before attach: fill maps. */
	int (*loaded)(struct collector *c, const struct jd_config *cfg);
	/* Optional. After attach. */
	void (*attached)(struct collector *c, const struct jd_config *cfg);
	/*
	 * Optional. On the loop's drain timer (events.drain_interval), after
	 * the events ring: a collector that reads memory of its own (rings
	 * shared with user space) drains it here.
	 */
	void (*drain)(struct collector *c);
	/* Read the BPF maps and describe metrics; runs at scrape time. */
	void (*collect)(struct collector *c, struct metrics *m);
	/*
	 * Optional. A reload: why new cannot be applied without reloading the
	 * programs (a "key: reason" the log shows), or NULL when it can.
	 * Asked before any reconfigure(); a collector without reconfigure()
	 * needs a restart for any change of its options.
	 */
	const char *(*restart_needed)(const struct collector *c, const struct jd_config *old,
				      const struct jd_config *new);
	/*
	 * Optional. A reload: apply new in place of old (map rewrites). On
	 * failure, leave old in force. Called with the two swapped to undo
	 * it when a later reload step fails. c's cfg pointers stay valid: the
	 * live config is overwritten with new once every step succeeded.
	 */
	int (*reconfigure)(struct collector *c, const struct jd_config *old,
			   const struct jd_config *new);
	/* Optional. Free what the hooks allocated in priv (not priv itself). */
	void (*finish)(struct collector *c);
};

/* The skeleton opener of bpf/<name>.bpf.c for collector_ops.open. */
#define COLLECTOR_SKELETON(name)                                                                   \
	static void *name##_open(void)                                                             \
	{                                                                                          \
		return name##_bpf__open();                                                         \
	}

struct collector {
	const struct collector_ops *ops;
	unsigned id;		/* in the table, and in each event's header */
	void *skel;		/* the skeleton: struct <name>_bpf * */
	struct bpf_object *obj; /* the skeleton's object */
	void *priv;
	int nr_cpus; /* possible CPUs: per-CPU maps have this many values */
	struct probe *probes;
	unsigned n_probes; /* the wanted ones, in attach order */
	bool running;
	int start_err; /* why it is not running */
};

/* The collector's options struct, filled by its config rows. */
static inline const void *collector_options(const struct collector *c, const struct jd_config *cfg)
{
	return cfg->collectors[c->id].options;
}

/* In the collector's file, for its options struct: that it fits. */
#define COLLECTOR_OPTIONS(type)                                                                    \
	_Static_assert(sizeof(type) <= JD_COLLECTOR_OPTIONS_MAX,                                   \
		       #type " fits in struct jd_collector_config")

/* The table: every collector jitterd has. */
extern struct collector collectors[];
extern const unsigned n_collectors;

/* Start the enabled collectors; returns how many run. */
int collectors_init(const struct jd_config *cfg);
void collectors_collect(struct metrics *m);
/* Each running collector's drain() (the loop's drain job, after events_drain()). */
void collectors_drain(void);
void collectors_finish(void);
/*
 * A reload (both are main.c's reload step "collectors").
 * collectors_restart_needed(): whether new needs the BPF
 * programs reloaded (a collector switched on or off, a probe gained or
 * lost, an option its collector cannot change live); writes why into why.
 * collectors_reconfigure(): each running collector's reconfigure(), and
 * on a failure the ones done so far back to old.
 */
bool collectors_restart_needed(const struct jd_config *old, const struct jd_config *new, char *why,
			       size_t size);
int collectors_reconfigure(const struct jd_config *old, const struct jd_config *new);
/*
 * The collectors' config: the rows of collectors: (for each collector
 * collectors.<name>: enabled, and its config_keys) and their rows under
 * events: (event_keys), as yw_key.sets of those mappings (config.c), given
 * the base of the struct jd_config they fill.
 */
unsigned collectors_config_sets(const struct yw_key *k, char *cfg, struct yw_key_set *sets,
				unsigned max);
unsigned collectors_event_sets(char *cfg, struct yw_key_set *sets, unsigned max);
/*
 * The config rows of the anomaly signals every collector declares, each
 * once, in table and declaration order (at most max); returns how many.
 * A row's place in that order is its place in jd_anomaly_config.signals.
 */
unsigned collectors_signal_configs(const struct signal_config **rows, unsigned max);
/* Every probe of the running collectors, in table and attach order. */
void collectors_each_probe(void (*fn)(const struct probe *p, void *arg), void *arg);
/* How many of those are attached, and how many could not attach. */
void collectors_probe_counts(unsigned *attached, unsigned *failed);
/*
 * `jitterd --probes`: one line per probe of every collector (started in
 * probe_survey() mode) with the attach type chosen, the ones that work, and
 * why the others fail.
 */
void collectors_report(FILE *out, const struct jd_config *cfg);

#endif
