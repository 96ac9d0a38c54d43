// SPDX-License-Identifier: MIT
#include "probes/slots.h"

#include <stdio.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

static int slot_named(const struct name_slots *s, const char *name)
{
	for (int i = 0; i < JD_SLOTS; i++)
		if (s->name[i][0] && !strcmp(s->name[i], name))
			return i;
	return -1;
}

/* A slot never used, else the first one no name of the new config holds. */
static int free_slot(const struct name_slots *s, uint32_t taken)
{
	int i;

	for (i = 0; i < JD_SLOTS; i++)
		if (!s->name[i][0] && !(taken & (1u << i)))
			return i;
	for (i = 0; i < JD_SLOTS; i++)
		if (!(taken & (1u << i)))
			return i;
	return -1;
}

void slots_assign(struct name_slots *s, const char *const *names, unsigned n, unsigned *slot_of,
		  uint32_t *reused)
{
	uint32_t taken = 0;
	unsigned i;

	*reused = 0;
	/* Known names first, so that a new name cannot take a slot a known one keeps. */
	for (i = 0; i < n; i++) {
		int slot = slot_named(s, names[i]);

		slot_of[i] = slot < 0 ? JD_SLOTS : (unsigned)slot;
		if (slot >= 0)
			taken |= 1u << slot;
	}
	for (i = 0; i < n; i++) {
		int slot;

		if (slot_of[i] < JD_SLOTS)
			continue;
		slot = free_slot(s, taken);
		if (slot < 0) /* n <= JD_SLOTS: not reached */
			break;
		if (s->name[slot][0])
			*reused |= 1u << slot;
		snprintf(s->name[slot], sizeof(s->name[slot]), "%s", names[i]);
		slot_of[i] = (unsigned)slot;
		taken |= 1u << slot;
	}
	s->current = taken;
}

const char *slots_name(const struct name_slots *s, unsigned slot)
{
	return slot < JD_SLOTS && (s->current & (1u << slot)) ? s->name[slot] : NULL;
}

int slots_clear_map(int map_fd, uint32_t slots, const void *zeroes)
{
	for (__u32 slot = 0; slot < JD_SLOTS; slot++)
		if ((slots & (1u << slot)) && bpf_map_update_elem(map_fd, &slot, zeroes, BPF_ANY))
			return -errno;
	return 0;
}
