/* SPDX-License-Identifier: MIT */
/*
 * libjitterd-span: application spans into jitterd (docs/spans.md).
 *
 *   static const struct jd_span_def spans[] = {
 *           { .name = "tick_to_order", .threshold_ns = 20000 },
 *           { .name = "decode" },
 *   };
 *   jd_span_register(spans, 2, NULL);    once per process, not on the hot path
 *   ...
 *   jd_span_begin(0);                    in any thread: stamps, no system call
 *   ...
 *   jd_span_end(0);
 *
 * Each thread writes into its own ring in memory shared with jitterd (a
 * memfd handed over at registration): a record is a few stores, never a
 * system call, a lock or a wait. A full ring drops the record and counts
 * it. Before jd_span_register() succeeds, and in a child after fork()
 * until it registers again, every call is a no-op.
 */
#ifndef JITTERD_SPAN_H
#define JITTERD_SPAN_H

#include <stdint.h>

#include "jitterd_span_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A span: its name, and maybe labels after it in braces, the series it
 * counts into being the name and the labels together:
 *
 *   { .name = "order_send{venue=XNAS}" }, { .name = "order_send{venue=XLON}" }
 *
 * two spans (two ids), two series. The name is [A-Za-z0-9_.:-]+ under 48
 * bytes (the `span` label); up to 4 labels, name=value separated by
 * commas, no spaces or quotes: a name [A-Za-z_][A-Za-z0-9_]* under 32
 * bytes that jitterd's config allows (collectors.spans.labels), a value
 * [A-Za-z0-9_.:-]+ under 64 bytes.
 */
struct jd_span_def {
	const char *name;      /* "name" or "name{label=value,...}" */
	uint64_t threshold_ns; /* slower than this: jitterd logs a span_slow event (0: its default)
				*/
};

struct jd_span_options {
	const char *socket;   /* NULL: $JITTERD_SPAN_SOCKET, else /run/jitterd/spans.sock */
	int clock;	      /* JD_SPAN_CLOCK_TSC (default on x86) or JD_SPAN_CLOCK_MONOTONIC */
	unsigned max_threads; /* rings: threads that publish at once (default 16) */
	unsigned slots;	      /* records per ring, a power of two (default 4096) */
	unsigned timeout_ms;  /* how long to wait for jitterd's answer (default 2000) */
};

/*
 * Register this process with jitterd: the spans (ids are their indexes,
 * at most 64), the memfd. 0, or a negative errno; jd_span_error() then
 * says why (jitterd's own words when it refused). Calling it again
 * replaces the registration: threads move to the new rings at their next
 * record; the old rings stay mapped (their memory is not given back), so
 * that a thread writing one meanwhile writes nothing it should not.
 */
int jd_span_register(const struct jd_span_def *spans, unsigned n_spans,
		     const struct jd_span_options *options);
const char *jd_span_error(void);

/* The clock the records use (ticks or ns), as the hot path reads it. */
uint64_t jd_span_now(void);
/* A span of this thread: its start (per id), then its end, recorded (an
 * end without a begin since the last end records nothing). */
void jd_span_begin(unsigned id);
void jd_span_end(unsigned id);
/* A span whose ends the caller took with jd_span_now(). */
void jd_span_record(unsigned id, uint64_t t0, uint64_t t1);
/* A point in time (counted per span, no duration). */
void jd_span_mark(unsigned id);
/* Claim this thread's ring now rather than at its first record. 0 or -ENOSPC. */
int jd_span_thread_init(void);
/* Records this process dropped (ring full, or no free ring), as jitterd counts them. */
uint64_t jd_span_dropped(void);

#ifdef __cplusplus
}
#endif

#endif
