/* SPDX-License-Identifier: MIT */
/*
 * What a span publisher and jitterd share: the layout of the memory a
 * publisher hands over at registration (one memfd per process), and the
 * registration message. Both sides include this header; nothing else of
 * the daemon does.
 *
 * The memfd holds a header and n_rings rings, each for one thread at a
 * time (single producer, single consumer):
 *
 *   struct jd_span_shm | ring 0: struct jd_span_ring, slots records | ring 1 ...
 *
 * The publisher writes a record at head % slots, then stores head + 1
 * (release). jitterd reads from tail to head (acquire), checks each record
 * (its seq is its index: a torn or stale slot shows), and stores tail.
 * When head - tail == slots the ring is full: the publisher adds one to
 * drops and returns. Each of head, drops and tail has its own cache line:
 * the publisher writes head and drops, jitterd writes tail.
 *
 * To jitterd all of this is untrusted input: a publisher may write any
 * byte at any time. It copies what it reads, checks it, and never lets a
 * value from this memory size or index anything unchecked.
 */
#ifndef JITTERD_SPAN_RING_H
#define JITTERD_SPAN_RING_H

#include <stdint.h>

#define JD_SPAN_MAGIC		0x6a647370u /* "jdsp" */
#define JD_SPAN_VERSION		2u	    /* 2: spans carry labels */
#define JD_SPAN_NAME_MAX	48	    /* a span's name, NUL included */
#define JD_SPAN_MAX_LABELS	4	    /* label pairs of one span */
#define JD_SPAN_LABEL_NAME_MAX	32	    /* a label's name, NUL included */
#define JD_SPAN_LABEL_VALUE_MAX 64	    /* a label's value, NUL included */
#define JD_SPAN_MAX_SPANS	64	    /* per process */
#define JD_SPAN_MAX_RINGS	1024
#define JD_SPAN_MIN_SLOTS	16
#define JD_SPAN_MAX_SLOTS	(1u << 20)

enum jd_span_clock {
	JD_SPAN_CLOCK_MONOTONIC = 1, /* t0, t1 in CLOCK_MONOTONIC ns */
	JD_SPAN_CLOCK_TSC = 2,	     /* t0, t1 in TSC ticks (x86 only): jitterd converts */
};

#define JD_SPAN_CPU_UNKNOWN 0xffffffffu
/* jd_span_record.span: the span's index; this bit set makes it a mark (a point in time). */
#define JD_SPAN_MARK 0x80000000u

struct jd_span_record {
	uint64_t t0, t1; /* the span's start and end (a mark: t0 == t1) */
	uint32_t span;	 /* index into the registration's spans, | JD_SPAN_MARK */
	uint32_t cpu;	 /* where the thread was at the end, or JD_SPAN_CPU_UNKNOWN */
	uint64_t seq;	 /* this record's index in the ring's history (head before it) */
};

struct jd_span_ring {
	_Alignas(64) uint64_t head; /* publisher: records written */
	uint32_t owner;		    /* publisher: the thread using it (0: free) */
	uint32_t pad0;
	_Alignas(64) uint64_t drops; /* publisher: records dropped, ring full */
	_Alignas(64) uint64_t tail;  /* jitterd: records read */
	_Alignas(64) struct jd_span_record records[];
};

struct jd_span_shm {
	uint32_t magic, version;
	uint32_t n_rings, slots;
	/* publisher: records dropped by threads that found no free ring */
	_Alignas(64) uint64_t no_ring_drops;
	_Alignas(64) unsigned char rings[];
};

#define JD_SPAN_RING_BYTES(slots)                                                                  \
	(sizeof(struct jd_span_ring) + (uint64_t)(slots) * sizeof(struct jd_span_record))
#define JD_SPAN_SHM_BYTES(n_rings, slots)                                                          \
	(sizeof(struct jd_span_shm) + (uint64_t)(n_rings)*JD_SPAN_RING_BYTES(slots))

/* ---- registration: one SOCK_SEQPACKET message, the memfd in SCM_RIGHTS ---- */

/* A label of a span: name [A-Za-z_][A-Za-z0-9_]*, value [A-Za-z0-9_.:-]+. */
struct jd_span_label {
	char name[JD_SPAN_LABEL_NAME_MAX];
	char value[JD_SPAN_LABEL_VALUE_MAX];
};

struct jd_span_decl {
	char name[JD_SPAN_NAME_MAX]; /* [A-Za-z0-9_.:-]+ */
	uint64_t threshold_ns;	     /* slower: a span_slow event (0: the daemon's default) */
	/* The used ones first; the rest have an empty name. A span is its
	 * name and its labels: two spans may share a name, not both. */
	struct jd_span_label labels[JD_SPAN_MAX_LABELS];
};

struct jd_span_hello {
	uint32_t magic, version;
	uint32_t clock; /* enum jd_span_clock */
	uint32_t n_rings, slots, n_spans;
	struct jd_span_decl spans[JD_SPAN_MAX_SPANS]; /* only n_spans of them are sent */
};

#define JD_SPAN_HELLO_BYTES(n_spans)                                                               \
	(sizeof(struct jd_span_hello) - sizeof(((struct jd_span_hello *)0)->spans) +               \
	 (uint64_t)(n_spans) * sizeof(struct jd_span_decl))

struct jd_span_reply {
	uint32_t magic;
	int32_t status; /* 0: accepted; else a negative errno */
	char why[120];	/* what was wrong, for a person */
};

#endif
