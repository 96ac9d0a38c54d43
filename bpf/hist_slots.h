/* SPDX-License-Identifier: MIT */
/*
 * Power-of-two histograms shared by BPF programs and the daemon. Bucket i
 * counts values <= 2^(first_log2 + i); the last bucket is the overflow.
 * Latencies start at 128 ns (2^7) and end at ~1.07 s (2^30): microsecond
 * resolution is what these hosts need, not 1 us as the first bucket.
 * Queue depths in bytes start at 64 B (less than one small datagram's
 * truesize) and end at 128 MiB (beyond any socket buffer the sysctls allow
 * by default).
 */
#ifndef JD_HIST_SLOTS_H
#define JD_HIST_SLOTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define JD_HIST_NS_FIRST_LOG2 7
#define JD_HIST_NS_LAST_LOG2  30
#define JD_HIST_NS_SLOTS      (JD_HIST_NS_LAST_LOG2 - JD_HIST_NS_FIRST_LOG2 + 2)

struct jd_hist_ns {
	__u64 slots[JD_HIST_NS_SLOTS];
	__u64 sum;
};

#define JD_HIST_BYTES_FIRST_LOG2 6
#define JD_HIST_BYTES_LAST_LOG2	 27
#define JD_HIST_BYTES_SLOTS	 (JD_HIST_BYTES_LAST_LOG2 - JD_HIST_BYTES_FIRST_LOG2 + 2)

struct jd_hist_bytes {
	__u64 slots[JD_HIST_BYTES_SLOTS];
	__u64 sum;
};

#endif
