/* SPDX-License-Identifier: MIT */
/*
 * The softirq collector's metric families (softirqs and hardirqs), named
 * once: softirq.c describes them by these names, and whoever reads them
 * (its anomaly signals) uses the same.
 */
#ifndef JD_COLLECTOR_SOFTIRQ_H
#define JD_COLLECTOR_SOFTIRQ_H

#define SOFTIRQ_RUNS		"jitterd_softirqs_total"
#define SOFTIRQ_SECONDS		"jitterd_softirq_seconds_total"
#define SOFTIRQ_DURATION	"jitterd_softirq_duration_seconds"
#define SOFTIRQ_LATENCY		"jitterd_softirq_latency_seconds"
#define SOFTIRQ_HARDIRQ_RUNS	"jitterd_hardirqs_total"
#define SOFTIRQ_HARDIRQ_SECONDS "jitterd_hardirq_seconds_total"

#endif
