// SPDX-License-Identifier: MIT
/*
 * Events shipped to the fleet: the JSON-lines file and its rotation, read
 * back line by line, and the journal's fields, read back field by field
 * from the fields the entry is made of (no systemd-journald runs where
 * these tests do; tests/integration/test_events.py reads both sinks of a
 * running daemon, the journal's through a socket of its own).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "core/config.h"
#include "probes/event_sinks.h"

static char dir[] = "/tmp/jd-sinks-XXXXXX";
static char path[256];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
}

static void teardown(void)
{
	char cmd[300];

	event_sinks_finish();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/jd-sinks-XXXXXX");
}

static void set(const char *kinds, uint32_t max_bytes, uint32_t keep, const char *journal)
{
	struct jd_config cfg;

	config_defaults(&cfg);
	snprintf(cfg.events.file, sizeof(cfg.events.file), "%s", path);
	snprintf(cfg.events.file_kinds, sizeof(cfg.events.file_kinds), "%s", kinds);
	cfg.events.file_max_bytes = max_bytes;
	cfg.events.file_keep = keep;
	snprintf(cfg.events.journal_kinds, sizeof(cfg.events.journal_kinds), "%s", journal);
	ck_assert_int_eq(event_sinks_set(&cfg), 0);
}

static void write_event(const char *kind, unsigned n)
{
	char line[128];

	snprintf(line, sizeof(line), "{\"time\":\"t\",\"type\":\"%s\",\"n\":%u}", kind, n);
	event_sinks_write(kind, line, strlen(line));
}

/* The "n" of each line of a file (every line must be a JSON object). */
static unsigned file_ns(const char *file, unsigned *ns, unsigned max)
{
	FILE *f = fopen(file, "r");
	char line[256];
	unsigned n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		json_t *obj = json_loads(line, 0, NULL);

		ck_assert_msg(obj != NULL, "%s: not JSON: %s", file, line);
		ns[n++] = (unsigned)json_integer_value(json_object_get(obj, "n"));
		json_decref(obj);
	}
	fclose(f);
	return n;
}

START_TEST(the_file_gets_its_kinds_as_json_lines)
{
	unsigned ns[8];

	set("anomaly,socket_drop", 1 << 20, 2, "");
	write_event("anomaly", 1);
	write_event("runqueue_latency", 2);
	write_event("socket_drop", 3);
	write_event("socket", 4); /* a prefix of socket_drop is another kind */
	ck_assert_uint_eq(file_ns(path, ns, 8), 2);
	ck_assert_uint_eq(ns[0], 1);
	ck_assert_uint_eq(ns[1], 3);
}
END_TEST

START_TEST(no_kinds_means_every_kind)
{
	unsigned ns[8];

	set("", 1 << 20, 2, "");
	write_event("anomaly", 1);
	write_event("runqueue_latency", 2);
	ck_assert_uint_eq(file_ns(path, ns, 8), 2);
}
END_TEST

START_TEST(the_file_rotates_before_outgrowing_its_size_and_keeps_file_keep)
{
	char older[300];
	struct stat st;
	unsigned ns[128], total = 0, last = 0;
	const unsigned events = 400; /* some 40 bytes each: 4 files of 4096 */

	set("", 4096, 2, "");
	for (unsigned i = 1; i <= events; i++)
		write_event("anomaly", i);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, 4096);
	/* Oldest to newest: file.2, file.1, file; nothing older is kept. */
	for (int i = 2; i >= 0; i--) {
		if (i)
			snprintf(older, sizeof(older), "%s.%d", path, i);
		else
			snprintf(older, sizeof(older), "%s", path);
		ck_assert_int_eq(stat(older, &st), 0);
		ck_assert_int_le(st.st_size, 4096);
		unsigned n = file_ns(older, ns, 128);

		for (unsigned j = 0; j < n; j++) {
			ck_assert_uint_eq(ns[j], last ? last + 1 : ns[j]);
			last = ns[j];
		}
		total += n;
	}
	snprintf(older, sizeof(older), "%s.3", path);
	ck_assert_int_ne(stat(older, &st), 0);
	ck_assert_uint_eq(last, events);
	ck_assert_uint_lt(total, events);
}
END_TEST

