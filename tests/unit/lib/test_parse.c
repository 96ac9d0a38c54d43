// SPDX-License-Identifier: MIT
/* The value languages of the config: durations, cpulists, ports, listen. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "check_main.h"
#include "lib/parse.h"

static uint64_t duration_ok(const char *s)
{
	const char *why = NULL;
	uint64_t ns = 12345;

	ck_assert_msg(parse_duration_ns(s, &ns, &why) == 0, "%s: %s", s, why);
	return ns;
}

static const char *duration_why(const char *s)
{
	const char *why = NULL;
	uint64_t ns = 12345;

	ck_assert_msg(parse_duration_ns(s, &ns, &why) == -EINVAL, "%s parsed", s);
	ck_assert_uint_eq(ns, 12345); /* untouched */
	return why;
}

START_TEST(duration_units_are_ns_us_ms_s)
{
	ck_assert_uint_eq(duration_ok("250ns"), 250);
	ck_assert_uint_eq(duration_ok("100us"), 100000);
	ck_assert_uint_eq(duration_ok("100ms"), 100000000);
	ck_assert_uint_eq(duration_ok("2s"), 2000000000);
}
END_TEST

START_TEST(duration_zero_is_a_duration)
{
	ck_assert_uint_eq(duration_ok("0s"), 0);
}
END_TEST

START_TEST(duration_fraction_is_exact)
{
	ck_assert_uint_eq(duration_ok("1.5ms"), 1500000);
	ck_assert_uint_eq(duration_ok("0.000000001s"), 1);
	ck_assert_uint_eq(duration_ok("2.50000000000000000000us"), 2500);
}
END_TEST

START_TEST(duration_fraction_of_a_nanosecond_is_rejected)
{
	ck_assert_str_eq(duration_why("1.5ns"), "not a whole number of nanoseconds");
	ck_assert_str_eq(duration_why("0.0000000001s"), "not a whole number of nanoseconds");
	ck_assert_str_eq(duration_why("1.0001us"), "not a whole number of nanoseconds");
}
END_TEST

START_TEST(duration_bare_number_is_rejected)
{
	ck_assert_str_eq(duration_why("100"), "missing unit (ns, us, ms or s)");
	ck_assert_str_eq(duration_why("1.5"), "missing unit (ns, us, ms or s)");
}
END_TEST

START_TEST(duration_unknown_unit_is_rejected)
{
	ck_assert_str_eq(duration_why("5m"), "unknown unit (use ns, us, ms or s)");
	ck_assert_str_eq(duration_why("5 ms"), "unknown unit (use ns, us, ms or s)");
	ck_assert_str_eq(duration_why("5MS"), "unknown unit (use ns, us, ms or s)");
	ck_assert_str_eq(duration_why("1e3ms"), "unknown unit (use ns, us, ms or s)");
}
END_TEST

START_TEST(duration_negative_is_rejected)
{
	ck_assert_str_eq(duration_why("-1ms"), "negative durations are not allowed");
}
END_TEST

START_TEST(duration_needs_digits)
{
	ck_assert_str_eq(duration_why(""), "expected a number and a unit, like 100us");
	ck_assert_str_eq(duration_why("ms"), "expected a number and a unit, like 100us");
	ck_assert_str_eq(duration_why("+1ms"), "expected a number and a unit, like 100us");
	ck_assert_str_eq(duration_why(".5ms"), "expected a number and a unit, like 100us");
	ck_assert_str_eq(duration_why("5.ms"), "expected digits after '.'");
}
END_TEST

START_TEST(duration_overflow_is_rejected)
{
	ck_assert_uint_eq(duration_ok("18446744073709551615ns"), UINT64_MAX);
	ck_assert_str_eq(duration_why("18446744073709551616ns"), "too large");
	ck_assert_str_eq(duration_why("18446744074s"), "too large");
	ck_assert_str_eq(duration_why("18446744073.709551616s"), "too large");
	ck_assert_str_eq(duration_why("99999999999999999999999s"), "too large");
}
END_TEST

