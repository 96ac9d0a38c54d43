// SPDX-License-Identifier: MIT
/*
 * jitterd.yaml: the defaults, a full config, and every class of error with
 * its exact "name:line:col: message". Run from the repository root (the
 * first test reads config/jitterd.yaml).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anomaly/signal.h"
#include "check_main.h"
#include "core/config.h"
#include "lib/parse.h"
#include "lib/yamlwalk.h"
#include "probes/collector.h"

/* Parses yaml as "t.yaml"; returns what was written to err (caller frees). */
static char *parse(const char *yaml, unsigned nr_cpus, struct jd_config *cfg, int *rc)
{
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	ck_assert_ptr_nonnull(f);
	*rc = config_parse(cfg, "t.yaml", yaml, strlen(yaml), nr_cpus, f);
	fclose(f);
	return err;
}

static void parse_ok(const char *yaml, unsigned nr_cpus, struct jd_config *cfg)
{
	int rc;
	char *err = parse(yaml, nr_cpus, cfg, &rc);

	ck_assert_msg(rc == 0, "rejected:\n%s", err);
	ck_assert_str_eq(err, "");
	free(err);
}

static int count_errors(const char *err)
{
	int n = 0;

	for (; (err = strstr(err, "t.yaml:")); err++)
		n++;
	return n;
}

/* yaml is rejected, with expected as the first line of the errors. */
static void assert_error(const char *yaml, unsigned nr_cpus, const char *expected)
{
	struct jd_config cfg;
	char *err, *eol;
	int rc;

	err = parse(yaml, nr_cpus, &cfg, &rc);
	ck_assert_int_eq(rc, -EINVAL);
	eol = strchr(err, '\n');
	ck_assert_ptr_nonnull(eol);
	*eol = '\0';
	ck_assert_str_eq(err, expected);
	free(err);
}

/* yaml is rejected with exactly this one error. */
static void assert_only_error(const char *yaml, unsigned nr_cpus, const char *expected)
{
	struct jd_config cfg;
	int rc;
	char *err = parse(yaml, nr_cpus, &cfg, &rc);

	ck_assert_msg(count_errors(err) == 1, "not one error:\n%s", err);
	free(err);
	assert_error(yaml, nr_cpus, expected);
}

/* ---- defaults and valid configs ---------------------------------------- */

/* The value of a key path of cfg, as its collector stores it. */
#define AT(cfg, path, type) (*(type *)field_at(&(cfg), (path)))

static void *field_at(struct jd_config *cfg, const char *path)
{
	void *p = config_field(cfg, path);

	ck_assert_msg(p != NULL, "no key %s", path);
	return p;
}

START_TEST(default_file_parses_to_the_defaults)
{
	struct jd_config defaults, file;

	config_defaults(&defaults);
	memset(&file, 0xa5, sizeof(file));
	ck_assert_int_eq(config_load_file(&file, "config/jitterd.yaml", 0, stderr), 0);
	/* Byte-equal, padding included: defaults start from a zeroed struct
	 * and the parser zero-fills every string it writes. */
	ck_assert_int_eq(memcmp(&defaults, &file, sizeof(file)), 0);
}
END_TEST

START_TEST(defaults_in_the_rows_parse_without_error)
{
	struct yw_key_set sets[CONFIG_SCHEMA_SETS];
	struct jd_config defaults, cfg;
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	ck_assert_ptr_nonnull(f);
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(yw_apply_defaults(sets, config_schema(&cfg, sets), f), 0);
	fclose(f);
	ck_assert_str_eq(err, "");
	free(err);
	config_defaults(&defaults);
	ck_assert_int_eq(memcmp(&defaults, &cfg, sizeof(cfg)), 0);
}
END_TEST

struct stated {
	struct yw_ctx c;
	yaml_node_t *root;
	char *problems; /* every key that the file gets wrong, one per line */
	FILE *out;
	int n;
};

/* The node at a dotted path ("events.log_size") from root, or NULL. */
static yaml_node_t *node_at(struct stated *st, const char *path)
{
	char part[YW_PATH_MAX];
	yaml_node_t *n = st->root;

	while (n && *path) {
		char *dot;

		snprintf(part, sizeof(part), "%s", path);
		dot = strchr(part, '.');
		if (dot)
			*dot = '\0';
		n = yw_mapping_value(&st->c, n, part);
		path += strlen(part) + !!dot;
	}
	return n;
}

static int check_stated(const char *path, const struct yw_key *k, void *arg)
{
	struct stated *st = arg;
	yaml_node_t *v = node_at(st, path);

	st->n++;
	if (!v)
		fprintf(st->out, "%s: not in the file (default %s)\n", path, k->def);
	else if (v->type != YAML_SCALAR_NODE || strcmp((char *)v->data.scalar.value, k->def))
		fprintf(st->out, "%s: the file does not say %s\n", path, k->def);
	return 0;
}

