// SPDX-License-Identifier: MIT
/*
 * Scheduler collector: context switches per CPU and kind, and run-queue
 * latency (how long a runnable task waited for a CPU) per CPU group and per
 * workload, from one BPF object (bpf/sched.bpf.c). Its maps are read at
 * scrape time; its events are waits over the threshold (kept in the event
 * log) and tasks that may have changed workload (matched again here, see
 * daemon/probes/workloads.h).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collectors/sched.h"
#include "probes/collector.h"
#include "anomaly/signal.h"
#include "lib/json.h"
#include "lib/hist.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "probes/slots.h"
#include "lib/yamlwalk.h"
#include "lib/util.h"
#include "probes/workloads.h"
#include "bpf/sched.h"
#include "sched.skel.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for any thread, not only a leader */
#endif

#define TASKS_BY_PID_MAX 65536 /* threads followed in the pid hash */

struct sched {
	struct sched_bpf *skel; /* the collector's, typed */
	const struct jd_config *cfg;
	bool task_storage; /* per-task state in task local storage, else tasks_by_pid */
	int task_map_fd;
	int nr_cpus;
	int *cpu_group; /* per possible CPU: index of its group, -1 for none */
	/*
	 * A group's counts are base + what its CPUs counted since the last
	 * change of cpu_groups (their counts then are snap), so that a reload
	 * that moves a CPU makes no group's counter go back.
	 */
	struct group_count {
		struct jd_hist_ns runq;
		uint64_t outliers;
	} base[JD_MAX_CPU_GROUPS];
	struct jd_sched_cpu *snap;
	struct name_slots wl_slots;
	unsigned wl_slot[JD_MAX_WORKLOADS]; /* the slot of each configured workload */
	struct jd_sched_cpu *percpu;	    /* lookup buffers: one value per possible CPU */
	struct jd_workload_stats *wl_percpu;
	unsigned long assigned; /* threads whose workload the daemon wrote */
};

static const char *const ctxsw_kind_names[JD_CTXSW_KINDS] = {
	[JD_CTXSW_VOLUNTARY] = "voluntary",
	[JD_CTXSW_INVOLUNTARY] = "involuntary",
	[JD_CTXSW_IDLE] = "idle",
};

struct sched_options {
	uint64_t runq_threshold_ns;
};
COLLECTOR_OPTIONS(struct sched_options);

static const struct yw_key sched_event_keys[] = {
	{ YW_KEY("runqueue_latency_threshold", SCALAR, yw_parse_duration),
	  YW_FIELD(struct sched_options, runq_threshold_ns), .min = 1, .max = 10 * NS_PER_S,
	  .def = "100us" },
	{},
};

static int n_groups(const struct jd_config *cfg)
{
	return cfg->n_cpu_groups ? cfg->n_cpu_groups : 1;
}

static const char *group_name(const struct jd_config *cfg, int g)
{
	return cfg->n_cpu_groups ? cfg->cpu_groups[g].name : "all";
}

/* workload: what BPF keeps, 1 + a slot. */
static const char *workload_name(const struct sched *s, unsigned workload)
{
	return workload ? slots_name(&s->wl_slots, workload - 1) : NULL;
}

_Static_assert(JD_SCHED_MAX_WORKLOADS == JD_SLOTS, "a slot per workload_stats entry");

/* ---- workload membership: the daemon matches, BPF keeps ---------------- */

/*
 * Write a thread's workload where BPF keeps it, only if it changed: the
 * write also clears the thread's run-queue stamp (the daemon never writes
 * a time it could get wrong), which loses that one wait at most.
 */
