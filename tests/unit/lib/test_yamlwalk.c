// SPDX-License-Identifier: MIT
/*
 * The generic walker, on a schema of its own that is no config of jitterd's:
 * mappings whose rows come from several tables, each into its own struct,
 * and defaults in the rows.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "lib/yamlwalk.h"

struct server {
	char address[32];
	uint64_t timeout_ns;
	bool tls;
};

/* A module of its own, with its own struct, that adds rows to "limits". */
struct module {
	uint32_t max_clients;
	uint64_t idle_ns;
};

struct item {
	char name[16];
	uint32_t weight;
};

struct doc {
	struct server server;
	struct module module;
	struct item items[4];
	int n_items;
};

static const struct yw_key server_keys[] = {
	{ YW_KEY("address", SCALAR, yw_parse_string), YW_FIELD(struct server, address),
	  .def = ":80" },
	{ YW_KEY("tls", SCALAR, yw_parse_bool), YW_FIELD(struct server, tls), .def = "false" },
	{},
};

static const struct yw_key limit_keys[] = {
	{ YW_KEY("timeout", SCALAR, yw_parse_duration), YW_FIELD(struct server, timeout_ns),
	  .min = 1, .max = 60000000000ULL, .def = "1.5s" },
	{},
};

static const struct yw_key module_keys[] = {
	{ YW_KEY("max_clients", SCALAR, yw_parse_u32), YW_FIELD(struct module, max_clients),
	  .min = 1, .max = 100, .def = "8", .required = true },
	{ YW_KEY("idle", SCALAR, yw_parse_duration), YW_FIELD(struct module, idle_ns), .min = 1,
	  .max = 60000000000ULL },
	{},
};

static unsigned limits_sets(const struct yw_key *k, char *base, struct yw_key_set *sets,
			    unsigned max)
{
	(void)k;
	struct doc *d = (struct doc *)base;

	ck_assert_uint_ge(max, 2);
	sets[0] = (struct yw_key_set){ limit_keys, (char *)&d->server };
	sets[1] = (struct yw_key_set){ module_keys, (char *)&d->module };
	return 2;
}

static const struct yw_key item_keys[] = {
	{ YW_KEY("name", SCALAR, yw_parse_string), YW_FIELD(struct item, name), .required = true },
	{ YW_KEY("weight", SCALAR, yw_parse_u32), YW_FIELD(struct item, weight), .min = 0,
	  .max = 10, .def = "1" },
	{},
};

static const struct yw_list item_list = {
	.what = "item",
	.item_type = YAML_MAPPING_NODE,
	.item_size = sizeof(struct item),
	.parse_item = yw_parse_mapping_item,
	.keys = item_keys,
	.unique_key = "name",
};

static const struct yw_key doc_keys[] = {
	{ YW_KEY("server", MAPPING, yw_parse_mapping), YW_FIELD(struct doc, server),
	  .keys = server_keys },
	{ YW_KEY("limits", MAPPING, yw_parse_mapping), .sets = limits_sets },
	{ YW_KEY("items", SEQUENCE, yw_parse_list), YW_FIELD(struct doc, items),
	  YW_COUNT(struct doc, n_items), .list = &item_list },
	{},
};

/* Walks yaml into d (zeroed, then the defaults); returns the errors
 * written (caller frees) and the result in *rc. */
static char *walk(const char *yaml, struct doc *d, int *rc)
{
	struct yw_key_set set = { doc_keys, (char *)d };
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);
	struct yw_ctx c = { .name = "w.yaml", .text = yaml, .len = strlen(yaml), .err = f };

	ck_assert_ptr_nonnull(f);
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(yw_apply_defaults(&set, 1, f), 0);
	*rc = yw_walk_text(&c, &set, 1);
	fclose(f);
	return err;
}

static void walk_ok(const char *yaml, struct doc *d)
{
	int rc;
	char *err = walk(yaml, d, &rc);

	ck_assert_msg(rc == 0, "rejected:\n%s", err);
	ck_assert_str_eq(err, "");
	free(err);
}

/* yaml is rejected with this as the whole first line of the errors. */
static void assert_error(const char *yaml, const char *expected)
{
	struct doc d = { 0 };
	int rc;
	char *err = walk(yaml, &d, &rc), *eol;

	ck_assert_int_eq(rc, -EINVAL);
	eol = strchr(err, '\n');
	ck_assert_ptr_nonnull(eol);
	*eol = '\0';
	ck_assert_str_eq(err, expected);
	free(err);
}

/* ---- several tables in one mapping ------------------------------------- */

START_TEST(rows_of_each_table_go_to_their_own_struct)
{
	struct doc d = { 0 };

	walk_ok("limits: {timeout: 2s, max_clients: 9, idle: 5ms}\n", &d);
	ck_assert_uint_eq(d.server.timeout_ns, 2000000000ULL);
	ck_assert_uint_eq(d.module.max_clients, 9);
	ck_assert_uint_eq(d.module.idle_ns, 5000000ULL);
}
END_TEST

START_TEST(unknown_key_lists_the_keys_of_every_table)
{
	assert_error("limits: {max_clients: 1, bogus: 1}\n",
		     "w.yaml:1:26: unknown key \"bogus\" (valid: timeout, max_clients, idle)");
}
END_TEST

START_TEST(required_key_of_any_table_is_required)
{
	assert_error("limits: {timeout: 1s}\n", "w.yaml:1:9: missing required key \"max_clients\"");
}
END_TEST

START_TEST(duplicate_key_is_an_error_across_tables)
{
	assert_error("limits:\n  max_clients: 1\n  timeout: 1s\n  max_clients: 2\n",
		     "w.yaml:4:3: duplicate key \"max_clients\" (first at line 2)");
}
END_TEST

