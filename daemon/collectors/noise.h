/* SPDX-License-Identifier: MIT */
/*
 * The noise collector's metric families, named once: noise.c describes
 * them by these names, and its anomaly signals read them by the same.
 */
#ifndef JD_COLLECTOR_NOISE_H
#define JD_COLLECTOR_NOISE_H

#define NOISE_INTERRUPTIONS	     "jitterd_interruptions_total"
#define NOISE_INTERRUPTION_SECONDS   "jitterd_interruption_seconds_total"
#define NOISE_INTERRUPTION_DURATION  "jitterd_interruption_duration_seconds"
#define NOISE_CAUSE_INTERRUPTIONS    "jitterd_interruption_cause_interruptions_total"
#define NOISE_CAUSE_SECONDS	     "jitterd_interruption_cause_seconds_total"
#define NOISE_TICK_KEPT		     "jitterd_tick_kept_total"
#define NOISE_TASK_RUNS		     "jitterd_cpu_intruder_runs_total"
#define NOISE_TASK_SECONDS	     "jitterd_cpu_intruder_seconds_total"
#define NOISE_WORKLOAD_INTERRUPTIONS "jitterd_workload_interruptions_total"
#define NOISE_WORKLOAD_SECONDS	     "jitterd_workload_interruption_seconds_total"
#define NOISE_WORKLOAD_DURATION	     "jitterd_workload_interruption_duration_seconds"

#endif
