/* SPDX-License-Identifier: MIT */
/*
 * JSON out, through jansson: every JSON that jitterd writes (the event log,
 * and the subcommands' --json) is built as jansson values and written here,
 * so escaping is jansson's, in one place.
 */
#ifndef JD_JSON_H
#define JD_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/*
 * A string from kernel bytes (a comm, say), which need not be UTF-8: up to
 * max bytes or the first NUL, each byte above 0x7f taken as the Latin-1
 * character of that number, so nothing is lost and the result is valid.
 * NULL when out of memory.
 */
json_t *json_bytes(const char *s, size_t max);

/* Member helpers: set key of obj; a value that could not be made is left out. */
void json_set_bytes(json_t *obj, const char *key, const char *s, size_t max);
void json_set_str(json_t *obj, const char *key, const char *s);
void json_set_u64(json_t *obj, const char *key, uint64_t v);

/*
 * v compact, ASCII-only (\u escapes), members in the order they were set,
 * appended to out. Returns 0, or -ENOMEM when out of memory (out->oom is set).
 */
int json_append(struct buf *out, const json_t *v);

#endif
