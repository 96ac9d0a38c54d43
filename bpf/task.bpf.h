/* SPDX-License-Identifier: MIT */
/* CO-RE access to task_struct fields that were renamed across kernels. */
#ifndef JD_TASK_BPF_H
#define JD_TASK_BPF_H

#include <bpf/bpf_core_read.h>

/* task_struct::state became __state in 5.14. */
struct task_struct___pre_5_14 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre_5_14 *)t, state);
}

#endif
