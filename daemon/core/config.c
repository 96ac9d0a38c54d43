// SPDX-License-Identifier: MIT
/*
 * jitterd.yaml -> struct jd_config: the schema.
 *
 * The schema is the tables below: one row per key with its node type, its
 * parser, where its value goes and its default. yamlwalk.c does the walk
 * and the generic parsers; what is here is what only jitterd.yaml has:
 * the name, glob, cgroup and address checks, the cpu_groups partition rule
 * and the rules that tie the keys of a workload or socket class together.
 *
 * Defaults live in the rows: config_defaults() zeroes a struct jd_config
 * and parses each row's default as if the file had said it, and a unit test
 * holds config/jitterd.yaml to stating every one of them.
 */
#include "core/config.h"
#include "anomaly/signal.h"
#include "probes/collector.h"
#include "probes/events.h"
#include "lib/parse.h"
#include "lib/yamlwalk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define COMM_LEN	15	  /* the kernel's TASK_COMM_LEN - 1 */
#define CONFIG_FILE_MAX (1 << 20) /* so that a config path to a device cannot eat memory */

/* The anonymous structs inside struct jd_config, whose mappings fill them. */
#define CFG_T(m) __typeof__(((struct jd_config *)0)->m)

_Static_assert(sizeof(enum jd_protocol) == sizeof(int), "yw_parse_enum writes an int");

/* ---- string checks ----------------------------------------------------- */

/* Names become label values and cgroup-like identifiers: keep them to
 * characters that need no escaping anywhere. */
static int check_name(const char *s, const char **why)
{
	size_t len = strlen(s);

	if (!len || len >= JD_NAME_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "abcdefghijklmnopqrstuvwxyz"
		      "0123456789_.:-") != len) {
		*why = "use 1 to 63 of A-Z a-z 0-9 _ . : -";
		return -EINVAL;
	}
	return 0;
}

/*
 * Each of s's comma-separated items (none empty, each shorter than a name)
 * through check(item, why); expected: the message for a malformed list.
 */
static int check_each(const char *s, int (*check)(const char *item, const char **why),
		      const char *expected, const char **why)
{
	while (*s) {
		size_t len = strcspn(s, ",");
		char item[JD_NAME_MAX];

		if (!len || len >= sizeof(item)) {
			*why = expected;
			return -EINVAL;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		if (check(item, why))
			return -EINVAL;
		s += len + !!s[len];
	}
	return 0;
}

/* Comma-separated names (a workload's socket classes). */
static int check_names(const char *s, const char **why)
{
	return check_each(s, check_name, "expected names separated by commas", why);
}

static int check_listen(const char *s, const char **why)
{
	struct sockaddr_storage addr;
	socklen_t len;

	return parse_listen(s, &addr, &len, why);
}

static int check_address(const char *s, const char **why)
{
	struct in6_addr addr;

	if (inet_pton(AF_INET, s, &addr) != 1 && inet_pton(AF_INET6, s, &addr) != 1) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	return 0;
}

static int check_cgroup(const char *s, const char **why)
{
	if (s[0] != '/') {
		*why = "must start with '/'";
		return -EINVAL;
	}
	return 0;
}

/* The end of the bracket expression that starts at p, or NULL. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '!' || *p == '^')
		p++;
	if (*p == ']') /* first, it is a member */
		p++;
	for (; *p && *p != ']'; p++) {
		if (p[0] == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char close = p[1];

			for (p += 2; *p && !(p[0] == close && p[1] == ']'); p++)
				;
			if (!*p)
				return NULL;
			p++;
		} else if (p[0] == '\\' && p[1]) {
			p++;
		}
	}
	return *p ? p : NULL;
}

/*
 * fnmatch() takes an unclosed '[' literally, but here it is surely a typo.
 * The kernel cuts comm to 15 bytes, so a glob that needs more can never
 * match and the workload would silently stay empty.
 */
static int check_glob(const char *s, const char **why)
{
	size_t need = 0;
	const char *p;

	if (!*s) {
		*why = "empty";
		return -EINVAL;
	}
	for (p = s; *p; p++) {
		if (*p == '*')
			continue;
		need++;
		if (*p == '\\') {
			if (!*++p) {
				*why = "ends in a lone backslash";
				return -EINVAL;
			}
		} else if (*p == '[') {
			p = bracket_end(p);
			if (!p) {
				*why = "unbalanced '['";
				return -EINVAL;
			}
		}
	}
	if (need > COMM_LEN) {
		*why = "it needs more than the 15 characters of a comm, so it can never match";
		return -EINVAL;
	}
	return 0;
}

