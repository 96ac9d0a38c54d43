// SPDX-License-Identifier: MIT
/*
 * The doctor's task checks: what actually runs on the isolated CPUs, read
 * thread by thread from /proc/<pid>/task/<tid>/status (Cpus_allowed_list)
 * and stat (the scheduling policy), not only PID 1's affinity:
 *
 *   - threads that may run on isolated CPUs and are not meant to (RCU
 *     offload kthreads, unbound kworkers, other kthreads, daemons), with the
 *     fix for each kind;
 *   - RT throttling while a SCHED_FIFO/RR thread runs on an isolated CPU;
 *   - the workloads' mlock limit (/proc/<pid>/limits).
 *
 * They scan every thread: slow, so not in the daemon's periodic run.
 */
#include "doctor/doctor.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/parse.h"

#define PF_NO_SETAFFINITY 0x04000000 /* include/linux/sched.h */

/* A thread as the checks see it. */
struct task {
	unsigned pid, tid;
	char name[64];
	cpu_set_t allowed;
	int policy; /* SCHED_OTHER 0, FIFO 1, RR 2, ...; -1 unknown */
	bool kthread;
	bool kernel_placed; /* PF_NO_SETAFFINITY: sched_setaffinity() refuses it */
};

typedef void task_fn(const struct doctor_host *h, const struct task *t, void *ctx);

