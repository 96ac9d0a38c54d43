// SPDX-License-Identifier: MIT
/*
 * The probe layer: how JITTERD_ATTACH is read, which variant probe_select()
 * chooses, and what it records. The trials are replaced (probe_trial) by a
 * table of the types that "work", so that the order can be tested whatever
 * this kernel takes; the programs are those of the sockets collector's real
 * object, opened but never loaded. One test asks the real kernel's BTF.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf/sched.h"
#include "bpf/sockets.h" /* the skeletons' types */
#include "check_main.h"
#include "lib/log.h"
#include "probes/probe.h"
#include "sched.skel.h"
#include "sockets.skel.h"

#define BIT(a) (1u << (a))

/* In sockets.bpf.c: rq_{btf,raw,tp,fentry,kprobe} and ack_{btf,raw,tp}. */
static const struct probe_def data_ready_def = {
	.name = "sk_data_ready",
	.system = "sock",
	.function = "sock_def_readable",
	.prog = "rq",
};
static const struct probe_def tcp_probe_def = PROBE_TRACEPOINT_DEF("tcp", "tcp_probe", "ack");

static struct sockets_bpf *skel;
static struct probe probes[2]; /* sk_data_ready, tcp_probe */

/* The fake trial: the types in `working` work, for every probe. */
static unsigned working;
static enum probe_attach tried[16];
static unsigned n_tried;

static int fake_trial(const struct probe *p, enum probe_attach a, char *why, size_t len)
{
	(void)p;
	if (n_tried < sizeof(tried) / sizeof(tried[0]))
		tried[n_tried++] = a;
	if (working & BIT(a))
		return 0;
	snprintf(why, len, "%s: fake", probe_attach_name(a));
	return -ENOENT;
}

static int (*real_trial)(const struct probe *, enum probe_attach, char *, size_t);

static void setup(void)
{
	log_max_level = LOG_ERR; /* the warnings of probes that attach nowhere */
	skel = sockets_bpf__open();
	ck_assert_ptr_nonnull(skel);
	probe_resolve(&probes[0], &data_ready_def, skel->obj);
	probe_resolve(&probes[1], &tcp_probe_def, skel->obj);
	real_trial = probe_trial;
	probe_trial = fake_trial;
	working = 0;
	n_tried = 0;
	ck_assert_int_eq(probe_force(NULL), 0);
}

static void teardown(void)
{
	probe_trial = real_trial;
	probe_force(NULL);
	sockets_bpf__destroy(skel);
}

/* The trials of the last probe_select(), as "tp_btf,raw_tp,...". */
static const char *tried_list(void)
{
	static char s[128];
	size_t used = 0;

	s[0] = '\0';
	for (unsigned i = 0; i < n_tried; i++)
		used += snprintf(s + used, sizeof(s) - used, "%s%s", i ? "," : "",
				 probe_attach_name(tried[i]));
	return s;
}

/* Select p alone with the types in `works` working; returns its choice. */
static enum probe_attach select_with(struct probe *p, unsigned works)
{
	working = works;
	n_tried = 0;
	probe_select(p, 1);
	return p->attach;
}

/* ---- probe_resolve --------------------------------------------------------- */

START_TEST(resolve_finds_each_variant_by_its_suffix)
{
	struct bpf_object *obj = skel->obj;

	ck_assert_ptr_eq(probes[1].prog[PROBE_TP_BTF],
			 bpf_object__find_program_by_name(obj, "ack_btf"));
	ck_assert_ptr_eq(probes[1].prog[PROBE_RAW_TP],
			 bpf_object__find_program_by_name(obj, "ack_raw"));
	ck_assert_ptr_eq(probes[1].prog[PROBE_TRACEPOINT],
			 bpf_object__find_program_by_name(obj, "ack_tp"));
	ck_assert_ptr_nonnull(probes[1].prog[PROBE_TP_BTF]);
	ck_assert_ptr_null(probes[1].prog[PROBE_NONE]);
	ck_assert_str_eq(probes[1].name, "tcp_probe");
	ck_assert_str_eq(probes[1].name, "tcp_probe");
	ck_assert_str_eq(probes[1].system, "tcp");
}
END_TEST

