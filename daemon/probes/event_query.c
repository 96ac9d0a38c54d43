// SPDX-License-Identifier: MIT
#include "probes/event_query.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/parse.h"

/* Unix nanoseconds fit an int64_t until 2262-04-11. */
#define MAX_UNIX_S (INT64_MAX / (int64_t)NS_PER_S - 1)

static const char name_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-";

static int fail(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, unsigned n)
{
	int v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int rfc3339(const char *s, int64_t *ns)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, mon, day, hour, min, sec, off = 0;
	int64_t frac = 0, t;
	struct tm tm = { 0 };

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	year = digits(s, 4);
	mon = digits(s + 5, 2);
	day = digits(s + 8, 2);
	hour = digits(s + 11, 2);
	min = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > (int)mdays[mon - 1] ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	s += 19;
	if (*s == '.') {
		unsigned i;

		for (i = 0, s++; *s >= '0' && *s <= '9'; i++, s++)
			if (i < 9)
				frac = frac * 10 + (*s - '0');
		if (!i)
			return -EINVAL;
		for (; i < 9; i++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		/* digits() stops at the NUL: s + 4 is read only after a ':' at s + 3. */
		int oh = digits(s + 1, 2), om = oh < 0 || s[3] != ':' ? -1 : digits(s + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -EINVAL;
		off = (oh * 60 + om) * 60 * (*s == '+' ? 1 : -1);
		s += 6;
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second: the one before it */
	t = (int64_t)timegm(&tm) - off;
	/* timegm() rolls 31 April into 1 May: that is no date. */
	if (tm.tm_mday != day || t < 0 || t > MAX_UNIX_S)
		return -EINVAL;
	*ns = t * (int64_t)NS_PER_S + frac;
	return 0;
}

int event_query_time(const char *s, int64_t *ns)
{
	uint64_t v;
	const char *why;

	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s)) {
		if (parse_uint(s, &v, &why) || v > (uint64_t)INT64_MAX)
			return -EINVAL;
		*ns = (int64_t)v;
		return 0;
	}
	return rfc3339(s, ns);
}

static int parse_number(const char *key, const char *s, uint64_t max, uint64_t *v, char *why,
			size_t size)
{
	const char *what;

	if (!*s || strspn(s, "0123456789") != strlen(s) || parse_uint(s, v, &what) || *v > max)
		return fail(why, size, "%s: expected a number from %s to %llu", key,
			    max == 1000000 ? "1" : "0", (unsigned long long)max);
	if (max == 1000000 && !*v)
		return fail(why, size, "%s: expected a number from 1 to %llu", key,
			    (unsigned long long)max);
	return 0;
}

static int parse_name(const char *key, const char *s, char *out, char *why, size_t size)
{
	size_t len = strlen(s);

	if (!len || len >= JD_NAME_MAX || strspn(s, name_chars) != len)
		return fail(why, size, "%s: expected a name of 1 to 63 of A-Z a-z 0-9 _ . : -",
			    key);
	memcpy(out, s, len + 1);
	return 0;
}

static int parse_kinds(struct event_query *q, const char *s, char *why, size_t size)
{
	while (1) {
		size_t len = strcspn(s, ",");

		if (!len || len >= JD_NAME_MAX || strspn(s, name_chars) < len)
			return fail(why, size,
				    "kind: expected kinds separated by commas (1 to 63 of A-Z a-z "
				    "0-9 _ . : - each)");
		if (q->n_kinds == EVENT_QUERY_MAX_KINDS)
			return fail(why, size, "kind: at most %d kinds", EVENT_QUERY_MAX_KINDS);
		memcpy(q->kinds[q->n_kinds], s, len);
		q->kinds[q->n_kinds++][len] = '\0';
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

enum { ARG_KIND, ARG_SINCE, ARG_LIMIT, ARG_CPU, ARG_WORKLOAD, ARG_SOCKET, ARG_FOLLOW, N_ARGS };

static const char *const arg_names[N_ARGS] = {
	[ARG_KIND] = "kind",	 [ARG_SINCE] = "since",	      [ARG_LIMIT] = "limit",
	[ARG_CPU] = "cpu",	 [ARG_WORKLOAD] = "workload", [ARG_SOCKET] = "socket",
	[ARG_FOLLOW] = "follow",
};

static int parse_arg(struct event_query *q, unsigned which, const char *key, const char *v,
		     char *why, size_t size)
{
	uint64_t n;

	switch (which) {
	case ARG_KIND: return parse_kinds(q, v, why, size);
	case ARG_SINCE:
		q->has_since = true;
		if (event_query_time(v, &q->since_ns))
			return fail(why, size,
				    "since: expected Unix nanoseconds or an RFC 3339 time "
				    "(2006-01-02T15:04:05.999Z, 1970 to 2262)");
		return 0;
	case ARG_LIMIT:
		if (parse_number(key, v, 1000000, &n, why, size))
			return -EINVAL;
		q->limit = (uint32_t)n;
		return 0;
	case ARG_CPU:
		if (parse_number(key, v, 65535, &n, why, size))
			return -EINVAL;
		q->cpu = (int)n;
		return 0;
	case ARG_WORKLOAD: return parse_name(key, v, q->workload, why, size);
	case ARG_SOCKET: return parse_name(key, v, q->socket, why, size);
	default:
		if (!strcmp(v, "1") || !strcmp(v, "true"))
			q->follow = true;
		else if (strcmp(v, "0") && strcmp(v, "false"))
			return fail(why, size, "follow: expected 1, true, 0 or false");
		return 0;
	}
}

int event_query_parse(struct event_query *q, const struct event_query_arg *args, unsigned n,
		      char *why, size_t size)
{
	bool seen[N_ARGS] = { false };

	memset(q, 0, sizeof(*q));
	q->cpu = -1;
	if (n > EVENT_QUERY_MAX_ARGS)
		return fail(why, size, "at most %d query arguments", EVENT_QUERY_MAX_ARGS);
	for (unsigned i = 0; i < n; i++) {
		const char *key = args[i].key ? args[i].key : "", *v = args[i].value;
		unsigned which = 0;

		while (which < N_ARGS && strcmp(key, arg_names[which]))
			which++;
		if (which == N_ARGS)
			return fail(why, size,
				    "unknown query argument \"%.32s\" (kind, since, limit, cpu, "
				    "workload, socket, follow)",
				    key);
		if (seen[which] && which != ARG_KIND)
			return fail(why, size, "%s: given twice", key);
		seen[which] = true;
		if (!v && which == ARG_FOLLOW)
			v = "1"; /* "?follow" */
		if (!v)
			return fail(why, size, "%s: needs a value (%s=...)", key, key);
		if (parse_arg(q, which, key, v, why, size))
			return -EINVAL;
	}
	if (q->follow && q->limit)
		return fail(why, size, "limit: not with follow (a follower gets every event)");
	return 0;
}