static bool status_field(const char *status, const char *name, char *out, size_t size)
{
	const char *p = status;
	size_t n = strlen(name);

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
			return true;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* One thread from dir ("/proc/P/task/T" or "/proc/P"): false when gone. */
static bool read_task(const struct doctor_host *h, const char *dir, unsigned pid, struct task *t)
{
	char status[8192], val[4096], stat[1024];
	const char *why, *p;

	memset(t, 0, sizeof(*t));
	t->policy = -1;
	if (doctor_read(h, status, sizeof(status), "%s/status", dir) ||
	    !status_field(status, "Cpus_allowed_list", val, sizeof(val)) ||
	    parse_kernel_cpulist(val, h->nr_cpus, &t->allowed, &why))
		return false;
	t->pid = pid;
	if (status_field(status, "Pid", val, sizeof(val)))
		t->tid = (unsigned)strtoul(val, NULL, 10);
	status_field(status, "Name", t->name, sizeof(t->name));
	/* kthreadd's children, kthreadd itself; "Kthread: 1" from 6.3 on */
	t->kthread = (status_field(status, "Kthread", val, sizeof(val)) && !strcmp(val, "1")) ||
		     (status_field(status, "PPid", val, sizeof(val)) && !strcmp(val, "2")) ||
		     pid == 2;
	/* stat's 9th (flags) and 41st (policy) fields, counted after the ")"
	 * that ends the comm */
	if (!doctor_read(h, stat, sizeof(stat), "%s/stat", dir) && (p = strrchr(stat, ')'))) {
		unsigned field = 2;

		for (p++; *p && field < 41; p++) {
			if (*p != ' ')
				continue;
			if (++field == 9)
				t->kernel_placed = strtoul(p + 1, NULL, 10) & PF_NO_SETAFFINITY;
		}
		if (field == 41 && *p)
			t->policy = (int)strtol(p, NULL, 10);
	}
	return true;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The numeric entries of root + path, sorted (malloc'd; *n of them): a
 * report in a stable order. */
static unsigned *numbers(const struct doctor_host *h, const char *path, unsigned *n)
{
	char full[512];
	unsigned *v = NULL, cap = 0;
	struct dirent *e;
	DIR *d;

	*n = 0;
	snprintf(full, sizeof(full), "%s%s", h->root, path);
	d = opendir(full);
	while (d && (e = readdir(d))) {
		char *end;
		unsigned long x = strtoul(e->d_name, &end, 10);

		if (*end || end == e->d_name)
			continue;
		if (*n == cap) {
			unsigned *more = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!more)
				break;
			v = more;
		}
		v[(*n)++] = (unsigned)x;
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_unsigned);
	return v;
}

/* Every thread of every process, by PID and TID; the number seen. */
static unsigned each_task(const struct doctor_host *h, task_fn *fn, void *ctx)
{
	char path[128];
	unsigned np, seen = 0, *pids = numbers(h, "/proc", &np);
	struct task t;

	for (unsigned i = 0; i < np; i++) {
		unsigned nt, threads = 0, *tids;

		snprintf(path, sizeof(path), "/proc/%u/task", pids[i]);
		tids = numbers(h, path, &nt);
		for (unsigned j = 0; j < nt; j++) {
			snprintf(path, sizeof(path), "/proc/%u/task/%u", pids[i], tids[j]);
			if (read_task(h, path, pids[i], &t)) {
				fn(h, &t, ctx);
				threads++;
			}
		}
		free(tids);
		/* a tree without task/ (a fixture, a process gone meanwhile) */
		snprintf(path, sizeof(path), "/proc/%u", pids[i]);
		if (!threads && read_task(h, path, pids[i], &t)) {
			fn(h, &t, ctx);
			threads++;
		}
		seen += threads;
	}
	free(pids);
	return seen;
}

static bool subset(const cpu_set_t *a, const cpu_set_t *b)
{
	cpu_set_t both;

	CPU_AND(&both, a, b);
	return CPU_EQUAL(&both, a);
}

/* A thread placed on isolated CPUs on purpose: a workload, or a user thread
 * confined to isolated CPUs (someone pinned it there). */
static bool is_workload(const struct doctor_host *h, const struct task *t)
{
	return !t->kthread &&
	       (doctor_is_workload(h, t->name) ||
		(h->have_isolated && CPU_COUNT(&t->allowed) && subset(&t->allowed, &h->isolated)));
}

struct workload_cpus {
	cpu_set_t set;
	bool any;
};

static void add_workload_cpus(const struct doctor_host *h, const struct task *t, void *ctx)
{
	struct workload_cpus *w = ctx;

	if (!is_workload(h, t))
		return;
	CPU_OR(&w->set, &w->set, &t->allowed);
	w->any = true;
}

bool doctor_workload_cpus(const struct doctor_host *h, cpu_set_t *set)
{
	struct workload_cpus w = { .any = false };

	CPU_ZERO(&w.set);
	each_task(h, add_workload_cpus, &w);
	*set = w.set;
	return w.any;
}

/* ---- what runs on the isolated CPUs ----------------------------------------- */

enum thread_kind { KIND_RCUO, KIND_KWORKER, KIND_PLACED, KIND_KTHREAD, KIND_DAEMON, KINDS };

static const char *const kind_names[KINDS] = {
	[KIND_RCUO] = "RCU callback kthreads",
	[KIND_KWORKER] = "unbound kworkers and rescuers",
	[KIND_PLACED] = "kthreads whose affinity the kernel keeps",
	[KIND_KTHREAD] = "other kthreads",
	[KIND_DAEMON] = "user threads",
};

struct strays {
	unsigned count[KINDS];
	char names[KINDS][DOCTOR_TEXT];	   /* "rcuop/2[17] ..." as fits */
	char pids[KINDS][2 * DOCTOR_TEXT]; /* every PID (daemons: the process's) */
	bool cut[KINDS];		   /* a PID that did not fit */
	cpu_set_t hit;
	unsigned last_daemon;
};

static void add_stray(const struct doctor_host *h, const struct task *t, void *ctx)
{
	struct strays *s = ctx;
	enum thread_kind kind;
	cpu_set_t hit;
	char pid[16];
	size_t len;

	CPU_AND(&hit, &t->allowed, &h->isolated);
	/* not there; bound to one CPU (per-CPU kthreads: ksoftirqd/N, kworker/N:M,
	 * cpuhp/N, migration/N); or put there on purpose */
	if (!CPU_COUNT(&hit) || CPU_COUNT(&t->allowed) == 1 || is_workload(h, t))
		return;
	kind = !t->kthread		      ? KIND_DAEMON
	       : !strncmp(t->name, "rcuo", 4) ? KIND_RCUO
	       /* kworker/uN:M and the rescuers kworker/R-*: the workqueue
		* mask places them, the kernel refuses their affinity */
	       : !strncmp(t->name, "kworker/", 8) ? KIND_KWORKER
	       : t->kernel_placed		  ? KIND_PLACED
						  : KIND_KTHREAD;
	CPU_OR(&s->hit, &s->hit, &hit);
	s->count[kind]++;
	if (s->count[kind] <= 8)
		doctor_append(s->names[kind], sizeof(s->names[kind]), "%s%s[%u]",
			      s->names[kind][0] ? " " : "", t->name, t->tid ? t->tid : t->pid);
	/* taskset -a takes a process's every thread: one PID per process (its
	 * threads come one after another) */
	if (kind == KIND_DAEMON && s->last_daemon == t->pid)
		return;
	if (kind == KIND_DAEMON)
		s->last_daemon = t->pid;
	snprintf(pid, sizeof(pid), "%u", kind == KIND_DAEMON ? t->pid : (t->tid ? t->tid : t->pid));
	len = strlen(s->pids[kind]);
	if (len + strlen(pid) + 2 < sizeof(s->pids[kind]))
		snprintf(s->pids[kind] + len, sizeof(s->pids[kind]) - len, "%s%s", len ? " " : "",
			 pid);
	else
		s->cut[kind] = true;
}

static void judge_threads(const struct doctor_host *h, const struct doctor_check *k,
			  struct doctor_finding *f)
{
	static struct strays s; /* 20 KiB: not on the stack */
	char hk[DOCTOR_HK_TEXT], hk_mask[DOCTOR_HK_TEXT], list[1024];
	char cmds[4 * DOCTOR_TEXT] = "";
	unsigned total = 0;
	bool have_hk, cut = false;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	memset(&s, 0, sizeof(s));
	CPU_ZERO(&s.hit);
	if (!each_task(h, add_stray, &s))
		return doctor_unreadable(f, -ENOENT, "/proc/*/task/*/status");
	doctor_set(f->where, "/proc/*/task/*/status Cpus_allowed_list");
	for (unsigned i = 0; i < KINDS; i++)
		total += s.count[i];
	have_hk = doctor_housekeeping(h, hk_mask, hk);
	doctor_set(f->recommended,
		   "only threads bound to one CPU, and the workloads, on the isolated CPUs");
	if (!total) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "no thread but per-CPU kthreads and the workloads may run on "
				     "the isolated CPUs");
		return;
	}
	f->state = DOCTOR_FAIL;
	doctor_set(f->value, "%u threads may run on isolated CPUs %s", total,
		   format_cpulist(&s.hit, list, sizeof(list)) ? "?" : list);
	for (unsigned i = 0, shown = 0; i < KINDS; i++) {
		if (!s.count[i])
			continue;
		doctor_append(f->value, sizeof(f->value), "%s%s %u (%s%s)", shown++ ? "; " : ": ",
			      kind_names[i], s.count[i], s.names[i], s.count[i] > 8 ? " ..." : "");
		cut |= s.cut[i];
	}
	if (!have_hk)
		return doctor_no_housekeeping(f);
	/* the fix per kind: unbound kworkers follow the workqueue mask (the
	 * kernel refuses their affinity); other kthreads the kernel refuses
	 * (PF_NO_SETAFFINITY) follow isolcpus=domain at boot; the rest and
	 * rcuo* take taskset; a process takes it for all its threads (-a) */
	if (s.count[KIND_KWORKER])
		snprintf(cmds, sizeof(cmds), "echo %s > /sys/devices/virtual/workqueue/cpumask",
			 hk_mask);
	for (unsigned i = 0; i < KINDS; i++) {
		size_t len = strlen(cmds);

		if (i == KIND_KWORKER || i == KIND_PLACED || !s.count[i])
			continue;
		if (snprintf(cmds + len, sizeof(cmds) - len,
			     "%sfor p in %s; do taskset -%spc %s $p; done", len ? "; " : "",
			     s.pids[i], i == KIND_DAEMON ? "a" : "",
			     hk) >= (int)(sizeof(cmds) - len))
			cut = true;
	}
	if (cut || strlen(cmds) >= sizeof(f->apply))
		doctor_set(f->apply,
			   "too many threads to list here: taskset -pc %s each thread named by "
			   "/proc/*/task/*/status whose Cpus_allowed_list has isolated CPUs "
			   "(-apc for a process)",
			   hk);
	else if (cmds[0]) {
		snprintf(f->apply, sizeof(f->apply), "%s", cmds);
		snprintf(f->emit_script, sizeof(f->emit_script), "%s", cmds);
	}
	if (s.count[KIND_PLACED])
		doctor_append(
			f->apply, sizeof(f->apply),
			"%skthreads whose affinity the kernel keeps: the domain flag of isolcpus "
			"at boot starts them on housekeeping CPUs; an irq/N thread follows its IRQ "
			"(irq.affinity)",
			f->apply[0] ? "; " : "");
	doctor_set(f->persist,
		   "isolcpus=domain,managed_irq,<isolated> (new kthreads start on housekeeping "
		   "CPUs); tuned's cpu-partitioning with isolated_cores= moves threads off "
		   "them at boot; services: CPUAffinity=%s in /etc/systemd/system.conf or "
		   "systemctl set-property <unit> AllowedCPUs=%s",
		   hk, hk);
	format_cpulist(&h->isolated, list, sizeof(list));
	doctor_set(f->emit_tuned, "[variables] isolated_cores=%s", list);
}

