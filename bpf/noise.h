/* SPDX-License-Identifier: MIT */
/* What bpf/noise.bpf.c and daemon/collectors/noise.c share. */
#ifndef JD_NOISE_H
#define JD_NOISE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "event.h"
#include "hist_slots.h"

/*
 * The kinds of interruption, each from its own tracepoints. The vectors
 * (irq_vectors:*_entry/exit) are x86's; the kinds are named for what they
 * do, so that another architecture's hooks can count into the same ones.
 */
enum jd_noise_kind {
	JD_NOISE_TIMER,		/* local_timer: the tick and every hrtimer expiry */
	JD_NOISE_RESCHEDULE,	/* reschedule IPI */
	JD_NOISE_CALL_FUNCTION, /* smp_call_function*() to many CPUs */
	JD_NOISE_CALL_SINGLE,	/* smp_call_function_single() and friends */
	JD_NOISE_IRQ_WORK,	/* irq_work self-IPI */
	JD_NOISE_PLATFORM,	/* x86_platform_ipi (Hyper-V, UV, posted interrupts) */
	JD_NOISE_THERMAL,	/* thermal_apic */
	JD_NOISE_SPURIOUS,	/* spurious_apic */
	JD_NOISE_ERROR,		/* error_apic */
	JD_NOISE_NMI,		/* nmi_handler: one per handler run, its own delta_ns */
	JD_NOISE_TLB,		/* tlb_flush of a shootdown received: counted, not timed */
	JD_NOISE_KINDS
};

/* Per CPU and kind. The first line holds what every interruption touches. */
struct jd_noise_count {
	__u64 count;
	__u64 ns; /* also the sum of the duration histogram */
	__u64 duration[JD_HIST_NS_SLOTS];
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0), written only by that CPU. */
struct jd_noise_cpu {
	/*
	 * The vector in progress: entry stamp (0 = none) and kind. Vector
	 * handlers run with interrupts off and do not nest; an NMI inside one
	 * uses no stamp (nmi_handler brings its own duration).
	 */
	__u64 entry_ns;
	__u32 entry_kind;
	__u32 pad;
	struct jd_noise_count kind[JD_NOISE_KINDS];
};

/* The events of this collector (jd_event_hdr.type). */
enum jd_noise_event_type {
	JD_NOISE_EVENT_LONG, /* struct jd_noise_event */
};

/* JD_NOISE_EVENT_LONG: an interruption longer than events.interruption_threshold. */
struct jd_noise_event {
	struct jd_event_hdr hdr; /* time_ns: when it ended; cpu: the CPU interrupted */
	__u64 duration_ns;
	__u32 kind; /* enum jd_noise_kind */
	__u32 pad;
};

#endif