static void assign_workload(void *ctx, int tid, unsigned workload)
{
	struct sched *s = ctx;
	struct jd_task cur = {}, v = {};
	int key = tid, pidfd = -1;

	/* The walk gives 1 + the place in the config; BPF keeps 1 + the slot. */
	v.workload = workload ? s->wl_slot[workload - 1] + 1 : 0;
	workload = v.workload;

	if (s->task_storage) {
		/* Task storage is keyed by a pidfd from user space. */
		pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
		if (pidfd < 0)
			return; /* gone */
		key = pidfd;
	}
	if (bpf_map_lookup_elem(s->task_map_fd, &key, &cur))
		cur.workload = 0;
	if (cur.workload != workload) {
		if (bpf_map_update_elem(s->task_map_fd, &key, &v, BPF_ANY))
			log_debug("sched: thread %d: writing its workload: %s", tid,
				  strerror(errno));
		else
			s->assigned++;
	}
	if (pidfd >= 0)
		close(pidfd);
}

/* At start nothing has a workload yet: only the threads that match need a write. */
static void assign_initial_workload(void *ctx, int tid, unsigned workload)
{
	if (workload)
		assign_workload(ctx, tid, workload);
}

/*
 * A task execed, was renamed or moved, or a process started from one in no
 * workload: match its whole process again (the main thread's name is every
 * thread's process name). Most of these are processes that neither were
 * nor could be in a workload: their name says so, skip them.
 */
static bool on_task_event(struct collector *c, const void *event, json_t *obj)
{
	const struct jd_task_event *e = event;
	struct sched *s = c->priv;
	char comm[JD_COMM_LEN + 1];
	int tgid = (int)e->tgid;

	(void)obj;
	snprintf(comm, sizeof(comm), "%.*s", JD_COMM_LEN, e->comm);
	if (!e->workload && e->change != JD_TASK_CGROUP && comm[0] &&
	    !workload_comm_may_match(s->cfg, comm))
		return false;
	if (!tgid)
		tgid = workload_tgid_of((int)e->pid);
	if (tgid > 0)
		workload_walk_process(s->cfg, tgid, assign_workload, s);
	return false; /* bookkeeping, not news */
}

/* A wait over the threshold: logged, and handed to the anomaly detector. */
static bool on_runq_event(struct collector *c, const void *event, json_t *obj)
{
	const struct jd_runq_event *e = event;
	const struct sched *s = c->priv;
	const char *workload = workload_name(s, e->workload);
	char prev[JD_COMM_LEN + 1];

	snprintf(prev, sizeof(prev), "%.*s", JD_COMM_LEN, e->prev_comm);
	anomaly_note_outlier(e->hdr.cpu, e->workload, prev, e->latency_ns);

	json_set_u64(obj, "pid", e->pid);
	json_set_bytes(obj, "comm", e->comm, sizeof(e->comm));
	json_set_u64(obj, "latency_ns", e->latency_ns);
	if (workload)
		json_set_str(obj, "workload", workload);
	json_set_u64(obj, "prev_pid", e->prev_pid);
	json_set_bytes(obj, "prev_comm", e->prev_comm, sizeof(e->prev_comm));
	json_set_u64(obj, "prev_ran_ns", e->prev_ran_ns);
	return true;
}

static const struct event_def sched_events[] = {
	[JD_SCHED_EVENT_RUNQ_LATENCY] = { .name = "runqueue_latency",
					  .size = sizeof(struct jd_runq_event),
					  .handle = on_runq_event },
	[JD_SCHED_EVENT_TASK] = { .name = "task",
				  .size = sizeof(struct jd_task_event),
				  .handle = on_task_event,
				  .bookkeeping = true },
};

/* ---- start and stop ---------------------------------------------------- */

static bool has_workloads(const struct jd_config *cfg)
{
	return cfg->n_workloads > 0;
}

static bool has_cgroup_workloads(const struct jd_config *cfg)
{
	return cfg->n_workloads > 0 && workload_uses_cgroups(cfg);
}

/*
 * The switch probe comes first: a wait is never stamped before the program
 * that ends it runs. Workload membership needs the rest. The first three
 * are the run-queue wait's (runq_path()).
 */
