/* SPDX-License-Identifier: MIT */
/* What bpf/softirq.bpf.c and daemon/softirq.c share. */
#ifndef JD_SOFTIRQ_H
#define JD_SOFTIRQ_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "events.h"
#include "hist.h"

/* The kernel's softirq vectors (include/linux/interrupt.h), stable since 4.1. */
#define JD_NR_SOFTIRQS 10

/*
 * One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0), written only by that CPU.
 * The daemon copies each CPU's value in ascending address order, and a run
 * is counted (at entry) before it is added to the histograms (at exit):
 * keeping `count` last means a scrape never sees more histogram samples than
 * counted runs.
 */
struct jd_softirq_cpu {
	/* Per-run state, not exported. 0 = no stamp. */
	__u64 entry_ns[JD_NR_SOFTIRQS]; /* softirq_entry of the run in progress */
	__u64 raise_ns[JD_NR_SOFTIRQS]; /* first softirq_raise not yet handled */
	__u64 hardirq_entry_ns;		/* irq_handler_entry of the handler in progress */
	__u64 hardirq_in_softirq_ns;	/* handler time since the last softirq_entry */

	struct jd_hist_ns duration[JD_NR_SOFTIRQS]; /* entry -> exit, handler time taken out */
	struct jd_hist_ns latency[JD_NR_SOFTIRQS];  /* first raise -> entry */
	__u64 time_ns[JD_NR_SOFTIRQS];		    /* sum of durations */
	__u64 hardirq_ns;
	__u64 hardirqs;		     /* handler runs: one per action of a shared line */
	__u64 count[JD_NR_SOFTIRQS]; /* softirq_entry, as /proc/softirqs counts */
};

/* JD_EVENT_SOFTIRQ: a run longer than events.softirq_duration_threshold. */
struct jd_softirq_event {
	struct jd_event_hdr hdr; /* time_ns: when the run ended */
	__u64 duration_ns;	 /* as in the duration histogram */
	__u64 hardirq_ns;	 /* interrupt handler time taken out of it */
	__u32 vector;
	__u32 pad;
};

#endif
