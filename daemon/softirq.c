// SPDX-License-Identifier: MIT
/*
 * Softirq and hardirq collector: softirq runs and time per CPU and vector,
 * their durations and raise-to-run latencies per vector, interrupt handler
 * runs and time per CPU, and long softirq runs as events. Five programs
 * write one per-CPU value (bpf/softirq.h); a scrape reads it once.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "events.h"
#include "hist.h"
#include "log.h"
#include "bpf/softirq.h"
#include "softirq.skel.h"

enum { P_IRQ_EXIT, P_IRQ_ENTRY, P_SI_EXIT, P_SI_ENTRY, P_SI_RAISE, N_PROBES };

struct softirq {
	struct softirq_bpf *skel;
	struct probe probes[N_PROBES];
	int nr_cpus;
	struct jd_softirq_cpu *percpu; /* lookup buffer: one value per possible CPU */
	bool events_registered;
};

/* As node_exporter spells them (the kernel's softirq_to_name, lower case). */
static const char *const vector_names[JD_NR_SOFTIRQS] = {
	"hi",	    "timer",   "net_tx", "net_rx",  "block",
	"irq_poll", "tasklet", "sched",	 "hrtimer", "rcu",
};

static bool softirq_enabled(const struct jd_config *cfg)
{
	return cfg->softirq.enabled;
}

static bool on_long_softirq(void *ctx, const void *event, struct buf *json)
{
	const struct jd_softirq_event *e = event;

	(void)ctx;
	/* The BPF side only sends vectors below JD_NR_SOFTIRQS. */
	if (e->vector >= JD_NR_SOFTIRQS)
		return false;
	buf_printf(json, ",\"vector\":\"%s\",\"duration_ns\":%" PRIu64 ",\"hardirq_ns\":%" PRIu64,
		   vector_names[e->vector], (uint64_t)e->duration_ns, (uint64_t)e->hardirq_ns);
	return true;
}

static void softirq_stop(struct collector *c)
{
	struct softirq *s = c->priv;

	if (!s)
		return;
	if (s->events_registered)
		events_unregister(JD_EVENT_SOFTIRQ);
	probes_detach(s->probes, c->n_probes);
	softirq_bpf__destroy(s->skel);
	free(s->percpu);
	free(s);
	c->priv = NULL;
}

/* Every hook of this collector is an irq:* tracepoint in three flavours. */
static struct probe irq_tracepoint(const char *name, struct bpf_program *btf,
				   struct bpf_program *raw, struct bpf_program *tp)
{
	return (struct probe){
		.name = name,
		.system = "irq",
		.target = name,
		.prog = { [PROBE_TP_BTF] = btf, [PROBE_RAW_TP] = raw, [PROBE_TRACEPOINT] = tp },
	};
}

static int softirq_start(struct collector *c, const struct jd_config *cfg)
{
	struct softirq *s;
	typeof(&s->skel->progs) p;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->priv = s;
	s->nr_cpus = libbpf_num_possible_cpus();
	if (s->nr_cpus <= 0) {
		err = s->nr_cpus ? s->nr_cpus : -EINVAL;
		goto fail;
	}
	s->percpu = calloc(s->nr_cpus, sizeof(*s->percpu));
	s->skel = softirq_bpf__open();
	if (!s->percpu || !s->skel) {
		err = -ENOMEM;
		goto fail;
	}
	s->skel->rodata->softirq_threshold_ns = cfg->events.softirq_duration_threshold_ns;
	err = events_share(s->skel->obj);
	if (err) {
		log_err("softirq: sharing the events ring: %s", strerror(-err));
		goto fail;
	}

	/*
	 * probes_attach() goes in this order: exits before entries, so that no
	 * run is seen starting without its end being watched, and the raise
	 * last, so that no raise stamp waits for a run whose entry was missed.
	 */
	p = &s->skel->progs;
	s->probes[P_IRQ_EXIT] = irq_tracepoint("irq_handler_exit", p->irq_exit_btf, p->irq_exit_raw,
					       p->irq_exit_tp);
	s->probes[P_IRQ_ENTRY] = irq_tracepoint("irq_handler_entry", p->irq_entry_btf,
						p->irq_entry_raw, p->irq_entry_tp);
	s->probes[P_SI_EXIT] =
		irq_tracepoint("softirq_exit", p->si_exit_btf, p->si_exit_raw, p->si_exit_tp);
	s->probes[P_SI_ENTRY] =
		irq_tracepoint("softirq_entry", p->si_entry_btf, p->si_entry_raw, p->si_entry_tp);
	s->probes[P_SI_RAISE] =
		irq_tracepoint("softirq_raise", p->si_raise_btf, p->si_raise_raw, p->si_raise_tp);
	c->probes = s->probes;
	c->n_probes = N_PROBES;
	probes_select(s->probes, c->n_probes);
	err = softirq_bpf__load(s->skel);
	if (err) {
		log_err("softirq: loading BPF programs: %s", strerror(-err));
		goto fail;
	}
	err = events_register(JD_EVENT_SOFTIRQ, "softirq", sizeof(struct jd_softirq_event),
			      on_long_softirq, s);
	if (err) {
		log_err("softirq: registering its events: %s", strerror(-err));
		goto fail;
	}
	s->events_registered = true;
	probes_attach(s->probes, c->n_probes);
	return 0;
fail:
	softirq_stop(c);
	c->probes = NULL;
	c->n_probes = 0;
	return err;
}

