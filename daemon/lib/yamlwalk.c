// SPDX-License-Identifier: MIT
/*
 * The generic half of the config: YAML in, rows of struct yw_key applied,
 * errors out with line, column and caret. See yamlwalk.h.
 */
#include "lib/yamlwalk.h"
#include "lib/parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(bool) == 1, "yw_parse_bool writes one byte");

/* ---- reporting ---------------------------------------------------------- */

/* The source line of mark and a caret under its column. libyaml counts
 * columns in characters: UTF-8 continuation bytes take no column, and tabs
 * are copied so that the caret lines up whatever the tab width. */
static void show_source(const struct yw_ctx *c, yaml_mark_t mark)
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

int yw_report(struct yw_ctx *c, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s:%zu:%zu: ", c->name, mark.line + 1, mark.column + 1);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	show_source(c, mark);
	c->errors++;
	return -EINVAL;
}

/* Control characters are escaped, since a quoted YAML scalar can hold
 * anything, and long values are cut short. */
const char *yw_quote(char *buf, size_t size, const char *s)
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

/* Appends ", name" (or "name" first) to the list in buf; false when full. */
static bool join_name(char *buf, size_t size, size_t *used, const char *name)
{
	int n = snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "", name);

	if (n < 0 || (size_t)n >= size - *used) {
		buf[*used] = '\0';
		return false;
	}
	*used += n;
	return true;
}

int yw_bad_value(struct yw_ctx *c, const char *what, const char *kind, yaml_node_t *v,
		 const char *why)
{
	char q[YW_QUOTE_SIZE];

	return yw_report(c, v->start_mark, "%s: bad %s %s: %s", what, kind,
			 yw_quote(q, sizeof(q), (const char *)v->data.scalar.value), why);
}

void yw_report_syntax(struct yw_ctx *c, const yaml_parser_t *parser)
{
	yaml_mark_t mark = parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR) {
		fprintf(c->err, "%s: out of memory\n", c->name);
		c->errors++;
		return;
	}
	/* The reader (bad encoding) gives a byte offset instead of a mark. */
	if (parser->error == YAML_READER_ERROR) {
		size_t i;

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
		yw_report(c, mark, "syntax error: %s (%s at line %zu)", parser->problem,
			  parser->context, parser->context_mark.line + 1);
	else
		yw_report(c, mark, "syntax error: %s", parser->problem);
}

/* ---- nodes ------------------------------------------------------------- */

yaml_node_t *yw_node(const struct yw_ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *const type_names[] = {
	[YAML_NO_NODE] = "nothing",
	[YAML_SCALAR_NODE] = "scalar",
	[YAML_SEQUENCE_NODE] = "sequence",
	[YAML_MAPPING_NODE] = "mapping",
};

bool yw_check_type(struct yw_ctx *c, const char *what, yaml_node_t *n, yaml_node_type_t type)
{
	if (n->type == type)
		return true;
	yw_report(c, n->start_mark, "%s: expected a %s, found a %s", what, type_names[type],
		  type_names[n->type]);
	return false;
}

/* YAML's null, which is taken to be an empty mapping or sequence, so that
 * "workloads:" with every item commented out means no workloads. */
bool yw_is_null(const yaml_node_t *n)
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

/* The text must be a C string: a "\0" escape in a quoted scalar would
 * silently cut it. */
const char *yw_scalar_text(struct yw_ctx *c, const char *what, yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	if (strlen(s) != n->data.scalar.length) {
		yw_report(c, n->start_mark, "%s: contains a NUL character", what);
		return NULL;
	}
	return s;
}

yaml_node_t *yw_mapping_value(const struct yw_ctx *c, yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *pair;

	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yw_node(c, pair->key);

		if (key->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)key->data.scalar.value, name))
			return yw_node(c, pair->value);
	}
	return NULL;
}

