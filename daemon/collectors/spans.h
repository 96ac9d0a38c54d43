/* SPDX-License-Identifier: MIT */
/*
 * The spans collector's metric families, named once, and its ring reader,
 * which tests and the fuzz target call alone (the part that publishers'
 * bytes reach). docs/spans.md.
 */
#ifndef JD_COLLECTOR_SPANS_H
#define JD_COLLECTOR_SPANS_H

#include <stdint.h>

#include "client/jitterd_span_ring.h"

#define SPANS_DURATION	    "jitterd_span_duration_seconds"
#define SPANS_MARKS	    "jitterd_span_marks_total"
#define SPANS_SLOW	    "jitterd_span_slow_total"
#define SPANS_DROPPED	    "jitterd_span_dropped_records_total"
#define SPANS_PUBLISHERS    "jitterd_span_publishers"
#define SPANS_RING_BYTES    "jitterd_span_ring_bytes"
#define SPANS_REGISTRATIONS "jitterd_span_registrations_total"

/* Label names collectors.spans.labels may list (a span carries up to JD_SPAN_MAX_LABELS). */
#define SPANS_MAX_LABEL_NAMES 8

/* What jitterd keeps of one ring: its own tail, never read back. */
struct span_ring_state {
	uint64_t tail;
	uint64_t drops_seen; /* the ring's drops as last read */
};

struct span_drain_counts {
	uint64_t records;   /* handed to fn */
	uint64_t invalid;   /* records that failed a check, or a head that cannot be */
	uint64_t new_drops; /* the publisher's drops since the last drain */
};

/*
 * Read what ring r (slots records, a power of two) holds past st->tail:
 * each record whose seq, span (< n_spans, maybe | JD_SPAN_MARK) and times
 * (t0 <= t1, a mark t0 == t1) hold goes to fn as a copy; then tail goes
 * back to the ring. Whatever the ring holds, it reads no more than slots
 * records and nothing outside them.
 */
void spans_drain_ring(struct jd_span_ring *r, uint32_t slots, uint32_t n_spans,
		      struct span_ring_state *st,
		      void (*fn)(const struct jd_span_record *rec, void *arg), void *arg,
		      struct span_drain_counts *n);

/*
 * A registration message: 0, or -EINVAL with why (for the publisher's
 * reply). Span names and label values are NUL-terminated, of
 * [A-Za-z0-9_.:-]; label names of [A-Za-z_][A-Za-z0-9_]*, each one of the
 * n_labels allowed (collectors.spans.labels), once per span, the used
 * ones first; no two spans of the same name and labels.
 */
int spans_check_hello(const void *msg, size_t len, uint32_t max_rings, uint32_t max_slots,
		      const char (*labels)[JD_SPAN_LABEL_NAME_MAX], unsigned n_labels, char *why,
		      size_t why_size);

#endif
