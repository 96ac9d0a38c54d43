// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Scheduler collector, kernel side.
 *
 * sched_switch: one program per switch does both jobs: it counts the switch
 * by kind and ends the run-queue wait of the task that gets the CPU; a prev
 * that stays runnable (preempted, yielded) starts a wait.
 * sched_wakeup, sched_wakeup_new: a task becomes runnable, its wait starts.
 *
 * Two ways to measure a wait. The sched_info flavour (where the kernel has
 * the fields, see "the sched_info path" below) takes it from the
 * scheduler's own clocks and reads the time only where those are stale.
 * The others stamp it: bpf_ktime_get_ns() when the task becomes runnable
 * and when it gets the CPU.
 * With workloads: sched_process_fork hands the parent's workload to the
 * child; sched_process_exec, task_rename and cgroup_attach_task tell the
 * daemon, which owns the matching, that a task may belong elsewhere now.
 *
 * Each hook has three or four flavours (sched_info, tp_btf, raw_tp, classic
 * tracepoint); the daemon's probe layer loads the best one this kernel
 * accepts, the same way for the three hooks of a wait. Per-task
 * state lives in task local storage when every hook is tp_btf and the
 * kernel has it (5.11+), otherwise in a hash keyed by pid.
 *
 * A wait is measured only from a stamp that this code set when the task
 * became runnable, and the stamp is cleared when the task gets the CPU: a
 * missing stamp gives no sample rather than a wrong one.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.bpf.h"
#include "flavours.bpf.h"
#include "hist.bpf.h"
#include "maps.bpf.h"
#include "sched.h"
#include "task.bpf.h"

/* Set by the daemon before load. */
const volatile bool switch_has_prev_state = false; /* sched_switch passes it (5.18+), by BTF */
const volatile bool task_storage_mode = false;	   /* task local storage, else tasks_by_pid */
/* Rewritten by the daemon on a reload (daemon/collectors/sched.c), so not const. */
__u64 runq_threshold_ns = 100000; /* events.runqueue_latency_threshold */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_sched_cpu);
} sched_cpu SEC(".maps");

/* Key: the workload's slot (daemon/probes/slots.h), stable across reloads. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JD_SCHED_MAX_WORKLOADS);
	__type(key, __u32);
	__type(value, struct jd_workload_stats);
} workload_stats SEC(".maps");

/* Only one of these two is created (the daemon turns the other off). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct jd_task);
} task_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* the daemon may change it */
	__type(key, __u32);
	__type(value, struct jd_task);
} tasks_by_pid SEC(".maps");

/* ---- per-task state ---------------------------------------------------- */

static __always_inline struct jd_task *task_by_pid(__u32 pid, bool create)
{
	static const struct jd_task fresh = {};

	if (create)
		return map_lookup_or_try_init(&tasks_by_pid, &pid, &fresh);
	return bpf_map_lookup_elem(&tasks_by_pid, &pid);
}

