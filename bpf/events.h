/* SPDX-License-Identifier: MIT */
/*
 * Notable events, shared by the BPF programs and the daemon. Every event
 * starts with a jd_event_hdr; the type says which collector's struct follows.
 */
#ifndef JD_EVENTS_H
#define JD_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum jd_event_type {
	JD_EVENT_RUNQ_LATENCY = 1, /* sched: a run-queue wait over the threshold */
	JD_EVENT_SOFTIRQ,	   /* softirq: a handler over the threshold */
	JD_EVENT_SOCKET_DROP,	   /* sockets: a drop in a tracked class */
	JD_EVENT_TASK,		   /* sched: a task's identity changed (exec, rename) */
	JD_EVENT_TYPES,
};

struct jd_event_hdr {
	__u64 time_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 cpu;
	__u16 type;
	__u16 len; /* of the whole event, header included */
};

#endif
