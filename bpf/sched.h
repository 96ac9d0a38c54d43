/* SPDX-License-Identifier: MIT */
/* What bpf/sched.bpf.c and daemon/collectors/sched.c share. */
#ifndef JD_SCHED_H
#define JD_SCHED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "event.h"
#include "hist_slots.h"

#define JD_COMM_LEN	       16 /* the kernel's TASK_COMM_LEN, NUL included */
#define JD_SCHED_MAX_WORKLOADS 32 /* slots of workload_stats: config.h's JD_MAX_WORKLOADS */

enum jd_ctxsw_kind {
	JD_CTXSW_VOLUNTARY,   /* prev blocked */
	JD_CTXSW_INVOLUNTARY, /* prev still runnable: preempted or yielded */
	JD_CTXSW_IDLE,	      /* prev was the idle task */
	JD_CTXSW_KINDS,
};

/*
 * sched_info path, one per CPU (BPF_MAP_TYPE_ARRAY, key: the CPU), written
 * under that CPU's run-queue lock (by whichever CPU wakes a task onto it):
 * a wakeup asked the scheduler to skip its next rq clock update
 * (rq_clock_skip_update), so the rq clock at the next switch there is
 * stale and that switch reads the time. clock/ktime: the rq clock and
 * bpf_ktime_get_ns() read together, to put a ktime on the rq clock's scale.
 * A cache line each: CPUs write their own.
 */
struct jd_rq_clock {
	__u64 clock;
	__u64 ktime;
	__u32 pending;
	__u32 pad;
	__u64 pad2[5];
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0): written only by that CPU. */
struct jd_sched_cpu {
	__u64 ctxsw[JD_CTXSW_KINDS];
	/* Waits at or over the threshold, counted here so that a full ring
	 * does not make them fewer. */
	__u64 runq_outliers;
	/* The task now on this CPU: when it got the CPU (0 = not known yet;
	 * the rq clock on the sched_info path, else ktime) and its workload,
	 * so that its switch-out needs no lookup. */
	__u64 running_since_ns;
	__u32 running_workload;
	__u32 pad;
	/* Run-queue latency of the tasks this CPU picked. */
	struct jd_hist_ns runq;
};

/* Per workload, per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key workload - 1: its slot). */
struct jd_workload_stats {
	__u64 ctxsw[JD_CTXSW_IDLE]; /* voluntary, involuntary */
	struct jd_hist_ns runq;
};

/*
 * Per task (task local storage, or a hash keyed by pid). The daemon writes
 * the workload (with clock_ns 0: it never writes a time); BPF keeps
 * clock_ns and hands the workload on at fork.
 */
struct jd_task {
	/* Stamping path: when it became runnable (0 = not waiting). sched_info
	 * path: 1 + its sched_info.run_delay as of its last arrival on a CPU
	 * (0 = not seen yet), so that a wait the kernel split at a migration
	 * is still one sample. */
	__u64 clock_ns;
	__u32 workload; /* 1 + the workload's slot (daemon/probes/slots.h); 0 = none */
	__u32 pad;
};

/* The events of this collector (jd_event_hdr.type). */
enum jd_sched_event {
	JD_SCHED_EVENT_RUNQ_LATENCY, /* struct jd_runq_event */
	JD_SCHED_EVENT_TASK,	     /* struct jd_task_event */
};

/* JD_SCHED_EVENT_RUNQ_LATENCY: a wait at or over events.runqueue_latency_threshold. */
struct jd_runq_event {
	struct jd_event_hdr hdr; /* time: when the task got the CPU */
	__u64 latency_ns;
	/* How long prev had held this CPU when it gave it up; 0 = not known. */
	__u64 prev_ran_ns;
	__u32 pid;
	__u32 prev_pid; /* the task switched out for it: who held the CPU last */
	__u32 workload;
	__u32 pad;
	char comm[JD_COMM_LEN];
	char prev_comm[JD_COMM_LEN];
};

enum jd_task_change {
	JD_TASK_EXEC = 1,
	JD_TASK_RENAME,
	JD_TASK_CGROUP, /* moved to another cgroup (the whole thread group, or one thread) */
	JD_TASK_FORK,	/* a new process whose parent is in no workload */
};

/* JD_SCHED_EVENT_TASK: a task that may now belong to another workload. */
struct jd_task_event {
	struct jd_event_hdr hdr;
	__u32 pid;
	__u32 tgid;	/* 0 when the hook does not say */
	__u32 change;	/* enum jd_task_change */
	__u32 workload; /* what it belongs to now, as BPF knows it */
	char comm[JD_COMM_LEN];
};

#endif
