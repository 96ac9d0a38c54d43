// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Calibration for scripts/bench/softirq.sh: an empty tp_btf program on each
 * hook of the softirq collector, so that its per-program cost is quoted
 * next to the floor this machine puts under any program on the same hooks.
 * Names are empty_<short hook name> (15 characters at most).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/softirq_raise")
int BPF_PROG(empty_si_raise)
{
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(empty_si_entry)
{
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(empty_si_exit)
{
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(empty_irq_entry)
{
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(empty_irq_exit)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
