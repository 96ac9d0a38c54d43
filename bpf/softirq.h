/* SPDX-License-Identifier: MIT */
/* What bpf/softirq.bpf.c and daemon/collectors/softirq.c share. */
#ifndef JD_SOFTIRQ_H
#define JD_SOFTIRQ_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "event.h"
#include "hist_slots.h"

/*
 * The kernel's softirq vectors (NR_SOFTIRQS in include/linux/interrupt.h):
 * the tracepoints' vec indexes this list. A vector that a later kernel adds
 * is not counted.
 */
#define JD_NR_SOFTIRQS 10

/*
 * Per CPU and vector. A run touches the first four fields and one slot of
 * each histogram; keeping them together matters because the exit program
 * runs after the handler has pushed these lines out of the cache. The
 * histograms are bpf/hist_slots.h's jd_hist_ns split in two: slots here, sums
 * in the header line.
 */
struct jd_softirq_vec {
	__u64 count;	    /* softirq_entry, as /proc/softirqs counts */
	__u64 raise_ns;	    /* first softirq_raise not yet handled, 0 = none */
	__u64 duration_sum; /* also the CPU's time in this vector */
	__u64 latency_sum;
	__u64 duration[JD_HIST_NS_SLOTS]; /* entry -> exit, handler time taken out */
	__u64 latency[JD_HIST_NS_SLOTS];  /* first raise -> entry */
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0), written only by that CPU. */
struct jd_softirq_cpu {
	/* Per-run state, not exported. 0 = no stamp. */
	__u64 entry_ns;	 /* softirq_entry of the run in progress */
	__u32 entry_vec; /* ... and its vector */
	__u32 pad;
	__u64 hardirq_in_softirq_ns; /* handler time since that softirq_entry */
	__u64 hardirq_entry_ns;	     /* irq_handler_entry of the handler in progress */
	__u64 hardirqs;		     /* handler runs: one per action of a shared line */
	__u64 hardirq_ns;
	struct jd_softirq_vec vec[JD_NR_SOFTIRQS];
};

/* The events of this collector (jd_event_hdr.type). */
enum jd_softirq_event_type {
	JD_SOFTIRQ_EVENT_LONG_RUN, /* struct jd_softirq_event */
	JD_HARDIRQ_EVENT_LONG_RUN, /* struct jd_hardirq_event */
};

/* JD_SOFTIRQ_EVENT_LONG_RUN: a run longer than events.softirq_duration_threshold. */
struct jd_softirq_event {
	struct jd_event_hdr hdr; /* time_ns: when the run ended */
	__u64 duration_ns;	 /* as in the duration histogram */
	__u64 hardirq_ns;	 /* interrupt handler time taken out of it */
	__u32 vector;
	__u32 pad;
};

/* JD_HARDIRQ_EVENT_LONG_RUN: a handler run longer than events.hardirq_duration_threshold. */
struct jd_hardirq_event {
	struct jd_event_hdr hdr; /* time_ns: when the handler returned */
	__u64 duration_ns;	 /* irq_handler_entry -> irq_handler_exit */
	__s32 irq;
	__u32 pad;
};

#endif
