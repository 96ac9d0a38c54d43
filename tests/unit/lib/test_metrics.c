// SPDX-License-Identifier: MIT
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "lib/metrics.h"

#define PROMTOOL "/usr/bin/promtool"

static struct metrics *m;
static struct buf out;

static void setup(void)
{
	m = metrics_new();
	ck_assert_ptr_nonnull(m);
}

static void teardown(void)
{
	metrics_free(m);
	buf_free(&out);
}

static const char *encoded(void)
{
	buf_reset(&out);
	ck_assert_int_eq(metrics_encode(m, &out), 0);
	return out.data ? out.data : "";
}

static const char *seconds(uint64_t ns)
{
	buf_reset(&out);
	metrics_format_seconds(&out, ns);
	return out.data;
}

START_TEST(test_seconds_are_exact_decimals)
{
	ck_assert_str_eq(seconds(0), "0");
	ck_assert_str_eq(seconds(1), "0.000000001");
	ck_assert_str_eq(seconds(128), "0.000000128");
	ck_assert_str_eq(seconds(1000000000), "1");
	ck_assert_str_eq(seconds(2500000000), "2.5");
	ck_assert_str_eq(seconds(1234567890123), "1234.567890123");
	ck_assert_str_eq(seconds(UINT64_MAX), "18446744073.709551615");
}
END_TEST

START_TEST(test_counter_layout)
{
	struct metric_family *f = metrics_family(m, "jitterd_test_total", "Test events.",
						 METRIC_COUNTER, METRIC_UNIT_NONE);

	metric_u64(f, 7, "cpu", "0", "kind", "idle", LABELS_END);
	metric_u64(f, 18446744073709551615ull, "cpu", "1", "kind", "idle", LABELS_END);
	ck_assert_str_eq(encoded(),
			 "# HELP jitterd_test_total Test events.\n"
			 "# TYPE jitterd_test_total counter\n"
			 "jitterd_test_total{cpu=\"0\",kind=\"idle\"} 7\n"
			 "jitterd_test_total{cpu=\"1\",kind=\"idle\"} 18446744073709551615\n");
}
END_TEST

START_TEST(test_seconds_counter_written_in_seconds)
{
	metric_u64(metrics_family(m, "busy_seconds_total", "Busy.", METRIC_COUNTER,
				  METRIC_UNIT_SECONDS),
		   1500000000, LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP busy_seconds_total Busy.\n"
				    "# TYPE busy_seconds_total counter\n"
				    "busy_seconds_total 1.5\n");
}
END_TEST

START_TEST(test_gauge_doubles_and_no_braces_without_labels)
{
	struct metric_family *f =
		metrics_family(m, "g", "A gauge.", METRIC_GAUGE, METRIC_UNIT_NONE);

	metric_double(f, 0.1, LABELS_END);
	metric_double(f, -2.5, "a", "b", LABELS_END);
	metric_double(f, NAN, LABELS_END);
	metric_double(f, INFINITY, LABELS_END);
	metric_double(f, -INFINITY, LABELS_END);
	metric_double(f, 1e300, LABELS_END);
	metric_double(f, 1.0 / 3, LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP g A gauge.\n"
				    "# TYPE g gauge\n"
				    "g 0.1\n"
				    "g{a=\"b\"} -2.5\n"
				    "g NaN\n"
				    "g +Inf\n"
				    "g -Inf\n"
				    "g 1e+300\n"
				    "g 0.3333333333333333\n");
}
END_TEST

START_TEST(test_double_in_seconds_family_is_nanoseconds)
{
	metric_double(metrics_family(m, "d_seconds", "D.", METRIC_GAUGE, METRIC_UNIT_SECONDS),
		      250000.0, LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP d_seconds D.\n"
				    "# TYPE d_seconds gauge\n"
				    "d_seconds 0.00025\n");
}
END_TEST