/* ---- RT throttling under a SCHED_FIFO workload ------------------------------ */

struct rt_threads {
	unsigned n;
	char names[DOCTOR_TEXT];
};

static void add_rt(const struct doctor_host *h, const struct task *t, void *ctx)
{
	struct rt_threads *r = ctx;
	cpu_set_t hit;

	CPU_AND(&hit, &t->allowed, &h->isolated);
	/* kthreads (irq/N threads, migration/N) are the kernel's, not throttled work */
	if (t->kthread || (t->policy != 1 && t->policy != 2) || !CPU_COUNT(&hit))
		return;
	if (r->n++ < 8)
		doctor_append(r->names, sizeof(r->names), "%s%s[%u]", r->names[0] ? " " : "",
			      t->name, t->tid ? t->tid : t->pid);
}

static void judge_rt_throttling(const struct doctor_host *h, const struct doctor_check *k,
				struct doctor_finding *f)
{
	static const char path[] = "/proc/sys/kernel/sched_rt_runtime_us";
	struct rt_threads r = { .n = 0 };
	char buf[64];
	int err;

	(void)k;
	err = doctor_read(h, buf, sizeof(buf), "%s", path);
	if (err)
		return doctor_unreadable(f, err, path);
	doctor_set(f->where, "%s, /proc/*/task/*/stat (policy)", path);
	if (!strcmp(buf, "-1")) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "-1 (RT throttling off)");
		return;
	}
	if (h->have_isolated)
		each_task(h, add_rt, &r);
	if (!r.n) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "%s; no SCHED_FIFO or SCHED_RR thread runs on an isolated CPU",
			   buf);
		return;
	}
	f->state = DOCTOR_FAIL;
	doctor_set(f->value,
		   "%s: %u SCHED_FIFO/RR threads on isolated CPUs (%s%s) are stopped for the rest "
		   "of each period once they have run this long",
		   buf, r.n, r.names, r.n > 8 ? " ..." : "");
	doctor_fix_sysctl(f, "kernel.sched_rt_runtime_us", "-1");
}

