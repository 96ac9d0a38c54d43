/* SPDX-License-Identifier: MIT */
/*
 * Kernel addresses to function names, from /proc/kallsyms, lazily.
 *
 * The whole table of text symbols would cost ~4 MiB here (121 000
 * symbols, 2.9 MB of names) against a daemon of ~9.5 MiB; the addresses
 * the noise collector sees are a few dozen call sites and functions. So
 * ksyms_open() opens the file while the daemon is still root (the kernel
 * decides at open whether a reader sees addresses, by the opener's
 * credentials, and keeps that for the open file after privileges are
 * dropped), and each address asked for is resolved by one pass over the
 * file (~40 ms), batched: every address wanted since the last pass goes in
 * the same one. Names found, and addresses that have none, are cached; the
 * cache holds at most KSYMS_CACHE addresses, and an address beyond that has
 * no name (the caller prints it in hex).
 */
#ifndef JD_KSYMS_H
#define JD_KSYMS_H

#include <stdbool.h>
#include <stdint.h>

#define KSYMS_CACHE 1024

struct ksyms;

/* path: /proc/kallsyms (a test's file). NULL when it cannot be read, or shows no addresses. */
struct ksyms *ksyms_open(const char *path);
void ksyms_close(struct ksyms *k);

/* Note addr to be resolved by the next ksyms_resolve() (unless cached). */
void ksyms_want(struct ksyms *k, uint64_t addr);
/* One pass over the file for every address wanted; returns 0 or a negative errno. */
int ksyms_resolve(struct ksyms *k);
/*
 * The name of the text symbol that holds addr (the nearest at or below it,
 * within 1 MiB), "" when there is none, NULL when not resolved yet (or
 * the cache is full). offset: addr's distance from the symbol, if asked.
 */
const char *ksyms_name(const struct ksyms *k, uint64_t addr, uint64_t *offset);
/* ksyms_want(), ksyms_resolve() when needed, ksyms_name(). */
const char *ksyms_lookup(struct ksyms *k, uint64_t addr, uint64_t *offset);

/* Passes made and addresses cached, for the daemon's own view of its cost. */
unsigned ksyms_passes(const struct ksyms *k);
unsigned ksyms_cached(const struct ksyms *k);

#endif