/* p is used only when btf: only tp_btf has the BTF pointer task storage wants. */
static __always_inline struct jd_task *task_of(struct task_struct *p, __u32 pid, bool create,
					       bool btf)
{
	if (btf && task_storage_mode)
		return bpf_task_storage_get(&task_store, p, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return task_by_pid(pid, create);
}

/* ---- sched_switch ------------------------------------------------------ */

/* What a flavour knows about one switch. */
struct switch_info {
	/* NULL in the classic tracepoint; loaded through only in tp_btf. */
	struct task_struct *prev, *next;
	/* The classic tracepoint's copies, else NULL: the tasks' own. */
	const char *prev_comm, *next_comm;
	__u32 prev_pid, next_pid;
	bool runnable; /* prev stays on the run queue: preempted, or still TASK_RUNNING */
	bool dead;     /* prev has exited: this is its last switch */
};

static __always_inline struct jd_workload_stats *workload_of(__u32 workload)
{
	__u32 key = workload - 1;

	return workload ? bpf_map_lookup_elem(&workload_stats, &key) : NULL;
}

static __always_inline void count_switch(struct jd_sched_cpu *c, const struct switch_info *s)
{
	struct jd_workload_stats *ws;
	int kind;

	/* The idle task is never "voluntary": it yields the CPU to work. */
	if (s->prev_pid == 0) {
		c->ctxsw[JD_CTXSW_IDLE]++;
		return;
	}
	kind = s->runnable ? JD_CTXSW_INVOLUNTARY : JD_CTXSW_VOLUNTARY;
	c->ctxsw[kind]++;
	/* prev is the task this CPU switched in last time: its workload is
	 * cached, no lookup needed. */
	ws = workload_of(c->running_workload);
	if (ws)
		ws->ctxsw[kind]++;
}

/*
 * prev leaves the CPU, in the pid hash. Runnable: its wait starts now.
 * Otherwise forget any stamp (not every wakeup flavour can tell a running
 * task from a waiting one), and the whole entry when the task is dead,
 * since its pid will be reused.
 */
static __always_inline void switch_out_by_pid(const struct switch_info *s, __u64 now)
{
	/* A copy: a key on the stack keeps s itself off it. */
	__u32 pid = s->prev_pid;
	struct jd_task *t = task_by_pid(pid, s->runnable);

	if (!t)
		return;
	if (s->runnable)
		t->clock_ns = now;
	else if (s->dead)
		bpf_map_delete_elem(&tasks_by_pid, &pid);
	else
		t->clock_ns = 0;
}

/*
 * A wait of `latency` ns ended: count it. Returns a reserved outlier event
 * with everything but the comms filled in, for the flavour to finish and
 * submit. prev_ran: how long prev held the CPU, 0 = not known.
 */
static __always_inline struct jd_runq_event *wait_ended(struct jd_sched_cpu *c, __u32 workload,
							__u64 latency, __u64 prev_ran,
							const struct switch_info *s)
{
	struct jd_workload_stats *ws;
	struct jd_runq_event *e;

	hist_ns_add(&c->runq, latency);
	ws = workload_of(workload);
	if (ws)
		hist_ns_add(&ws->runq, latency);
	if (latency < runq_threshold_ns)
		return NULL;
	c->runq_outliers++;
	e = event_reserve(sizeof(*e), JD_SCHED_EVENT_RUNQ_LATENCY);
	if (!e)
		return NULL;
	e->latency_ns = latency;
	e->prev_ran_ns = prev_ran;
	e->pid = s->next_pid;
	e->prev_pid = s->prev_pid;
	e->workload = workload;
	e->pad = 0;
	return e;
}

/* next gets the CPU: its wait, from the stamp this code set, ends. */
static __always_inline struct jd_runq_event *switch_in(struct jd_sched_cpu *c, struct jd_task *t,
						       const struct switch_info *s, __u64 now)
{
	__u64 queued, since = c->running_since_ns;
	__u32 workload = t ? t->workload : 0;

	c->running_since_ns = now;
	c->running_workload = workload;
	if (!t)
		return NULL;
	queued = t->clock_ns;
	if (!queued)
		return NULL;
	t->clock_ns = 0;
	if (now <= queued)
		return NULL;
	return wait_ended(c, workload, now - queued, since && since < now ? now - since : 0, s);
}

static __always_inline struct jd_sched_cpu *sched_cpu_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sched_cpu, &zero);
}

/* Finish an outlier event (NULL: none) with the comms, and submit it. */
static __always_inline void submit_runq_event(struct jd_runq_event *e, const struct switch_info *s)
{
	if (!e)
		return;
	/* Taken from the tasks only now: a pointer fewer to keep across the
	 * helper calls before. */
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm),
				  s->next_comm ? s->next_comm : s->next->comm);
	bpf_probe_read_kernel_str(e->prev_comm, sizeof(e->prev_comm),
				  s->prev_comm ? s->prev_comm : s->prev->comm);
	event_submit(e);
}

/* c: this CPU's, looked up before s is filled in, so that s's fields need
 * not be kept across the lookup. */