START_TEST(default_file_states_every_default)
{
	struct yw_key_set sets[CONFIG_SCHEMA_SETS];
	struct stated st = { .c.name = "config/jitterd.yaml" };
	yaml_document_t doc;
	yaml_parser_t parser;
	struct jd_config cfg;
	char *text;
	size_t len, plen = 0;

	ck_assert_int_eq(yw_read_file(st.c.name, 1 << 20, &text, &len), 0);
	ck_assert(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ck_assert(yaml_parser_load(&parser, &doc));
	st.c.doc = &doc;
	st.root = yaml_document_get_root_node(&doc);
	ck_assert_ptr_nonnull(st.root);
	st.out = open_memstream(&st.problems, &plen);
	ck_assert_ptr_nonnull(st.out);

	ck_assert_int_eq(yw_visit_defaults(sets, config_schema(&cfg, sets), check_stated, &st), 0);
	fclose(st.out);
	ck_assert_msg(!st.problems[0], "config/jitterd.yaml and the rows disagree:\n%s",
		      st.problems);
	ck_assert_int_gt(st.n, 0);

	free(st.problems);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
}
END_TEST

START_TEST(defaults_are_the_documented_values)
{
	struct jd_config cfg;

	config_defaults(&cfg);
	ck_assert_str_eq(cfg.listen, ":19435");
	ck_assert_int_eq(cfg.n_cpu_groups, 0);
	ck_assert_int_eq(cfg.n_workloads, 0);
	ck_assert(AT(cfg, "collectors.sched.enabled", bool) &&
		  AT(cfg, "collectors.softirq.enabled", bool) &&
		  AT(cfg, "collectors.sockets.enabled", bool));
	ck_assert_uint_eq(AT(cfg, "collectors.sockets.peak_window", uint64_t), 10 * NS_PER_S);
	ck_assert_int_eq(AT(cfg, "collectors.sockets.classes", struct jd_socket_classes).n, 0);
	ck_assert_uint_eq(AT(cfg, "events.runqueue_latency_threshold", uint64_t), 100 * NS_PER_US);
	ck_assert_uint_eq(AT(cfg, "events.softirq_duration_threshold", uint64_t), 50 * NS_PER_US);
	ck_assert_uint_eq(cfg.events.log_size, 1000);
	ck_assert_uint_eq(cfg.events.drain_interval_ns, 100 * NS_PER_MS);
	ck_assert(!cfg.daemon.cpus_set);
}
END_TEST

START_TEST(empty_document_is_the_defaults)
{
	const char *empty[] = { "", "# only a comment\n", "---\n", "~\n", "\n\n" };
	struct jd_config defaults, cfg;
	size_t i;

	config_defaults(&defaults);
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		parse_ok(empty[i], 4, &cfg);
		ck_assert_int_eq(memcmp(&defaults, &cfg, sizeof(cfg)), 0);
	}
}
END_TEST

START_TEST(parse_starts_from_the_defaults)
{
	struct jd_config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	parse_ok("events: {log_size: 5}\n", 0, &cfg);
	ck_assert_str_eq(cfg.listen, ":19435");
	ck_assert_uint_eq(cfg.events.log_size, 5);
}
END_TEST

static const char full_config[] = "listen: \"127.0.0.1:9100\"\n"
				  "cpu_groups:\n"
				  "  housekeeping: \"0-1\"\n"
				  "  isolated: \"2-3\"\n"
				  "workloads:\n"
				  "  - name: strategy\n"
				  "    comm: \"strat*\"\n"
				  "  - name: gateway\n"
				  "    comm: gw\n"
				  "    cgroup: /system.slice/gw.service\n"
				  "collectors:\n"
				  "  sched: { enabled: false }\n"
				  "  softirq: { enabled: false }\n"
				  "  sockets:\n"
				  "    enabled: false\n"
				  "    peak_window: 2.5s\n"
				  "    classes:\n"
				  "      - name: md-feed\n"
				  "        protocol: udp\n"
				  "        local_ports: [\"30001-30010\", 30020]\n"
				  "      - name: order-entry\n"
				  "        protocol: tcp\n"
				  "        remote_ports: [9001]\n"
				  "        local_address: \"::1\"\n"
				  "events:\n"
				  "  runqueue_latency_threshold: 20us\n"
				  "  softirq_duration_threshold: 1ms\n"
				  "  log_size: 50\n"
				  "  drain_interval: 10ms\n"
				  "daemon:\n"
				  "  cpus: \"0,1\"\n";

START_TEST(full_config_sets_every_key)
{
	const struct jd_socket_class *md, *oe;
	struct jd_config cfg;

	parse_ok(full_config, 4, &cfg);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:9100");

	ck_assert_int_eq(cfg.n_cpu_groups, 2);
	ck_assert_str_eq(cfg.cpu_groups[0].name, "housekeeping");
	ck_assert_int_eq(CPU_COUNT(&cfg.cpu_groups[0].cpus), 2);
	ck_assert(CPU_ISSET(0, &cfg.cpu_groups[0].cpus) && CPU_ISSET(1, &cfg.cpu_groups[0].cpus));
	ck_assert_str_eq(cfg.cpu_groups[1].name, "isolated");
	ck_assert(CPU_ISSET(2, &cfg.cpu_groups[1].cpus) && CPU_ISSET(3, &cfg.cpu_groups[1].cpus));

	ck_assert_int_eq(cfg.n_workloads, 2);
	ck_assert_str_eq(cfg.workloads[0].name, "strategy");
	ck_assert_str_eq(cfg.workloads[0].comm, "strat*");
	ck_assert_str_eq(cfg.workloads[0].cgroup, "");
	ck_assert_str_eq(cfg.workloads[1].name, "gateway");
	ck_assert_str_eq(cfg.workloads[1].comm, "gw");
	ck_assert_str_eq(cfg.workloads[1].cgroup, "/system.slice/gw.service");

	ck_assert(!AT(cfg, "collectors.sched.enabled", bool) &&
		  !AT(cfg, "collectors.softirq.enabled", bool) &&
		  !AT(cfg, "collectors.sockets.enabled", bool));
	ck_assert_uint_eq(AT(cfg, "collectors.sockets.peak_window", uint64_t), 2500 * NS_PER_MS);
	ck_assert_int_eq(AT(cfg, "collectors.sockets.classes", struct jd_socket_classes).n, 2);
	md = &AT(cfg, "collectors.sockets.classes", struct jd_socket_classes).at[0];
	ck_assert_str_eq(md->name, "md-feed");
	ck_assert_int_eq(md->protocol, JD_PROTO_UDP);
	ck_assert_int_eq(md->n_local_ports, 2);
	ck_assert(md->local_ports[0].first == 30001 && md->local_ports[0].last == 30010);
	ck_assert(md->local_ports[1].first == 30020 && md->local_ports[1].last == 30020);
	ck_assert_int_eq(md->n_remote_ports, 0);
	ck_assert_str_eq(md->local_address, "");
	oe = &AT(cfg, "collectors.sockets.classes", struct jd_socket_classes).at[1];
	ck_assert_str_eq(oe->name, "order-entry");
	ck_assert_int_eq(oe->protocol, JD_PROTO_TCP);
	ck_assert_int_eq(oe->n_local_ports, 0);
	ck_assert_int_eq(oe->n_remote_ports, 1);
	ck_assert(oe->remote_ports[0].first == 9001 && oe->remote_ports[0].last == 9001);
	ck_assert_str_eq(oe->local_address, "::1");

	ck_assert_uint_eq(AT(cfg, "events.runqueue_latency_threshold", uint64_t), 20 * NS_PER_US);
	ck_assert_uint_eq(AT(cfg, "events.softirq_duration_threshold", uint64_t), 1 * NS_PER_MS);
	ck_assert_uint_eq(cfg.events.log_size, 50);
	ck_assert_uint_eq(cfg.events.drain_interval_ns, 10 * NS_PER_MS);

	ck_assert(cfg.daemon.cpus_set);
	ck_assert_int_eq(CPU_COUNT(&cfg.daemon.cpus), 2);
	ck_assert(CPU_ISSET(0, &cfg.daemon.cpus) && CPU_ISSET(1, &cfg.daemon.cpus));
}
END_TEST