START_TEST(error_in_a_spliced_row_shows_line_and_caret)
{
	struct doc d = { 0 };
	int rc;
	char *err = walk("limits:\n  max_clients: 101\n", &d, &rc);

	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err, "w.yaml:2:16: max_clients: 101 is out of range (1 to 100)\n"
			      "  max_clients: 101\n"
			      "               ^\n");
	free(err);
}
END_TEST

/* ---- defaults in the rows ---------------------------------------------- */

START_TEST(defaults_go_through_the_rows_parser)
{
	struct doc d = { 0 };

	walk_ok("", &d);
	ck_assert_str_eq(d.server.address, ":80");
	ck_assert(!d.server.tls);
	ck_assert_uint_eq(d.server.timeout_ns, 1500000000ULL); /* "1.5s", parsed */
	ck_assert_uint_eq(d.module.max_clients, 8);
	ck_assert_uint_eq(d.module.idle_ns, 0); /* no default: left zero */
	ck_assert_int_eq(d.n_items, 0);
}
END_TEST

START_TEST(a_file_value_replaces_the_default)
{
	struct doc d = { 0 };

	walk_ok("server: {tls: true}\nlimits: {max_clients: 3}\n", &d);
	ck_assert(d.server.tls);
	ck_assert_str_eq(d.server.address, ":80");
	ck_assert_uint_eq(d.module.max_clients, 3);
}
END_TEST

START_TEST(list_items_get_their_rows_defaults)
{
	struct doc d = { 0 };

	walk_ok("items: [{name: a}, {name: b, weight: 7}]\n", &d);
	ck_assert_int_eq(d.n_items, 2);
	ck_assert_uint_eq(d.items[0].weight, 1);
	ck_assert_uint_eq(d.items[1].weight, 7);
}
END_TEST

static const struct yw_key bad_default_keys[] = {
	{ YW_KEY("period", SCALAR, yw_parse_duration), YW_FIELD(struct module, idle_ns), .min = 1,
	  .max = 1000, .def = "10" },
	{},
};

static const struct yw_key bad_default_outer[] = {
	{ YW_KEY("outer", MAPPING, yw_parse_mapping), .keys = bad_default_keys },
	{},
};

START_TEST(bad_default_is_reported_against_its_path)
{
	struct module m = { 0 };
	struct yw_key_set set = { bad_default_outer, (char *)&m };
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(yw_apply_defaults(&set, 1, f), -EINVAL);
	fclose(f);
	ck_assert_str_eq(err, "default of outer.period:1:1: period: bad duration \"10\": missing "
			      "unit (ns, us, ms or s)\n"
			      "10\n"
			      "^\n");
	free(err);
}
END_TEST

struct seen {
	char paths[512];
	size_t used;
};

static int note_path(const char *path, const struct yw_key *k, void *arg)
{
	struct seen *s = arg;

	s->used += snprintf(s->paths + s->used, sizeof(s->paths) - s->used, "%s=%s ", path, k->def);
	return 0;
}

START_TEST(visit_gives_every_default_with_its_dotted_path)
{
	struct doc d = { 0 };
	struct yw_key_set set = { doc_keys, (char *)&d };
	struct seen s = { .used = 0 };

	ck_assert_int_eq(yw_visit_defaults(&set, 1, note_path, &s), 0);
	/* Not items[].weight: a list item is not a key that a file states. */
	ck_assert_str_eq(s.paths, "server.address=:80 server.tls=false limits.timeout=1.5s "
				  "limits.max_clients=8 ");
}
END_TEST

static int stop_at_second(const char *path, const struct yw_key *k, void *arg)
{
	int *n = arg;

	(void)path;
	(void)k;
	return ++*n == 2 ? 42 : 0;
}

START_TEST(visit_stops_at_what_the_visitor_returns)
{
	struct doc d = { 0 };
	struct yw_key_set set = { doc_keys, (char *)&d };
	int n = 0;

	ck_assert_int_eq(yw_visit_defaults(&set, 1, stop_at_second, &n), 42);
	ck_assert_int_eq(n, 2);
}
END_TEST

/* ---- lists ------------------------------------------------------------- */

START_TEST(unique_key_of_list_items_is_checked)
{
	assert_error("items:\n  - {name: a}\n  - {name: a}\n",
		     "w.yaml:3:12: duplicate item name \"a\" (first at line 2)");
}
END_TEST

static Suite *yamlwalk_suite(void)
{
	Suite *s = suite_create("yamlwalk");
	TCase *tc;

	tc = tcase_create("key sets");
	tcase_add_test(tc, rows_of_each_table_go_to_their_own_struct);
	tcase_add_test(tc, unknown_key_lists_the_keys_of_every_table);
	tcase_add_test(tc, required_key_of_any_table_is_required);
	tcase_add_test(tc, duplicate_key_is_an_error_across_tables);
	tcase_add_test(tc, error_in_a_spliced_row_shows_line_and_caret);
	suite_add_tcase(s, tc);

	tc = tcase_create("defaults");
	tcase_add_test(tc, defaults_go_through_the_rows_parser);
	tcase_add_test(tc, a_file_value_replaces_the_default);
	tcase_add_test(tc, list_items_get_their_rows_defaults);
	tcase_add_test(tc, bad_default_is_reported_against_its_path);
	tcase_add_test(tc, visit_gives_every_default_with_its_dotted_path);
	tcase_add_test(tc, visit_stops_at_what_the_visitor_returns);
	suite_add_tcase(s, tc);

	tc = tcase_create("lists");
	tcase_add_test(tc, unique_key_of_list_items_is_checked);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(yamlwalk_suite)
