// SPDX-License-Identifier: MIT
/* Content negotiation (Accept, Accept-Encoding) and the gzip body. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check_main.h"
#include "lib/negotiate.h"

static const struct media_offer offers[] = {
	{ "text/plain", "0.0.4" },
	{ "application/openmetrics-text", "1.0.0" },
	{ "application/openmetrics-text", "0.0.1" },
};

static unsigned pick(const char *accept)
{
	return negotiate_media(accept, offers, sizeof(offers) / sizeof(offers[0]));
}

START_TEST(test_prometheus_2_accept_gets_openmetrics_1)
{
	/* What Prometheus 2.x sends (scrape.go, scrapeAcceptHeader). */
	ck_assert_uint_eq(pick("application/openmetrics-text;version=1.0.0,application/"
			       "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
			       "q=0.5,*/*;q=0.1"),
			  1);
}
END_TEST

START_TEST(test_prometheus_3_accept_with_escaping_and_spaces)
{
	/* Prometheus 3 adds escaping= and may put the text format first. */
	ck_assert_uint_eq(pick("text/plain;version=0.0.4;q=0.3, application/openmetrics-text; "
			       "version=1.0.0; escaping=allow-utf-8; q=0.6,*/*;q=0.1"),
			  1);
	ck_assert_uint_eq(pick("application/openmetrics-text;version=1.0.0;q=0.4,"
			       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
			  0);
}
END_TEST

START_TEST(test_only_old_openmetrics_version_gets_it)
{
	ck_assert_uint_eq(pick("application/openmetrics-text; version=0.0.1"), 2);
	ck_assert_uint_eq(pick("application/openmetrics-text"), 1);
	/* An unknown version is no match: text it is. */
	ck_assert_uint_eq(pick("application/openmetrics-text;version=2.0.0"), 0);
}
END_TEST

START_TEST(test_no_or_generic_accept_gets_text)
{
	ck_assert_uint_eq(pick(NULL), 0);
	ck_assert_uint_eq(pick(""), 0);
	ck_assert_uint_eq(pick("*/*"), 0);
	ck_assert_uint_eq(pick("text/html,application/xhtml+xml,*/*;q=0.8"), 0);
	ck_assert_uint_eq(pick("application/json"), 0);
	ck_assert_uint_eq(pick("application/*"), 1);
}
END_TEST

START_TEST(test_q_zero_refuses_and_specific_range_wins)
{
	ck_assert_uint_eq(pick("application/openmetrics-text;q=0,*/*"), 0);
	ck_assert_uint_eq(pick("text/plain;q=0,*/*;q=0.2"), 1);
	/* The most specific range sets the q, whatever the order. */
	ck_assert_uint_eq(pick("*/*;q=1,text/plain;q=0.1"), 1);
	/* Malformed q-values count as 0, case does not matter. */
	ck_assert_uint_eq(pick("APPLICATION/OpenMetrics-Text;Q=0.9,text/plain;q=1.5"), 1);
	ck_assert_uint_eq(pick("application/openmetrics-text;q=x"), 0);
}
END_TEST

START_TEST(test_gzip_accepted)
{
	ck_assert(negotiate_gzip("gzip"));
	ck_assert(negotiate_gzip("gzip, deflate, br"));
	ck_assert(negotiate_gzip("deflate;q=1.0, GZIP;q=0.5"));
	ck_assert(negotiate_gzip("*"));
	ck_assert(negotiate_gzip("x-gzip"));
}
END_TEST

START_TEST(test_gzip_refused)
{
	ck_assert(!negotiate_gzip(NULL));
	ck_assert(!negotiate_gzip(""));
	ck_assert(!negotiate_gzip("identity"));
	ck_assert(!negotiate_gzip("gzip;q=0"));
	ck_assert(!negotiate_gzip("gzip;q=0.000, *"));
	ck_assert(!negotiate_gzip("br, deflate"));
	ck_assert(!negotiate_gzip("gzipped"));
}
END_TEST

START_TEST(test_gzip_round_trip)
{
	struct buf in = { 0 }, out = { 0 };
	unsigned char *back;
	z_stream z = { 0 };

	for (int i = 0; i < 20000; i++)
		buf_printf(&in, "jitterd_x_total{cpu=\"%d\"} %d\n", i % 64, i * 7);
	buf_puts(&out, "kept");
	ck_assert_int_eq(gzip_compress(in.data, in.len, &out), 0);
	ck_assert_mem_eq(out.data, "kept", 4);
	/* The gzip magic, and a fraction of the size for text this repetitive. */
	ck_assert_uint_eq((unsigned char)out.data[4], 0x1f);
	ck_assert_uint_eq((unsigned char)out.data[5], 0x8b);
	ck_assert_uint_lt(out.len, in.len / 4);
	back = malloc(in.len);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)out.data + 4;
	z.avail_in = (unsigned)(out.len - 4);
	z.next_out = back;
	z.avail_out = (unsigned)in.len;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(z.total_out, in.len);
	ck_assert_mem_eq(back, in.data, in.len);
	inflateEnd(&z);
	free(back);
	buf_free(&in);
	buf_free(&out);
}
END_TEST

static Suite *negotiate_suite(void)
{
	Suite *s = suite_create("negotiate");
	TCase *tc = tcase_create("negotiate");

	tcase_add_test(tc, test_prometheus_2_accept_gets_openmetrics_1);
	tcase_add_test(tc, test_prometheus_3_accept_with_escaping_and_spaces);
	tcase_add_test(tc, test_only_old_openmetrics_version_gets_it);
	tcase_add_test(tc, test_no_or_generic_accept_gets_text);
	tcase_add_test(tc, test_q_zero_refuses_and_specific_range_wins);
	tcase_add_test(tc, test_gzip_accepted);
	tcase_add_test(tc, test_gzip_refused);
	tcase_add_test(tc, test_gzip_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(negotiate_suite)
