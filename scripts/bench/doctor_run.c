// SPDX-License-Identifier: MIT
/*
 * What the daemon pays every doctor.interval: the cheap checks, run in
 * process as drift.c runs them (no process start, no linking).
 * Prints the mean wall and CPU time of one run over N runs.
 *
 * Usage: build/bench/doctor_run [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "doctor/doctor.h"

static double ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50;
	struct doctor_finding *f = calloc(doctor_count(), sizeof(*f));
	struct timespec w0, w1, c0, c1;
	struct doctor_host h;
	unsigned checks = 0;

	if (!f || n < 1)
		return 2;
	doctor_host_init(&h, "", NULL, NULL);
	h.window_ms = 0; /* as in the daemon: no 1 s softnet window per run */
	clock_gettime(CLOCK_MONOTONIC, &w0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (int i = 0; i < n; i++)
		checks = doctor_run(&h, true, f);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("doctor_run (%u cheap checks), %d runs: %.3f ms wall, %.3f ms CPU per run\n", checks,
	       n, ms(&w0, &w1) / n, ms(&c0, &c1) / n);
	free(f);
	return 0;
}
