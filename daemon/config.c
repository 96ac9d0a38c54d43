// SPDX-License-Identifier: MIT
/*
 * jitterd.yaml -> struct jd_config.
 *
 * The schema is the tables at the end of this file: one row per key with
 * its node type, its parser and where its value goes. walk_mapping() does
 * what every mapping needs (unknown, repeated, mistyped and missing keys)
 * and the parsers are generic, writing through the row's offset; a new key
 * is a new row.
 *
 * Errors do not stop the walk, so that one run shows every mistake, but a
 * value that failed is not looked at again: no error is a consequence of
 * another one.
 */
#include "config.h"
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define NS_PER_US	1000ULL
#define NS_PER_MS	1000000ULL
#define NS_PER_S	1000000000ULL
#define COMM_LEN	15	  /* the kernel's TASK_COMM_LEN - 1 */
#define CONFIG_FILE_MAX (1 << 20) /* so that a config path to a device cannot eat memory */
#define QUOTE_SIZE	48	  /* values are quoted in messages up to about this */

struct ctx {
	const char *name; /* what errors are reported against */
	const char *text;
	size_t len;
	unsigned int nr_cpus;
	yaml_document_t *doc;
	FILE *err;
	int errors;
};

struct key;

struct string_check {
	const char *kind; /* the value, in messages: "bad <kind> ..." */
	int (*check)(const char *s, const char **why);
};

struct enum_name {
	const char *name;
	int value;
};

struct list_spec {
	const char *what; /* one item, in messages */
	yaml_node_type_t item_type;
	size_t item_size;
	int (*parse_item)(struct ctx *c, const struct key *k, yaml_node_t *item, char *elem);
	const struct key *keys; /* items that are mappings: their schema */
	/* Cross-key rules of an item, run only on an item without errors. */
	int (*check)(struct ctx *c, yaml_node_t *item, const char *elem);
};

struct key {
	const char *name;
	int (*parse)(struct ctx *c, const struct key *k, yaml_node_t *value, char *base);
	size_t off, size;  /* the field, in the struct that this mapping fills (base) */
	size_t count_off;  /* lists: where the number of items goes */
	uint64_t min, max; /* integers and durations */
	const struct key *keys;
	const struct list_spec *list;
	const struct string_check *check;
	const struct enum_name *names;
	yaml_node_type_t type; /* of the value */
	bool required;
};

#define KEY(n, t, fn)  .name = (n), .type = YAML_##t##_NODE, .parse = (fn)
#define FIELD(type, m) .off = offsetof(type, m), .size = sizeof(((type *)0)->m)
#define COUNT(type, m) .count_off = offsetof(type, m)
/* The anonymous structs inside struct jd_config, whose mappings fill them. */
#define CFG_T(m) __typeof__(((struct jd_config *)0)->m)

_Static_assert(sizeof(enum jd_protocol) == sizeof(int), "parse_enum writes an int");

/* ---- reporting ---------------------------------------------------------- */

/* The source line of mark and a caret under its column. libyaml counts
 * columns in characters: UTF-8 continuation bytes take no column, and tabs
 * are copied so that the caret lines up whatever the tab width. */
static void show_source(const struct ctx *c, yaml_mark_t mark)
{
	const char *line = c->text, *end = c->text + c->len, *eol, *p;
	size_t i, col = 0;

	for (i = 0; i < mark.line; i++) {
		line = memchr(line, '\n', end - line);
		if (!line)
			return;
		line++;
	}
	eol = memchr(line, '\n', end - line);
	if (!eol)
		eol = end;
	if (eol > line && eol[-1] == '\r')
		eol--;
	fwrite(line, 1, eol - line, c->err);
	fputc('\n', c->err);
	for (p = line; p < eol && col < mark.column; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		fputc(*p == '\t' ? '\t' : ' ', c->err);
		col++;
	}
	fputs("^\n", c->err);
}

__attribute__((format(printf, 3, 4))) static int report(struct ctx *c, yaml_mark_t mark,
							const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s:%zu:%zu: ", c->name, mark.line + 1, mark.column + 1);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	show_source(c, mark);
	c->errors++;
	return -1;
}

/* s in double quotes for a message: control characters escaped, since a
 * quoted YAML scalar can hold anything, and long values cut short. */
