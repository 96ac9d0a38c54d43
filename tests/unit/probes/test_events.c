// SPDX-License-Identifier: MIT
/*
 * Notable events in the daemon: routing by the header's source and type,
 * the log of the last events.log_size events (/events), and their JSON.
 * Events are handed to events_handle() as the ring buffer would hand them;
 * events_init() creates a real BPF ring buffer, so this needs root (or
 * CAP_BPF).
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "core/config.h"
#include "lib/json.h"
#include "probes/collector.h"
#include "probes/event_query.h"
#include "probes/events.h"
#include "lib/metrics.h"

#define LOG_SIZE 3
#define NS_PER_S 1000000000LL

enum { SOURCE = 7, UNREGISTERED_SOURCE = 8 };
enum { EV_NEWS, EV_BOOKKEEPING, EV_RARE, EV_EMBEDS, N_EVENT_TYPES };
#define RARE_LOG_SIZE 5

struct test_event {
	struct jd_event_hdr hdr;
	__u64 value;
};

static struct collector the_collector;
static unsigned handled;
static struct collector *handled_by;
static __u64 handled_value;

static bool handle(struct collector *c, const void *event, json_t *obj, bool news)
{
	const struct test_event *e = event;

	handled++;
	handled_by = c;
	handled_value = e->value;
	json_set_u64(obj, "value", e->value);
	return news;
}

static bool handle_news(struct collector *c, const void *event, json_t *obj)
{
	return handle(c, event, obj, true);
}

static bool handle_bookkeeping(struct collector *c, const void *event, json_t *obj)
{
	return handle(c, event, obj, false);
}

/* A rare kind, whose events name a socket (even/odd) and a workload (w0-w2). */
static bool handle_rare(struct collector *c, const void *event, json_t *obj)
{
	const struct test_event *e = event;
	char w[4];

	handle(c, event, obj, true);
	json_set_str(obj, "socket", e->value % 2 ? "odd" : "even");
	snprintf(w, sizeof(w), "w%u", (unsigned)(e->value % 3));
	json_set_str(obj, "workload", w);
	return true;
}

/* A kind that, like span_slow's on_cpu, embeds other events: its own workload
 * is w9, the one it embeds names workload w1 and socket odd. */
static bool handle_embeds(struct collector *c, const void *event, json_t *obj)
{
	json_t *list = json_array(), *inner = json_object();

	handle(c, event, obj, true);
	json_set_str(obj, "workload", "w9");
	json_set_str(inner, "workload", "w1");
	json_set_str(inner, "socket", "odd");
	json_array_append_new(list, inner);
	json_object_set_new(obj, "on_cpu", list);
	return true;
}

static const struct event_def defs[N_EVENT_TYPES] = {
	[EV_NEWS] = { "news", sizeof(struct test_event), handle_news },
	[EV_BOOKKEEPING] = { "bookkeeping", sizeof(struct test_event), handle_bookkeeping,
			     .bookkeeping = true },
	[EV_RARE] = { "rare", sizeof(struct test_event), handle_rare },
	[EV_EMBEDS] = { "embeds", sizeof(struct test_event), handle_embeds },
};

static void setup(void)
{
	struct jd_config cfg;

	config_defaults(&cfg);
	cfg.events.log_size = LOG_SIZE;
	/* The table's kinds are checked by the config; the test's own by the log. */
	strcpy(cfg.events.log_sizes[0].kind, "rare");
	cfg.events.log_sizes[0].size = RARE_LOG_SIZE;
	cfg.events.n_log_sizes = 1;
	ck_assert_int_eq(events_init(&cfg), 0);
	ck_assert_int_eq(events_register(SOURCE, defs, N_EVENT_TYPES, &the_collector), 0);
	handled = 0;
	handled_by = NULL;
}

