// SPDX-License-Identifier: MIT
/* Which workload a thread belongs to (daemon/probes/workloads.c). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "core/config.h"
#include "probes/workloads.h"

static struct jd_config cfg;

static void add(const char *name, const char *comm, const char *cgroup)
{
	struct jd_workload *w = &cfg.workloads[cfg.n_workloads++];

	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->comm, sizeof(w->comm), "%s", comm ? comm : "");
	snprintf(w->cgroup, sizeof(w->cgroup), "%s", cgroup ? cgroup : "");
}

static void setup(void)
{
	config_defaults(&cfg);
}

START_TEST(no_workloads_no_match)
{
	ck_assert_uint_eq(workload_match(&cfg, "strat", "strat", "/"), 0);
}
END_TEST

START_TEST(a_glob_matches_the_threads_own_name)
{
	add("strategy", "strat*", NULL);
	ck_assert_uint_eq(workload_match(&cfg, "strat-3", "java", NULL), 1);
	ck_assert_uint_eq(workload_match(&cfg, "gc-thread", "java", NULL), 0);
}
END_TEST

START_TEST(a_glob_matches_every_thread_of_a_process_by_its_name)
{
	add("strategy", "strat*", NULL);
	ck_assert_uint_eq(workload_match(&cfg, "io-worker", "strat", NULL), 1);
}
END_TEST

START_TEST(the_first_matching_workload_wins)
{
	add("md", "md-*", NULL);
	add("any", "*", NULL);
	ck_assert_uint_eq(workload_match(&cfg, "md-feed", "md-feed", NULL), 1);
	ck_assert_uint_eq(workload_match(&cfg, "bash", "bash", NULL), 2);
}
END_TEST

START_TEST(brackets_and_question_marks_are_globs)
{
	add("cores", "core[0-3]?", NULL);
	ck_assert_uint_eq(workload_match(&cfg, "core2x", "x", NULL), 1);
	ck_assert_uint_eq(workload_match(&cfg, "core5x", "x", NULL), 0);
	ck_assert_uint_eq(workload_match(&cfg, "core2", "x", NULL), 0);
}
END_TEST

START_TEST(a_cgroup_contains_its_descendants_only)
{
	add("gw", NULL, "/system.slice/gw.service");
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/system.slice/gw.service"), 1);
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/system.slice/gw.service/sub"), 1);
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/system.slice/gw.service2"), 0);
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/system.slice"), 0);
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", NULL), 0);
}
END_TEST

START_TEST(a_trailing_slash_and_the_root_cgroup_work)
{
	add("gw", NULL, "/gw/");
	add("all", NULL, "/");
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/gw/x"), 1);
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/other"), 2);
	ck_assert_uint_eq(workload_match(&cfg, "a", "a", "/"), 2);
}
END_TEST

START_TEST(comm_and_cgroup_must_both_match)
{
	add("gw", "gw*", "/gw");
	ck_assert_uint_eq(workload_match(&cfg, "gw-1", "gw", "/gw"), 1);
	ck_assert_uint_eq(workload_match(&cfg, "gw-1", "gw", "/other"), 0);
	ck_assert_uint_eq(workload_match(&cfg, "bash", "bash", "/gw"), 0);
}
END_TEST

START_TEST(only_names_that_some_glob_matches_may_match)
{
	add("strategy", "strat*", NULL);
	ck_assert(workload_comm_may_match(&cfg, "strat"));
	ck_assert(!workload_comm_may_match(&cfg, "gcc"));
	ck_assert(!workload_uses_cgroups(&cfg));
	add("gw", NULL, "/gw");
	/* A workload chosen by cgroup alone may take any name. */
	ck_assert(workload_comm_may_match(&cfg, "gcc"));
	ck_assert(workload_uses_cgroups(&cfg));
}
END_TEST

static unsigned seen_self;

static void note_self(void *ctx, int tid, unsigned workload)
{
	(void)ctx;
	if (tid == getpid())
		seen_self = workload;
}

START_TEST(a_process_walk_finds_this_process_by_its_proc_name)
{
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "re");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	add("other", "no-such-comm", NULL);
	add("me", comm, NULL);
	seen_self = 0;
	ck_assert_int_eq(workload_walk_process(&cfg, getpid(), note_self, NULL), 0);
	ck_assert_uint_eq(seen_self, 2);
	ck_assert_int_eq(workload_tgid_of(getpid()), getpid());
}
END_TEST

static Suite *workloads_suite(void)
{
	Suite *s = suite_create("workloads");
	TCase *tc = tcase_create("match");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, no_workloads_no_match);
	tcase_add_test(tc, a_glob_matches_the_threads_own_name);
	tcase_add_test(tc, a_glob_matches_every_thread_of_a_process_by_its_name);
	tcase_add_test(tc, the_first_matching_workload_wins);
	tcase_add_test(tc, brackets_and_question_marks_are_globs);
	tcase_add_test(tc, a_cgroup_contains_its_descendants_only);
	tcase_add_test(tc, a_trailing_slash_and_the_root_cgroup_work);
	tcase_add_test(tc, comm_and_cgroup_must_both_match);
	tcase_add_test(tc, only_names_that_some_glob_matches_may_match);
	tcase_add_test(tc, a_process_walk_finds_this_process_by_its_proc_name);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(workloads_suite)