static const char *quote(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s && o + 8 < size; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			o += snprintf(buf + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = ch;
	}
	if (*s) {
		while (o > 1 && (*s & 0xc0) == 0x80) { /* not in the middle of a character */
			o--;
			s--;
		}
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* "a, b, c" from a NULL-terminated table whose rows start with a name. */
static const char *join_names(char *buf, size_t size, const void *table, size_t row_size)
{
	const char *row = table, *name;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (;; row += row_size) {
		memcpy(&name, row, sizeof(name));
		if (!name)
			break;
		n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += n;
	}
	return buf;
}

static int bad_value(struct ctx *c, const char *what, const char *kind, yaml_node_t *v,
		     const char *why)
{
	char q[QUOTE_SIZE];

	return report(c, v->start_mark, "%s: bad %s %s: %s", what, kind,
		      quote(q, sizeof(q), (const char *)v->data.scalar.value), why);
}

static void report_syntax(struct ctx *c, const yaml_parser_t *parser)
{
	yaml_mark_t mark = parser->problem_mark;
	size_t i;

	if (parser->error == YAML_MEMORY_ERROR) {
		fprintf(c->err, "%s: out of memory\n", c->name);
		c->errors++;
		return;
	}
	/* The reader (bad encoding) gives a byte offset instead of a mark. */
	if (parser->error == YAML_READER_ERROR) {
		mark = (yaml_mark_t){ 0 };
		for (i = 0; i < parser->problem_offset && i < c->len; i++) {
			if (c->text[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else if ((c->text[i] & 0xc0) != 0x80) {
				mark.column++;
			}
		}
	}
	if (parser->context)
		report(c, mark, "syntax error: %s (%s at line %zu)", parser->problem,
		       parser->context, parser->context_mark.line + 1);
	else
		report(c, mark, "syntax error: %s", parser->problem);
}

/* ---- nodes ------------------------------------------------------------- */

static yaml_node_t *node(const struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *const type_names[] = {
	[YAML_SCALAR_NODE] = "scalar",
	[YAML_SEQUENCE_NODE] = "sequence",
	[YAML_MAPPING_NODE] = "mapping",
};

static bool check_type(struct ctx *c, const char *what, yaml_node_t *n, yaml_node_type_t type)
{
	if (n->type == type)
		return true;
	report(c, n->start_mark, "%s: expected a %s, found a %s", what, type_names[type],
	       type_names[n->type]);
	return false;
}

/* An empty value, "~" or "null": YAML's null, which jitterd takes to be an
 * empty mapping or sequence, so that "workloads:" with every item commented
 * out means no workloads. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp((const char *)n->data.scalar.value, nulls[i]))
			return true;
	return false;
}

/* The text of a scalar, which must be a C string: a "\0" escape in a
 * quoted scalar would silently cut it. */
static const char *scalar_text(struct ctx *c, const char *what, yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	if (strlen(s) != n->data.scalar.length) {
		report(c, n->start_mark, "%s: contains a NUL character", what);
		return NULL;
	}
	return s;
}

/* The value of key name in mapping map, or NULL. */
static yaml_node_t *mapping_value(const struct ctx *c, yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *pair;

	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = node(c, pair->key);

		if (key->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)key->data.scalar.value, name))
			return node(c, pair->value);
	}
	return NULL;
}

/* The key of a pair, or NULL after reporting a key that is not a scalar
 * or that an earlier pair of the mapping already has. */
static const char *pair_key(struct ctx *c, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *key = node(c, pair->key);
	yaml_node_pair_t *p;
	char q[QUOTE_SIZE];

	if (key->type != YAML_SCALAR_NODE) {
		report(c, key->start_mark, "expected a scalar key, found a %s",
		       type_names[key->type]);
		return NULL;
	}
	if (!scalar_text(c, "key", key))
		return NULL;
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		yaml_node_t *prev = node(c, p->key);

		if (prev->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)prev->data.scalar.value,
			    (const char *)key->data.scalar.value)) {
			report(c, key->start_mark, "duplicate key %s (first at line %zu)",
			       quote(q, sizeof(q), (const char *)key->data.scalar.value),
			       prev->start_mark.line + 1);
			return NULL;
		}
	}
	return (const char *)key->data.scalar.value;
}

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
		return -1;
	}
	return 0;
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
		return -1;
	}
	return 0;
}