static __always_inline void on_switch(struct jd_sched_cpu *c, const struct switch_info *s, bool btf)
{
	struct jd_task *t = NULL;
	__u64 now = bpf_ktime_get_ns();

	count_switch(c, s);
	if (btf && task_storage_mode) {
		/* Only a prev that stays runnable needs its storage here:
		 * on_wakeup() never stamps a running task. */
		if (s->prev_pid && s->runnable)
			t = bpf_task_storage_get(&task_store, s->prev, 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t)
			t->clock_ns = now;
		t = s->next_pid ? bpf_task_storage_get(&task_store, s->next, 0, 0) : NULL;
	} else {
		if (s->prev_pid)
			switch_out_by_pid(s, now);
		t = s->next_pid ? task_by_pid(s->next_pid, false) : NULL;
	}
	submit_runq_event(switch_in(c, t, s, now), s);
}

/* ---- the sched_info path ----------------------------------------------- */

/*
 * With CONFIG_SCHED_INFO the scheduler stamps a task when it is queued
 * (sched_info.last_queued, the rq clock) and, after sched_switch, adds the
 * wait to sched_info.run_delay at its arrival on the CPU. Here, at
 * sched_switch, the wait is rq->clock - next->sched_info.last_queued: two
 * loads and no helper call, the kernel's own figure (/proc/PID/schedstat).
 *
 * Except where the kernel's rq clock is stale: a wakeup that preempts the
 * running task (or the idle task) asks __schedule to skip its clock update
 * (rq_clock_skip_update), so the rq clock at that switch is the one of the
 * wakeup and the kernel accounts such a wait as 0 (measured on the pinned
 * pipe benchmark: half the waits, which the stamping path sees as 0.3 to
 * 1 us, some of them milliseconds: docs/configuration.md "Run-queue
 * latency and workloads"). The wakeup sees the request (RQCF_REQ_SKIP)
 * and marks its CPU; that CPU's next switch reads the time and puts it
 * on the rq clock's scale with a (rq clock, ktime) pair read together at
 * most 1 ms earlier. Switches with no such request read no clock.
 *
 * A wait the kernel splits at a migration (sched_info_dequeue folds the
 * part on the old CPU into run_delay and clears last_queued) is still one
 * sample: each task keeps its run_delay as of its last arrival, and what
 * run_delay grew by since is part of this wait.
 */
#define RQCF_REQ_SKIP  0x01
#define RECALIBRATE_NS 1000000 /* a ktime-rq clock pair this old is read again */

/* max_entries = possible CPUs, set by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_rq_clock);
} rq_clocks SEC(".maps");

/* Every task's, the idle task's too: set_task_rq() sets it whatever the class. */
static __always_inline struct rq *rq_of(struct task_struct *p)
{
	return p->se.cfs_rq->rq;
}

/*
 * p was woken (or is new: sched_wakeup_new fires before the preemption
 * check, so a new task always marks its CPU). The rq lock is held and the
 * rq clock was just updated.
 */
static __always_inline void si_woken(struct task_struct *p, bool new_task)
{
	struct rq *rq = rq_of(p);
	struct jd_rq_clock *rc;
	__u64 clock;
	__u32 cpu;

	if (!rq || (!new_task && !(rq->clock_update_flags & RQCF_REQ_SKIP)))
		return;
	cpu = rq->cpu;
	rc = bpf_map_lookup_elem(&rq_clocks, &cpu);
	if (!rc)
		return;
	rc->pending = 1;
	clock = rq->clock;
	if (!rc->ktime || clock - rc->clock >= RECALIBRATE_NS) {
		rc->clock = clock;
		rc->ktime = bpf_ktime_get_ns();
	}
}