static const struct probe_def sched_probes[] = {
	PROBE_TRACEPOINT_DEF("sched", "sched_switch", "switch"),
	PROBE_TRACEPOINT_DEF("sched", "sched_wakeup", "wakeup"),
	PROBE_TRACEPOINT_DEF("sched", "sched_wakeup_new", "wake_new"),
	{ .name = "sched_process_fork",
	  .system = "sched",
	  .prog = "fork",
	  .wanted = has_workloads },
	{ .name = "sched_process_exec",
	  .system = "sched",
	  .prog = "exec",
	  .wanted = has_workloads },
	{ .name = "task_rename", .system = "task", .prog = "rename", .wanted = has_workloads },
	{ .name = "cgroup_attach_task",
	  .system = "cgroup",
	  .prog = "cgroup",
	  .wanted = has_cgroup_workloads },
};

/*
 * Task local storage (5.11+) is cheaper than a pid hash and needs no
 * cleanup, but only BTF-typed programs can name a task that is not
 * current (next, at sched_switch), and with workloads the daemon writes
 * other processes' threads, which needs pidfds for threads (6.9+).
 * JITTERD_TASK_MAP=hash forces the hash (a testing aid).
 */
static bool want_task_storage(const struct collector *c, const struct jd_config *cfg,
			      const char **why)
{
	const char *force = getenv("JITTERD_TASK_MAP");

	if (force && !strcmp(force, "hash")) {
		*why = "JITTERD_TASK_MAP=hash";
		return false;
	}
	for (unsigned i = 0; i < c->n_probes; i++) {
		enum probe_attach a = c->probes[i].attach;

		if (a != PROBE_NONE && a != PROBE_TP_BTF && a != PROBE_SCHED_INFO) {
			*why = "not every hook is tp_btf";
			return false;
		}
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1) {
		*why = "no task local storage in this kernel";
		return false;
	}
	if (cfg->n_workloads) {
		int pidfd = (int)syscall(SYS_pidfd_open, getpid(), PIDFD_THREAD);

		if (pidfd < 0) {
			*why = "no pidfds for threads (PIDFD_THREAD) in this kernel";
			return false;
		}
		close(pidfd);
	}
	return true;
}

static void map_cpus_to_groups(struct sched *s, const struct jd_config *cfg)
{
	for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
		s->cpu_group[cpu] = cfg->n_cpu_groups ? -1 : 0;
		for (int g = 0; g < cfg->n_cpu_groups && cpu < CPU_SETSIZE; g++)
			if (CPU_ISSET(cpu, &cfg->cpu_groups[g].cpus))
				s->cpu_group[cpu] = g;
	}
}

static void assign_workload_slots(struct sched *s, const struct jd_config *cfg, uint32_t *reused)
{
	const char *names[JD_MAX_WORKLOADS];

	for (int w = 0; w < cfg->n_workloads; w++)
		names[w] = cfg->workloads[w].name;
	slots_assign(&s->wl_slots, names, (unsigned)cfg->n_workloads, s->wl_slot, reused);
}

/*
 * A wait starts at a wakeup and ends at a switch: the three hooks measure
 * it the same way. Where they differ (only JITTERD_ATTACH can make them:
 * each sched_info variant needs the same fields), those on sched_info use
 * their tp_btf variant, whose trial theirs includes. Returns whether the
 * wait comes from the sched_info clocks.
 */
#define RUNQ_HOOKS 3 /* the first rows of sched_probes, always wanted */

static bool runq_path(struct collector *c)
{
	unsigned si = 0;

	for (unsigned i = 0; i < RUNQ_HOOKS; i++)
		si += c->probes[i].attach == PROBE_SCHED_INFO;
	if (si > 0 && si < RUNQ_HOOKS)
		for (unsigned i = 0; i < RUNQ_HOOKS; i++)
			probe_demote(&c->probes[i], PROBE_TP_BTF,
				     "sched_info: not used, the other run-queue hooks are not");
	log_info("sched: run-queue latency from %s",
		 si == RUNQ_HOOKS ? "the kernel's sched_info clocks" : "stamps (bpf_ktime_get_ns)");
	return si == RUNQ_HOOKS;
}