static int check_cgroup(const char *s, const char **why)
{
	if (s[0] != '/') {
		*why = "must start with '/'";
		return -1;
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
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p == '*')
			continue;
		need++;
		if (*p == '\\') {
			if (!*++p) {
				*why = "ends in a lone backslash";
				return -1;
			}
		} else if (*p == '[') {
			p = bracket_end(p);
			if (!p) {
				*why = "unbalanced '['";
				return -1;
			}
		}
	}
	if (need > COMM_LEN) {
		*why = "it needs more than the 15 characters of a comm, so it can never match";
		return -1;
	}
	return 0;
}

static const struct string_check name_check = { "name", check_name };
static const struct string_check listen_check = { "listen address", check_listen };
static const struct string_check address_check = { "address", check_address };
static const struct string_check cgroup_check = { "cgroup path", check_cgroup };
static const struct string_check glob_check = { "glob", check_glob };

/* ---- the walk ---------------------------------------------------------- */

static void walk_mapping(struct ctx *c, yaml_node_t *map, const struct key *keys, char *base)
{
	yaml_node_pair_t *pair;
	const struct key *k;

	/* First, so that errors come in the order of the text. */
	for (k = keys; k->name; k++)
		if (k->required && !mapping_value(c, map, k->name))
			report(c, map->start_mark, "missing required key \"%s\"", k->name);
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = pair_key(c, map, pair);
		yaml_node_t *value = node(c, pair->value);
		char q[QUOTE_SIZE], valid[256];

		if (!name)
			continue;
		for (k = keys; k->name && strcmp(k->name, name); k++)
			;
		if (!k->name) {
			report(c, node(c, pair->key)->start_mark, "unknown key %s (valid: %s)",
			       quote(q, sizeof(q), name),
			       join_names(valid, sizeof(valid), keys, sizeof(*keys)));
			continue;
		}
		if (k->type != YAML_SCALAR_NODE && is_null(value))
			continue;
		if (check_type(c, k->name, value, k->type))
			k->parse(c, k, value, base);
	}
}

static int parse_mapping(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	walk_mapping(c, v, k->keys, base + k->off);
	return 0;
}

static int parse_bool(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	const char *s = scalar_text(c, k->name, v);

	if (!s)
		return -1;
	/* Not YAML 1.1's yes/no/on/off: "no" is also Norway's country code. */
	if (strcmp(s, "true") && strcmp(s, "false"))
		return bad_value(c, k->name, "boolean", v, "use true or false");
	*(bool *)(base + k->off) = s[0] == 't';
	return 0;
}

static int parse_string(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	const char *s = scalar_text(c, k->name, v), *why;

	if (!s)
		return -1;
	if (strlen(s) >= k->size)
		return report(c, v->start_mark, "%s: too long (at most %zu characters)", k->name,
			      k->size - 1);
	if (k->check && k->check->check(s, &why))
		return bad_value(c, k->name, k->check->kind, v, why);
	/* strncpy zeroes the tail, so that equal configs are equal bytes. */
	strncpy(base + k->off, s, k->size);
	return 0;
}

static int parse_enum(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	const char *s = scalar_text(c, k->name, v);
	const struct enum_name *e;
	char names[128], why[160];

	if (!s)
		return -1;
	for (e = k->names; e->name; e++) {
		if (!strcmp(e->name, s)) {
			*(int *)(base + k->off) = e->value;
			return 0;
		}
	}
	snprintf(why, sizeof(why), "use one of %s",
		 join_names(names, sizeof(names), k->names, sizeof(*k->names)));
	return bad_value(c, k->name, k->name, v, why);
}

static int parse_u32(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	const char *s = scalar_text(c, k->name, v), *why;
	uint64_t n;
	int err;

	if (!s)
		return -1;
	err = parse_uint(s, &n, &why);
	if (err == -EINVAL)
		return bad_value(c, k->name, "integer", v, why);
	if (err || n < k->min || n > k->max)
		return report(c, v->start_mark, "%s: %s is out of range (%llu to %llu)", k->name, s,
			      (unsigned long long)k->min, (unsigned long long)k->max);
	*(uint32_t *)(base + k->off) = n;
	return 0;
}

