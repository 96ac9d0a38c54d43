/* SPDX-License-Identifier: MIT */
/*
 * The sched collector's metric families, named once: sched.c describes
 * them by these names, and whoever reads them (its anomaly signals) uses
 * the same.
 */
#ifndef JD_COLLECTOR_SCHED_H
#define JD_COLLECTOR_SCHED_H

#define SCHED_CPU_GROUP_INFO		"jitterd_cpu_group_info"
#define SCHED_CONTEXT_SWITCHES		"jitterd_context_switches_total"
#define SCHED_RUNQUEUE_LATENCY		"jitterd_runqueue_latency_seconds"
#define SCHED_RUNQUEUE_LATENCY_OUTLIERS "jitterd_runqueue_latency_outliers_total"
#define SCHED_WORKLOAD_RUNQUEUE_LATENCY "jitterd_workload_runqueue_latency_seconds"
#define SCHED_WORKLOAD_CONTEXT_SWITCHES "jitterd_workload_context_switches_total"

#endif
