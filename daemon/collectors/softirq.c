// SPDX-License-Identifier: MIT
/*
 * Softirq and hardirq collector: softirq runs and time per CPU and vector,
 * their durations and raise-to-run latencies per vector, interrupt handler
 * runs and time per CPU, and long softirq and handler runs as events. Five programs
 * write one per-CPU value (bpf/softirq.h); a scrape reads it once.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/softirq.h"
#include "probes/collector.h"
#include "anomaly/signal.h"
#include "lib/json.h"
#include "lib/hist.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/yamlwalk.h"
#include "lib/util.h"
#include "bpf/softirq.h"
#include "softirq.skel.h"

struct softirq {
	struct jd_softirq_cpu *percpu; /* lookup buffer: one value per possible CPU */
};

/* As node_exporter spells them (the kernel's softirq_to_name, lower case). */
static const char *const vector_names[JD_NR_SOFTIRQS] = {
	"hi",	    "timer",   "net_tx", "net_rx",  "block",
	"irq_poll", "tasklet", "sched",	 "hrtimer", "rcu",
};

struct softirq_options {
	uint64_t duration_threshold_ns;
	uint64_t hardirq_threshold_ns;
};
COLLECTOR_OPTIONS(struct softirq_options);

static const struct yw_key softirq_event_keys[] = {
	{ YW_KEY("softirq_duration_threshold", SCALAR, yw_parse_duration),
	  YW_FIELD(struct softirq_options, duration_threshold_ns), .min = 1, .max = 10 * NS_PER_S,
	  .def = "50us" },
	{ YW_KEY("hardirq_duration_threshold", SCALAR, yw_parse_duration),
	  YW_FIELD(struct softirq_options, hardirq_threshold_ns), .min = 1, .max = 10 * NS_PER_S,
	  .def = "20us" },
	{},
};

static bool on_long_softirq(struct collector *c, const void *event, json_t *obj)
{
	const struct jd_softirq_event *e = event;

	(void)c;
	/* The BPF side only sends vectors below JD_NR_SOFTIRQS. */
	if (e->vector >= JD_NR_SOFTIRQS)
		return false;
	json_set_str(obj, "vector", vector_names[e->vector]);
	json_set_u64(obj, "duration_ns", e->duration_ns);
	json_set_u64(obj, "hardirq_ns", e->hardirq_ns);
	return true;
}

static bool on_long_hardirq(struct collector *c, const void *event, json_t *obj)
{
	const struct jd_hardirq_event *e = event;

	(void)c;
	json_set_u64(obj, "irq", (uint64_t)(uint32_t)e->irq);
	json_set_u64(obj, "duration_ns", e->duration_ns);
	return true;
}

static const struct event_def softirq_events[] = {
	[JD_SOFTIRQ_EVENT_LONG_RUN] = { .name = "softirq",
					.size = sizeof(struct jd_softirq_event),
					.handle = on_long_softirq },
	[JD_HARDIRQ_EVENT_LONG_RUN] = { .name = "hardirq",
					.size = sizeof(struct jd_hardirq_event),
					.handle = on_long_hardirq },
};

/*
 * Attached in this order: exits before entries, so that no run is seen
 * starting without its end being watched, and the raise last, so that no
 * raise stamp waits for a run whose entry was missed.
 */
static const struct probe_def softirq_probes[] = {
	PROBE_TRACEPOINT_DEF("irq", "irq_handler_exit", "irq_exit"),
	PROBE_TRACEPOINT_DEF("irq", "irq_handler_entry", "irq_entry"),
	PROBE_TRACEPOINT_DEF("irq", "softirq_exit", "si_exit"),
	PROBE_TRACEPOINT_DEF("irq", "softirq_entry", "si_entry"),
	PROBE_TRACEPOINT_DEF("irq", "softirq_raise", "si_raise"),
};

static int softirq_configure(struct collector *c, const struct jd_config *cfg)
{
	const struct softirq_options *o = collector_options(c, cfg);
	struct softirq_bpf *skel = c->skel;
	struct softirq *s = c->priv;

	s->percpu = calloc(c->nr_cpus, sizeof(*s->percpu));
	if (!s->percpu)
		return -ENOMEM;
	skel->data->softirq_threshold_ns = o->duration_threshold_ns;
	skel->data->hardirq_threshold_ns = o->hardirq_threshold_ns;
	return 0;
}

/* The threshold is a global the programs read (mapped: a plain store). */
static int softirq_reconfigure(struct collector *c, const struct jd_config *old,
			       const struct jd_config *new)
{
	const struct softirq_options *o = collector_options(c, new);
	struct softirq_bpf *skel = c->skel;

	(void)old;
	skel->data->softirq_threshold_ns = o->duration_threshold_ns;
	skel->data->hardirq_threshold_ns = o->hardirq_threshold_ns;
	return 0;
}

static void softirq_finish(struct collector *c)
{
	struct softirq *s = c->priv;

	free(s->percpu);
}

