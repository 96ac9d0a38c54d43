// SPDX-License-Identifier: MIT
#include "probes/probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"

#define TRACEFS "/sys/kernel/tracing"

/*
 * The kernel's BTF is some 6 MB parsed, and libbpf holds two copies of it
 * while it parses (11 MB). The daemon does not hold it: a child process
 * (the "BTF child") parses it once and answers the probe layer's questions
 * over a socket, until probe_release_btf() ends it. The next question
 * starts another.
 */
enum btf_question { BTF_TRACEPOINT_ID, BTF_FUNCTION_ID, BTF_HAS_MEMBER, BTF_TRACEPOINT_NARGS };
struct btf_ask {
	int question;
	char a[64], b[64];
};
static int btf_child_fd = -1;
static pid_t btf_child_pid;
static enum probe_attach best_allowed = PROBE_FIRST;
static struct {
	char probe[32];
	enum probe_attach best;
} forced[16]; /* JITTERD_ATTACH=PROBE=TYPE */
static unsigned n_forced;
static bool survey;

static const char *const attach_names[PROBE_ATTACH_TYPES] = {
	[PROBE_NONE] = "none",	   [PROBE_SCHED_INFO] = "sched_info", [PROBE_TP_BTF] = "tp_btf",
	[PROBE_RAW_TP] = "raw_tp", [PROBE_TRACEPOINT] = "tracepoint", [PROBE_FENTRY] = "fentry",
	[PROBE_KPROBE] = "kprobe",
};

/* The program name suffix of each variant (struct probe_def). */
static const char *const prog_suffixes[PROBE_ATTACH_TYPES] = {
	[PROBE_SCHED_INFO] = "si", [PROBE_TP_BTF] = "btf",    [PROBE_RAW_TP] = "raw",
	[PROBE_TRACEPOINT] = "tp", [PROBE_FENTRY] = "fentry", [PROBE_KPROBE] = "kprobe",
};

const char *probe_attach_name(enum probe_attach a)
{
	return a < PROBE_ATTACH_TYPES ? attach_names[a] : "?";
}

int probe_parse_attach(const char *s, enum probe_attach *a)
{
	for (int i = PROBE_FIRST; i < PROBE_ATTACH_TYPES; i++) {
		if (!strcmp(s, attach_names[i])) {
			*a = i;
			return 0;
		}
	}
	return -EINVAL;
}

static void force_nothing(void)
{
	best_allowed = PROBE_FIRST;
	n_forced = 0;
}

/*
 * JITTERD_ATTACH=TYPE, PROBE=TYPE or a comma-separated list of them: the
 * best type tried for every probe, or for that one (a function-hook type for
 * the probes that have one, while the others keep their tracepoints).
 */
int probe_force(const char *spec)
{
	char buf[256], *item, *save = NULL;

	force_nothing();
	if (!spec || !*spec)
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		size_t name_len = eq ? (size_t)(eq - item) : 0;
		enum probe_attach a;

		if (probe_parse_attach(eq ? eq + 1 : item, &a) ||
		    (eq && (!name_len || name_len >= sizeof(forced[0].probe) ||
			    n_forced == sizeof(forced) / sizeof(forced[0])))) {
			log_err("JITTERD_ATTACH=%s: '%s' is not TYPE or PROBE=TYPE (types: "
				"sched_info, tp_btf, raw_tp, tracepoint, fentry, kprobe)",
				spec, item);
			force_nothing();
			return -EINVAL;
		}
		if (!eq) {
			best_allowed = a;
			continue;
		}
		snprintf(forced[n_forced].probe, sizeof(forced[0].probe), "%.*s", (int)name_len,
			 item);
		forced[n_forced++].best = a;
	}
	log_warn("JITTERD_ATTACH=%s: better attach types are not tried", spec);
	return 0;
}

static enum probe_attach best_for(const struct probe *p)
{
	for (unsigned i = 0; i < n_forced; i++)
		if (!strcmp(forced[i].probe, p->label))
			return forced[i].best;
	return best_allowed;
}