static int parse_duration(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	const char *s = scalar_text(c, k->name, v), *why;
	char lo[32], hi[32];
	uint64_t ns;

	if (!s)
		return -1;
	if (parse_duration_ns(s, &ns, &why))
		return bad_value(c, k->name, "duration", v, why);
	if (ns < k->min || ns > k->max) {
		format_duration(k->min, lo, sizeof(lo));
		format_duration(k->max, hi, sizeof(hi));
		return report(c, v->start_mark, "%s: %s is out of range (%s to %s)", k->name, s, lo,
			      hi);
	}
	*(uint64_t *)(base + k->off) = ns;
	return 0;
}

/* "CPU 2 is" or "CPUs 2-3 are", as a message needs. */
static const char *cpus_are(char *buf, size_t size, const cpu_set_t *set, bool verb)
{
	char list[128];
	bool one = CPU_COUNT(set) == 1;

	format_cpulist(set, list, sizeof(list));
	snprintf(buf, size, "CPU%s %s%s", one ? "" : "s", list, !verb ? "" : one ? " is" : " are");
	return buf;
}

/* CPUs 0..nr_cpus-1 of this machine, or none when nr_cpus is unknown. */
static void machine_cpus(const struct ctx *c, cpu_set_t *set)
{
	unsigned int cpu;

	CPU_ZERO(set);
	for (cpu = 0; cpu < c->nr_cpus && cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, set);
}

/* A cpulist value, which must name CPUs that this machine has. */
static int cpulist_value(struct ctx *c, const char *what, yaml_node_t *v, cpu_set_t *set)
{
	const char *s = scalar_text(c, what, v), *why;
	cpu_set_t cpus, machine, beyond;
	char these[160], all[160];

	if (!s)
		return -1;
	if (parse_cpulist(s, &cpus, &why))
		return bad_value(c, what, "cpu list", v, why);
	machine_cpus(c, &machine);
	CPU_XOR(&beyond, &cpus, &machine);
	CPU_AND(&beyond, &beyond, &cpus);
	if (c->nr_cpus && CPU_COUNT(&beyond))
		return report(c, v->start_mark, "%s: %s not on this machine, which has %s", what,
			      cpus_are(these, sizeof(these), &beyond, true),
			      cpus_are(all, sizeof(all), &machine, false));
	*set = cpus;
	return 0;
}

static int parse_cpus(struct ctx *c, const struct key *k, yaml_node_t *v, char *base)
{
	return cpulist_value(c, k->name, v, (cpu_set_t *)(base + k->off));
}

/*
 * cpu_groups partition the CPUs: a CPU in two groups would be counted twice
 * in every per-group sum, and a CPU in none would not be seen at all.
 */
static int parse_cpu_groups(struct ctx *c, const struct key *k, yaml_node_t *map, char *base)
{
	struct jd_cpu_group *groups = (struct jd_cpu_group *)(base + k->off);
	size_t cap = k->size / sizeof(*groups);
	int *n = (int *)(base + k->count_off), errors = c->errors, i;
	yaml_node_pair_t *pair;
	cpu_set_t all, other, machine;
	char these[160], those[160];

	CPU_ZERO(&all);
	*n = 0;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = pair_key(c, map, pair), *why;
		yaml_node_t *key = node(c, pair->key), *v = node(c, pair->value);
		struct jd_cpu_group *g = &groups[*n];

		if (!name)
			continue;
		if ((size_t)(pair - map->data.mapping.pairs.start) == cap) {
			report(c, key->start_mark, "%s: too many groups (at most %zu)", k->name,
			       cap);
			break;
		}
		if (check_name(name, &why)) {
			bad_value(c, k->name, "name", key, why);
			continue;
		}
		memset(g, 0, sizeof(*g)); /* a group that failed may have left CPUs here */
		if (!check_type(c, name, v, YAML_SCALAR_NODE) ||
		    cpulist_value(c, name, v, &g->cpus))
			continue;
		for (i = 0; i < *n; i++) {
			CPU_AND(&other, &g->cpus, &groups[i].cpus);
			if (CPU_COUNT(&other))
				break;
		}
		if (i < *n) {
			report(c, v->start_mark, "cpu group \"%s\" overlaps \"%s\" on %s", name,
			       groups[i].name, cpus_are(these, sizeof(these), &other, false));
			continue;
		}
		CPU_OR(&all, &all, &g->cpus);
		memcpy(g->name, name, strlen(name)); /* check_name() has bounded it */
		(*n)++;
	}
	/* A group that failed has left its CPUs out: do not blame the others. */
	if (c->errors != errors || !c->nr_cpus || !*n)
		return 0;
	machine_cpus(c, &machine);
	CPU_XOR(&other, &machine, &all); /* the groups are within the machine: what they lack */
	if (CPU_COUNT(&other))
		return report(c, map->start_mark, "%s: %s in no group; the groups must cover %s",
			      k->name, cpus_are(these, sizeof(these), &other, true),
			      cpus_are(those, sizeof(those), &machine, false));
	return 0;
}

