// SPDX-License-Identifier: MIT
/*
 * The query string of /events: what each argument means, and the 400's
 * reason for each way of getting one wrong.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "probes/event_query.h"

#define NS_PER_SEC 1000000000LL

/* "k=v&k=v" (no decoding: libmicrohttpd has done it) into q; the reason in why. */
static int parse(const char *qs, struct event_query *q, char *why, size_t size)
{
	struct event_query_arg args[EVENT_QUERY_MAX_ARGS + 1];
	static char copy[1024];
	unsigned n = 0;

	snprintf(copy, sizeof(copy), "%s", qs);
	for (char *save = NULL, *kv = strtok_r(copy, "&", &save);
	     kv && n < EVENT_QUERY_MAX_ARGS + 1; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq = '\0';
		args[n++] = (struct event_query_arg){ kv, eq ? eq + 1 : NULL };
	}
	return event_query_parse(q, args, n, why, size);
}

static struct event_query ok(const char *qs)
{
	struct event_query q;
	char why[256] = "";

	ck_assert_msg(!parse(qs, &q, why, sizeof(why)), "%s: %s", qs, why);
	return q;
}

static void refused(const char *qs, const char *reason)
{
	struct event_query q;
	char why[256] = "";

	ck_assert_msg(parse(qs, &q, why, sizeof(why)) == -EINVAL, "%s was taken", qs);
	ck_assert_msg(strstr(why, reason), "%s: \"%s\" does not say \"%s\"", qs, why, reason);
}

START_TEST(no_arguments_ask_for_everything)
{
	struct event_query q = ok("");

	ck_assert_uint_eq(q.n_kinds, 0);
	ck_assert(!q.has_since);
	ck_assert_uint_eq(q.limit, 0);
	ck_assert_int_eq(q.cpu, -1);
	ck_assert_str_eq(q.workload, "");
	ck_assert_str_eq(q.socket, "");
	ck_assert(!q.follow);
}
END_TEST

START_TEST(kinds_come_comma_separated_and_the_argument_may_repeat)
{
	struct event_query q = ok("kind=anomaly,socket_drop&kind=softirq");

	ck_assert_uint_eq(q.n_kinds, 3);
	ck_assert_str_eq(q.kinds[0], "anomaly");
	ck_assert_str_eq(q.kinds[1], "socket_drop");
	ck_assert_str_eq(q.kinds[2], "softirq");
}
END_TEST

struct time_case {
	const char *text;
	long long ns;
};