START_TEST(null_section_is_empty)
{
	struct jd_config cfg;

	parse_ok("cpu_groups:\nworkloads: ~\ncollectors:\n  sockets:\n    classes:\ndaemon:\n", 4,
		 &cfg);
	ck_assert_int_eq(cfg.n_cpu_groups, 0);
	ck_assert_int_eq(cfg.n_workloads, 0);
	ck_assert_int_eq(AT(cfg, "collectors.sockets.classes", struct jd_socket_classes).n, 0);
	ck_assert(!cfg.daemon.cpus_set);
}
END_TEST

START_TEST(anchors_and_aliases_are_values)
{
	struct jd_config cfg;

	parse_ok("events:\n  runqueue_latency_threshold: &t 30us\n"
		 "  softirq_duration_threshold: *t\n",
		 0, &cfg);
	ck_assert_uint_eq(AT(cfg, "events.softirq_duration_threshold", uint64_t), 30 * NS_PER_US);
}
END_TEST

/* ---- how errors look --------------------------------------------------- */

START_TEST(error_shows_the_line_and_a_caret)
{
	struct jd_config cfg;
	int rc;
	char *err = parse("events:\n  log_size: lots\n", 0, &cfg, &rc);

	ck_assert_str_eq(err, "t.yaml:2:13: log_size: bad integer \"lots\": expected digits only\n"
			      "  log_size: lots\n"
			      "            ^\n");
	free(err);
}
END_TEST

START_TEST(caret_copies_tabs_and_counts_utf8_characters)
{
	struct jd_config cfg;
	int rc;
	char *err =
		parse("workloads: [{cgroup: /\xc3\xa9, name: a,\tcomm: \"[\"}]\n", 0, &cfg, &rc);

	ck_assert_str_eq(err, "t.yaml:1:41: comm: bad glob \"[\": unbalanced '['\n"
			      "workloads: [{cgroup: /\xc3\xa9, name: a,\tcomm: \"[\"}]\n"
			      "                                 \t      ^\n");
	free(err);
}
END_TEST

START_TEST(every_error_is_reported)
{
	struct jd_config cfg;
	int rc;
	char *err = parse("listen: x\nbogus: 1\nevents:\n  log_size: 0\n  drain_interval: 1\n", 0,
			  &cfg, &rc);

	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_int_eq(count_errors(err), 4);
	free(err);
}
END_TEST

START_TEST(quoted_value_in_message_is_escaped_and_cut)
{
	assert_error("events: {log_size: \"a\\tb\\\"c\"}\n", 0,
		     "t.yaml:1:20: log_size: bad integer \"a\\x09b\\\"c\": expected digits only");
	assert_error(
		"events: {log_size: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}\n",
		0,
		"t.yaml:1:20: log_size: bad integer "
		"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\": expected digits only");
}
END_TEST

/* ---- error classes ----------------------------------------------------- */

START_TEST(syntax_error_is_reported_where_libyaml_found_it)
{
	assert_only_error("listen: \":1\"\nworkloads: [a, b\n", 0,
			  "t.yaml:3:1: syntax error: did not find expected ',' or ']' "
			  "(while parsing a flow sequence at line 2)");
	assert_only_error("collectors:\n  sched: {}\n bad: 1\n", 0,
			  "t.yaml:3:2: syntax error: did not find expected key "
			  "(while parsing a block mapping at line 1)");
}
END_TEST

START_TEST(bad_encoding_is_a_syntax_error)
{
	assert_only_error("listen: \":1\"\nx: \"\xff\"\n", 0,
			  "t.yaml:2:5: syntax error: invalid leading UTF-8 octet");
}
END_TEST

START_TEST(top_level_must_be_a_mapping)
{
	assert_only_error("- listen\n", 0,
			  "t.yaml:1:1: top level: expected a mapping, found a sequence");
	assert_only_error("listen\n", 0,
			  "t.yaml:1:1: top level: expected a mapping, found a scalar");
}
END_TEST

START_TEST(second_document_is_an_error)
{
	assert_only_error("listen: \":1\"\n---\nlisten: \":2\"\n", 0,
			  "t.yaml:3:1: only one YAML document is allowed");
}
END_TEST

