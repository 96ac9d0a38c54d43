/* SPDX-License-Identifier: MIT */
/*
 * The events ring as a BPF object sees it. The daemon replaces these maps
 * with one shared ring (and one drop counter) before loading any object.
 * Submits never wake the daemon (BPF_RB_NO_WAKEUP): it drains on its own
 * timer from a housekeeping CPU, so isolated CPUs never send it an IPI.
 */
#ifndef JD_EVENTS_BPF_H
#define JD_EVENTS_BPF_H

#include <bpf/bpf_helpers.h>

#include "event.h"

/* The collector's place in the daemon's table: set before load. */
const volatile __u8 jd_collector_id;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Reservation failures, per CPU: jitterd_ringbuf_dropped_events_total. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} events_dropped SEC(".maps");

/* size must be a compile-time constant (sizeof the event struct). */
static __always_inline void *event_reserve(__u32 size, __u8 type)
{
	struct jd_event_hdr *h = bpf_ringbuf_reserve(&events, size, 0);

	if (!h) {
		__u32 zero = 0;
		__u64 *dropped = bpf_map_lookup_elem(&events_dropped, &zero);

		if (dropped)
			(*dropped)++;
		return NULL;
	}
	h->time_ns = bpf_ktime_get_ns();
	h->cpu = bpf_get_smp_processor_id();
	h->collector = jd_collector_id;
	h->type = type;
	h->len = size;
	return h;
}

static __always_inline void event_submit(void *e)
{
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

#endif
