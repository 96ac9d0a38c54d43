// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Scheduler collector, kernel side.
 *
 * sched_switch: one program per switch does both jobs: it counts the switch
 * by kind and ends the run-queue wait of the task that gets the CPU; a prev
 * that stays runnable (preempted, yielded) starts a wait.
 * sched_wakeup, sched_wakeup_new: a task becomes runnable, its wait starts.
 * With workloads: sched_process_fork hands the parent's workload to the
 * child; sched_process_exec, task_rename and cgroup_attach_task tell the
 * daemon, which owns the matching, that a task may belong elsewhere now.
 *
 * Each hook has three flavours (tp_btf, raw_tp, classic tracepoint); the
 * daemon's probe layer loads the best one this kernel accepts. Per-task
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
#include "hist.bpf.h"
#include "maps.bpf.h"
#include "sched.h"
#include "task.bpf.h"

/* Set by the daemon before load. */
const volatile bool switch_has_prev_state = false; /* sched_switch passes it (5.18+), by BTF */
const volatile bool task_storage_mode = false;	   /* task local storage, else tasks_by_pid */
const volatile __u64 runq_threshold_ns = 100000;   /* events.runqueue_latency_threshold */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jd_sched_cpu);
} sched_cpu SEC(".maps");

/* max_entries = the number of workloads (at least 1), set by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
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

/* p must be a BTF pointer (tp_btf); flavours without one use task_by_pid. */
static __always_inline struct jd_task *task_of(struct task_struct *p, __u32 pid, bool create)
{
	if (task_storage_mode)
		return bpf_task_storage_get(&task_store, p, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return task_by_pid(pid, create);
}

/* ---- sched_switch ------------------------------------------------------ */

/* What a flavour knows about one switch. */
struct switch_info {
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
	struct jd_task *t = task_by_pid(s->prev_pid, s->runnable);

	if (!t)
		return;
	if (s->runnable)
		t->queued_ns = now;
	else if (s->dead)
		bpf_map_delete_elem(&tasks_by_pid, &s->prev_pid);
	else
		t->queued_ns = 0;
}

/*
 * next gets the CPU: its wait ends. Returns a reserved outlier event with
 * everything but the comms filled in, for the flavour to finish and submit.
 */
static __always_inline struct jd_runq_event *switch_in(struct jd_sched_cpu *c, struct jd_task *t,
						       const struct switch_info *s, __u64 now)
{
	struct jd_workload_stats *ws;
	struct jd_runq_event *e;
	__u64 queued, latency, since = c->running_since_ns;
	__u32 workload = t ? t->workload : 0;

	c->running_since_ns = now;
	c->running_workload = workload;
	if (!t)
		return NULL;
	queued = t->queued_ns;
	if (!queued)
		return NULL;
	t->queued_ns = 0;
	if (now <= queued)
		return NULL;
	latency = now - queued;
	hist_ns_add(&c->runq, latency);
	ws = workload_of(workload);
	if (ws)
		hist_ns_add(&ws->runq, latency);
	if (latency < runq_threshold_ns)
		return NULL;
	c->runq_outliers++;
	e = event_reserve(sizeof(*e), JD_EVENT_RUNQ_LATENCY);
	if (!e)
		return NULL;
	e->latency_ns = latency;
	e->prev_ran_ns = since && since < now ? now - since : 0;
	e->pid = s->next_pid;
	e->prev_pid = s->prev_pid;
	e->workload = workload;
	e->pad = 0;
	return e;
}

/*
 * The kernel counts a switch as voluntary (nvcsw) when it was not a
 * preemption and prev was in a sleeping state. Older kernels do not pass
 * prev_state; then the task's own state field still holds it.
 */
static __always_inline void switch_info_init(struct switch_info *s, bool preempt,
					     unsigned int state, __u32 prev_pid, __u32 next_pid)
{
	s->prev_pid = prev_pid;
	s->next_pid = next_pid;
	s->runnable = preempt || state == 0;
	s->dead = state & 0x80; /* TASK_DEAD */
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned int state = switch_has_prev_state ? (unsigned int)ctx[3] : task_state(prev);
	__u32 zero = 0;
	struct jd_sched_cpu *c = bpf_map_lookup_elem(&sched_cpu, &zero);
	struct switch_info s;
	struct jd_runq_event *e;
	struct jd_task *t = NULL;
	__u64 now;

	if (!c)
		return 0;
	switch_info_init(&s, preempt, state, prev->pid, next->pid);
	now = bpf_ktime_get_ns();
	count_switch(c, &s);
	if (task_storage_mode) {
		/* Only a prev that stays runnable needs its storage here:
		 * woken_btf never stamps a running task. */
		if (s.prev_pid && s.runnable)
			t = bpf_task_storage_get(&task_store, prev, 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t)
			t->queued_ns = now;
		t = s.next_pid ? bpf_task_storage_get(&task_store, next, 0, 0) : NULL;
	} else {
		if (s.prev_pid)
			switch_out_by_pid(&s, now);
		t = s.next_pid ? task_by_pid(s.next_pid, false) : NULL;
	}
	e = switch_in(c, t, &s, now);
	if (e) {
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), next->comm);
		bpf_probe_read_kernel_str(e->prev_comm, sizeof(e->prev_comm), prev->comm);
		event_submit(e);
	}
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned int state = switch_has_prev_state ? (unsigned int)ctx[3] : task_state(prev);
	__u32 zero = 0;
	struct jd_sched_cpu *c = bpf_map_lookup_elem(&sched_cpu, &zero);
	struct switch_info s;
	struct jd_runq_event *e;
	__u64 now;

	if (!c)
		return 0;
	switch_info_init(&s, preempt, state, BPF_CORE_READ(prev, pid), BPF_CORE_READ(next, pid));
	now = bpf_ktime_get_ns();
	count_switch(c, &s);
	if (s.prev_pid)
		switch_out_by_pid(&s, now);
	e = switch_in(c, s.next_pid ? task_by_pid(s.next_pid, false) : NULL, &s, now);
	if (e) {
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), next->comm);
		bpf_probe_read_kernel_str(e->prev_comm, sizeof(e->prev_comm), prev->comm);
		event_submit(e);
	}
	return 0;
}