START_TEST(unknown_key_lists_the_valid_keys)
{
	assert_only_error("listen: \":1\"\nlisten_address: x\n", 0,
			  "t.yaml:2:1: unknown key \"listen_address\" (valid: listen, web_config, "
			  "cpu_groups, workloads, collectors, events, doctor, daemon, anomaly)");
	assert_only_error("collectors:\n  sockets:\n    enable: true\n", 0,
			  "t.yaml:3:5: unknown key \"enable\" (valid: enabled, peak_window, "
			  "classes, latency, host_drops)");
}
END_TEST

START_TEST(wrong_node_type_is_an_error)
{
	assert_only_error("collectors: true\n", 0,
			  "t.yaml:1:13: collectors: expected a mapping, found a scalar");
	assert_only_error("workloads: {name: a}\n", 0,
			  "t.yaml:1:12: workloads: expected a sequence, found a mapping");
	assert_only_error("listen: [\":1\"]\n", 0,
			  "t.yaml:1:9: listen: expected a scalar, found a sequence");
	assert_only_error("workloads:\n  - strategy\n", 0,
			  "t.yaml:2:5: workload: expected a mapping, found a scalar");
	assert_only_error("collectors: {sockets: {classes: [{name: a, protocol: udp, "
			  "local_ports: [[1]]}]}}\n",
			  0, "t.yaml:1:73: port range: expected a scalar, found a sequence");
}
END_TEST

START_TEST(null_is_not_a_scalar_value)
{
	assert_only_error("events:\n  log_size:\n", 0,
			  "t.yaml:2:12: log_size: bad integer \"\": expected digits only");
}
END_TEST

START_TEST(key_must_be_a_scalar)
{
	assert_only_error("? [listen]\n: x\n", 0,
			  "t.yaml:1:3: expected a scalar key, found a sequence");
}
END_TEST

START_TEST(duplicate_key_points_at_the_second)
{
	assert_only_error("events:\n  log_size: 10\n  drain_interval: 1s\n  log_size: 20\n", 0,
			  "t.yaml:4:3: duplicate key \"log_size\" (first at line 2)");
}
END_TEST

START_TEST(boolean_is_true_or_false_only)
{
	assert_only_error("collectors:\n  sched: { enabled: yes }\n", 0,
			  "t.yaml:2:21: enabled: bad boolean \"yes\": use true or false");
	assert_only_error("collectors:\n  sched: { enabled: True }\n", 0,
			  "t.yaml:2:21: enabled: bad boolean \"True\": use true or false");
}
END_TEST

START_TEST(a_workloads_sockets_name_classes_of_the_config)
{
	struct jd_config cfg;

	parse_ok("workloads:\n  - { name: gw, comm: gw, sockets: \"orders,feed\" }\n"
		 "collectors:\n  sockets:\n    classes:\n"
		 "      - { name: feed, protocol: udp, local_ports: [5000] }\n"
		 "      - { name: orders, protocol: tcp, local_ports: [6000] }\n",
		 0, &cfg);
	ck_assert_str_eq(cfg.workloads[0].sockets, "orders,feed");
	assert_only_error("workloads:\n  - { name: gw, comm: gw, sockets: feed }\n"
			  "collectors:\n  sockets:\n    classes:\n"
			  "      - { name: fed, protocol: udp, local_ports: [5000] }\n",
			  0,
			  "t.yaml: workload \"gw\": sockets: no socket class \"feed\" in "
			  "collectors.sockets.classes");
	assert_only_error("workloads:\n  - { name: gw, comm: gw, sockets: \"a,,b\" }\n", 0,
			  "t.yaml:2:36: sockets: bad socket class names \"a,,b\": expected names "
			  "separated by commas");
}
END_TEST

START_TEST(bad_duration_is_an_error)
{
	assert_only_error("events:\n  drain_interval: 100\n", 0,
			  "t.yaml:2:19: drain_interval: bad duration \"100\": missing unit "
			  "(ns, us, ms or s)");
}
END_TEST

START_TEST(duration_out_of_range_is_an_error)
{
	assert_only_error("events:\n  drain_interval: 20s\n", 0,
			  "t.yaml:2:19: drain_interval: 20s is out of range (1ms to 10s)");
	assert_only_error(
		"events:\n  runqueue_latency_threshold: 0ns\n", 0,
		"t.yaml:2:31: runqueue_latency_threshold: 0ns is out of range (1ns to 10s)");
	assert_only_error("collectors: {sockets: {peak_window: 2h}}\n", 0,
			  "t.yaml:1:37: peak_window: bad duration \"2h\": unknown unit "
			  "(use ns, us, ms or s)");
}
END_TEST

START_TEST(integer_out_of_range_is_an_error)
{
	assert_only_error("events:\n  log_size: 0\n", 0,
			  "t.yaml:2:13: log_size: 0 is out of range (1 to 1000000)");
	assert_only_error("events:\n  log_size: 1000001\n", 0,
			  "t.yaml:2:13: log_size: 1000001 is out of range (1 to 1000000)");
	assert_only_error("events:\n  log_size: 99999999999999999999999\n", 0,
			  "t.yaml:2:13: log_size: 99999999999999999999999 is out of range "
			  "(1 to 1000000)");
}
END_TEST

START_TEST(bad_integer_is_an_error)
{
	assert_only_error("events:\n  log_size: -1\n", 0,
			  "t.yaml:2:13: log_size: bad integer \"-1\": expected digits only");
}
END_TEST

START_TEST(bad_cpu_list_is_an_error)
{
	assert_only_error("daemon:\n  cpus: \"3-1\"\n", 0,
			  "t.yaml:2:9: cpus: bad cpu list \"3-1\": reversed range");
	assert_only_error("cpu_groups:\n  a: \"0,,1\"\n", 0,
			  "t.yaml:2:6: a: bad cpu list \"0,,1\": empty item");
}
END_TEST

