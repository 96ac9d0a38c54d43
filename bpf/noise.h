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

/*
 * Who sent an IPI, as its sender recorded it for the CPU it targets
 * (noise_senders: an array of JD_NOISE_SENDER_SLOTS per possible CPU,
 * written by the sending CPU, taken by the receiving vector's entry).
 * time_ns 0: none recorded since the last one was taken.
 */
struct jd_noise_sender {
	__u64 time_ns;	/* when it was sent (bpf_ktime_get_ns) */
	__u64 callsite; /* the kernel code that sent it (ipi_send_cpu's callsite) */
	__u64 callback; /* the function it asks for (NULL for a reschedule) */
	__u32 cpu;	/* the sending CPU */
	__u32 pid;	/* the task that was current there (thread id) */
	__u32 tgid;
	__u32 pad;
	char comm[16];
};

/* A slot per target CPU and kind of request: a reschedule or a function call. */
#define JD_NOISE_SENDER_SLOTS  2
#define JD_NOISE_MAX_CPU_WORDS 16 /* cpumasks read up to 1024 CPUs */

/*
 * An attributed IPI's cause (noise_causes, a per-CPU hash of at most
 * JD_NOISE_CAUSES, each CPU's value what it received): kind, sender
 * process and code, and the function the IPI ran.
 */
#define JD_NOISE_CAUSES 1024
struct jd_noise_cause {
	__u64 callsite;
	__u64 function; /* the first csd function run in the vector, else the callback */
	__u32 tgid;
	__u32 kind;
	char comm[16];
};

struct jd_noise_cause_count {
	__u64 count;
	__u64 ns;
};

/*
 * The first causes a CPU sees are counted in its own value (a slot found
 * from a hash of the key, JD_NOISE_CAUSE_PROBES places tried): no second
 * map lookup and no jhash on the hot path. A cause that finds no place
 * goes to noise_causes. count 0: a free slot.
 */
#define JD_NOISE_CPU_CAUSES   32 /* a power of 2 */
#define JD_NOISE_CAUSE_PROBES 4
struct jd_noise_cause_slot {
	struct jd_noise_cause key;
	struct jd_noise_cause_count n;
};

/* Per CPU and kind. The first line holds what every interruption touches. */
struct jd_noise_count {
	__u64 count;
	__u64 ns; /* also the sum of the duration histogram */
	__u64 duration[JD_HIST_NS_SLOTS];
};

/*
 * Why the tick kept running on a nohz_full CPU: timer:tick_stop's
 * dependency (one bit of the kernel's TICK_DEP_MASK_*, the first it found),
 * JD_NOISE_TICK_DEPS - 1 for a bit the kernel added since.
 */
enum jd_noise_tick_dep {
	JD_NOISE_DEP_POSIX_TIMER,
	JD_NOISE_DEP_PERF_EVENTS,
	JD_NOISE_DEP_SCHED,
	JD_NOISE_DEP_CLOCK_UNSTABLE,
	JD_NOISE_DEP_RCU,
	JD_NOISE_DEP_RCU_EXP,
	JD_NOISE_DEP_OTHER,
	JD_NOISE_TICK_DEPS
};

/*
 * The tasks that ran on a watched CPU (collectors.noise.tasks_on_cpus)
 * and belong to no workload (noise_tasks, a per-CPU hash of at most
 * JD_NOISE_TASKS): by comm and, for a kworker, its first work function.
 */
#define JD_NOISE_TASKS 1024
struct jd_noise_task_key {
	char comm[16];
	__u64 function;
};

/* Followed threads (noise_followed: tid -> 1 + workload index), at most: */
#define JD_NOISE_FOLLOWED  8192
#define JD_NOISE_WORKLOADS 32 /* = JD_MAX_WORKLOADS */

/* Interruptions of a workload's running threads (noise_workload, per CPU, by workload index). */
struct jd_noise_workload {
	__u64 count;
	__u64 ns;
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
	/*
	 * The vector in progress: its sender (time_ns 0: none), the first
	 * function it ran (a csd function; a timer's first hrtimer callback).
	 */
	struct jd_noise_sender from;
	__u64 function;
	/* tick_stop: failures by dependency; the last one's, +1 (0: the last stopped it). */
	__u64 tick_kept[JD_NOISE_TICK_DEPS];
	__u32 tick_dep;
	__u32 pad2;
	/*
	 * The task running here since run_start (sched_switch): its workload
	 * (1 + index, 0: none), whether its run is noise (no workload's, on a
	 * watched CPU), and a kworker's first work function.
	 */
	__u64 run_start;
	__u64 run_function;
	__u32 run_workload;
	__u32 run_noise;
	__u32 run_pid;
	__u32 run_tgid;
	char run_comm[16];
	struct jd_noise_cause_slot cause[JD_NOISE_CPU_CAUSES];
	struct jd_noise_count kind[JD_NOISE_KINDS];
};

/* The events of this collector (jd_event_hdr.type). */
enum jd_noise_event_type {
	JD_NOISE_EVENT_LONG, /* struct jd_noise_event */
	JD_NOISE_EVENT_TASK, /* struct jd_noise_task_event */
};

/* JD_NOISE_EVENT_TASK: a run longer than the threshold of a task of no workload on a watched CPU.
 */
struct jd_noise_task_event {
	struct jd_event_hdr hdr; /* time_ns: when it ended; cpu: where it ran */
	__u64 duration_ns;
	__u64 function; /* a kworker's first work function, 0: none */
	__u32 pid;
	__u32 tgid; /* 0: not known (the classic tracepoint's) */
	char comm[16];
};

/* JD_NOISE_EVENT_LONG: an interruption longer than events.interruption_threshold. */
struct jd_noise_event {
	struct jd_event_hdr hdr; /* time_ns: when it ended; cpu: the CPU interrupted */
	__u64 duration_ns;
	__u32 kind; /* enum jd_noise_kind */
	__u32 pad;
	struct jd_noise_sender from; /* an IPI's sender; time_ns 0: not known */
	__u64 function;		     /* the function it ran (csd, hrtimer), 0: not seen */
	__u32 tick_dep;		     /* a timer's: the CPU's tick_dep then */
	__u32 pad2;
};

#endif
