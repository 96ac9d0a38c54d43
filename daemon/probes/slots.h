/* SPDX-License-Identifier: MIT */
/*
 * Stable places for named things across reloads. A workload's or socket
 * class's counters live in a BPF map under a key; if that key were the
 * item's place in the config, a reload that inserts or removes one would
 * hand one item's counters to another. So each name keeps its slot for the
 * daemon's life: a reload gives a name it knows the same slot, and a new
 * name a slot never used, or else one whose name left the config (whose
 * counters the caller then clears: the new series starts at 0).
 */
#ifndef JD_SLOTS_H
#define JD_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

#define JD_SLOTS 32 /* bits of a __u32 mask: the most a config has of either */
_Static_assert(JD_MAX_WORKLOADS <= JD_SLOTS && JD_MAX_SOCKET_CLASSES <= JD_SLOTS,
	       "every configured item has a slot");

struct name_slots {
	char name[JD_SLOTS][JD_NAME_MAX]; /* "" = never used */
	uint32_t current;		  /* slots of the names in the config now */
};

/*
 * Give names[0..n) (distinct, n <= JD_SLOTS) their slots in slot_of[];
 * *reused gets the slots that changed name (clear their counters).
 */
void slots_assign(struct name_slots *s, const char *const *names, unsigned n, unsigned *slot_of,
		  uint32_t *reused);
/* The name in slot, or NULL when no current item has it. */
const char *slots_name(const struct name_slots *s, unsigned slot);
/* Zero the entries of a (per-CPU) array map keyed by slot for the slots in
 * the mask; zeroes is a zeroed value (all CPUs'). 0 or -errno. */
int slots_clear_map(int map_fd, uint32_t slots, const void *zeroes);

#endif