const char *yw_pair_key(struct yw_ctx *c, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *key = yw_node(c, pair->key);
	yaml_node_pair_t *p;
	char q[YW_QUOTE_SIZE];

	if (key->type != YAML_SCALAR_NODE) {
		yw_report(c, key->start_mark, "expected a scalar key, found a %s",
			  type_names[key->type]);
		return NULL;
	}
	if (!yw_scalar_text(c, "key", key))
		return NULL;
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		yaml_node_t *prev = yw_node(c, p->key);

		if (prev->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)prev->data.scalar.value,
			    (const char *)key->data.scalar.value)) {
			yw_report(c, key->start_mark, "duplicate key %s (first at line %zu)",
				  yw_quote(q, sizeof(q), (const char *)key->data.scalar.value),
				  prev->start_mark.line + 1);
			return NULL;
		}
	}
	return (const char *)key->data.scalar.value;
}

/* ---- the walk ---------------------------------------------------------- */

/* The key sets of the mapping that row k describes, k being in a mapping
 * whose struct is base. */
static unsigned row_sets(const struct yw_key *k, char *base, struct yw_key_set *sets)
{
	if (k->sets)
		return k->sets(k, base, sets, YW_MAX_SETS);
	sets[0] = (struct yw_key_set){ k->keys, base + k->off };
	return 1;
}

static bool is_mapping_row(const struct yw_key *k)
{
	return k->parse == yw_parse_mapping;
}

static const struct yw_key *find_key(const struct yw_key_set *sets, unsigned n, const char *name,
				     char **base)
{
	const struct yw_key *k;
	unsigned i;

	for (i = 0; i < n; i++) {
		for (k = sets[i].keys; k->name; k++) {
			if (!strcmp(k->name, name)) {
				*base = sets[i].base;
				return k;
			}
		}
	}
	return NULL;
}

static void report_unknown(struct yw_ctx *c, yaml_node_t *key, const struct yw_key_set *sets,
			   unsigned n)
{
	char q[YW_QUOTE_SIZE], valid[768]; /* every key of a set: anomaly.signals has up to 32 */
	const struct yw_key *k;
	size_t used = 0;
	unsigned i;

	valid[0] = '\0';
	for (i = 0; i < n; i++)
		for (k = sets[i].keys; k->name; k++)
			if (!join_name(valid, sizeof(valid), &used, k->name))
				goto out;
out:
	yw_report(c, key->start_mark, "unknown key %s (valid: %s)",
		  yw_quote(q, sizeof(q), (const char *)key->data.scalar.value), valid);
}

void yw_walk_mapping(struct yw_ctx *c, yaml_node_t *map, const struct yw_key_set *sets, unsigned n)
{
	const struct yw_key *k;
	yaml_node_pair_t *pair;
	unsigned i;

	/* First, so that errors come in the order of the text. */
	for (i = 0; i < n; i++)
		for (k = sets[i].keys; k->name; k++)
			if (k->required && !yw_mapping_value(c, map, k->name))
				yw_report(c, map->start_mark, "missing required key \"%s\"",
					  k->name);
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = yw_pair_key(c, map, pair);
		yaml_node_t *value = yw_node(c, pair->value);
		char *base;

		if (!name)
			continue;
		k = find_key(sets, n, name, &base);
		if (!k) {
			report_unknown(c, yw_node(c, pair->key), sets, n);
			continue;
		}
		if (k->type != YAML_SCALAR_NODE && yw_is_null(value))
			continue;
		if (yw_check_type(c, k->name, value, k->type))
			k->parse(c, k, value, base);
	}
}

int yw_walk_text(struct yw_ctx *c, const struct yw_key_set *sets, unsigned n)
{
	yaml_document_t doc = { 0 }, extra = { 0 };
	yaml_parser_t parser;
	yaml_node_t *root;

	if (!c->text) {
		c->text = "";
		c->len = 0;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(c->err, "%s: out of memory\n", c->name);
		c->errors++;
		return -EINVAL;
	}
	c->doc = &doc;
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->text, c->len);
	if (!yaml_parser_load(&parser, &doc)) {
		yw_report_syntax(c, &parser);
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) /* no document at all: only comments, or nothing */
		goto out;
	if (!yw_is_null(root) && yw_check_type(c, "top level", root, YAML_MAPPING_NODE))
		yw_walk_mapping(c, root, sets, n);

	/* yaml_parser_load() reads one document; a second one would be ignored. */
	if (!yaml_parser_load(&parser, &extra)) {
		yw_report_syntax(c, &parser);
		goto out;
	}
	root = yaml_document_get_root_node(&extra);
	if (root && !yw_is_null(root))
		yw_report(c, root->start_mark, "only one YAML document is allowed");