static __always_inline void on_switch_si(struct jd_sched_cpu *c, const struct switch_info *s)
{
	struct task_struct *next = s->next;
	struct rq *rq = rq_of(s->prev);
	__u64 clock, now, queued, delay, seen, latency, since = c->running_since_ns;
	struct jd_rq_clock *rc;
	struct jd_task *t;
	__u32 cpu;

	if (!rq)
		return;
	now = clock = rq->clock;
	cpu = rq->cpu;
	rc = bpf_map_lookup_elem(&rq_clocks, &cpu);
	if (rc && rc->pending) {
		__u64 est = bpf_ktime_get_ns() - (rc->ktime - rc->clock);

		rc->pending = 0;
		if ((__s64)(est - now) > 0)
			now = est;
	}
	c->running_since_ns = now;
	if (!task_storage_mode && s->dead) {
		__u32 pid = s->prev_pid; /* its pid will be reused */

		bpf_map_delete_elem(&tasks_by_pid, &pid);
	}
	if (!s->next_pid) {
		c->running_workload = 0;
		return;
	}
	t = task_of(next, s->next_pid, true, true);
	c->running_workload = t ? t->workload : 0;
	queued = next->sched_info.last_queued;
	delay = next->sched_info.run_delay;
	seen = t ? t->clock_ns : 0;
	/* What the kernel adds to run_delay at this arrival, with its clock. */
	if (t)
		t->clock_ns = 1 + delay + (queued && clock > queued ? clock - queued : 0);
	latency = queued && now > queued ? now - queued : 0;
	if (seen && delay >= seen)
		latency += delay - (seen - 1);
	if (!queued && !latency)
		return; /* not queued: woken while still on its CPU */
	submit_runq_event(wait_ended(c, c->running_workload, latency,
				     since && since < now ? now - since : 0, s),
			  s);
}

/*
 * tp_btf and raw_tp get the same arguments. The kernel counts a switch as
 * voluntary (nvcsw) when it was not a preemption and prev was in a
 * sleeping state. Older kernels do not pass prev_state; then the task's own
 * state field still holds it.
 */
static __always_inline void on_switch_args(unsigned long long *ctx, bool preempt,
					   struct task_struct *prev, struct task_struct *next,
					   bool btf, bool si)
{
	unsigned int state = switch_has_prev_state ? (unsigned int)ctx[3] : task_state(prev);
	struct jd_sched_cpu *c = sched_cpu_here();
	struct switch_info s;

	if (!c)
		return;
	s = (struct switch_info){
		.prev = prev,
		.next = next,
		.prev_pid = btf ? prev->pid : BPF_CORE_READ(prev, pid),
		.next_pid = btf ? next->pid : BPF_CORE_READ(next, pid),
		.runnable = preempt || state == 0,
		.dead = state & 0x80, /* TASK_DEAD */
	};

	if (si) {
		count_switch(c, &s);
		on_switch_si(c, &s);
	} else {
		on_switch(c, &s, btf);
	}
}

PROG_SCHED_INFO(switch, sched_switch, bool preempt, struct task_struct *prev,
		struct task_struct *next)
{
	on_switch_args(ctx, preempt, prev, next, true, true);
	return 0;
}

PROG_TP_BTF(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch_args(ctx, preempt, prev, next, true, false);
	return 0;
}

PROG_RAW_TP(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch_args(ctx, preempt, prev, next, false, false);
	return 0;
}

/*
 * The classic tracepoint has no preempt flag: prev_state is the reported
 * state bit (0 = running) or TASK_REPORT_MAX (0x100) for a preemption. An
 * exited task reports EXIT_DEAD (0x10) or EXIT_ZOMBIE (0x20).
 */
PROG_TRACEPOINT(switch, sched, sched_switch, trace_event_raw_sched_switch)
{
	long state = ctx->prev_state;
	struct jd_sched_cpu *c = sched_cpu_here();
	struct switch_info s;

	if (!c)
		return 0;
	s = (struct switch_info){
		.prev_comm = ctx->prev_comm,
		.next_comm = ctx->next_comm,
		.prev_pid = ctx->prev_pid,
		.next_pid = ctx->next_pid,
		.runnable = (state & 0xff) == 0,
		.dead = state & 0x30,
	};

	on_switch(c, &s, false);
	return 0;
}

/* ---- sched_wakeup, sched_wakeup_new ------------------------------------ */

/*
 * The wait starts at the first wakeup: a task preempted on its way to
 * sleep is already waiting when the wakeup comes, and keeps that stamp.
 * A task woken while it runs is not waiting at all; the tp_btf flavour
 * sees that in on_cpu, and the pid hash clears the stamp at switch-out.
 */
