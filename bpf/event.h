/* SPDX-License-Identifier: MIT */
/*
 * Notable events, shared by the BPF programs and the daemon. Every event
 * starts with a jd_event_hdr: `collector` is the collector's place in the
 * daemon's table (set at load, see events.bpf.h), `type` its own event
 * number from bpf/<name>.h, which says which struct follows. No collector
 * needs to know another's events.
 */
#ifndef JD_EVENT_H
#define JD_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct jd_event_hdr {
	__u64 time_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 cpu;
	__u8 collector;
	__u8 type;
	__u16 len; /* of the whole event, header included */
};

#endif
