// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Calibration for the benchmarks: an empty tp_btf program on each hook that
 * jitterd uses, so that each figure is quoted next to the floor that this
 * machine, today, puts under any program on the same hook.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_switch)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
