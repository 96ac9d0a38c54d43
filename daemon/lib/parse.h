/* SPDX-License-Identifier: MIT */
/* Parsers for the small value languages of the config and command line. */
#ifndef JD_PARSE_H
#define JD_PARSE_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

/* A decimal number: digits only, no sign, no base prefix.
 * Returns 0, or -EINVAL / -ERANGE (above UINT64_MAX) with *why. */
int parse_uint(const char *s, uint64_t *v, const char **why);

/*
 * "100us", "1.5ms", "2s", "250ns": a non-negative decimal and a unit
 * (ns, us, ms, s). A bare number is rejected: the unit is never guessed.
 * Returns 0, or -EINVAL with *why set to a static message.
 */
int parse_duration_ns(const char *s, uint64_t *ns, const char **why);

/* "0-3,8,10-11" (Linux cpulist). Rejects empty items, reversed ranges,
 * CPUs >= CPU_SETSIZE. Returns 0 or -EINVAL with *why. */
int parse_cpulist(const char *s, cpu_set_t *set, const char **why);

/* "30001-30010" or "9001": ports 1..65535. Returns 0 or -EINVAL with *why. */
int parse_port_range(const char *s, uint16_t *first, uint16_t *last, const char **why);

/* ":19435" (all interfaces, IPv4 0.0.0.0), "127.0.0.1:19435", "[::1]:19435",
 * "[::]:19435"; port 0 picks a free port. Returns 0 or -EINVAL with *why. */
int parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len, const char **why);

/* The inverses, for messages: "0-3,8" and "100us" (the largest unit that
 * keeps the number whole). A cpulist that does not fit ends in "...".
 * Return 0, or -ENOSPC when buf was too small (it is still a string). */
int format_cpulist(const cpu_set_t *set, char *buf, size_t size);
int format_duration(uint64_t ns, char *buf, size_t size);

#endif