static const struct yw_string_check name_check = { "name", check_name };
static const struct yw_string_check names_check = { "socket class names", check_names };

static int check_path(const char *s, const char **why)
{
	if (s[0] != '/') {
		*why = "must be an absolute path";
		return -EINVAL;
	}
	return 0;
}

static const struct yw_string_check path_check = { "path", check_path };
static const struct yw_string_check listen_check = { "listen address", check_listen };
static const struct yw_string_check address_check = { "address", check_address };
static const struct yw_string_check cgroup_check = { "cgroup path", check_cgroup };
static const struct yw_string_check glob_check = { "glob", check_glob };

/* ---- rules of jitterd.yaml's own ------------------------------------------ */

/*
 * cpu_groups partition the CPUs: a CPU in two groups would be counted twice
 * in every per-group sum, and a CPU in none would not be seen at all.
 */
static int parse_cpu_groups(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *map, char *base)
{
	struct jd_cpu_group *groups = (struct jd_cpu_group *)(base + k->off);
	size_t cap = k->size / sizeof(*groups);
	int *n = (int *)(base + k->count_off), errors = c->errors, i;
	yaml_node_pair_t *pair;
	cpu_set_t all, other, machine;
	char these[160];

	CPU_ZERO(&all);
	*n = 0;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = yw_pair_key(c, map, pair), *why;
		yaml_node_t *key = yw_node(c, pair->key), *v = yw_node(c, pair->value);
		struct jd_cpu_group *g = &groups[*n];

		if (!name)
			continue;
		if ((size_t)(pair - map->data.mapping.pairs.start) == cap) {
			yw_report(c, key->start_mark, "%s: too many groups (at most %zu)", k->name,
				  cap);
			break;
		}
		if (check_name(name, &why)) {
			yw_bad_value(c, k->name, "name", key, why);
			continue;
		}
		memset(g, 0, sizeof(*g)); /* a group that failed may have left CPUs here */
		if (!yw_check_type(c, name, v, YAML_SCALAR_NODE) ||
		    yw_cpulist_value(c, name, v, &g->cpus))
			continue;
		for (i = 0; i < *n; i++) {
			CPU_AND(&other, &g->cpus, &groups[i].cpus);
			if (CPU_COUNT(&other))
				break;
		}
		if (i < *n) {
			yw_report(c, v->start_mark, "cpu group \"%s\" overlaps \"%s\" on %s", name,
				  groups[i].name, yw_cpus_are(these, sizeof(these), &other, false));
			continue;
		}
		CPU_OR(&all, &all, &g->cpus);
		memcpy(g->name, name, strlen(name)); /* check_name() has bounded it */
		(*n)++;
	}
	/* A group that failed has left its CPUs out: do not blame the others. */
	if (c->errors != errors || !c->nr_cpus || !*n)
		return 0;
	yw_machine_cpus(c, &machine);
	CPU_XOR(&other, &machine, &all); /* the groups are within the machine: what they lack */
	if (CPU_COUNT(&other)) {
		char those[160];

		return yw_report(c, map->start_mark, "%s: %s in no group; the groups must cover %s",
				 k->name, yw_cpus_are(these, sizeof(these), &other, true),
				 yw_cpus_are(those, sizeof(those), &machine, false));
	}
	return 0;
}

static int parse_port_item(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item, char *elem)
{
	struct jd_port_range *range = (struct jd_port_range *)elem;
	const char *s = yw_scalar_text(c, k->name, item), *why;

	if (!s)
		return -EINVAL;
	if (parse_port_range(s, &range->first, &range->last, &why))
		return yw_bad_value(c, k->name, "port range", item, why);
	return 0;
}

static int check_workload(struct yw_ctx *c, yaml_node_t *item, const char *elem)
{
	const struct jd_workload *w = (const struct jd_workload *)elem;

	if (!w->comm[0] && !w->cgroup[0])
		return yw_report(c, item->start_mark, "workload \"%s\" needs comm or cgroup",
				 w->name);
	return 0;
}