static __always_inline void start_wait(struct jd_task *t)
{
	if (t && !t->clock_ns)
		t->clock_ns = bpf_ktime_get_ns();
}

/* p is used only when btf, which also sees a task woken while it runs in
 * on_cpu. */
static __always_inline void on_wakeup(struct task_struct *p, __u32 pid, bool btf)
{
	if (!pid || (btf && bpf_core_field_exists(p->on_cpu) && p->on_cpu))
		return;
	start_wait(task_of(p, pid, true, btf));
}

/* The sched_info path: no per-task work at all, see si_woken(). */
PROG_SCHED_INFO(wakeup, sched_wakeup, struct task_struct *p)
{
	si_woken(p, false);
	return 0;
}

PROG_SCHED_INFO(wake_new, sched_wakeup_new, struct task_struct *p)
{
	si_woken(p, true);
	return 0;
}

PROG_TP_BTF(wakeup, sched_wakeup, struct task_struct *p)
{
	on_wakeup(p, p->pid, true);
	return 0;
}

PROG_RAW_TP(wakeup, sched_wakeup, struct task_struct *p)
{
	on_wakeup(p, BPF_CORE_READ(p, pid), false);
	return 0;
}

PROG_TRACEPOINT(wakeup, sched, sched_wakeup, trace_event_raw_sched_wakeup_template)
{
	on_wakeup(NULL, ctx->pid, false);
	return 0;
}

PROG_TP_BTF(wake_new, sched_wakeup_new, struct task_struct *p)
{
	on_wakeup(p, p->pid, true);
	return 0;
}

PROG_RAW_TP(wake_new, sched_wakeup_new, struct task_struct *p)
{
	on_wakeup(p, BPF_CORE_READ(p, pid), false);
	return 0;
}

PROG_TRACEPOINT(wake_new, sched, sched_wakeup_new, trace_event_raw_sched_wakeup_template)
{
	on_wakeup(NULL, ctx->pid, false);
	return 0;
}

/* ---- workloads: fork, exec, rename, cgroup moves ----------------------- */

/*
 * The daemon owns the matching; it hears from here of every task that may
 * belong elsewhere now. workload: where the task belongs as BPF knows it.
 * The comm is left for the caller to fill in (or to leave empty, then the
 * daemon reads /proc).
 */
static __always_inline struct jd_task_event *task_event(enum jd_task_change change, __u32 pid,
							__u32 tgid, struct jd_task *t)
{
	struct jd_task_event *e = event_reserve(sizeof(*e), JD_SCHED_EVENT_TASK);

	if (!e)
		return NULL;
	e->pid = pid;
	e->tgid = tgid;
	e->change = change;
	e->workload = t ? t->workload : 0;
	e->comm[0] = '\0';
	return e;
}

/*
 * A new process whose parent is in no workload (yet: the daemon may not
 * have matched a process that forks as soon as it starts) is reported, with
 * the parent's name, which is the child's. tgid 0: may be a thread.
 */
static __always_inline void forked(__u32 pid, __u32 tgid)
{
	struct jd_task_event *e;

	if (tgid && tgid != pid)
		return; /* a thread: the daemon's walk of its process finds it */
	e = task_event(JD_TASK_FORK, pid, tgid, NULL);
	if (!e)
		return;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	event_submit(e);
}

/*
 * A child belongs where its parent does until the daemon says otherwise:
 * threads and forked workers are followed from their first switch. In the
 * pid hash the child's entry is written even without a workload, so that
 * a reused pid never inherits a dead task's.
 */
static __always_inline void fork_by_pid(__u32 parent_pid, __u32 child_pid, __u32 child_tgid)
{
	struct jd_task *pt = bpf_map_lookup_elem(&tasks_by_pid, &parent_pid);
	struct jd_task child = { .workload = pt ? pt->workload : 0 };

	bpf_map_update_elem(&tasks_by_pid, &child_pid, &child, BPF_ANY);
	if (!child.workload)
		forked(child_pid, child_tgid);
}

