// SPDX-License-Identifier: MIT
#include "probe.h"

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
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define TRACEFS "/sys/kernel/tracing"

/* The kernel's BTF, parsed when a question needs it; probe_release_btf()
 * frees it (some 6 MB here) between the times it is needed. */
static struct btf *vmlinux_btf_cache;
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
		if (!strcmp(forced[i].probe, p->name))
			return forced[i].best;
	return best_allowed;
}

static struct btf *vmlinux_btf(void)
{
	if (!vmlinux_btf_cache)
		vmlinux_btf_cache = btf__load_vmlinux_btf();
	return vmlinux_btf_cache;
}

void probe_release_btf(void)
{
	btf__free(vmlinux_btf_cache);
	vmlinux_btf_cache = NULL;
}

int probe_init(void)
{
	if (probe_force(getenv("JITTERD_ATTACH")))
		return -EINVAL;
	if (!vmlinux_btf()) {
		int err = -errno;
		bool missing = access("/sys/kernel/btf/vmlinux", R_OK) != 0;

		log_err("no usable kernel BTF: /sys/kernel/btf/vmlinux %s; jitterd needs a kernel "
			"built with CONFIG_DEBUG_INFO_BTF=y",
			missing ? "is missing" : "cannot be parsed");
		return err;
	}
	return 0;
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
	const struct btf *btf = vmlinux_btf();
	char name[128];
	const struct btf_type *t;
	int id;

	if (!btf)
		return -ENOENT;
	snprintf(name, sizeof(name), "btf_trace_%s", tracepoint);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return id;
	t = btf__type_by_id(btf, id); /* typedef -> pointer -> func proto */
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -EINVAL;
	return btf_vlen(t) - 1;
}

/* An empty program ("return 0") of the given type, or a negative errno. */
static int trial_load(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = eat, .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "jd_trial", "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

static int trial_btf(const char *what, int kind, enum bpf_attach_type eat, const char *name,
		     char *why, size_t len)
{
	char btf_name[128];
	int id, prog, link;

	snprintf(btf_name, sizeof(btf_name), kind == BTF_KIND_TYPEDEF ? "btf_trace_%s" : "%s",
		 name);
	id = vmlinux_btf() ? btf__find_by_name_kind(vmlinux_btf(), btf_name, kind) : -ENOENT;
	if (id < 0) {
		snprintf(why, len, "%s: %s not in the kernel's BTF", what, btf_name);
		return -ENOENT;
	}
	prog = trial_load(BPF_PROG_TYPE_TRACING, eat, id);
	if (prog < 0) {
		snprintf(why, len, "%s: load: %s", what, strerror(-prog));
		return prog;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0) {
		link = -errno;
		snprintf(why, len, "%s: attach: %s", what, strerror(-link));
	}
	close(prog);
	if (link < 0)
		return link;
	close(link);
	return 0;
}

static int trial_raw_tp(const char *tp, char *why, size_t len)
{
	int prog = trial_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0), link;

	if (prog < 0) {
		snprintf(why, len, "raw_tp: load: %s", strerror(-prog));
		return prog;
	}
	link = bpf_raw_tracepoint_open(tp, prog);
	if (link < 0) {
		link = -errno;
		snprintf(why, len, "raw_tp: attach %s: %s", tp, strerror(-link));
	}
	close(prog);
	if (link < 0)
		return link;
	close(link);
	return 0;
}

/* Attach an empty program of the given type to a perf event: the
 * classic tracepoint and kprobe paths. */
static int trial_perf(enum bpf_prog_type type, struct perf_event_attr *attr, const char *what,
		      char *why, size_t len)
{
	int prog, pfd, err = 0;

	prog = trial_load(type, 0, 0);
	if (prog < 0) {
		snprintf(why, len, "%s: load: %s", what, strerror(-prog));
		return prog;
	}
	pfd = syscall(SYS_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) < 0) {
		err = -errno;
		snprintf(why, len, "%s: attach: %s", what, strerror(-err));
	}
	if (pfd >= 0)
		close(pfd);
	close(prog);
	return err;
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