/*
 * The classic tracepoint has no preempt flag: prev_state is the reported
 * state bit (0 = running) or TASK_REPORT_MAX (0x100) for a preemption. An
 * exited task reports EXIT_DEAD (0x10) or EXIT_ZOMBIE (0x20).
 */
SEC("tracepoint/sched/sched_switch")
int switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	long state = ctx->prev_state;
	__u32 zero = 0;
	struct jd_sched_cpu *c = bpf_map_lookup_elem(&sched_cpu, &zero);
	struct switch_info s;
	struct jd_runq_event *e;
	__u64 now;

	if (!c)
		return 0;
	switch_info_init(&s, false, state & 0xff, ctx->prev_pid, ctx->next_pid);
	s.dead = state & 0x30;
	now = bpf_ktime_get_ns();
	count_switch(c, &s);
	if (s.prev_pid)
		switch_out_by_pid(&s, now);
	e = switch_in(c, s.next_pid ? task_by_pid(s.next_pid, false) : NULL, &s, now);
	if (e) {
		bpf_probe_read_kernel(e->comm, sizeof(e->comm), ctx->next_comm);
		bpf_probe_read_kernel(e->prev_comm, sizeof(e->prev_comm), ctx->prev_comm);
		event_submit(e);
	}
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
	if (t && !t->queued_ns)
		t->queued_ns = bpf_ktime_get_ns();
}

static __always_inline int woken_btf(struct task_struct *p)
{
	__u32 pid = p->pid;

	if (pid && !(bpf_core_field_exists(p->on_cpu) && p->on_cpu))
		start_wait(task_of(p, pid, true));
	return 0;
}

static __always_inline int woken_raw(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);

	if (pid)
		start_wait(task_by_pid(pid, true));
	return 0;
}

static __always_inline int woken_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	__u32 pid = ctx->pid;

	if (pid)
		start_wait(task_by_pid(pid, true));
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
	return woken_btf(p);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	return woken_raw(p);
}