START_TEST(daemon_cpus_sets_cpus_set)
{
	struct jd_config cfg;

	parse_ok("daemon: {cpus: \"3\"}\n", 4, &cfg);
	ck_assert(cfg.daemon.cpus_set);
	ck_assert(CPU_ISSET(3, &cfg.daemon.cpus) && CPU_COUNT(&cfg.daemon.cpus) == 1);
}
END_TEST

START_TEST(daemon_cpus_must_be_on_this_machine)
{
	assert_only_error(
		"daemon: {cpus: \"2-5\"}\n", 4,
		"t.yaml:1:16: cpus: CPUs 4-5 are not on this machine, which has CPUs 0-3");
}
END_TEST

START_TEST(bad_port_range_is_an_error)
{
	assert_only_error("collectors: {sockets: {classes: [{name: a, protocol: udp, "
			  "local_ports: [80, 0]}]}}\n",
			  0,
			  "t.yaml:1:77: local_ports: bad port range \"0\": ports are 1 to 65535");
	assert_only_error("collectors: {sockets: {classes: [{name: a, protocol: tcp, "
			  "remote_ports: [\"9-1\"]}]}}\n",
			  0, "t.yaml:1:74: remote_ports: bad port range \"9-1\": reversed range");
}
END_TEST

START_TEST(bad_address_is_an_error)
{
	assert_only_error("collectors: {sockets: {classes: [{name: a, protocol: udp, "
			  "local_address: host.example}]}}\n",
			  0,
			  "t.yaml:1:74: local_address: bad address \"host.example\": "
			  "not an IPv4 or IPv6 address");
}
END_TEST

START_TEST(bad_listen_is_an_error)
{
	assert_only_error("listen: \"localhost:19435\"\n", 0,
			  "t.yaml:1:9: listen: bad listen address \"localhost:19435\": "
			  "not an IPv4 address (host names are not resolved)");
	assert_only_error("listen: 19435\n", 0,
			  "t.yaml:1:9: listen: bad listen address \"19435\": missing ':PORT'");
}
END_TEST

START_TEST(bad_protocol_is_an_error)
{
	assert_only_error("collectors: {sockets: {classes: [{name: a, protocol: sctp, "
			  "local_ports: [1]}]}}\n",
			  0, "t.yaml:1:54: protocol: bad protocol \"sctp\": use one of tcp, udp");
}
END_TEST

START_TEST(too_long_string_is_an_error_not_cut)
{
	char yaml[512];

	snprintf(yaml, sizeof(yaml), "workloads: [{name: a, cgroup: /%0300d}]\n", 0);
	assert_only_error(yaml, 0, "t.yaml:1:31: cgroup: too long (at most 255 characters)");
}
END_TEST

START_TEST(nul_in_a_string_is_an_error)
{
	assert_only_error("listen: \":1\\0\"\n", 0, "t.yaml:1:9: listen: contains a NUL character");
}
END_TEST

START_TEST(bad_name_is_an_error)
{
	assert_only_error(
		"workloads: [{name: \"my app\", comm: app}]\n", 0,
		"t.yaml:1:20: name: bad name \"my app\": use 1 to 63 of A-Z a-z 0-9 _ . : -");
	assert_only_error(
		"cpu_groups: {\"a/b\": \"0\"}\n", 0,
		"t.yaml:1:14: cpu_groups: bad name \"a/b\": use 1 to 63 of A-Z a-z 0-9 _ . : -");
	assert_only_error("workloads: [{name: \"\", comm: app}]\n", 0,
			  "t.yaml:1:20: name: bad name \"\": use 1 to 63 of A-Z a-z 0-9 _ . : -");
}
END_TEST

START_TEST(name_of_63_characters_is_allowed)
{
	struct jd_config cfg;
	char yaml[256];

	snprintf(yaml, sizeof(yaml), "workloads: [{name: %s, comm: app}]\n",
		 "a23456789012345678901234567890123456789012345678901234567890123");
	parse_ok(yaml, 0, &cfg);
	ck_assert_uint_eq(strlen(cfg.workloads[0].name), 63);
}
END_TEST

START_TEST(duplicate_names_are_an_error)
{
	assert_only_error("workloads:\n  - {name: a, comm: x}\n  - {name: a, comm: y}\n", 0,
			  "t.yaml:3:12: duplicate workload name \"a\" (first at line 2)");
	assert_only_error("collectors:\n  sockets:\n    classes:\n"
			  "      - {name: feed, protocol: udp, local_ports: [1]}\n"
			  "      - {name: feed, protocol: tcp, local_ports: [1]}\n",
			  0, "t.yaml:5:16: duplicate socket class name \"feed\" (first at line 4)");
	assert_only_error("cpu_groups:\n  a: \"0\"\n  a: \"1\"\n", 0,
			  "t.yaml:3:3: duplicate key \"a\" (first at line 2)");
	assert_only_error("collectors:\n  spans:\n    labels:\n      - venue\n      - venue\n", 0,
			  "t.yaml:5:9: duplicate label name \"venue\" (first at line 4)");
}
END_TEST

