// SPDX-License-Identifier: MIT
#include "pcap/readahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	size_t len;
	char data[RA_CHUNK];
};

struct readahead {
	ssize_t (*fill)(void *, char *, size_t);
	void (*done)(void *);
	void *arg;
	const uint64_t *source_progress;
	uint64_t progress; /* atomic: written by the thread, read by the reader */
	pthread_mutex_t lock;
	pthread_cond_t filled, emptied;
	/* under lock */
	unsigned head, count; /* the oldest filled chunk, and how many are */
	bool end;	      /* the thread has put its last chunk */
	bool stop;	      /* the reader is gone */
	bool thread_gone, reader_gone;
	/* the reader's own */
	struct chunk *cur;
	size_t pos;
	bool at_end;
	struct chunk *chunks[RA_CHUNKS];
};

static void ra_free(struct readahead *ra)
{
	if (ra->done)
		ra->done(ra->arg);
	for (unsigned i = 0; i < RA_CHUNKS; i++)
		free(ra->chunks[i]);
	pthread_cond_destroy(&ra->filled);
	pthread_cond_destroy(&ra->emptied);
	pthread_mutex_destroy(&ra->lock);
	free(ra);
}

/* One side is through; the last one frees. */
static void ra_leave(struct readahead *ra, bool thread)
{
	bool last;

	pthread_mutex_lock(&ra->lock);
	if (thread)
		ra->thread_gone = true;
	else
		ra->reader_gone = ra->stop = true;
	last = ra->thread_gone && ra->reader_gone;
	pthread_cond_signal(&ra->emptied);
	pthread_mutex_unlock(&ra->lock);
	if (last)
		ra_free(ra);
}

static void *ra_thread(void *p)
{
	struct readahead *ra = p;
	unsigned tail = 0;

	for (;;) {
		struct chunk *c;
		ssize_t n;

		pthread_mutex_lock(&ra->lock);
		while (!ra->stop && ra->count == RA_CHUNKS)
			pthread_cond_wait(&ra->emptied, &ra->lock);
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			break;
		}
		pthread_mutex_unlock(&ra->lock);
		c = ra->chunks[tail]; /* not the reader's until counted in */
		n = ra->fill(ra->arg, c->data, RA_CHUNK);
		c->len = n > 0 ? (size_t)n : 0;
		if (ra->source_progress)
			__atomic_store_n(&ra->progress, *ra->source_progress, __ATOMIC_RELAXED);
		pthread_mutex_lock(&ra->lock);
		ra->count++;
		ra->end = c->len < RA_CHUNK;
		pthread_cond_signal(&ra->filled);
		pthread_mutex_unlock(&ra->lock);
		if (c->len < RA_CHUNK)
			break;
		tail = (tail + 1) % RA_CHUNKS;
	}
	ra_leave(ra, true);
	return NULL;
}

int ra_start(ssize_t (*fill)(void *, char *, size_t), void (*done)(void *), void *arg,
	     const uint64_t *progress, struct readahead **out)
{
	struct readahead *ra = calloc(1, sizeof(*ra));
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	if (!ra)
		return -ENOMEM;
	for (unsigned i = 0; i < RA_CHUNKS; i++) {
		ra->chunks[i] = malloc(sizeof(struct chunk));
		if (!ra->chunks[i]) {
			while (i--)
				free(ra->chunks[i]);
			free(ra);
			return -ENOMEM;
		}
	}
	ra->fill = fill;
	ra->done = done;
	ra->arg = arg;
	ra->source_progress = progress;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->filled, NULL);
	pthread_cond_init(&ra->emptied, NULL);
	pthread_attr_init(&attr);
	/* nobody waits for it: it may be blocked reading a pipe when the reader is done */
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &attr, ra_thread, ra);
	pthread_attr_destroy(&attr);
	if (ret) {
		ra->done = NULL; /* the caller still owns what done would release */
		ra_free(ra);
		return -ret;
	}
	*out = ra;
	return 0;
}

/* The next filled chunk, or NULL at the end. */
static struct chunk *ra_next(struct readahead *ra)
{
	struct chunk *c = NULL;

	pthread_mutex_lock(&ra->lock);
	if (ra->cur) { /* give the one read back */
		ra->head = (ra->head + 1) % RA_CHUNKS;
		ra->count--;
		pthread_cond_signal(&ra->emptied);
	}
	while (!ra->count && !ra->end)
		pthread_cond_wait(&ra->filled, &ra->lock);
	if (ra->count)
		c = ra->chunks[ra->head];
	pthread_mutex_unlock(&ra->lock);
	ra->cur = c;
	ra->pos = 0;
	ra->at_end = !c;
	return c;
}

size_t ra_read(struct readahead *ra, void *buf, size_t size)
{
	size_t got = 0;

	while (got < size && !ra->at_end) {
		size_t n;

		if ((!ra->cur || ra->pos == ra->cur->len) && !ra_next(ra))
			break;
		n = ra->cur->len - ra->pos;
		if (n > size - got)
			n = size - got;
		memcpy((char *)buf + got, ra->cur->data + ra->pos, n);
		ra->pos += n;
		got += n;
	}
	return got;
}

size_t ra_chunk(struct readahead *ra, const void **data)
{
	size_t n;

	while (!ra->at_end && (!ra->cur || ra->pos == ra->cur->len))
		ra_next(ra);
	if (ra->at_end)
		return 0;
	n = ra->cur->len - ra->pos;
	*data = ra->cur->data + ra->pos;
	ra->pos = ra->cur->len;
	return n;
}

int ra_at_end(const struct readahead *ra)
{
	return ra->at_end;
}

uint64_t ra_progress(const struct readahead *ra)
{
	return __atomic_load_n(&ra->progress, __ATOMIC_RELAXED);
}

void ra_close(struct readahead *ra)
{
	if (ra)
		ra_leave(ra, false);
}