out:
	c->doc = NULL;
	yaml_document_delete(&extra);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return c->errors ? -EINVAL : 0;
}

/* ---- defaults ---------------------------------------------------------- */

/* path + "." + name into path (which holds len characters), or false. */
static bool path_push(char *path, size_t len, const char *name)
{
	int n = snprintf(path + len, YW_PATH_MAX - len, "%s%s", len ? "." : "", name);

	return n >= 0 && (size_t)n < YW_PATH_MAX - len;
}

/* The default of k into base, parsed as the plain scalar that a file
 * would hold; errors are reported against "default of PATH". */
static int apply_default(const struct yw_key *k, char *base, const char *path, FILE *err)
{
	char name[YW_PATH_MAX + 16];
	struct yw_ctx c = { .name = name, .text = k->def, .len = strlen(k->def), .err = err };
	yaml_node_t v = { .type = YAML_SCALAR_NODE };

	snprintf(name, sizeof(name), "default of %s", path);
	v.data.scalar.value = (yaml_char_t *)k->def;
	v.data.scalar.length = c.len;
	v.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
	if (k->type != YAML_SCALAR_NODE)
		return yw_report(&c, v.start_mark, "%s: only a scalar takes a default", k->name);
	return k->parse(&c, k, &v, base);
}

static int apply_defaults(const struct yw_key_set *sets, unsigned n, char *path, FILE *err)
{
	size_t len = strlen(path);
	const struct yw_key *k;
	int errors = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		for (k = sets[i].keys; k->name; k++) {
			struct yw_key_set inner[YW_MAX_SETS];

			if (!path_push(path, len, k->name)) {
				fprintf(err, "%s...: key path too long\n", path);
				errors++;
			} else if (k->def) {
				errors += !!apply_default(k, sets[i].base, path, err);
			} else if (is_mapping_row(k)) {
				errors += apply_defaults(inner, row_sets(k, sets[i].base, inner),
							 path, err);
			}
			path[len] = '\0';
		}
	}
	return errors;
}

int yw_apply_defaults(const struct yw_key_set *sets, unsigned n, FILE *err)
{
	char path[YW_PATH_MAX] = "";

	return apply_defaults(sets, n, path, err) ? -EINVAL : 0;
}

static int visit_defaults(const struct yw_key_set *sets, unsigned n, char *path,
			  int (*fn)(const char *path, const struct yw_key *k, void *arg), void *arg)
{
	size_t len = strlen(path);
	const struct yw_key *k;
	unsigned i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		for (k = sets[i].keys; k->name && !ret; k++) {
			struct yw_key_set inner[YW_MAX_SETS];

			if (!path_push(path, len, k->name))
				ret = -ENAMETOOLONG;
			else if (k->def)
				ret = fn(path, k, arg);
			else if (is_mapping_row(k))
				ret = visit_defaults(inner, row_sets(k, sets[i].base, inner), path,
						     fn, arg);
			path[len] = '\0';
		}
	}
	return ret;
}

int yw_visit_defaults(const struct yw_key_set *sets, unsigned n,
		      int (*fn)(const char *path, const struct yw_key *k, void *arg), void *arg)
{
	char path[YW_PATH_MAX] = "";

	return visit_defaults(sets, n, path, fn, arg);
}

void *yw_field(const struct yw_key_set *sets, unsigned n, const char *path)
{
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);

	for (unsigned i = 0; i < n; i++) {
		for (const struct yw_key *k = sets[i].keys; k->name; k++) {
			if (strlen(k->name) != len || strncmp(k->name, path, len))
				continue;
			if (!dot)
				return sets[i].base + k->off;
			if (is_mapping_row(k)) {
				struct yw_key_set inner[YW_MAX_SETS];

				return yw_field(inner, row_sets(k, sets[i].base, inner), dot + 1);
			}
		}
	}
	return NULL;
}

