// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Calibration for scripts/bench/noise.sh: an empty tp_btf program on each
 * hook of the noise collector that its IPI load fires (sched_switch and
 * workqueue_execute_start are left out: they are loaded only with
 * workloads or tasks_on_cpus), so that its per-program cost is quoted next
 * to the floor this machine puts under any program on the same hooks.
 * Names are empty_<short hook name> (15 characters at most).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/local_timer_entry")
int BPF_PROG(empty_lt_in)
{
	return 0;
}

SEC("tp_btf/local_timer_exit")
int BPF_PROG(empty_lt_out)
{
	return 0;
}

SEC("tp_btf/reschedule_entry")
int BPF_PROG(empty_res_in)
{
	return 0;
}

SEC("tp_btf/reschedule_exit")
int BPF_PROG(empty_res_out)
{
	return 0;
}

SEC("tp_btf/call_function_entry")
int BPF_PROG(empty_cf_in)
{
	return 0;
}

SEC("tp_btf/call_function_exit")
int BPF_PROG(empty_cf_out)
{
	return 0;
}

SEC("tp_btf/call_function_single_entry")
int BPF_PROG(empty_cfs_in)
{
	return 0;
}

SEC("tp_btf/call_function_single_exit")
int BPF_PROG(empty_cfs_out)
{
	return 0;
}

SEC("tp_btf/nmi_handler")
int BPF_PROG(empty_nmi)
{
	return 0;
}

SEC("tp_btf/tlb_flush")
int BPF_PROG(empty_tlb)
{
	return 0;
}

SEC("tp_btf/csd_function_entry")
int BPF_PROG(empty_csd)
{
	return 0;
}

SEC("tp_btf/ipi_send_cpu")
int BPF_PROG(empty_ipi_cpu)
{
	return 0;
}

SEC("tp_btf/ipi_send_cpumask")
int BPF_PROG(empty_ipi_mask)
{
	return 0;
}

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(empty_hrtimer)
{
	return 0;
}

SEC("tp_btf/tick_stop")
int BPF_PROG(empty_tick_stop)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
