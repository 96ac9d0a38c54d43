// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the query string of /events
 * (daemon/probes/event_query.c): any client can send one. The input is cut
 * as libmicrohttpd cuts a query string ('&' between arguments, the first
 * '=' between key and value; no '=' is a NULL value) and parsed; what is
 * taken must be within the documented bounds, what is refused must say why.
 * The whole input is also tried as a time (since=).
 */
#include "fuzz.h"

#include "probes/event_query.h"

static bool name_ok(const char *s)
{
	size_t len = strlen(s);

	return len && len < JD_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") ==
		       len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_query_arg args[EVENT_QUERY_MAX_ARGS + 1];
	struct event_query q;
	char *s = fuzz_string(data, size), *save = NULL, why[256];
	unsigned n = 0;
	int64_t ns;

	if (!event_query_time(s, &ns) && ns < 0)
		abort();
	for (char *kv = strtok_r(s, "&", &save); kv && n < EVENT_QUERY_MAX_ARGS + 1;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq = '\0';
		args[n++] = (struct event_query_arg){ kv, eq ? eq + 1 : NULL };
	}
	why[0] = '\0';
	if (event_query_parse(&q, args, n, why, sizeof(why))) {
		if (!why[0] || strlen(why) >= sizeof(why))
			abort();
	} else {
		if (q.n_kinds > EVENT_QUERY_MAX_KINDS || q.limit > 1000000 || q.cpu > 65535 ||
		    q.cpu < -1 || (q.has_since && q.since_ns < 0) || (q.follow && q.limit) ||
		    (q.workload[0] && !name_ok(q.workload)) || (q.socket[0] && !name_ok(q.socket)))
			abort();
		for (unsigned i = 0; i < q.n_kinds; i++)
			if (!name_ok(q.kinds[i]))
				abort();
	}
	free(s);
	return 0;
}
