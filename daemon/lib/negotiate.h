/* SPDX-License-Identifier: MIT */
/*
 * HTTP content negotiation (RFC 9110 section 12.5): which representation
 * of a page a client's Accept header prefers, whether its Accept-Encoding
 * takes gzip, and the gzip body itself (zlib).
 */
#ifndef JD_NEGOTIATE_H
#define JD_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct media_offer {
	const char *type;    /* "text/plain" */
	const char *version; /* the version= parameter it is served with, or NULL */
};

/*
 * The offer the Accept header rates highest, by the q of the most specific
 * media range that matches each (a range with a version= parameter matches
 * only that version). Ties, and a header that rates none above 0 or is
 * absent (NULL), go to the earliest offer.
 */
unsigned negotiate_media(const char *accept, const struct media_offer *offers, unsigned n);

/* Whether Accept-Encoding (NULL when absent) takes gzip (or * ) at q > 0. */
bool negotiate_gzip(const char *accept_encoding);

/* Appends in[0..len) gzip-compressed (RFC 1952) to out. Returns 0 or a negative errno. */
int gzip_compress(const char *in, size_t len, struct buf *out);

#endif