START_TEST(test_label_values_escaped)
{
	metric_u64(metrics_family(m, "e", "E.", METRIC_GAUGE, METRIC_UNIT_NONE), 1, "v",
		   "a\\b\"c\nd", LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP e E.\n"
				    "# TYPE e gauge\n"
				    "e{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}
END_TEST

START_TEST(test_help_escaped_but_quotes_kept)
{
	metrics_family(m, "h", "back\\slash\nnew \"line\"", METRIC_GAUGE, METRIC_UNIT_NONE);
	metric_u64(metrics_family(m, "h", NULL, METRIC_GAUGE, METRIC_UNIT_NONE), 1, LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP h back\\\\slash\\nnew \"line\"\n"
				    "# TYPE h gauge\n"
				    "h 1\n");
}
END_TEST

START_TEST(test_invalid_utf8_label_value_replaced)
{
	metric_u64(metrics_family(m, "u", "U.", METRIC_GAUGE, METRIC_UNIT_NONE), 1, "comm",
		   "\xc3\xa9t\xe9\xff\xed\xa0\x80", LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP u U.\n"
				    "# TYPE u gauge\n"
				    "u{comm=\"\xc3\xa9t\xef\xbf\xbd\xef\xbf\xbd"
				    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 1\n");
}
END_TEST

START_TEST(test_histogram_seconds_layout)
{
	unsigned long long buckets[] = { 1, 2, 0, 3 };
	struct metric_hist h = { buckets, 4, 7, 1000000123 };
	struct metric_family *f =
		metrics_family(m, "lat_seconds", "Latency.", METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);

	metric_hist(f, &h, "cpu_group", "isolated", LABELS_END);
	ck_assert_str_eq(encoded(),
			 "# HELP lat_seconds Latency.\n"
			 "# TYPE lat_seconds histogram\n"
			 "lat_seconds_bucket{cpu_group=\"isolated\",le=\"0.000000128\"} 1\n"
			 "lat_seconds_bucket{cpu_group=\"isolated\",le=\"0.000000256\"} 3\n"
			 "lat_seconds_bucket{cpu_group=\"isolated\",le=\"0.000000512\"} 3\n"
			 "lat_seconds_bucket{cpu_group=\"isolated\",le=\"+Inf\"} 6\n"
			 "lat_seconds_sum{cpu_group=\"isolated\"} 1.000000123\n"
			 "lat_seconds_count{cpu_group=\"isolated\"} 6\n");
}
END_TEST

START_TEST(test_histogram_plain_unit_without_labels)
{
	unsigned long long buckets[] = { 4, 0, 1 };
	struct metric_hist h = { buckets, 3, 0, 9 };

	metric_hist(metrics_family(m, "q_bytes", "Queue.", METRIC_HISTOGRAM, METRIC_UNIT_NONE), &h,
		    LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP q_bytes Queue.\n"
				    "# TYPE q_bytes histogram\n"
				    "q_bytes_bucket{le=\"1\"} 4\n"
				    "q_bytes_bucket{le=\"2\"} 4\n"
				    "q_bytes_bucket{le=\"+Inf\"} 5\n"
				    "q_bytes_sum 9\n"
				    "q_bytes_count 5\n");
}
END_TEST

START_TEST(test_histogram_with_only_overflow_bucket)
{
	unsigned long long buckets[] = { 2 };
	struct metric_hist h = { buckets, 1, 7, 3 };

	metric_hist(metrics_family(m, "o", "O.", METRIC_HISTOGRAM, METRIC_UNIT_NONE), &h,
		    LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP o O.\n"
				    "# TYPE o histogram\n"
				    "o_bucket{le=\"+Inf\"} 2\n"
				    "o_sum 3\n"
				    "o_count 2\n");
}
END_TEST

START_TEST(test_histogram_largest_bound_is_2_pow_63)
{
	unsigned long long buckets[] = { 1, 1 };
	struct metric_hist h = { buckets, 2, 63, 0 };

	metric_hist(metrics_family(m, "big", "B.", METRIC_HISTOGRAM, METRIC_UNIT_NONE), &h,
		    LABELS_END);
	ck_assert_ptr_nonnull(strstr(encoded(), "big_bucket{le=\"9223372036854775808\"} 1\n"));
}
END_TEST

START_TEST(test_histogram_buckets_copied_at_add)
{
	unsigned long long buckets[] = { 1, 1 };
	struct metric_hist h = { buckets, 2, 0, 1 };
	struct metric_family *f = metrics_family(m, "c", "C.", METRIC_HISTOGRAM, METRIC_UNIT_NONE);

	metric_hist(f, &h, "n", "a", LABELS_END);
	memset(buckets, 0, sizeof(buckets));
	ck_assert_ptr_nonnull(strstr(encoded(), "c_count{n=\"a\"} 2\n"));
}
END_TEST

START_TEST(test_unwritable_histograms_dropped)
{
	unsigned long long buckets[8] = { 0 };
	struct metric_hist too_wide = { buckets, 3, 63, 0 };
	struct metric_hist empty = { buckets, 0, 0, 0 };
	struct metric_hist no_data = { NULL, 2, 0, 0 };
	struct metric_family *f = metrics_family(m, "w", "W.", METRIC_HISTOGRAM, METRIC_UNIT_NONE);

	metric_hist(f, &too_wide, LABELS_END);
	metric_hist(f, &empty, LABELS_END);
	metric_hist(f, &no_data, LABELS_END);
	metric_hist(f, NULL, LABELS_END);
	ck_assert_str_eq(encoded(), "");
}
END_TEST

START_TEST(test_families_sorted_by_name)
{
	const char *names[] = { "b", "a_b", "B", "a", "a:b", "_z" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		metric_u64(metrics_family(m, names[i], "x", METRIC_GAUGE, METRIC_UNIT_NONE), i,
			   LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP B x\n# TYPE B gauge\nB 2\n"
				    "# HELP _z x\n# TYPE _z gauge\n_z 5\n"
				    "# HELP a x\n# TYPE a gauge\na 3\n"
				    "# HELP a:b x\n# TYPE a:b gauge\na:b 4\n"
				    "# HELP a_b x\n# TYPE a_b gauge\na_b 1\n"
				    "# HELP b x\n# TYPE b gauge\nb 0\n");
}
END_TEST

START_TEST(test_family_asked_twice_appends_with_one_header)
{
	struct metric_family *a = metrics_family(m, "a", "A.", METRIC_GAUGE, METRIC_UNIT_NONE);

	metric_u64(a, 1, "n", "1", LABELS_END);
	metric_u64(metrics_family(m, "b", "B.", METRIC_GAUGE, METRIC_UNIT_NONE), 9, LABELS_END);
	ck_assert_ptr_eq(metrics_family(m, "a", "Other help.", METRIC_GAUGE, METRIC_UNIT_NONE), a);
	metric_u64(metrics_family(m, "a", "Other help.", METRIC_GAUGE, METRIC_UNIT_NONE), 2, "n",
		   "2", LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP a A.\n# TYPE a gauge\na{n=\"1\"} 1\na{n=\"2\"} 2\n"
				    "# HELP b B.\n# TYPE b gauge\nb 9\n");
}
END_TEST

START_TEST(test_type_or_unit_mismatch_returns_null)
{
	struct metric_family *f = metrics_family(m, "t", "T.", METRIC_COUNTER, METRIC_UNIT_NONE);

	metric_u64(f, 1, LABELS_END);
	ck_assert_ptr_null(metrics_family(m, "t", "T.", METRIC_GAUGE, METRIC_UNIT_NONE));
	ck_assert_ptr_null(metrics_family(m, "t", "T.", METRIC_COUNTER, METRIC_UNIT_SECONDS));
	metric_u64(metrics_family(m, "t", "T.", METRIC_GAUGE, METRIC_UNIT_NONE), 2, LABELS_END);
	metric_double(NULL, 1.0, LABELS_END);
	metric_hist(NULL, NULL, LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP t T.\n# TYPE t counter\nt 1\n");
}
END_TEST

START_TEST(test_invalid_metric_names_rejected)
{
	const char *bad[] = { "", "1abc", "a-b", "a b", "é", "a\n" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_ptr_null(metrics_family(m, bad[i], "x", METRIC_GAUGE, METRIC_UNIT_NONE));
	ck_assert_ptr_null(metrics_family(m, NULL, "x", METRIC_GAUGE, METRIC_UNIT_NONE));
	ck_assert_ptr_nonnull(
		metrics_family(m, "ns:sub_name9", "x", METRIC_GAUGE, METRIC_UNIT_NONE));
	ck_assert_str_eq(encoded(), "");
}
END_TEST

START_TEST(test_samples_with_invalid_labels_dropped)
{
	unsigned long long buckets[] = { 1, 1 };
	struct metric_hist h = { buckets, 2, 0, 1 };
	struct metric_family *g = metrics_family(m, "g", "G.", METRIC_GAUGE, METRIC_UNIT_NONE);
	struct metric_family *hf = metrics_family(m, "h", "H.", METRIC_HISTOGRAM, METRIC_UNIT_NONE);

	metric_u64(g, 1, "__reserved", "x", LABELS_END);
	metric_u64(g, 2, "1a", "x", LABELS_END);
	metric_u64(g, 3, "a:b", "x", LABELS_END);
	metric_u64(g, 4, "", "x", LABELS_END);
	metric_u64(g, 5, "a", "x", "a", "y", LABELS_END);
	metric_u64(g, 6, "a", LABELS_END);
	metric_u64(g, 7, "le", "1", LABELS_END);
	metric_hist(hf, &h, "le", "1", LABELS_END);
	metric_hist(hf, &h, "ok", "1", LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP g G.\n# TYPE g gauge\ng{le=\"1\"} 7\n"
				    "# HELP h H.\n# TYPE h histogram\n"
				    "h_bucket{ok=\"1\",le=\"1\"} 1\n"
				    "h_bucket{ok=\"1\",le=\"+Inf\"} 2\n"
				    "h_sum{ok=\"1\"} 1\nh_count{ok=\"1\"} 2\n");
}
END_TEST

START_TEST(test_sample_of_wrong_kind_dropped)
{
	unsigned long long buckets[] = { 1 };
	struct metric_hist h = { buckets, 1, 0, 1 };
	struct metric_family *c = metrics_family(m, "c", "C.", METRIC_COUNTER, METRIC_UNIT_NONE);
	struct metric_family *hf = metrics_family(m, "h", "H.", METRIC_HISTOGRAM, METRIC_UNIT_NONE);

	metric_hist(c, &h, LABELS_END);
	metric_u64(hf, 1, LABELS_END);
	metric_double(hf, 1, LABELS_END);
	ck_assert_str_eq(encoded(), "");
}
END_TEST

START_TEST(test_histogram_series_names_cannot_collide)
{
	ck_assert_ptr_nonnull(metrics_family(m, "x", "X.", METRIC_HISTOGRAM, METRIC_UNIT_NONE));
	ck_assert_ptr_null(metrics_family(m, "x_count", "X.", METRIC_GAUGE, METRIC_UNIT_NONE));
	ck_assert_ptr_null(metrics_family(m, "x_bucket", "X.", METRIC_COUNTER, METRIC_UNIT_NONE));
	ck_assert_ptr_nonnull(metrics_family(m, "y_sum", "Y.", METRIC_GAUGE, METRIC_UNIT_NONE));
	ck_assert_ptr_null(metrics_family(m, "y", "Y.", METRIC_HISTOGRAM, METRIC_UNIT_NONE));
	ck_assert_ptr_nonnull(metrics_family(m, "y", "Y.", METRIC_GAUGE, METRIC_UNIT_NONE));
}
END_TEST

START_TEST(test_family_without_samples_not_written)
{
	metrics_family(m, "empty", "E.", METRIC_GAUGE, METRIC_UNIT_NONE);
	ck_assert_str_eq(encoded(), "");
}
END_TEST

START_TEST(test_clear_forgets_everything)
{
	struct metric_family *f = metrics_family(m, "a", "A.", METRIC_GAUGE, METRIC_UNIT_NONE);

	metric_u64(f, 1, "k", "v", LABELS_END);
	metrics_clear(m);
	ck_assert_str_eq(encoded(), "");
	/* After a clear the same name may come back with another type. */
	f = metrics_family(m, "a", "A2.", METRIC_COUNTER, METRIC_UNIT_NONE);
	metric_u64(f, 2, LABELS_END);
	ck_assert_str_eq(encoded(), "# HELP a A2.\n# TYPE a counter\na 2\n");
}
END_TEST

START_TEST(test_many_families_and_samples_stay_in_order)
{
	unsigned long long buckets[28] = { [0] = 1, [27] = 1 };
	struct metric_hist h = { buckets, 28, 7, 5 };
	char name[16], cpu[16];
	const char *text, *p;

	for (int round = 0; round < 3; round++) {
		struct metric_family *first;

		metrics_clear(m);
		first = metrics_family(m, "m000", "M.", METRIC_COUNTER, METRIC_UNIT_NONE);
		for (int i = 300; i > 0; i--) {
			snprintf(name, sizeof(name), "m%03d", i);
			snprintf(cpu, sizeof(cpu), "%d", i);
			metric_u64(metrics_family(m, name, "M.", METRIC_COUNTER, METRIC_UNIT_NONE),
				   (uint64_t)i, "cpu", cpu, LABELS_END);
			metric_u64(first, (uint64_t)i, "cpu", cpu, LABELS_END);
			metric_hist(metrics_family(m, "hist_seconds", "H.", METRIC_HISTOGRAM,
						   METRIC_UNIT_SECONDS),
				    &h, "cpu", cpu, LABELS_END);
		}
	}
	text = encoded();
	ck_assert_ptr_nonnull(strstr(text, "m000{cpu=\"300\"} 300\nm000{cpu=\"299\"} 299\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE m300 counter\nm300{cpu=\"300\"} 300\n"));
	p = strstr(text, "hist_seconds_count{cpu=\"2\"} 2\n");
	ck_assert(p && p < strstr(text, "hist_seconds_count{cpu=\"1\"} 2\n"));
	p = strstr(text, "# HELP hist_seconds ");
	ck_assert(p && p < strstr(text, "# HELP m000 "));
}
END_TEST

static const char *encoded_openmetrics(void)
{
	buf_reset(&out);
	ck_assert_int_eq(metrics_encode_as(m, &out, METRICS_OPENMETRICS), 0);
	return out.data ? out.data : "";
}

START_TEST(test_openmetrics_counter_family_without_total_and_eof)
{
	metric_u64(metrics_family(m, "jitterd_softirq_seconds_total", "Softirq \"time\".",
				  METRIC_COUNTER, METRIC_UNIT_SECONDS),
		   1500000000, "cpu", "0", LABELS_END);
	metric_u64(metrics_family(m, "jitterd_socket_drops_total", "Drops.", METRIC_COUNTER,
				  METRIC_UNIT_NONE),
		   3, LABELS_END);
	ck_assert_str_eq(encoded_openmetrics(),
			 "# HELP jitterd_socket_drops Drops.\n"
			 "# TYPE jitterd_socket_drops counter\n"
			 "jitterd_socket_drops_total 3\n"
			 "# HELP jitterd_softirq_seconds Softirq \\\"time\\\".\n"
			 "# TYPE jitterd_softirq_seconds counter\n"
			 "# UNIT jitterd_softirq_seconds seconds\n"
			 "jitterd_softirq_seconds_total{cpu=\"0\"} 1.5\n"
			 "# EOF\n");
}
END_TEST

START_TEST(test_openmetrics_units_from_the_name)
{
	unsigned long long buckets[] = { 1, 1 };
	struct metric_hist h = { buckets, 2, 6, 70 };

	metric_hist(metrics_family(m, "q_bytes", "Queue.", METRIC_HISTOGRAM, METRIC_UNIT_NONE), &h,
		    LABELS_END);
	metric_u64(metrics_family(m, "up", "Up.", METRIC_GAUGE, METRIC_UNIT_NONE), 1, LABELS_END);
	ck_assert_str_eq(encoded_openmetrics(), "# HELP q_bytes Queue.\n"
						"# TYPE q_bytes histogram\n"
						"# UNIT q_bytes bytes\n"
						"q_bytes_bucket{le=\"64\"} 1\n"
						"q_bytes_bucket{le=\"+Inf\"} 2\n"
						"q_bytes_sum 70\n"
						"q_bytes_count 2\n"
						"# HELP up Up.\n"
						"# TYPE up gauge\n"
						"up 1\n"
						"# EOF\n");
}
END_TEST

START_TEST(test_openmetrics_empty_registry_is_just_eof)
{
	ck_assert_str_eq(encoded_openmetrics(), "# EOF\n");
	ck_assert_str_eq(encoded(), "");
}
END_TEST

START_TEST(test_negotiate_picks_format_and_content_type)
{
	enum metrics_format f = METRICS_OPENMETRICS;

	ck_assert_str_eq(metrics_negotiate(NULL, &f), "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_int_eq(f, METRICS_TEXT);
	ck_assert_str_eq(metrics_negotiate("application/openmetrics-text;version=1.0.0,application/"
					   "openmetrics-text;version=0.0.1;q=0.75,text/plain;"
					   "version=0.0.4;q=0.5,*/*;q=0.1",
					   &f),
			 "application/openmetrics-text; version=1.0.0; charset=utf-8");
	ck_assert_int_eq(f, METRICS_OPENMETRICS);
	ck_assert_str_eq(metrics_negotiate("application/openmetrics-text;version=0.0.1", &f),
			 "application/openmetrics-text; version=0.0.1; charset=utf-8");
	ck_assert_int_eq(f, METRICS_OPENMETRICS);
}
END_TEST

/* Runs promtool on text; returns its exit status and puts what it said in said. */
static int promtool_check(const char *text, char *said, size_t said_size)
{
	char path[] = "/tmp/jd_test_metrics_XXXXXX";
	char cmd[128];
	size_t n, len = strlen(text);
	FILE *p;
	int fd, status;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(said, 1, said_size - 1, p);
	said[n] = '\0';
	status = pclose(p);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_promtool_finds_nothing_to_complain_about)
{
	unsigned long long buckets[25] = { 5, 3, 0, 1, [24] = 2 };
	struct metric_hist h = { buckets, 25, 7, 123456789 };
	struct metric_family *f;
	char said[4096];

	/* The daemon's own output never has these label values and HELP texts
	 * (config restricts names), so the integration lint cannot stand in. */
	ck_assert_msg(access(PROMTOOL, X_OK) == 0,
		      PROMTOOL " is missing: scripts/install-deps.sh (make deps) installs it");
	f = metrics_family(m, "jitterd_context_switches_total", "Context switches by CPU and kind.",
			   METRIC_COUNTER, METRIC_UNIT_NONE);
	metric_u64(f, 10, "cpu", "0", "kind", "voluntary", LABELS_END);
	metric_u64(f, 3, "cpu", "0", "kind", "involuntary", LABELS_END);
	f = metrics_family(m, "jitterd_runqueue_latency_seconds",
			   "Time from wakeup to running, by CPU group.", METRIC_HISTOGRAM,
			   METRIC_UNIT_SECONDS);
	metric_hist(f, &h, "cpu_group", "housekeeping", LABELS_END);
	metric_hist(f, &h, "cpu_group", "iso\"lated\\\n", LABELS_END);
	metric_u64(metrics_family(m, "jitterd_softirq_seconds_total", "Softirq time.",
				  METRIC_COUNTER, METRIC_UNIT_SECONDS),
		   2500000000, "cpu", "1", "vector", "net_rx", LABELS_END);
	metric_double(metrics_family(m, "jitterd_scrape_duration_seconds",
				     "Time the last scrape took.", METRIC_GAUGE,
				     METRIC_UNIT_SECONDS),
		      1234.5, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_build_info", "Build and kernel versions.\nAlways 1.",
				  METRIC_GAUGE, METRIC_UNIT_NONE),
		   1, "version", "0.1.0", "revision", "abc", "libbpf", "1.5", "kernel", "6.18.0",
		   LABELS_END);
	metric_double(metrics_family(m, "process_start_time_seconds", "Start time.", METRIC_GAUGE,
				     METRIC_UNIT_NONE),
		      1.7e9, LABELS_END);
	ck_assert_int_eq(promtool_check(encoded(), said, sizeof(said)), 0);
	ck_assert_str_eq(said, "");
}
END_TEST

/* ---- reading a registry back ---- */

struct seen {
	char cpu[8][16], kind[8][16];
	double value[8];
	uint64_t first_bucket, sum;
	int n;
};

static void remember(const struct metric_sample_view *v, void *arg)
{
	struct seen *s = arg;

	ck_assert_int_eq(metric_sample_label(v, "cpu", s->cpu[s->n], sizeof(s->cpu[0])), 0);
	if (metric_sample_label(v, "kind", s->kind[s->n], sizeof(s->kind[0])))
		s->kind[s->n][0] = '\0';
	s->value[s->n] = v->value;
	if (v->type == METRIC_HISTOGRAM) {
		s->first_bucket = v->hist.buckets[0];
		s->sum = v->hist.sum;
	}
	s->n++;
}

START_TEST(test_samples_read_back_in_order_with_their_labels)
{
	struct metric_family *f =
		metrics_family(m, "jd_test_total", "t", METRIC_COUNTER, METRIC_UNIT_NONE);
	struct seen s = {};

	metric_u64(f, 7, "cpu", "0", "kind", "a \"quoted\\ one\"", LABELS_END);
	metric_u64(f, 9, "cpu", "1", "kind", "plain", LABELS_END);
	ck_assert_int_eq(metrics_each_sample(m, "jd_test_total", remember, &s), 2);
	ck_assert_str_eq(s.cpu[0], "0");
	ck_assert_str_eq(s.kind[0], "a \"quoted\\ one\"");
	ck_assert_str_eq(s.cpu[1], "1");
	ck_assert_str_eq(s.kind[1], "plain");
	ck_assert(s.value[0] == 7 && s.value[1] == 9);
}
END_TEST

START_TEST(test_histogram_read_back_per_bucket)
{
	static const unsigned long long b[] = { 3, 0, 5 };
	struct metric_hist h = { .buckets = b, .n_buckets = 3, .first_log2 = 7, .sum = 1234 };
	struct seen s = {};

	metric_hist(metrics_family(m, "jd_h_seconds", "h", METRIC_HISTOGRAM, METRIC_UNIT_SECONDS),
		    &h, "cpu", "2", LABELS_END);
	ck_assert_int_eq(metrics_each_sample(m, "jd_h_seconds", remember, &s), 1);
	ck_assert_uint_eq(s.first_bucket, 3);
	ck_assert_uint_eq(s.sum, 1234);
}
END_TEST

START_TEST(test_missing_family_or_label_says_so)
{
	struct seen s = {};
	ck_assert_int_eq(metrics_each_sample(m, "jd_nothing", remember, &s), -ENOENT);
	metric_u64(metrics_family(m, "jd_g", "g", METRIC_GAUGE, METRIC_UNIT_NONE), 1, "cpu",
		   "12345", LABELS_END);
	ck_assert_int_eq(metrics_each_sample(m, "jd_g", remember, &s), 1);
	{
		struct metric_sample_view view = { .labels = "cpu=\"12345\"", .labels_len = 11 };
		char v[4];

		ck_assert_int_eq(metric_sample_label(&view, "cpu", v, sizeof(v)), -ENOSPC);
		ck_assert_int_eq(metric_sample_label(&view, "cp", v, sizeof(v)), -ENOENT);
	}
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_seconds_are_exact_decimals);
	tcase_add_test(tc, test_counter_layout);
	tcase_add_test(tc, test_seconds_counter_written_in_seconds);
	tcase_add_test(tc, test_gauge_doubles_and_no_braces_without_labels);
	tcase_add_test(tc, test_double_in_seconds_family_is_nanoseconds);
	tcase_add_test(tc, test_label_values_escaped);
	tcase_add_test(tc, test_help_escaped_but_quotes_kept);
	tcase_add_test(tc, test_invalid_utf8_label_value_replaced);
	tcase_add_test(tc, test_histogram_seconds_layout);
	tcase_add_test(tc, test_histogram_plain_unit_without_labels);
	tcase_add_test(tc, test_histogram_with_only_overflow_bucket);
	tcase_add_test(tc, test_histogram_largest_bound_is_2_pow_63);
	tcase_add_test(tc, test_histogram_buckets_copied_at_add);
	tcase_add_test(tc, test_unwritable_histograms_dropped);
	tcase_add_test(tc, test_families_sorted_by_name);
	tcase_add_test(tc, test_family_asked_twice_appends_with_one_header);
	tcase_add_test(tc, test_type_or_unit_mismatch_returns_null);
	tcase_add_test(tc, test_invalid_metric_names_rejected);
	tcase_add_test(tc, test_samples_with_invalid_labels_dropped);
	tcase_add_test(tc, test_sample_of_wrong_kind_dropped);
	tcase_add_test(tc, test_histogram_series_names_cannot_collide);
	tcase_add_test(tc, test_family_without_samples_not_written);
	tcase_add_test(tc, test_clear_forgets_everything);
	tcase_add_test(tc, test_many_families_and_samples_stay_in_order);
	tcase_add_test(tc, test_promtool_finds_nothing_to_complain_about);
	tcase_add_test(tc, test_openmetrics_counter_family_without_total_and_eof);
	tcase_add_test(tc, test_openmetrics_units_from_the_name);
	tcase_add_test(tc, test_openmetrics_empty_registry_is_just_eof);
	tcase_add_test(tc, test_negotiate_picks_format_and_content_type);
	tcase_add_test(tc, test_samples_read_back_in_order_with_their_labels);
	tcase_add_test(tc, test_histogram_read_back_per_bucket);
	tcase_add_test(tc, test_missing_family_or_label_says_so);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(metrics_suite)