static const char *cpulist_why(const char *s)
{
	const char *why = NULL;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(7, &set);
	ck_assert_msg(parse_cpulist(s, &set, &why) == -EINVAL, "%s parsed", s);
	ck_assert(CPU_ISSET(7, &set) && CPU_COUNT(&set) == 1); /* untouched */
	return why;
}

START_TEST(cpulist_items_and_ranges)
{
	cpu_set_t set;
	const char *why;
	int cpu;

	ck_assert_int_eq(parse_cpulist("0-3,8,10-11", &set, &why), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 7);
	for (cpu = 0; cpu < 12; cpu++)
		ck_assert_int_eq(!!CPU_ISSET(cpu, &set), cpu <= 3 || cpu == 8 || cpu >= 10);
}
END_TEST

START_TEST(cpulist_tolerates_blanks_around_items)
{
	cpu_set_t set;
	const char *why;

	ck_assert_int_eq(parse_cpulist(" 1 , 3 - 4\t", &set, &why), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 3);
	ck_assert(CPU_ISSET(1, &set) && CPU_ISSET(3, &set) && CPU_ISSET(4, &set));
}
END_TEST

START_TEST(cpulist_last_cpu_is_cpu_setsize_minus_one)
{
	cpu_set_t set;
	const char *why;

	ck_assert_int_eq(parse_cpulist("1023", &set, &why), 0);
	ck_assert(CPU_ISSET(1023, &set));
	ck_assert_str_eq(cpulist_why("1024"), "CPU number too large (the limit is 1024)");
	ck_assert_str_eq(cpulist_why("0-4096"), "CPU number too large (the limit is 1024)");
}
END_TEST

START_TEST(cpulist_empty_is_rejected)
{
	ck_assert_str_eq(cpulist_why(""), "empty");
	ck_assert_str_eq(cpulist_why("  "), "empty");
}
END_TEST

START_TEST(cpulist_empty_item_is_rejected)
{
	ck_assert_str_eq(cpulist_why("0,,2"), "empty item");
	ck_assert_str_eq(cpulist_why("0,"), "empty item");
	ck_assert_str_eq(cpulist_why(",0"), "empty item");
}
END_TEST

START_TEST(cpulist_reversed_range_is_rejected)
{
	ck_assert_str_eq(cpulist_why("3-1"), "reversed range");
}
END_TEST