static int check_socket_class(struct yw_ctx *c, yaml_node_t *item, const char *elem)
{
	const struct jd_socket_class *sc = (const struct jd_socket_class *)elem;
	yaml_node_t *seq = yw_mapping_value(c, item, "sequence");

	/* A class that matches every socket of a protocol is a costly way to
	 * say nothing; the BPF side only follows sockets that a class selects. */
	if (!sc->n_local_ports && !sc->n_remote_ports && !sc->local_address[0])
		return yw_report(
			c, item->start_mark,
			"socket class \"%s\" needs local_ports, remote_ports or local_address",
			sc->name);
	if (seq && seq->type == YAML_MAPPING_NODE) {
		static const char *const framing[] = { "offset", "size", "byte_order", "count",
						       "session" };

		for (size_t i = 0; i < sizeof(framing) / sizeof(framing[0]); i++) {
			yaml_node_t *v = yw_mapping_value(c, seq, framing[i]);

			if (sc->sequence.format && v)
				return yw_report(c, v->start_mark,
						 "socket class \"%s\": sequence: format says where "
						 "everything is: no %s with it",
						 sc->name, framing[i]);
			if (!sc->sequence.format && i < 2 && !v)
				return yw_report(c, seq->start_mark,
						 "socket class \"%s\": sequence: missing required "
						 "key \"%s\" (or a format)",
						 sc->name, framing[i]);
		}
	}
	if (sc->sequence.size && sc->protocol != JD_PROTO_UDP)
		return yw_report(c, item->start_mark,
				 "socket class \"%s\": sequence is for udp classes", sc->name);
	if (!sc->feed[0] != !sc->leg)
		return yw_report(c, item->start_mark,
				 "socket class \"%s\": feed and leg go together", sc->name);
	if (sc->leg && !sc->sequence.size)
		return yw_report(c, item->start_mark,
				 "socket class \"%s\": a feed leg needs a sequence", sc->name);
	return 0;
}

/* ---- socket classes --------------------------------------------------- */

/*
 * Socket classes name sockets on the host (the sockets collector) and
 * flows in captures alike: their rows are shared schema.
 */

static const struct yw_list port_list = {
	.what = "port range",
	.item_type = YAML_SCALAR_NODE,
	.item_size = sizeof(struct jd_port_range),
	.parse_item = parse_port_item,
};

static const struct yw_enum protocols[] = {
	{ "tcp", JD_PROTO_TCP },
	{ "udp", JD_PROTO_UDP },
	{},
};

static int parse_sequence_size(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	uint32_t *size = (uint32_t *)(base + k->off);

	if (yw_parse_u32(c, k, v, base))
		return -EINVAL;
	if (*size != 2 && *size != 4 && *size != 8) {
		*size = 0;
		return yw_bad_value(c, k->name, "size", v, "use 2, 4 or 8 (bytes)");
	}
	return 0;
}

static const struct yw_enum byte_orders[] = {
	{ "big", JD_BIG_ENDIAN },
	{ "little", JD_LITTLE_ENDIAN },
	{},
};

static const struct yw_enum legs[] = {
	{ "a", JD_LEG_A },
	{ "b", JD_LEG_B },
	{},
};

static int parse_count_size(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	uint32_t *size = (uint32_t *)(base + k->off);

	if (yw_parse_u32(c, k, v, base))
		return -EINVAL;
	if (*size != 1 && *size != 2 && *size != 4) {
		*size = 0;
		return yw_bad_value(c, k->name, "size", v, "use 1, 2 or 4 (bytes)");
	}
	return 0;
}

static const struct yw_enum seq_formats[] = {
	{ "moldudp64", JD_SEQ_MOLDUDP64 },
	{},
};

/* format: moldudp64 says where everything is: a 10-byte session, the
 * 64-bit sequence number of the first message and a 16-bit message count,
 * big-endian (count 0 a heartbeat, 0xffff the end of the session). */
static int parse_seq_format(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	struct jd_sequence *sq = (struct jd_sequence *)base;

	if (yw_parse_enum(c, k, v, base))
		return -EINVAL;
	if (sq->format == JD_SEQ_MOLDUDP64) {
		sq->offset = 10;
		sq->size = 8;
		sq->byte_order = JD_BIG_ENDIAN;
		sq->count = (struct jd_seq_field){ .offset = 18, .size = 2 };
		sq->session = (struct jd_seq_field){ .offset = 0, .size = 10 };
	}
	return 0;
}

static const struct yw_key seq_count_keys[] = {
	{ YW_KEY("offset", SCALAR, yw_parse_u32), YW_FIELD(struct jd_seq_field, offset), .min = 0,
	  .max = 65535, .required = true },
	{ YW_KEY("size", SCALAR, parse_count_size), YW_FIELD(struct jd_seq_field, size), .min = 1,
	  .max = 4, .required = true },
	{},
};

