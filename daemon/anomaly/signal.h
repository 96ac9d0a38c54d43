/* SPDX-License-Identifier: MIT */
/*
 * What a collector offers the anomaly detector, declared in its own files:
 * the signals it can be judged by (collector_ops.signals) and the outlier
 * waits it sees (anomaly_note_outlier()). The detector (anomaly.c) knows no
 * collector and no metric family: it walks the table and reads the
 * families these declarations name, through the registry, as a scrape
 * would show them.
 *
 * A signal is one number per subject per interval, judged against its own
 * baseline: "run-queue latency p99 of cpu_group:isolated". Its config row,
 * anomaly.signals.<name> (struct signal_config), switches it and sets the
 * smallest excess that can be an anomaly; several signals may share a row
 * (runqueue_latency: p50, p99 and p99.9).
 */
#ifndef JD_SIGNAL_H
#define JD_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The unit of a signal's values and of its row's floor. */
enum signal_unit {
	SIGNAL_SECONDS, /* read in ns (a seconds family's stored unit); floor: a duration */
	SIGNAL_PERCENT,
	SIGNAL_RATE, /* per second */
	SIGNAL_BYTES,
};

/* How the interval's value of a subject is made from its samples. */
enum signal_judgement {
	/* Counters: their increase per second, summed over the subject's
	 * samples (several when split by a label, e.g. kind or reason). */
	SIGNAL_RATE_OF,
	/* Counters split by the label `by`: 100 * of / (of + vs), judged once
	 * of + vs reach anomaly.min_samples. */
	SIGNAL_SHARE_OF,
	/* A counter of seconds: the percent of the interval it grew by. */
	SIGNAL_TIME_SHARE,
	/* A histogram of waits in seconds: the percent of the interval that
	 * the subject's CPUs (a workload: one) spent waiting. */
	SIGNAL_WAIT_SHARE,
	/* A histogram: a quantile of the interval's values, judged once they
	 * are anomaly.min_samples or more. */
	SIGNAL_QUANTILE,
	/* A histogram: the upper bound of the largest bucket that grew. */
	SIGNAL_MAX,
};

/* What a value is of; anomaly.subjects.<kind> switches each kind. */
enum signal_subject {
	SIGNAL_CPU_GROUP, /* a cpu group's name (subjects.cpu_groups) */
	SIGNAL_WORKLOAD,  /* a workload's name (subjects.workloads) */
	SIGNAL_CPU,	  /* a CPU's number, split or not by a second label (subjects.cpus) */
	SIGNAL_VECTOR,	  /* a softirq vector (subjects.vectors) */
	SIGNAL_SOCKET,	  /* a socket class (subjects.sockets) */
	SIGNAL_SUBJECTS
};

/* The quantiles a config row with quantile switches (p50, p99, p999) has. */
enum signal_quantile { SIGNAL_P50 = 1, SIGNAL_P99, SIGNAL_P999 };

/* anomaly.signals.<name>: enabled (default true), floor, and maybe p50/p99/p999. */
struct signal_config {
	const char *name;
	enum signal_unit unit; /* of the floor: SIGNAL_SECONDS takes a duration */
	const char *floor;     /* its default, as the file would say it */
	uint64_t floor_min, floor_max;
	bool quantiles; /* p50, p99, p999 switch the signals of those quantiles */
};

/* A metric family a signal is read from, and the labels that name its subject. */
struct signal_source {
	const char *family;
	enum signal_subject subject;
	/* The subject is "<label>:<value>", or "<label>:<value>/<label2's value>". */
	const char *label, *label2;
	/* Samples carry more labels that tell subjects apart (a span's own:
	 * venue, ...): the subject ends with them, "{name=value,...}" (le not). */
	bool other_labels;
};

/* Signals all the collectors declare together (the detector's table). */
#define SIGNAL_MAX_DECLARED 64
#define SIGNAL_MAX_SOURCES  2
#define SIGNAL_EVIDENCE	    2

struct signal_def {
	const char *name; /* the signal="" label of jitterd_anomaly */
	const struct signal_config *config;
	const char *words;			       /* "<subject>: <words> rose to ..." */
	enum signal_judgement judge;		       /* its values are in config->unit */
	struct signal_source from[SIGNAL_MAX_SOURCES]; /* the unused ones: family NULL */

	enum signal_quantile quantile; /* SIGNAL_QUANTILE */
	/*
	 * SIGNAL_SHARE_OF: the label and its two values. SIGNAL_RATE_OF: a
	 * label `by` makes each sample's increase a number of the evidence,
	 * named by its value of by.
	 */
	const char *by, *of, *vs;
	/*
	 * The names of the numbers the anomaly event shows as evidence, by
	 * judgement: RATE_OF without by: {increase}; TIME_SHARE: {seconds};
	 * WAIT_SHARE: {waits, seconds waited}; QUANTILE, MAX: {values}.
	 */
	const char *evidence[SIGNAL_EVIDENCE];
	bool quantile_evidence; /* QUANTILE: p50, p99 and p99.9 (seconds) are evidence too */

	/*
	 * RATE_OF and TIME_SHARE of a family split by a label (the noise
	 * collector's kind): only the samples whose value of only_label is in
	 * only (NULL-terminated) make the value, "the IPI kinds of cpu:5";
	 * with `by`, those in also_shown are evidence beside them but not
	 * counted (a TLB shootdown, which arrives inside a call_function IPI
	 * already counted). A subject with none of them is not judged.
	 */
	const char *only_label;
	const char *const *only, *const *also_shown;

	/*
	 * Attribution. cpu_time_cause: its excess on a CPU is CPU time taken
	 * from the tasks there, a cause (of this kind) of their waits; named
	 * cause_name, or by the subject's label2 value. evidence_causes: each
	 * of its by-evidence numbers is a cause of this kind ("<n>
	 * <cause_words> <value>").
	 */
	const char *cpu_time_cause, *cause_name;
	const char *evidence_causes, *cause_words;
};

static inline bool signal_list_has(const char *const *list, const char *value)
{
	for (; list && *list; list++)
		if (!strcmp(*list, value))
			return true;
	return false;
}

/* Whether a sample whose only_label is value counts in d's value. */
static inline bool signal_counts(const struct signal_def *d, const char *value)
{
	return !d->only || signal_list_has(d->only, value);
}

/*
 * The hook for outlier waits: a wait_ns long wait for a CPU on cpu, of a
 * task of workload (1-based place in the config's workloads, 0 for none),
 * that ended when culprit (a comm) gave the CPU up. The detector puts the
 * waits of an interval down to who held the CPU. Called on the daemon's
 * thread; a no-op while the detector is off.
 */
void anomaly_note_outlier(unsigned cpu, unsigned workload, const char *culprit, uint64_t wait_ns);

#endif
