/* SPDX-License-Identifier: MIT */
/*
 * The noise collector's metric families, named once: noise.c describes
 * them by these names, and its anomaly signals read them by the same.
 */
#ifndef JD_COLLECTOR_NOISE_H
#define JD_COLLECTOR_NOISE_H

#define NOISE_INTERRUPTIONS	    "jitterd_interruptions_total"
#define NOISE_INTERRUPTION_SECONDS  "jitterd_interruption_seconds_total"
#define NOISE_INTERRUPTION_DURATION "jitterd_interruption_duration_seconds"
#define NOISE_CAUSE_INTERRUPTIONS   "jitterd_interruption_cause_interruptions_total"
#define NOISE_CAUSE_SECONDS	    "jitterd_interruption_cause_seconds_total"
#define NOISE_TICK_KEPT		    "jitterd_tick_kept_total"

#endif
