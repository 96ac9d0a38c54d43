// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for what span publishers hand jitterd
 * (daemon/collectors/spans.c): any process in a workload that may connect
 * to the socket writes these bytes. The input is tried whole as a
 * registration message, and laid out as a ring (its header, its records,
 * jitterd's tail and the span count taken from the first bytes) that is
 * drained twice: whatever it holds, every record handed on must pass the
 * checks, no more than a ring of records comes out, and jitterd's tail
 * ends at the head it read. ASan sees any read outside the ring.
 */
#include "fuzz.h"

#include <errno.h>

#include "collectors/spans.h"

struct seen {
	uint32_t n_spans;
	uint64_t n;
};

static void take(const struct jd_span_record *rec, void *arg)
{
	struct seen *s = arg;
	uint32_t span = rec->span & ~JD_SPAN_MARK;

	if (span >= s->n_spans || rec->t1 < rec->t0 ||
	    ((rec->span & JD_SPAN_MARK) && rec->t0 != rec->t1))
		abort();
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span_ring_state st = { 0 };
	struct span_drain_counts n = { 0 };
	struct jd_span_ring *ring;
	struct seen seen = { 0 };
	char why[128] = "";
	uint32_t slots;
	size_t bytes;

	if (spans_check_hello(data, size, JD_SPAN_MAX_RINGS, JD_SPAN_MAX_SLOTS, why, sizeof(why)) &&
	    (!why[0] || strlen(why) >= sizeof(why)))
		abort();
	if (size < 10)
		return 0;
	slots = JD_SPAN_MIN_SLOTS << (data[0] & 3);
	seen.n_spans = data[1] % (JD_SPAN_MAX_SPANS + 1);
	memcpy(&st.tail, data + 2, sizeof(st.tail));
	data += 10;
	size -= 10;
	bytes = JD_SPAN_RING_BYTES(slots);
	ring = calloc(1, bytes);
	if (!ring)
		return 0;
	memcpy(ring, data, size < bytes ? size : bytes);
	for (int pass = 0; pass < 2; pass++) {
		uint64_t head = ring->head, tail = st.tail, before = n.records + n.invalid;

		spans_drain_ring(ring, slots, seen.n_spans, &st, take, &seen, &n);
		/* The ring's own tail is written back when anything was read. */
		if (n.records + n.invalid - before > slots || st.tail != head ||
		    (head != tail && ring->tail != head))
			abort();
		if (size > bytes) /* the rest of the input: the publisher's next writes */
			memcpy(ring, data + bytes, size - bytes < bytes ? size - bytes : bytes);
	}
	if (seen.n != n.records)
		abort();
	free(ring);
	return 0;
}
