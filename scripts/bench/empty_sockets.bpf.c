// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Calibration for scripts/bench/sockets.sh: an empty tp_btf program on each
 * hook of the sockets collector (names: empty_ + what the hook sees).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sk_data_ready")
int BPF_PROG(empty_readable)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_send)
{
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(empty_ack)
{
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(empty_drop)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
