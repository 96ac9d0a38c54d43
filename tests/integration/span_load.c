// SPDX-License-Identifier: MIT
/*
 * A span publisher for tests/integration/test_spans.py, linked with
 * libjitterd-span (built by the test with cc). It makes spans it knows the
 * length of and writes what it published, so the test can hold jitterd's
 * histograms to it:
 *
 *   span_load exact SOCKET CLOCK N OUT    N busy spans of known TSC ticks
 *                                         (or ns), N/10 sleeps, spans of
 *                                         lengths on and beside the buckets'
 *                                         bounds; OUT gets
 *                                         each span's length in the clock's
 *                                         unit, then "rate NS_PER_TICK"
 *   span_load stamp SOCKET OUT            one TSC span over the threshold,
 *                                         bracketed by CLOCK_REALTIME reads
 *   span_load threads SOCKET T N          T threads, N records each
 *                                         (synthetic lengths); prints drops
 *   span_load fill SOCKET N               N records into a 16-slot ring as
 *                                         fast as it can; prints drops and
 *                                         the slowest record in ns
 *   span_load join SOCKET MS              one CLOCK_MONOTONIC span of MS ms
 *                                         of busy loop (threshold 1 ms)
 *   span_load forever SOCKET COUNTFILE    records until killed; COUNTFILE
 *                                         (8 bytes, mapped) counts them
 *
 * "registered" on stdout once jitterd accepted it; every mode then waits
 * for a line on stdin before it exits (so the test scrapes while it is
 * alive), except forever.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "jitterd_span.h"

static uint64_t ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void reg(const char *sock, int clock, unsigned threads, unsigned slots, uint64_t threshold)
{
	static const char *names[] = { "busy", "sleep", "synthetic", "other" };
	struct jd_span_def defs[4];
	struct jd_span_options o = { .socket = sock,
				     .clock = clock,
				     .max_threads = threads,
				     .slots = slots,
				     .timeout_ms = 10000 };

	for (int i = 0; i < 4; i++)
		defs[i] = (struct jd_span_def){ .name = names[i], .threshold_ns = threshold };
	if (jd_span_register(defs, 4, &o)) {
		printf("refused %s\n", jd_span_error());
		exit(3);
	}
	printf("registered\n");
	fflush(stdout);
}

static void wait_stdin(void)
{
	char line[16];

	if (!fgets(line, sizeof(line), stdin))
		return;
}

/* TSC ticks per ns, over a window of the run's own length. */
static double tsc_rate(uint64_t tsc0, uint64_t mono0)
{
	uint64_t t = __rdtsc(), m = ns(CLOCK_MONOTONIC);

	return (double)(m - mono0) / (double)(t - tsc0);
}

static int exact(const char *sock, int clock, unsigned n, const char *out)
{
	/* Lengths of a few hundred ns to a few hundred us, in the clock's unit. */
	static const uint64_t lengths[] = { 300, 1500, 5000, 23000, 70000, 400000 };
	uint64_t tsc0 = __rdtsc(), mono0 = ns(CLOCK_MONOTONIC);
	FILE *f = fopen(out, "w");

	reg(sock, clock, 4, 65536, 3600000000000ull);
	for (unsigned i = 0; i < n; i++) {
		uint64_t want = lengths[i % 6], t0 = jd_span_now(), t1;

		do
			t1 = jd_span_now();
		while (t1 - t0 < want);
		jd_span_record(0, t0, t1);
		fprintf(f, "0 %llu\n", (unsigned long long)(t1 - t0));
		if (i % 10 == 0) {
			struct timespec d = { .tv_nsec = 50000 + 10000 * (i % 7) };

			jd_span_begin(1);
			nanosleep(&d, NULL);
			jd_span_end(1);
		}
	}
	/* The sleeps' lengths: what the library stamped, read back from the ring is
	 * jitterd's business; here begin/end again with our own stamps. */
	for (unsigned i = 0; i < n / 10; i++) {
		struct timespec d = { .tv_nsec = 20000 + 5000 * (i % 9) };
		uint64_t t0 = jd_span_now(), t1;

		nanosleep(&d, NULL);
		t1 = jd_span_now();
		jd_span_record(3, t0, t1);
		fprintf(f, "3 %llu\n", (unsigned long long)(t1 - t0));
	}
	/* Lengths on and beside the buckets' bounds (2^k ns holds in bucket k). */
	for (unsigned k = 6; k <= 31; k++)
		for (int d = -1; d <= 1; d++) {
			uint64_t len = (1ull << k) + (uint64_t)(int64_t)d, t0 = jd_span_now();

			jd_span_record(2, t0, t0 + len);
			fprintf(f, "2 %llu\n", (unsigned long long)len);
		}
	fprintf(f, "rate %.12f\n", clock == JD_SPAN_CLOCK_TSC ? tsc_rate(tsc0, mono0) : 1.0);
	fprintf(f, "dropped %llu\n", (unsigned long long)jd_span_dropped());
	fclose(f);
	printf("done\n");
	fflush(stdout);
	wait_stdin();
	return 0;
}

