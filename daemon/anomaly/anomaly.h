/* SPDX-License-Identifier: MIT */
/*
 * The anomaly detector: every anomaly.interval, on the daemon's own thread,
 * it builds the registry the way /metrics does, turns what the collectors
 * export into the signals they declare (daemon/anomaly/signal.h: run-queue
 * latency quantiles, outlier and switch rates, softirq and interrupt time,
 * socket drops and queues), judges each signal of each subject against its
 * baseline (daemon/anomaly/baseline.h) and, when one goes anomalous or back
 * to normal, logs an "anomaly" event at /events with the likely cause: the
 * tasks that held the CPU during the outlier waits (anomaly_note_outlier()),
 * CPU time over its own baseline on those CPUs (softirq, interrupt
 * handlers), socket drops by reason.
 */
#ifndef JD_ANOMALY_H
#define JD_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "lib/metrics.h"

/* Register the detector's periodic job (before loop_run); 0 when disabled. */
int anomaly_init(const struct jd_config *cfg);
/* jitterd_anomaly, jitterd_anomaly_score, jitterd_anomalies_total and the
 * detector's own cost, for /metrics. */
void anomaly_collect(struct metrics *m);
void anomaly_finish(void);
/*
 * A reload step's restart rule: the detector sized its baselines from
 * anomaly: at start, so any change there takes a restart.
 */
bool anomaly_restart_needed(const struct jd_config *old, const struct jd_config *new, char *why,
			    size_t size);

/*
 * For replaying recorded values (anomaly.record) offline through the same
 * baselines: the detector's parameters for the signal called name, with
 * its floor in the unit it is recorded in. 0, or -ENOENT for a signal
 * that is not one of the detector's or whose family a is turned off.
 */
struct detector_params;
int anomaly_params(const struct jd_anomaly_config *a, const char *name, struct detector_params *p);

#endif
