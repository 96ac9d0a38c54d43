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

/*
 * A cpulist as the kernel reads it (bitmap_parselist(): isolcpus=,
 * nohz_full=, rcu_nocbs=, irqaffinity=, the /sys and /proc lists) for a
 * mask of nbits CPUs (nr_cpu_ids; at most CPU_SETSIZE). Regions are
 * separated by commas or white space, empty ones included, and "" is the
 * empty set. A region is "a", "a-b" or "all" (any case), a range or "all"
 * may end in ":used/group" (the first used CPUs of every group CPUs), and
 * "N" stands for the last CPU, nbits - 1. As the kernel, it rejects a
 * reversed range, a group of 0, used > group, a CPU >= nbits, a pattern
 * after a single CPU, blanks inside a region and any other character.
 * Unlike parse_cpulist() (the config's), which knows no nbits and allows
 * blanks around "-". Returns 0, or -EINVAL / -ERANGE / -EOVERFLOW (the
 * kernel's errors) with *why; *set is written only on success.
 */
int parse_kernel_cpulist(const char *s, unsigned nbits, cpu_set_t *set, const char **why);

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

/*
 * A cpumask as the kernel writes it and bitmap_parse() reads it back
 * (/proc/irq/N/smp_affinity, rps_cpus, xps_cpus, workqueue cpumask): 32-bit
 * hex words, most significant first, comma-separated, enough of them to
 * cover nbits CPUs ("ffffffff,fffffff3" for 64). Returns 0 or -ENOSPC.
 */
int format_cpumask(const cpu_set_t *set, unsigned nbits, char *buf, size_t size);

#endif