static const struct yw_key seq_session_keys[] = {
	{ YW_KEY("offset", SCALAR, yw_parse_u32), YW_FIELD(struct jd_seq_field, offset), .min = 0,
	  .max = 65535, .required = true },
	{ YW_KEY("size", SCALAR, yw_parse_u32), YW_FIELD(struct jd_seq_field, size), .min = 1,
	  .max = JD_SESSION_MAX, .required = true },
	{},
};

/* Read by jitterd pcap only: a sequence number in the UDP payload. offset
 * and size are required but with format (check_socket_class says so). */
static const struct yw_key sequence_keys[] = {
	{ YW_KEY("offset", SCALAR, yw_parse_u32), YW_FIELD(struct jd_sequence, offset), .min = 0,
	  .max = 65535 },
	{ YW_KEY("size", SCALAR, parse_sequence_size), YW_FIELD(struct jd_sequence, size), .min = 2,
	  .max = 8 },
	{ YW_KEY("byte_order", SCALAR, yw_parse_enum), YW_FIELD(struct jd_sequence, byte_order),
	  .names = byte_orders, .def = "big" },
	{ YW_KEY("count", MAPPING, yw_parse_mapping), YW_FIELD(struct jd_sequence, count),
	  .keys = seq_count_keys },
	{ YW_KEY("session", MAPPING, yw_parse_mapping), YW_FIELD(struct jd_sequence, session),
	  .keys = seq_session_keys },
	{ YW_KEY("format", SCALAR, parse_seq_format), YW_FIELD(struct jd_sequence, format),
	  .names = seq_formats },
	{},
};

static const struct yw_key socket_class_keys[] = {
	{ YW_KEY("name", SCALAR, yw_parse_string), YW_FIELD(struct jd_socket_class, name),
	  .check = &name_check, .required = true },
	{ YW_KEY("protocol", SCALAR, yw_parse_enum), YW_FIELD(struct jd_socket_class, protocol),
	  .names = protocols, .required = true },
	{ YW_KEY("local_ports", SEQUENCE, yw_parse_list),
	  YW_FIELD(struct jd_socket_class, local_ports),
	  YW_COUNT(struct jd_socket_class, n_local_ports), .list = &port_list },
	{ YW_KEY("remote_ports", SEQUENCE, yw_parse_list),
	  YW_FIELD(struct jd_socket_class, remote_ports),
	  YW_COUNT(struct jd_socket_class, n_remote_ports), .list = &port_list },
	{ YW_KEY("local_address", SCALAR, yw_parse_string),
	  YW_FIELD(struct jd_socket_class, local_address), .check = &address_check },
	{ YW_KEY("sequence", MAPPING, yw_parse_mapping), YW_FIELD(struct jd_socket_class, sequence),
	  .keys = sequence_keys },
	{ YW_KEY("feed", SCALAR, yw_parse_string), YW_FIELD(struct jd_socket_class, feed),
	  .check = &name_check },
	{ YW_KEY("leg", SCALAR, yw_parse_enum), YW_FIELD(struct jd_socket_class, leg),
	  .names = legs },
	{},
};

const struct yw_list config_socket_class_list = {
	.what = "socket class",
	.item_type = YAML_MAPPING_NODE,
	.item_size = sizeof(struct jd_socket_class),
	.parse_item = yw_parse_mapping_item,
	.keys = socket_class_keys,
	.unique_key = "name",
	.check = check_socket_class,
};

/* ---- the schema -------------------------------------------------------- */

static const struct yw_key workload_keys[] = {
	{ YW_KEY("name", SCALAR, yw_parse_string), YW_FIELD(struct jd_workload, name),
	  .check = &name_check, .required = true },
	{ YW_KEY("comm", SCALAR, yw_parse_string), YW_FIELD(struct jd_workload, comm),
	  .check = &glob_check },
	{ YW_KEY("cgroup", SCALAR, yw_parse_string), YW_FIELD(struct jd_workload, cgroup),
	  .check = &cgroup_check },
	{ YW_KEY("sockets", SCALAR, yw_parse_string), YW_FIELD(struct jd_workload, sockets),
	  .check = &names_check },
	{},
};

static const struct yw_list workload_list = {
	.what = "workload",
	.item_type = YAML_MAPPING_NODE,
	.item_size = sizeof(struct jd_workload),
	.parse_item = yw_parse_mapping_item,
	.keys = workload_keys,
	.unique_key = "name",
	.check = check_workload,
};