/* Items are told apart by name in metrics: the name of item it must not
 * be one that an earlier item has. */
static int check_unique_name(struct ctx *c, const struct list_spec *ls, yaml_node_item_t *start,
			     yaml_node_item_t *it)
{
	yaml_node_t *name = mapping_value(c, node(c, *it), "name"), *first;
	char q[QUOTE_SIZE];

	if (!name || name->type != YAML_SCALAR_NODE)
		return 0;
	for (; start < it; start++) {
		first = mapping_value(c, node(c, *start), "name");
		if (first && first->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)name->data.scalar.value,
			    (const char *)first->data.scalar.value))
			return report(c, name->start_mark,
				      "duplicate %s name %s (first at line %zu)", ls->what,
				      quote(q, sizeof(q), (const char *)name->data.scalar.value),
				      first->start_mark.line + 1);
	}
	return 0;
}

static int parse_list(struct ctx *c, const struct key *k, yaml_node_t *seq, char *base)
{
	const struct list_spec *ls = k->list;
	yaml_node_item_t *start = seq->data.sequence.items.start, *it;
	size_t cap = k->size / ls->item_size;
	int *n = (int *)(base + k->count_off);

	*n = 0;
	for (it = start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *item = node(c, *it);
		char *elem = base + k->off + *n * ls->item_size;

		if ((size_t)(it - start) == cap) {
			report(c, item->start_mark, "%s: too many items (at most %zu)", k->name,
			       cap);
			break;
		}
		if (!check_type(c, ls->what, item, ls->item_type))
			continue;
		memset(elem, 0, ls->item_size);
		if (!ls->parse_item(c, k, item, elem) &&
		    !(ls->keys && check_unique_name(c, ls, start, it)))
			(*n)++;
	}
	return 0;
}

static int parse_mapping_item(struct ctx *c, const struct key *k, yaml_node_t *item, char *elem)
{
	int errors = c->errors;

	walk_mapping(c, item, k->list->keys, elem);
	if (c->errors != errors)
		return -1;
	return k->list->check(c, item, elem);
}

static int parse_port_item(struct ctx *c, const struct key *k, yaml_node_t *item, char *elem)
{
	struct jd_port_range *range = (struct jd_port_range *)elem;
	const char *s = scalar_text(c, k->name, item), *why;

	if (!s)
		return -1;
	if (parse_port_range(s, &range->first, &range->last, &why))
		return bad_value(c, k->name, "port range", item, why);
	return 0;
}

static int check_workload(struct ctx *c, yaml_node_t *item, const char *elem)
{
	const struct jd_workload *w = (const struct jd_workload *)elem;

	if (!w->comm[0] && !w->cgroup[0])
		return report(c, item->start_mark, "workload \"%s\" needs comm or cgroup", w->name);
	return 0;
}

static int check_socket_class(struct ctx *c, yaml_node_t *item, const char *elem)
{
	const struct jd_socket_class *sc = (const struct jd_socket_class *)elem;

	/* A class that matches every socket of a protocol is a costly way to
	 * say nothing; the BPF side only follows sockets that a class selects. */
	if (!sc->n_local_ports && !sc->n_remote_ports && !sc->local_address[0])
		return report(
			c, item->start_mark,
			"socket class \"%s\" needs local_ports, remote_ports or local_address",
			sc->name);
	return 0;
}

/* ---- the schema -------------------------------------------------------- */

static const struct list_spec port_list = {
	.what = "port range",
	.item_type = YAML_SCALAR_NODE,
	.item_size = sizeof(struct jd_port_range),
	.parse_item = parse_port_item,
};