/* parent, child: used only when btf. tgid 0: the flavour does not say. */
static __always_inline void on_fork(struct task_struct *parent, struct task_struct *child,
				    __u32 parent_pid, __u32 child_pid, __u32 child_tgid, bool btf)
{
	struct jd_task *pt, *ct;

	if (!btf || !task_storage_mode) {
		fork_by_pid(parent_pid, child_pid, child_tgid);
		return;
	}
	pt = bpf_task_storage_get(&task_store, parent, 0, 0);
	if (!pt || !pt->workload) {
		forked(child_pid, child_tgid);
		return;
	}
	ct = bpf_task_storage_get(&task_store, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ct)
		ct->workload = pt->workload;
}

PROG_TP_BTF(fork, sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child, parent->pid, child->pid, child->tgid, true);
	return 0;
}

PROG_RAW_TP(fork, sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child, BPF_CORE_READ(parent, pid), BPF_CORE_READ(child, pid),
		BPF_CORE_READ(child, tgid), false);
	return 0;
}

PROG_TRACEPOINT(fork, sched, sched_process_fork, trace_event_raw_sched_process_fork)
{
	on_fork(NULL, NULL, ctx->parent_pid, ctx->child_pid, 0, false);
	return 0;
}

/*
 * p: used only when btf. comm: kernel memory holding the name the task has
 * now (or is about to), or NULL.
 */
static __always_inline void on_task_change(enum jd_task_change change, struct task_struct *p,
					   __u32 pid, __u32 tgid, const char *comm, bool btf)
{
	struct jd_task_event *e = task_event(change, pid, tgid, task_of(p, pid, false, btf));

	if (!e)
		return;
	if (comm)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	event_submit(e);
}

/* The raw_tp flavour of a hook whose task is p. */
static __always_inline void on_task_change_raw(enum jd_task_change change, struct task_struct *p,
					       const char *comm)
{
	on_task_change(change, p, BPF_CORE_READ(p, pid), BPF_CORE_READ(p, tgid), comm, false);
}

/* exec has set the new comm by the time this fires; the task is current. */
PROG_TP_BTF(exec, sched_process_exec, struct task_struct *p)
{
	on_task_change(JD_TASK_EXEC, p, p->pid, p->tgid, p->comm, true);
	return 0;
}

PROG_RAW_TP(exec, sched_process_exec, struct task_struct *p)
{
	on_task_change_raw(JD_TASK_EXEC, p, p->comm);
	return 0;
}

/* The record has no comm: current's is the new one. */
PROG_TRACEPOINT(exec, sched, sched_process_exec, trace_event_raw_sched_process_exec)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();

	on_task_change(JD_TASK_EXEC, NULL, ctx->pid, bpf_get_current_pid_tgid() >> 32,
		       current->comm, false);
	return 0;
}

/* task_rename fires before the new name is copied in: report the new one. */
PROG_TP_BTF(rename, task_rename, struct task_struct *p, const char *comm)
{
	on_task_change(JD_TASK_RENAME, p, p->pid, p->tgid, comm, true);
	return 0;
}

PROG_RAW_TP(rename, task_rename, struct task_struct *p, const char *comm)
{
	on_task_change_raw(JD_TASK_RENAME, p, comm);
	return 0;
}

PROG_TRACEPOINT(rename, task, task_rename, trace_event_raw_task_rename)
{
	on_task_change(JD_TASK_RENAME, NULL, ctx->pid, 0, ctx->newcomm, false);
	return 0;
}

/* A move says nothing of the name: the daemon reads the cgroup anyway. */
PROG_TP_BTF(cgroup, cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *p)
{
	on_task_change(JD_TASK_CGROUP, p, p->pid, p->tgid, NULL, true);
	return 0;
}

PROG_RAW_TP(cgroup, cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *p)
{
	on_task_change_raw(JD_TASK_CGROUP, p, NULL);
	return 0;
}

PROG_TRACEPOINT(cgroup, cgroup, cgroup_attach_task, trace_event_raw_cgroup_migrate)
{
	on_task_change(JD_TASK_CGROUP, NULL, ctx->pid, 0, NULL, false);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