/* events.log_sizes: kind: size, for the kinds whose log is not log_size long. */
static int parse_log_sizes(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *map, char *base)
{
	struct jd_event_log_size *sizes = (struct jd_event_log_size *)(base + k->off);
	int *n = (int *)(base + k->count_off);
	const struct yw_key size_key = { YW_KEY("size", SCALAR, yw_parse_u32),
					 YW_FIELD(struct jd_event_log_size, size), .min = 1,
					 .max = 1000000 };
	yaml_node_pair_t *pair;

	*n = 0;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = yw_pair_key(c, map, pair);
		yaml_node_t *key = yw_node(c, pair->key), *v = yw_node(c, pair->value);
		struct jd_event_log_size *s = &sizes[*n];

		if (!name)
			continue;
		if (strlen(name) >= JD_NAME_MAX || !events_kind_known(name)) {
			yw_report(c, key->start_mark, "%s: no kind of event \"%.63s\" (%s)",
				  k->name, name, events_kinds_known());
			continue;
		}
		memset(s, 0, sizeof(*s));
		if (yw_parse_u32(c,
				 &(struct yw_key){ .name = name,
						   .type = size_key.type,
						   .off = size_key.off,
						   .min = size_key.min,
						   .max = size_key.max },
				 v, (char *)s))
			continue;
		memcpy(s->kind, name, strlen(name));
		(*n)++; /* yw_pair_key() has refused a key given twice */
	}
	return 0;
}

static int check_kind(const char *kind, const char **why)
{
	static char msg[160];

	if (events_kind_known(kind))
		return 0;
	snprintf(msg, sizeof(msg), "no kind of event \"%s\"", kind);
	*why = msg;
	return -EINVAL;
}

/* Comma-separated kinds of event, each one this build logs. */
static int check_kinds(const char *s, const char **why)
{
	return check_each(s, check_kind, "expected kinds separated by commas", why);
}

static const struct yw_string_check kinds_check = { "kinds", check_kinds };

static const struct yw_key events_keys[] = {
	{ YW_KEY("log_size", SCALAR, yw_parse_u32), YW_FIELD(CFG_T(events), log_size), .min = 1,
	  .max = 1000000, .def = "1000" },
	{ YW_KEY("log_sizes", MAPPING, parse_log_sizes), YW_FIELD(CFG_T(events), log_sizes),
	  YW_COUNT(CFG_T(events), n_log_sizes) },
	{ YW_KEY("file", SCALAR, yw_parse_string), YW_FIELD(CFG_T(events), file), .def = "" },
	{ YW_KEY("file_kinds", SCALAR, yw_parse_string), YW_FIELD(CFG_T(events), file_kinds),
	  .check = &kinds_check, .def = "anomaly,socket_drop" },
	{ YW_KEY("file_max_bytes", SCALAR, yw_parse_u32), YW_FIELD(CFG_T(events), file_max_bytes),
	  .min = 4096, .max = 1u << 30, .def = "10485760" },
	{ YW_KEY("file_keep", SCALAR, yw_parse_u32), YW_FIELD(CFG_T(events), file_keep), .min = 1,
	  .max = 100, .def = "5" },
	{ YW_KEY("journal_kinds", SCALAR, yw_parse_string), YW_FIELD(CFG_T(events), journal_kinds),
	  .check = &kinds_check, .def = "" },
	{ YW_KEY("drain_interval", SCALAR, yw_parse_duration),
	  YW_FIELD(CFG_T(events), drain_interval_ns), .min = NS_PER_MS, .max = 10 * NS_PER_S,
	  .def = "100ms" },
	{},
};

/* events: the collectors' rows (thresholds), then the event log's own keys. */
static unsigned events_sets(const struct yw_key *k, char *cfg, struct yw_key_set *sets,
			    unsigned max)
{
	unsigned n;

	(void)k;
	if (max < 1)
		return 0;
	n = collectors_event_sets(cfg, sets, max - 1);
	sets[n++] = (struct yw_key_set){ events_keys, (char *)&((struct jd_config *)cfg)->events };
	return n;
}

