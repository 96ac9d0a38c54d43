/* SPDX-License-Identifier: MIT */
#ifndef JD_HIST_BPF_H
#define JD_HIST_BPF_H

#include "hist_slots.h"

/* 1-based index of the highest set bit; 0 for 0. Branches, no loop. */
static __always_inline __u32 fls64(__u64 x)
{
	__u32 n = 0;

	if (x >= 1ull << 32) {
		x >>= 32;
		n += 32;
	}
	if (x >= 1ull << 16) {
		x >>= 16;
		n += 16;
	}
	if (x >= 1ull << 8) {
		x >>= 8;
		n += 8;
	}
	if (x >= 1ull << 4) {
		x >>= 4;
		n += 4;
	}
	if (x >= 1ull << 2) {
		x >>= 2;
		n += 2;
	}
	if (x >= 1ull << 1) {
		x >>= 1;
		n += 1;
	}
	return n + (__u32)x;
}

/* The bucket of v in a histogram whose first bucket ends at 2^first_log2. */
static __always_inline __u32 hist_slot(__u64 v, __u32 first_log2, __u32 slots)
{
	__u32 log2_ceil;

	if (v <= (1ull << first_log2))
		return 0;
	log2_ceil = fls64(v - 1);
	return log2_ceil - first_log2 < slots - 1 ? log2_ceil - first_log2 : slots - 1;
}

/*
 * Count v in a histogram given as its slots and its sum: those of a struct
 * jd_hist_<unit>, or a layout that keeps the sums apart from the slots.
 */
static __always_inline void hist_add(__u64 *slots, __u64 *sum, __u64 v, __u32 first_log2,
				     __u32 n_slots)
{
	__u32 i = hist_slot(v, first_log2, n_slots);

	/* The bound check keeps the verifier sure of the index. */
	if (i < n_slots)
		slots[i]++;
	*sum += v;
}

/* slots: JD_HIST_NS_SLOTS of them. */
static __always_inline void hist_ns_add_apart(__u64 *slots, __u64 *sum, __u64 ns)
{
	hist_add(slots, sum, ns, JD_HIST_NS_FIRST_LOG2, JD_HIST_NS_SLOTS);
}

static __always_inline void hist_ns_add(struct jd_hist_ns *h, __u64 ns)
{
	hist_ns_add_apart(h->slots, &h->sum, ns);
}

static __always_inline void hist_bytes_add(struct jd_hist_bytes *h, __u64 bytes)
{
	hist_add(h->slots, &h->sum, bytes, JD_HIST_BYTES_FIRST_LOG2, JD_HIST_BYTES_SLOTS);
}

#endif