static void teardown(void)
{
	events_unregister(SOURCE);
	events_finish();
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/*
 * The first len bytes of an event, right before an unmapped page: reading
 * past what the ring handed over faults. Like the ring's records, it starts
 * 8-byte aligned (UBSan holds the handlers to their structs' alignment), so
 * a length that is not a multiple of 8 leaves up to 7 bytes before the page.
 */
static void send_bytes(unsigned source, unsigned type, __u64 time_ns, __u64 value, size_t len)
{
	struct test_event e = {
		.hdr = { .time_ns = time_ns, .cpu = 3, .collector = source, .type = type },
		.value = value,
	};
	long page = sysconf(_SC_PAGESIZE);
	char *pages =
		mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(pages, MAP_FAILED);
	ck_assert_int_eq(mprotect(pages + page, page, PROT_NONE), 0);
	e.hdr.len = (__u16)len;
	memcpy(pages + page - ((len + 7) & ~(size_t)7), &e, len);
	events_handle(pages + page - ((len + 7) & ~(size_t)7), len);
	munmap(pages, 2 * page);
}

static void send(unsigned type, __u64 value)
{
	send_bytes(SOURCE, type, (__u64)now_ns(CLOCK_MONOTONIC), value, sizeof(struct test_event));
}

/* The /events page. */
static const char *render(void)
{
	static struct buf out;

	buf_reset(&out);
	ck_assert_int_eq(events_render(NULL, &out), 0);
	return out.len ? out.data : "";
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The "value" member of each line of the page, in order. */
static unsigned values(const char *page, __u64 *v, unsigned max)
{
	unsigned n = 0;

	for (const char *eol; (eol = strchr(page, '\n')) && n < max; page = eol + 1) {
		json_error_t err;
		json_t *obj = json_loadb(page, (size_t)(eol - page), 0, &err);

		ck_assert_msg(obj != NULL, "not JSON: %.*s (%s)", (int)(eol - page), page,
			      err.text);
		v[n++] = (__u64)json_integer_value(json_object_get(obj, "value"));
		json_decref(obj);
	}
	return n;
}

static void assert_matches(const char *s, const char *pattern)
{
	regex_t re;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(!regexec(&re, s, 0, NULL, 0), "'%s' does not match %s", s, pattern);
	regfree(&re);
}

/* ---- the log ----------------------------------------------------------------- */

static const unsigned fed[] = { 1, 3, 4, 7 };

START_TEST(the_log_keeps_the_last_log_size_events_oldest_first)
{
	unsigned n = fed[_i], kept = n < LOG_SIZE ? n : LOG_SIZE;
	__u64 v[LOG_SIZE + 1];

	for (unsigned i = 1; i <= n; i++)
		send(EV_NEWS, i);
	ck_assert_uint_eq(values(render(), v, LOG_SIZE + 1), kept);
	for (unsigned i = 0; i < kept; i++)
		ck_assert_uint_eq(v[i], n - kept + 1 + i);
}
END_TEST

START_TEST(the_log_never_holds_more_than_log_size_events)
{
	for (unsigned i = 1; i <= 3 * LOG_SIZE + 1; i++) {
		send(EV_NEWS, i);
		ck_assert_uint_eq(count_lines(render()), i < LOG_SIZE ? i : LOG_SIZE);
	}
}
END_TEST

/* ---- routing ----------------------------------------------------------------- */

START_TEST(an_event_reaches_its_types_handle_with_the_registered_collector)
{
	__u64 v[2];

	send(EV_NEWS, 42);
	ck_assert_uint_eq(handled, 1);
	ck_assert_ptr_eq(handled_by, &the_collector);
	ck_assert_uint_eq(handled_value, 42);
	ck_assert_uint_eq(values(render(), v, 2), 1);
	ck_assert_uint_eq(v[0], 42);
}
END_TEST

START_TEST(an_event_whose_handle_returns_false_stays_out_of_the_log)
{
	send(EV_BOOKKEEPING, 1);
	ck_assert_uint_eq(handled, 1);
	ck_assert_str_eq(render(), "");
}
END_TEST

struct malformed_case {
	const char *what;
	unsigned source, type;
	size_t len;
};

static const struct malformed_case malformed[] = {
	{ "shorter than its type's struct", SOURCE, EV_NEWS, sizeof(struct test_event) - 1 },
	{ "of an unknown type", SOURCE, N_EVENT_TYPES, sizeof(struct test_event) },
	{ "of an unregistered source", UNREGISTERED_SOURCE, EV_NEWS, sizeof(struct test_event) },
	{ "shorter than the header", SOURCE, EV_NEWS, sizeof(struct jd_event_hdr) - 1 },
	{ "empty", SOURCE, EV_NEWS, 0 },
};

START_TEST(a_malformed_event_is_dropped)
{
	send_bytes(malformed[_i].source, malformed[_i].type, 0, 1, malformed[_i].len);
	ck_assert_msg(handled == 0, "an event %s was handled", malformed[_i].what);
	ck_assert_str_eq(render(), "");
}
END_TEST

START_TEST(after_unregistering_a_sources_events_are_dropped)
{
	events_unregister(SOURCE);
	send(EV_NEWS, 1);
	ck_assert_uint_eq(handled, 0);
	ck_assert_str_eq(render(), "");
}
END_TEST

START_TEST(a_source_is_registered_once_until_unregistered)
{
	ck_assert_int_eq(events_register(SOURCE, defs, N_EVENT_TYPES, &the_collector), -EINVAL);
	events_unregister(SOURCE);
	ck_assert_int_eq(events_register(SOURCE, defs, N_EVENT_TYPES, &the_collector), 0);
	ck_assert_int_eq(events_register(EVENTS_MAX_SOURCES, defs, 1, &the_collector), -EINVAL);
}
END_TEST

/* ---- the JSON of an event ----------------------------------------------------- */

START_TEST(each_line_starts_with_time_cpu_and_type_in_that_order)
{
	send(EV_NEWS, 5);
	assert_matches(render(),
		       "^\\{\"time\":\"[^\"]*\",\"cpu\":3,\"type\":\"news\",\"value\":5\\}\n$");
}
END_TEST

START_TEST(the_time_is_rfc3339_utc_with_nine_fraction_digits)
{
	const __u64 base = (__u64)now_ns(CLOCK_MONOTONIC);

	/* Tenths of a second apart: one of them has a fraction below 0.1 s. */
	for (unsigned i = 0; i < 10; i++) {
		json_t *obj;

		send_bytes(SOURCE, EV_NEWS, base + i * (NS_PER_S / 10), i,
			   sizeof(struct test_event));
		obj = json_loads(strrchr(render(), '{'), JSON_DISABLE_EOF_CHECK, NULL);
		ck_assert_ptr_nonnull(obj);
		assert_matches(
			json_string_value(json_object_get(obj, "time")),
			"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$");
		json_decref(obj);
	}
}
END_TEST

START_TEST(the_time_is_the_events_monotonic_stamp_on_the_wall_clock)
{
	json_t *obj;
	const char *time;
	struct tm tm = { 0 };
	char *frac;
	int64_t real, now;

	events_drain(); /* the clocks' offset is taken at each drain */
	send(EV_NEWS, 1);
	now = now_ns(CLOCK_REALTIME);
	obj = json_loads(render(), JSON_DISABLE_EOF_CHECK, NULL);
	ck_assert_ptr_nonnull(obj);
	time = json_string_value(json_object_get(obj, "time"));
	ck_assert_ptr_nonnull(time);
	frac = strptime(time, "%Y-%m-%dT%H:%M:%S.", &tm);
	ck_assert_ptr_nonnull(frac);
	real = (int64_t)timegm(&tm) * NS_PER_S + strtoll(frac, NULL, 10);
	ck_assert_msg(real <= now && now - real < NS_PER_S, "%s is not now", time);
	json_decref(obj);
}
END_TEST

/* A comm with a quote, a backslash, control characters and Latin-1 bytes. */
static const char awkward_comm[] = "a\"b\\c\n\x01\xe9t\xe9";

START_TEST(json_bytes_escapes_quotes_backslashes_and_control_characters_to_ascii)
{
	struct buf out = { 0 };
	json_t *obj = json_object();

	json_set_bytes(obj, "comm", awkward_comm, 16);
	ck_assert_int_eq(json_append(&out, obj), 0);
	ck_assert_str_eq(out.data, "{\"comm\":\"a\\\"b\\\\c\\n\\u0001\\u00E9t\\u00E9\"}");
	json_decref(obj);
	buf_free(&out);
}
END_TEST

START_TEST(json_append_writes_a_bare_value_too)
{
	struct buf out = { 0 };
	json_t *s = json_string("x");

	ck_assert_int_eq(json_append(&out, s), 0);
	ck_assert_str_eq(out.data, "\"x\"");
	ck_assert_int_eq(out.oom, 0);
	json_decref(s);
	buf_free(&out);
}
END_TEST

START_TEST(json_bytes_reads_back_as_the_latin1_characters_of_the_bytes)
{
	struct buf out = { 0 };
	json_t *obj = json_object(), *back;

	json_set_bytes(obj, "comm", awkward_comm, 16);
	ck_assert_int_eq(json_append(&out, obj), 0);
	back = json_loads(out.data, 0, NULL);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(json_string_value(json_object_get(back, "comm")),
			 "a\"b\\c\n\x01\xc3\xa9t\xc3\xa9");
	json_decref(back);
	json_decref(obj);
	buf_free(&out);
}
END_TEST

START_TEST(json_bytes_of_a_comm_without_nul_stops_at_max)
{
	struct {
		char comm[16];
		/* What a read past comm would find; only there to be not read. */
		char after[4]; // cppcheck-suppress unusedStructMember
	} task = { .comm = "0123456789abcdef", .after = "XYZ" }; /* comm: no NUL */
	json_t *s = json_bytes(task.comm, sizeof(task.comm));

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(json_string_value(s), "0123456789abcdef");
	json_decref(s);
}
END_TEST

START_TEST(json_bytes_stops_at_the_first_nul)
{
	json_t *s = json_bytes("ab\0cd", 5);

	ck_assert_uint_eq(json_string_length(s), 2);
	ck_assert_str_eq(json_string_value(s), "ab");
	json_decref(s);
}
END_TEST

/* ---- kinds, queries, followers --------------------------------------------------- */

static void send_at(unsigned type, __u64 value, __u64 time_ns, __u8 cpu)
{
	struct test_event e = {
		.hdr = { .time_ns = time_ns, .cpu = cpu, .collector = SOURCE, .type = type },
		.value = value,
	};

	e.hdr.len = sizeof(e);
	events_handle(&e, sizeof(e));
}

/* /events?<query>, as the page's handler reads it ("k=v&k=v", no decoding). */
static int query(const char *qs, const char **page, char *why, size_t size)
{
	static struct buf out;
	struct event_query_arg args[EVENT_QUERY_MAX_ARGS];
	static char copy[512];
	struct event_query q;
	unsigned n = 0;
	int err;

	snprintf(copy, sizeof(copy), "%s", qs);
	for (char *save = NULL, *kv = strtok_r(copy, "&", &save); kv && n < EVENT_QUERY_MAX_ARGS;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq = '\0';
		args[n++] = (struct event_query_arg){ kv, eq ? eq + 1 : NULL };
	}
	err = event_query_parse(&q, args, n, why, size);
	ck_assert_msg(!err, "%s: %s", qs, why);
	buf_reset(&out);
	err = events_query(&q, &out, why, size);
	*page = out.len ? out.data : "";
	return err;
}

static const char *query_ok(const char *qs)
{
	const char *page;
	char why[600];

	ck_assert_msg(!query(qs, &page, why, sizeof(why)), "%s: %s", qs, why);
	return page;
}

/* The value of `name`{kind="kind"} in a scrape of the events' metrics. */
static uint64_t kind_metric(const char *name, const char *kind)
{
	struct metrics *m = metrics_new();
	struct buf out = { 0 };
	char want[160];
	const char *at;
	uint64_t v;

	ck_assert_ptr_nonnull(m);
	events_collect(m);
	ck_assert_int_eq(metrics_encode(m, &out), 0);
	snprintf(want, sizeof(want), "\n%s{kind=\"%s\"} ", name, kind);
	at = strstr(out.data, want);
	ck_assert_msg(at != NULL, "no %s for %s", name, kind);
	v = strtoull(at + strlen(want), NULL, 10);
	buf_free(&out);
	metrics_free(m);
	return v;
}

START_TEST(a_flood_of_one_kind_leaves_the_others_logs_alone)
{
	__u64 v[RARE_LOG_SIZE + 1];

	send(EV_RARE, 1);
	send(EV_RARE, 2);
	for (unsigned i = 0; i < 1000; i++)
		send(EV_NEWS, 100 + i);
	ck_assert_uint_eq(values(query_ok("kind=rare"), v, RARE_LOG_SIZE + 1), 2);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(v[1], 2);
	ck_assert_uint_eq(count_lines(query_ok("kind=news")), LOG_SIZE);
}
END_TEST

START_TEST(evictions_are_counted_per_kind_exactly)
{
	for (unsigned i = 0; i < 1000; i++)
		send(EV_NEWS, i);
	for (unsigned i = 0; i < RARE_LOG_SIZE + 2; i++)
		send(EV_RARE, i);
	ck_assert_uint_eq(kind_metric("jitterd_events_total", "news"), 1000);
	ck_assert_uint_eq(kind_metric("jitterd_events_evicted_total", "news"), 1000 - LOG_SIZE);
	ck_assert_uint_eq(kind_metric("jitterd_events_retained", "news"), LOG_SIZE);
	ck_assert_uint_eq(kind_metric("jitterd_events_evicted_total", "rare"), 2);
	ck_assert_uint_eq(kind_metric("jitterd_events_retained", "rare"), RARE_LOG_SIZE);
	/* Known kinds that logged nothing are there, at 0. */
	ck_assert_uint_eq(kind_metric("jitterd_events_evicted_total", "anomaly"), 0);
}
END_TEST

START_TEST(the_page_merges_the_kinds_in_the_order_they_were_logged)
{
	__u64 v[4];

	send(EV_RARE, 1);
	send(EV_NEWS, 2);
	send(EV_RARE, 3);
	send(EV_NEWS, 4);
	ck_assert_uint_eq(values(render(), v, 4), 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(v[i], i + 1);
}
END_TEST

START_TEST(filters_return_exactly_the_matching_events)
{
	__u64 v[RARE_LOG_SIZE];

	for (unsigned i = 0; i < RARE_LOG_SIZE; i++)
		send_at(EV_RARE, i, (__u64)now_ns(CLOCK_MONOTONIC), (__u8)(i % 2 ? 1 : 2));
	send(EV_NEWS, 99);
	ck_assert_uint_eq(values(query_ok("socket=odd"), v, RARE_LOG_SIZE), 2);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(v[1], 3);
	ck_assert_uint_eq(values(query_ok("workload=w0"), v, RARE_LOG_SIZE), 2);
	ck_assert_uint_eq(v[0], 0);
	ck_assert_uint_eq(v[1], 3);
	ck_assert_uint_eq(values(query_ok("cpu=2&kind=rare"), v, RARE_LOG_SIZE), 3);
	ck_assert_uint_eq(v[2], 4);
	ck_assert_uint_eq(values(query_ok("cpu=3"), v, RARE_LOG_SIZE), 1);
	ck_assert_uint_eq(v[0], 99);
	ck_assert_uint_eq(values(query_ok("kind=rare&limit=2"), v, RARE_LOG_SIZE), 2);
	ck_assert_uint_eq(v[0], 3);
	ck_assert_uint_eq(v[1], 4);
	ck_assert_uint_eq(values(query_ok("kind=news,rare&socket=even&limit=1"), v, 2), 1);
	ck_assert_uint_eq(v[0], 4);
}
END_TEST

START_TEST(workload_and_socket_match_the_events_own_members_not_those_it_embeds)
{
	__u64 v[4];

	send(EV_EMBEDS, 10);
	send(EV_RARE, 1); /* socket odd, workload w1 */
	ck_assert_uint_eq(values(query_ok("workload=w1"), v, 4), 1);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(values(query_ok("socket=odd"), v, 4), 1);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(values(query_ok("workload=w9"), v, 4), 1);
	ck_assert_uint_eq(v[0], 10);
	/* a prefix of a name is not the name */
	ck_assert_uint_eq(values(query_ok("workload=w"), v, 4), 0);
	ck_assert_uint_eq(values(query_ok("socket=od"), v, 4), 0);
}
END_TEST

START_TEST(since_returns_the_events_at_or_after_it)
{
	int64_t offset, base = now_ns(CLOCK_MONOTONIC);
	char qs[64];
	__u64 v[4];

	events_drain(); /* the clocks' offset is taken at each drain */
	offset = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
	for (unsigned i = 0; i < 4; i++)
		send_at(EV_RARE, i, (__u64)(base + i * NS_PER_S), 1);
	/* Half a second before the third: the clocks' offset is known to far better. */
	snprintf(qs, sizeof(qs), "since=%lld", (long long)(offset + base + 3 * NS_PER_S / 2));
	ck_assert_uint_eq(values(query_ok(qs), v, 4), 2);
	ck_assert_uint_eq(v[0], 2);
	ck_assert_uint_eq(v[1], 3);
	ck_assert_str_eq(query_ok("since=2262-01-01T00:00:00Z"), "");
	ck_assert_uint_eq(count_lines(query_ok("since=1970-01-01T00:00:00Z")), 4);
}
END_TEST

START_TEST(an_unknown_kind_is_refused_with_the_known_ones)
{
	const char *page;
	char why[600];

	ck_assert_int_eq(query("kind=news,nosuch", &page, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "\"nosuch\"") && strstr(why, "runqueue_latency"), "%s", why);
}
END_TEST

static struct events_follower *follow(const char *kinds, bool sse)
{
	struct event_query_arg arg = { "kind", kinds };
	struct event_query q;
	char why[600];
	struct events_follower *f;

	ck_assert_int_eq(event_query_parse(&q, &arg, kinds ? 1 : 0, why, sizeof(why)), 0);
	f = events_follow(&q, sse, why, sizeof(why));
	ck_assert_msg(f != NULL, "%s", why);
	return f;
}

static const char *follow_read(struct events_follower *f, size_t max)
{
	static char buf[4096];
	long n;

	ck_assert_uint_le(max, sizeof(buf) - 1);
	n = events_follow_read(f, buf, max);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

START_TEST(a_follower_gets_its_kinds_new_events_in_order)
{
	struct events_follower *f;
	__u64 v[8];

	send(EV_RARE, 1); /* before it came: not sent */
	f = follow("rare,news", false);
	ck_assert_str_eq(follow_read(f, 4000), "");
	send(EV_RARE, 2);
	send(EV_NEWS, 3);
	send(EV_RARE, 4);
	ck_assert_uint_eq(values(follow_read(f, 4000), v, 8), 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(v[i], i + 2);
	ck_assert_str_eq(follow_read(f, 4000), "");
	ck_assert(!events_follow_cut(f));
	events_follow_free(f);
}
END_TEST

START_TEST(a_follower_is_given_whole_events_only)
{
	struct events_follower *f = follow("rare", false);
	const char *got;
	size_t one;
	__u64 v[2];

	send(EV_RARE, 1);
	send(EV_RARE, 2);
	got = query_ok("kind=rare");
	one = (size_t)(strchr(got, '\n') - got) + 1; /* the first event's line */
	got = follow_read(f, one + one / 2);
	ck_assert_uint_eq(strlen(got), one);
	ck_assert_uint_eq(values(got, v, 2), 1);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(values(follow_read(f, 4000), v, 2), 1);
	ck_assert_uint_eq(v[0], 2);
	events_follow_free(f);
}
END_TEST

START_TEST(a_server_sent_events_follower_gets_id_and_data_lines)
{
	struct events_follower *f = follow("rare", true);

	send(EV_NEWS, 1);
	send(EV_RARE, 2);
	assert_matches(follow_read(f, 4000), "^id: 2\ndata: \\{[^\n]*\"value\":2[^\n]*\\}\n\n$");
	events_follow_free(f);
}
END_TEST

START_TEST(a_follower_that_falls_behind_its_kinds_log_is_cut_and_counted)
{
	struct events_follower *slow = follow("rare", false), *other = follow("news", false);
	char buf[16];

	for (unsigned i = 0; i < RARE_LOG_SIZE; i++)
		send(EV_RARE, i);
	ck_assert(!events_follow_cut(slow)); /* the log still holds all it was to get */
	send(EV_RARE, 99);
	ck_assert(events_follow_cut(slow));
	ck_assert_int_eq(events_follow_read(slow, buf, sizeof(buf)), -1);
	ck_assert(!events_follow_cut(other)); /* it follows another kind */
	events_follow_free(slow);
	events_follow_free(other);
}
END_TEST

START_TEST(a_smaller_log_size_keeps_each_kinds_newest_and_counts_the_rest)
{
	struct jd_config cfg;
	__u64 v[RARE_LOG_SIZE];

	for (unsigned i = 0; i < RARE_LOG_SIZE; i++)
		send(EV_RARE, i);
	config_defaults(&cfg);
	cfg.events.log_size = LOG_SIZE;
	strcpy(cfg.events.log_sizes[0].kind, "rare");
	cfg.events.log_sizes[0].size = 2;
	cfg.events.n_log_sizes = 1;
	ck_assert_int_eq(events_set_log_sizes(&cfg), 0);
	ck_assert_uint_eq(values(query_ok("kind=rare"), v, RARE_LOG_SIZE), 2);
	ck_assert_uint_eq(v[0], RARE_LOG_SIZE - 2);
	ck_assert_uint_eq(v[1], RARE_LOG_SIZE - 1);
	ck_assert_uint_eq(kind_metric("jitterd_events_evicted_total", "rare"), RARE_LOG_SIZE - 2);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *log = tcase_create("log");
	TCase *json = tcase_create("json");

	tcase_add_checked_fixture(log, setup, teardown);
	tcase_add_loop_test(log, the_log_keeps_the_last_log_size_events_oldest_first, 0,
			    sizeof(fed) / sizeof(fed[0]));
	tcase_add_test(log, the_log_never_holds_more_than_log_size_events);
	tcase_add_test(log, an_event_reaches_its_types_handle_with_the_registered_collector);
	tcase_add_test(log, an_event_whose_handle_returns_false_stays_out_of_the_log);
	tcase_add_loop_test(log, a_malformed_event_is_dropped, 0,
			    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(log, after_unregistering_a_sources_events_are_dropped);
	tcase_add_test(log, a_source_is_registered_once_until_unregistered);
	tcase_add_test(log, each_line_starts_with_time_cpu_and_type_in_that_order);
	tcase_add_test(log, the_time_is_rfc3339_utc_with_nine_fraction_digits);
	tcase_add_test(log, the_time_is_the_events_monotonic_stamp_on_the_wall_clock);
	tcase_add_test(log, a_flood_of_one_kind_leaves_the_others_logs_alone);
	tcase_add_test(log, evictions_are_counted_per_kind_exactly);
	tcase_add_test(log, the_page_merges_the_kinds_in_the_order_they_were_logged);
	tcase_add_test(log, filters_return_exactly_the_matching_events);
	tcase_add_test(log, workload_and_socket_match_the_events_own_members_not_those_it_embeds);
	tcase_add_test(log, since_returns_the_events_at_or_after_it);
	tcase_add_test(log, an_unknown_kind_is_refused_with_the_known_ones);
	tcase_add_test(log, a_follower_gets_its_kinds_new_events_in_order);
	tcase_add_test(log, a_follower_is_given_whole_events_only);
	tcase_add_test(log, a_server_sent_events_follower_gets_id_and_data_lines);
	tcase_add_test(log, a_follower_that_falls_behind_its_kinds_log_is_cut_and_counted);
	tcase_add_test(log, a_smaller_log_size_keeps_each_kinds_newest_and_counts_the_rest);
	suite_add_tcase(s, log);
	tcase_add_test(json, json_bytes_escapes_quotes_backslashes_and_control_characters_to_ascii);
	tcase_add_test(json, json_bytes_reads_back_as_the_latin1_characters_of_the_bytes);
	tcase_add_test(json, json_append_writes_a_bare_value_too);
	tcase_add_test(json, json_bytes_of_a_comm_without_nul_stops_at_max);
	tcase_add_test(json, json_bytes_stops_at_the_first_nul);
	suite_add_tcase(s, json);
	return s;
}

JD_CHECK_MAIN(events_suite)