/* ---- the workloads' mlock limit --------------------------------------------- */

struct mlock_state {
	unsigned n, short_of;
	char value[DOCTOR_TEXT];
	char pids[DOCTOR_TEXT];
	bool cut;
};

/* A size of /proc/<pid>/status ("VmRSS:   1234 kB") in bytes; 0 if none. */
static unsigned long long status_kb(const char *status, const char *name)
{
	char val[64];

	return status_field(status, name, val, sizeof(val)) ? strtoull(val, NULL, 10) * 1024 : 0;
}

static void add_mlock(const struct doctor_host *h, const struct task *t, void *ctx)
{
	struct mlock_state *m = ctx;
	char limits[4096], status[8192], pid[16], *line;
	unsigned long long rss, locked, soft = 0;
	bool unlimited = false;

	/* one per process: its main thread */
	if ((t->tid && t->tid != t->pid) || !is_workload(h, t) ||
	    doctor_read(h, limits, sizeof(limits), "/proc/%u/limits", t->pid) ||
	    doctor_read(h, status, sizeof(status), "/proc/%u/status", t->pid) ||
	    !(line = strstr(limits, "Max locked memory")))
		return;
	line += strlen("Max locked memory");
	while (*line == ' ')
		line++;
	if (!strncmp(line, "unlimited", 9))
		unlimited = true;
	else
		soft = strtoull(line, NULL, 10);
	rss = status_kb(status, "VmRSS");
	locked = status_kb(status, "VmLck");
	m->n++;
	if (unlimited || soft >= rss || locked >= rss)
		return;
	m->short_of++;
	doctor_append(m->value, sizeof(m->value), "%s%s[%u] may lock %llu KiB of its %llu KiB",
		      m->value[0] ? ", " : "", t->name, t->pid, soft / 1024, rss / 1024);
	snprintf(pid, sizeof(pid), "%u", t->pid);
	if (strlen(m->pids) + strlen(pid) + 2 < sizeof(m->pids))
		doctor_append(m->pids, sizeof(m->pids), "%s%s", m->pids[0] ? " " : "", pid);
	else
		m->cut = true;
}