START_TEST(resolve_finds_function_variants_when_the_def_names_a_function)
{
	ck_assert_ptr_eq(probes[0].prog[PROBE_FENTRY],
			 bpf_object__find_program_by_name(skel->obj, "rq_fentry"));
	ck_assert_ptr_eq(probes[0].prog[PROBE_KPROBE],
			 bpf_object__find_program_by_name(skel->obj, "rq_kprobe"));
	ck_assert_ptr_nonnull(probes[0].prog[PROBE_FENTRY]);
	ck_assert_str_eq(probes[0].function, "sock_def_readable");
}
END_TEST

START_TEST(resolve_ignores_function_variants_when_the_def_names_no_function)
{
	struct probe_def no_function = data_ready_def;
	struct probe p;

	no_function.function = NULL;
	probe_resolve(&p, &no_function, skel->obj);
	ck_assert_ptr_nonnull(p.prog[PROBE_TRACEPOINT]);
	ck_assert_ptr_null(p.prog[PROBE_FENTRY]);
	ck_assert_ptr_null(p.prog[PROBE_KPROBE]);
}
END_TEST

/* ---- selection order --------------------------------------------------------- */

START_TEST(tp_btf_is_chosen_when_it_works_and_nothing_else_is_tried)
{
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_TP_BTF);
	ck_assert_str_eq(tried_list(), "tp_btf");
	ck_assert_uint_eq(probes[0].works, BIT(PROBE_TP_BTF));
	ck_assert_str_eq(probes[0].why, "");
}
END_TEST

START_TEST(variants_are_tried_tp_btf_raw_tp_tracepoint_fentry_kprobe)
{
	ck_assert_int_eq(select_with(&probes[0], 0), PROBE_NONE);
	ck_assert_str_eq(tried_list(), "tp_btf,raw_tp,tracepoint,fentry,kprobe");
}
END_TEST

START_TEST(the_first_variant_that_works_is_chosen)
{
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_RAW_TP) | BIT(PROBE_KPROBE)),
			 PROBE_RAW_TP);
	ck_assert_str_eq(tried_list(), "tp_btf,raw_tp");
	ck_assert_str_eq(probes[0].why, "tp_btf: fake");
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_TRACEPOINT) | BIT(PROBE_FENTRY)),
			 PROBE_TRACEPOINT);
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_FENTRY) | BIT(PROBE_KPROBE)),
			 PROBE_FENTRY);
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_KPROBE)), PROBE_KPROBE);
}
END_TEST

START_TEST(only_the_chosen_variant_is_loaded)
{
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_TRACEPOINT) | BIT(PROBE_FENTRY)),
			 PROBE_TRACEPOINT);
	for (unsigned a = PROBE_TP_BTF; a < PROBE_ATTACH_TYPES; a++)
		ck_assert_msg(bpf_program__autoload(probes[0].prog[a]) == (a == PROBE_TRACEPOINT),
			      "%s", probe_attach_name(a));
}
END_TEST

START_TEST(a_probe_that_nothing_attaches_is_none_with_every_reason)
{
	ck_assert_int_eq(select_with(&probes[1], 0), PROBE_NONE);
	ck_assert_uint_eq(probes[1].works, 0);
	ck_assert_str_eq(probes[1].why, "tp_btf: fake; raw_tp: fake; tracepoint: fake");
	for (unsigned a = PROBE_TP_BTF; a <= PROBE_TRACEPOINT; a++)
		ck_assert(!bpf_program__autoload(probes[1].prog[a]));
}
END_TEST

START_TEST(a_new_selection_forgets_the_last_one)
{
	select_with(&probes[1], 0);
	ck_assert_int_eq(select_with(&probes[1], BIT(PROBE_TP_BTF)), PROBE_TP_BTF);
	ck_assert_str_eq(probes[1].why, "");
	ck_assert_uint_eq(probes[1].works, BIT(PROBE_TP_BTF));
	ck_assert(bpf_program__autoload(probes[1].prog[PROBE_TP_BTF]));
}
END_TEST