static const struct time_case times[] = {
	{ "0", 0 },
	{ "1796606616277813415", 1796606616277813415LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2026-12-07T01:23:36Z", 1796606616LL * NS_PER_SEC },
	{ "2026-12-07T01:23:36.5Z", 1796606616LL * NS_PER_SEC + 500000000 },
	{ "2026-12-07t01:23:36.123456789z", 1796606616LL * NS_PER_SEC + 123456789 },
	{ "2026-12-07T02:23:36.000000001+01:00", 1796606616LL * NS_PER_SEC + 1 },
	{ "2026-12-06T23:53:36-01:30", 1796606616LL * NS_PER_SEC },
	/* Digits past the ninth are below a nanosecond. */
	{ "2026-12-07T01:23:36.1234567899Z", 1796606616LL * NS_PER_SEC + 123456789 },
	{ "2024-02-29T00:00:00Z", 1709164800LL * NS_PER_SEC },
};

START_TEST(since_takes_unix_nanoseconds_or_rfc3339)
{
	char qs[64];
	struct event_query q;

	snprintf(qs, sizeof(qs), "since=%s", times[_i].text);
	q = ok(qs);
	ck_assert(q.has_since);
	ck_assert_msg(q.since_ns == times[_i].ns, "%s: %lld, not %lld", times[_i].text,
		      (long long)q.since_ns, times[_i].ns);
}
END_TEST

static const char *const bad_times[] = {
	"",
	"-1",
	"1e9",
	"99999999999999999999",
	"2026-12-07",
	"2026-12-07T01:23:36",
	"2026-13-07T01:23:36Z",
	"2026-02-30T01:23:36Z",
	"2025-02-29T00:00:00Z",
	"2026-12-07T24:00:00Z",
	"2026-12-07T01:60:00Z",
	"2026-12-07T01:23:36.Z",
	"2026-12-07T01:23:36+1:00",
	"2026-12-07T01:23:36+01:00x",
	"2026-12-06T23:53:36-01", /* found by the fuzzer: read past the end */
	"2026-12-06T23:53:36-0",
	"1969-12-31T23:59:59Z",
	"2263-01-01T00:00:00Z",
	"2026-12-07 01:23:36Z",
};

START_TEST(a_bad_since_is_refused)
{
	char qs[64];

	snprintf(qs, sizeof(qs), "since=%s", bad_times[_i]);
	refused(qs, "since: expected Unix nanoseconds or an RFC 3339 time");
}
END_TEST

START_TEST(limit_cpu_workload_socket_and_follow_are_read)
{
	struct event_query q = ok("limit=10&cpu=7&workload=strategy&socket=md-feed");

	ck_assert_uint_eq(q.limit, 10);
	ck_assert_int_eq(q.cpu, 7);
	ck_assert_str_eq(q.workload, "strategy");
	ck_assert_str_eq(q.socket, "md-feed");
	ck_assert(ok("follow=1").follow);
	ck_assert(ok("follow=true").follow);
	ck_assert(ok("follow").follow);
	ck_assert(!ok("follow=0").follow);
}
END_TEST

struct bad_case {
	const char *qs, *reason;
};

static const struct bad_case bad[] = {
	{ "bogus=1", "unknown query argument \"bogus\"" },
	{ "=1", "unknown query argument \"\"" },
	{ "limit=0", "limit: expected a number from 1 to 1000000" },
	{ "limit=1000001", "limit: expected a number from 1 to 1000000" },
	{ "limit=-1", "limit: expected a number" },
	{ "limit=1x", "limit: expected a number" },
	{ "limit", "limit: needs a value" },
	{ "limit=5&limit=6", "limit: given twice" },
	{ "cpu=65536", "cpu: expected a number from 0 to 65535" },
	{ "cpu=", "cpu: expected a number" },
	{ "kind=", "kind: expected kinds separated by commas" },
	{ "kind=a,,b", "kind: expected kinds separated by commas" },
	{ "kind=a,", "kind: expected kinds separated by commas" },
	{ "kind=a\"b", "kind: expected kinds" },
	{ "kind=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "kind: at most 16 kinds" },
	{ "workload=", "workload: expected a name" },
	{ "socket=a/b", "socket: expected a name" },
	{ "socket=x\"y", "socket: expected a name" },
	{ "follow=yes", "follow: expected 1, true, 0 or false" },
	{ "follow=1&limit=3", "limit: not with follow" },
	{ "cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&cpu=1&"
	  "cpu=1&cpu=1&cpu=1",
	  "at most 16 query arguments" },
};

START_TEST(a_bad_query_is_refused_with_its_reason)
{
	refused(bad[_i].qs, bad[_i].reason);
}
END_TEST

START_TEST(a_name_of_63_characters_is_taken_and_one_of_64_is_not)
{
	char qs[100], name[65];

	memset(name, 'a', 64);
	name[63] = '\0';
	snprintf(qs, sizeof(qs), "workload=%s", name);
	ck_assert_str_eq(ok(qs).workload, name);
	name[63] = 'a';
	name[64] = '\0';
	snprintf(qs, sizeof(qs), "workload=%s", name);
	refused(qs, "workload: expected a name of 1 to 63");
}
END_TEST

static Suite *event_query_suite(void)
{
	Suite *s = suite_create("event_query");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, no_arguments_ask_for_everything);
	tcase_add_test(t, kinds_come_comma_separated_and_the_argument_may_repeat);
	tcase_add_loop_test(t, since_takes_unix_nanoseconds_or_rfc3339, 0,
			    sizeof(times) / sizeof(times[0]));
	tcase_add_loop_test(t, a_bad_since_is_refused, 0, sizeof(bad_times) / sizeof(bad_times[0]));
	tcase_add_test(t, limit_cpu_workload_socket_and_follow_are_read);
	tcase_add_loop_test(t, a_bad_query_is_refused_with_its_reason, 0,
			    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(t, a_name_of_63_characters_is_taken_and_one_of_64_is_not);
	suite_add_tcase(s, t);
	return s;
}

JD_CHECK_MAIN(event_query_suite)
