/* SPDX-License-Identifier: MIT */
/* Daemon side of bpf/hist.h: fold per-CPU histograms, describe them. */
#ifndef JD_DAEMON_HIST_H
#define JD_DAEMON_HIST_H

#include "bpf/hist.h"
#include "metrics.h"

static inline void hist_ns_merge(struct jd_hist_ns *dst, const struct jd_hist_ns *src)
{
	for (int i = 0; i < JD_HIST_NS_SLOTS; i++)
		dst->slots[i] += src->slots[i];
	dst->sum += src->sum;
}

/* A view for metric_hist() in a METRIC_UNIT_SECONDS family. */
static inline struct metric_hist hist_ns_metric(const struct jd_hist_ns *h)
{
	return (struct metric_hist){ .buckets = h->slots,
				     .n_buckets = JD_HIST_NS_SLOTS,
				     .first_log2 = JD_HIST_NS_FIRST_LOG2,
				     .sum = h->sum };
}

#endif