/* The BTF child's answer to one question about btf; see probe.h. */
static int btf_answer(const struct btf *btf, const struct btf_ask *q)
{
	char name[sizeof(q->a) + 16];
	const struct btf_type *t;
	const struct btf_member *m;
	int id;

	switch (q->question) {
	case BTF_TRACEPOINT_ID:
	case BTF_TRACEPOINT_NARGS:
		snprintf(name, sizeof(name), "btf_trace_%s", q->a);
		id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
		if (id < 0 || q->question == BTF_TRACEPOINT_ID)
			return id;
		t = btf__type_by_id(btf, id); /* typedef -> pointer -> func proto */
		t = btf__type_by_id(btf, t->type);
		if (!t || !btf_is_ptr(t))
			return -EINVAL;
		t = btf__type_by_id(btf, t->type);
		if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
			return -EINVAL;
		return btf_vlen(t) - 1; /* without the leading context pointer */
	case BTF_FUNCTION_ID: return btf__find_by_name_kind(btf, q->a, BTF_KIND_FUNC);
	case BTF_HAS_MEMBER:
		id = btf__find_by_name_kind(btf, q->a, BTF_KIND_STRUCT);
		t = id < 0 ? NULL : btf__type_by_id(btf, id);
		m = t ? btf_members(t) : NULL;
		for (unsigned i = 0; t && i < btf_vlen(t); i++, m++)
			if (!strcmp(btf__name_by_offset(btf, m->name_off), q->b))
				return 1;
		return 0;
	default: return -EINVAL;
	}
}

/* The BTF child: parse, say whether that worked, answer until EOF. */
static void btf_child(int fd)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int answer = btf ? 0 : -errno;
	struct btf_ask q;

	while (send(fd, &answer, sizeof(answer), MSG_NOSIGNAL) == sizeof(answer) && btf &&
	       recv(fd, &q, sizeof(q), 0) == sizeof(q)) {
		q.a[sizeof(q.a) - 1] = q.b[sizeof(q.b) - 1] = '\0';
		answer = btf_answer(btf, &q);
	}
	_exit(0);
}

/* 0 once the BTF child runs and has the kernel's BTF, else a negative errno. */
static int btf_child_start(void)
{
	int sv[2], answer;

	if (btf_child_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);
	btf_child_pid = fork();
	if (btf_child_pid < 0) {
		answer = -errno;
		close(sv[0]);
		close(sv[1]);
		return answer;
	}
	if (btf_child_pid == 0) {
		close(sv[0]);
		btf_child(sv[1]);
	}
	close(sv[1]);
	btf_child_fd = sv[0];
	if (recv(btf_child_fd, &answer, sizeof(answer), 0) != sizeof(answer))
		answer = -EIO;
	if (answer)
		probe_release_btf();
	return answer;
}

/*
 * The BTF child's answer (see enum btf_question), or a negative errno.
 * Answers are remembered (the kernel's BTF does not change): a question
 * asked again, as a reload asks, starts no child.
 */
static int btf_ask(enum btf_question question, const char *a, const char *b)
{
	static struct {
		struct btf_ask q;
		int answer;
	} known[32];
	static unsigned n_known;
	struct btf_ask q = { .question = question };
	int answer, err;

	snprintf(q.a, sizeof(q.a), "%s", a);
	snprintf(q.b, sizeof(q.b), "%s", b ? b : "");
	for (unsigned i = 0; i < n_known; i++)
		if (!memcmp(&known[i].q, &q, sizeof(q)))
			return known[i].answer;
	err = btf_child_start();
	if (err)
		return err;
	if (send(btf_child_fd, &q, sizeof(q), MSG_NOSIGNAL) != sizeof(q) ||
	    recv(btf_child_fd, &answer, sizeof(answer), 0) != sizeof(answer)) {
		log_warn("the BTF child process stopped answering; asking a new one");
		probe_release_btf();
		return -EIO;
	}
	if (n_known < sizeof(known) / sizeof(known[0])) {
		known[n_known].q = q;
		known[n_known++].answer = answer;
	}
	return answer;
}