/* The value of field name in the iovecs, or NULL. */
static const char *field(const struct iovec *iov, int n, const char *name)
{
	static char value[512];
	size_t len = strlen(name);

	for (int i = 0; i < n; i++)
		if (iov[i].iov_len > len && !memcmp(iov[i].iov_base, name, len) &&
		    ((const char *)iov[i].iov_base)[len] == '=') {
			snprintf(value, sizeof(value), "%.*s", (int)(iov[i].iov_len - len - 1),
				 (const char *)iov[i].iov_base + len + 1);
			return value;
		}
	return NULL;
}

START_TEST(a_journal_entry_has_a_field_per_member)
{
	const char *line = "{\"time\":\"2026-12-07T01:23:36.000000001Z\",\"cpu\":3,"
			   "\"type\":\"socket_drop\",\"socket\":\"md-feed\",\"reason\":"
			   "\"SOCKET_RCVBUFF\",\"local\":{\"addr\":\"127.0.0.1\"},\"ok\":true}";
	struct iovec iov[EVENT_JOURNAL_MAX_FIELDS];
	struct buf store = { 0 };
	int n = event_journal_fields("socket_drop", line, &store, iov, EVENT_JOURNAL_MAX_FIELDS);

	ck_assert_int_eq(n, 11);
	ck_assert_str_eq(field(iov, n, "MESSAGE"), line);
	ck_assert_str_eq(field(iov, n, "PRIORITY"), "5");
	ck_assert_str_eq(field(iov, n, "SYSLOG_IDENTIFIER"), "jitterd");
	ck_assert_str_eq(field(iov, n, "JITTERD_KIND"), "socket_drop");
	ck_assert_str_eq(field(iov, n, "JITTERD_JSON"), line);
	ck_assert_str_eq(field(iov, n, "JITTERD_TIME"), "2026-12-07T01:23:36.000000001Z");
	ck_assert_str_eq(field(iov, n, "JITTERD_CPU"), "3");
	ck_assert_str_eq(field(iov, n, "JITTERD_SOCKET"), "md-feed");
	ck_assert_str_eq(field(iov, n, "JITTERD_REASON"), "SOCKET_RCVBUFF");
	ck_assert_str_eq(field(iov, n, "JITTERD_LOCAL"), "{\"addr\":\"127.0.0.1\"}");
	ck_assert_str_eq(field(iov, n, "JITTERD_OK"), "true");
	ck_assert_ptr_null(field(iov, n, "JITTERD_TYPE"));
	buf_free(&store);
}
END_TEST

START_TEST(an_anomalys_journal_message_is_its_summary)
{
	const char *line = "{\"time\":\"t\",\"type\":\"anomaly\",\"summary\":\"cpu 3: waits rose\","
			   "\"signal-name\":\"x\"}";
	struct iovec iov[EVENT_JOURNAL_MAX_FIELDS];
	struct buf store = { 0 };
	int n = event_journal_fields("anomaly", line, &store, iov, EVENT_JOURNAL_MAX_FIELDS);

	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(field(iov, n, "MESSAGE"), "cpu 3: waits rose");
	ck_assert_str_eq(field(iov, n, "JITTERD_SIGNAL_NAME"), "x");
	buf_free(&store);
}
END_TEST

START_TEST(a_journal_entry_stops_at_max_fields)
{
	const char *line = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}";
	struct iovec iov[6];
	struct buf store = { 0 };

	ck_assert_int_eq(event_journal_fields("anomaly", line, &store, iov, 6), 6);
	ck_assert_int_eq(event_journal_fields("anomaly", "not json", &store, iov, 6), -1);
	buf_free(&store);
}
END_TEST

static Suite *event_sinks_suite(void)
{
	Suite *s = suite_create("event_sinks");
	TCase *file = tcase_create("file");
	TCase *journal = tcase_create("journal");

	tcase_add_checked_fixture(file, setup, teardown);
	tcase_add_test(file, the_file_gets_its_kinds_as_json_lines);
	tcase_add_test(file, no_kinds_means_every_kind);
	tcase_add_test(file, the_file_rotates_before_outgrowing_its_size_and_keeps_file_keep);
	suite_add_tcase(s, file);
	tcase_add_test(journal, a_journal_entry_has_a_field_per_member);
	tcase_add_test(journal, an_anomalys_journal_message_is_its_summary);
	tcase_add_test(journal, a_journal_entry_stops_at_max_fields);
	suite_add_tcase(s, journal);
	return s;
}

JD_CHECK_MAIN(event_sinks_suite)