/* collectors.spans.labels: label names spans may carry, none of jitterd's own. */
START_TEST(span_labels_are_label_names)
{
	struct jd_config cfg;
	const char(*labels)[32];

	parse_ok("collectors:\n  spans:\n    labels: [venue, session_2, _x]\n", 0, &cfg);
	labels = (const char(*)[32])field_at(&cfg, "collectors.spans.labels");
	ck_assert_str_eq(labels[0], "venue");
	ck_assert_str_eq(labels[1], "session_2");
	ck_assert_str_eq(labels[2], "_x");
	ck_assert_str_eq(labels[3], "");
	assert_only_error("collectors:\n  spans:\n    labels: [span]\n", 0,
			  "t.yaml:3:14: labels: bad label name \"span\": workload, span and le are "
			  "jitterd's; __ is Prometheus'");
	assert_only_error("collectors:\n  spans:\n    labels: [le]\n", 0,
			  "t.yaml:3:14: labels: bad label name \"le\": workload, span and le are "
			  "jitterd's; __ is Prometheus'");
	assert_only_error("collectors:\n  spans:\n    labels: [__name__]\n", 0,
			  "t.yaml:3:14: labels: bad label name \"__name__\": workload, span and le "
			  "are jitterd's; __ is Prometheus'");
	assert_only_error("collectors:\n  spans:\n    labels: [2nd]\n", 0,
			  "t.yaml:3:14: labels: bad label name \"2nd\": use 1 to 31 of A-Z a-z 0-9 "
			  "_, not starting with a digit");
	assert_only_error("collectors:\n  spans:\n    labels: [a.b]\n", 0,
			  "t.yaml:3:14: labels: bad label name \"a.b\": use 1 to 31 of A-Z a-z 0-9 "
			  "_, not starting with a digit");
	assert_only_error("collectors:\n  spans:\n    labels: [a, b, c, d, e, f, g, h, i]\n", 0,
			  "t.yaml:3:38: labels: too many items (at most 8)");
}
END_TEST

START_TEST(missing_required_key_is_an_error)
{
	assert_only_error("workloads:\n  - comm: app\n", 0,
			  "t.yaml:2:5: missing required key \"name\"");
	assert_only_error("collectors: {sockets: {classes: [{name: a, local_ports: [1]}]}}\n", 0,
			  "t.yaml:1:34: missing required key \"protocol\"");
}
END_TEST

START_TEST(workload_needs_comm_or_cgroup)
{
	assert_only_error("workloads:\n  - name: idle\n", 0,
			  "t.yaml:2:5: workload \"idle\" needs comm or cgroup");
}
END_TEST

START_TEST(socket_class_needs_a_selector)
{
	assert_only_error("collectors: {sockets: {classes: [{name: all, protocol: udp}]}}\n", 0,
			  "t.yaml:1:34: socket class \"all\" needs local_ports, remote_ports or "
			  "local_address");
}
END_TEST

START_TEST(an_item_with_an_error_is_not_checked_further)
{
	/* No "needs comm or cgroup" for a workload whose comm was bad. */
	assert_only_error("workloads: [{name: a, comm: \"x[\"}]\n", 0,
			  "t.yaml:1:29: comm: bad glob \"x[\": unbalanced '['");
}
END_TEST

START_TEST(too_many_items_is_an_error)
{
	char yaml[4096];
	size_t used = 0;
	int i;

	used += snprintf(yaml + used, sizeof(yaml) - used, "workloads:\n");
	for (i = 0; i <= JD_MAX_WORKLOADS; i++)
		used += snprintf(yaml + used, sizeof(yaml) - used, "  - {name: w%d, comm: w}\n", i);
	assert_only_error(yaml, 0, "t.yaml:34:5: workloads: too many items (at most 32)");
}
END_TEST

START_TEST(glob_with_unbalanced_bracket_is_an_error)
{
	assert_only_error("workloads: [{name: a, comm: \"strat[0-9\"}]\n", 0,
			  "t.yaml:1:29: comm: bad glob \"strat[0-9\": unbalanced '['");
}
END_TEST

START_TEST(glob_longer_than_a_comm_is_an_error)
{
	assert_only_error("workloads: [{name: a, comm: \"strategy-engine-1*\"}]\n", 0,
			  "t.yaml:1:29: comm: bad glob \"strategy-engine-1*\": it needs more than "
			  "the 15 characters of a comm, so it can never match");
}
END_TEST

START_TEST(glob_counts_brackets_and_stars_as_a_comm_does)
{
	struct jd_config cfg;

	/* 15 characters to match, however long the pattern. */
	parse_ok("workloads:\n"
		 "  - {name: a, comm: \"strategy-engin*\"}\n"
		 "  - {name: b, comm: \"strategy-engi[[:digit:]]*\"}\n"
		 "  - {name: c, comm: \"[]]x\\\\[?\"}\n",
		 0, &cfg);
	ck_assert_int_eq(cfg.n_workloads, 3);
}
END_TEST

START_TEST(cgroup_must_be_absolute)
{
	assert_only_error(
		"workloads: [{name: a, cgroup: system.slice}]\n", 0,
		"t.yaml:1:31: cgroup: bad cgroup path \"system.slice\": must start with '/'");
}
END_TEST

/* ---- cpu groups, on a machine of 4 CPUs -------------------------------- */

START_TEST(cpu_groups_covering_the_machine_are_valid)
{
	struct jd_config cfg;

	parse_ok("cpu_groups: {hk: \"0\", iso: \"1-3\"}\n", 4, &cfg);
	ck_assert_int_eq(cfg.n_cpu_groups, 2);
}
END_TEST

START_TEST(cpu_groups_must_not_overlap)
{
	assert_only_error("cpu_groups:\n  hk: \"0-1\"\n  iso: \"1-3\"\n", 4,
			  "t.yaml:3:8: cpu group \"iso\" overlaps \"hk\" on CPU 1");
}
END_TEST

START_TEST(cpu_groups_must_cover_every_cpu)
{
	assert_only_error("cpu_groups:\n  hk: \"0\"\n  iso: \"2\"\n", 4,
			  "t.yaml:2:3: cpu_groups: CPUs 1,3 are in no group; the groups must cover "
			  "CPUs 0-3");
}
END_TEST

START_TEST(cpu_groups_must_stay_on_the_machine)
{
	assert_only_error("cpu_groups:\n  hk: \"0-1\"\n  iso: \"2-7\"\n", 4,
			  "t.yaml:3:8: iso: CPUs 4-7 are not on this machine, which has CPUs 0-3");
}
END_TEST