static const struct key workload_keys[] = {
	{ KEY("name", SCALAR, parse_string), FIELD(struct jd_workload, name), .check = &name_check,
	  .required = true },
	{ KEY("comm", SCALAR, parse_string), FIELD(struct jd_workload, comm),
	  .check = &glob_check },
	{ KEY("cgroup", SCALAR, parse_string), FIELD(struct jd_workload, cgroup),
	  .check = &cgroup_check },
	{},
};

static const struct list_spec workload_list = {
	.what = "workload",
	.item_type = YAML_MAPPING_NODE,
	.item_size = sizeof(struct jd_workload),
	.parse_item = parse_mapping_item,
	.keys = workload_keys,
	.check = check_workload,
};

static const struct enum_name protocols[] = {
	{ "tcp", JD_PROTO_TCP },
	{ "udp", JD_PROTO_UDP },
	{},
};

static const struct key socket_class_keys[] = {
	{ KEY("name", SCALAR, parse_string), FIELD(struct jd_socket_class, name),
	  .check = &name_check, .required = true },
	{ KEY("protocol", SCALAR, parse_enum), FIELD(struct jd_socket_class, protocol),
	  .names = protocols, .required = true },
	{ KEY("local_ports", SEQUENCE, parse_list), FIELD(struct jd_socket_class, local_ports),
	  COUNT(struct jd_socket_class, n_local_ports), .list = &port_list },
	{ KEY("remote_ports", SEQUENCE, parse_list), FIELD(struct jd_socket_class, remote_ports),
	  COUNT(struct jd_socket_class, n_remote_ports), .list = &port_list },
	{ KEY("local_address", SCALAR, parse_string), FIELD(struct jd_socket_class, local_address),
	  .check = &address_check },
	{},
};

static const struct list_spec socket_class_list = {
	.what = "socket class",
	.item_type = YAML_MAPPING_NODE,
	.item_size = sizeof(struct jd_socket_class),
	.parse_item = parse_mapping_item,
	.keys = socket_class_keys,
	.check = check_socket_class,
};

/* sched and softirq are one anonymous struct type. */
static const struct key enabled_keys[] = {
	{ KEY("enabled", SCALAR, parse_bool), FIELD(CFG_T(sched), enabled) },
	{},
};

static const struct key sockets_keys[] = {
	{ KEY("enabled", SCALAR, parse_bool), FIELD(CFG_T(sockets), enabled) },
	{ KEY("peak_window", SCALAR, parse_duration), FIELD(CFG_T(sockets), peak_window_ns),
	  .min = NS_PER_MS, .max = 3600 * NS_PER_S },
	{ KEY("classes", SEQUENCE, parse_list), FIELD(CFG_T(sockets), classes),
	  COUNT(CFG_T(sockets), n_classes), .list = &socket_class_list },
	{},
};

/* collectors has no struct of its own: its keys fill struct jd_config. */
static const struct key collectors_keys[] = {
	{ KEY("sched", MAPPING, parse_mapping), FIELD(struct jd_config, sched),
	  .keys = enabled_keys },
	{ KEY("softirq", MAPPING, parse_mapping), FIELD(struct jd_config, softirq),
	  .keys = enabled_keys },
	{ KEY("sockets", MAPPING, parse_mapping), FIELD(struct jd_config, sockets),
	  .keys = sockets_keys },
	{},
};

static const struct key events_keys[] = {
	{ KEY("runqueue_latency_threshold", SCALAR, parse_duration),
	  FIELD(CFG_T(events), runqueue_latency_threshold_ns), .min = 1, .max = 10 * NS_PER_S },
	{ KEY("softirq_duration_threshold", SCALAR, parse_duration),
	  FIELD(CFG_T(events), softirq_duration_threshold_ns), .min = 1, .max = 10 * NS_PER_S },
	{ KEY("log_size", SCALAR, parse_u32), FIELD(CFG_T(events), log_size), .min = 1,
	  .max = 1000000 },
	{ KEY("drain_interval", SCALAR, parse_duration), FIELD(CFG_T(events), drain_interval_ns),
	  .min = NS_PER_MS, .max = 10 * NS_PER_S },
	{},
};

