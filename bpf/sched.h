/* SPDX-License-Identifier: MIT */
/* What bpf/sched.bpf.c and daemon/sched.c share. */
#ifndef JD_SCHED_H
#define JD_SCHED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum jd_ctxsw_kind {
	JD_CTXSW_VOLUNTARY,   /* prev blocked */
	JD_CTXSW_INVOLUNTARY, /* prev still runnable: preempted or yielded */
	JD_CTXSW_IDLE,	      /* prev was the idle task */
	JD_CTXSW_KINDS,
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0): written only by that CPU. */
struct jd_sched_cpu {
	__u64 ctxsw[JD_CTXSW_KINDS];
};

#endif