START_TEST(cpu_groups_coverage_is_unchecked_without_nr_cpus)
{
	struct jd_config cfg;

	parse_ok("cpu_groups: {hk: \"0\", iso: \"8-9\"}\n", 0, &cfg);
	ck_assert_int_eq(cfg.n_cpu_groups, 2);
}
END_TEST

START_TEST(bad_cpu_group_does_not_cascade_to_coverage)
{
	assert_only_error("cpu_groups:\n  hk: \"0-1\"\n  iso: \"2-x\"\n", 4,
			  "t.yaml:3:8: iso: bad cpu list \"2-x\": expected CPU numbers and ranges "
			  "like 0-3,8");
}
END_TEST

/* ---- files ------------------------------------------------------------- */

static char *load(const char *path, int *rc)
{
	struct jd_config cfg;
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	ck_assert_ptr_nonnull(f);
	*rc = config_load_file(&cfg, path, 0, f);
	fclose(f);
	return err;
}

START_TEST(missing_file_is_path_and_strerror)
{
	int rc;
	char *err = load("/nonexistent/jitterd.yaml", &rc);

	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err, "/nonexistent/jitterd.yaml: No such file or directory\n");
	free(err);
}
END_TEST

START_TEST(directory_is_path_and_strerror)
{
	int rc;
	char *err = load("config", &rc);

	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err, "config: Is a directory\n");
	free(err);
}
END_TEST

START_TEST(file_errors_name_the_file)
{
	char path[] = "/tmp/jitterd-test-XXXXXX";
	int fd = mkstemp(path), rc;
	char *err;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "listen: \":1\"\nbogus: 1\n", 22), 22);
	close(fd);
	err = load(path, &rc);
	unlink(path);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
	ck_assert_int_eq(strncmp(err + strlen(path), ":2:1: unknown key \"bogus\"", 25), 0);
	free(err);
}
END_TEST

START_TEST(anomaly_sessions_floors_and_subjects_parse)
{
	struct jd_config cfg;
	int rc;
	char *err = parse("anomaly:\n"
			  "  method: ewma\n"
			  "  sessions:\n"
			  "    - { name: open, start: \"09:30\", end: \"10:00\" }\n"
			  "    - { name: night, start: \"22:00\", end: \"06:00\" }\n"
			  "  signals:\n"
			  "    runqueue_wait: { floor: 30 }\n"
			  "    runqueue_latency: { floor: 2ms, p999: false }\n"
			  "  subjects: { cpus: false }\n",
			  4, &cfg, &rc);

	ck_assert_msg(rc == 0, "%s", err);
	free(err);
	ck_assert_int_eq(cfg.anomaly.method, JD_AN_METHOD_EWMA);
	ck_assert_int_eq(cfg.anomaly.n_sessions, 2);
	ck_assert_uint_eq(cfg.anomaly.sessions[0].start_min, 9 * 60 + 30);
	ck_assert_uint_eq(cfg.anomaly.sessions[1].end_min, 6 * 60);
	ck_assert_uint_eq(AT(cfg, "anomaly.signals.runqueue_wait.floor", uint32_t), 30);
	ck_assert_uint_eq(AT(cfg, "anomaly.signals.runqueue_latency.floor", uint64_t), 2000000);
	ck_assert(AT(cfg, "anomaly.signals.runqueue_latency.p99", bool));
	ck_assert(!AT(cfg, "anomaly.signals.runqueue_latency.p999", bool));
	ck_assert(!cfg.anomaly.subjects.cpus && cfg.anomaly.subjects.sockets);
}
END_TEST

START_TEST(anomaly_bad_keys_are_errors)
{
	assert_only_error(
		"anomaly:\n  sessions:\n    - { name: open, start: \"9:30\", end: \"10:00\" }\n", 4,
		"t.yaml:3:28: start: bad time of day \"9:30\": use HH:MM, 00:00 to 23:59");
	assert_only_error(
		"anomaly:\n  sessions:\n    - { name: x, start: \"10:00\", end: \"10:00\" }\n", 4,
		"t.yaml:3:7: session \"x\" starts where it ends");
	assert_only_error("anomaly:\n  signals:\n    socket_drops: { floor: 0 }\n", 4,
			  "t.yaml:3:28: floor: 0 is out of range (1 to 100000000)");
	assert_only_error("anomaly:\n  warmup: 2\n", 4,
			  "t.yaml:2:11: warmup: 2 is out of range (4 to 3600)");
}
END_TEST

/* Each signal the collectors declare has its anomaly.signals.<name> row,
 * which fills the place the detector reads it from. */
START_TEST(every_declared_signal_has_a_config_row)
{
	const struct signal_config *rows[JD_AN_MAX_SIGNALS];
	unsigned n = collectors_signal_configs(rows, JD_AN_MAX_SIGNALS), declared = 0;
	struct jd_config cfg;
	char path[128];

	config_defaults(&cfg);
	for (unsigned i = 0; i < n_collectors; i++)
		for (unsigned j = 0; j < collectors[i].ops->n_signals; j++) {
			const struct signal_config *sc = collectors[i].ops->signals[j].config;
			unsigned r = 0;

			declared++;
			while (r < n && rows[r] != sc)
				r++;
			ck_assert_msg(r < n, "signal %s: no config row",
				      collectors[i].ops->signals[j].name);
			snprintf(path, sizeof(path), "anomaly.signals.%s.enabled", sc->name);
			ck_assert_ptr_eq(field_at(&cfg, path), &cfg.anomaly.signals[r].enabled);
			ck_assert(cfg.anomaly.signals[r].enabled);
		}
	ck_assert_uint_ge(declared, 1);
	ck_assert_uint_lt(n, JD_AN_MAX_SIGNALS);	  /* room left: none was cut off */
	ck_assert_uint_le(declared, SIGNAL_MAX_DECLARED); /* the detector knows each one */
}
END_TEST