static void judge_mlock(const struct doctor_host *h, const struct doctor_check *k,
			struct doctor_finding *f)
{
	static struct mlock_state m;

	(void)k;
	memset(&m, 0, sizeof(m));
	each_task(h, add_mlock, &m);
	doctor_set(f->where, "/proc/<workload>/limits (Max locked memory), status (VmRSS, VmLck)");
	doctor_set(f->recommended, "unlimited (or at least the workload's resident size)");
	if (!m.n) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no workload runs (config workloads, or user threads confined "
				     "to isolated CPUs)");
		return;
	}
	if (!m.short_of) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "%u workload processes may lock all their memory", m.n);
		return;
	}
	f->state = DOCTOR_FAIL;
	doctor_set(f->value, "%s", m.value);
	if (m.cut)
		doctor_set(f->apply, "prlimit --pid <pid> --memlock=unlimited:unlimited for each "
				     "process named above");
	else {
		snprintf(f->apply, sizeof(f->apply),
			 "for p in %s; do prlimit --pid $p --memlock=unlimited:unlimited; done",
			 m.pids);
		snprintf(f->emit_script, sizeof(f->emit_script), "%s", f->apply);
	}
	doctor_set(f->persist, "LimitMEMLOCK=infinity in the workload's systemd unit, or "
			       "'<user> - memlock unlimited' in /etc/security/limits.d/");
}

/* ---- the table ------------------------------------------------------------ */

const struct doctor_check doctor_task_checks[] = {
	{ "isolation.threads", "isolation", DOCTOR_WARNING,
	  "A thread whose affinity includes an isolated CPU can be woken or migrated there "
	  "(RCU callback kthreads, unbound kworkers, daemons) and preempt the workload.",
	  REF_KERNEL("admin-guide/kernel-per-CPU-kthreads.rst") "; taskset(1)",
	  "cpu-partitioning, realtime ([scheduler] isolated_cores)", .slow = true, judge_threads,
	  .tuned_key = "isolated_cores" },
	{ "sched.rt_throttling", "kernel", DOCTOR_CRITICAL,
	  "With RT throttling on, a SCHED_FIFO thread that spins on an isolated CPU is stopped for "
	  "the rest of every period (50 ms a second by default).",
	  REF_KERNEL("scheduler/sched-rt-group.rst"), "realtime", .slow = true, judge_rt_throttling,
	  .tuned_key = "kernel.sched_rt_runtime_us" },
	{ "workload.mlock_limit", "vm", DOCTOR_WARNING,
	  "A workload that cannot mlock its memory takes page faults when the kernel reclaims "
	  "or compacts it.",
	  "mlockall(2), getrlimit(2) RLIMIT_MEMLOCK; " REF_KERNEL("admin-guide/mm/concepts.rst"),
	  "", .slow = true, judge_mlock },
};
const unsigned n_doctor_task_checks = sizeof(doctor_task_checks) / sizeof(doctor_task_checks[0]);