/* sched_switch has a sched_info variant (switch_si) before its tp_btf one. */
static void with_sched_switch(void (*check)(struct probe *p))
{
	static const struct probe_def def = PROBE_TRACEPOINT_DEF("sched", "sched_switch", "switch");
	struct sched_bpf *sched = sched_bpf__open();
	struct probe p;

	ck_assert_ptr_nonnull(sched);
	probe_resolve(&p, &def, sched->obj);
	ck_assert_ptr_eq(p.prog[PROBE_SCHED_INFO],
			 bpf_object__find_program_by_name(sched->obj, "switch_si"));
	check(&p);
	sched_bpf__destroy(sched);
}

static void sched_info_first(struct probe *p)
{
	ck_assert_int_eq(select_with(p, ~0u), PROBE_SCHED_INFO);
	ck_assert_str_eq(tried_list(), "sched_info");
	ck_assert(bpf_program__autoload(p->prog[PROBE_SCHED_INFO]));
	ck_assert(!bpf_program__autoload(p->prog[PROBE_TP_BTF]));
	ck_assert_int_eq(select_with(p, ~BIT(PROBE_SCHED_INFO)), PROBE_TP_BTF);
	ck_assert_str_eq(tried_list(), "sched_info,tp_btf");
	ck_assert_str_eq(p->why, "sched_info: fake");
}

static void tp_btf_forced(struct probe *p)
{
	ck_assert_int_eq(probe_force("tp_btf"), 0);
	ck_assert_int_eq(select_with(p, ~0u), PROBE_TP_BTF);
	ck_assert_str_eq(p->why, "sched_info: not tried (JITTERD_ATTACH=tp_btf)");
}

static void demoted(struct probe *p)
{
	ck_assert_int_eq(select_with(p, ~0u), PROBE_SCHED_INFO);
	probe_demote(p, PROBE_TP_BTF, "told so");
	ck_assert_int_eq(p->attach, PROBE_TP_BTF);
	ck_assert(p->works & BIT(PROBE_TP_BTF));
	ck_assert(!bpf_program__autoload(p->prog[PROBE_SCHED_INFO]));
	ck_assert(bpf_program__autoload(p->prog[PROBE_TP_BTF]));
	ck_assert_str_eq(p->why, "told so");
	/* Never to a better type, nor to one the probe lacks. */
	probe_demote(p, PROBE_SCHED_INFO, "no");
	probe_demote(p, PROBE_FENTRY, "no");
	ck_assert_int_eq(p->attach, PROBE_TP_BTF);
}

START_TEST(a_probe_can_be_demoted_to_a_worse_variant_it_has)
{
	with_sched_switch(demoted);
}
END_TEST

START_TEST(a_sched_info_variant_is_tried_first_and_tp_btf_after_it)
{
	with_sched_switch(sched_info_first);
}
END_TEST

START_TEST(forcing_tp_btf_leaves_the_sched_info_variant_untried)
{
	with_sched_switch(tp_btf_forced);
}
END_TEST

/* ---- JITTERD_ATTACH ---------------------------------------------------------- */

START_TEST(a_type_is_the_best_tried_for_every_probe)
{
	ck_assert_int_eq(probe_force("tracepoint"), 0);
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_TRACEPOINT);
	ck_assert_str_eq(tried_list(), "tracepoint");
	ck_assert_str_eq(probes[0].why, "tp_btf: not tried (JITTERD_ATTACH=tracepoint); "
					"raw_tp: not tried (JITTERD_ATTACH=tracepoint)");
	ck_assert(!bpf_program__autoload(probes[0].prog[PROBE_TP_BTF]));
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_TRACEPOINT);
}
END_TEST

START_TEST(a_forced_type_that_fails_falls_back_to_the_next)
{
	ck_assert_int_eq(probe_force("raw_tp"), 0);
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_TP_BTF) | BIT(PROBE_KPROBE)),
			 PROBE_KPROBE);
	ck_assert_str_eq(tried_list(), "raw_tp,tracepoint,fentry,kprobe");
}
END_TEST

