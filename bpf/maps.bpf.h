/* SPDX-License-Identifier: MIT */
#ifndef JD_MAPS_BPF_H
#define JD_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

/*
 * The value under key, created from init if there is none. BPF_NOEXIST:
 * another CPU may have created it in between, and its value must win. A
 * full map gives NULL.
 */
static __always_inline void *map_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

#endif
