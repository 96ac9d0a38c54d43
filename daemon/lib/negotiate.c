// SPDX-License-Identifier: MIT
#include "lib/negotiate.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

/* q-values are read in thousandths: "q=0.75" is 750. */
#define Q_MAX 1000

/* One element of an Accept or Accept-Encoding list, pointing into the header. */
struct range {
	const char *name, *version;
	size_t name_len, version_len;
	int q;
};

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The token at p up to a delimiter, without trailing whitespace. */
static size_t token_len(const char *p, const char *delims)
{
	size_t n = strcspn(p, delims);

	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n;
}

/* "0", "0.5", "1", "1.000": anything else is malformed and counts as 0. */
static int parse_q(const char *p, size_t len)
{
	int q = 0, scale = Q_MAX;

	if (!len || (p[0] != '0' && p[0] != '1'))
		return 0;
	q = (p[0] - '0') * Q_MAX;
	if (len > 1 && (p[1] != '.' || len > 5))
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		scale /= 10;
		q += (p[i] - '0') * scale;
	}
	return q > Q_MAX ? 0 : q;
}

/* Reads the element at p into r; returns where the next one starts, or NULL at the end. */
static const char *next_range(const char *p, struct range *r)
{
	*r = (struct range){ .q = Q_MAX };
	p = skip_ows(p);
	r->name = p;
	r->name_len = token_len(p, ",;");
	p += strcspn(p, ",;");
	while (*p == ';') {
		const char *key = skip_ows(p + 1), *eq = key + strcspn(key, "=,;"), *val;
		size_t key_len = token_len(key, "=,;"), val_len;

		p = eq;
		if (*eq != '=')
			continue;
		val = skip_ows(eq + 1);
		val_len = token_len(val, ",;");
		p = val + strcspn(val, ",;");
		if (val_len >= 2 && val[0] == '"' && val[val_len - 1] == '"') {
			val++;
			val_len -= 2;
		}
		if (key_len == 1 && (*key == 'q' || *key == 'Q')) {
			r->q = parse_q(val, val_len);
		} else if (key_len == 7 && !strncasecmp(key, "version", 7)) {
			r->version = val;
			r->version_len = val_len;
		}
	}
	return *p == ',' ? p + 1 : NULL;
}

static bool token_eq(const char *a, size_t a_len, const char *b, size_t b_len)
{
	return a_len == b_len && !strncasecmp(a, b, a_len);
}

/*
 * How specifically r names the offer: 0 not at all, 1 "* / *", 2 "type/ *",
 * 3 "type/subtype", 4 the same with the offer's version.
 */
static int specificity(const struct range *r, const struct media_offer *o)
{
	const char *slash = strchr(o->type, '/');
	size_t type_len = (size_t)(slash - o->type);

	if (token_eq(r->name, r->name_len, "*/*", 3))
		return 1;
	if (r->name_len == type_len + 2 && !strncasecmp(r->name, o->type, type_len + 1) &&
	    r->name[type_len + 1] == '*')
		return 2;
	if (!token_eq(r->name, r->name_len, o->type, strlen(o->type)))
		return 0;
	if (!r->version)
		return 3;
	if (o->version && token_eq(r->version, r->version_len, o->version, strlen(o->version)))
		return 4;
	return 0;
}

static int offer_quality(const char *accept, const struct media_offer *o)
{
	const char *p = accept;
	int best = 0, q = 0;
	struct range r;

	while (p) {
		int spec;

		p = next_range(p, &r);
		spec = specificity(&r, o);
		if (spec > best) {
			best = spec;
			q = r.q;
		}
	}
	return q;
}

unsigned negotiate_media(const char *accept, const struct media_offer *offers, unsigned n)
{
	unsigned pick = 0;
	int best = 0;

	if (!accept)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		int q = offer_quality(accept, &offers[i]);

		if (q > best) {
			best = q;
			pick = i;
		}
	}
	return pick;
}

bool negotiate_gzip(const char *accept_encoding)
{
	const char *p = accept_encoding;
	int gzip = -1, any = -1;
	struct range r;

	while (p) {
		p = next_range(p, &r);
		if (token_eq(r.name, r.name_len, "gzip", 4) ||
		    token_eq(r.name, r.name_len, "x-gzip", 6))
			gzip = r.q;
		else if (token_eq(r.name, r.name_len, "*", 1))
			any = r.q;
	}
	return gzip > 0 || (gzip < 0 && any > 0);
}

int gzip_compress(const char *in, size_t len, struct buf *out)
{
	unsigned char chunk[16384];
	z_stream z = { 0 };
	int ret;

	if (len > UINT32_MAX)
		return -E2BIG;
	/* 15 + 16: the largest window, with a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		ret = deflate(&z, Z_FINISH);
		buf_append(out, (const char *)chunk, sizeof(chunk) - z.avail_out);
	} while (ret == Z_OK && !out->oom);
	deflateEnd(&z);
	if (out->oom)
		return -ENOMEM;
	return ret == Z_STREAM_END ? 0 : -EIO;
}
