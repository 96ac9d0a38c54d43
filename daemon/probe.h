/* SPDX-License-Identifier: MIT */
/*
 * The probe layer: for each kernel hook a collector wants, choose the best
 * attach type this kernel accepts (tp_btf -> raw_tp -> classic tracepoint;
 * fentry -> kprobe for function hooks), by trial-loading an empty program of
 * that type and attaching it, before the collector's real object is loaded.
 * A hook that cannot attach is reported and left out; the rest carry on.
 */
#ifndef JD_PROBE_H
#define JD_PROBE_H

#include <bpf/libbpf.h>
#include <stdbool.h>

enum probe_attach {
	PROBE_NONE,
	PROBE_TP_BTF,
	PROBE_RAW_TP,
	PROBE_TRACEPOINT,
	PROBE_FENTRY,
	PROBE_KPROBE,
	PROBE_ATTACH_TYPES,
};

struct probe {
	/* Filled by the collector. */
	const char *name;     /* label value of jitterd_probe_attached{probe} */
	const char *system;   /* tracepoint system ("sched"); NULL for function hooks */
	const char *target;   /* tracepoint name; NULL without a tracepoint */
	const char *function; /* kernel function for fentry/kprobe variants */
	struct bpf_program *prog[PROBE_ATTACH_TYPES]; /* the object's variant per attach type */

	/* Filled by the probe layer. */
	enum probe_attach attach; /* chosen, then attached; PROBE_NONE if neither */
	unsigned works;		  /* 1u << type for each variant whose trial passed */
	char why[256];		  /* why the variants that were tried and failed did */
	struct bpf_link *link;
};

/* Once per process: vmlinux BTF is required (returns -ENOENT without it). */
int probes_init(void);
void probes_finish(void);

/*
 * For `jitterd --probes`: from now on probes_select() tries every variant
 * (so `works` is complete) and probes_attach() attaches nothing, so that the
 * collectors can be started and stopped just to see what this kernel takes.
 */
void probes_survey(void);

/*
 * Before the object is loaded: pick each probe's attach type and turn
 * autoload off for every other variant (and for all of them when nothing
 * works on this kernel).
 */
void probes_select(struct probe *probes, unsigned n);
/* After load: attach the chosen programs. A failure marks that probe NONE. */
void probes_attach(struct probe *probes, unsigned n);
void probes_detach(struct probe *probes, unsigned n);

const char *probe_attach_name(enum probe_attach a);
/*
 * Testing aid: JITTERD_ATTACH=raw_tp (etc.) makes that type the best one
 * tried; JITTERD_ATTACH=PROBE=TYPE[,...] does it for the probes named.
 */
int probe_parse_attach(const char *s, enum probe_attach *a);

/*
 * Number of arguments a tracepoint passes to BTF-typed programs (the
 * btf_trace_<name> prototype, without its leading context pointer), or a
 * negative errno. Lets BPF programs adapt to signature changes by BTF.
 */
int probe_tracepoint_nargs(const char *tracepoint);

#endif
