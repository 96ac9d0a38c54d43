// SPDX-License-Identifier: MIT
#include "mem.h"

#include <malloc.h>

#include "probe.h"

void mem_init(void)
{
	/*
	 * One arena: the daemon's work is on one thread, and another arena is
	 * up to 64 MB of address space and its own free lists. A fixed mmap
	 * threshold: glibc raises it when a large block is freed, after which
	 * blocks as large as the kernel's BTF (libbpf parses ~6 MB of it per
	 * object loaded) come from the heap and stay in RSS after their free.
	 */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

void mem_settle(void)
{
	probe_release_btf();
	malloc_trim(0);
}