void probe_release_btf(void)
{
	if (btf_child_fd < 0)
		return;
	close(btf_child_fd); /* EOF: it exits */
	btf_child_fd = -1;
	while (waitpid(btf_child_pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int probe_init(void)
{
	int err;

	if (probe_force(getenv("JITTERD_ATTACH")))
		return -EINVAL;
	err = btf_child_start();
	if (err) {
		bool missing = access("/sys/kernel/btf/vmlinux", R_OK) != 0;

		log_err("no usable kernel BTF: /sys/kernel/btf/vmlinux %s (%s); jitterd needs a "
			"kernel built with CONFIG_DEBUG_INFO_BTF=y",
			missing ? "is missing" : "cannot be parsed", strerror(-err));
		return err;
	}
	return 0;
}

bool probe_surveying(void)
{
	return survey;
}

void probe_survey(void)
{
	survey = true;
}

void probe_finish(void)
{
	probe_release_btf();
}

int probe_tracepoint_nargs(const char *tracepoint)
{
	return btf_ask(BTF_TRACEPOINT_NARGS, tracepoint, NULL);
}

static int read_uint_file(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%lu", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* libbpf reads tracepoint ids from tracefs, which nobody mounts for us. */
static int tracefs_ready(void)
{
	struct stat st;

	if (!stat(TRACEFS "/events", &st))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	log_info("mounted tracefs on " TRACEFS " for classic tracepoints");
	return stat(TRACEFS "/events", &st) ? -errno : 0;
}

/* The perf event a classic tracepoint or kprobe program hangs on. */
static int perf_event_for(const struct probe *p, enum probe_attach a, char *why, size_t len)
{
	struct perf_event_attr attr = { .size = sizeof(attr),
					.sample_period = 1,
					.wakeup_events = 1 };
	unsigned long v;
	int fd, err;

	if (a == PROBE_TRACEPOINT) {
		char path[256];

		err = tracefs_ready();
		if (err) {
			snprintf(why, len, "tracefs: %s", strerror(-err));
			return err;
		}
		snprintf(path, sizeof(path), TRACEFS "/events/%s/%s/id", p->system, p->name);
		err = read_uint_file(path, &v);
		if (err) {
			snprintf(why, len, "%s: %s", path, strerror(-err));
			return err;
		}
		attr.type = PERF_TYPE_TRACEPOINT;
		attr.config = v;
	} else {
		if (read_uint_file("/sys/bus/event_source/devices/kprobe/type", &v)) {
			snprintf(why, len, "this kernel has no kprobe PMU (CONFIG_KPROBES off?)");
			return -ENOTSUP;
		}
		attr.type = v;
		attr.config1 = (__u64)(unsigned long)p->function;
	}
	/* One event, on CPU 0, for all CPUs: the program hangs on the hook itself. */
	fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "perf_event_open: %s", strerror(-err));
		return err;
	}
	return fd;
}

/*
 * Attach the loaded program prog (a variant of type a) to p's hook: the fd
 * that holds it there (a BPF link, or for the classic tracepoint and kprobe
 * types the perf event it hangs on), which is closed to detach, or a
 * negative errno. The trials and the real attach both come here.
 */
static int attach_fd(const struct probe *p, enum probe_attach a, int prog, char *why, size_t len)
{
	int fd, err;

	switch (a) {
	case PROBE_SCHED_INFO:
	case PROBE_TP_BTF:
	case PROBE_FENTRY: /* the hook is the BTF id the program was loaded with */
		fd = bpf_raw_tracepoint_open(NULL, prog);
		break;
	case PROBE_RAW_TP: fd = bpf_raw_tracepoint_open(p->name, prog); break;
	case PROBE_TRACEPOINT:
	case PROBE_KPROBE:
		fd = perf_event_for(p, a, why, len);
		if (fd < 0)
			return fd;
		if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) ||
		    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
			err = errno;
			close(fd);
			errno = err;
			fd = -1;
		}
		break;
	default:
		errno = EINVAL;
		fd = -1;
		break;
	}
	if (fd >= 0)
		return fd;
	err = -errno;
	snprintf(why, len, "attach %s: %s", a >= PROBE_FENTRY ? p->function : p->name,
		 strerror(-err));
	return err;
}

