// SPDX-License-Identifier: MIT
/*
 * The signals the collectors declare (daemon/anomaly/signal.h) and what the
 * detector makes of them: each is judged by its config row's parameters,
 * and each declaration says all its judgement needs.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly.h"
#include "anomaly/baseline.h"
#include "anomaly/signal.h"
#include "check_main.h"
#include "core/config.h"
#include "probes/collector.h"

/* Calls fn with every declared signal, in table order; returns how many. */
static unsigned each_signal(void (*fn)(const struct signal_def *d, void *arg), void *arg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_signals; j++, n++)
			if (fn)
				fn(&collectors[i].ops->signals[j], arg);
	return n;
}

static void has_its_rows_parameters(const struct signal_def *d, void *arg)
{
	const struct jd_config *cfg = arg;
	struct detector_params p;
	double floor;
	char *end;

	ck_assert_msg(!anomaly_params(&cfg->anomaly, d->name, &p), "%s: no parameters", d->name);
	floor = strtod(d->config->floor, &end);
	if (!strcmp(end, "us"))
		floor *= 1e3;
	ck_assert_msg(floor == p.floor, "%s: floor %g, its row says %s", d->name, p.floor,
		      d->config->floor);
	ck_assert_uint_eq(p.sensitivity, cfg->anomaly.sensitivity);
}

START_TEST(every_declared_signal_is_judged_with_its_rows_default_floor)
{
	struct jd_config cfg;

	config_defaults(&cfg);
	ck_assert_uint_ge(each_signal(has_its_rows_parameters, &cfg), 1);
}
END_TEST

START_TEST(a_signal_whose_row_is_off_is_not_judged)
{
	static const char yaml[] =
		"anomaly:\n  signals:\n    runqueue_latency: { enabled: false }\n";
	struct jd_config cfg;
	struct detector_params p;

	ck_assert_int_eq(config_parse(&cfg, "t.yaml", yaml, sizeof(yaml) - 1, 0, stderr), 0);
	ck_assert_int_eq(anomaly_params(&cfg.anomaly, "runqueue_latency_p99", &p), -ENOENT);
	ck_assert_int_eq(anomaly_params(&cfg.anomaly, "runqueue_wait", &p), 0);
	ck_assert_int_eq(anomaly_params(&cfg.anomaly, "no_such_signal", &p), -ENOENT);
}
END_TEST

static void names_are_unique(const struct signal_def *d, void *arg)
{
	const char **seen = arg;
	unsigned i = 0;

	while (seen[i] && strcmp(seen[i], d->name))
		i++;
	ck_assert_msg(!seen[i], "signal %s declared twice", d->name);
	seen[i] = d->name;
}

START_TEST(signal_names_are_unique)
{
	const char *seen[64] = {};

	ck_assert_uint_lt(each_signal(NULL, NULL), 64);
	each_signal(names_are_unique, seen);
}
END_TEST

/* What each judgement reads from its declaration is there. */
static void is_complete(const struct signal_def *d, void *arg)
{
	(void)arg;
	ck_assert_msg(d->name && d->config && d->words, "a signal without name, row or words");
	ck_assert_msg(d->from[0].family && d->from[0].label, "%s: no source", d->name);
	for (unsigned f = 0; f < SIGNAL_MAX_SOURCES && d->from[f].family; f++)
		ck_assert_msg(!strncmp(d->from[f].family, "jitterd_", 8), "%s: family %s", d->name,
			      d->from[f].family);
	switch (d->judge) {
	case SIGNAL_RATE_OF:
		ck_assert_msg(d->by || d->evidence[0], "%s: no evidence", d->name);
		break;
	case SIGNAL_SHARE_OF:
		ck_assert_msg(d->by && d->of && d->vs, "%s: share of what", d->name);
		break;
	case SIGNAL_WAIT_SHARE:
		ck_assert_msg(d->evidence[0] && d->evidence[1], "%s: no evidence", d->name);
		break;
	case SIGNAL_QUANTILE:
		ck_assert_msg(d->quantile, "%s: which quantile", d->name);
		ck_assert_msg(d->evidence[0], "%s: no evidence", d->name);
		break;
	case SIGNAL_TIME_SHARE:
	case SIGNAL_MAX: ck_assert_msg(d->evidence[0], "%s: no evidence", d->name); break;
	}
	ck_assert_msg(!d->evidence_causes || (d->by && d->cause_words),
		      "%s: evidence causes need by and words", d->name);
	ck_assert_msg(!d->cpu_time_cause || d->cause_name || d->from[0].label2,
		      "%s: a CPU-time cause needs a name", d->name);
	/* A filter of samples: by a label, where the judgement sums counters. */
	ck_assert_msg(!d->only || d->only_label, "%s: only of which label", d->name);
	ck_assert_msg(!d->only || d->judge == SIGNAL_RATE_OF || d->judge == SIGNAL_TIME_SHARE,
		      "%s: only filters counters", d->name);
	ck_assert_msg(!d->also_shown || (d->only && d->by), "%s: also_shown as what", d->name);
	for (const char *const *v = d->also_shown; v && *v; v++)
		ck_assert_msg(!signal_counts(d, *v), "%s: %s both counted and shown", d->name, *v);
}

