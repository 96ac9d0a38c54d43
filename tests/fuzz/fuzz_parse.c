// SPDX-License-Identifier: MIT
/*
 * The small value parsers of daemon/lib/parse.c. The first byte picks one; the
 * rest is its text. What parses must format back (cpu lists, durations)
 * and parse again to the same value.
 */
#include <sched.h>

#include "fuzz.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage addr;
	cpu_set_t set, again;
	uint64_t v, w;
	uint16_t first, last;
	socklen_t len;
	const char *why;
	char *s, out[4096];

	if (!size)
		return 0;
	s = fuzz_string(data + 1, size - 1);
	switch (data[0] % 5) {
	case 0: parse_uint(s, &v, &why); break;
	case 1:
		if (!parse_duration_ns(s, &v, &why) && !format_duration(v, out, sizeof(out))) {
			if (parse_duration_ns(out, &w, &why) || w != v)
				abort();
		}
		break;
	case 2:
		if (!parse_cpulist(s, &set, &why) && !format_cpulist(&set, out, sizeof(out))) {
			if (parse_cpulist(out, &again, &why) || !CPU_EQUAL(&set, &again))
				abort();
		}
		break;
	case 3:
		if (!parse_port_range(s, &first, &last, &why) && (first > last || !first))
			abort();
		break;
	case 4: parse_listen(s, &addr, &len, &why); break;
	}
	free(s);
	return 0;
}
