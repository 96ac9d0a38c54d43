/* SPDX-License-Identifier: MIT */
/*
 * What a reader of /events asks for: the query string's arguments, read
 * and checked before anything is looked up (kinds are checked against the
 * log's own by events.c). Kept apart from the log so that it can be fuzzed
 * alone: it is the part that strangers' bytes reach.
 *
 *   kind=anomaly,socket_drop   these kinds only (the argument may repeat)
 *   since=<unix ns>|<RFC 3339> events at or after this time
 *   limit=N                    the newest N of what matches
 *   cpu=N, workload=NAME, socket=NAME   events that name this one
 *   follow=1                   keep the response open, sending new events
 */
#ifndef JD_EVENT_QUERY_H
#define JD_EVENT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

#define EVENT_QUERY_MAX_KINDS 16
#define EVENT_QUERY_MAX_ARGS  16

struct event_query_arg {
	const char *key;
	const char *value; /* NULL: the key came without '=' */
};

struct event_query {
	char kinds[EVENT_QUERY_MAX_KINDS][JD_NAME_MAX];
	unsigned n_kinds; /* 0: every kind */
	bool has_since;
	int64_t since_ns;				 /* Unix time */
	uint32_t limit;					 /* 0: no limit */
	int cpu;					 /* -1: any */
	char workload[JD_NAME_MAX], socket[JD_NAME_MAX]; /* "": any */
	bool follow;
};

/*
 * Fill q from args (URL-decoded). 0, or -EINVAL with the reason for a
 * person in why (a 400's body, without a newline).
 */
int event_query_parse(struct event_query *q, const struct event_query_arg *args, unsigned n,
		      char *why, size_t why_size);
/* "2026-12-07T01:02:03.5Z", "...+01:00" or Unix nanoseconds: 0 or -EINVAL. */
int event_query_time(const char *s, int64_t *ns);

#endif
