// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for what span publishers hand jitterd
 * (daemon/collectors/spans.c): any process in a workload that may connect
 * to the socket writes these bytes. The input is tried whole as a
 * registration message (labels allowed: venue, session; an accepted one is
 * checked again here, by rules written apart from jitterd's), and laid out as a ring (its header,
 * its records, jitterd's tail and the span count taken from the first bytes) that is drained twice:
 * whatever it holds, every record handed on must pass the checks, no more than a ring of records
 * comes out, and jitterd's tail ends at the head it read. ASan sees any read outside the ring.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>

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

static const char allowed[][JD_SPAN_LABEL_NAME_MAX] = { "venue", "session" };

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) && s[0];
}

static bool in(const char *s, const char *set)
{
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

#define WORD  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
#define VALUE WORD ".:-"

/* What an accepted registration must be: every string ended and of its
 * charset, every label allowed and once per span, no span twice. */
static void accepted(const uint8_t *data, size_t size)
{
	struct jd_span_hello h;

	if (size < JD_SPAN_HELLO_BYTES(1) || size > sizeof(h))
		abort();
	memcpy(&h, data, size);
	if (size != JD_SPAN_HELLO_BYTES(h.n_spans))
		abort();
	for (uint32_t i = 0; i < h.n_spans; i++) {
		const struct jd_span_decl *d = &h.spans[i];
		bool ended = false;

		if (!terminated(d->name, sizeof(d->name)) || !in(d->name, VALUE))
			abort();
		for (unsigned l = 0; l < JD_SPAN_MAX_LABELS; l++) {
			const struct jd_span_label *lb = &d->labels[l];

			if (!lb->name[0]) {
				ended = true;
				continue;
			}
			if (ended || !terminated(lb->name, sizeof(lb->name)) ||
			    !terminated(lb->value, sizeof(lb->value)) || !in(lb->value, VALUE) ||
			    (strcmp(lb->name, allowed[0]) && strcmp(lb->name, allowed[1])))
				abort();
			for (unsigned k = 0; k < l; k++)
				if (!strcmp(d->labels[k].name, lb->name))
					abort();
		}
		for (uint32_t j = 0; j < i; j++) {
			/* the same name and labels in the same places: the same span */
			if (!strcmp(d->name, h.spans[j].name) &&
			    !memcmp(d->labels, h.spans[j].labels, sizeof(d->labels)))
				abort();
		}
	}
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

	if (spans_check_hello(data, size, JD_SPAN_MAX_RINGS, JD_SPAN_MAX_SLOTS, allowed, 2, why,
			      sizeof(why))) {
		if (!why[0] || strlen(why) >= sizeof(why))
			abort();
	} else {
		accepted(data, size);
	}
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
