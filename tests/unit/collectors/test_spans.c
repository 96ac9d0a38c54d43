// SPDX-License-Identifier: MIT
/*
 * The spans collector's reader of publishers' rings and registrations
 * (daemon/collectors/spans.c): what a well-behaved publisher writes comes
 * out exactly; what a broken or hostile one writes is counted as invalid
 * and never read outside the ring.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "collectors/spans.h"

#define SLOTS 16

static struct jd_span_ring *ring;
static struct span_ring_state st;
static struct span_drain_counts n;
static struct jd_span_record got[4 * SLOTS];
static unsigned n_got;

static void setup(void)
{
	ring = calloc(1, JD_SPAN_RING_BYTES(SLOTS));
	memset(&st, 0, sizeof(st));
	memset(&n, 0, sizeof(n));
	n_got = 0;
}

static void teardown(void)
{
	free(ring);
}

static void take(const struct jd_span_record *rec, void *arg)
{
	(void)arg;
	ck_assert_uint_lt(n_got, 4 * SLOTS);
	got[n_got++] = *rec;
}

/* What the library does: the record at head, then head + 1. */
static void publish(uint32_t span, uint64_t t0, uint64_t t1)
{
	uint64_t h = ring->head;

	ring->records[h % SLOTS] =
		(struct jd_span_record){ .t0 = t0, .t1 = t1, .span = span, .cpu = 1, .seq = h };
	ring->head = h + 1;
}

static void drain(uint32_t n_spans)
{
	spans_drain_ring(ring, SLOTS, n_spans, &st, take, NULL, &n);
}

START_TEST(records_come_out_in_order_and_tail_follows)
{
	for (unsigned i = 0; i < 10; i++)
		publish(i % 3, 100 * i, 100 * i + i);
	drain(3);
	ck_assert_uint_eq(n.records, 10);
	ck_assert_uint_eq(n.invalid, 0);
	ck_assert_uint_eq(n_got, 10);
	for (unsigned i = 0; i < 10; i++) {
		ck_assert_uint_eq(got[i].span, i % 3);
		ck_assert_uint_eq(got[i].t1 - got[i].t0, i);
	}
	ck_assert_uint_eq(ring->tail, 10);
	ck_assert_uint_eq(st.tail, 10);
	drain(3); /* nothing new */
	ck_assert_uint_eq(n.records, 10);
}
END_TEST

START_TEST(a_full_ring_wraps_exactly)
{
	for (unsigned round = 0; round < 5; round++) {
		n_got = 0;
		for (unsigned i = 0; i < SLOTS; i++)
			publish(0, i, i + round);
		drain(1);
		ck_assert_uint_eq(n_got, SLOTS);
		ck_assert_uint_eq(got[SLOTS - 1].t0, SLOTS - 1);
	}
	ck_assert_uint_eq(n.records, 5 * SLOTS);
	ck_assert_uint_eq(n.invalid, 0);
}
END_TEST

START_TEST(bad_records_are_counted_not_passed)
{
	publish(0, 5, 9);
	publish(7, 5, 9);	     /* span id out of range */
	publish(0, 9, 5);	     /* ends before it starts */
	publish(JD_SPAN_MARK, 5, 6); /* a mark with a length */
	publish(JD_SPAN_MARK, 6, 6);
	publish(1, 1, 2);
	ring->records[5].seq = 99; /* torn: not the record of index 5 */
	drain(2);
	ck_assert_uint_eq(n.records, 2);
	ck_assert_uint_eq(n.invalid, 4);
	ck_assert_uint_eq(got[0].t1, 9);
	ck_assert_uint_eq(got[1].span, JD_SPAN_MARK);
	ck_assert_uint_eq(st.tail, 6);
}
END_TEST