static int sched_configure(struct collector *c, const struct jd_config *cfg)
{
	struct sched *s = c->priv;
	const char *why = NULL;
	bool sched_info = runq_path(c);
	uint32_t reused;

	s->skel = c->skel;
	s->cfg = cfg;
	s->nr_cpus = c->nr_cpus;
	s->percpu = calloc(s->nr_cpus, sizeof(*s->percpu));
	s->snap = calloc(s->nr_cpus, sizeof(*s->snap));
	s->wl_percpu = calloc(s->nr_cpus, sizeof(*s->wl_percpu));
	s->cpu_group = malloc(s->nr_cpus * sizeof(*s->cpu_group));
	if (!s->percpu || !s->snap || !s->wl_percpu || !s->cpu_group)
		return -ENOMEM;
	map_cpus_to_groups(s, cfg);
	assign_workload_slots(s, cfg, &reused);
	/* prev_state became a sched_switch argument in 5.18; ask BTF, not uname. */
	s->skel->rodata->switch_has_prev_state = probe_tracepoint_nargs("sched_switch") >= 4;
	s->skel->data->runq_threshold_ns =
		((const struct sched_options *)collector_options(c, cfg))->runq_threshold_ns;
	/* Read at switches only on the sched_info path. */
	bpf_map__set_autocreate(s->skel->maps.rq_clocks, sched_info);
	bpf_map__set_max_entries(s->skel->maps.rq_clocks, (unsigned)s->nr_cpus);
	s->task_storage = want_task_storage(c, cfg, &why);
	s->skel->rodata->task_storage_mode = s->task_storage;
	bpf_map__set_autocreate(s->skel->maps.task_store, s->task_storage);
	bpf_map__set_autocreate(s->skel->maps.tasks_by_pid, !s->task_storage);
	bpf_map__set_max_entries(s->skel->maps.tasks_by_pid, TASKS_BY_PID_MAX);
	if (s->task_storage)
		log_info("sched: per-task state in task local storage");
	else
		log_info("sched: per-task state in a pid hash (%s)", why);
	return 0;
}

static int sched_loaded(struct collector *c, const struct jd_config *cfg)
{
	struct sched *s = c->priv;

	(void)cfg;
	s->task_map_fd = bpf_map__fd(s->task_storage ? s->skel->maps.task_store
						     : s->skel->maps.tasks_by_pid);
	return 0;
}

/* After attach: threads started from now on inherit at fork. */
static void sched_attached(struct collector *c, const struct jd_config *cfg)
{
	struct sched *s = c->priv;

	if (!cfg->n_workloads)
		return;
	workload_walk_all(cfg, assign_initial_workload, s);
	log_info("sched: %lu threads in workloads", s->assigned);
}

static void sched_finish(struct collector *c)
{
	struct sched *s = c->priv;

	free(s->cpu_group);
	free(s->percpu);
	free(s->snap);
	free(s->wl_percpu);
}

/* ---- scrape ------------------------------------------------------------ */

/* Per CPU: its context switches, and its group (what PromQL joins per-CPU series by). */
static void collect_context_switches(struct sched *s, struct metrics *m)
{
	struct metric_family *f, *group;
	char cpu[16];

	group = metrics_family(m, SCHED_CPU_GROUP_INFO,
			       "Always 1: the CPU group (cpu_groups of the config) of each CPU.",
			       METRIC_GAUGE, METRIC_UNIT_NONE);
	f = metrics_family(m, SCHED_CONTEXT_SWITCHES,
			   "Context switches by CPU and kind: voluntary (the task blocked), "
			   "involuntary (preempted or yielded while runnable), idle (the idle "
			   "task gave up the CPU). The kinds sum to /proc/stat ctxt.",
			   METRIC_COUNTER, METRIC_UNIT_NONE);
	for (int i = 0; i < s->nr_cpus; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		for (int k = 0; k < JD_CTXSW_KINDS; k++)
			metric_u64(f, s->percpu[i].ctxsw[k], "cpu", cpu, "kind",
				   ctxsw_kind_names[k], LABELS_END);
		if (s->cpu_group[i] >= 0)
			metric_u64(group, 1, "cpu", cpu, "cpu_group",
				   group_name(s->cfg, s->cpu_group[i]), LABELS_END);
	}
}

