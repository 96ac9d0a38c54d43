/* SPDX-License-Identifier: MIT */
/*
 * A byte stream read ahead on a thread of its own: read(2) and the gzip or
 * zstd inflating of a capture run beside the analysis, which takes the
 * bytes in the same order, as they would have come. Bounded: at most
 * RA_CHUNKS chunks of RA_CHUNK bytes are in flight (4 MiB).
 */
#ifndef JD_PCAP_READAHEAD_H
#define JD_PCAP_READAHEAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RA_CHUNK  (256u << 10)
#define RA_CHUNKS 16

struct readahead;

/*
 * Starts the thread: it calls fill(arg, buf, RA_CHUNK) until fill returns
 * less than asked (the end, or a failure fill keeps in arg), and
 * *progress, if not NULL, is what fill has read of the source so far,
 * looked at after each chunk. done(arg) is called once, when both sides
 * are through (ra_close() and the thread's end), on whichever is last.
 * 0 or -errno (then nothing is started and arg is the caller's).
 */
int ra_start(ssize_t (*fill)(void *arg, char *buf, size_t size), void (*done)(void *arg), void *arg,
	     const uint64_t *progress, struct readahead **out);
/* size bytes into buf; fewer only at the end of the stream. Once it has
 * returned fewer, fill is done with arg: arg may be looked at. */
size_t ra_read(struct readahead *ra, void *buf, size_t size);
/* What is read ahead and not yet read, without a copy: *data is valid until
 * the next ra_* call. 0 at the end. */
size_t ra_chunk(struct readahead *ra, const void **data);
/* Whether ra_read() (or ra_chunk()) has met the end. */
int ra_at_end(const struct readahead *ra);
/* The source bytes fill had read at the latest chunk (for progress). */
uint64_t ra_progress(const struct readahead *ra);
/* The reading side is done: the thread stops after the chunk it is on,
 * without being waited for (standard input may never end). */
void ra_close(struct readahead *ra);

#endif
