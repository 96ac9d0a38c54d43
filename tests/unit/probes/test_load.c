// SPDX-License-Identifier: MIT
/*
 * load.c: a collector's object loaded by a child process and taken into
 * the daemon's copy of it: the maps' fds, the global data mapped where the
 * skeleton points, each chosen probe's program; nothing left open or
 * unreaped, whether the load worked or not. Loads real programs: root and
 * BPF, as the integration tests.
 */
#include <bpf/bpf.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/softirq.h" /* the skeleton's types */
#include "check_main.h"
#include "probes/load.h"
#include "softirq.skel.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The softirq object with no program to load: its maps only. */
static struct softirq_bpf *open_maps_only(void)
{
	struct softirq_bpf *s = softirq_bpf__open();
	struct bpf_program *p;

	ck_assert_ptr_nonnull(s);
	bpf_object__for_each_program (p, s->obj)
		bpf_program__set_autoload(p, false);
	return s;
}

static void no_child_left(void)
{
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

START_TEST(the_maps_and_global_data_are_the_ones_the_child_made)
{
	int before = open_fds();
	struct softirq_bpf *s = open_maps_only();
	size_t size, off = offsetof(struct softirq_bpf__data, softirq_threshold_ns);
	char value[64];
	__u64 v = 0;
	__u32 zero = 0;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	s->data->softirq_threshold_ns = 777; /* before load: the initial value */
	ck_assert_int_eq(load_skeleton(s->skeleton, NULL, 0), 0);
	no_child_left();
	size = bpf_map__value_size(s->maps.data);
	ck_assert_uint_le(size, sizeof(value));

	/* The kernel's map has the initial value... */
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(s->maps.data), &zero, value), 0);
	memcpy(&v, value + off, sizeof(v));
	ck_assert_uint_eq(v, 777);
	/* ...and the skeleton's pointer is the map: a write shows in the kernel's copy, */
	s->data->softirq_threshold_ns = 4242;
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(s->maps.data), &zero, value), 0);
	memcpy(&v, value + off, sizeof(v));
	ck_assert_uint_eq(v, 4242);
	/* and an update through the kernel shows through the pointer. */
	v = 99;
	memcpy(value + off, &v, sizeof(v));
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(s->maps.data), &zero, value, 0), 0);
	ck_assert_uint_eq(s->data->softirq_threshold_ns, 99);

	/* The other maps are the kernel's, with the object's definitions. */
	ck_assert_int_eq(bpf_obj_get_info_by_fd(bpf_map__fd(s->maps.softirq_cpu), &info, &len), 0);
	ck_assert_uint_eq(info.type, BPF_MAP_TYPE_PERCPU_ARRAY);
	ck_assert_uint_eq(info.value_size, sizeof(struct jd_softirq_cpu));

	softirq_bpf__destroy(s);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

START_TEST(a_chosen_probes_program_comes_back_loaded)
{
	static const struct probe_def def =
		PROBE_TRACEPOINT_DEF("irq", "softirq_entry", "si_entry");
	int before = open_fds();
	struct softirq_bpf *s = open_maps_only();
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct probe p;

	probe_resolve(&p, &def, s->obj);
	ck_assert_ptr_nonnull(p.prog[PROBE_RAW_TP]);
	p.attach = PROBE_RAW_TP; /* as probe_select() would choose it */
	bpf_program__set_autoload(p.prog[PROBE_RAW_TP], true);
	ck_assert_int_eq(load_skeleton(s->skeleton, &p, 1), 0);
	no_child_left();

	ck_assert_int_ge(p.fd, 0);
	ck_assert_int_eq(bpf_obj_get_info_by_fd(p.fd, &info, &len), 0);
	ck_assert_uint_eq(info.type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	ck_assert_str_eq(info.name, "si_entry_raw");

	probe_detach(&p, 1); /* closes the program's fd */
	ck_assert_int_eq(p.fd, -1);
	softirq_bpf__destroy(s);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

START_TEST(a_load_that_fails_in_the_child_is_an_error_and_leaves_nothing_open)
{
	int before = open_fds();
	struct softirq_bpf *s = open_maps_only();

	/* An array of no entries: the kernel refuses to create it. */
	ck_assert_int_eq(bpf_map__set_max_entries(s->maps.softirq_cpu, 0), 0);
	ck_assert_int_lt(load_skeleton(s->skeleton, NULL, 0), 0);
	no_child_left();
	ck_assert_int_lt(bpf_map__fd(s->maps.softirq_cpu), 0);
	softirq_bpf__destroy(s);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

static atomic_bool stop_killing;

/* Kills the first child of this process that shows in /proc: (void *)1 once
 * it has, NULL if stop_killing came first. */
static void *kill_a_child(void *arg)
{
	pid_t parent = getpid();

	(void)arg;
	while (!atomic_load(&stop_killing)) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		pid_t victim = 0;

		while (d && (e = readdir(d)) && !victim) {
			char path[64], stat[512];
			const char *rp;
			FILE *f;
			int ppid;

			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "re") : NULL;
			if (!f)
				continue;
			if (fgets(stat, sizeof(stat), f) && (rp = strrchr(stat, ')')) &&
			    sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == parent)
				victim = atoi(e->d_name);
			fclose(f);
		}
		if (d)
			closedir(d);
		if (victim && !kill(victim, SIGKILL))
			return (void *)1;
	}
	return NULL;
}

START_TEST(a_loading_child_that_dies_is_an_error_and_leaves_nothing_open)
{
	int before = open_fds(), tries;
	void *killed = NULL;

	/* The load takes tens of ms (the kernel's BTF is parsed first): a
	 * thread watching /proc catches the child nearly every time. */
	for (tries = 0; tries < 20 && !killed; tries++) {
		struct softirq_bpf *s = open_maps_only();
		pthread_t t;
		int err;

		atomic_store(&stop_killing, false);
		ck_assert_int_eq(pthread_create(&t, NULL, kill_a_child, NULL), 0);
		err = load_skeleton(s->skeleton, NULL, 0);
		atomic_store(&stop_killing, true);
		pthread_join(t, &killed);
		if (killed)
			ck_assert_int_eq(err, -EIO);
		no_child_left();
		softirq_bpf__destroy(s);
	}
	ck_assert_msg(killed, "no loading child caught in %d tries", tries);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("load");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, the_maps_and_global_data_are_the_ones_the_child_made);
	tcase_add_test(tc, a_chosen_probes_program_comes_back_loaded);
	tcase_add_test(tc, a_load_that_fails_in_the_child_is_an_error_and_leaves_nothing_open);
	tcase_add_test(tc, a_loading_child_that_dies_is_an_error_and_leaves_nothing_open);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(load_suite)