START_TEST(probe_equals_type_forces_that_probe_only)
{
	ck_assert_int_eq(probe_force("sk_data_ready=fentry"), 0);
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_FENTRY);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_TP_BTF);
}
END_TEST

START_TEST(a_list_forces_each_item_and_a_probe_item_beats_a_type_item)
{
	ck_assert_int_eq(probe_force("sk_data_ready=kprobe,raw_tp"), 0);
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_KPROBE);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_RAW_TP);
	ck_assert_int_eq(probe_force("tcp_probe=tracepoint,sk_data_ready=raw_tp"), 0);
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_RAW_TP);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_TRACEPOINT);
}
END_TEST

START_TEST(each_spec_replaces_the_last_and_an_empty_one_forces_nothing)
{
	ck_assert_int_eq(probe_force("tracepoint,sk_data_ready=kprobe"), 0);
	ck_assert_int_eq(probe_force("tcp_probe=raw_tp"), 0);
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_TP_BTF);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_RAW_TP);
	ck_assert_int_eq(probe_force(""), 0);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_TP_BTF);
}
END_TEST

static const char *const bad_specs[] = {
	"none",		       /* not a type one can force */
	"btf",		       /* a program suffix, not a type */
	"raw_tp,fentri",       /* one bad item spoils the list */
	"=raw_tp",	       /* empty probe name */
	"sk_data_ready=",      /* empty type */
	"sk_data_ready=bogus", /* unknown type */
	"sk_data_ready=raw_tp=x",
	"a_probe_name_of_thirty_two_chars=raw_tp",
};

START_TEST(a_bad_item_is_rejected)
{
	ck_assert_msg(probe_force(bad_specs[_i]) == -EINVAL, "%s accepted", bad_specs[_i]);
}
END_TEST

START_TEST(a_probe_name_of_31_bytes_is_accepted)
{
	ck_assert_int_eq(probe_force("a_probe_name_of_thirty_one_char=raw_tp"), 0);
}
END_TEST

/* n PROBE=TYPE items: p0=raw_tp,...,p<n-2>=raw_tp,tcp_probe=tracepoint */
static void many(char *s, size_t len, unsigned n)
{
	size_t used = 0;

	for (unsigned i = 0; i + 1 < n; i++)
		used += snprintf(s + used, len - used, "p%u=raw_tp,", i);
	snprintf(s + used, len - used, "tcp_probe=tracepoint");
}

START_TEST(sixteen_probe_items_are_accepted_and_seventeen_rejected)
{
	char spec[256];

	many(spec, sizeof(spec), 16);
	ck_assert_int_eq(probe_force(spec), 0);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_TRACEPOINT);
	many(spec, sizeof(spec), 17);
	ck_assert_int_eq(probe_force(spec), -EINVAL);
}
END_TEST

START_TEST(a_rejected_spec_forces_nothing)
{
	ck_assert_int_eq(probe_force("tracepoint,tcp_probe=raw_tp,bogus"), -EINVAL);
	ck_assert_int_eq(select_with(&probes[0], ~0u), PROBE_TP_BTF);
	ck_assert_int_eq(select_with(&probes[1], ~0u), PROBE_TP_BTF);
}
END_TEST

/* ---- survey (last: probe_survey() cannot be undone) ------------------------- */

START_TEST(a_survey_tries_every_variant_and_records_all_that_work)
{
	probe_survey();
	ck_assert_int_eq(select_with(&probes[0], BIT(PROBE_RAW_TP) | BIT(PROBE_FENTRY)),
			 PROBE_RAW_TP);
	ck_assert_str_eq(tried_list(), "tp_btf,raw_tp,tracepoint,fentry,kprobe");
	ck_assert_uint_eq(probes[0].works, BIT(PROBE_RAW_TP) | BIT(PROBE_FENTRY));
	ck_assert_str_eq(probes[0].why, "tp_btf: fake; tracepoint: fake; kprobe: fake");
	for (unsigned a = PROBE_TP_BTF; a < PROBE_ATTACH_TYPES; a++)
		ck_assert_msg(bpf_program__autoload(probes[0].prog[a]) == (a == PROBE_RAW_TP), "%s",
			      probe_attach_name(a));
}
END_TEST

