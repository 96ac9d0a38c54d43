// SPDX-License-Identifier: MIT
#include "lib/ksyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name longer than this is cut (the kernel allows 512; text symbols seldom pass 80). */
#define NAME_MAX_LEN 255
/* A symbol farther below an address than this does not hold it. */
#define MAX_DISTANCE (1ULL << 20)

struct ksym_entry {
	uint64_t addr;
	uint64_t sym; /* the symbol's address, once resolved */
	char *name;   /* NULL: not resolved yet; "": none */
};

struct ksyms {
	FILE *f;
	struct ksym_entry *e; /* sorted by addr */
	unsigned n, pending, passes;
};

static bool text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

/* "addr type name[\t[module]]": 0, or -EINVAL for a line that is not one. */
static int parse_line(char *line, uint64_t *addr, char *type, char **name)
{
	char *end;

	*addr = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
		return -EINVAL;
	*type = end[1];
	*name = end + 3;
	(*name)[strcspn(*name, " \t\n")] = '\0';
	return **name ? 0 : -EINVAL;
}

struct ksyms *ksyms_open(const char *path)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	char *line = NULL, type = 0, *name;
	size_t cap = 0;
	uint64_t addr = 0;

	if (!k)
		return NULL;
	k->f = fopen(path, "re");
	k->e = calloc(KSYMS_CACHE, sizeof(*k->e));
	/*
	 * A reader the kernel shows no addresses gets zeros. The first text
	 * symbol says: the lines before it may be per-CPU ones, at 0 anyway
	 * ("0000000000000000 A fixed_percpu_data" on x86-64).
	 */
	while (k->f && k->e && getline(&line, &cap, k->f) > 0)
		if (!parse_line(line, &addr, &type, &name) && text_type(type))
			break;
	free(line);
	if (!k->f || !k->e || !text_type(type) || !addr) {
		ksyms_close(k);
		return NULL;
	}
	return k;
}

void ksyms_close(struct ksyms *k)
{
	if (!k)
		return;
	if (k->f)
		fclose(k->f);
	for (unsigned i = 0; k->e && i < k->n; i++)
		free(k->e[i].name);
	free(k->e);
	free(k);
}

/* The place of addr in k->e: its entry, or where it would go. */
static unsigned find(const struct ksyms *k, uint64_t addr)
{
	unsigned lo = 0, hi = k->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (k->e[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void ksyms_want(struct ksyms *k, uint64_t addr)
{
	unsigned i;

	if (!k || !addr)
		return;
	i = find(k, addr);
	if ((i < k->n && k->e[i].addr == addr) || k->n == KSYMS_CACHE)
		return;
	memmove(&k->e[i + 1], &k->e[i], (k->n - i) * sizeof(*k->e));
	k->e[i] = (struct ksym_entry){ .addr = addr };
	k->n++;
	k->pending++;
}

int ksyms_resolve(struct ksyms *k)
{
	unsigned *todo, n = 0;
	char(*best)[NAME_MAX_LEN + 1];
	char *line = NULL, type, *name;
	size_t cap = 0;
	uint64_t addr;
	int err = 0;

	if (!k || !k->pending)
		return 0;
	todo = malloc(k->pending * sizeof(*todo));
	best = malloc(k->pending * sizeof(*best));
	if (!todo || !best) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < k->n; i++)
		if (!k->e[i].name) {
			k->e[i].sym = 0;
			todo[n++] = i;
		}
	rewind(k->f);
	/* Not sorted as a whole (modules follow vmlinux): the nearest below wins. */
	while (getline(&line, &cap, k->f) > 0) {
		if (parse_line(line, &addr, &type, &name) || !text_type(type))
			continue;
		for (unsigned j = 0; j < n; j++) {
			struct ksym_entry *e = &k->e[todo[j]];

			if (addr <= e->addr && addr >= e->sym && e->addr - addr < MAX_DISTANCE) {
				e->sym = addr;
				snprintf(best[j], sizeof(best[j]), "%s", name);
			}
		}
	}
	if (ferror(k->f))
		err = -EIO;
	k->passes++;
	for (unsigned j = 0; j < n; j++) {
		struct ksym_entry *e = &k->e[todo[j]];

		e->name = strdup(e->sym ? best[j] : "");
		if (!e->name)
			err = -ENOMEM;
		else
			k->pending--;
	}
out:
	free(line);
	free(todo);
	free(best);
	return err;
}

const char *ksyms_name(const struct ksyms *k, uint64_t addr, uint64_t *offset)
{
	unsigned i;

	if (!k)
		return NULL;
	i = find(k, addr);
	if (i == k->n || k->e[i].addr != addr || !k->e[i].name)
		return NULL;
	if (offset)
		*offset = k->e[i].sym ? addr - k->e[i].sym : 0;
	return k->e[i].name;
}

const char *ksyms_lookup(struct ksyms *k, uint64_t addr, uint64_t *offset)
{
	const char *name = ksyms_name(k, addr, offset);

	if (name || !k)
		return name;
	ksyms_want(k, addr);
	ksyms_resolve(k);
	return ksyms_name(k, addr, offset);
}

unsigned ksyms_passes(const struct ksyms *k)
{
	return k ? k->passes : 0;
}

unsigned ksyms_cached(const struct ksyms *k)
{
	return k ? k->n : 0;
}
