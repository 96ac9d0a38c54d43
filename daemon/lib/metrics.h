/* SPDX-License-Identifier: MIT */
/*
 * Metric registry and encoder: the Prometheus text format (0.0.4), and
 * OpenMetrics 1.0 for scrapers that ask for it.
 *
 * A scrape builds a fresh registry: each collector names its families and
 * adds samples; the encoder writes them out. Collectors never print text.
 * Families come out sorted by name, samples in the order they were added.
 * Values stay integers (counts, nanoseconds, bytes) until encoding so that
 * counters and histogram sums are written exactly.
 */
#ifndef JD_METRICS_H
#define JD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

enum metric_unit {
	METRIC_UNIT_NONE,    /* written as is (counts, bytes) */
	METRIC_UNIT_SECONDS, /* stored in ns, written as exact decimal seconds */
};

/*
 * Power-of-two histogram: bucket i holds values <= 2^(first_log2 + i)
 * (in the stored unit), except the last, which is the overflow (+Inf)
 * bucket. Counts are per bucket, not cumulative; the encoder accumulates.
 */
struct metric_hist {
	const unsigned long long *buckets; /* the type of BPF-side __u64 counters */
	unsigned n_buckets;		   /* including the overflow bucket */
	unsigned first_log2;
	uint64_t sum;
};

struct metrics;
struct metric_family;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* Forget all families and samples, keep the memory for the next scrape. */
void metrics_clear(struct metrics *m);

/*
 * Find or create a family. Asking twice for the same name returns the same
 * family; asking with a different type or unit is a programming error and
 * returns NULL (samples added to NULL are ignored and logged once).
 */
struct metric_family *metrics_family(struct metrics *m, const char *name, const char *help,
				     enum metric_type type, enum metric_unit unit);

/*
 * Labels are given as name, value pairs ended by LABELS_END. In a
 * METRIC_UNIT_SECONDS family every value is in nanoseconds, doubles too.
 */
/*
 * The end of a label list. A bare NULL may be a plain 0 (an int) where
 * va_arg reads a pointer, which is undefined behaviour; this is a pointer.
 */
#define LABELS_END ((const char *)NULL)

void metric_u64(struct metric_family *f, uint64_t value, ...) __attribute__((sentinel));
void metric_double(struct metric_family *f, double value, ...) __attribute__((sentinel));
void metric_hist(struct metric_family *f, const struct metric_hist *h, ...)
	__attribute__((sentinel));

/*
 * Reading a registry back (the anomaly detector reads what a scrape would
 * show, so that there is one source of numbers). A view is valid until the
 * registry changes.
 */
struct metric_sample_view {
	const char *labels; /* as encoded: `name="value",...`, without braces */
	size_t labels_len;
	enum metric_type type;
	double value;		 /* scalars: u64 or double samples (seconds families: ns) */
	struct metric_hist hist; /* histograms: per-bucket counts, not cumulative */
};

/* Calls fn for each sample of the family called name, in the order added.
 * Returns how many, or -ENOENT when there is no such family. */
int metrics_each_sample(const struct metrics *m, const char *name,
			void (*fn)(const struct metric_sample_view *s, void *arg), void *arg);
/* The value of label name, unescaped, into out. 0, -ENOENT or -ENOSPC. */
int metric_sample_label(const struct metric_sample_view *s, const char *name, char *out,
			size_t size);

enum metrics_format {
	METRICS_TEXT,	     /* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* Append the text exposition (0.0.4) to out. Returns 0, or -ENOMEM. */
int metrics_encode(const struct metrics *m, struct buf *out);
/*
 * The same in either format. OpenMetrics names a counter's family without
 * its _total (the sample keeps it), states a # UNIT where the name ends in
 * one (_seconds, _bytes), escapes quotes in HELP and ends with # EOF.
 */
int metrics_encode_as(const struct metrics *m, struct buf *out, enum metrics_format format);
/*
 * The format that a scraper's Accept header (NULL when absent) asks for,
 * and its Content-Type: the text format unless OpenMetrics is rated higher
 * (Prometheus asks for OpenMetrics 1.0.0 at q=1, 0.0.1 at 0.75, text at 0.5).
 */
const char *metrics_negotiate(const char *accept, enum metrics_format *format);

/* Writes ns as exact decimal seconds ("0.000000128", "2.5"). */
void metrics_format_seconds(struct buf *out, uint64_t ns);

#endif