/* ---- files ------------------------------------------------------------- */

int yw_read_file(const char *path, size_t max, char **text, size_t *len)
{
	size_t size = 4096, used = 0;
	char *buf = NULL, *bigger;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		bigger = realloc(buf, size + 1);
		if (!bigger) {
			ret = -ENOMEM;
			goto out;
		}
		buf = bigger;
		used += fread(buf + used, 1, size - used, f);
		if (used < size)
			break;
		if (size >= max) {
			ret = -EFBIG;
			goto out;
		}
		size *= 2;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		goto out;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return ret;
}

/* ---- cpu lists --------------------------------------------------------- */

const char *yw_cpus_are(char *buf, size_t size, const cpu_set_t *set, bool verb)
{
	char list[128];
	bool one = CPU_COUNT(set) == 1;

	format_cpulist(set, list, sizeof(list));
	snprintf(buf, size, "CPU%s %s%s", one ? "" : "s", list, !verb ? "" : one ? " is" : " are");
	return buf;
}

void yw_machine_cpus(const struct yw_ctx *c, cpu_set_t *set)
{
	unsigned int cpu;

	CPU_ZERO(set);
	for (cpu = 0; cpu < c->nr_cpus && cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, set);
}

int yw_cpulist_value(struct yw_ctx *c, const char *what, yaml_node_t *v, cpu_set_t *set)
{
	const char *s = yw_scalar_text(c, what, v), *why;
	cpu_set_t cpus, machine, beyond;

	if (!s)
		return -EINVAL;
	if (parse_cpulist(s, &cpus, &why))
		return yw_bad_value(c, what, "cpu list", v, why);
	yw_machine_cpus(c, &machine);
	CPU_XOR(&beyond, &cpus, &machine);
	CPU_AND(&beyond, &beyond, &cpus);
	if (c->nr_cpus && CPU_COUNT(&beyond)) {
		char these[160], all[160];

		return yw_report(c, v->start_mark, "%s: %s not on this machine, which has %s", what,
				 yw_cpus_are(these, sizeof(these), &beyond, true),
				 yw_cpus_are(all, sizeof(all), &machine, false));
	}
	*set = cpus;
	return 0;
}

/* ---- parsers ----------------------------------------------------------- */

int yw_parse_mapping(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	struct yw_key_set sets[YW_MAX_SETS];
	unsigned n = row_sets(k, base, sets);

	yw_walk_mapping(c, v, sets, n);
	return 0;
}

int yw_parse_bool(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	const char *s = yw_scalar_text(c, k->name, v);

	if (!s)
		return -EINVAL;
	/* Not YAML 1.1's yes/no/on/off: "no" is also Norway's country code. */
	if (strcmp(s, "true") && strcmp(s, "false"))
		return yw_bad_value(c, k->name, "boolean", v, "use true or false");
	*(bool *)(base + k->off) = s[0] == 't';
	return 0;
}

int yw_parse_string(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	const char *s = yw_scalar_text(c, k->name, v), *why;

	if (!s)
		return -EINVAL;
	if (strlen(s) >= k->size)
		return yw_report(c, v->start_mark, "%s: too long (at most %zu characters)", k->name,
				 k->size - 1);
	if (k->check && k->check->check(s, &why))
		return yw_bad_value(c, k->name, k->check->kind, v, why);
	/* strncpy zeroes the tail, so that equal configs are equal bytes. */
	strncpy(base + k->off, s, k->size);
	return 0;
}

int yw_parse_enum(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	const char *s = yw_scalar_text(c, k->name, v);
	const struct yw_enum *e;
	char names[128], why[160];
	size_t used = 0;

	if (!s)
		return -EINVAL;
	for (e = k->names; e->name; e++) {
		if (!strcmp(e->name, s)) {
			*(int *)(base + k->off) = e->value;
			return 0;
		}
	}
	names[0] = '\0';
	for (e = k->names; e->name && join_name(names, sizeof(names), &used, e->name); e++)
		;
	snprintf(why, sizeof(why), "use one of %s", names);
	return yw_bad_value(c, k->name, k->name, v, why);
}

