/* SPDX-License-Identifier: MIT */
/* Daemon side of bpf/hist_slots.h: fold per-CPU histograms, describe them. */
#ifndef JD_DAEMON_HIST_H
#define JD_DAEMON_HIST_H

#include <stddef.h>

#include "bpf/hist_slots.h"
#include "lib/metrics.h"

/* dst += src, for any struct jd_hist_<unit>. */
#define HIST_MERGE(dst, src)                                                                       \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < sizeof((dst)->slots) / sizeof((dst)->slots[0]); i_++)     \
			(dst)->slots[i_] += (src)->slots[i_];                                      \
		(dst)->sum += (src)->sum;                                                          \
	} while (0)

/* A view of any struct jd_hist_<unit> for metric_hist(). */
#define HIST_METRIC(h, first)                                                                      \
	((struct metric_hist){ .buckets = (h)->slots,                                              \
			       .n_buckets = sizeof((h)->slots) / sizeof((h)->slots[0]),            \
			       .first_log2 = (first),                                              \
			       .sum = (h)->sum })

static inline void hist_ns_merge(struct jd_hist_ns *dst, const struct jd_hist_ns *src)
{
	HIST_MERGE(dst, src);
}

/* A view for metric_hist() in a METRIC_UNIT_SECONDS family. */
static inline struct metric_hist hist_ns_metric(const struct jd_hist_ns *h)
{
	return HIST_METRIC(h, JD_HIST_NS_FIRST_LOG2);
}

static inline void hist_bytes_merge(struct jd_hist_bytes *dst, const struct jd_hist_bytes *src)
{
	HIST_MERGE(dst, src);
}

/* A view for metric_hist() in a METRIC_UNIT_NONE family (bytes). */
static inline struct metric_hist hist_bytes_metric(const struct jd_hist_bytes *h)
{
	return HIST_METRIC(h, JD_HIST_BYTES_FIRST_LOG2);
}

#endif