START_TEST(every_declaration_has_what_its_judgement_reads)
{
	each_signal(is_complete, NULL);
}
END_TEST

static const struct signal_def *declared(const char *name)
{
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_signals; j++)
			if (!strcmp(collectors[i].ops->signals[j].name, name))
				return &collectors[i].ops->signals[j];
	return NULL;
}

/* The noise collector's kinds (docs/noise.md), and which of them each per-CPU signal counts. */
START_TEST(tick_and_ipi_signals_count_their_kinds_only)
{
	static const char *const kinds[] = {
		"timer",      "reschedule",   "call_function", "call_function_single",
		"irq_work",   "platform_ipi", "thermal",       "spurious",
		"apic_error", "nmi",	      "tlb_shootdown"
	};
	const struct signal_def *tick = declared("tick_rate"), *rate = declared("ipi_rate"),
				*time = declared("ipi_time"), *all = declared("interruption_rate");

	ck_assert_ptr_nonnull(tick);
	ck_assert_ptr_nonnull(rate);
	ck_assert_ptr_nonnull(time);
	ck_assert_ptr_nonnull(all);
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		bool ipi = k >= 1 && k <= 4;

		ck_assert_msg(signal_counts(tick, kinds[k]) == (k == 0), "tick_rate: %s", kinds[k]);
		ck_assert_msg(signal_counts(rate, kinds[k]) == ipi, "ipi_rate: %s", kinds[k]);
		ck_assert_msg(signal_counts(time, kinds[k]) == ipi, "ipi_time: %s", kinds[k]);
		ck_assert_msg(signal_counts(all, kinds[k]), "interruption_rate: %s", kinds[k]);
	}
	/* A shootdown is in the IPI it came in: shown beside them, not counted twice. */
	ck_assert(signal_list_has(rate->also_shown, "tlb_shootdown"));
	ck_assert_str_eq(rate->only_label, "kind");
	ck_assert_int_eq(tick->from[0].subject, SIGNAL_CPU);
}
END_TEST

START_TEST(workload_noise_is_judged_per_workload_from_its_seconds)
{
	const struct signal_def *d = declared("workload_noise");

	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->from[0].family, "jitterd_workload_interruption_seconds_total");
	ck_assert_int_eq(d->from[0].subject, SIGNAL_WORKLOAD);
	ck_assert_str_eq(d->from[0].label, "workload");
	ck_assert_int_eq(d->judge, SIGNAL_TIME_SHARE);
	ck_assert_int_eq(d->config->unit, SIGNAL_PERCENT);
}
END_TEST

static Suite *signals_suite(void)
{
	Suite *s = suite_create("signals");
	TCase *tc = tcase_create("declared");

	tcase_add_test(tc, every_declared_signal_is_judged_with_its_rows_default_floor);
	tcase_add_test(tc, a_signal_whose_row_is_off_is_not_judged);
	tcase_add_test(tc, signal_names_are_unique);
	tcase_add_test(tc, every_declaration_has_what_its_judgement_reads);
	tcase_add_test(tc, tick_and_ipi_signals_count_their_kinds_only);
	tcase_add_test(tc, workload_noise_is_judged_per_workload_from_its_seconds);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(signals_suite)
