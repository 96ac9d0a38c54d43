/* SPDX-License-Identifier: MIT */
/*
 * Which workload a thread belongs to: the matching of config `workloads`
 * against what /proc says of a thread. It runs in the daemon, once per
 * thread and again when the thread execs, is renamed or changes cgroup;
 * never per scheduler event.
 *
 * A thread belongs to the first workload (in config order) whose comm glob
 * matches its own name or its process's (the main thread's) name, and
 * whose cgroup, when given, is the thread's cgroup v2 or an ancestor of it.
 * So a process named "strat" is followed with all its threads whatever
 * they are called, and a thread named "strat-3" is followed in any process.
 */
#ifndef JD_WORKLOADS_H
#define JD_WORKLOADS_H

#include <stdbool.h>

#include "core/config.h"

/* 1 + the index in cfg->workloads of the thread's workload; 0 for none.
 * cgroup is the thread's cgroup v2 path ("/a/b"), or NULL if unknown. */
unsigned workload_match(const struct jd_config *cfg, const char *comm, const char *process_comm,
			const char *cgroup);

/* Whether a thread with this name (and any cgroup) could belong to some
 * workload: lets the daemon ignore most execs and renames cheaply. */
bool workload_comm_may_match(const struct jd_config *cfg, const char *comm);
/* Whether some workload is selected by cgroup. */
bool workload_uses_cgroups(const struct jd_config *cfg);

/* What a walk finds: one thread and the workload it belongs to (maybe 0). */
typedef void (*workload_visit)(void *ctx, int tid, unsigned workload);

/*
 * Visit every thread of process tgid, including threads started while the
 * walk runs (it lists the threads again until no new one shows up).
 * Returns 0, or -ESRCH when the process is gone.
 */
int workload_walk_process(const struct jd_config *cfg, int tgid, workload_visit visit, void *ctx);
/* The same for every process on the machine. */
int workload_walk_all(const struct jd_config *cfg, workload_visit visit, void *ctx);
/* The process (thread group) of a thread, from /proc; negative errno if gone. */
int workload_tgid_of(int tid);

#endif
