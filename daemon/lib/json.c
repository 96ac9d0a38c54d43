// SPDX-License-Identifier: MIT
#include "lib/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *json_bytes(const char *s, size_t max)
{
	size_t n = strnlen(s, max), o = 0;
	char *utf8 = malloc(n * 2 + 1);
	json_t *v;

	if (!utf8)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			utf8[o++] = (char)c;
		} else { /* U+0080..U+00FF in two bytes */
			utf8[o++] = (char)(0xc0 | (c >> 6));
			utf8[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	v = json_stringn(utf8, o);
	free(utf8);
	return v;
}

void json_set_bytes(json_t *obj, const char *key, const char *s, size_t max)
{
	json_object_set_new(obj, key, json_bytes(s, max));
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, json_string(s));
}

void json_set_u64(json_t *obj, const char *key, uint64_t v)
{
	/* json_int_t is long long: every count and nanosecond figure here fits. */
	json_object_set_new(obj, key, json_integer((json_int_t)v));
}

static int append(const char *s, size_t n, void *out)
{
	buf_append(out, s, n);
	return ((struct buf *)out)->oom ? -1 : 0;
}

int json_append(struct buf *out, const json_t *v)
{
	/* ENCODE_ANY: without it jansson refuses a bare string or number. */
	const size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY;

	if (json_dump_callback(v, append, out, flags) || out->oom) {
		out->oom = 1;
		return -ENOMEM;
	}
	return 0;
}
