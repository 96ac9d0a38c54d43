// SPDX-License-Identifier: MIT
/* Kernel addresses to names from a kallsyms file, resolved in batches and cached. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "lib/ksyms.h"

/* Not sorted as a whole, as the kernel's is not: a module's symbols follow vmlinux. */
static const char kallsyms[] = "0000000000000000 A fixed_percpu_data\n"
			       "0000000000001000 A cpu_number\n"
			       "ffffffff81000000 T _stext\n"
			       "ffffffff81000100 t flush_tlb_func\n"
			       "ffffffff81000200 D some_data\n"
			       "ffffffff81000300 T membarrier_private_expedited\n"
			       "ffffffff81000400 W weak_text\n"
			       "ffffffffc0001000 t mod_func\t[mymod]\n"
			       "ffffffffc0000000 t mod_first\t[mymod]\n";

static char path[64];

static void write_file(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_ksyms.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

static struct ksyms *open_test(void)
{
	struct ksyms *k;

	write_file(kallsyms);
	k = ksyms_open(path);
	ck_assert_ptr_nonnull(k);
	return k;
}

START_TEST(an_address_is_named_by_the_nearest_text_symbol_below_it)
{
	struct ksyms *k = open_test();
	uint64_t off = 99;

	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff81000108, &off), "flush_tlb_func");
	ck_assert_uint_eq(off, 8);
	/* some_data is no text symbol: the function before it holds the address. */
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff81000250, &off), "flush_tlb_func");
	ck_assert_uint_eq(off, 0x150);
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff81000400, &off), "weak_text");
	ck_assert_uint_eq(off, 0);
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffffc0000010, NULL), "mod_first");
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffffc0001234, NULL), "mod_func");
	ksyms_close(k);
	unlink(path);
}
END_TEST

START_TEST(an_address_below_every_symbol_or_far_above_has_no_name)
{
	struct ksyms *k = open_test();

	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff80000000, NULL), "");
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff90000000, NULL), "");
	ksyms_close(k);
	unlink(path);
}
END_TEST

START_TEST(addresses_wanted_together_cost_one_pass_and_are_cached)
{
	struct ksyms *k = open_test();

	ksyms_want(k, 0xffffffff81000101);
	ksyms_want(k, 0xffffffff81000301);
	ksyms_want(k, 0xffffffff81000101);
	ck_assert_ptr_null(ksyms_name(k, 0xffffffff81000101, NULL));
	ck_assert_int_eq(ksyms_resolve(k), 0);
	ck_assert_uint_eq(ksyms_passes(k), 1);
	ck_assert_uint_eq(ksyms_cached(k), 2);
	ck_assert_str_eq(ksyms_name(k, 0xffffffff81000101, NULL), "flush_tlb_func");
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff81000301, NULL), "membarrier_private_expedited");
	ck_assert_uint_eq(ksyms_passes(k), 1);
	ksyms_close(k);
	unlink(path);
}
END_TEST

START_TEST(a_full_cache_names_nothing_new)
{
	struct ksyms *k = open_test();

	for (unsigned i = 0; i < KSYMS_CACHE; i++)
		ksyms_want(k, 0xffffffff81000000 + i);
	ck_assert_int_eq(ksyms_resolve(k), 0);
	ck_assert_ptr_null(ksyms_lookup(k, 0xffffffff81000400, NULL));
	ck_assert_str_eq(ksyms_lookup(k, 0xffffffff81000105, NULL), "flush_tlb_func");
	ksyms_close(k);
	unlink(path);
}
END_TEST

START_TEST(a_file_that_shows_no_addresses_is_refused)
{
	write_file("0000000000000000 A fixed_percpu_data\n0000000000000000 T _stext\n"
		   "0000000000000000 t flush_tlb_func\n");
	ck_assert_ptr_null(ksyms_open(path));
	unlink(path);
	ck_assert_ptr_null(ksyms_open("/nonexistent/kallsyms"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ksyms");
	TCase *t = tcase_create("ksyms");

	tcase_add_test(t, an_address_is_named_by_the_nearest_text_symbol_below_it);
	tcase_add_test(t, an_address_below_every_symbol_or_far_above_has_no_name);
	tcase_add_test(t, addresses_wanted_together_cost_one_pass_and_are_cached);
	tcase_add_test(t, a_full_cache_names_nothing_new);
	tcase_add_test(t, a_file_that_shows_no_addresses_is_refused);
	suite_add_tcase(s, t);
	return s;
}

JD_CHECK_MAIN(suite)
