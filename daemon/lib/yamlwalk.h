/* SPDX-License-Identifier: MIT */
/*
 * A table-driven walk of a YAML document into C structs, with errors that
 * say "file:line:col: message" and show the line with a caret under the
 * column. It knows nothing of any particular file: a schema is tables of
 * rows (struct yw_key), one per key, each naming its node type, its parser,
 * where its value goes and its default.
 *
 * A mapping may take its rows from several tables, each writing into its own
 * struct (struct yw_key_set): a module can bring its own keys and keep its own
 * config struct, and the others need not know.
 *
 * Errors do not stop the walk, so that one run shows every mistake, but a
 * value that failed is not looked at again: no error is a consequence of
 * another one.
 */
#ifndef JD_YAMLWALK_H
#define JD_YAMLWALK_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yaml.h>

#define YW_QUOTE_SIZE 48  /* values are quoted in messages up to about this */
#define YW_MAX_SETS   16  /* key tables of one mapping */
#define YW_PATH_MAX   256 /* a dotted key path, "collectors.sockets.peak_window" */

struct yw_ctx {
	const char *name; /* what errors are reported against */
	const char *text; /* the source, for the line under an error */
	size_t len;
	unsigned int nr_cpus; /* of this machine, for cpu lists; 0 = unknown */
	FILE *err;
	int errors;
	yaml_document_t *doc; /* set by yw_walk_text */
};

struct yw_key;

/* Rows and the struct their offsets point into. */
struct yw_key_set {
	const struct yw_key *keys; /* ends with a row whose name is NULL */
	char *base;
};

struct yw_string_check {
	const char *kind; /* the value, in messages: "bad <kind> ..." */
	int (*check)(const char *s, const char **why);
};

struct yw_enum {
	const char *name;
	int value;
};

struct yw_list {
	const char *what; /* one item, in messages */
	yaml_node_type_t item_type;
	size_t item_size;
	int (*parse_item)(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item, char *elem);
	const struct yw_key *keys; /* items that are mappings: their schema */
	/* A key whose value no two items may share (items that are mappings). */
	const char *unique_key;
	/* Cross-key rules of an item, run only on an item without errors. */
	int (*check)(struct yw_ctx *c, yaml_node_t *item, const char *elem);
};

typedef int yw_parse_fn(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *value, char *base);

struct yw_key {
	const char *name;
	yaml_node_type_t type; /* of the value */
	yw_parse_fn *parse;
	size_t off, size;  /* the field, in the struct that this mapping fills (base) */
	size_t count_off;  /* lists: where the number of items goes (an int) */
	uint64_t min, max; /* integers and durations */
	/*
	 * The default, written as the scalar would be in a file ("10s", "true",
	 * ":19435") and applied through parse like one; NULL leaves the field
	 * zero. Scalars only.
	 */
	const char *def;
	/* Mappings (yw_parse_mapping): their rows, into base + off ... */
	const struct yw_key *keys;
	/* ... or rows from several tables: fills sets (at most max) given the
	 * base of the mapping that holds this key; returns how many. */
	unsigned (*sets)(const struct yw_key *k, char *base, struct yw_key_set *sets, unsigned max);
	const struct yw_list *list;
	const struct yw_string_check *check;
	const struct yw_enum *names; /* yw_parse_enum; ends with a NULL name */
	bool required;
};

#define YW_KEY(n, t, fn)  .name = (n), .type = YAML_##t##_NODE, .parse = (fn)
#define YW_FIELD(type, m) .off = offsetof(type, m), .size = sizeof(((type *)0)->m)
#define YW_COUNT(type, m) .count_off = offsetof(type, m)

/* ---- the walk ---------------------------------------------------------- */

/*
 * Parses c->text (c->len bytes) and walks its one document, which must be a
 * mapping (or empty, or null: nothing is written), with the rows of sets.
 * Returns 0, or -EINVAL when c->errors is not 0.
 */
int yw_walk_text(struct yw_ctx *c, const struct yw_key_set *sets, unsigned n);

/* A mapping: unknown, repeated, mistyped and missing keys, and each value
 * to the parser of its row, which is looked up in every set in turn. */
void yw_walk_mapping(struct yw_ctx *c, yaml_node_t *map, const struct yw_key_set *sets, unsigned n);

