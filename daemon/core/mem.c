// SPDX-License-Identifier: MIT
#include "core/mem.h"

#include <malloc.h>

#include "probes/probe.h"

void mem_init(void)
{
	/*
	 * One arena: the daemon's work is on one thread, and another arena is
	 * up to 64 MB of address space and its own free lists. A fixed mmap
	 * threshold: glibc raises it when a large block is freed, after which
	 * large blocks (a scrape's buffers, an /events reply) come from the
	 * heap and stay in RSS after their free. (The largest of all, the
	 * kernel's BTF, is parsed in child processes: probe.c, load.c.)
	 */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

void mem_settle(void)
{
	probe_release_btf(); /* ends the BTF child */
	malloc_trim(0);
}
