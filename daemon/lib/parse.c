// SPDX-License-Identifier: MIT
/*
 * The small value languages of the config. Each parser writes its result
 * only on success, so a caller's previous value survives a bad input, and
 * says why it failed with a static string that the caller can quote.
 */
#include "lib/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define STR(x)	#x
#define XSTR(x) STR(x)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9'; /* isdigit() would follow the locale */
}

static void skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A decimal number up to max: no sign, no blanks, no base prefix.
 * Returns 0, -EINVAL when there is no digit, -ERANGE above max. */
static int read_uint(const char **p, uint64_t max, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned int d = *s - '0';

		if (n > max / 10 || max - n * 10 < d)
			return -ERANGE;
		n = n * 10 + d;
	}
	*p = s;
	*v = n;
	return 0;
}

int parse_uint(const char *s, uint64_t *v, const char **why)
{
	const char *p = s;
	uint64_t n;
	int err = read_uint(&p, UINT64_MAX, &n);

	if (!err && *p)
		err = -EINVAL;
	if (err)
		*why = err == -ERANGE ? "too large" : "expected digits only";
	else
		*v = n;
	return err;
}

/* "N" or "N-M", blanks allowed around the numbers; the order of the two
 * is the caller's to check so that it can say "reversed". */
static int read_range(const char **p, uint64_t max, uint64_t *first, uint64_t *last)
{
	int err;

	skip_blanks(p);
	err = read_uint(p, max, first);
	if (err)
		return err;
	skip_blanks(p);
	*last = *first;
	if (**p == '-') {
		(*p)++;
		skip_blanks(p);
		err = read_uint(p, max, last);
		if (err)
			return err;
		skip_blanks(p);
	}
	return 0;
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = { { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 } };

int parse_duration_ns(const char *s, uint64_t *ns, const char **why)
{
	uint64_t whole, frac = 0, frac_scale = 1, mult = 0, total;
	const char *p = s, *frac_start, *frac_end;
	size_t i;

	if (*p == '-') {
		*why = "negative durations are not allowed";
		return -EINVAL;
	}
	if (read_uint(&p, UINT64_MAX, &whole) == -EINVAL) {
		*why = "expected a number and a unit, like 100us";
		return -EINVAL;
	}
	while (is_digit(*p)) /* read_uint stopped at overflow: find the unit anyway */
		p++;
	frac_start = frac_end = p;
	if (*p == '.') {
		frac_start = ++p;
		while (is_digit(*p))
			p++;
		if (p == frac_start) {
			*why = "expected digits after '.'";
			return -EINVAL;
		}
		/* Trailing zeros say nothing; without them at most 9 digits
		 * can still be a whole number of nanoseconds. */
		for (frac_end = p; frac_end > frac_start && frac_end[-1] == '0'; frac_end--)
			;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].name))
			mult = units[i].ns;
	if (!mult) {
		*why = *p ? "unknown unit (use ns, us, ms or s)" : "missing unit (ns, us, ms or s)";
		return -EINVAL;
	}
	if (frac_end - frac_start > 9) {
		*why = "not a whole number of nanoseconds";
		return -EINVAL;
	}
	for (; frac_start < frac_end; frac_start++) {
		frac = frac * 10 + (*frac_start - '0');
		frac_scale *= 10;
	}
	if (frac * mult % frac_scale) {
		*why = "not a whole number of nanoseconds";
		return -EINVAL;
	}
	p = s;
	if (read_uint(&p, UINT64_MAX / mult, &whole) ||
	    __builtin_add_overflow(whole * mult, frac * mult / frac_scale, &total)) {
		*why = "too large";
		return -EINVAL;
	}
	*ns = total;
	return 0;
}

int parse_cpulist(const char *s, cpu_set_t *set, const char **why)
{
	const char *p = s;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	skip_blanks(&p);
	if (!*p) {
		*why = "empty";
		return -EINVAL;
	}
	for (;;) {
		uint64_t first, last, cpu;
		int err;

		skip_blanks(&p);
		if (*p == ',' || !*p) {
			*why = "empty item";
			return -EINVAL;
		}
		err = read_range(&p, CPU_SETSIZE - 1, &first, &last);
		if (err == -ERANGE) {
			*why = "CPU number too large (the limit is " XSTR(CPU_SETSIZE) ")";
			return -EINVAL;
		}
		if (err || (*p && *p != ',')) {
			*why = "expected CPU numbers and ranges like 0-3,8";
			return -EINVAL;
		}
		if (first > last) {
			*why = "reversed range";
			return -EINVAL;
		}
		for (cpu = first; cpu <= last; cpu++)
			CPU_SET(cpu, &cpus);
		if (!*p)
			break;
		p++;
	}
	*set = cpus;
	return 0;
}

