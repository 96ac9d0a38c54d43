// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Calibration for the benchmarks: an empty tp_btf program on each hook that
 * the sched collector uses on the scheduler's hot path, so that each figure
 * is quoted next to the floor that this machine, today, puts under any
 * program on the same hook. Names: empty_<hook without "sched_">, cut to
 * the 15 characters a program name may have (overhead.sh maps them back).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_switch)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(empty_wakeup)
{
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(empty_wakeup_ne)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