static const struct key daemon_keys[] = {
	{ KEY("cpus", SCALAR, parse_cpus), FIELD(CFG_T(daemon), cpus) },
	{},
};

static const struct key top_keys[] = {
	{ KEY("listen", SCALAR, parse_string), FIELD(struct jd_config, listen),
	  .check = &listen_check },
	{ KEY("cpu_groups", MAPPING, parse_cpu_groups), FIELD(struct jd_config, cpu_groups),
	  COUNT(struct jd_config, n_cpu_groups) },
	{ KEY("workloads", SEQUENCE, parse_list), FIELD(struct jd_config, workloads),
	  COUNT(struct jd_config, n_workloads), .list = &workload_list },
	{ KEY("collectors", MAPPING, parse_mapping), .keys = collectors_keys },
	{ KEY("events", MAPPING, parse_mapping), FIELD(struct jd_config, events),
	  .keys = events_keys },
	{ KEY("daemon", MAPPING, parse_mapping), FIELD(struct jd_config, daemon),
	  .keys = daemon_keys },
	{},
};

/* ---- entry points ------------------------------------------------------ */

/* Static, so its padding is zero too and configs can be compared with memcmp. */
static const struct jd_config defaults = {
    .listen = ":19435",
    .sched.enabled = true,
    .softirq.enabled = true,
    .sockets = {.enabled = true, .peak_window_ns = 10 * NS_PER_S},
    .events =
	{
	    .runqueue_latency_threshold_ns = 100 * NS_PER_US,
	    .softirq_duration_threshold_ns = 50 * NS_PER_US,
	    .log_size = 1000,
	    .drain_interval_ns = 100 * NS_PER_MS,
	},
};

void config_defaults(struct jd_config *cfg)
{
	memcpy(cfg, &defaults, sizeof(*cfg));
}

int config_parse(struct jd_config *cfg, const char *name, const char *text, size_t len,
		 unsigned nr_cpus, FILE *err)
{
	yaml_document_t doc = { 0 }, extra = { 0 };
	struct ctx c = {
		.name = name,
		.text = text ? text : "",
		.len = text ? len : 0,
		.nr_cpus = nr_cpus,
		.doc = &doc,
		.err = err,
	};
	yaml_parser_t parser;
	yaml_node_t *root;

	config_defaults(cfg);
	if (!yaml_parser_initialize(&parser)) {
		fprintf(err, "%s: out of memory\n", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)c.text, c.len);
	if (!yaml_parser_load(&parser, &doc)) {
		report_syntax(&c, &parser);
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) /* no document at all: only comments, or nothing */
		goto out;
	if (!is_null(root) && check_type(&c, "top level", root, YAML_MAPPING_NODE))
		walk_mapping(&c, root, top_keys, (char *)cfg);
	cfg->daemon.cpus_set = CPU_COUNT(&cfg->daemon.cpus) > 0; /* a cpulist is never empty */

	/* yaml_parser_load() reads one document; a second one would be ignored. */
	if (!yaml_parser_load(&parser, &extra)) {
		report_syntax(&c, &parser);
		goto out;
	}
	root = yaml_document_get_root_node(&extra);
	if (root && !is_null(root))
		report(&c, root->start_mark, "only one YAML document is allowed");
out:
	yaml_document_delete(&extra);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return c.errors ? -1 : 0;
}

/* Reads all of f into *text (NUL-terminated, for show_source's sake). */
static int read_all(FILE *f, char **text, size_t *len)
{
	size_t size = 4096, used = 0, n;
	char *buf = NULL, *bigger;

	for (;;) {
		bigger = realloc(buf, size + 1);
		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		n = fread(buf + used, 1, size - used, f);
		used += n;
		if (used < size)
			break;
		if (size >= CONFIG_FILE_MAX) {
			free(buf);
			return -EFBIG;
		}
		size *= 2;
	}
	if (ferror(f)) {
		free(buf);
		return errno ? -errno : -EIO;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

int config_load_file(struct jd_config *cfg, const char *path, unsigned nr_cpus, FILE *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = read_all(f, &text, &len);
	if (ret) {
		fprintf(err, "%s: %s\n", path, strerror(-ret));
		goto out;
	}
	ret = config_parse(cfg, path, text, len, nr_cpus, err);
out:
	free(text);
	fclose(f);
	return ret ? -1 : 0;
}