/* doctor.isolated_group names one of cpu_groups, wherever the file puts them. */
static int parse_isolated_group(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v,
				char *base)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc), *groups;
	const char *name;

	if (yw_parse_string(c, k, v, base))
		return -EINVAL;
	name = base + k->off;
	groups = root ? yw_mapping_value(c, root, "cpu_groups") : NULL;
	if (!groups || groups->type != YAML_MAPPING_NODE || !yw_mapping_value(c, groups, name))
		return yw_report(c, v->start_mark, "%s: no cpu group named \"%s\" in cpu_groups",
				 k->name, name);
	return 0;
}

static const struct yw_key doctor_keys[] = {
	{ YW_KEY("interval", SCALAR, yw_parse_duration), YW_FIELD(CFG_T(doctor), interval_ns),
	  .min = NS_PER_S, .max = 24 * 3600 * NS_PER_S, .def = "60s" },
	{ YW_KEY("isolated_group", SCALAR, parse_isolated_group),
	  YW_FIELD(CFG_T(doctor), isolated_group), .check = &name_check },
	{},
};

/* ---- anomaly: the detector's keys -------------------------------------- */

/* "HH:MM", local time: minutes after midnight. */
static int parse_time_of_day(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	const char *s = yw_scalar_text(c, k->name, v);
	unsigned h, m;
	int end = 0;

	if (!s)
		return -EINVAL;
	if (sscanf(s, "%2u:%2u%n", &h, &m, &end) != 2 || s[end] || h > 23 || m > 59 ||
	    strlen(s) != 5)
		return yw_bad_value(c, k->name, "time of day", v, "use HH:MM, 00:00 to 23:59");
	*(uint32_t *)(base + k->off) = h * 60 + m;
	return 0;
}

static const struct yw_key session_keys[] = {
	{ YW_KEY("name", SCALAR, yw_parse_string), YW_FIELD(struct jd_anomaly_session, name),
	  .check = &name_check, .required = true },
	{ YW_KEY("start", SCALAR, parse_time_of_day),
	  YW_FIELD(struct jd_anomaly_session, start_min), .required = true },
	{ YW_KEY("end", SCALAR, parse_time_of_day), YW_FIELD(struct jd_anomaly_session, end_min),
	  .required = true },
	{},
};

static int check_session(struct yw_ctx *c, yaml_node_t *item, const char *elem)
{
	const struct jd_anomaly_session *s = (const struct jd_anomaly_session *)elem;

	if (s->start_min == s->end_min)
		return yw_report(c, item->start_mark, "session \"%s\" starts where it ends",
				 s->name);
	return 0;
}

static const struct yw_list session_list = {
	.what = "session",
	.item_type = YAML_MAPPING_NODE,
	.item_size = sizeof(struct jd_anomaly_session),
	.parse_item = yw_parse_mapping_item,
	.keys = session_keys,
	.unique_key = "name",
	.check = check_session,
};

/*
 * anomaly.signals.<name>: one row per signal config the collectors declare
 * (daemon/anomaly/signal.h), in their order, built on first use: enabled,
 * floor (a duration for signals in seconds), and the quantile switches of
 * a row that has them.
 */
static struct yw_key signal_rows[JD_AN_MAX_SIGNALS + 1];
static struct yw_key signal_keys[JD_AN_MAX_SIGNALS][6];

static void signal_row(unsigned i, const struct signal_config *sc)
{
	static const char *const quantiles[] = { "p50", "p99", "p999" };
	static const size_t quantile_off[] = { offsetof(struct jd_anomaly_signal, p50),
					       offsetof(struct jd_anomaly_signal, p99),
					       offsetof(struct jd_anomaly_signal, p999) };
	struct yw_key *k = signal_keys[i];
	unsigned n = 0;

	k[n++] = (struct yw_key){ YW_KEY("enabled", SCALAR, yw_parse_bool),
				  YW_FIELD(struct jd_anomaly_signal, enabled), .def = "true" };
	if (sc->unit == SIGNAL_SECONDS)
		k[n++] = (struct yw_key){ YW_KEY("floor", SCALAR, yw_parse_duration),
					  YW_FIELD(struct jd_anomaly_signal, floor_ns),
					  .min = sc->floor_min, .max = sc->floor_max,
					  .def = sc->floor };
	else
		k[n++] = (struct yw_key){ YW_KEY("floor", SCALAR, yw_parse_u32),
					  YW_FIELD(struct jd_anomaly_signal, floor),
					  .min = sc->floor_min, .max = sc->floor_max,
					  .def = sc->floor };
	for (unsigned q = 0; sc->quantiles && q < 3; q++)
		k[n++] = (struct yw_key){ YW_KEY(quantiles[q], SCALAR, yw_parse_bool),
					  .off = quantile_off[q], .size = sizeof(bool),
					  .def = "true" };
	signal_rows[i] = (struct yw_key){ YW_KEY(sc->name, MAPPING, yw_parse_mapping),
					  .off = offsetof(struct jd_anomaly_config, signals) +
						 i * sizeof(struct jd_anomaly_signal),
					  .size = sizeof(struct jd_anomaly_signal), .keys = k };
}

