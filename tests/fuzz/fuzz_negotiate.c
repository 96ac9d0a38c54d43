// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the HTTP content negotiation (daemon/lib/negotiate.c):
 * the Accept and Accept-Encoding headers come from any client. The input,
 * NUL-terminated, is used as both headers; gzip_compress gets it as a body
 * and must give back exactly it.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon \
 *     tests/fuzz/fuzz_negotiate.c daemon/lib/negotiate.c daemon/lib/buf.c -lz -o
 * build/fuzz_negotiate build/fuzz_negotiate -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/negotiate.h"

static const struct media_offer offers[] = {
	{ "text/plain", "0.0.4" },
	{ "application/openmetrics-text", "1.0.0" },
	{ "application/openmetrics-text", "0.0.1" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = malloc(size + 1);
	struct buf out = { 0 };

	if (!header)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';
	if (negotiate_media(header, offers, 3) >= 3)
		abort();
	(void)negotiate_gzip(header);
	if (!gzip_compress((const char *)data, size, &out)) {
		unsigned char *back = malloc(size + 1);
		uLongf len = size + 1;
		z_stream z = { 0 };

		if (back && inflateInit2(&z, 15 + 16) == Z_OK) {
			z.next_in = (unsigned char *)out.data;
			z.avail_in = (uInt)out.len;
			z.next_out = back;
			z.avail_out = (uInt)len;
			if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != size ||
			    memcmp(back, data, size))
				abort();
			inflateEnd(&z);
		}
		free(back);
	}
	buf_free(&out);
	free(header);
	return 0;
}