int yw_parse_u32(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	const char *s = yw_scalar_text(c, k->name, v), *why;
	uint64_t n;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_uint(s, &n, &why);
	if (err == -EINVAL)
		return yw_bad_value(c, k->name, "integer", v, why);
	if (err || n < k->min || n > k->max)
		return yw_report(c, v->start_mark, "%s: %s is out of range (%llu to %llu)", k->name,
				 s, (unsigned long long)k->min, (unsigned long long)k->max);
	*(uint32_t *)(base + k->off) = n;
	return 0;
}

int yw_parse_duration(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	const char *s = yw_scalar_text(c, k->name, v), *why;
	uint64_t ns;

	if (!s)
		return -EINVAL;
	if (parse_duration_ns(s, &ns, &why))
		return yw_bad_value(c, k->name, "duration", v, why);
	if (ns < k->min || ns > k->max) {
		char lo[32], hi[32];

		format_duration(k->min, lo, sizeof(lo));
		format_duration(k->max, hi, sizeof(hi));
		return yw_report(c, v->start_mark, "%s: %s is out of range (%s to %s)", k->name, s,
				 lo, hi);
	}
	*(uint64_t *)(base + k->off) = ns;
	return 0;
}

int yw_parse_cpus(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	return yw_cpulist_value(c, k->name, v, (cpu_set_t *)(base + k->off));
}

/* The value of the list's unique key in item it must not be one that an
 * earlier item has: items are told apart by it (in metrics, say). */
static int check_unique(struct yw_ctx *c, const struct yw_list *ls, yaml_node_item_t *start,
			yaml_node_item_t *it)
{
	yaml_node_t *v = yw_mapping_value(c, yw_node(c, *it), ls->unique_key);
	char q[YW_QUOTE_SIZE];

	if (!v || v->type != YAML_SCALAR_NODE)
		return 0;
	for (; start < it; start++) {
		yaml_node_t *first = yw_mapping_value(c, yw_node(c, *start), ls->unique_key);
		if (first && first->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)v->data.scalar.value,
			    (const char *)first->data.scalar.value))
			return yw_report(c, v->start_mark, "duplicate %s %s %s (first at line %zu)",
					 ls->what, ls->unique_key,
					 yw_quote(q, sizeof(q), (const char *)v->data.scalar.value),
					 first->start_mark.line + 1);
	}
	return 0;
}

int yw_parse_list(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *seq, char *base)
{
	const struct yw_list *ls = k->list;
	yaml_node_item_t *start = seq->data.sequence.items.start, *it;
	size_t cap = k->size / ls->item_size;
	int *n = (int *)(base + k->count_off);

	*n = 0;
	for (it = start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *item = yw_node(c, *it);
		char *elem = base + k->off + *n * ls->item_size;

		if ((size_t)(it - start) == cap) {
			yw_report(c, item->start_mark, "%s: too many items (at most %zu)", k->name,
				  cap);
			break;
		}
		if (!yw_check_type(c, ls->what, item, ls->item_type))
			continue;
		memset(elem, 0, ls->item_size);
		if (!ls->parse_item(c, k, item, elem) &&
		    !(ls->unique_key && check_unique(c, ls, start, it)))
			(*n)++;
	}
	return 0;
}

int yw_parse_mapping_item(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item, char *elem)
{
	struct yw_key_set set = { k->list->keys, elem };
	char path[YW_PATH_MAX];
	int errors = c->errors;

	/* The item's own defaults, as a mapping's would be (a schema bug if
	 * one does not parse: it fails the walk rather than go unnoticed). */
	snprintf(path, sizeof(path), "%s[]", k->name);
	c->errors += apply_defaults(&set, 1, path, c->err);
	yw_walk_mapping(c, item, &set, 1);
	if (c->errors != errors)
		return -EINVAL;
	return k->list->check ? k->list->check(c, item, elem) : 0;
}
