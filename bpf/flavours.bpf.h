/* SPDX-License-Identifier: MIT */
/*
 * One program per attach flavour of a hook. The daemon's probe layer finds
 * a hook's programs by the suffix of their names (<hook>_si, _btf, _raw, _tp,
 * _fentry, _kprobe), so these macros name them and nothing else does:
 * grep for the hook, not for the program's full name.
 *
 * tp_btf, raw_tp and fentry programs get the hook's arguments as declared
 * in args (and ctx, the raw argument array); a classic tracepoint gets its
 * record as ctx. Only tp_btf and fentry pointers may be loaded through
 * directly: the others go through bpf_probe_read_kernel().
 */
#ifndef JD_FLAVOURS_BPF_H
#define JD_FLAVOURS_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define PROG_TP_BTF(hook, event, args...) SEC("tp_btf/" #event) int BPF_PROG(hook##_btf, ##args)
/* A tp_btf program that reads the scheduler's sched_info clocks (probe.h). */
#define PROG_SCHED_INFO(hook, event, args...) SEC("tp_btf/" #event) int BPF_PROG(hook##_si, ##args)
#define PROG_RAW_TP(hook, event, args...)     SEC("raw_tp/" #event) int BPF_PROG(hook##_raw, ##args)
#define PROG_TRACEPOINT(hook, system, event, record)                                               \
	SEC("tracepoint/" #system "/" #event) int hook##_tp(struct record *ctx)
#define PROG_FENTRY(hook, func, args...) SEC("fentry/" #func) int BPF_PROG(hook##_fentry, ##args)
#define PROG_KPROBE(hook, func, args...) SEC("kprobe/" #func) int BPF_KPROBE(hook##_kprobe, ##args)

#endif