static int trial_tracepoint(const char *system, const char *tp, char *why, size_t len)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
					.size = sizeof(attr),
					.sample_period = 1,
					.wakeup_events = 1 };
	char path[256];
	unsigned long id;
	int err = tracefs_ready();

	if (err) {
		snprintf(why, len, "tracepoint: tracefs: %s", strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s/id", system, tp);
	err = read_uint_file(path, &id);
	if (err) {
		snprintf(why, len, "tracepoint: %s: %s", path, strerror(-err));
		return err;
	}
	attr.config = id;
	return trial_perf(BPF_PROG_TYPE_TRACEPOINT, &attr, "tracepoint", why, len);
}

static int trial_kprobe(const char *func, char *why, size_t len)
{
	struct perf_event_attr attr = { .size = sizeof(attr),
					.sample_period = 1,
					.wakeup_events = 1 };
	unsigned long type;

	if (read_uint_file("/sys/bus/event_source/devices/kprobe/type", &type)) {
		snprintf(why, len, "kprobe: this kernel has no kprobe PMU (CONFIG_KPROBES off?)");
		return -ENOTSUP;
	}
	attr.type = type;
	attr.config1 = (__u64)(unsigned long)func;
	return trial_perf(BPF_PROG_TYPE_KPROBE, &attr, "kprobe", why, len);
}

/* Whether the kernel's BTF has struct `type` with a member `member`. */
static bool btf_has_member(const char *type, const char *member)
{
	const struct btf *btf = vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT) : -ENOENT;
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (unsigned i = 0; t && i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

/*
 * The sched_info variant reads, with plain loads, the fields below: the
 * task's sched_info (CONFIG_SCHED_INFO) and its run queue through its
 * group's cfs_rq (CONFIG_FAIR_GROUP_SCHED: the typed per-CPU `runqueues`
 * would need the verifier to find it in kallsyms, which needs
 * CONFIG_KALLSYMS_ALL). Then it is a tp_btf program like any other.
 */
static int trial_sched_info(const struct probe *p, char *why, size_t len)
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
	int err;

	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!btf_has_member(fields[i][0], fields[i][1])) {
			snprintf(why, len, "sched_info: no %s::%s in the kernel's BTF%s",
				 fields[i][0], fields[i][1],
				 !strcmp(fields[i][1], "cfs_rq") ? " (CONFIG_FAIR_GROUP_SCHED off)"
				 : !strcmp(fields[i][1], "sched_info") ? " (CONFIG_SCHED_INFO off)"
								       : "");
			return -ENOENT;
		}
	}
	err = trial_btf("sched_info", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP, p->name, why, len);
	return err;
}

static int trial(const struct probe *p, enum probe_attach a, char *why, size_t len)
{
	switch (a) {
	case PROBE_SCHED_INFO: return trial_sched_info(p, why, len);
	case PROBE_TP_BTF:
		return trial_btf("tp_btf", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP, p->name, why, len);
	case PROBE_RAW_TP: return trial_raw_tp(p->name, why, len);
	case PROBE_TRACEPOINT: return trial_tracepoint(p->system, p->name, why, len);
	case PROBE_FENTRY:
		return trial_btf("fentry", BTF_KIND_FUNC, BPF_TRACE_FENTRY, p->function, why, len);
	case PROBE_KPROBE: return trial_kprobe(p->function, why, len);
	default: return -EINVAL;
	}
}

int (*probe_trial)(const struct probe *p, enum probe_attach a, char *why, size_t len) = trial;

void probe_resolve(struct probe *p, const struct probe_def *d, struct bpf_object *obj)
{
	char name[64];

	memset(p, 0, sizeof(*p));
	p->name = d->name;
	p->system = d->system;
	p->function = d->function;
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
			log_debug("probe %s: %s", p->name, probe_attach_name(p->attach));
			continue;
		}
		log_warn("probe %s: nothing attaches on this kernel (%s)", p->name, p->why);
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
	log_info("probe %s: %s (%s)", p->name, probe_attach_name(to), why);
}

void probe_attach(struct probe *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &probes[i];

		if (p->attach == PROBE_NONE || survey)
			continue;
		p->link = bpf_program__attach(p->prog[p->attach]);
		if (!p->link) {
			snprintf(p->why, sizeof(p->why), "%s: attach: %s",
				 probe_attach_name(p->attach), strerror(errno));
			log_warn("probe %s: %s", p->name, p->why);
			p->attach = PROBE_NONE;
			continue;
		}
		log_info("probe %s: attached (%s)", p->name, probe_attach_name(p->attach));
	}
}

void probe_detach(struct probe *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		bpf_link__destroy(probes[i].link);
		probes[i].link = NULL;
	}
}