START_TEST(cpulist_garbage_is_rejected)
{
	const char *bad[] = { "a", "0-", "-1", "1 2", "0x1", "0-3:2/4", "1;2" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_str_eq(cpulist_why(bad[i]), "expected CPU numbers and ranges like 0-3,8");
}
END_TEST

static const char *ports_why(const char *s)
{
	uint16_t first = 7, last = 7;
	const char *why = NULL;

	ck_assert_msg(parse_port_range(s, &first, &last, &why) == -EINVAL, "%s parsed", s);
	ck_assert(first == 7 && last == 7);
	return why;
}

START_TEST(port_single_and_range)
{
	uint16_t first, last;
	const char *why;

	ck_assert_int_eq(parse_port_range("9001", &first, &last, &why), 0);
	ck_assert(first == 9001 && last == 9001);
	ck_assert_int_eq(parse_port_range("30001-30010", &first, &last, &why), 0);
	ck_assert(first == 30001 && last == 30010);
	ck_assert_int_eq(parse_port_range("1-65535", &first, &last, &why), 0);
	ck_assert(first == 1 && last == 65535);
}
END_TEST

START_TEST(port_zero_and_above_65535_are_rejected)
{
	ck_assert_str_eq(ports_why("0"), "ports are 1 to 65535");
	ck_assert_str_eq(ports_why("0-10"), "ports are 1 to 65535");
	ck_assert_str_eq(ports_why("65536"), "ports are 1 to 65535");
	ck_assert_str_eq(ports_why("1-99999999999999999999999"), "ports are 1 to 65535");
}
END_TEST

START_TEST(port_reversed_range_is_rejected)
{
	ck_assert_str_eq(ports_why("10-5"), "reversed range");
}
END_TEST

START_TEST(port_garbage_is_rejected)
{
	ck_assert_str_eq(ports_why(""), "empty");
	ck_assert_str_eq(ports_why("http"), "expected a port or a range like 30001-30010");
	ck_assert_str_eq(ports_why("-5"), "expected a port or a range like 30001-30010");
	ck_assert_str_eq(ports_why("80,443"), "expected a port or a range like 30001-30010");
	ck_assert_str_eq(ports_why("1-"), "expected a port or a range like 30001-30010");
}
END_TEST

static void listen_ok(const char *s, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN];
	const char *why = NULL;
	socklen_t len;

	ck_assert_msg(parse_listen(s, &ss, &len, &why) == 0, "%s: %s", s, why);
	ck_assert_int_eq(ss.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		ck_assert_uint_eq(len, sizeof(*sin));
		ck_assert_int_eq(ntohs(sin->sin_port), port);
		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		ck_assert_uint_eq(len, sizeof(*sin6));
		ck_assert_int_eq(ntohs(sin6->sin6_port), port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
	}
	ck_assert_str_eq(text, addr);
}

static const char *listen_why(const char *s)
{
	struct sockaddr_storage ss;
	const char *why = NULL;
	socklen_t len;

	ck_assert_msg(parse_listen(s, &ss, &len, &why) == -EINVAL, "%s parsed", s);
	return why;
}

START_TEST(listen_port_alone_is_ipv4_any)
{
	listen_ok(":19435", AF_INET, "0.0.0.0", 19435);
}
END_TEST

START_TEST(listen_ipv4_address)
{
	listen_ok("127.0.0.1:80", AF_INET, "127.0.0.1", 80);
}
END_TEST

START_TEST(listen_ipv6_address_in_brackets)
{
	listen_ok("[::1]:9100", AF_INET6, "::1", 9100);
	listen_ok("[::]:19435", AF_INET6, "::", 19435);
}
END_TEST

START_TEST(listen_port_zero_and_65535_are_allowed)
{
	listen_ok(":0", AF_INET, "0.0.0.0", 0);
	listen_ok(":65535", AF_INET, "0.0.0.0", 65535);
}
END_TEST

START_TEST(listen_port_above_65535_is_rejected)
{
	ck_assert_str_eq(listen_why(":65536"), "port out of range (0 to 65535)");
}
END_TEST

START_TEST(listen_missing_port_is_rejected)
{
	ck_assert_str_eq(listen_why("127.0.0.1"), "missing ':PORT'");
	ck_assert_str_eq(listen_why(""), "missing ':PORT'");
	ck_assert_str_eq(listen_why(":"), "missing port number");
	ck_assert_str_eq(listen_why("[::1]"), "missing ':PORT' after ']'");
	ck_assert_str_eq(listen_why("[::1]80"), "missing ':PORT' after ']'");
}
END_TEST

START_TEST(listen_bad_port_is_rejected)
{
	ck_assert_str_eq(listen_why(":http"), "the port must be a decimal number");
	ck_assert_str_eq(listen_why(":80x"), "the port must be a decimal number");
	ck_assert_str_eq(listen_why(": 80"), "the port must be a decimal number");
	ck_assert_str_eq(listen_why(":-1"), "the port must be a decimal number");
}
END_TEST

START_TEST(listen_host_name_is_rejected)
{
	ck_assert_str_eq(listen_why("localhost:80"),
			 "not an IPv4 address (host names are not resolved)");
	ck_assert_str_eq(listen_why("1.2.3:80"),
			 "not an IPv4 address (host names are not resolved)");
}
END_TEST

START_TEST(listen_ipv6_needs_brackets)
{
	ck_assert_str_eq(listen_why("::1:80"), "an IPv6 address goes in brackets: [ADDR]:PORT");
	ck_assert_str_eq(listen_why("[::1:80"), "missing ']' after the IPv6 address");
	ck_assert_str_eq(listen_why("[]:80"), "not an IPv6 address");
	ck_assert_str_eq(listen_why("[1.2.3.4]:80"), "not an IPv6 address");
}
END_TEST

START_TEST(uint_is_digits_only)
{
	const char *why;
	uint64_t v = 0;

	ck_assert_int_eq(parse_uint("1000000", &v, &why), 0);
	ck_assert_uint_eq(v, 1000000);
	ck_assert_int_eq(parse_uint("1e6", &v, &why), -EINVAL);
	ck_assert_int_eq(parse_uint("-1", &v, &why), -EINVAL);
	ck_assert_int_eq(parse_uint("0x10", &v, &why), -EINVAL);
	ck_assert_int_eq(parse_uint("", &v, &why), -EINVAL);
	ck_assert_int_eq(parse_uint("18446744073709551616", &v, &why), -ERANGE);
	ck_assert_uint_eq(v, 1000000);
}
END_TEST

/* The kernel's bitmap_parselist() on a mask of nbits CPUs: what it takes. */
static const char *kcpus(const char *s, unsigned nbits)
{
	static char out[256];
	const char *why = NULL;
	cpu_set_t set;

	ck_assert_msg(parse_kernel_cpulist(s, nbits, &set, &why) == 0, "%s: %s", s, why);
	format_cpulist(&set, out, sizeof(out));
	return out;
}

static int kerr(const char *s, unsigned nbits)
{
	const char *why = NULL;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(7, &set);
	return parse_kernel_cpulist(s, nbits, &set, &why);
}

START_TEST(kernel_cpulist_takes_what_bitmap_parselist_takes)
{
	ck_assert_str_eq(kcpus("2-N", 96), "2-95");
	ck_assert_str_eq(kcpus("N", 256), "255");
	ck_assert_str_eq(kcpus("all", 8), "0-7");
	ck_assert_str_eq(kcpus("ALL", 8), "0-7");
	ck_assert_str_eq(kcpus("0-1023:2/256", 1024), "0-1,256-257,512-513,768-769");
	ck_assert_str_eq(kcpus("all:1/2", 8), "0,2,4,6");
	ck_assert_str_eq(kcpus("1-N:1/4", 16), "1,5,9,13");
	ck_assert_str_eq(kcpus("0-3:0/2", 8), "");
	ck_assert_str_eq(kcpus("", 8), "");
	ck_assert_str_eq(kcpus(",1,,3 5\t6,", 8), "1,3,5-6");
	ck_assert_str_eq(kcpus("1\n", 8), "1");
	ck_assert_str_eq(kcpus("1\n3", 8), "1");	 /* a newline ends a plain region's list */
	ck_assert_str_eq(kcpus("0-3:1/2N", 8), "0,2,7"); /* no separator after a pattern */
}
END_TEST

START_TEST(kernel_cpulist_rejects_what_bitmap_parselist_rejects)
{
	ck_assert_int_eq(kerr("3-1", 8), -EINVAL);
	ck_assert_int_eq(kerr("5:1/2", 8), -EINVAL);
	ck_assert_int_eq(kerr("0-3:3/2", 8), -EINVAL);
	ck_assert_int_eq(kerr("0-3:1/0", 8), -EINVAL);
	ck_assert_int_eq(kerr("0-3:1", 8), -EINVAL);
	ck_assert_int_eq(kerr("1 - 3", 8), -EINVAL);
	ck_assert_int_eq(kerr("abc", 8), -EINVAL);
	ck_assert_int_eq(kerr("-1", 8), -EINVAL);
	ck_assert_int_eq(kerr("+1", 8), -EINVAL);
	ck_assert_int_eq(kerr("0x1", 8), -EINVAL);
	ck_assert_int_eq(kerr("1-3x", 8), -EINVAL);
	ck_assert_int_eq(kerr("allx", 8), -EINVAL);
	ck_assert_int_eq(kerr("8", 8), -ERANGE);
	ck_assert_int_eq(kerr("0-8", 8), -ERANGE);
	ck_assert_int_eq(kerr("4294967296", 8), -EOVERFLOW);
}
END_TEST

START_TEST(cpumask_is_32_bit_words_covering_every_cpu)
{
	char buf[64];
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = 0; c < 64; c++)
		if (c != 2 && c != 3)
			CPU_SET(c, &set);
	ck_assert_int_eq(format_cpumask(&set, 64, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "ffffffff,fffffff3");
	ck_assert_int_eq(format_cpumask(&set, 96, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0,ffffffff,fffffff3");
	ck_assert_int_eq(format_cpumask(&set, 4, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "3");
	ck_assert_int_eq(format_cpumask(&set, 64, buf, 17), -ENOSPC);
}
END_TEST

START_TEST(format_cpulist_joins_runs)
{
	cpu_set_t set;
	char buf[64];

	CPU_ZERO(&set);
	ck_assert_int_eq(format_cpulist(&set, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	CPU_SET(0, &set);
	CPU_SET(1, &set);
	CPU_SET(2, &set);
	CPU_SET(5, &set);
	CPU_SET(1023, &set);
	ck_assert_int_eq(format_cpulist(&set, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0-2,5,1023");
}
END_TEST

START_TEST(format_cpulist_too_long_ends_in_dots)
{
	cpu_set_t set;
	char buf[8];
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < 20; cpu += 2)
		CPU_SET(cpu, &set);
	ck_assert_int_eq(format_cpulist(&set, buf, sizeof(buf)), -ENOSPC);
	ck_assert_str_eq(buf, "0,2,...");
}
END_TEST

START_TEST(format_duration_uses_the_largest_whole_unit)
{
	char buf[32];

	format_duration(10000000000ULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10s");
	format_duration(1500000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1500us");
	format_duration(1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1ns");
	format_duration(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0s");
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

	tc = tcase_create("duration");
	tcase_add_test(tc, duration_units_are_ns_us_ms_s);
	tcase_add_test(tc, duration_zero_is_a_duration);
	tcase_add_test(tc, duration_fraction_is_exact);
	tcase_add_test(tc, duration_fraction_of_a_nanosecond_is_rejected);
	tcase_add_test(tc, duration_bare_number_is_rejected);
	tcase_add_test(tc, duration_unknown_unit_is_rejected);
	tcase_add_test(tc, duration_negative_is_rejected);
	tcase_add_test(tc, duration_needs_digits);
	tcase_add_test(tc, duration_overflow_is_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("cpulist");
	tcase_add_test(tc, cpulist_items_and_ranges);
	tcase_add_test(tc, cpulist_tolerates_blanks_around_items);
	tcase_add_test(tc, cpulist_last_cpu_is_cpu_setsize_minus_one);
	tcase_add_test(tc, cpulist_empty_is_rejected);
	tcase_add_test(tc, cpulist_empty_item_is_rejected);
	tcase_add_test(tc, cpulist_reversed_range_is_rejected);
	tcase_add_test(tc, cpulist_garbage_is_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("port_range");
	tcase_add_test(tc, port_single_and_range);
	tcase_add_test(tc, port_zero_and_above_65535_are_rejected);
	tcase_add_test(tc, port_reversed_range_is_rejected);
	tcase_add_test(tc, port_garbage_is_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("listen");
	tcase_add_test(tc, listen_port_alone_is_ipv4_any);
	tcase_add_test(tc, listen_ipv4_address);
	tcase_add_test(tc, listen_ipv6_address_in_brackets);
	tcase_add_test(tc, listen_port_zero_and_65535_are_allowed);
	tcase_add_test(tc, listen_port_above_65535_is_rejected);
	tcase_add_test(tc, listen_missing_port_is_rejected);
	tcase_add_test(tc, listen_bad_port_is_rejected);
	tcase_add_test(tc, listen_host_name_is_rejected);
	tcase_add_test(tc, listen_ipv6_needs_brackets);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_test(tc, uint_is_digits_only);
	tcase_add_test(tc, kernel_cpulist_takes_what_bitmap_parselist_takes);
	tcase_add_test(tc, kernel_cpulist_rejects_what_bitmap_parselist_rejects);
	tcase_add_test(tc, cpumask_is_32_bit_words_covering_every_cpu);
	tcase_add_test(tc, format_cpulist_joins_runs);
	tcase_add_test(tc, format_cpulist_too_long_ends_in_dots);
	tcase_add_test(tc, format_duration_uses_the_largest_whole_unit);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(parse_suite)
