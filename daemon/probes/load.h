/* SPDX-License-Identifier: MIT */
/*
 * Loading a collector's BPF object in a short-lived child process, so that
 * libbpf's copies of the kernel's BTF are never in the daemon's memory (see
 * load.c).
 */
#ifndef JD_LOAD_H
#define JD_LOAD_H

#include <bpf/libbpf.h>

#include "probes/probe.h"

/*
 * bpf_object__load_skeleton(s), done by a fork of the daemon: afterwards
 * the maps of s's object are the loaded ones (their fds, and the global
 * data where the skeleton points), and each chosen probe's fd is its loaded
 * program. 0 or a negative errno (libbpf's reasons are in the log).
 */
int load_skeleton(struct bpf_object_skeleton *s, struct probe *probes, unsigned n);

#endif
