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
#include <stddef.h>

enum probe_attach {
	PROBE_NONE,
	/* tp_btf programs that take the run-queue wait from the kernel's own
	 * sched_info clocks (task_struct::sched_info, struct rq): tried first,
	 * for the probes that have such a variant (<prog>_si), where this
	 * kernel's BTF has every field they read. */
	PROBE_SCHED_INFO,
	PROBE_TP_BTF,
	PROBE_RAW_TP,
	PROBE_TRACEPOINT,
	PROBE_FENTRY,
	PROBE_KPROBE,
	PROBE_ATTACH_TYPES,
	PROBE_FIRST = PROBE_SCHED_INFO, /* the best type, tried first */
};

struct jd_config;

/*
 * A hook as a collector declares it. Its programs in the BPF object are
 * named <prog>_si (sched_info), <prog>_btf, <prog>_raw, <prog>_tp (the tracepoint flavours),
 * <prog>_fentry and <prog>_kprobe (on function): those that exist are the
 * variants tried.
 */
struct probe_def {
	const char *name;     /* the tracepoint; label value of jitterd_probe_attached{probe} */
	const char *system;   /* its tracepoint system ("sched") */
	const char *function; /* kernel function for the fentry/kprobe variants, or NULL */
	const char *prog;
	/* Whether the config needs this hook; NULL: always. Programs of hooks
	 * that are not wanted are not loaded. */
	bool (*wanted)(const struct jd_config *cfg);
	/* The probe="" label, --probes and JITTERD_ATTACH name where another collector hooks
	 * the same tracepoint (series must differ); NULL: name. */
	const char *label;
	/* A member the classic tracepoint variant reads from its record (struct
	 * `record` in the kernel's BTF, e.g. trace_event_raw_tcp_probe): where
	 * the record lacks it, that variant cannot work and is not tried. NULL:
	 * no such need. */
	const char *record, *record_member;
};

/* The usual declaration: a tracepoint and no function hook. */
#define PROBE_TRACEPOINT_DEF(sys, tp, prefix)                                                      \
	{                                                                                          \
		.name = (tp), .system = (sys), .prog = (prefix)                                    \
	}

struct probe {
	const char *name;		    /* the tracepoint, from the probe_def */
	const char *label;		    /* the probe_def's label, or name */
	const char *system;		    /* tracepoint system */
	const char *function;		    /* kernel function for fentry/kprobe variants */
	const char *record, *record_member; /* from the probe_def */
	struct bpf_program *prog[PROBE_ATTACH_TYPES]; /* the object's variant per attach type */

	enum probe_attach attach; /* chosen, then attached; PROBE_NONE if neither */
	unsigned works;		  /* 1u << type for each variant whose trial passed */
	char why[256];		  /* why the variants that were tried and failed did */
	int fd;			  /* the chosen variant, loaded (load_skeleton()), or -1 */
	int link; /* what holds it on its hook once attached (a BPF link, or the perf
		     event of a classic tracepoint or kprobe), or -1 */
};

/*
 * Once per process: vmlinux BTF is required (returns -ENOENT without it).
 * The probe layer's questions about the kernel's BTF (which BTF ids the
 * trials attach to, which fields the sched_info variant reads, how many
 * arguments a tracepoint has) are answered by a child process that parsed
 * it (some 6 MB, 11 MB while libbpf parses), so that the daemon never
 * holds it.
 */
int probe_init(void);
void probe_finish(void);
/*
 * End the BTF child: before a BPF object is loaded (the loading process
 * parses its own copy then) and once the collectors run. The next question
 * that needs it starts another.
 */
void probe_release_btf(void);

/*
 * For `jitterd --probes`: from now on probe_select() tries every variant
 * (so `works` is complete) and probe_attach() attaches nothing, so that the
 * collectors can be started and stopped just to see what this kernel takes.
 */
void probe_survey(void);
/* Whether this is such a survey (a collector then serves nothing). */
bool probe_surveying(void);

/* p from its declaration, with the variants that obj has. Before load. */
void probe_resolve(struct probe *p, const struct probe_def *d, struct bpf_object *obj);

/*
 * Before the object is loaded: pick each probe's attach type and load only
 * that variant (none when nothing works on this kernel). Programs of no
 * probe are the caller's to keep from loading.
 */
void probe_select(struct probe *probes, unsigned n);
/*
 * Before load: use type `to` (a worse one, whose trial the chosen one's
 * implies) instead of the chosen type, noting why; for hooks that must
 * agree with each other. No-op if p has no such variant or nothing chosen.
 */
void probe_demote(struct probe *p, enum probe_attach to, const char *why);
/* After load: attach the chosen programs. A failure marks that probe NONE. */
void probe_attach(struct probe *probes, unsigned n);
void probe_detach(struct probe *probes, unsigned n);

const char *probe_attach_name(enum probe_attach a);
/*
 * Testing aid: JITTERD_ATTACH=raw_tp (etc.) makes that type the best one
 * tried; JITTERD_ATTACH=PROBE=TYPE[,...] does it for the probes named.
 */
int probe_parse_attach(const char *s, enum probe_attach *a);
/*
 * Forget what was forced, then force what spec (JITTERD_ATTACH's value; NULL
 * or "" forces nothing) says. probe_init() calls it with the environment's.
 * -EINVAL (logged, and nothing forced) for an item that is not TYPE or
 * PROBE=TYPE, a PROBE longer than 31 bytes, or more than 16 PROBE=TYPE.
 */
int probe_force(const char *spec);

/*
 * Number of arguments a tracepoint passes to BTF-typed programs (the
 * btf_trace_<name> prototype, without its leading context pointer), or a
 * negative errno. Lets BPF programs adapt to signature changes by BTF.
 */
int probe_tracepoint_nargs(const char *tracepoint);

/*
 * Testing aid, for the unit tests only: the trial probe_select() runs on one
 * variant of p, 0 if it works, else a negative errno and the reason in why.
 * The default loads an empty program of that type and attaches it.
 */
extern int (*probe_trial)(const struct probe *p, enum probe_attach a, char *why, size_t len);

#endif
