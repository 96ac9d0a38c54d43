// SPDX-License-Identifier: MIT
/*
 * Drift, in the daemon: the doctor's cheap checks at start and every
 * doctor.interval (a loop job on the daemon's own CPU, reads only), their
 * results kept for the scrapes, which export them as
 * jitterd_tuning_check{check,severity} (1 = failing, 0 = ok). A check that
 * is not applicable here, or that needs root the daemon no longer has, is
 * not exported: a series that could only ever be 0 would say nothing.
 * Of each finding the daemon keeps only what the metric says (the check,
 * its state, its severity): the checks run one at a time into a single
 * scratch finding (doctor_run_each), not into a table of whole findings,
 * whose 10 KiB of texts each, all written at every run, would stay resident
 * (docs/memory.md).
 *
 * What only root may open (/dev/cpu_dma_latency, irqbalance's environ) is
 * opened before the daemon drops root (doctor_drift_open_root_files) and
 * read through those fds at every run, so the checks that need it are
 * judged on what is in force now, not on what was at start.
 */
#include "doctor/doctor.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"
#include "core/loop.h"

/* What the metric says of a finding. */
struct drift_result {
	const struct doctor_check *check;
	enum doctor_state state;
	enum doctor_severity severity; /* doctor_finding_severity */
};

static struct {
	struct doctor_host host;
	struct doctor_finding *scratch; /* one finding: each check's, in turn */
	struct drift_result *results;	/* room for doctor_count() */
	unsigned n;
	int job;
	const char *config_path; /* names the isolated group's file in reports */
	struct doctor_root_files root_files;
} drift = { .job = -1, .root_files = { .pm_qos = -1, .irqbalance = -1 } };

void doctor_drift_open_root_files(void)
{
	/* In drift.host (host_init sets it again before any run), not in a
	 * host on the stack: a host is 53 KiB, which doctor_host_init writes
	 * whole, and the main thread's stack pages stay resident once written. */
	doctor_host_init(&drift.host, "", NULL, NULL);
	doctor_root_files_close(&drift.root_files);
	doctor_root_files_open(&drift.host, &drift.root_files);
}

/* The host as the daemon judges it: no sleep (softnet: over the time
 * between runs), the root-only files it opened. */
static void host_init(const struct jd_config *cfg)
{
	doctor_host_init(&drift.host, "", cfg, drift.config_path);
	drift.host.window_ms = 0;
	drift.host.root_files = drift.root_files;
}

static void keep(const struct doctor_finding *f, void *arg)
{
	unsigned *w = arg;

	drift.results[(*w)++] = (struct drift_result){
		.check = f->check,
		.state = f->state,
		.severity = doctor_finding_severity(f),
	};
}

static void run_checks(void *arg)
{
	unsigned w = 0;

	(void)arg;
	drift.n = doctor_run_each(&drift.host, true, drift.scratch, keep, &w);
}

int doctor_drift_start(const struct jd_config *cfg, const char *config_path)
{
	drift.results = calloc(doctor_count(), sizeof(*drift.results));
	drift.scratch = malloc(sizeof(*drift.scratch));
	if (!drift.results || !drift.scratch) {
		free(drift.results);
		free(drift.scratch);
		drift.results = NULL;
		drift.scratch = NULL;
		return -ENOMEM;
	}
	drift.config_path = config_path;
	host_init(cfg);
	run_checks(NULL);
	drift.job = loop_every("doctor.interval", cfg->doctor.interval_ns, run_checks, NULL);
	if (drift.job < 0) {
		log_warn("doctor: cannot schedule the tuning checks: %d", drift.job);
		return drift.job;
	}
	return 0;
}

int doctor_drift_reload(const struct jd_config *old, const struct jd_config *new)
{
	int err;

	(void)old;
	if (drift.job >= 0 && (err = loop_set_interval(drift.job, new->doctor.interval_ns)))
		return err;
	host_init(new);
	run_checks(NULL);
	return 0;
}

void doctor_drift_collect(struct metrics *m)
{
	struct metric_family *fam;

	if (!drift.n)
		return;
	fam = metrics_family(
		m, "jitterd_tuning_check",
		"1 when a tuning check of jitterd doctor fails on this host, 0 when it "
		"passes; severity is what a failure means (see docs/doctor.md).",
		METRIC_GAUGE, METRIC_UNIT_NONE);
	for (unsigned i = 0; i < drift.n; i++) {
		const struct drift_result *r = &drift.results[i];

		if (r->state != DOCTOR_OK && r->state != DOCTOR_FAIL)
			continue;
		metric_u64(fam, r->state == DOCTOR_FAIL, "check", r->check->id, "severity",
			   doctor_severity_name(r->severity), LABELS_END);
	}
}

void doctor_drift_finish(void)
{
	free(drift.results);
	free(drift.scratch);
	drift.results = NULL;
	drift.scratch = NULL;
	doctor_root_files_close(&drift.root_files);
	drift.n = 0;
	drift.job = -1;
}