/* ---- the real kernel --------------------------------------------------------- */

START_TEST(tracepoint_arguments_are_counted_from_the_kernels_btf)
{
	ck_assert_int_eq(probe_init(), 0);
	/* prev, next and preempt since 4.x; prev_state from 5.18 on */
	ck_assert_int_ge(probe_tracepoint_nargs("sched_switch"), 4);
	ck_assert_int_lt(probe_tracepoint_nargs("no_such_tracepoint"), 0);
	probe_finish();
}
END_TEST

/* A classic variant whose record lacks the member it reads is not tried
 * further (not attached): it fails with the member and the record named. */
START_TEST(a_classic_variant_whose_record_lacks_its_member_does_not_work)
{
	struct probe p = { .name = "tcp_probe",
			   .label = "tcp_probe",
			   .system = "tcp",
			   .record = "trace_event_raw_tcp_probe",
			   .record_member = "jd_no_such_member",
			   .fd = -1,
			   .link = -1 };
	char why[128];

	ck_assert_int_eq(probe_init(), 0);
	ck_assert_int_eq(probe_trial(&p, PROBE_TRACEPOINT, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "tracepoint: no jd_no_such_member in its record "
			      "(trace_event_raw_tcp_probe) on this kernel");
	probe_finish();
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("select");
	TCase *kernel = tcase_create("kernel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, resolve_finds_each_variant_by_its_suffix);
	tcase_add_test(tc, resolve_finds_function_variants_when_the_def_names_a_function);
	tcase_add_test(tc, resolve_ignores_function_variants_when_the_def_names_no_function);
	tcase_add_test(tc, tp_btf_is_chosen_when_it_works_and_nothing_else_is_tried);
	tcase_add_test(tc, a_sched_info_variant_is_tried_first_and_tp_btf_after_it);
	tcase_add_test(tc, forcing_tp_btf_leaves_the_sched_info_variant_untried);
	tcase_add_test(tc, a_probe_can_be_demoted_to_a_worse_variant_it_has);
	tcase_add_test(tc, variants_are_tried_tp_btf_raw_tp_tracepoint_fentry_kprobe);
	tcase_add_test(tc, the_first_variant_that_works_is_chosen);
	tcase_add_test(tc, only_the_chosen_variant_is_loaded);
	tcase_add_test(tc, a_probe_that_nothing_attaches_is_none_with_every_reason);
	tcase_add_test(tc, a_new_selection_forgets_the_last_one);
	tcase_add_test(tc, a_type_is_the_best_tried_for_every_probe);
	tcase_add_test(tc, a_forced_type_that_fails_falls_back_to_the_next);
	tcase_add_test(tc, probe_equals_type_forces_that_probe_only);
	tcase_add_test(tc, a_list_forces_each_item_and_a_probe_item_beats_a_type_item);
	tcase_add_test(tc, each_spec_replaces_the_last_and_an_empty_one_forces_nothing);
	tcase_add_loop_test(tc, a_bad_item_is_rejected, 0,
			    sizeof(bad_specs) / sizeof(bad_specs[0]));
	tcase_add_test(tc, a_probe_name_of_31_bytes_is_accepted);
	tcase_add_test(tc, sixteen_probe_items_are_accepted_and_seventeen_rejected);
	tcase_add_test(tc, a_rejected_spec_forces_nothing);
	tcase_add_test(tc, a_survey_tries_every_variant_and_records_all_that_work);
	suite_add_tcase(s, tc);
	tcase_add_test(kernel, tracepoint_arguments_are_counted_from_the_kernels_btf);
	tcase_add_test(kernel, a_classic_variant_whose_record_lacks_its_member_does_not_work);
	suite_add_tcase(s, kernel);
	return s;
}

JD_CHECK_MAIN(probe_suite)