static void collect_softirqs(const struct collector *c, const struct softirq *s, struct metrics *m)
{
	struct metric_family *runs, *seconds, *duration, *latency;
	char cpu[16];

	runs = metrics_family(m, SOFTIRQ_RUNS,
			      "Softirq runs by CPU and vector, counted where /proc/softirqs counts "
			      "them (softirq_entry).",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, SOFTIRQ_SECONDS,
				 "Time in softirq handlers by CPU and vector, without the time of "
				 "interrupt handlers that interrupted them.",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (int i = 0; i < c->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		for (int v = 0; v < JD_NR_SOFTIRQS; v++) {
			const struct jd_softirq_vec *sv = &s->percpu[i].vec[v];

			metric_u64(runs, sv->count, "cpu", cpu, "vector", vector_names[v],
				   LABELS_END);
			metric_u64(seconds, sv->duration_sum, "cpu", cpu, "vector", vector_names[v],
				   LABELS_END);
		}
	}

	duration = metrics_family(m, SOFTIRQ_DURATION,
				  "Duration of softirq runs by vector (softirq_entry to exit, "
				  "without interrupt handler time), all CPUs.",
				  METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	latency = metrics_family(m, SOFTIRQ_LATENCY,
				 "Time from the first raise of a softirq vector on a CPU to the "
				 "start of its handling there, by vector, all CPUs.",
				 METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	for (int v = 0; v < JD_NR_SOFTIRQS; v++) {
		struct jd_hist_ns d = {}, l = {};
		struct metric_hist view;

		for (int i = 0; i < c->nr_cpus; i++) {
			const struct jd_softirq_vec *sv = &s->percpu[i].vec[v];

			for (int b = 0; b < JD_HIST_NS_SLOTS; b++) {
				d.slots[b] += sv->duration[b];
				l.slots[b] += sv->latency[b];
			}
			d.sum += sv->duration_sum;
			l.sum += sv->latency_sum;
		}
		view = hist_ns_metric(&d);
		metric_hist(duration, &view, "vector", vector_names[v], LABELS_END);
		view = hist_ns_metric(&l);
		metric_hist(latency, &view, "vector", vector_names[v], LABELS_END);
	}
}

static void collect_hardirqs(const struct collector *c, const struct softirq *s, struct metrics *m)
{
	struct metric_family *runs, *seconds;
	char cpu[16];

	runs = metrics_family(m, SOFTIRQ_HARDIRQ_RUNS,
			      "Interrupt handler runs by CPU (irq_handler_entry): one per handler, "
			      "so an interrupt on a shared line counts once per handler on it.",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, SOFTIRQ_HARDIRQ_SECONDS,
				 "Time in interrupt handlers by CPU (irq_handler_entry to exit).",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (int i = 0; i < c->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		metric_u64(runs, s->percpu[i].hardirqs, "cpu", cpu, LABELS_END);
		metric_u64(seconds, s->percpu[i].hardirq_ns, "cpu", cpu, LABELS_END);
	}
}

static void softirq_collect(struct collector *c, struct metrics *m)
{
	const struct softirq_bpf *skel = c->skel;
	struct softirq *s = c->priv;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.softirq_cpu), &zero, s->percpu)) {
		log_warn("softirq: reading softirq_cpu: %s", strerror(errno));
		return;
	}
	collect_softirqs(c, s, m);
	collect_hardirqs(c, s, m);
}

/* ---- what the anomaly detector may judge it by ---------------------------- */

static const struct signal_config softirq_time_config = {
	.name = "softirq_time",
	.unit = SIGNAL_PERCENT,
	.floor = "5",
	.floor_min = 1,
	.floor_max = 100,
};
static const struct signal_config softirq_latency_config = {
	.name = "softirq_latency",
	.unit = SIGNAL_SECONDS,
	.floor = "200us",
	.floor_min = NS_PER_US,
	.floor_max = 10 * NS_PER_S,
};
static const struct signal_config hardirq_time_config = {
	.name = "hardirq_time",
	.unit = SIGNAL_PERCENT,
	.floor = "5",
	.floor_min = 1,
	.floor_max = 100,
};

static const struct signal_def softirq_signals[] = {
	{ .name = "softirq_time",
	  .config = &softirq_time_config,
	  .words = "time in softirq handlers",
	  .judge = SIGNAL_TIME_SHARE,
	  .from = { { .family = SOFTIRQ_SECONDS,
		      .subject = SIGNAL_CPU,
		      .label = "cpu",
		      .label2 = "vector" } },
	  .evidence = { "softirq_seconds" },
	  .cpu_time_cause = "softirq" },
	{ .name = "softirq_latency_p99",
	  .config = &softirq_latency_config,
	  .words = "softirq raise-to-run latency p99",
	  .judge = SIGNAL_QUANTILE,
	  .from = { { .family = SOFTIRQ_LATENCY, .subject = SIGNAL_VECTOR, .label = "vector" } },
	  .quantile = SIGNAL_P99,
	  .evidence = { "runs" } },
	{ .name = "hardirq_time",
	  .config = &hardirq_time_config,
	  .words = "time in interrupt handlers",
	  .judge = SIGNAL_TIME_SHARE,
	  .from = { { .family = SOFTIRQ_HARDIRQ_SECONDS, .subject = SIGNAL_CPU, .label = "cpu" } },
	  .evidence = { "hardirq_seconds" },
	  .cpu_time_cause = "hardirq",
	  .cause_name = "interrupt handlers" },
};

COLLECTOR_SKELETON(softirq)

const struct collector_ops softirq_collector = {
	.name = "softirq",
	.open = softirq_open,
	.priv_size = sizeof(struct softirq),
	.probes = softirq_probes,
	.n_probes = ARRAY_SIZE(softirq_probes),
	.events = softirq_events,
	.n_events = ARRAY_SIZE(softirq_events),
	.event_keys = softirq_event_keys,
	.signals = softirq_signals,
	.n_signals = ARRAY_SIZE(softirq_signals),
	.configure = softirq_configure,
	.reconfigure = softirq_reconfigure,
	.collect = softirq_collect,
	.finish = softirq_finish,
};