/* Group g's counts from s->percpu: its base + its CPUs' counts since snap. */
static void group_count(const struct sched *s, int g, struct group_count *n)
{
	*n = s->base[g];
	for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
		const struct jd_sched_cpu *now = &s->percpu[cpu], *then = &s->snap[cpu];

		if (s->cpu_group[cpu] != g)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(n->runq.slots); i++)
			n->runq.slots[i] += now->runq.slots[i] - then->runq.slots[i];
		n->runq.sum += now->runq.sum - then->runq.sum;
		n->outliers += now->runq_outliers - then->runq_outliers;
	}
}

static void collect_cpu_groups(struct sched *s, struct metrics *m)
{
	struct metric_family *hist, *outliers;

	hist = metrics_family(m, SCHED_RUNQUEUE_LATENCY,
			      "Run-queue latency: from a task becoming runnable (woken, new, or "
			      "preempted) to it getting a CPU, by the CPU group that ran it.",
			      METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	outliers = metrics_family(m, SCHED_RUNQUEUE_LATENCY_OUTLIERS,
				  "Run-queue waits at or over events.runqueue_latency_threshold, "
				  "by CPU group (each is also an event at /events unless the ring "
				  "was full).",
				  METRIC_COUNTER, METRIC_UNIT_NONE);
	for (int g = 0; g < n_groups(s->cfg); g++) {
		struct group_count n;
		struct metric_hist mh;

		group_count(s, g, &n);
		mh = hist_ns_metric(&n.runq);
		metric_hist(hist, &mh, "cpu_group", group_name(s->cfg, g), LABELS_END);
		metric_u64(outliers, n.outliers, "cpu_group", group_name(s->cfg, g), LABELS_END);
	}
}

static void collect_workloads(struct sched *s, struct metrics *m)
{
	int fd = bpf_map__fd(s->skel->maps.workload_stats);
	struct metric_family *hist, *ctxsw;

	if (!s->cfg->n_workloads)
		return;
	hist = metrics_family(m, SCHED_WORKLOAD_RUNQUEUE_LATENCY,
			      "Run-queue latency of the threads of a workload.", METRIC_HISTOGRAM,
			      METRIC_UNIT_SECONDS);
	ctxsw = metrics_family(m, SCHED_WORKLOAD_CONTEXT_SWITCHES,
			       "Context switches of the threads of a workload: voluntary (blocked) "
			       "or involuntary (preempted or yielded), as /proc/PID/status counts "
			       "them.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	for (int w = 0; w < s->cfg->n_workloads; w++) {
		struct jd_workload_stats sum = {};
		const char *name = s->cfg->workloads[w].name;
		__u32 key = s->wl_slot[w];
		struct metric_hist mh;

		if (bpf_map_lookup_elem(fd, &key, s->wl_percpu)) {
			log_warn("sched: reading workload_stats: %s", strerror(errno));
			return;
		}
		for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
			for (int k = 0; k < JD_CTXSW_IDLE; k++)
				sum.ctxsw[k] += s->wl_percpu[cpu].ctxsw[k];
			hist_ns_merge(&sum.runq, &s->wl_percpu[cpu].runq);
		}
		mh = hist_ns_metric(&sum.runq);
		metric_hist(hist, &mh, "workload", name, LABELS_END);
		for (int k = 0; k < JD_CTXSW_IDLE; k++)
			metric_u64(ctxsw, sum.ctxsw[k], "workload", name, "kind",
				   ctxsw_kind_names[k], LABELS_END);
	}
}

static int read_sched_cpu(struct sched *s)
{
	__u32 zero = 0;

	int err = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.sched_cpu), &zero, s->percpu)) {
		err = -errno;
		log_warn("sched: reading sched_cpu: %s", strerror(-err));
	}
	return err;
}