SEC("tracepoint/sched/sched_wakeup")
int wakeup_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	return woken_tp(ctx);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wake_new_btf, struct task_struct *p)
{
	return woken_btf(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wake_new_raw, struct task_struct *p)
{
	return woken_raw(p);
}

SEC("tracepoint/sched/sched_wakeup_new")
int wake_new_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	return woken_tp(ctx);
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
	struct jd_task_event *e = event_reserve(sizeof(*e), JD_EVENT_TASK);

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

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	struct jd_task *pt, *ct;

	if (!task_storage_mode) {
		fork_by_pid(parent->pid, child->pid, child->tgid);
		return 0;
	}
	pt = bpf_task_storage_get(&task_store, parent, 0, 0);
	if (!pt || !pt->workload) {
		forked(child->pid, child->tgid);
		return 0;
	}
	ct = bpf_task_storage_get(&task_store, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ct)
		ct->workload = pt->workload;
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	fork_by_pid(BPF_CORE_READ(parent, pid), BPF_CORE_READ(child, pid),
		    BPF_CORE_READ(child, tgid));
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	fork_by_pid(ctx->parent_pid, ctx->child_pid, 0);
	return 0;
}

/* comm: kernel memory holding the name the task has now (or is about to). */
static __always_inline void task_changed_btf(enum jd_task_change change, struct task_struct *p,
					     const char *comm)
{
	__u32 pid = p->pid;
	struct jd_task_event *e = task_event(change, pid, p->tgid, task_of(p, pid, false));

	if (!e)
		return;
	if (comm)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	event_submit(e);
}

static __always_inline void task_changed_raw(enum jd_task_change change, struct task_struct *p,
					     const char *comm)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	struct jd_task_event *e =
		task_event(change, pid, BPF_CORE_READ(p, tgid), task_by_pid(pid, false));

	if (!e)
		return;
	if (comm)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	event_submit(e);
}

/* exec has set the new comm by the time this fires; the task is current. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p)
{
	task_changed_btf(JD_TASK_EXEC, p, p->comm);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p)
{
	task_changed_raw(JD_TASK_EXEC, p, p->comm);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 pid = ctx->pid;
	struct jd_task_event *e = task_event(JD_TASK_EXEC, pid, bpf_get_current_pid_tgid() >> 32,
					     task_by_pid(pid, false));

	if (!e)
		return 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	event_submit(e);
	return 0;
}

/* task_rename fires before the new name is copied in: report the new one. */
SEC("tp_btf/task_rename")
int BPF_PROG(rename_btf, struct task_struct *p, const char *comm)
{
	task_changed_btf(JD_TASK_RENAME, p, comm);
	return 0;
}

SEC("raw_tp/task_rename")
int BPF_PROG(rename_raw, struct task_struct *p, const char *comm)
{
	task_changed_raw(JD_TASK_RENAME, p, comm);
	return 0;
}

SEC("tracepoint/task/task_rename")
int rename_tp(struct trace_event_raw_task_rename *ctx)
{
	__u32 pid = ctx->pid;
	struct jd_task_event *e = task_event(JD_TASK_RENAME, pid, 0, task_by_pid(pid, false));

	if (!e)
		return 0;
	bpf_probe_read_kernel(e->comm, sizeof(e->comm), ctx->newcomm);
	event_submit(e);
	return 0;
}

/* A move says nothing of the name: the daemon reads the cgroup anyway. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cgroup_btf, struct cgroup *dst, const char *path, struct task_struct *p)
{
	task_changed_btf(JD_TASK_CGROUP, p, NULL);
	return 0;
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(cgroup_raw, struct cgroup *dst, const char *path, struct task_struct *p)
{
	task_changed_raw(JD_TASK_CGROUP, p, NULL);
	return 0;
}

SEC("tracepoint/cgroup/cgroup_attach_task")
int cgroup_tp(struct trace_event_raw_cgroup_migrate *ctx)
{
	__u32 pid = ctx->pid;
	struct jd_task_event *e = task_event(JD_TASK_CGROUP, pid, 0, task_by_pid(pid, false));

	if (e)
		event_submit(e);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