/* Whether the kernel's BTF has struct `type` with a member `member`. */
static bool btf_has_member(const char *type, const char *member)
{
	return btf_ask(BTF_HAS_MEMBER, type, member) == 1;
}

/*
 * The sched_info variant reads, with plain loads, the fields below: the
 * task's sched_info (CONFIG_SCHED_INFO) and its run queue through its
 * group's cfs_rq (CONFIG_FAIR_GROUP_SCHED: the typed per-CPU `runqueues`
 * would need the verifier to find it in kallsyms, which needs
 * CONFIG_KALLSYMS_ALL). Then it is a tp_btf program like any other.
 */
static int sched_info_fields(char *why, size_t len)
{
	static const char *const fields[][2] = {
		{ "task_struct", "sched_info" },
		{ "sched_info", "last_queued" },
		{ "sched_info", "run_delay" },
		{ "sched_info", "last_arrival" },
		{ "task_struct", "se" },
		{ "sched_entity", "cfs_rq" },
		{ "cfs_rq", "rq" },
		{ "rq", "clock" },
		{ "rq", "clock_update_flags" },
		{ "rq", "cpu" },
	};

	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!btf_has_member(fields[i][0], fields[i][1])) {
			snprintf(why, len, "no %s::%s in the kernel's BTF%s", fields[i][0],
				 fields[i][1],
				 !strcmp(fields[i][1], "cfs_rq") ? " (CONFIG_FAIR_GROUP_SCHED off)"
				 : !strcmp(fields[i][1], "sched_info") ? " (CONFIG_SCHED_INFO off)"
								       : "");
			return -ENOENT;
		}
	}
	return 0;
}

/* Load an empty program ("return 0") of type a for p and attach it. */
static int trial_attach(const struct probe *p, enum probe_attach a, char *why, size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	enum bpf_prog_type type = BPF_PROG_TYPE_TRACING;
	int prog, link, err;

	switch (a) {
	case PROBE_SCHED_INFO:
	case PROBE_TP_BTF:
	case PROBE_FENTRY:
		opts.expected_attach_type = a == PROBE_FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_RAW_TP;
		err = a == PROBE_FENTRY ? btf_ask(BTF_FUNCTION_ID, p->function, NULL)
					: btf_ask(BTF_TRACEPOINT_ID, p->name, NULL);
		if (err < 0) {
			snprintf(why, len, "%s%s not in the kernel's BTF",
				 a == PROBE_FENTRY ? "" : "btf_trace_",
				 a == PROBE_FENTRY ? p->function : p->name);
			return err;
		}
		opts.attach_btf_id = err;
		break;
	case PROBE_RAW_TP: type = BPF_PROG_TYPE_RAW_TRACEPOINT; break;
	case PROBE_TRACEPOINT: type = BPF_PROG_TYPE_TRACEPOINT; break;
	case PROBE_KPROBE: type = BPF_PROG_TYPE_KPROBE; break;
	default: return -EINVAL;
	}
	prog = bpf_prog_load(type, "jd_trial", "GPL", insns, 2, &opts);
	if (prog < 0) {
		err = -errno;
		snprintf(why, len, "load: %s", strerror(-err));
		return err;
	}
	link = attach_fd(p, a, prog, why, len);
	close(prog);
	if (link < 0)
		return link;
	close(link);
	return 0;
}

/* Whether variant a of p loads and attaches here; why not in why. */
static int trial(const struct probe *p, enum probe_attach a, char *why, size_t len)
{
	size_t used = snprintf(why, len, "%s: ", probe_attach_name(a));

	if (used >= len)
		return -EINVAL;
	if (a == PROBE_SCHED_INFO && sched_info_fields(why + used, len - used))
		return -ENOENT;
	if (a == PROBE_TRACEPOINT && p->record && !btf_has_member(p->record, p->record_member)) {
		snprintf(why + used, len - used, "no %s in its record (%s) on this kernel",
			 p->record_member, p->record);
		return -ENOENT;
	}
	return trial_attach(p, a, why + used, len - used);
}

