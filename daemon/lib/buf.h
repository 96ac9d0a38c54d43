/* SPDX-License-Identifier: MIT */
/* A growable byte buffer: what the exposition and the HTTP pages are built in. */
#ifndef JD_BUF_H
#define JD_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int oom; /* set once an allocation failed; later appends are no-ops */
};

void buf_reset(struct buf *b);
void buf_free(struct buf *b);
void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
__attribute__((format(printf, 2, 3))) void buf_printf(struct buf *b, const char *fmt, ...);

#endif