START_TEST(unknown_anomaly_signal_is_an_error)
{
	const struct signal_config *rows[JD_AN_MAX_SIGNALS];
	unsigned n = collectors_signal_configs(rows, JD_AN_MAX_SIGNALS);
	char expected[1024];
	size_t used;

	/* The valid ones are the rows the collectors declare, in their order. */
	used = snprintf(expected, sizeof(expected),
			"t.yaml:3:5: unknown key \"runqueue_latncy\" (valid: ");
	for (unsigned i = 0; i < n; i++)
		used += snprintf(expected + used, sizeof(expected) - used, "%s%s", i ? ", " : "",
				 rows[i]->name);
	snprintf(expected + used, sizeof(expected) - used, ")");
	assert_only_error("anomaly:\n  signals:\n    runqueue_latncy: { floor: 1ms }\n", 4,
			  expected);
	assert_only_error("anomaly:\n  signals:\n    softirq_latency: { p99: false }\n", 4,
			  "t.yaml:3:24: unknown key \"p99\" (valid: enabled, floor)");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, default_file_parses_to_the_defaults);
	tcase_add_test(tc, defaults_in_the_rows_parse_without_error);
	tcase_add_test(tc, default_file_states_every_default);
	tcase_add_test(tc, defaults_are_the_documented_values);
	tcase_add_test(tc, empty_document_is_the_defaults);
	tcase_add_test(tc, parse_starts_from_the_defaults);
	tcase_add_test(tc, full_config_sets_every_key);
	tcase_add_test(tc, null_section_is_empty);
	tcase_add_test(tc, anchors_and_aliases_are_values);
	tcase_add_test(tc, daemon_cpus_sets_cpus_set);
	tcase_add_test(tc, name_of_63_characters_is_allowed);
	tcase_add_test(tc, glob_counts_brackets_and_stars_as_a_comm_does);
	tcase_add_test(tc, every_declared_signal_has_a_config_row);
	suite_add_tcase(s, tc);

	tc = tcase_create("reporting");
	tcase_add_test(tc, error_shows_the_line_and_a_caret);
	tcase_add_test(tc, caret_copies_tabs_and_counts_utf8_characters);
	tcase_add_test(tc, every_error_is_reported);
	tcase_add_test(tc, quoted_value_in_message_is_escaped_and_cut);
	tcase_add_test(tc, an_item_with_an_error_is_not_checked_further);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, syntax_error_is_reported_where_libyaml_found_it);
	tcase_add_test(tc, bad_encoding_is_a_syntax_error);
	tcase_add_test(tc, top_level_must_be_a_mapping);
	tcase_add_test(tc, second_document_is_an_error);
	tcase_add_test(tc, unknown_key_lists_the_valid_keys);
	tcase_add_test(tc, unknown_anomaly_signal_is_an_error);
	tcase_add_test(tc, wrong_node_type_is_an_error);
	tcase_add_test(tc, null_is_not_a_scalar_value);
	tcase_add_test(tc, key_must_be_a_scalar);
	tcase_add_test(tc, duplicate_key_points_at_the_second);
	tcase_add_test(tc, boolean_is_true_or_false_only);
	tcase_add_test(tc, bad_duration_is_an_error);
	tcase_add_test(tc, duration_out_of_range_is_an_error);
	tcase_add_test(tc, integer_out_of_range_is_an_error);
	tcase_add_test(tc, bad_integer_is_an_error);
	tcase_add_test(tc, bad_cpu_list_is_an_error);
	tcase_add_test(tc, a_workloads_sockets_name_classes_of_the_config);
	tcase_add_test(tc, daemon_cpus_must_be_on_this_machine);
	tcase_add_test(tc, bad_port_range_is_an_error);
	tcase_add_test(tc, bad_address_is_an_error);
	tcase_add_test(tc, bad_listen_is_an_error);
	tcase_add_test(tc, bad_protocol_is_an_error);
	tcase_add_test(tc, too_long_string_is_an_error_not_cut);
	tcase_add_test(tc, nul_in_a_string_is_an_error);
	tcase_add_test(tc, bad_name_is_an_error);
	tcase_add_test(tc, duplicate_names_are_an_error);
	tcase_add_test(tc, span_labels_are_label_names);
	tcase_add_test(tc, missing_required_key_is_an_error);
	tcase_add_test(tc, workload_needs_comm_or_cgroup);
	tcase_add_test(tc, socket_class_needs_a_selector);
	tcase_add_test(tc, too_many_items_is_an_error);
	tcase_add_test(tc, glob_with_unbalanced_bracket_is_an_error);
	tcase_add_test(tc, glob_longer_than_a_comm_is_an_error);
	tcase_add_test(tc, cgroup_must_be_absolute);
	suite_add_tcase(s, tc);

	tc = tcase_create("cpu_groups");
	tcase_add_test(tc, cpu_groups_covering_the_machine_are_valid);
	tcase_add_test(tc, cpu_groups_must_not_overlap);
	tcase_add_test(tc, cpu_groups_must_cover_every_cpu);
	tcase_add_test(tc, cpu_groups_must_stay_on_the_machine);
	tcase_add_test(tc, cpu_groups_coverage_is_unchecked_without_nr_cpus);
	tcase_add_test(tc, bad_cpu_group_does_not_cascade_to_coverage);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, missing_file_is_path_and_strerror);
	tcase_add_test(tc, directory_is_path_and_strerror);
	tcase_add_test(tc, file_errors_name_the_file);
	tcase_add_test(tc, anomaly_sessions_floors_and_subjects_parse);
	tcase_add_test(tc, anomaly_bad_keys_are_errors);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(config_suite)
