// SPDX-License-Identifier: MIT
#include <check.h>

#include "anomaly/baseline.h"
#include "check_main.h"
#include "core/config.h"

static float scratch[64];

static struct detector_params params(int method)
{
	return (struct detector_params){ .method = method,
					 .window = 32,
					 .warmup = 10,
					 .raise_after = 2,
					 .clear_after = 3,
					 .sensitivity = 8,
					 .floor = 10 };
}

/* Feeds x n times; returns the last change seen that is not DETECTOR_SAME. */
static enum detector_change feed(struct detector *d, struct baseline *b,
				 const struct detector_params *p, double x, int n)
{
	enum detector_change last = DETECTOR_SAME;

	while (n--) {
		enum detector_change c = detector_step(d, b, p, x, scratch);

		if (c != DETECTOR_SAME)
			last = c;
	}
	return last;
}

START_TEST(test_nothing_is_flagged_during_warmup)
{
	struct detector_params p = params(_i);
	struct baseline b;
	struct detector d = {};

	ck_assert_int_eq(baseline_init(&b, p.window), 0);
	ck_assert_int_eq(feed(&d, &b, &p, 1, 5), DETECTOR_SAME);
	ck_assert_int_eq(feed(&d, &b, &p, 1000, 4), DETECTOR_SAME);
	ck_assert(!d.active);
	baseline_free(&b);
}
END_TEST

START_TEST(test_a_step_over_the_floor_is_raised_after_raise_after_and_cleared)
{
	struct detector_params p = params(_i);
	struct baseline b;
	struct detector d = {};

	ck_assert_int_eq(baseline_init(&b, p.window), 0);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(detector_step(&d, &b, &p, 100 + i % 3, scratch), DETECTOR_SAME);
	ck_assert_int_eq(detector_step(&d, &b, &p, 200, scratch), DETECTOR_SAME);
	ck_assert_int_eq(detector_step(&d, &b, &p, 200, scratch), DETECTOR_RAISED);
	ck_assert(d.score >= 8);
	ck_assert(d.center > 99 && d.center < 103);
	/* A long fault is not learnt: still anomalous 40 intervals on. */
	ck_assert_int_eq(feed(&d, &b, &p, 200, 40), DETECTOR_SAME);
	ck_assert(d.active);
	ck_assert_int_eq(feed(&d, &b, &p, 101, 2), DETECTOR_SAME);
	ck_assert_int_eq(detector_step(&d, &b, &p, 101, scratch), DETECTOR_CLEARED);
	baseline_free(&b);
}
END_TEST

START_TEST(test_an_excess_under_the_floor_is_never_an_anomaly)
{
	struct detector_params p = params(_i);
	struct baseline b, b2;
	struct detector d = {}, d2 = {};

	ck_assert_int_eq(baseline_init(&b, p.window), 0);
	ck_assert_int_eq(baseline_init(&b2, p.window), 0);
	/* A flat signal has no deviation at all: the floor is what is left. */
	feed(&d, &b, &p, 0, 20);
	ck_assert_int_eq(feed(&d, &b, &p, 9.9, 2), DETECTOR_SAME);
	ck_assert(!d.active);
	feed(&d2, &b2, &p, 0, 20);
	ck_assert_int_eq(feed(&d2, &b2, &p, 10.1, 2), DETECTOR_RAISED);
	baseline_free(&b);
	baseline_free(&b2);
}
END_TEST

START_TEST(test_one_spike_is_not_raised)
{
	struct detector_params p = params(_i);
	struct baseline b;
	struct detector d = {};

	ck_assert_int_eq(baseline_init(&b, p.window), 0);
	feed(&d, &b, &p, 50, 20);
	ck_assert_int_eq(detector_step(&d, &b, &p, 5000, scratch), DETECTOR_SAME);
	ck_assert_int_eq(feed(&d, &b, &p, 50, 5), DETECTOR_SAME);
	ck_assert(!d.active);
	baseline_free(&b);
}
END_TEST

START_TEST(test_idle_intervals_end_an_anomaly)
{
	struct detector_params p = params(_i);
	struct baseline b;
	struct detector d = {};

	ck_assert_int_eq(baseline_init(&b, p.window), 0);
	feed(&d, &b, &p, 50, 20);
	ck_assert_int_eq(feed(&d, &b, &p, 500, 2), DETECTOR_RAISED);
	ck_assert_int_eq(detector_idle(&d, &p), DETECTOR_SAME);
	ck_assert_int_eq(detector_idle(&d, &p), DETECTOR_SAME);
	ck_assert_int_eq(detector_idle(&d, &p), DETECTOR_CLEARED);
	baseline_free(&b);
}
END_TEST

START_TEST(test_mad_median_is_robust_to_outliers_in_the_window)
{
	struct detector_params p = params(JD_AN_METHOD_MAD);
	struct baseline b;
	struct detector d = {};

	ck_assert_int_eq(baseline_init(&b, p.window), 0);
	for (int i = 0; i < 30; i++) /* every fifth interval a spike under the threshold */
		detector_step(&d, &b, &p, i % 5 ? 100 : 104, scratch);
	detector_step(&d, &b, &p, 100, scratch);
	ck_assert(d.center == 100);
	baseline_free(&b);
}
END_TEST

static Suite *baseline_suite(void)
{
	Suite *s = suite_create("baseline");
	TCase *tc = tcase_create("core");

	/* The behaviours every method has: _i is the method. */
	tcase_add_loop_test(tc, test_nothing_is_flagged_during_warmup, 0, 2);
	tcase_add_loop_test(tc, test_a_step_over_the_floor_is_raised_after_raise_after_and_cleared,
			    0, 2);
	tcase_add_loop_test(tc, test_an_excess_under_the_floor_is_never_an_anomaly, 0, 2);
	tcase_add_loop_test(tc, test_one_spike_is_not_raised, 0, 2);
	tcase_add_loop_test(tc, test_idle_intervals_end_an_anomaly, 0, 2);
	tcase_add_test(tc, test_mad_median_is_robust_to_outliers_in_the_window);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(baseline_suite)
