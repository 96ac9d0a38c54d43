// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Calibration for scripts/bench/netlat.sh: an empty tp_btf program on each
 * hook that collectors.sockets.latency uses (names: empty_ + the hook).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sk_data_ready")
int BPF_PROG(empty_readable)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_recv)
{
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(empty_devq)
{
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(empty_xstart)
{
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(empty_xdone)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
