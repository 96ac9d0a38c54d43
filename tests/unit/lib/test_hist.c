// SPDX-License-Identifier: MIT
/* The BPF side's bucket math, compiled for user space. */
#include <check.h>
#include <linux/types.h>

/* What bpf_helpers.h defines for the BPF side, which this build lacks. */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#include "bpf/hist.bpf.h"
#include "check_main.h"
#include "lib/hist.h"

static __u32 slot(__u64 ns)
{
	return hist_slot(ns, JD_HIST_NS_FIRST_LOG2, JD_HIST_NS_SLOTS);
}

START_TEST(values_up_to_128ns_land_in_the_first_bucket)
{
	ck_assert_uint_eq(slot(0), 0);
	ck_assert_uint_eq(slot(1), 0);
	ck_assert_uint_eq(slot(128), 0);
}
END_TEST

START_TEST(each_bucket_includes_its_upper_bound)
{
	for (unsigned i = 1; i < JD_HIST_NS_SLOTS - 1; i++) {
		__u64 le = 1ull << (JD_HIST_NS_FIRST_LOG2 + i);

		ck_assert_uint_eq(slot(le), i);
		ck_assert_uint_eq(slot(le / 2 + 1), i);
	}
}
END_TEST

START_TEST(values_beyond_2_pow_30_ns_overflow)
{
	ck_assert_uint_eq(slot(1ull << 30), JD_HIST_NS_SLOTS - 2);
	ck_assert_uint_eq(slot((1ull << 30) + 1), JD_HIST_NS_SLOTS - 1);
	ck_assert_uint_eq(slot(~0ull), JD_HIST_NS_SLOTS - 1);
}
END_TEST

START_TEST(fls64_finds_the_highest_bit)
{
	ck_assert_uint_eq(fls64(0), 0);
	ck_assert_uint_eq(fls64(1), 1);
	ck_assert_uint_eq(fls64(0x80), 8);
	ck_assert_uint_eq(fls64(1ull << 63), 64);
	ck_assert_uint_eq(fls64(~0ull), 64);
}
END_TEST

START_TEST(add_and_merge_keep_an_exact_sum)
{
	struct jd_hist_ns a = {}, b = {};

	hist_ns_add(&a, 100);
	hist_ns_add(&a, 1000);
	hist_ns_add(&b, 5000000000ull);
	hist_ns_merge(&a, &b);
	ck_assert_uint_eq(a.sum, 5000001100ull);
	ck_assert_uint_eq(a.slots[0], 1);
	ck_assert_uint_eq(a.slots[3], 1); /* 1000 <= 1024 = 2^10 */
	ck_assert_uint_eq(a.slots[JD_HIST_NS_SLOTS - 1], 1);
}
END_TEST

START_TEST(byte_buckets_run_from_64_bytes_to_128_mib)
{
	struct jd_hist_bytes a = {}, b = {};
	struct metric_hist m;

	hist_bytes_add(&a, 64);
	hist_bytes_add(&a, 65);
	hist_bytes_add(&a, 128ull << 20);
	hist_bytes_add(&b, (128ull << 20) + 1);
	hist_bytes_merge(&a, &b);
	ck_assert_uint_eq(a.slots[0], 1);
	ck_assert_uint_eq(a.slots[1], 1);
	ck_assert_uint_eq(a.slots[JD_HIST_BYTES_SLOTS - 2], 1);
	ck_assert_uint_eq(a.slots[JD_HIST_BYTES_SLOTS - 1], 1);
	ck_assert_uint_eq(a.sum, 64 + 65 + (256ull << 20) + 1);
	m = hist_bytes_metric(&a);
	ck_assert_uint_eq(m.n_buckets, JD_HIST_BYTES_SLOTS);
	ck_assert_uint_eq(m.first_log2, 6);
	ck_assert_uint_eq(m.first_log2 + m.n_buckets - 2, 27); /* the last bound: 2^27 = 128 MiB */
}
END_TEST

static Suite *hist_suite(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("buckets");

	tcase_add_test(tc, values_up_to_128ns_land_in_the_first_bucket);
	tcase_add_test(tc, each_bucket_includes_its_upper_bound);
	tcase_add_test(tc, values_beyond_2_pow_30_ns_overflow);
	tcase_add_test(tc, fls64_finds_the_highest_bit);
	tcase_add_test(tc, add_and_merge_keep_an_exact_sum);
	tcase_add_test(tc, byte_buckets_run_from_64_bytes_to_128_mib);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(hist_suite)
