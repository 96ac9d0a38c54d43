// SPDX-License-Identifier: MIT
/*
 * The cost table of libjitterd-span (scripts/bench/spans.sh runs it
 * against a jitterd that drains): ns per record in the component, beside
 * a bare clock_gettime() pair and rdtsc for scale, with 1 and 2 threads
 * and 1 or 64 spans (the hot path must not grow with either); then it
 * publishes MILLIONS more records for the script to time the daemon's
 * CPU. Timed with the TSC, converted with a rate taken over the run.
 *
 *   span_bench SOCKET MILLIONS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "jitterd_span.h"

#define BATCH  (1u << 19) /* records between pauses: half a ring of 2^20 */
#define ROUNDS 8

static double ns_per_tick;

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void calibrate(void)
{
	uint64_t t0 = __rdtsc(), m0 = mono();
	struct timespec d = { .tv_nsec = 200000000 };

	nanosleep(&d, NULL);
	ns_per_tick = (double)(mono() - m0) / (double)(__rdtsc() - t0);
}

/* Let jitterd drain (events.drain_interval is 100 ms) so that no record drops. */
static void pause_for_drain(void)
{
	struct timespec d = { .tv_nsec = 150000000 };

	nanosleep(&d, NULL);
}

enum what { CLOCK_PAIR, RDTSC_PAIR, RDTSCP_PAIR, RECORD, BEGIN_END };
static volatile uint64_t sink;
static unsigned n_spans = 1;

/* ns per operation over BATCH, the best of ROUNDS (the least disturbed). */
static double run(enum what w)
{
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t a = __rdtsc(), b;
		unsigned aux;

		switch (w) {
		case CLOCK_PAIR:
			for (unsigned i = 0; i < BATCH; i++)
				sink += mono() - mono();
			break;
		case RDTSC_PAIR:
			for (unsigned i = 0; i < BATCH; i++)
				sink += __rdtsc() - __rdtsc();
			break;
		case RDTSCP_PAIR:
			for (unsigned i = 0; i < BATCH; i++)
				sink += __rdtsc() - __rdtscp(&aux);
			break;
		case RECORD:
			for (unsigned i = 0; i < BATCH; i++)
				jd_span_record(i % n_spans, 1000, 2000);
			break;
		case BEGIN_END:
			for (unsigned i = 0; i < BATCH; i++) {
				jd_span_begin(i % n_spans);
				jd_span_end(i % n_spans);
			}
			break;
		}
		b = __rdtsc();
		if ((double)(b - a) * ns_per_tick / BATCH < best)
			best = (double)(b - a) * ns_per_tick / BATCH;
		if (w >= RECORD)
			pause_for_drain();
	}
	return best;
}

static void *second(void *arg)
{
	double *out = arg;

	*out = run(RECORD);
	return NULL;
}

static void reg(const char *sock, int clock)
{
	struct jd_span_def defs[64];
	char names[64][16];
	struct jd_span_options o = {
		.socket = sock, .clock = clock, .max_threads = 4, .slots = 1u << 20
	};

	for (int i = 0; i < 64; i++) {
		snprintf(names[i], sizeof(names[i]), "s%d", i);
		defs[i] =
			(struct jd_span_def){ .name = names[i], .threshold_ns = 3600000000000ull };
	}
	if (jd_span_register(defs, 64, &o)) {
		fprintf(stderr, "span_bench: %s\n", jd_span_error());
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double two[2];
	pthread_t t;
	unsigned millions;

	if (argc != 3)
		return 2;
	millions = (unsigned)atoi(argv[2]);
	calibrate();
	printf("clock_gettime(CLOCK_MONOTONIC) pair      %6.2f ns\n", run(CLOCK_PAIR));
	printf("rdtsc pair                               %6.2f ns\n", run(RDTSC_PAIR));
	printf("rdtsc + rdtscp                           %6.2f ns\n", run(RDTSCP_PAIR));
	reg(argv[1], JD_SPAN_CLOCK_TSC);
	jd_span_thread_init();
	printf("TSC:  jd_span_begin + jd_span_end        %6.2f ns\n", run(BEGIN_END));
	printf("      jd_span_record (ends given)        %6.2f ns\n", run(RECORD));
	n_spans = 64;
	printf("      jd_span_record, 64 spans           %6.2f ns\n", run(RECORD));
	pthread_create(&t, NULL, second, &two[1]);
	two[0] = run(RECORD);
	pthread_join(t, NULL);
	printf("      jd_span_record, 2 threads at once  %6.2f / %.2f ns\n", two[0], two[1]);
	n_spans = 1;
	reg(argv[1], JD_SPAN_CLOCK_MONOTONIC);
	jd_span_thread_init();
	printf("MONO: jd_span_begin + jd_span_end        %6.2f ns\n", run(BEGIN_END));
	printf("      jd_span_record (ends given)        %6.2f ns\n", run(RECORD));
	printf("memory per ring: %llu bytes at the default 4096 slots (%llu at 2^20)\n",
	       (unsigned long long)JD_SPAN_RING_BYTES(4096),
	       (unsigned long long)JD_SPAN_RING_BYTES(1u << 20));
	printf("dropped %llu\n", (unsigned long long)jd_span_dropped());
	fflush(stdout);
	/* For the daemon's CPU: MILLIONS of records, paced to what it drains. */
	printf("publishing\n");
	fflush(stdout);
	for (unsigned m = 0; m < millions; m++) {
		for (unsigned i = 0; i < 1000000; i++)
			jd_span_record(0, 1000, 1000 + (i & 0xffff));
		pause_for_drain();
	}
	printf("published %u million, dropped %llu\n", millions,
	       (unsigned long long)jd_span_dropped());
	fflush(stdout);
	return 0;
}