static void sched_collect(struct collector *c, struct metrics *m)
{
	struct sched *s = c->priv;

	if (read_sched_cpu(s))
		return;
	collect_context_switches(s, m);
	collect_cpu_groups(s, m);
	collect_workloads(s, m);
}

/* ---- reload ------------------------------------------------------------ */

static bool groups_differ(const struct jd_config *old, const struct jd_config *new)
{
	return old->n_cpu_groups != new->n_cpu_groups ||
	       memcmp(old->cpu_groups, new->cpu_groups, sizeof(old->cpu_groups));
}

static bool workloads_differ(const struct jd_config *old, const struct jd_config *new)
{
	return old->n_workloads != new->n_workloads ||
	       memcmp(old->workloads, new->workloads, sizeof(old->workloads));
}

/*
 * New groups: each starts from what the old group of its name counted (a
 * group new by name, from what its CPUs counted since jitterd started),
 * and adds what its CPUs count from now on.
 */
static int regroup(struct sched *s, const struct jd_config *old, const struct jd_config *new)
{
	struct group_count base[JD_MAX_CPU_GROUPS] = {};
	int err = read_sched_cpu(s);

	if (err)
		return err;
	for (int g = 0; g < n_groups(new); g++) {
		int og;

		for (og = 0; og < n_groups(old); og++)
			if (!strcmp(group_name(old, og), group_name(new, g)))
				break;
		if (og < n_groups(old)) {
			group_count(s, og, &base[g]);
			continue;
		}
		for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
			if (!(cpu < CPU_SETSIZE &&
			      (!new->n_cpu_groups || CPU_ISSET(cpu, &new->cpu_groups[g].cpus))))
				continue;
			hist_ns_merge(&base[g].runq, &s->percpu[cpu].runq);
			base[g].outliers += s->percpu[cpu].runq_outliers;
		}
	}
	memcpy(s->base, base, sizeof(base));
	memcpy(s->snap, s->percpu, s->nr_cpus * sizeof(*s->snap));
	map_cpus_to_groups(s, new);
	return 0;
}

static int sched_reconfigure(struct collector *c, const struct jd_config *old,
			     const struct jd_config *new)
{
	struct sched *s = c->priv;
	uint32_t reused;
	int err;

	s->skel->data->runq_threshold_ns =
		((const struct sched_options *)collector_options(c, new))->runq_threshold_ns;
	if (groups_differ(old, new) && (err = regroup(s, old, new)))
		return err;
	if (!workloads_differ(old, new))
		return 0;
	assign_workload_slots(s, new, &reused);
	/* Slots whose name left the config and now serve a new one start at 0. */
	memset(s->wl_percpu, 0, s->nr_cpus * sizeof(*s->wl_percpu));
	err = slots_clear_map(bpf_map__fd(s->skel->maps.workload_stats), reused, s->wl_percpu);
	if (err)
		return err;
	/* Every thread matched again: new members get their slot, old ones 0. */
	s->assigned = 0;
	workload_walk_all(new, assign_workload, s);
	log_info("sched: workloads changed: %lu threads moved", s->assigned);
	return 0;
}

/* ---- what the anomaly detector may judge it by ---------------------------- */

static const struct signal_config runq_wait_config = {
	.name = "runqueue_wait",
	.unit = SIGNAL_PERCENT,
	.floor = "10",
	.floor_min = 1,
	.floor_max = 10000,
};
static const struct signal_config runq_latency_config = {
	.name = "runqueue_latency",
	.unit = SIGNAL_SECONDS,
	.floor = "500us",
	.floor_min = NS_PER_US,
	.floor_max = 10 * NS_PER_S,
	.quantiles = true,
};
static const struct signal_config outlier_rate_config = {
	.name = "outlier_rate",
	.unit = SIGNAL_RATE,
	.floor = "50",
	.floor_min = 1,
	.floor_max = 10000000,
};
static const struct signal_config ctxsw_rate_config = {
	.name = "context_switch_rate",
	.unit = SIGNAL_RATE,
	.floor = "20000",
	.floor_min = 1,
	.floor_max = 100000000,
};
static const struct signal_config involuntary_share_config = {
	.name = "involuntary_share",
	.unit = SIGNAL_PERCENT,
	.floor = "20",
	.floor_min = 1,
	.floor_max = 100,
};