int (*probe_trial)(const struct probe *p, enum probe_attach a, char *why, size_t len) = trial;

void probe_resolve(struct probe *p, const struct probe_def *d, struct bpf_object *obj)
{
	char name[64];

	memset(p, 0, sizeof(*p));
	p->name = d->name;
	p->label = d->label ? d->label : d->name;
	p->system = d->system;
	p->function = d->function;
	p->record = d->record;
	p->record_member = d->record_member;
	p->fd = p->link = -1;
	for (unsigned a = PROBE_FIRST; a < PROBE_ATTACH_TYPES; a++) {
		/* Function variants without a function would have nothing to attach to. */
		if (a >= PROBE_FENTRY && !d->function)
			continue;
		snprintf(name, sizeof(name), "%s_%s", d->prog, prog_suffixes[a]);
		p->prog[a] = bpf_object__find_program_by_name(obj, name);
	}
}

/* Append "what" to the probe's list of reasons, "; "-separated. */
static void probe_why(struct probe *p, const char *what)
{
	size_t used = strlen(p->why);

	if (used < sizeof(p->why) - 1)
		snprintf(p->why + used, sizeof(p->why) - used, "%s%s", used ? "; " : "", what);
}

void probe_select(struct probe *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &probes[i];
		enum probe_attach best = best_for(p);

		p->attach = PROBE_NONE;
		p->works = 0;
		p->why[0] = '\0';
		for (unsigned a = PROBE_FIRST; a < PROBE_ATTACH_TYPES; a++) {
			char why[128];

			if (!p->prog[a])
				continue;
			/* The first variant that works ends the search; a survey tries all. */
			if (a < best) {
				snprintf(why, sizeof(why), "%s: not tried (JITTERD_ATTACH=%s)",
					 probe_attach_name(a), probe_attach_name(best));
				probe_why(p, why);
			} else if (p->attach == PROBE_NONE || survey) {
				if (!probe_trial(p, a, why, sizeof(why)))
					p->works |= 1u << a;
				else
					probe_why(p, why);
			}
			/* Only the chosen variant is loaded: the others may not verify here. */
			if (p->attach == PROBE_NONE && (p->works & (1u << a)))
				p->attach = a;
			bpf_program__set_autoload(p->prog[a], p->attach == a);
		}
		if (p->attach != PROBE_NONE) {
			log_debug("probe %s: %s", p->label, probe_attach_name(p->attach));
			continue;
		}
		log_warn("probe %s: nothing attaches on this kernel (%s)", p->label, p->why);
	}
}

void probe_demote(struct probe *p, enum probe_attach to, const char *why)
{
	if (p->attach == PROBE_NONE || to <= p->attach || !p->prog[to])
		return;
	bpf_program__set_autoload(p->prog[p->attach], false);
	bpf_program__set_autoload(p->prog[to], true);
	probe_why(p, why);
	p->attach = to;
	p->works |= 1u << to;
	log_info("probe %s: %s (%s)", p->label, probe_attach_name(to), why);
}

void probe_attach(struct probe *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &probes[i];
		char why[128], what[160];
		int link;

		if (p->attach == PROBE_NONE || survey)
			continue;
		link = attach_fd(p, p->attach, p->fd, why, sizeof(why));
		if (link >= 0) {
			p->link = link;
			log_info("probe %s: attached (%s)", p->label, probe_attach_name(p->attach));
			continue;
		}
		snprintf(what, sizeof(what), "%s: %s", probe_attach_name(p->attach), why);
		probe_why(p, what);
		log_warn("probe %s: %s", p->label, what);
		p->attach = PROBE_NONE;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void probe_detach(struct probe *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		close_fd(&probes[i].link);
		close_fd(&probes[i].fd);
	}
}
