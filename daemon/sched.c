// SPDX-License-Identifier: MIT
/*
 * Scheduler collector: context switches per CPU and kind, counted by one
 * sched_switch program into a per-CPU map and read at scrape time.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector.h"
#include "log.h"
#include "bpf/sched.h"
#include "sched.skel.h"

struct sched {
	struct sched_bpf *skel;
	struct probe probes[1];
	int nr_cpus;
	struct jd_sched_cpu *percpu; /* lookup buffer: one value per possible CPU */
};

static const char *const ctxsw_kind_names[JD_CTXSW_KINDS] = {
	[JD_CTXSW_VOLUNTARY] = "voluntary",
	[JD_CTXSW_INVOLUNTARY] = "involuntary",
	[JD_CTXSW_IDLE] = "idle",
};

static bool sched_enabled(const struct jd_config *cfg)
{
	return cfg->sched.enabled;
}

static void sched_stop(struct collector *c)
{
	struct sched *s = c->priv;

	if (!s)
		return;
	probes_detach(s->probes, c->n_probes);
	sched_bpf__destroy(s->skel);
	free(s->percpu);
	free(s);
	c->priv = NULL;
}

static int sched_start(struct collector *c, const struct jd_config *cfg)
{
	struct sched *s;
	int err;

	(void)cfg;
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
	s->skel = sched_bpf__open();
	if (!s->percpu || !s->skel) {
		err = -ENOMEM;
		goto fail;
	}
	/* prev_state became a sched_switch argument in 5.18; ask BTF, not uname. */
	s->skel->rodata->switch_has_prev_state = probe_tracepoint_nargs("sched_switch") >= 4;

	s->probes[0] = (struct probe){
		.name = "sched_switch",
		.system = "sched",
		.target = "sched_switch",
		.prog = {
			[PROBE_TP_BTF] = s->skel->progs.switch_btf,
			[PROBE_RAW_TP] = s->skel->progs.switch_raw,
			[PROBE_TRACEPOINT] = s->skel->progs.switch_tp,
		},
	};
	c->probes = s->probes;
	c->n_probes = 1;
	probes_select(s->probes, c->n_probes);
	err = sched_bpf__load(s->skel);
	if (err) {
		log_err("sched: loading BPF programs: %s", strerror(-err));
		goto fail;
	}
	probes_attach(s->probes, c->n_probes);
	return 0;
fail:
	sched_stop(c);
	c->probes = NULL;
	c->n_probes = 0;
	return err;
}

static void sched_collect(struct collector *c, struct metrics *m)
{
	struct sched *s = c->priv;
	struct metric_family *f;
	__u32 zero = 0;
	char cpu[16];

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.sched_cpu), &zero, s->percpu)) {
		log_warn("sched: reading sched_cpu: %s", strerror(errno));
		return;
	}
	f = metrics_family(m, "jitterd_context_switches_total",
			   "Context switches by CPU and kind: voluntary (the task blocked), "
			   "involuntary (preempted or yielded while runnable), idle (the idle "
			   "task gave up the CPU). The kinds sum to /proc/stat ctxt.",
			   METRIC_COUNTER, METRIC_UNIT_NONE);
	for (int i = 0; i < s->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		for (int k = 0; k < JD_CTXSW_KINDS; k++)
			metric_u64(f, s->percpu[i].ctxsw[k], "cpu", cpu, "kind",
				   ctxsw_kind_names[k], NULL);
	}
}

const struct collector_ops sched_collector = {
	.name = "sched",
	.enabled = sched_enabled,
	.start = sched_start,
	.collect = sched_collect,
	.stop = sched_stop,
};