/* The kernel's isspace(): \t \n \v \f \r, space and Latin-1 NBSP. */
static bool kernel_space(char c)
{
	return (c >= '\t' && c <= '\r') || c == ' ' || (unsigned char)c == 0xa0;
}

/* A number of a kernel cpulist: "N" (last) or decimal digits up to UINT_MAX. */
static int kernel_cpulist_num(const char **p, unsigned last, unsigned *v)
{
	uint64_t n;
	int err;

	if (**p == 'N') {
		(*p)++;
		*v = last;
		return 0;
	}
	err = read_uint(p, UINT32_MAX, &n);
	if (err == -ERANGE)
		return -EOVERFLOW;
	if (!err)
		*v = (unsigned)n;
	return err;
}

static bool kernel_region_end(char c)
{
	return kernel_space(c) || c == ',' || c == '\0';
}

int parse_kernel_cpulist(const char *s, unsigned nbits, cpu_set_t *set, const char **why)
{
	const char *p = s;
	cpu_set_t cpus;

	if (nbits == 0 || nbits > CPU_SETSIZE)
		nbits = CPU_SETSIZE;
	CPU_ZERO(&cpus);
	for (;;) {
		unsigned first, last, used, group;
		bool pattern = false;
		int err = 0;

		while (kernel_space(*p) || *p == ',')
			p++;
		if (!*p)
			break;
		if (!strncasecmp(p, "all", 3)) {
			first = 0;
			last = nbits - 1;
			p += 3;
		} else {
			err = kernel_cpulist_num(&p, nbits - 1, &first);
			last = first;
			if (!err && *p == '-') {
				p++;
				err = kernel_cpulist_num(&p, nbits - 1, &last);
			} else if (!err && !kernel_region_end(*p)) {
				err = -EINVAL; /* "5:1/2", "5x" */
			}
		}
		if (!err && !kernel_region_end(*p)) {
			pattern = true;
			if (*p != ':')
				err = -EINVAL;
			else {
				p++;
				err = kernel_cpulist_num(&p, nbits - 1, &used);
			}
			if (!err && *p != '/')
				err = -EINVAL;
			else if (!err) {
				p++;
				err = kernel_cpulist_num(&p, nbits - 1, &group);
			}
		}
		if (!pattern)
			used = group = last + 1;
		if (!err && (first > last || group == 0 || used > group))
			err = -EINVAL;
		if (!err && last >= nbits)
			err = -ERANGE;
		if (err) {
			*why = err == -ERANGE ? "CPU number beyond the last CPU"
			       : err == -EOVERFLOW
				       ? "number too large"
				       : "not a kernel cpulist (like 0-3,8,10-N,all:1/2)";
			return err;
		}
		for (unsigned start = first; start <= last; start += group)
			for (unsigned c = start; c - start < used && c <= last; c++)
				CPU_SET(c, &cpus);
		/* The kernel stops at a newline after a plain region; a pattern
		 * region goes on to the next one whatever follows it. */
		if (!pattern && *p == '\n')
			break;
	}
	*set = cpus;
	return 0;
}

int format_cpumask(const cpu_set_t *set, unsigned nbits, char *buf, size_t size)
{
	unsigned words, used = 0;

	if (nbits == 0 || nbits > CPU_SETSIZE)
		nbits = CPU_SETSIZE;
	words = (nbits + 31) / 32;
	if (size)
		buf[0] = '\0';
	for (unsigned w = words; w-- > 0;) {
		uint32_t v = 0;
		int n;

		for (unsigned b = 0; b < 32 && w * 32 + b < nbits; b++)
			if (CPU_ISSET(w * 32 + b, set))
				v |= (uint32_t)1 << b;
		n = snprintf(buf + used, size > used ? size - used : 0,
			     w == words - 1 ? "%" PRIx32 : ",%08" PRIx32, v);
		if (n < 0 || used + (unsigned)n >= size)
			return -ENOSPC;
		used += (unsigned)n;
	}
	return 0;
}