static int stamp(const char *sock, const char *out)
{
	FILE *f = fopen(out, "w");
	uint64_t t0, t1, before, after;

	reg(sock, JD_SPAN_CLOCK_TSC, 1, 64, 1000);
	t0 = __rdtsc();
	while (__rdtsc() - t0 < 3000000)
		;
	before = ns(CLOCK_REALTIME);
	t1 = __rdtsc();
	after = ns(CLOCK_REALTIME);
	jd_span_record(0, t0, t1);
	fprintf(f, "%llu %llu\n", (unsigned long long)before, (unsigned long long)after);
	fclose(f);
	printf("done\n");
	fflush(stdout);
	wait_stdin();
	return 0;
}

static int join(const char *sock, unsigned ms)
{
	uint64_t t0;

	reg(sock, JD_SPAN_CLOCK_MONOTONIC, 1, 64, 1000000);
	t0 = ns(CLOCK_MONOTONIC);
	jd_span_begin(0);
	while (ns(CLOCK_MONOTONIC) - t0 < ms * 1000000ull)
		;
	jd_span_end(0);
	printf("done\n");
	fflush(stdout);
	wait_stdin();
	return 0;
}

static unsigned per_thread;

static void *publish(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;

	for (unsigned i = 0; i < per_thread; i++) {
		uint64_t t0 = jd_span_now();

		/* span 2, lengths 1000 * (1 + (id + i) % 5) ns in the monotonic clock */
		jd_span_record(2, t0, t0 + 1000 * (1 + (id + i) % 5));
		if (i % 256 == 255)
			usleep(1000); /* let the daemon keep up: drops are counted either way */
	}
	return NULL;
}

static int threads(const char *sock, unsigned t, unsigned n)
{
	pthread_t th[64];

	per_thread = n;
	reg(sock, JD_SPAN_CLOCK_MONOTONIC, t > 2 ? t - 2 : 1, 32768, 3600000000000ull);
	for (unsigned i = 0; i < t && i < 64; i++)
		pthread_create(&th[i], NULL, publish, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < t && i < 64; i++)
		pthread_join(th[i], NULL);
	printf("dropped %llu\n", (unsigned long long)jd_span_dropped());
	fflush(stdout);
	wait_stdin();
	return 0;
}

static int fill(const char *sock, unsigned n)
{
	uint64_t worst = 0, over = 0, tsc0 = __rdtsc(), mono0 = ns(CLOCK_MONOTONIC);
	struct timespec cal = { .tv_nsec = 20000000 };
	double rate;

	nanosleep(&cal, NULL);
	rate = tsc_rate(tsc0, mono0);
	reg(sock, JD_SPAN_CLOCK_MONOTONIC, 1, 16, 3600000000000ull);
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = __rdtsc(), b;

		jd_span_record(0, 1000, 2000);
		b = __rdtsc();
		if (i > 64 && b - a > worst) /* once the ring is full */
			worst = b - a;
		if (i > 64 && (double)(b - a) * rate > 1000)
			over++;
	}
	printf("dropped %llu worst_ns %.0f over_1us %llu\n", (unsigned long long)jd_span_dropped(),
	       (double)worst * tsc_rate(tsc0, mono0), (unsigned long long)over);
	fflush(stdout);
	wait_stdin();
	return 0;
}

static int forever(const char *sock, const char *countfile)
{
	int fd = open(countfile, O_RDWR);
	volatile uint64_t *count;

	if (fd < 0 || ftruncate(fd, 8))
		return 1;
	count = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (count == MAP_FAILED)
		return 1;
	reg(sock, JD_SPAN_CLOCK_MONOTONIC, 1, 1024, 3600000000000ull);
	for (uint64_t i = 0;; i++) {
		jd_span_record(0, 1000, 1000 + 100 * (i % 50));
		*count = i + 1;
		if (i % 512 == 511)
			usleep(100);
	}
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "exact"))
		return exact(argv[2],
			     !strcmp(argv[3], "tsc") ? JD_SPAN_CLOCK_TSC : JD_SPAN_CLOCK_MONOTONIC,
			     (unsigned)atoi(argv[4]), argv[5]);
	if (argc == 4 && !strcmp(argv[1], "stamp"))
		return stamp(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "threads"))
		return threads(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return fill(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "join"))
		return join(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "forever"))
		return forever(argv[2], argv[3]);
	fprintf(stderr, "usage: see the comment at the top of span_load.c\n");
	return 2;
}
