// SPDX-License-Identifier: MIT
/* Stable slots across reloads: a name keeps its counters' place. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "probes/slots.h"

static struct name_slots s;
static unsigned slot_of[JD_SLOTS];
static uint32_t reused;

static void assign(unsigned n, const char *const *names)
{
	slots_assign(&s, names, n, slot_of, &reused);
}

static void setup(void)
{
	memset(&s, 0, sizeof(s));
}

START_TEST(first_assignment_is_in_config_order_and_reuses_nothing)
{
	const char *names[] = { "a", "b", "c" };

	assign(3, names);
	ck_assert_uint_eq(slot_of[0], 0);
	ck_assert_uint_eq(slot_of[1], 1);
	ck_assert_uint_eq(slot_of[2], 2);
	ck_assert_uint_eq(reused, 0);
	ck_assert_str_eq(slots_name(&s, 1), "b");
	ck_assert_ptr_null(slots_name(&s, 3));
}
END_TEST

START_TEST(a_reordered_list_keeps_every_slot)
{
	const char *first[] = { "a", "b", "c" }, *then[] = { "c", "new", "a" };

	assign(3, first);
	assign(3, then);
	ck_assert_uint_eq(slot_of[0], 2); /* c */
	ck_assert_uint_eq(slot_of[2], 0); /* a */
	/* new takes a slot never used, not b's: b may come back to its counts */
	ck_assert_uint_eq(slot_of[1], 3);
	ck_assert_uint_eq(reused, 0);
	ck_assert_ptr_null(slots_name(&s, 1)); /* b is not in the config now */
}
END_TEST

START_TEST(a_name_that_comes_back_gets_its_old_slot)
{
	const char *first[] = { "a", "b" }, *without[] = { "a" }, *again[] = { "b", "a" };

	assign(2, first);
	assign(1, without);
	assign(2, again);
	ck_assert_uint_eq(slot_of[0], 1);
	ck_assert_uint_eq(slot_of[1], 0);
	ck_assert_uint_eq(reused, 0);
}
END_TEST

START_TEST(when_every_slot_was_used_a_new_name_reuses_a_gone_one_and_says_so)
{
	char names[JD_SLOTS][8];
	const char *all[JD_SLOTS], *next[JD_SLOTS];

	for (int i = 0; i < JD_SLOTS; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		all[i] = next[i] = names[i];
	}
	assign(JD_SLOTS, all);
	next[5] = "fresh";
	assign(JD_SLOTS, next);
	ck_assert_uint_eq(slot_of[5], 5);
	ck_assert_uint_eq(reused, 1u << 5);
	ck_assert_str_eq(slots_name(&s, 5), "fresh");
	for (int i = 0; i < JD_SLOTS; i++)
		if (i != 5)
			ck_assert_uint_eq(slot_of[i], (unsigned)i);
}
END_TEST

static Suite *slots_suite(void)
{
	Suite *su = suite_create("slots");
	TCase *tc = tcase_create("assign");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, first_assignment_is_in_config_order_and_reuses_nothing);
	tcase_add_test(tc, a_reordered_list_keeps_every_slot);
	tcase_add_test(tc, a_name_that_comes_back_gets_its_old_slot);
	tcase_add_test(tc, when_every_slot_was_used_a_new_name_reuses_a_gone_one_and_says_so);
	suite_add_tcase(su, tc);
	return su;
}

JD_CHECK_MAIN(slots_suite)