int parse_port_range(const char *s, uint16_t *first, uint16_t *last, const char **why)
{
	const char *p = s;
	uint64_t a, b;
	int err;

	skip_blanks(&p);
	if (!*p) {
		*why = "empty";
		return -EINVAL;
	}
	err = read_range(&p, UINT16_MAX, &a, &b);
	if (err == -EINVAL || (!err && *p)) {
		*why = "expected a port or a range like 30001-30010";
		return -EINVAL;
	}
	if (err || a == 0) {
		*why = "ports are 1 to 65535";
		return -EINVAL;
	}
	if (a > b) {
		*why = "reversed range";
		return -EINVAL;
	}
	*first = a;
	*last = b;
	return 0;
}

/*
 * ":PORT" binds IPv4 0.0.0.0, not [::] with dual-stack: whether [::] also
 * takes IPv4 depends on net.ipv6.bindv6only and on IPv6 being enabled at
 * all, and the listen line should mean the same thing on every host. Host
 * names are not resolved: the daemon must not depend on DNS to start.
 */
int parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len, const char **why)
{
	const char *host = s, *host_end, *p;
	struct sockaddr_storage ss = { 0 };
	char buf[INET6_ADDRSTRLEN];
	bool v6 = s[0] == '[';
	uint64_t port;
	int err;

	if (v6) {
		host++;
		host_end = strchr(host, ']');
		if (!host_end) {
			*why = "missing ']' after the IPv6 address";
			return -EINVAL;
		}
		p = host_end + 1;
		if (*p != ':') {
			*why = "missing ':PORT' after ']'";
			return -EINVAL;
		}
	} else {
		p = strrchr(s, ':');
		if (!p) {
			*why = "missing ':PORT'";
			return -EINVAL;
		}
		host_end = p;
		if (memchr(host, ':', host_end - host)) {
			*why = "an IPv6 address goes in brackets: [ADDR]:PORT";
			return -EINVAL;
		}
	}
	p++;
	if (!*p) {
		*why = "missing port number";
		return -EINVAL;
	}
	err = read_uint(&p, UINT16_MAX, &port);
	if (err == -ERANGE) {
		*why = "port out of range (0 to 65535)";
		return -EINVAL;
	}
	if (err || *p) {
		*why = "the port must be a decimal number";
		return -EINVAL;
	}
	if ((size_t)(host_end - host) >= sizeof(buf) || (v6 && host_end == host)) {
		*why = v6 ? "not an IPv6 address"
			  : "not an IPv4 address (host names are not resolved)";
		return -EINVAL;
	}
	memcpy(buf, host, host_end - host);
	buf[host_end - host] = '\0';

	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (buf[0] && inet_pton(AF_INET, buf, &sin->sin_addr) != 1) {
			*why = "not an IPv4 address (host names are not resolved)";
			return -EINVAL;
		}
		if (!buf[0])
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	}
	*addr = ss;
	return 0;
}

int format_cpulist(const cpu_set_t *set, char *buf, size_t size)
{
	size_t used = 0;
	int cpu = 0;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	while (cpu < CPU_SETSIZE) {
		int first, n;

		if (!CPU_ISSET(cpu, set)) {
			cpu++;
			continue;
		}
		for (first = cpu; cpu + 1 < CPU_SETSIZE && CPU_ISSET(cpu + 1, set); cpu++)
			;
		n = first == cpu ? snprintf(buf + used, size - used, "%s%d", used ? "," : "", cpu)
				 : snprintf(buf + used, size - used, "%s%d-%d", used ? "," : "",
					    first, cpu);
		if ((size_t)n >= size - used) {
			if (size > 3)
				strcpy(buf + size - 4, "...");
			return -ENOSPC;
		}
		used += n;
		cpu++;
	}
	return 0;
}

int format_duration(uint64_t ns, char *buf, size_t size)
{
	size_t i = 0;
	int n;

	while (units[i].ns > 1 && ns % units[i].ns)
		i++;
	n = snprintf(buf, size, "%" PRIu64 "%s", ns / units[i].ns, units[i].name);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}