static void collect_softirqs(struct softirq *s, struct metrics *m)
{
	struct metric_family *runs, *seconds, *duration, *latency;
	char cpu[16];

	runs = metrics_family(m, "jitterd_softirqs_total",
			      "Softirq runs by CPU and vector, counted where /proc/softirqs counts "
			      "them (softirq_entry).",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, "jitterd_softirq_seconds_total",
				 "Time in softirq handlers by CPU and vector, without the time of "
				 "interrupt handlers that interrupted them.",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (int i = 0; i < s->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		for (int v = 0; v < JD_NR_SOFTIRQS; v++) {
			const struct jd_softirq_vec *sv = &s->percpu[i].vec[v];

			metric_u64(runs, sv->count, "cpu", cpu, "vector", vector_names[v], NULL);
			metric_u64(seconds, sv->duration_sum, "cpu", cpu, "vector", vector_names[v],
				   NULL);
		}
	}

	duration = metrics_family(m, "jitterd_softirq_duration_seconds",
				  "Duration of softirq runs by vector (softirq_entry to exit, "
				  "without interrupt handler time), all CPUs.",
				  METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	latency = metrics_family(m, "jitterd_softirq_latency_seconds",
				 "Time from the first raise of a softirq vector on a CPU to the "
				 "start of its handling there, by vector, all CPUs.",
				 METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	for (int v = 0; v < JD_NR_SOFTIRQS; v++) {
		struct jd_hist_ns d = {}, l = {};
		struct metric_hist view;

		for (int i = 0; i < s->nr_cpus; i++) {
			const struct jd_softirq_vec *sv = &s->percpu[i].vec[v];

			for (int b = 0; b < JD_HIST_NS_SLOTS; b++) {
				d.slots[b] += sv->duration[b];
				l.slots[b] += sv->latency[b];
			}
			d.sum += sv->duration_sum;
			l.sum += sv->latency_sum;
		}
		view = hist_ns_metric(&d);
		metric_hist(duration, &view, "vector", vector_names[v], NULL);
		view = hist_ns_metric(&l);
		metric_hist(latency, &view, "vector", vector_names[v], NULL);
	}
}

static void collect_hardirqs(struct softirq *s, struct metrics *m)
{
	struct metric_family *runs, *seconds;
	char cpu[16];

	runs = metrics_family(m, "jitterd_hardirqs_total",
			      "Interrupt handler runs by CPU (irq_handler_entry): one per handler, "
			      "so an interrupt on a shared line counts once per handler on it.",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	seconds = metrics_family(m, "jitterd_hardirq_seconds_total",
				 "Time in interrupt handlers by CPU (irq_handler_entry to exit).",
				 METRIC_COUNTER, METRIC_UNIT_SECONDS);
	for (int i = 0; i < s->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		metric_u64(runs, s->percpu[i].hardirqs, "cpu", cpu, NULL);
		metric_u64(seconds, s->percpu[i].hardirq_ns, "cpu", cpu, NULL);
	}
}

static void softirq_collect(struct collector *c, struct metrics *m)
{
	struct softirq *s = c->priv;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.softirq_cpu), &zero, s->percpu)) {
		log_warn("softirq: reading softirq_cpu: %s", strerror(errno));
		return;
	}
	collect_softirqs(s, m);
	collect_hardirqs(s, m);
}

const struct collector_ops softirq_collector = {
	.name = "softirq",
	.enabled = softirq_enabled,
	.start = softirq_start,
	.collect = softirq_collect,
	.stop = softirq_stop,
};