/*
 * Writes the default of every row of sets that has one, through the rows of
 * nested mappings too. A default that does not parse is reported to err
 * against "default of PATH"; returns -EINVAL then, else 0. Fields without a
 * default are left alone: zero the structs first.
 */
int yw_apply_defaults(const struct yw_key_set *sets, unsigned n, FILE *err);

/* Calls fn with the dotted path ("events.log_size") and the row of every
 * default reachable through mappings (not inside list items), in table
 * order; stops at the first non-zero return and returns it. */
int yw_visit_defaults(const struct yw_key_set *sets, unsigned n,
		      int (*fn)(const char *path, const struct yw_key *k, void *arg), void *arg);

/* Where the value of the row at a dotted path ("events.log_size") is
 * stored, through mappings; NULL when no row has that path. */
void *yw_field(const struct yw_key_set *sets, unsigned n, const char *path);

/* Reads a whole file into *text (NUL-terminated, so it can be shown under
 * errors) of at most max bytes. Returns 0 or a negative errno (-EFBIG). */
int yw_read_file(const char *path, size_t max, char **text, size_t *len);

/* ---- reporting ---------------------------------------------------------- */

/* "name:line:col: message", the source line and a caret; counts an error.
 * Returns -1. */
__attribute__((format(printf, 3, 4))) int yw_report(struct yw_ctx *c, yaml_mark_t mark,
						    const char *fmt, ...);
/* "what: bad kind "value": why", at the scalar v. Returns -1. */
int yw_bad_value(struct yw_ctx *c, const char *what, const char *kind, yaml_node_t *v,
		 const char *why);
/* libyaml's own error, at its mark. */
void yw_report_syntax(struct yw_ctx *c, const yaml_parser_t *parser);
/* s in double quotes for a message, escaped and cut to fit buf. */
const char *yw_quote(char *buf, size_t size, const char *s);

/* ---- nodes ------------------------------------------------------------- */

yaml_node_t *yw_node(const struct yw_ctx *c, int id);
/* Reports a node that is not of type and returns false. */
bool yw_check_type(struct yw_ctx *c, const char *what, yaml_node_t *n, yaml_node_type_t type);
/* "", "~" or "null", unquoted: taken to be an empty mapping or sequence. */
bool yw_is_null(const yaml_node_t *n);
/* The text of a scalar, or NULL after reporting one that holds a NUL. */
const char *yw_scalar_text(struct yw_ctx *c, const char *what, yaml_node_t *n);
/* The value of key name in map, or NULL. */
yaml_node_t *yw_mapping_value(const struct yw_ctx *c, yaml_node_t *map, const char *name);
/* The key of a pair, or NULL after reporting one that is not a scalar or
 * that an earlier pair of map already has. */
const char *yw_pair_key(struct yw_ctx *c, yaml_node_t *map, yaml_node_pair_t *pair);

/* ---- cpu lists --------------------------------------------------------- */

/* A cpulist value, which must name CPUs that this machine has. */
int yw_cpulist_value(struct yw_ctx *c, const char *what, yaml_node_t *v, cpu_set_t *set);
/* CPUs 0..c->nr_cpus-1, or none when nr_cpus is unknown. */
void yw_machine_cpus(const struct yw_ctx *c, cpu_set_t *set);
/* "CPU 2" or "CPUs 2-3", followed by " is"/" are" when verb. */
const char *yw_cpus_are(char *buf, size_t size, const cpu_set_t *set, bool verb);

/* ---- parsers for rows: each writes base + k->off ------------------------ */

yw_parse_fn yw_parse_bool;     /* true or false: bool */
yw_parse_fn yw_parse_string;   /* char[k->size], checked by k->check if set */
yw_parse_fn yw_parse_enum;     /* one of k->names: int */
yw_parse_fn yw_parse_u32;      /* k->min to k->max: uint32_t */
yw_parse_fn yw_parse_duration; /* "100us", k->min to k->max ns: uint64_t */
yw_parse_fn yw_parse_cpus;     /* a cpulist on this machine: cpu_set_t */
yw_parse_fn yw_parse_mapping;  /* k->keys into base + k->off, or k->sets */
yw_parse_fn yw_parse_list;     /* k->list items, k->size bytes of them, count at k->count_off */
/* List items that are mappings: k->list->keys, then k->list->check. */
int yw_parse_mapping_item(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item, char *elem);

#endif