/* Per cpu group and per workload, from the two run-queue latency histograms. */
#define RUNQ_SOURCES                                                                               \
	{                                                                                          \
		{ .family = SCHED_RUNQUEUE_LATENCY,                                                \
		  .subject = SIGNAL_CPU_GROUP,                                                     \
		  .label = "cpu_group" },                                                          \
			{ .family = SCHED_WORKLOAD_RUNQUEUE_LATENCY,                               \
			  .subject = SIGNAL_WORKLOAD,                                              \
			  .label = "workload" },                                                   \
	}
#define RUNQ_QUANTILE(n, q, w)                                                                     \
	{                                                                                          \
		.name = (n), .config = &runq_latency_config, .words = (w),                         \
		.judge = SIGNAL_QUANTILE, .from = RUNQ_SOURCES, .quantile = (q),                   \
		.evidence = { "waits" }, .quantile_evidence = true,                                \
	}

static const struct signal_def sched_signals[] = {
	{ .name = "runqueue_wait",
	  .config = &runq_wait_config,
	  .words = "time spent waiting for a CPU",
	  .judge = SIGNAL_WAIT_SHARE,
	  .from = RUNQ_SOURCES,
	  .evidence = { "waits", "wait_seconds" } },
	RUNQ_QUANTILE("runqueue_latency_p50", SIGNAL_P50, "run-queue latency p50"),
	RUNQ_QUANTILE("runqueue_latency_p99", SIGNAL_P99, "run-queue latency p99"),
	RUNQ_QUANTILE("runqueue_latency_p999", SIGNAL_P999, "run-queue latency p99.9"),
	{ .name = "runqueue_outlier_rate",
	  .config = &outlier_rate_config,
	  .words = "run-queue waits over the outlier threshold",
	  .judge = SIGNAL_RATE_OF,
	  .from = { { .family = SCHED_RUNQUEUE_LATENCY_OUTLIERS,
		      .subject = SIGNAL_CPU_GROUP,
		      .label = "cpu_group" } },
	  .evidence = { "outlier_waits" } },
	{ .name = "context_switch_rate",
	  .config = &ctxsw_rate_config,
	  .words = "context switches",
	  .judge = SIGNAL_RATE_OF,
	  .from = { { .family = SCHED_CONTEXT_SWITCHES, .subject = SIGNAL_CPU, .label = "cpu" } },
	  .by = "kind" },
	{ .name = "involuntary_share",
	  .config = &involuntary_share_config,
	  .words = "share of involuntary context switches",
	  .judge = SIGNAL_SHARE_OF,
	  .from = { { .family = SCHED_CONTEXT_SWITCHES, .subject = SIGNAL_CPU, .label = "cpu" },
		    { .family = SCHED_WORKLOAD_CONTEXT_SWITCHES,
		      .subject = SIGNAL_WORKLOAD,
		      .label = "workload" } },
	  .by = "kind",
	  .of = "involuntary",
	  .vs = "voluntary" },
};

COLLECTOR_SKELETON(sched)

const struct collector_ops sched_collector = {
	.name = "sched",
	.open = sched_open,
	.priv_size = sizeof(struct sched),
	.probes = sched_probes,
	.n_probes = ARRAY_SIZE(sched_probes),
	.events = sched_events,
	.n_events = ARRAY_SIZE(sched_events),
	.event_keys = sched_event_keys,
	.signals = sched_signals,
	.n_signals = ARRAY_SIZE(sched_signals),
	.configure = sched_configure,
	.loaded = sched_loaded,
	.attached = sched_attached,
	.reconfigure = sched_reconfigure,
	.collect = sched_collect,
	.finish = sched_finish,
};