START_TEST(a_head_too_far_or_behind_is_skipped_whole)
{
	publish(0, 1, 2);
	drain(1);
	ring->head = 1 + SLOTS + 1; /* more than a ring ahead */
	drain(1);
	ck_assert_uint_eq(n.records, 1);
	ck_assert_uint_eq(n.invalid, 1);
	ck_assert_uint_eq(st.tail, 1 + SLOTS + 1);
	ring->head = 3; /* behind the tail */
	drain(1);
	ck_assert_uint_eq(n.invalid, 2);
	ck_assert_uint_eq(st.tail, 3);
	ring->head = UINT64_MAX;
	drain(1);
	ck_assert_uint_eq(n.invalid, 3);
	ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(drops_count_only_what_is_new)
{
	ring->drops = 5;
	drain(1);
	ck_assert_uint_eq(n.new_drops, 5);
	ring->drops = 2; /* a publisher that goes back: nothing taken away */
	drain(1);
	ring->drops = 8;
	drain(1);
	ck_assert_uint_eq(n.new_drops, 8);
}
END_TEST

static struct jd_span_hello hello(unsigned n_spans)
{
	struct jd_span_hello h = { .magic = JD_SPAN_MAGIC,
				   .version = JD_SPAN_VERSION,
				   .clock = JD_SPAN_CLOCK_MONOTONIC,
				   .n_rings = 4,
				   .slots = 64,
				   .n_spans = n_spans };

	for (unsigned i = 0; i < n_spans; i++)
		snprintf(h.spans[i].name, sizeof(h.spans[i].name), "span_%u", i);
	return h;
}

static const char allowed[][JD_SPAN_LABEL_NAME_MAX] = { "venue", "session" };
static char why[128];

static int check(const struct jd_span_hello *h, size_t len)
{
	int err;

	why[0] = '\0';
	err = spans_check_hello(h, len, 16, 1024, allowed, 2, why, sizeof(why));
	ck_assert(err == 0 || why[0]);
	return err;
}

static void label(struct jd_span_hello *h, unsigned span, unsigned l, const char *name,
		  const char *value)
{
	snprintf(h->spans[span].labels[l].name, sizeof(h->spans[span].labels[l].name), "%s", name);
	snprintf(h->spans[span].labels[l].value, sizeof(h->spans[span].labels[l].value), "%s",
		 value);
}

START_TEST(registrations_are_checked)
{
	struct jd_span_hello h = hello(3);

	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), 0);
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3) - 1), -EINVAL); /* its size */
	ck_assert_int_eq(check(&h, 10), -EINVAL);
	h.slots = 100; /* not a power of two */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(3);
	h.slots = 2048; /* over max_slots */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(3);
	h.n_rings = 17;
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(3);
	strcpy(h.spans[2].name, "span_0"); /* twice */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(3);
	strcpy(h.spans[1].name, "bad\"name");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(3);
	memset(h.spans[1].name, 'a', sizeof(h.spans[1].name)); /* no NUL */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(3);
	h.clock = 3;
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	h = hello(0);
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(0)), -EINVAL);
	h = hello(3);
	h.version = 1; /* a library of before labels */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "libjitterd-span"));
}
END_TEST

/* One name, two venues: two spans. The labels' rules, each refused with its reason. */
START_TEST(labels_are_checked)
{
	struct jd_span_hello h = hello(3);

	strcpy(h.spans[1].name, "span_0");
	label(&h, 0, 0, "venue", "XNAS");
	label(&h, 1, 0, "venue", "XLON");
	label(&h, 1, 1, "session", "am-1.2:x_Y");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), 0);
	label(&h, 1, 1, "", ""); /* now span_0{venue=XLON} */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), 0);
	label(&h, 1, 0, "venue", "XNAS"); /* span_0{venue=XNAS} twice */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(3)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "twice"));

	h = hello(2); /* the same labels in another order: the same span */
	strcpy(h.spans[1].name, "span_0");
	label(&h, 0, 0, "venue", "A");
	label(&h, 0, 1, "session", "B");
	label(&h, 1, 0, "session", "B");
	label(&h, 1, 1, "venue", "A");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(2)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "twice"));
	label(&h, 1, 1, "venue", "C");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(2)), 0);

	h = hello(1);
	label(&h, 0, 0, "desk", "fx"); /* not in the config */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	ck_assert_str_eq(why, "span span_0: label desk is not in collectors.spans.labels");
	h = hello(1);
	label(&h, 0, 0, "venue", "A");
	label(&h, 0, 1, "venue", "B");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "venue given twice"));
	h = hello(1);
	label(&h, 0, 0, "venue", "a b"); /* a value's charset */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "a value of"));
	label(&h, 0, 0, "venue", "a\"b");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	label(&h, 0, 0, "venue", ""); /* empty */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	memset(h.spans[0].labels[0].value, 'a', sizeof(h.spans[0].labels[0].value)); /* no NUL */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	h.spans[0].labels[0].value[JD_SPAN_LABEL_VALUE_MAX - 1] = '\0'; /* 63 bytes: the most */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), 0);
	h = hello(1);
	label(&h, 0, 0, "1venue", "A"); /* a name's charset */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "label name"));
	h = hello(1);
	memset(h.spans[0].labels[0].name, 'v', sizeof(h.spans[0].labels[0].name)); /* no NUL */
	strcpy(h.spans[0].labels[0].value, "A");
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	h = hello(1);
	label(&h, 0, 1, "venue", "A"); /* a gap before it */
	ck_assert_int_eq(check(&h, JD_SPAN_HELLO_BYTES(1)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "gap"));
	h = hello(1); /* none allowed: any label refused */
	label(&h, 0, 0, "venue", "A");
	ck_assert_int_eq(
		spans_check_hello(&h, JD_SPAN_HELLO_BYTES(1), 16, 1024, NULL, 0, why, sizeof(why)),
		-EINVAL);
	h = hello(1);
	ck_assert_int_eq(
		spans_check_hello(&h, JD_SPAN_HELLO_BYTES(1), 16, 1024, NULL, 0, why, sizeof(why)),
		0);
}
END_TEST

static Suite *spans_suite(void)
{
	Suite *s = suite_create("spans");
	TCase *tc = tcase_create("ring");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, records_come_out_in_order_and_tail_follows);
	tcase_add_test(tc, a_full_ring_wraps_exactly);
	tcase_add_test(tc, bad_records_are_counted_not_passed);
	tcase_add_test(tc, a_head_too_far_or_behind_is_skipped_whole);
	tcase_add_test(tc, drops_count_only_what_is_new);
	tcase_add_test(tc, registrations_are_checked);
	tcase_add_test(tc, labels_are_checked);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(spans_suite)