static unsigned signals_sets(const struct yw_key *k, char *anomaly, struct yw_key_set *sets,
			     unsigned max)
{
	(void)k;
	if (!signal_rows[0].name) {
		const struct signal_config *rows[JD_AN_MAX_SIGNALS];
		unsigned n = collectors_signal_configs(rows, JD_AN_MAX_SIGNALS);

		for (unsigned i = 0; i < n; i++)
			signal_row(i, rows[i]);
	}
	if (max < 1)
		return 0;
	sets[0] = (struct yw_key_set){ signal_rows, anomaly };
	return 1;
}

#define AN_SUBJECT(n)                                                                              \
	{                                                                                          \
		YW_KEY(#n, SCALAR, yw_parse_bool), YW_FIELD(CFG_T(anomaly.subjects), n),           \
			.def = "true"                                                              \
	}

static const struct yw_key anomaly_subject_keys[] = {
	AN_SUBJECT(cpu_groups), AN_SUBJECT(workloads), AN_SUBJECT(cpus),
	AN_SUBJECT(vectors),	AN_SUBJECT(sockets),   {},
};

static const struct yw_enum anomaly_methods[] = {
	{ "mad", JD_AN_METHOD_MAD },
	{ "ewma", JD_AN_METHOD_EWMA },
	{},
};

static const struct yw_key anomaly_keys[] = {
	{ YW_KEY("enabled", SCALAR, yw_parse_bool), YW_FIELD(struct jd_anomaly_config, enabled),
	  .def = "true" },
	{ YW_KEY("interval", SCALAR, yw_parse_duration),
	  YW_FIELD(struct jd_anomaly_config, interval_ns), .min = 100 * NS_PER_MS,
	  .max = 60 * NS_PER_S, .def = "1s" },
	{ YW_KEY("method", SCALAR, yw_parse_enum), YW_FIELD(struct jd_anomaly_config, method),
	  .names = anomaly_methods, .def = "ewma" },
	{ YW_KEY("window", SCALAR, yw_parse_u32), YW_FIELD(struct jd_anomaly_config, window),
	  .min = 8, .max = 3600, .def = "120" },
	{ YW_KEY("warmup", SCALAR, yw_parse_u32), YW_FIELD(struct jd_anomaly_config, warmup),
	  .min = 4, .max = 3600, .def = "30" },
	{ YW_KEY("sensitivity", SCALAR, yw_parse_u32),
	  YW_FIELD(struct jd_anomaly_config, sensitivity), .min = 2, .max = 1000, .def = "8" },
	{ YW_KEY("raise_after", SCALAR, yw_parse_u32),
	  YW_FIELD(struct jd_anomaly_config, raise_after), .min = 1, .max = 60, .def = "2" },
	{ YW_KEY("clear_after", SCALAR, yw_parse_u32),
	  YW_FIELD(struct jd_anomaly_config, clear_after), .min = 1, .max = 600, .def = "3" },
	{ YW_KEY("min_samples", SCALAR, yw_parse_u32),
	  YW_FIELD(struct jd_anomaly_config, min_samples), .min = 1, .max = 1000000, .def = "20" },
	{ YW_KEY("signals", MAPPING, yw_parse_mapping), .sets = signals_sets },
	{ YW_KEY("subjects", MAPPING, yw_parse_mapping),
	  YW_FIELD(struct jd_anomaly_config, subjects), .keys = anomaly_subject_keys },
	{ YW_KEY("sessions", SEQUENCE, yw_parse_list), YW_FIELD(struct jd_anomaly_config, sessions),
	  YW_COUNT(struct jd_anomaly_config, n_sessions), .list = &session_list },
	{ YW_KEY("record", SCALAR, yw_parse_string), YW_FIELD(struct jd_anomaly_config, record),
	  .check = &path_check },
	{},
};

static const struct yw_key daemon_keys[] = {
	{ YW_KEY("cpus", SCALAR, yw_parse_cpus), YW_FIELD(CFG_T(daemon), cpus) },
	{},
};

static const struct yw_key top_keys[] = {
	{ YW_KEY("listen", SCALAR, yw_parse_string), YW_FIELD(struct jd_config, listen),
	  .check = &listen_check, .def = ":19435" },
	{ YW_KEY("web_config", SCALAR, yw_parse_string), YW_FIELD(struct jd_config, web_config) },
	{ YW_KEY("cpu_groups", MAPPING, parse_cpu_groups), YW_FIELD(struct jd_config, cpu_groups),
	  YW_COUNT(struct jd_config, n_cpu_groups) },
	{ YW_KEY("workloads", SEQUENCE, yw_parse_list), YW_FIELD(struct jd_config, workloads),
	  YW_COUNT(struct jd_config, n_workloads), .list = &workload_list },
	{ YW_KEY("collectors", MAPPING, yw_parse_mapping), .sets = collectors_config_sets },
	{ YW_KEY("events", MAPPING, yw_parse_mapping), .sets = events_sets },
	{ YW_KEY("doctor", MAPPING, yw_parse_mapping), YW_FIELD(struct jd_config, doctor),
	  .keys = doctor_keys },
	{ YW_KEY("daemon", MAPPING, yw_parse_mapping), YW_FIELD(struct jd_config, daemon),
	  .keys = daemon_keys },
	{ YW_KEY("anomaly", MAPPING, yw_parse_mapping), YW_FIELD(struct jd_config, anomaly),
	  .keys = anomaly_keys },
	{},
};

/* ---- entry points ------------------------------------------------------ */

void *config_field(struct jd_config *cfg, const char *path)
{
	struct yw_key_set sets[CONFIG_SCHEMA_SETS];

	return yw_field(sets, config_schema(cfg, sets), path);
}

unsigned config_schema(struct jd_config *cfg, struct yw_key_set *sets)
{
	sets[0] = (struct yw_key_set){ top_keys, (char *)cfg };
	return 1;
}

void config_defaults(struct jd_config *cfg)
{
	struct yw_key_set sets[CONFIG_SCHEMA_SETS];

	/* Zeroed, padding too, so that configs can be compared with memcmp.
	 * A default that does not parse is a bug that a unit test catches. */
	memset(cfg, 0, sizeof(*cfg));
	yw_apply_defaults(sets, config_schema(cfg, sets), stderr);
}

/* A workload's sockets name classes of collectors.sockets.classes (known
 * only once the whole file is read: no line to point at). */
static int check_workload_sockets(struct jd_config *cfg, const char *name, FILE *err)
{
	const struct jd_socket_classes *cls = config_field(cfg, "collectors.sockets.classes");

	for (int i = 0; i < cfg->n_workloads; i++) {
		const char *s = cfg->workloads[i].sockets;

		while (*s) {
			size_t len = strcspn(s, ",");
			bool found = false;

			for (int j = 0; cls && j < cls->n && !found; j++)
				found = strlen(cls->at[j].name) == len &&
					!strncmp(cls->at[j].name, s, len);
			if (!found) {
				if (err)
					fprintf(err,
						"%s: workload \"%s\": sockets: no socket class "
						"\"%.*s\" in collectors.sockets.classes\n",
						name, cfg->workloads[i].name, (int)len, s);
				return -EINVAL;
			}
			s += len + (s[len] == ',');
		}
	}
	return 0;
}

int config_parse(struct jd_config *cfg, const char *name, const char *text, size_t len,
		 unsigned nr_cpus, FILE *err)
{
	struct yw_ctx c = {
		.name = name, .text = text, .len = len, .nr_cpus = nr_cpus, .err = err
	};
	struct yw_key_set sets[CONFIG_SCHEMA_SETS];
	int ret;

	config_defaults(cfg);
	ret = yw_walk_text(&c, sets, config_schema(cfg, sets));
	cfg->daemon.cpus_set = CPU_COUNT(&cfg->daemon.cpus) > 0; /* a cpulist is never empty */
	if (!ret)
		ret = check_workload_sockets(cfg, name, err);
	return ret;
}

int config_load_file(struct jd_config *cfg, const char *path, unsigned nr_cpus, FILE *err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = yw_read_file(path, CONFIG_FILE_MAX, &text, &len);
	if (ret) {
		fprintf(err, "%s: %s\n", path, strerror(-ret));
		return -EINVAL;
	}
	ret = config_parse(cfg, path, text, len, nr_cpus, err);
	free(text);
	return ret;
}
