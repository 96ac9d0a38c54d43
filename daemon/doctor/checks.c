// SPDX-License-Identifier: MIT
/*
 * The doctor's host checks: kernel command line, isolation, CPU power
 * management, IRQs, memory and scheduler sysctls. One row per check (see
 * doctor.h); the network and NIC checks are in net.c.
 *
 * Every read goes through doctor_read(), under host->root. A file that is
 * not there means the kernel or the hardware lacks the feature: the check
 * is not applicable, not failed. A file that only root may read makes the
 * check "needs root", and the run carries on.
 */
#include "doctor/doctor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/parse.h"

#define REF_RHEL_RT                                                                                \
	"Red Hat Enterprise Linux for Real Time, Optimizing RHEL for Real Time for low latency "   \
	"operation"
#define REF_RIGTORP "Erik Rigtorp, Low latency tuning guide (rigtorp.se/low-latency-guide)"

/* ---- helpers ------------------------------------------------------------- */

void doctor_set(char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(field, DOCTOR_TEXT, fmt, ap);
	va_end(ap);
}

static void path_of(const struct doctor_host *h, char *out, size_t size, const char *fmt,
		    va_list ap)
{
	size_t n = (size_t)snprintf(out, size, "%s", h->root);

	if (n < size)
		vsnprintf(out + n, size - n, fmt, ap);
}

int doctor_read(const struct doctor_host *h, char *buf, size_t size, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	ssize_t len;
	int fd;

	va_start(ap, fmt);
	path_of(h, path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	if (len < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

void doctor_unreadable(struct doctor_finding *f, int err, const char *path)
{
	doctor_set(f->where, "%s", path);
	if (err == -EACCES || err == -EPERM) {
		f->state = DOCTOR_NEEDS_ROOT;
		doctor_set(f->value, "%s is readable by root only: run jitterd doctor as root",
			   path);
	} else {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "%s: %s (this kernel or machine does not have it)", path,
			   strerror(-err));
	}
}

int doctor_parse_cpumask(const char *s, cpu_set_t *set)
{
	size_t len = strlen(s);
	unsigned bit = 0;

	CPU_ZERO(set);
	while (len--) {
		int c = s[len], v;

		if (c == ',' || c == '\n')
			continue;
		if (!isxdigit(c))
			return -EINVAL;
		v = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
		for (int i = 0; i < 4; i++, bit++)
			if ((v >> i & 1) && bit < CPU_SETSIZE)
				CPU_SET(bit, set);
	}
	return 0;
}

static const char *cpus(char *buf, size_t size, const cpu_set_t *set)
{
	if (!CPU_COUNT(set))
		return "none";
	format_cpulist(set, buf, size);
	return buf;
}

void doctor_append(char *field, size_t size, const char *fmt, ...)
{
	size_t n = strlen(field);
	va_list ap;

	if (n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(field + n, size - n, fmt, ap);
	va_end(ap);
}

/* ---- the generic judge: an integer in a file ------------------------------ */

static bool int_ok(char op, long long have, long long want)
{
	switch (op) {
	case '<': return have <= want;
	case '>': return have >= want;
	default: return have == want;
	}
}

static const char *op_words(char op)
{
	return op == '<' ? "at most " : op == '>' ? "at least " : "";
}

void doctor_judge_int(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	char buf[64], *end;
	long long have;
	int err;

	err = doctor_read(h, buf, sizeof(buf), "%s", k->path);
	if (err)
		return doctor_unreadable(f, err, k->path);
	have = strtoll(buf, &end, 10);
	doctor_set(f->where, "%s", k->path);
	doctor_set(f->value, "%s", buf);
	if (end == buf) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "\"%s\" is not a number", buf);
		return;
	}
	f->state = int_ok(k->op, have, k->want) ? DOCTOR_OK : DOCTOR_FAIL;
	doctor_set(f->recommended, "%s%lld", op_words(k->op), k->want);
	if (k->sysctl) {
		char want[32];

		snprintf(want, sizeof(want), "%lld", k->want);
		doctor_fix_sysctl(f, k->sysctl, want);
		doctor_set(f->recommended, "%s%lld", op_words(k->op), k->want);
	} else {
		snprintf(f->apply, sizeof(f->apply), "echo %lld > %s", k->want, k->path);
		snprintf(f->emit_script, sizeof(f->emit_script), "%s", f->apply);
	}
}

void doctor_fix_sysctl(struct doctor_finding *f, const char *key, const char *value)
{
	doctor_set(f->recommended, "%s", value);
	snprintf(f->apply, sizeof(f->apply),
		 "sysctl -w %s=%s; persist: '%s = %s' in /etc/sysctl.d/90-latency.conf", key, value,
		 key, value);
	doctor_set(f->persist,
		   "'%s = %s' in /etc/sysctl.d/90-latency.conf (or [sysctl] %s=%s "
		   "in a tuned profile)",
		   key, value, key, value);
	doctor_set(f->emit_sysctl, "%s = %s", key, value);
	doctor_set(f->emit_tuned, "[sysctl] %s=%s", key, value);
	snprintf(f->emit_script, sizeof(f->emit_script), "sysctl -w %s=%s", key, value);
}

bool doctor_is_workload(const struct doctor_host *h, const char *comm)
{
	for (unsigned i = 0; i < h->n_workloads; i++)
		if (!h->workloads[i][0] || !fnmatch(h->workloads[i], comm, 0))
			return true;
	return false;
}

/* ---- the kernel command line ---------------------------------------------- */

/* The value of the last name= (or bare name) on the command line, before "--".
 * Returns false when it is not there. */
static bool cmdline_get(const char *cmdline, const char *name, char *val, size_t size)
{
	size_t nlen = strlen(name);
	bool found = false;
	const char *p = cmdline;

	while (*p) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 2 && !strncmp(p, "--", 2))
			break;
		if (len >= nlen && !strncmp(p, name, nlen) && (len == nlen || p[nlen] == '=')) {
			size_t vlen = len > nlen ? len - nlen - 1 : 0;

			found = true;
			snprintf(val, size, "%.*s", (int)vlen, p + nlen + 1);
			if (len == nlen)
				val[0] = '\0';
		}
		p += len;
	}
	return found;
}

static int read_cmdline(const struct doctor_host *h, struct doctor_finding *f, char *buf,
			size_t size)
{
	int err = doctor_read(h, buf, size, "/proc/cmdline");

	if (err)
		doctor_unreadable(f, err, "/proc/cmdline");
	else
		doctor_set(f->where, "/proc/cmdline");
	return err;
}

static void apply_cmdline(struct doctor_finding *f, const char *arg)
{
	snprintf(f->apply, sizeof(f->apply),
		 "kernel command line: add %s (grubby --update-kernel=ALL --args=\"%s\", or "
		 "GRUB_CMDLINE_LINUX in /etc/default/grub then update-grub), reboot",
		 arg, arg);
	doctor_set(f->recommended, "%s", arg);
	doctor_set(f->persist,
		   "the boot loader's kernel command line (grubby, /etc/default/grub, or "
		   "[bootloader] cmdline in a tuned profile)");
	doctor_set(f->emit_cmdline, "%s", arg);
}

/* A cpulist file of /proc or /sys (root + path): true when read and parsed. */
static bool read_cpus(const struct doctor_host *h, const char *path, cpu_set_t *set)
{
	char buf[4096];
	const char *why;

	CPU_ZERO(set);
	return !doctor_read(h, buf, sizeof(buf), "%s", path) &&
	       !parse_kernel_cpulist(buf, h->nr_cpus, set, &why);
}

/* The cpuset partitions under dir (relative to /sys/fs/cgroup) that are in
 * effect isolated, depth levels down. */
static void isolated_partitions(const struct doctor_host *h, const char *dir, int depth,
				cpu_set_t *set)
{
	char path[512], buf[128];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/fs/cgroup%s", h->root, dir);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char sub[400];
		cpu_set_t eff;

		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		/* "isolated invalid (...)" is a partition the kernel refused */
		if (!doctor_read(h, buf, sizeof(buf), "/sys/fs/cgroup%s/cpuset.cpus.partition",
				 sub) &&
		    !strcmp(buf, "isolated")) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpuset.cpus.effective", sub);
			if (read_cpus(h, path, &eff))
				CPU_OR(set, set, &eff);
		}
		if (depth > 1)
			isolated_partitions(h, sub, depth - 1, set);
	}
	if (d)
		closedir(d);
}

/*
 * The CPUs of isolated cgroup v2 cpuset partitions, which the kernel's
 * cpu-isolation documentation prefers to isolcpus=: the root's
 * cpuset.cpus.isolated (6.7+), else each cpuset.cpus.partition that reads
 * "isolated" (its cpuset.cpus.effective), three levels down.
 */
static void cpuset_isolated(const struct doctor_host *h, cpu_set_t *set)
{
	if (read_cpus(h, "/sys/fs/cgroup/cpuset.cpus.isolated", set))
		return;
	CPU_ZERO(set);
	isolated_partitions(h, "", 3, set);
}

/*
 * The CPUs a cpulist parameter gives, read as its kernel __setup handler
 * reads it, with the host's nr_cpu_ids for "N" and "all". isolcpus= starts
 * with flags: words ending in ','; a flag with a character other than a
 * letter or '_' makes the kernel ignore the whole parameter, and a list
 * that starts with a letter ("all", "N") is taken for a flag. *nohz is set
 * when isolcpus has the nohz flag (the same as nohz_full=). Returns 0, or
 * -EINVAL with *why when the kernel rejects it (nothing isolated).
 */
static int cmdline_cpus(const struct doctor_host *h, const char *name, const char *val,
			cpu_set_t *set, bool *nohz, const char **why)
{
	const char *list = val;

	*nohz = false;
	CPU_ZERO(set);
	if (!strcmp(name, "isolcpus")) {
		while (isalpha((unsigned char)*list)) {
			size_t len = strcspn(list, ",");

			*nohz |= len == 4 && !strncmp(list, "nohz", 4);
			for (size_t i = 0; i < len; i++)
				if (!isalpha((unsigned char)list[i]) && list[i] != '_') {
					*why = "an invalid flag makes the kernel ignore isolcpus=";
					return -EINVAL;
				}
			list += len;
			if (*list)
				list++;
		}
	}
	if (parse_kernel_cpulist(list, h->nr_cpus, set, why)) {
		if (strcmp(name, "rcu_nocbs"))
			return -EINVAL;
		/* rcu_nocbs= with a bad range offloads every CPU (tree_nocb.h) */
		for (unsigned c = 0; c < h->nr_cpus && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
	}
	return 0;
}

/* The CPUs name= isolates (none when absent or rejected); *nohz as above. */
static bool cmdline_isolates(const struct doctor_host *h, const char *cmdline, const char *name,
			     cpu_set_t *set, bool *nohz)
{
	char val[512];
	const char *why;

	CPU_ZERO(set);
	*nohz = false;
	if (!cmdline_get(cmdline, name, val, sizeof(val)) ||
	    cmdline_cpus(h, name, val, set, nohz, &why))
		return false;
	return true;
}

/* isolcpus=, nohz_full=, rcu_nocbs=: a cpulist (isolcpus may start with flags). */
static void judge_isolation_param(const struct doctor_host *h, const struct doctor_check *k,
				  struct doctor_finding *f)
{
	char cmdline[4096], val[512], iso[1024], arg[1100];
	const char *why = NULL, *implied = NULL;
	cpu_set_t have, missing, extra;
	bool nohz, given;

	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	cpus(iso, sizeof(iso), &h->isolated);
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	CPU_ZERO(&have);
	given = cmdline_get(cmdline, k->path, val, sizeof(val));
	if (!given) {
		doctor_set(f->value, "%s= is not set", k->path);
	} else {
		if (cmdline_cpus(h, k->path, val, &have, &nohz, &why))
			CPU_ZERO(&have);
		doctor_set(f->value, "%s=%s", k->path, val);
		if (why && !CPU_COUNT(&have))
			doctor_append(f->value, sizeof(f->value), " (rejected by the kernel: %s)",
				      why);
	}
	/* What the kernel derives: isolcpus=nohz,... is nohz_full=; nohz_full=
	 * offloads RCU callbacks as rcu_nocbs= does (rcu_init_nohz()). */
	if (!strcmp(k->path, "nohz_full") || !strcmp(k->path, "rcu_nocbs")) {
		if (cmdline_isolates(h, cmdline, "isolcpus", &extra, &nohz) && nohz) {
			CPU_OR(&have, &have, &extra);
			implied = "isolcpus=nohz";
		}
	}
	if (!strcmp(k->path, "rcu_nocbs") &&
	    cmdline_isolates(h, cmdline, "nohz_full", &extra, &nohz)) {
		CPU_OR(&have, &have, &extra);
		implied = "nohz_full=";
	}
	/* As it took effect: what /sys says the kernel did with the request. */
	if (strcmp(k->path, "rcu_nocbs")) {
		char sys[80];
		cpu_set_t effect, lost;

		snprintf(sys, sizeof(sys), "/sys/devices/system/cpu/%s",
			 !strcmp(k->path, "isolcpus") ? "isolated" : "nohz_full");
		if (read_cpus(h, sys, &effect)) {
			CPU_XOR(&lost, &have, &effect);
			CPU_AND(&lost, &lost, &have);
			CPU_AND(&lost, &lost, &h->isolated);
			if (CPU_COUNT(&lost)) {
				char lost_s[1024];

				doctor_append(f->value, sizeof(f->value),
					      " (but CPUs %s are not in %s: not in effect)",
					      cpus(lost_s, sizeof(lost_s), &lost), sys);
				CPU_AND(&have, &have, &effect);
			}
		}
	}
	/* isolcpus=domain's effect, from cgroup v2 cpuset partitions */
	if (!strcmp(k->path, "isolcpus")) {
		cpu_set_t part, gain;

		cpuset_isolated(h, &part);
		CPU_AND(&gain, &part, &h->isolated);
		CPU_XOR(&extra, &gain, &have);
		CPU_AND(&gain, &gain, &extra);
		if (CPU_COUNT(&gain)) {
			char gain_s[1024];

			CPU_OR(&have, &have, &gain);
			doctor_append(f->value, sizeof(f->value),
				      "; CPUs %s are in isolated cpuset partitions",
				      cpus(gain_s, sizeof(gain_s), &gain));
		}
	}
	CPU_XOR(&missing, &h->isolated, &have);
	CPU_AND(&missing, &missing, &h->isolated);
	f->state = CPU_COUNT(&missing) ? DOCTOR_FAIL : DOCTOR_OK;
	if (implied && f->state == DOCTOR_OK && !given)
		doctor_append(f->value, sizeof(f->value), " (%s implies it)", implied);
	if (f->state == DOCTOR_FAIL) {
		char missing_s[256];
		cpu_set_t nohz_cpus, uncovered;

		doctor_append(f->value, sizeof(f->value), ": isolated CPUs %s not covered",
			      cpus(missing_s, sizeof(missing_s), &missing));
		/* tuned's cpu-partitioning without no_balance_cores: nohz_full in
		 * effect and every task's affinity kept off the CPUs, so only the
		 * load balancer's own work still runs there. A gap, not a hole. */
		if (!strcmp(k->path, "isolcpus") &&
		    read_cpus(h, "/sys/devices/system/cpu/nohz_full", &nohz_cpus)) {
			CPU_XOR(&uncovered, &missing, &nohz_cpus);
			CPU_AND(&uncovered, &uncovered, &missing);
			if (!CPU_COUNT(&uncovered)) {
				f->milder = true;
				doctor_append(f->value, sizeof(f->value),
					      " (they are nohz_full: isolated by affinity, as "
					      "tuned's cpu-partitioning does without "
					      "no_balance_cores; the load balancer still visits)");
			}
		}
	}
	snprintf(arg, sizeof(arg), "%s=%s%s", k->path,
		 !strcmp(k->path, "isolcpus") ? "managed_irq,domain," : "", iso);
	apply_cmdline(f, arg);
}

/* A flag that must be on the command line (with this value, if want). */
static void judge_cmdline_flag(const struct doctor_host *h, const struct doctor_check *k,
			       struct doctor_finding *f)
{
	char cmdline[4096], val[256], arg[300];
	/* path: "name" or "name=value" */
	const char *eq = strchr(k->path, '=');
	char name[64];

	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - k->path) : (int)strlen(k->path),
		 k->path);
	snprintf(arg, sizeof(arg), "%s", k->path);
	if (!cmdline_get(cmdline, name, val, sizeof(val))) {
		f->state = DOCTOR_FAIL;
		doctor_set(f->value, "%s is not set", name);
	} else {
		f->state = !eq || !strcmp(val, eq + 1) ? DOCTOR_OK : DOCTOR_FAIL;
		if (val[0])
			doctor_set(f->value, "%s=%s", name, val);
		else
			doctor_set(f->value, "%s", name);
	}
	apply_cmdline(f, arg);
}

/* isolcpus=managed_irq,...: managed IRQs kept off the isolated CPUs. */
static void judge_managed_irq(const struct doctor_host *h, const struct doctor_check *k,
			      struct doctor_finding *f)
{
	char cmdline[4096], val[512], iso[1024], arg[1100];

	(void)k;
	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	if (cmdline_get(cmdline, "isolcpus", val, sizeof(val)))
		doctor_set(f->value, "isolcpus=%s", val);
	else
		doctor_set(f->value, "isolcpus= is not set");
	f->state = strstr(f->value, "managed_irq") ? DOCTOR_OK : DOCTOR_FAIL;
	snprintf(arg, sizeof(arg), "isolcpus=managed_irq,domain,%s",
		 cpus(iso, sizeof(iso), &h->isolated));
	apply_cmdline(f, arg);
}

/* nohz=off would undo nohz_full; the default (on) is what tuned asks. */
static void judge_nohz(const struct doctor_host *h, const struct doctor_check *k,
		       struct doctor_finding *f)
{
	char cmdline[4096], val[64];

	(void)k;
	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	if (cmdline_get(cmdline, "nohz", val, sizeof(val)) && !strcmp(val, "off")) {
		f->state = DOCTOR_FAIL;
		doctor_set(f->value, "nohz=off");
		doctor_set(f->recommended, "nohz=on (the default)");
		doctor_set(f->apply, "kernel command line: remove nohz=off, reboot");
		return;
	}
	f->state = DOCTOR_OK;
	doctor_set(f->value, "nohz=%s",
		   cmdline_get(cmdline, "nohz", val, sizeof(val)) ? val : "on (default)");
}

/*
 * A module's uint parameter as the kernel takes it (param_set_uint():
 * kstrtouint base 0: an optional '+', then decimal, 0x hex or 0 octal, a
 * trailing newline). Anything else is rejected and the default stays.
 */
static bool kernel_uint(const char *s, unsigned *v)
{
	unsigned long long n = 0;
	unsigned base = 10;
	const char *p = s;

	if (*p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		base = 16;
		p += 2;
	} else if (p[0] == '0') {
		base = 8;
	}
	if (!*p)
		return false;
	for (; *p && *p != '\n'; p++) {
		unsigned d = isdigit((unsigned char)*p)	   ? (unsigned)(*p - '0')
			     : isxdigit((unsigned char)*p) ? (unsigned)(tolower(*p) - 'a' + 10)
							   : 99;

		if (d >= base)
			return false;
		n = n * base + d;
		if (n > 0xffffffffull)
			return false;
	}
	if (p[0] == '\n' && p[1])
		return false;
	*v = (unsigned)n;
	return true;
}

/*
 * The CPU latency PM QoS request in force (/dev/cpu_dma_latency, root
 * only): 0 and *us, or -errno. PM_QOS_CPU_LATENCY_DEFAULT_VALUE,
 * 2000000000 us, is what it says when no process holds a request. The
 * cpuidle governors skip every state whose exit latency is above it.
 */
#define PM_QOS_NO_REQUEST     2000000000
#define CSTATE_MAX_LATENCY_US 10u
static int pm_qos_us(const struct doctor_host *h, int32_t *us)
{
	char path[512];
	int fd, err = 0;

	/* the daemon's, opened as root: the request in force now (pread at 0:
	 * the file does not seek) */
	if (h->root_files.pm_qos >= 0)
		return pread(h->root_files.pm_qos, us, sizeof(*us), 0) == sizeof(*us) ? 0 : -EIO;
	snprintf(path, sizeof(path), "%s/dev/cpu_dma_latency", h->root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, us, sizeof(*us)) != sizeof(*us))
		err = -EIO;
	close(fd);
	return err;
}

/*
 * A check that fails unless a PM QoS request limits C-states: when the
 * request cannot be read (not root) the failure may be false, so it is
 * left to root. true when it did that.
 */
static bool pm_qos_unknown(const struct doctor_host *h, struct doctor_finding *f, int32_t *qos)
{
	int err = pm_qos_us(h, qos);

	if (err != -EACCES && err != -EPERM)
		return false;
	f->state = DOCTOR_NEEDS_ROOT;
	doctor_append(f->value, sizeof(f->value),
		      "; whether a PM QoS request limits C-states is in /dev/cpu_dma_latency, "
		      "readable by root only: run jitterd doctor as root");
	return true;
}

/* Idle states: idle=poll, or a max_cstate of the idle driver. */
static void judge_cstate_limit(const struct doctor_host *h, const struct doctor_check *k,
			       struct doctor_finding *f)
{
	static const char *const params[] = { "intel_idle.max_cstate", "processor.max_cstate" };
	char cmdline[4096], val[64], bad[256] = "";
	int32_t qos;
	unsigned n;

	(void)k;
	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	f->state = DOCTOR_FAIL;
	if (cmdline_get(cmdline, "idle", val, sizeof(val)) && !strcmp(val, "poll")) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "idle=poll");
	}
	for (unsigned i = 0; i < 2 && f->state == DOCTOR_FAIL; i++) {
		if (!cmdline_get(cmdline, params[i], val, sizeof(val)))
			continue;
		if (!kernel_uint(val, &n)) {
			doctor_append(bad, sizeof(bad),
				      "%s%s=%s is not a number (the kernel ignores it)",
				      bad[0] ? "; " : "", params[i], val);
		} else if (n <= 1) {
			f->state = DOCTOR_OK;
			doctor_set(f->value, "%s=%s", params[i], val);
		}
	}
	if (f->state == DOCTOR_FAIL)
		doctor_set(f->value, "%s",
			   bad[0] ? bad
				  : "no idle=poll, intel_idle.max_cstate or processor.max_cstate");
	apply_cmdline(f, "intel_idle.max_cstate=1 processor.max_cstate=1");
	/* A PM QoS request (tuned's force_latency) limits C-states at run time. */
	if (f->state == DOCTOR_FAIL && pm_qos_unknown(h, f, &qos))
		return;
	if (f->state == DOCTOR_FAIL && !pm_qos_us(h, &qos) &&
	    qos <= (int32_t)CSTATE_MAX_LATENCY_US) {
		f->state = DOCTOR_OK;
		doctor_append(f->value, sizeof(f->value),
			      "; a PM QoS request of %d us on /dev/cpu_dma_latency limits C-states",
			      qos);
	}
}

/* intel_pstate=disable / amd_pstate=disable (tuned's cpu-partitioning, realtime). */
static void judge_pstate(const struct doctor_host *h, const struct doctor_check *k,
			 struct doctor_finding *f)
{
	char cmdline[4096], val[64], drv[64];
	const char *want = "intel_pstate=disable";

	(void)k;
	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	if (!doctor_read(h, drv, sizeof(drv),
			 "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver") &&
	    strstr(drv, "amd"))
		want = "amd_pstate=disable";
	if ((cmdline_get(cmdline, "intel_pstate", val, sizeof(val)) ||
	     cmdline_get(cmdline, "amd_pstate", val, sizeof(val))) &&
	    !strcmp(val, "disable")) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "%s",
			   strstr(cmdline, "intel_pstate=") ? "intel_pstate=disable"
							    : "amd_pstate=disable");
	} else if (doctor_read(h, drv, sizeof(drv),
			       "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver")) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no cpufreq driver (a virtual machine, or frequency fixed)");
		return;
	} else {
		f->state = DOCTOR_FAIL;
		doctor_set(f->value, "cpufreq driver %s", drv);
	}
	apply_cmdline(f, want);
}

/* ---- CPUs ---------------------------------------------------------------- */

/* The CPUs to judge per-CPU settings on: the isolated ones, or all. */
static void judged_cpus(const struct doctor_host *h, cpu_set_t *set)
{
	if (h->have_isolated) {
		*set = h->isolated;
		return;
	}
	CPU_ZERO(set);
	for (unsigned c = 0; c < h->nr_cpus && c < CPU_SETSIZE; c++)
		CPU_SET(c, set);
}

/* A per-CPU file that must say want (a word) on every judged CPU. */
static void judge_per_cpu_word(const struct doctor_host *h, const struct doctor_check *k,
			       struct doctor_finding *f, const char *want, const char *apply_fmt)
{
	cpu_set_t set, bad;
	char buf[64], first[64] = "", list[256];
	int err = 0, seen = 0;

	judged_cpus(h, &set);
	CPU_ZERO(&bad);
	for (unsigned c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		err = doctor_read(h, buf, sizeof(buf), k->path, c);
		if (err)
			continue;
		seen++;
		if (strcmp(buf, want)) {
			CPU_SET(c, &bad);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", buf);
		}
	}
	snprintf(buf, sizeof(buf), k->path, 0);
	if (!seen) {
		doctor_unreadable(f, err ? err : -ENOENT, buf);
		return;
	}
	doctor_set(f->where, "%s (CPUs %s)", buf, cpus(list, sizeof(list), &set));
	doctor_set(f->recommended, "%s", want);
	if (CPU_COUNT(&bad)) {
		f->state = DOCTOR_FAIL;
		doctor_set(f->value, "%s on CPUs %s", first, cpus(list, sizeof(list), &bad));
	} else {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "%s", want);
	}
	doctor_set(f->apply, apply_fmt, want);
}

static void judge_governor(const struct doctor_host *h, const struct doctor_check *k,
			   struct doctor_finding *f)
{
	judge_per_cpu_word(h, k, f, "performance",
			   "cpupower frequency-set -g %s (or echo it > "
			   "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)");
}

static void judge_epb(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	judge_per_cpu_word(h, k, f, "0",
			   "cpupower set -b %s (or echo it > "
			   "/sys/devices/system/cpu/cpu*/power/energy_perf_bias)");
}

/* Turbo: cpufreq/boost = 1, or intel_pstate/no_turbo = 0. */
static void judge_boost(const struct doctor_host *h, const struct doctor_check *k,
			struct doctor_finding *f)
{
	static const char boost[] = "/sys/devices/system/cpu/cpufreq/boost";
	static const char no_turbo[] = "/sys/devices/system/cpu/intel_pstate/no_turbo";
	char buf[32];
	int err;

	(void)k;
	err = doctor_read(h, buf, sizeof(buf), boost);
	if (!err) {
		doctor_set(f->where, boost);
		f->state = !strcmp(buf, "1") ? DOCTOR_OK : DOCTOR_FAIL;
		doctor_set(f->value, "%s", buf);
		doctor_set(f->recommended, "1");
		doctor_set(f->apply, "echo 1 > %s", boost);
	} else if (!doctor_read(h, buf, sizeof(buf), no_turbo)) {
		doctor_set(f->where, no_turbo);
		f->state = !strcmp(buf, "0") ? DOCTOR_OK : DOCTOR_FAIL;
		doctor_set(f->value, "no_turbo %s", buf);
		doctor_set(f->recommended, "no_turbo 0");
		doctor_set(f->apply, "echo 0 > %s", no_turbo);
	} else {
		doctor_unreadable(f, err, boost);
	}
}

/* A sysfs file that must hold a word (platform_profile, current_clocksource). */
static void judge_word(const struct doctor_host *h, const struct doctor_check *k,
		       struct doctor_finding *f)
{
	char buf[128];
	int err = doctor_read(h, buf, sizeof(buf), "%s", k->path);

	if (err)
		return doctor_unreadable(f, err, k->path);
	doctor_set(f->where, "%s", k->path);
	doctor_set(f->value, "%s", buf);
	doctor_set(f->recommended, "%s", k->sysctl);
	f->state = !strcmp(buf, k->sysctl) ? DOCTOR_OK : DOCTOR_FAIL;
	doctor_set(f->apply, "echo %s > %s", k->sysctl, k->path);
}

static void judge_clocksource(const struct doctor_host *h, const struct doctor_check *k,
			      struct doctor_finding *f)
{
	judge_word(h, k, f);
	if (f->state == DOCTOR_FAIL)
		doctor_set(f->apply,
			   "kernel command line: clocksource=tsc tsc=reliable (only where the TSC "
			   "is invariant: see cpu.tsc_flags), reboot");
}

/* A selector file's chosen word ("always defer [madvise] never" -> madvise). */
static int read_selector(const struct doctor_host *h, const char *path, char *sel, size_t size)
{
	char buf[256];
	const char *open;
	int err = doctor_read(h, buf, sizeof(buf), "%s", path);

	if (err)
		return err;
	open = strchr(buf, '[');
	snprintf(sel, size, "%.*s", open ? (int)strcspn(open + 1, "]") : (int)strlen(buf),
		 open ? open + 1 : buf);
	return 0;
}

/* The "[selected]" word of a sysfs selector ("always madvise [never]"). */
static void judge_selector(const struct doctor_host *h, const struct doctor_check *k,
			   struct doctor_finding *f)
{
	char sel[64];
	int err = read_selector(h, k->path, sel, sizeof(sel));

	if (err)
		return doctor_unreadable(f, err, k->path);
	doctor_set(f->where, "%s", k->path);
	doctor_set(f->value, "%s", sel);
	doctor_set(f->recommended, "%s", k->sysctl);
	f->state = !strcmp(sel, k->sysctl) ? DOCTOR_OK : DOCTOR_FAIL;
	snprintf(f->apply, sizeof(f->apply),
		 "echo %s > %s; at boot: transparent_hugepage=%s on the kernel command line",
		 k->sysctl, k->path, k->sysctl);
}

/* cpu flags constant_tsc and nonstop_tsc: the TSC is a usable clock. */
static void judge_tsc_flags(const struct doctor_host *h, const struct doctor_check *k,
			    struct doctor_finding *f)
{
	char path[512];
	char line[8192];
	bool constant = false, nonstop = false, seen = false;
	FILE *fp;

	(void)k;
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", h->root);
	fp = fopen(path, "re");
	if (!fp)
		return doctor_unreadable(f, -errno, "/proc/cpuinfo");
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "flags", 5)) {
			seen = true;
			constant = strstr(line, " constant_tsc") != NULL;
			nonstop = strstr(line, " nonstop_tsc") != NULL;
			break;
		}
	fclose(fp);
	doctor_set(f->where, "/proc/cpuinfo flags");
	if (!seen) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no flags line (not x86)");
		return;
	}
	f->state = constant && nonstop ? DOCTOR_OK : DOCTOR_FAIL;
	doctor_set(f->value, "constant_tsc %s, nonstop_tsc %s", constant ? "yes" : "no",
		   nonstop ? "yes" : "no");
	doctor_set(f->recommended, "constant_tsc and nonstop_tsc");
	doctor_set(f->apply, "hardware/hypervisor: expose an invariant TSC (e.g. qemu -cpu "
			     "host,+invtsc); otherwise keep the kernel's clocksource choice");
}

/* Idle states deeper than 10 us of exit latency, enabled on the judged CPUs. */
static void judge_cstates(const struct doctor_host *h, const struct doctor_check *k,
			  struct doctor_finding *f)
{
	cpu_set_t set, bad;
	char buf[64], name[32], worst[96] = "";
	unsigned worst_lat = 0, seen = 0;
	int32_t qos = PM_QOS_NO_REQUEST;

	(void)k;
	if (pm_qos_us(h, &qos))
		qos = PM_QOS_NO_REQUEST;
	judged_cpus(h, &set);
	CPU_ZERO(&bad);
	for (unsigned c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		for (unsigned s = 0; s < 16; s++) {
			unsigned lat;

			if (doctor_read(h, buf, sizeof(buf),
					"/sys/devices/system/cpu/cpu%u/cpuidle/state%u/latency", c,
					s))
				break;
			seen++;
			lat = (unsigned)strtoul(buf, NULL, 10);
			/* above the PM QoS request: cpuidle never enters it */
			if (lat <= CSTATE_MAX_LATENCY_US || (qos >= 0 && lat > (unsigned)qos))
				continue;
			if (!doctor_read(h, buf, sizeof(buf),
					 "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/disable", c,
					 s) &&
			    !strcmp(buf, "1"))
				continue;
			CPU_SET(c, &bad);
			if (lat > worst_lat) {
				worst_lat = lat;
				if (doctor_read(
					    h, name, sizeof(name),
					    "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/name", c,
					    s))
					snprintf(name, sizeof(name), "state%u", s);
				snprintf(worst, sizeof(worst), "%s (%u us exit latency, state%u)",
					 name, lat, s);
			}
		}
	}
	doctor_set(f->where, "/sys/devices/system/cpu/cpu*/cpuidle/state*/{latency,disable}");
	if (!seen) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no cpuidle states (no idle driver, or a virtual machine)");
		return;
	}
	doctor_set(f->recommended, "no enabled idle state above %u us of exit latency",
		   CSTATE_MAX_LATENCY_US);
	if (CPU_COUNT(&bad)) {
		char list[1024];

		f->state = DOCTOR_FAIL;
		doctor_set(f->value, "%s enabled on CPUs %s", worst,
			   cpus(list, sizeof(list), &bad));
		if (pm_qos_unknown(h, f, &qos))
			return;
		snprintf(f->apply, sizeof(f->apply),
			 "cpupower -c %s idle-set -D %u (disables states above %u us), or hold "
			 "/dev/cpu_dma_latency at %u (tuned: force_latency)",
			 list, CSTATE_MAX_LATENCY_US, CSTATE_MAX_LATENCY_US, CSTATE_MAX_LATENCY_US);
	} else {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "every enabled idle state exits within %u us",
			   CSTATE_MAX_LATENCY_US);
		if (qos < PM_QOS_NO_REQUEST)
			doctor_append(f->value, sizeof(f->value),
				      " or is above the PM QoS request (%d us)", qos);
	}
}

/* The PM QoS request in force: /dev/cpu_dma_latency (root only). */
static void judge_pm_qos(const struct doctor_host *h, const struct doctor_check *k,
			 struct doctor_finding *f)
{
	int32_t us;
	int err;

	(void)k;
	err = pm_qos_us(h, &us);
	if (err)
		return doctor_unreadable(f, err, "/dev/cpu_dma_latency");
	doctor_set(f->where, "/dev/cpu_dma_latency");
	if (us >= PM_QOS_NO_REQUEST)
		doctor_set(f->value, "no request (%d us is the kernel's default)", us);
	else
		doctor_set(f->value, "%d us", us);
	doctor_set(f->recommended, "at most %u us, held by a process", CSTATE_MAX_LATENCY_US);
	f->state = us <= (int32_t)CSTATE_MAX_LATENCY_US ? DOCTOR_OK : DOCTOR_FAIL;
	doctor_set(f->apply, "tuned's latency-performance (force_latency), or a service that "
			     "keeps /dev/cpu_dma_latency open with a 4-byte value of 10 written");
}

/* machinecheck*: ignore_ce = 1 stops the corrected-error polling timer. */
static void judge_mce(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	char buf[32];
	cpu_set_t bad;
	unsigned seen = 0;

	(void)k;
	CPU_ZERO(&bad);
	for (unsigned c = 0; c < h->nr_cpus && c < CPU_SETSIZE; c++) {
		if (doctor_read(h, buf, sizeof(buf),
				"/sys/devices/system/machinecheck/machinecheck%u/ignore_ce", c))
			continue;
		seen++;
		if (strcmp(buf, "1"))
			CPU_SET(c, &bad);
	}
	if (!seen)
		return doctor_unreadable(f, -ENOENT, "/sys/devices/system/machinecheck");
	doctor_set(f->where, "/sys/devices/system/machinecheck/machinecheck*/ignore_ce");
	doctor_set(f->recommended, "1");
	f->state = CPU_COUNT(&bad) ? DOCTOR_FAIL : DOCTOR_OK;
	if (CPU_COUNT(&bad)) {
		char list[256];

		doctor_set(f->value, "0 on CPUs %s", cpus(list, sizeof(list), &bad));
	} else
		doctor_set(f->value, "1");
	doctor_set(f->apply, "echo 1 | tee "
			     "/sys/devices/system/machinecheck/machinecheck*/ignore_ce, or "
			     "mce=ignore_ce on the kernel command line");
}

/* A cpumask file that must leave the isolated CPUs out. */
static bool mask_hits_isolated(const struct doctor_host *h, const char *mask, cpu_set_t *hit)
{
	cpu_set_t set;

	if (doctor_parse_cpumask(mask, &set))
		return false;
	CPU_AND(hit, &set, &h->isolated);
	return CPU_COUNT(hit) > 0;
}

/*
 * The housekeeping CPUs (every CPU not isolated) as a mask for bitmap_parse()
 * and as a list: false when there is none (every CPU isolated), and then
 * no fix may be written with them: the kernel refuses an empty affinity.
 */

bool doctor_housekeeping(const struct doctor_host *h, char *mask, char *list)
{
	cpu_set_t hk;

	CPU_ZERO(&hk);
	for (unsigned c = 0; c < h->nr_cpus && c < CPU_SETSIZE; c++)
		if (!CPU_ISSET(c, &h->isolated))
			CPU_SET(c, &hk);
	format_cpumask(&hk, h->nr_cpus, mask, DOCTOR_HK_TEXT);
	format_cpulist(&hk, list, DOCTOR_HK_TEXT);
	return CPU_COUNT(&hk) > 0;
}

/* The finding when every CPU is isolated: nothing to move work to. */
void doctor_no_housekeeping(struct doctor_finding *f)
{
	doctor_set(f->recommended, "at least one housekeeping (not isolated) CPU");
	doctor_set(f->apply, "every CPU is isolated: leave at least one CPU out of the isolated "
			     "set first (the kernel needs one for housekeeping)");
}

static void judge_workqueue(const struct doctor_host *h, const struct doctor_check *k,
			    struct doctor_finding *f)
{
	static const char *const fixed[] = { "/sys/devices/virtual/workqueue/cpumask",
					     "/sys/bus/workqueue/devices/writeback/cpumask" };
	char buf[512], bad[DOCTOR_TEXT] = "", hk[DOCTOR_HK_TEXT], hk_list[DOCTOR_HK_TEXT],
		       path[512];
	bool have_hk;
	cpu_set_t hit;
	unsigned seen = 0;
	size_t n = 0;
	DIR *d;
	struct dirent *e;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	for (unsigned i = 0; i < 2; i++) {
		if (doctor_read(h, buf, sizeof(buf), "%s", fixed[i]))
			continue;
		seen++;
		if (mask_hits_isolated(h, buf, &hit) && n < sizeof(bad))
			n += (size_t)snprintf(bad + n, sizeof(bad) - n, "%s%s=%s", n ? ", " : "",
					      fixed[i], buf);
	}
	snprintf(path, sizeof(path), "%s/sys/devices/virtual/workqueue", h->root);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		/* writeback is the one /sys/bus/workqueue names: read above */
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "writeback") ||
		    doctor_read(h, buf, sizeof(buf), "/sys/devices/virtual/workqueue/%s/cpumask",
				e->d_name))
			continue;
		seen++;
		if (mask_hits_isolated(h, buf, &hit) && n < sizeof(bad))
			n += (size_t)snprintf(bad + n, sizeof(bad) - n, "%s%s=%s", n ? ", " : "",
					      e->d_name, buf);
	}
	if (d)
		closedir(d);
	if (!seen)
		return doctor_unreadable(f, -ENOENT, fixed[0]);
	have_hk = doctor_housekeeping(h, hk, hk_list);
	doctor_set(f->where, "/sys/devices/virtual/workqueue/{,*/}cpumask, "
			     "/sys/bus/workqueue/devices/writeback/cpumask");
	doctor_set(f->recommended, "%s (the housekeeping CPUs)", hk);
	f->state = n ? DOCTOR_FAIL : DOCTOR_OK;
	if (n)
		doctor_set(f->value, "unbound workqueues may run on isolated CPUs: %s", bad);
	else
		doctor_set(f->value, "no unbound workqueue runs on the isolated CPUs");
	snprintf(f->apply, sizeof(f->apply),
		 "echo %s | tee /sys/devices/virtual/workqueue/cpumask "
		 "/sys/devices/virtual/workqueue/*/cpumask "
		 "/sys/bus/workqueue/devices/writeback/cpumask",
		 hk);
	if (!have_hk)
		doctor_no_housekeeping(f);
}

/* The affinity of PID 1 (systemd's CPUAffinity=) is every service's default. */
static void judge_init_affinity(const struct doctor_host *h, const struct doctor_check *k,
				struct doctor_finding *f)
{
	char buf[4096], list[1024], hk[DOCTOR_HK_TEXT], hk_mask[DOCTOR_HK_TEXT];
	const char *p, *why;
	cpu_set_t set, hit;
	bool have_hk;
	int err;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	err = doctor_read(h, buf, sizeof(buf), "/proc/1/status");
	if (err)
		return doctor_unreadable(f, err, "/proc/1/status");
	p = strstr(buf, "Cpus_allowed_list:");
	if (!p)
		return doctor_unreadable(f, -ENOENT, "/proc/1/status Cpus_allowed_list");
	p += strlen("Cpus_allowed_list:");
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(list, sizeof(list), "%.*s", (int)strcspn(p, "\n"), p);
	if (parse_kernel_cpulist(list, h->nr_cpus, &set, &why))
		return doctor_unreadable(f, -EINVAL, "/proc/1/status");
	CPU_AND(&hit, &set, &h->isolated);
	have_hk = doctor_housekeeping(h, hk_mask, hk);
	doctor_set(f->where, "/proc/1/status Cpus_allowed_list");
	doctor_set(f->value, "%s", list);
	doctor_set(f->recommended, "%s (the housekeeping CPUs)", hk);
	f->state = CPU_COUNT(&hit) ? DOCTOR_FAIL : DOCTOR_OK;
	snprintf(f->apply, sizeof(f->apply),
		 "CPUAffinity=%s in /etc/systemd/system.conf (or isolcpus=), then reboot", hk);
	if (!have_hk)
		doctor_no_housekeeping(f);
}

/*
 * The SMT siblings of the isolated CPUs (topology/thread_siblings_list, which
 * lists online siblings only): a sibling that is not isolated runs ordinary
 * work on the same core, sharing its execution units, L1 and L2 with the
 * isolated thread.
 */
static void judge_smt_siblings(const struct doctor_host *h, const struct doctor_check *k,
			       struct doctor_finding *f)
{
	char path[128], iso_s[1024], hk_s[1024], list[4096] = "";
	cpu_set_t shared, busy;
	unsigned seen = 0;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	CPU_ZERO(&shared);
	CPU_ZERO(&busy);
	for (unsigned c = 0; c < h->nr_cpus && c < CPU_SETSIZE; c++) {
		cpu_set_t sib;

		if (!CPU_ISSET(c, &h->isolated))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		if (!read_cpus(h, path, &sib))
			continue;
		seen++;
		for (unsigned s = 0; s < h->nr_cpus && s < CPU_SETSIZE; s++)
			if (s != c && CPU_ISSET(s, &sib) && !CPU_ISSET(s, &h->isolated)) {
				CPU_SET(c, &shared);
				CPU_SET(s, &busy);
			}
	}
	if (!seen)
		return doctor_unreadable(
			f, -ENOENT, "/sys/devices/system/cpu/cpu*/topology/thread_siblings_list");
	doctor_set(f->where, "/sys/devices/system/cpu/cpu*/topology/thread_siblings_list");
	doctor_set(f->recommended, "no isolated CPU shares its core with a housekeeping CPU");
	if (!CPU_COUNT(&shared)) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "no isolated CPU shares its core with a housekeeping CPU");
		return;
	}
	f->state = DOCTOR_FAIL;
	doctor_set(f->value, "isolated CPUs %s share their cores with housekeeping CPUs %s",
		   cpus(iso_s, sizeof(iso_s), &shared), cpus(hk_s, sizeof(hk_s), &busy));
	/* CPU 0 cannot go offline on most machines: never in the loop */
	for (unsigned s = 1; s < CPU_SETSIZE; s++)
		if (CPU_ISSET(s, &busy))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
				 list[0] ? " " : "", s);
	snprintf(f->apply, sizeof(f->apply),
		 "isolate whole cores: give CPUs %s to housekeeping (the isolated set on the "
		 "command line and in the config), or echo off > "
		 "/sys/devices/system/cpu/smt/control "
		 "(nosmt on the kernel command line)",
		 iso_s);
	if (list[0] && strlen(list) + strlen(f->apply) + 100 < sizeof(f->apply))
		doctor_append(
			f->apply, sizeof(f->apply),
			", or for i in %s; do echo 0 > /sys/devices/system/cpu/cpu$i/online; done",
			list);
}

/* ---- IRQs ------------------------------------------------------------------ */

/* The name of IRQ irq in /proc/interrupts (its last column). */
static void irq_name(const char *interrupts, unsigned irq, char *out, size_t size)
{
	char key[16];
	const char *p = interrupts;
	size_t klen = (size_t)snprintf(key, sizeof(key), "%u:", irq);

	out[0] = '\0';
	while (p && *p) {
		const char *line = p, *eol = strchr(p, '\n'), *end;

		while (*line == ' ')
			line++;
		if (!strncmp(line, key, klen)) {
			end = eol ? eol : line + strlen(line);
			/* the last word(s): after the last run of two spaces */
			const char *name = end;
			while (name > line && !(name[-1] == ' ' && name[-2] == ' '))
				name--;
			snprintf(out, size, "%.*s", (int)(end - name), name);
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* The whole of root + path, NUL-terminated (malloc'd), or NULL: /proc/interrupts
 * of a large host is megabytes (a column per CPU, a line per IRQ). */
char *doctor_read_all(const struct doctor_host *h, const char *path)
{
	char full[512];
	size_t len = 0, cap = 65536;
	char *buf = NULL;
	int fd;

	snprintf(full, sizeof(full), "%s%s", h->root, path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || len + 1 >= cap) {
			char *more = realloc(buf, buf ? cap *= 2 : cap);

			if (!more)
				break;
			buf = more;
		}
		ssize_t got = read(fd, buf + len, cap - len - 1);

		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/*
 * Appends ", IRQ n (name)" (and " on CPUs x" when on) to list, whole or not
 * at all: an item that does not fit is counted in *left, never cut.
 */
static void add_irq(char *list, size_t size, unsigned *left, const char *interrupts, unsigned irq,
		    const cpu_set_t *on)
{
	char name[64], cpu_s[256], item[400];
	size_t n = strlen(list);

	if (interrupts)
		irq_name(interrupts, irq, name, sizeof(name));
	else
		name[0] = '\0';
	snprintf(item, sizeof(item), "%sIRQ %u%s%s%s%s%s", n ? ", " : "", irq, name[0] ? " (" : "",
		 name, name[0] ? ")" : "", on ? " on CPUs " : "",
		 on ? cpus(cpu_s, sizeof(cpu_s), on) : "");
	/* room for the item and for " and 99999 more" after it */
	if (*left || n + strlen(item) + 16 >= size) {
		(*left)++;
		return;
	}
	memcpy(list + n, item, strlen(item) + 1);
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The IRQ numbers of /proc/irq, sorted; *n of them (malloc'd, or NULL). */
static unsigned *list_irqs(const struct doctor_host *h, unsigned *n, int *err)
{
	char path[512];
	unsigned *irqs = NULL, cap = 0;
	struct dirent *e;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "%s/proc/irq", h->root);
	d = opendir(path);
	if (!d) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	while ((e = readdir(d))) {
		char *end;
		unsigned long irq = strtoul(e->d_name, &end, 10);

		if (*end || end == e->d_name || irq > 0xffffffffUL)
			continue;
		if (*n == cap) {
			unsigned *more = realloc(irqs, (cap = cap ? cap * 2 : 256) * sizeof(*irqs));

			if (!more)
				break;
			irqs = more;
		}
		irqs[(*n)++] = (unsigned)irq;
	}
	closedir(d);
	if (*n)
		qsort(irqs, *n, sizeof(*irqs), cmp_unsigned);
	return irqs;
}

/*
 * Every IRQ: where it runs (effective_affinity_list) and where the kernel
 * may move it (smp_affinity_list), against the isolated CPUs; and the
 * default affinity that new IRQs get. The fix names every IRQ it moves,
 * or, when they do not all fit, moves every IRQ: never some of them.
 */
static void judge_irq_affinity(const struct doctor_host *h, const struct doctor_check *k,
			       struct doctor_finding *f)
{
	char buf[1024], hk[DOCTOR_HK_TEXT], hkmask[DOCTOR_HK_TEXT], loop[2 * DOCTOR_TEXT] = "";
	/* sized so that both, their counts and a 1024-CPU default mask fit in value */
	char runs[320] = "", may[200] = "";
	unsigned seen = 0, nruns = 0, nmay = 0, left_runs = 0, left_may = 0, nirqs, nmove = 0;
	unsigned *irqs;
	bool default_hits = false, have_hk, all_fit;
	size_t budget;
	char *interrupts;
	const char *why;
	cpu_set_t hit;
	int err;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	irqs = list_irqs(h, &nirqs, &err);
	if (err)
		return doctor_unreadable(f, err, "/proc/irq");
	interrupts = doctor_read_all(h, "/proc/interrupts");
	have_hk = doctor_housekeeping(h, hkmask, hk);
	/* what the command has room for besides the IRQ numbers */
	budget = sizeof(f->apply) - strlen(hk) - strlen(hkmask) - 256;
	all_fit = strlen(hk) + strlen(hkmask) + 256 < sizeof(f->apply);
	for (unsigned i = 0; i < nirqs; i++) {
		cpu_set_t allowed, effective, on;
		unsigned irq = irqs[i];

		if (doctor_read(h, buf, sizeof(buf), "/proc/irq/%u/smp_affinity_list", irq) ||
		    parse_kernel_cpulist(buf, h->nr_cpus, &allowed, &why))
			continue;
		seen++;
		/* The chip honours one CPU of the list, or the list. */
		if (doctor_read(h, buf, sizeof(buf), "/proc/irq/%u/effective_affinity_list", irq) ||
		    !buf[0] || parse_kernel_cpulist(buf, h->nr_cpus, &effective, &why))
			effective = allowed;
		CPU_AND(&on, &effective, &h->isolated);
		CPU_AND(&hit, &allowed, &h->isolated);
		if (CPU_COUNT(&on)) {
			nruns++;
			add_irq(runs, sizeof(runs), &left_runs, interrupts, irq, &on);
		} else if (CPU_COUNT(&hit)) {
			nmay++;
			add_irq(may, sizeof(may), &left_may, interrupts, irq, NULL);
		} else {
			continue;
		}
		/* the loop's list: whole numbers, and only while all of them fit */
		if (all_fit) {
			size_t n = strlen(loop);
			int w = snprintf(loop + n, sizeof(loop) - n, "%s%u", n ? " " : "", irq);

			if (w < 0 || n + (size_t)w >= budget) {
				all_fit = false;
				loop[n] = '\0';
			}
		}
		nmove++;
	}
	free(irqs);
	free(interrupts);
	if (!seen)
		return doctor_unreadable(f, -ENOENT, "/proc/irq/*/smp_affinity_list");
	if (!doctor_read(h, buf, sizeof(buf), "/proc/irq/default_smp_affinity"))
		default_hits = mask_hits_isolated(h, buf, &hit);
	doctor_set(f->where, "/proc/irq/*/{effective_affinity_list,smp_affinity_list}, "
			     "/proc/irq/default_smp_affinity, names from /proc/interrupts");
	doctor_set(f->recommended, "%s (the housekeeping CPUs) for every IRQ", hk);
	if (!nruns && !nmay && !default_hits) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "no IRQ of %u runs or may run on the isolated CPUs", seen);
		snprintf(f->apply, sizeof(f->apply),
			 "echo %s > /proc/irq/N/smp_affinity_list for each new IRQ", hk);
		if (!have_hk)
			doctor_no_housekeeping(f);
		return;
	}
	f->state = DOCTOR_FAIL;
	if (nruns)
		doctor_append(f->value, sizeof(f->value), "%u IRQs run on isolated CPUs: %s", nruns,
			      runs);
	if (left_runs)
		doctor_append(f->value, sizeof(f->value), " and %u more", left_runs);
	if (nmay)
		doctor_append(f->value, sizeof(f->value),
			      "%s%u IRQs may move there (smp_affinity_list): %s", nruns ? "; " : "",
			      nmay, may);
	if (left_may)
		doctor_append(f->value, sizeof(f->value), " and %u more", left_may);
	if (default_hits)
		doctor_append(f->value, sizeof(f->value),
			      "%snew IRQs may go there (/proc/irq/default_smp_affinity %s)",
			      nruns || nmay ? "; " : "", buf);
	if (!have_hk)
		return doctor_no_housekeeping(f);
	if (nmove && all_fit)
		doctor_append(f->apply, sizeof(f->apply),
			      "for i in %s; do echo %s > /proc/irq/$i/smp_affinity_list; done; ",
			      loop, hk);
	else if (nmove) /* too many to name: every IRQ, the right ones among them */
		doctor_append(f->apply, sizeof(f->apply),
			      "for i in /proc/irq/[0-9]*; do echo %s > $i/smp_affinity; done; ",
			      hkmask);
	doctor_append(f->apply, sizeof(f->apply),
		      "echo %s > /proc/irq/default_smp_affinity; managed IRQs: "
		      "isolcpus=managed_irq,...; irqbalance: IRQBALANCE_BANNED_CPULIST",
		      hkmask);
}

/* The pid of a running irqbalance, or 0. */
static long irqbalance_pid(const struct doctor_host *h)
{
	char path[512], comm[32];
	struct dirent *e;
	long pid = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/proc", h->root);
	d = opendir(path);
	while (d && (e = readdir(d)) && !pid) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (!doctor_read(h, comm, sizeof(comm), "/proc/%s/comm", e->d_name) &&
		    !strcmp(comm, "irqbalance"))
			pid = strtol(e->d_name, NULL, 10);
	}
	if (d)
		closedir(d);
	return pid;
}

void doctor_root_files_open(const struct doctor_host *h, struct doctor_root_files *rf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/dev/cpu_dma_latency", h->root);
	/* Open for reading, this holds a request of the default value (no
	 * limit): the minimum of the requests, which is what it reads, stays. */
	rf->pm_qos = open(path, O_RDONLY | O_CLOEXEC);
	rf->irqbalance_pid = irqbalance_pid(h);
	snprintf(path, sizeof(path), "%s/proc/%ld/environ", h->root, rf->irqbalance_pid);
	rf->irqbalance = rf->irqbalance_pid ? open(path, O_RDONLY | O_CLOEXEC) : -1;
}

void doctor_root_files_close(struct doctor_root_files *rf)
{
	if (rf->pm_qos >= 0)
		close(rf->pm_qos);
	if (rf->irqbalance >= 0)
		close(rf->irqbalance);
	*rf = (struct doctor_root_files){ .pm_qos = -1, .irqbalance = -1 };
}

/* irqbalance, when it runs, must keep off the isolated CPUs. */
static void judge_irqbalance(const struct doctor_host *h, const struct doctor_check *k,
			     struct doctor_finding *f)
{
	char path[512], buf[8192], list[1024];
	const char *p, *why, *mask = NULL, *cpulist = NULL;
	bool by_default = false;
	long pid;
	int err, fd;
	ssize_t got;
	cpu_set_t banned, missing;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	pid = irqbalance_pid(h);
	if (!pid) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "irqbalance is not running");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	/* the daemon's, opened as root, while the same irqbalance runs (its
	 * environment is what it was started with; it reads nothing once that
	 * process is gone) */
	fd = h->root_files.irqbalance_pid == pid ? h->root_files.irqbalance : -1;
	got = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	err = 0;
	if (got <= 0) {
		/* NUL-separated: read it whole, not as a string */
		snprintf(buf, sizeof(buf), "%s%s", h->root, path);
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return doctor_unreadable(f, -errno, path);
		got = read(fd, buf, sizeof(buf) - 1);
		err = got < 0 ? -errno : 0;
		close(fd);
	}
	if (err)
		return doctor_unreadable(f, err, path);
	buf[got] = '\0';
	doctor_set(f->where, "%s", path);
	/* irqbalance (setup_banned_cpus()): a non-empty IRQBALANCE_BANNED_CPUS,
	 * else a non-empty IRQBALANCE_BANNED_CPULIST, else by default the
	 * isolated and nohz_full CPUs of /sys. */
	CPU_ZERO(&banned);
	for (p = buf; p < buf + got; p += strlen(p) + 1) {
		if (!strncmp(p, "IRQBALANCE_BANNED_CPUS=", 23) && p[23])
			mask = p + 23;
		else if (!strncmp(p, "IRQBALANCE_BANNED_CPULIST=", 26) && p[26])
			cpulist = p + 26;
	}
	if (mask)
		doctor_parse_cpumask(mask, &banned);
	else if (cpulist)
		parse_kernel_cpulist(cpulist, h->nr_cpus, &banned, &why);
	else {
		static const char *const files[] = { "/sys/devices/system/cpu/isolated",
						     "/sys/devices/system/cpu/nohz_full" };
		for (unsigned i = 0; i < 2; i++) {
			cpu_set_t set;

			if (!doctor_read(h, list, sizeof(list), "%s", files[i]) &&
			    !parse_kernel_cpulist(list, h->nr_cpus, &set, &why))
				CPU_OR(&banned, &banned, &set);
		}
		by_default = true;
	}
	CPU_XOR(&missing, &banned, &h->isolated);
	CPU_AND(&missing, &missing, &h->isolated);
	cpus(list, sizeof(list), &h->isolated);
	doctor_set(f->recommended, "IRQBALANCE_BANNED_CPULIST=%s", list);
	snprintf(f->apply, sizeof(f->apply),
		 "IRQBALANCE_BANNED_CPULIST=%s in /etc/default/irqbalance (or "
		 "/etc/sysconfig/irqbalance), systemctl restart irqbalance",
		 list);
	if (CPU_COUNT(&missing)) {
		f->state = DOCTOR_FAIL;
		doctor_set(f->value, "irqbalance (pid %ld) may move IRQs to isolated CPUs %s", pid,
			   cpus(list, sizeof(list), &missing));
	} else {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "irqbalance (pid %ld) bans CPUs %s%s", pid,
			   cpus(list, sizeof(list), &banned),
			   by_default ? " (by default: the isolated and nohz_full CPUs of /sys)"
				      : "");
	}
}

/* ---- memory --------------------------------------------------------------- */

static void judge_swap(const struct doctor_host *h, const struct doctor_check *k,
		       struct doctor_finding *f)
{
	char buf[4096], dev[256] = "";
	unsigned lines = 0;
	const char *p;
	int err = doctor_read(h, buf, sizeof(buf), "/proc/swaps");

	(void)k;
	if (err)
		return doctor_unreadable(f, err, "/proc/swaps");
	for (p = buf; (p = strchr(p, '\n')); p++)
		if (p[1] && lines++ == 0)
			snprintf(dev, sizeof(dev), "%.*s", (int)strcspn(p + 1, " \t"), p + 1);
	doctor_set(f->where, "/proc/swaps");
	doctor_set(f->recommended, "no swap (or vm.swappiness at most 10)");
	f->state = lines ? DOCTOR_FAIL : DOCTOR_OK;
	if (lines)
		doctor_set(f->value, "%u swap areas (%s ...)", lines, dev);
	else
		doctor_set(f->value, "no swap");
	doctor_set(f->apply, "swapoff -a, and remove the swap entries from /etc/fstab");
}

/* dirty_ratio (or dirty_bytes when set). */
static void judge_dirty(const struct doctor_host *h, const struct doctor_check *k,
			struct doctor_finding *f)
{
	char bytes_path[128], buf[64];
	int len = (int)strlen(k->path) - (int)strlen("ratio");

	snprintf(bytes_path, sizeof(bytes_path), "%.*sbytes", len, k->path);
	if (!doctor_read(h, buf, sizeof(buf), "%s", bytes_path) && strtoull(buf, NULL, 10)) {
		f->state = DOCTOR_OK;
		doctor_set(f->where, "%s", bytes_path);
		doctor_set(f->value, "%s bytes", buf);
		return;
	}
	doctor_judge_int(h, k, f);
}

/* amdgpu eDP panels: panel_power_savings = 0 (tuned's [video] plugin). */
static void judge_panel(const struct doctor_host *h, const struct doctor_check *k,
			struct doctor_finding *f)
{
	char path[512], buf[32];
	struct dirent *e;
	unsigned seen = 0, bad = 0;
	DIR *d;

	(void)k;
	snprintf(path, sizeof(path), "%s/sys/class/drm", h->root);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    doctor_read(h, buf, sizeof(buf), "/sys/class/drm/%s/amdgpu/panel_power_savings",
				e->d_name))
			continue;
		seen++;
		if (strcmp(buf, "0") && bad++ == 0)
			doctor_set(f->value, "%s: %s", e->d_name, buf);
	}
	if (d)
		closedir(d);
	if (!seen)
		return doctor_unreadable(f, -ENOENT, "/sys/class/drm/*/amdgpu/panel_power_savings");
	doctor_set(f->where, "/sys/class/drm/*/amdgpu/panel_power_savings");
	doctor_set(f->recommended, "0");
	f->state = bad ? DOCTOR_FAIL : DOCTOR_OK;
	if (!bad)
		doctor_set(f->value, "0");
	doctor_set(f->apply, "echo 0 | tee /sys/class/drm/*/amdgpu/panel_power_savings");
}

/* ksm/run: 0 stops ksmd, 2 stops it and unmerges every page (tuned's
 * disable_ksm writes 2); only 1 runs it. */
static void judge_ksm(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	doctor_judge_int(h, k, f);
	if (f->state == DOCTOR_FAIL && !strcmp(f->value, "2"))
		f->state = DOCTOR_OK;
}

/* hung_task_timeout_secs: 0 turns the detector off, better than 600. */
static void judge_hung_task(const struct doctor_host *h, const struct doctor_check *k,
			    struct doctor_finding *f)
{
	doctor_judge_int(h, k, f);
	if (f->state == DOCTOR_FAIL && !strcmp(f->value, "0"))
		f->state = DOCTOR_OK;
}

/*
 * The soft-lockup detector: nosoftlockup, or soft_watchdog/watchdog 0, or
 * a watchdog_cpumask that leaves the isolated CPUs out, which it does by
 * default on nohz_full CPUs (lockup_detector_init() starts from the
 * housekeeping CPUs).
 */
static void judge_softlockup(const struct doctor_host *h, const struct doctor_check *k,
			     struct doctor_finding *f)
{
	static const char *const off[] = { "/proc/sys/kernel/soft_watchdog",
					   "/proc/sys/kernel/watchdog" };
	char buf[1024];
	const char *why;
	cpu_set_t set, hit;

	judge_cmdline_flag(h, k, f);
	if (f->state != DOCTOR_FAIL)
		return;
	for (unsigned i = 0; i < 2; i++)
		if (!doctor_read(h, buf, sizeof(buf), "%s", off[i]) && !strcmp(buf, "0")) {
			f->state = DOCTOR_OK;
			doctor_append(f->value, sizeof(f->value), "; %s is 0", off[i]);
			return;
		}
	if (!h->have_isolated)
		return;
	if (!doctor_read(h, buf, sizeof(buf), "/proc/sys/kernel/watchdog_cpumask")) {
		if (parse_kernel_cpulist(buf, h->nr_cpus, &set, &why))
			return;
		CPU_AND(&hit, &set, &h->isolated);
		if (!CPU_COUNT(&hit)) {
			f->state = DOCTOR_OK;
			doctor_append(f->value, sizeof(f->value),
				      "; the watchdog runs on CPUs %s only "
				      "(/proc/sys/kernel/watchdog_cpumask)",
				      buf);
		}
		return;
	}
	/* no sysctl to read: nohz_full CPUs are left out by default */
	if (!doctor_read(h, buf, sizeof(buf), "/sys/devices/system/cpu/nohz_full") &&
	    !parse_kernel_cpulist(buf, h->nr_cpus, &set, &why)) {
		CPU_AND(&hit, &set, &h->isolated);
		if (CPU_EQUAL(&hit, &h->isolated)) {
			f->state = DOCTOR_OK;
			doctor_append(f->value, sizeof(f->value),
				      "; the watchdog leaves nohz_full CPUs %s out by default",
				      buf);
		}
	}
}

/*
 * THP defrag: with THP on, a fault that finds no free huge page compacts
 * memory in the faulting thread unless defrag is never, defer or madvise
 * (then only regions that asked for it), and khugepaged compacts when its
 * defrag is 1. With THP off neither matters.
 */
static void judge_thp_defrag(const struct doctor_host *h, const struct doctor_check *k,
			     struct doctor_finding *f)
{
	static const char thp[] = "/sys/kernel/mm/transparent_hugepage";
	char enabled[64], defrag[64], path[128], kd[32] = "";
	bool defrag_ok, kd_ok;
	int err;

	(void)k;
	snprintf(path, sizeof(path), "%s/enabled", thp);
	err = read_selector(h, path, enabled, sizeof(enabled));
	if (err)
		return doctor_unreadable(f, err, path);
	snprintf(path, sizeof(path), "%s/defrag", thp);
	err = read_selector(h, path, defrag, sizeof(defrag));
	if (err)
		return doctor_unreadable(f, err, path);
	doctor_read(h, kd, sizeof(kd), "%s/khugepaged/defrag", thp);
	doctor_set(f->where, "%s/{enabled,defrag,khugepaged/defrag}", thp);
	doctor_set(f->value, "enabled %s, defrag %s, khugepaged/defrag %s", enabled, defrag,
		   kd[0] ? kd : "-");
	doctor_set(f->recommended, "defrag never (or defer, madvise), khugepaged/defrag 0; or "
				   "THP never");
	defrag_ok =
		!strcmp(defrag, "never") || !strcmp(defrag, "defer") || !strcmp(defrag, "madvise");
	kd_ok = !kd[0] || !strcmp(kd, "0");
	f->state = !strcmp(enabled, "never") || (defrag_ok && kd_ok) ? DOCTOR_OK : DOCTOR_FAIL;
	snprintf(f->apply, sizeof(f->apply),
		 "echo never > %s/defrag; echo 0 > %s/khugepaged/defrag", thp, thp);
	snprintf(f->emit_script, sizeof(f->emit_script), "%s", f->apply);
	doctor_set(f->emit_tuned, "[sysfs] %s/defrag=never\n[sysfs] %s/khugepaged/defrag=0", thp,
		   thp);
	doctor_set(f->persist,
		   "[sysfs] in a tuned profile, or a systemd-tmpfiles line "
		   "(w %s/defrag - - - - never)",
		   thp);
}

/*
 * CPU vulnerability mitigations that cost on every kernel entry or exit
 * (page-table isolation, IBRS on entry, return thunks, buffer clearing);
 * mitigations=off is a security decision for hosts that run trusted code
 * only: an info finding, with the mitigations it would remove named.
 */
static void judge_mitigations(const struct doctor_host *h, const struct doctor_check *k,
			      struct doctor_finding *f)
{
	static const char dir[] = "/sys/devices/system/cpu/vulnerabilities";
	static const char *const costly[] = {
		"PTI",		 "IBRS",    "return thunk", "Safe RET", "Clear CPU buffers",
		"IBPB on entry", "Stuffing"
	};
	char cmdline[4096], val[64], path[512], buf[256];
	struct dirent *e;
	unsigned seen = 0;
	DIR *d;

	(void)k;
	if (read_cmdline(h, f, cmdline, sizeof(cmdline)))
		return;
	if (cmdline_get(cmdline, "mitigations", val, sizeof(val)) && !strcmp(val, "off")) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "mitigations=off");
		return;
	}
	snprintf(path, sizeof(path), "%s%s", h->root, dir);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    doctor_read(h, buf, sizeof(buf), "%s/%s", dir, e->d_name))
			continue;
		seen++;
		for (unsigned i = 0; i < sizeof(costly) / sizeof(costly[0]); i++) {
			const char *hit = strstr(buf, costly[i]);

			/* Enhanced / automatic IBRS is set once, not on each entry */
			if (!hit || strncmp(buf, "Mitigation:", 11) ||
			    (!strcmp(costly[i], "IBRS") &&
			     (strstr(buf, "Enhanced") || strstr(buf, "Automatic") ||
			      strstr(buf, "AutoIBRS") || strstr(buf, "eIBRS"))))
				continue;
			doctor_append(f->value, sizeof(f->value), "%s%s (%.80s)",
				      f->value[0] ? ", " : "", e->d_name, buf);
			break;
		}
	}
	if (d)
		closedir(d);
	doctor_set(f->where, "/proc/cmdline, %s/*", dir);
	if (!seen) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no %s (this kernel or architecture does not report them)",
			   dir);
		return;
	}
	f->state = f->value[0] ? DOCTOR_FAIL : DOCTOR_OK;
	if (!f->value[0])
		doctor_set(f->value, "no mitigation that costs on every kernel entry is in force");
	apply_cmdline(f, "mitigations=off");
	f->emit_cmdline[0] = '\0'; /* a security decision: never in an emitted profile */
	doctor_set(f->recommended,
		   "mitigations=off, only on a host that runs trusted code only (a security "
		   "decision, not a tuning default)");
}

/*
 * tcp_timestamps where the host's own tuned profile sets it: the value the
 * profile asks for. Without such a line it is no finding (timestamps cost
 * 12 bytes a segment, and PAWS needs them on fast links).
 */
static void judge_tcp_timestamps(const struct doctor_host *h, const struct doctor_check *k,
				 struct doctor_finding *f)
{
	char buf[64], want[32] = "";
	unsigned which;
	const char *profile = doctor_tuned_sets(&h->tuned, k->tuned_key, &which), *line;
	int err = doctor_read(h, buf, sizeof(buf), "%s", k->path);

	if (err)
		return doctor_unreadable(f, err, k->path);
	doctor_set(f->where, "%s", k->path);
	if (profile && (line = strstr(h->tuned.text[which], k->tuned_key)) &&
	    (line = strchr(line, '=')))
		snprintf(want, sizeof(want), "%.*s",
			 (int)strcspn(line + 1 + strspn(line + 1, " "), " \n"),
			 line + 1 + strspn(line + 1, " "));
	if (!want[0]) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "%s; no tuned profile of this host sets it", buf);
		return;
	}
	doctor_set(f->value, "%s (tuned profile %s sets %s)", buf, profile, want);
	f->state = !strcmp(buf, want) ? DOCTOR_OK : DOCTOR_FAIL;
	doctor_fix_sysctl(f, "net.ipv4.tcp_timestamps", want);
}

/* ---- the table ------------------------------------------------------------ */

#define SYSCTL(id_, path_, op_, want_) .path = path_, .sysctl = id_, .op = op_, .want = want_

const struct doctor_check doctor_checks[] = {
	/* isolation: the isolated CPUs and the boot parameters that make them so */
	{ "isolation.isolcpus", "isolation", DOCTOR_CRITICAL,
	  "CPUs outside isolcpus take ordinary tasks, kthreads and load balancing, which preempt "
	  "the latency-critical thread for tens of microseconds.",
	  REF_KERNEL("admin-guide/kernel-parameters (isolcpus)") "; " REF_RHEL_RT,
	  "cpu-partitioning (no_balance_cores), realtime", .slow = false, judge_isolation_param,
	  .path = "isolcpus", .tuned_key = "isolcpus" },
	{ "isolation.nohz_full", "isolation", DOCTOR_CRITICAL,
	  "Without nohz_full an isolated CPU still takes the scheduler tick (every 1-4 ms), a "
	  "few microseconds of jitter each time.",
	  REF_KERNEL("timers/no_hz.rst") "; " REF_RIGTORP, "cpu-partitioning", .slow = false,
	  judge_isolation_param, .path = "nohz_full", .tuned_key = "nohz_full=" },
	{ "isolation.rcu_nocbs", "isolation", DOCTOR_WARNING,
	  "RCU callbacks run in softirq on the CPU that queued them unless rcu_nocbs offloads them "
	  "to kthreads on housekeeping CPUs.",
	  REF_KERNEL("admin-guide/kernel-per-CPU-kthreads.rst"), "cpu-partitioning", .slow = false,
	  judge_isolation_param, .path = "rcu_nocbs", .tuned_key = "rcu_nocbs=" },
	{ "isolation.workqueue_cpumask", "isolation", DOCTOR_WARNING,
	  "Unbound workqueue work (writeback, the block layer, drivers) runs on any CPU of its "
	  "cpumask, isolated ones included.",
	  REF_KERNEL("core-api/workqueue.rst, admin-guide/kernel-per-CPU-kthreads.rst"),
	  "cpu-partitioning, realtime", .slow = false, judge_workqueue, .tuned_key = "workqueue" },
	{ "isolation.init_affinity", "isolation", DOCTOR_WARNING,
	  "Every service inherits PID 1's CPU affinity: if it includes the isolated CPUs, "
	  "daemons run there.",
	  "systemd-system.conf(5) CPUAffinity=; " REF_RHEL_RT, "cpu-partitioning", .slow = false,
	  judge_init_affinity, .tuned_key = "cpu_affinity" },
	{ "isolation.smt_siblings", "isolation", DOCTOR_WARNING,
	  "An isolated CPU's hyperthread sibling shares its core: work on a housekeeping sibling "
	  "takes execution units and L1/L2 from the isolated thread.",
	  REF_KERNEL("admin-guide/cputopology.rst (thread_siblings_list)") "; " REF_RIGTORP, "",
	  .slow = false, judge_smt_siblings },
	{ "isolation.managed_irq", "isolation", DOCTOR_INFO,
	  "Managed IRQs (per-queue NVMe/virtio vectors) ignore smp_affinity; isolcpus=managed_irq "
	  "keeps them off isolated CPUs where possible.",
	  REF_KERNEL("admin-guide/kernel-parameters (isolcpus=managed_irq)"), "realtime",
	  .slow = false, judge_managed_irq, .tuned_key = "managed_irq" },
	/* the rest of the kernel command line */
	{ "cmdline.skew_tick", "cmdline", DOCTOR_WARNING,
	  "Without skew_tick=1 every CPU's tick fires at the same instant and they contend for "
	  "the same jiffies and RCU locks.",
	  REF_KERNEL("admin-guide/kernel-parameters (skew_tick)") "; " REF_RHEL_RT,
	  "network-latency", .slow = false, judge_cmdline_flag, .path = "skew_tick=1",
	  .tuned_key = "skew_tick" },
	{ "cmdline.tsc_reliable", "cmdline", DOCTOR_INFO,
	  "tsc=reliable stops the clocksource watchdog from checking the TSC against slower clocks "
	  "every 0.5 s (and from switching to hpet, whose reads cost a microsecond).",
	  REF_KERNEL("admin-guide/kernel-parameters (tsc)"),
	  "network-latency (tuned 2.21+; realtime in 2.20)", .slow = false, judge_cmdline_flag,
	  .path = "tsc=reliable", .tuned_key = "tsc=reliable" },
	{ "cmdline.nosoftlockup", "cmdline", DOCTOR_INFO,
	  "The soft-lockup detector's per-CPU hrtimer interrupts isolated CPUs every few seconds.",
	  REF_KERNEL("admin-guide/lockup-watchdogs.rst"), "cpu-partitioning, realtime",
	  .slow = false, judge_softlockup, .path = "nosoftlockup", .tuned_key = "nosoftlockup" },
	{ "cmdline.nohz", "cmdline", DOCTOR_WARNING,
	  "nohz=off keeps the tick on idle and isolated CPUs alike, undoing nohz_full.",
	  REF_KERNEL("timers/no_hz.rst"), "cpu-partitioning (nohz=on)", .slow = false, judge_nohz,
	  .tuned_key = "nohz=on" },
	{ "cmdline.rcu_normal_after_boot", "cmdline", DOCTOR_INFO,
	  "Expedited RCU grace periods send IPIs to every CPU, isolated ones included; "
	  "rcu_normal_after_boot stops them once booted.",
	  REF_KERNEL("RCU/Design/Expedited-Grace-Periods"), "network-latency (tuned 2.21+)",
	  .slow = false, judge_cmdline_flag, .path = "rcupdate.rcu_normal_after_boot=1",
	  .tuned_key = "rcu_normal_after_boot" },
	{ "cmdline.nohz_full_patience_delay", "cmdline", DOCTOR_INFO,
	  "RCU waits this long (ms) before disturbing a nohz_full CPU that runs in the kernel for "
	  "a grace period.",
	  REF_KERNEL("admin-guide/kernel-parameters (rcutree.nohz_full_patience_delay)"),
	  "network-latency (tuned 2.26+)", .slow = false, judge_cmdline_flag,
	  .path = "rcutree.nohz_full_patience_delay=1000",
	  .tuned_key = "nohz_full_patience_delay" },
	{ "cmdline.cstate_limit", "cmdline", DOCTOR_WARNING,
	  "A CPU that sleeps in a deep C-state takes tens to hundreds of microseconds to wake for "
	  "the next packet.",
	  REF_RIGTORP "; " REF_RHEL_RT, "latency-performance (force_latency at run time)",
	  .slow = false, judge_cstate_limit, .tuned_key = "force_latency" },
	{ "cmdline.pstate_disable", "cmdline", DOCTOR_INFO,
	  "The intel_pstate/amd_pstate drivers change frequency on their own; with them disabled "
	  "the performance governor holds the frequency.",
	  REF_KERNEL("admin-guide/pm/intel_pstate.rst"),
	  "cpu-partitioning, realtime (amd_pstate=disable in realtime from tuned 2.26)",
	  .slow = false, judge_pstate, .tuned_key = "pstate=disable" },
	/* CPU power and clocks */
	{ "cpu.governor", "cpu", DOCTOR_WARNING,
	  "Any governor other than performance lowers the clock between bursts and takes time to "
	  "raise it when the burst comes.",
	  REF_KERNEL("admin-guide/pm/cpufreq.rst"), "latency-performance", .slow = false,
	  judge_governor, .path = "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor",
	  .tuned_key = "governor" },
	{ "cpu.min_perf_pct", "cpu", DOCTOR_WARNING,
	  "intel_pstate below 100% minimum performance lets the CPU run slower than its nominal "
	  "clock.",
	  REF_KERNEL("admin-guide/pm/intel_pstate.rst"), "latency-performance", .slow = false,
	  doctor_judge_int, .path = "/sys/devices/system/cpu/intel_pstate/min_perf_pct", .op = '=',
	  .want = 100, .tuned_key = "min_perf_pct" },
	{ "cpu.energy_perf_bias", "cpu", DOCTOR_INFO,
	  "An energy-performance bias above 0 lets the hardware favour power over speed.",
	  REF_KERNEL("admin-guide/pm/intel_epb.rst"), "latency-performance", .slow = false,
	  judge_epb, .path = "/sys/devices/system/cpu/cpu%u/power/energy_perf_bias",
	  .tuned_key = "energy_perf_bias" },
	{ "cpu.boost", "cpu", DOCTOR_INFO,
	  "tuned's latency profiles keep turbo on: a faster clock shortens every code path.",
	  REF_KERNEL("admin-guide/pm/cpufreq.rst (boost)"), "latency-performance (tuned 2.27+)",
	  .slow = false, judge_boost, .tuned_key = "boost" },
	{ "cpu.platform_profile", "cpu", DOCTOR_INFO,
	  "The ACPI platform profile caps power and fans below performance.",
	  REF_KERNEL("userspace-api/sysfs-platform_profile.rst"),
	  "latency-performance (tuned 2.22+)", .slow = false, judge_word,
	  .path = "/sys/firmware/acpi/platform_profile", .sysctl = "performance",
	  .tuned_key = "platform_profile" },
	{ "cpu.cstates", "cpu", DOCTOR_WARNING,
	  "An enabled idle state with a long exit latency delays the isolated thread's wake-up by "
	  "that much.",
	  REF_KERNEL("admin-guide/pm/cpuidle.rst"), "latency-performance (force_latency)",
	  .slow = false, judge_cstates, .tuned_key = "force_latency" },
	{ "cpu.pm_qos", "cpu", DOCTOR_INFO,
	  "A PM QoS request on /dev/cpu_dma_latency is how tuned keeps every CPU out of deep "
	  "idle states at run time.",
	  REF_KERNEL("power/pm_qos_interface.rst"), "latency-performance (force_latency)",
	  .slow = false, judge_pm_qos, .tuned_key = "force_latency" },
	{ "cpu.clocksource", "cpu", DOCTOR_WARNING,
	  "Timestamps and timers read the clocksource: tsc costs tens of nanoseconds, hpet or "
	  "acpi_pm a microsecond or more.",
	  REF_KERNEL("timers/timekeeping.rst"), "", .slow = false, judge_clocksource,
	  .path = "/sys/devices/system/clocksource/clocksource0/current_clocksource",
	  .sysctl = "tsc" },
	{ "cpu.tsc_flags", "cpu", DOCTOR_INFO,
	  "Only an invariant TSC (constant_tsc, nonstop_tsc) keeps time across frequency changes "
	  "and idle states.",
	  "Intel SDM vol. 3 17.17 (invariant TSC)", "", .slow = false, judge_tsc_flags },
	{ "cpu.mce_ignore_ce", "cpu", DOCTOR_INFO,
	  "Corrected machine-check errors are polled by a per-CPU timer unless ignore_ce is set.",
	  REF_KERNEL("arch/x86/x86_64/machinecheck.rst"), "cpu-partitioning, realtime",
	  .slow = false, judge_mce, .tuned_key = "ignore_ce" },
	/* IRQs */
	{ "irq.affinity", "irq", DOCTOR_CRITICAL,
	  "A device interrupt on an isolated CPU preempts the thread there, with its softirq "
	  "after it.",
	  REF_KERNEL("core-api/irq/irq-affinity.rst") "; " REF_RHEL_RT,
	  "cpu-partitioning, realtime (irqbalance banned_cpus)", .slow = false, judge_irq_affinity,
	  .tuned_key = "banned_cpus" },
	{ "irq.irqbalance_banned", "irq", DOCTOR_WARNING,
	  "irqbalance moves IRQs every 10 s onto any CPU it is not told to ban.",
	  "irqbalance(1) IRQBALANCE_BANNED_CPULIST", "cpu-partitioning, realtime", .slow = false,
	  judge_irqbalance, .tuned_key = "banned_cpus" },
	/* memory */
	{ "vm.transparent_hugepage", "vm", DOCTOR_WARNING,
	  "khugepaged compaction and huge-page faults stall the faulting thread for milliseconds.",
	  REF_KERNEL("admin-guide/mm/transhuge.rst"), "network-latency", .slow = false,
	  judge_selector, .path = "/sys/kernel/mm/transparent_hugepage/enabled", .sysctl = "never",
	  .tuned_key = "transparent_hugepages" },
	{ "vm.swappiness", "vm", DOCTOR_WARNING,
	  "A swapped-out page costs a disk read on the next touch; low swappiness keeps anonymous "
	  "memory in RAM.",
	  REF_KERNEL("admin-guide/sysctl/vm.rst"), "latency-performance", .slow = false,
	  doctor_judge_int, SYSCTL("vm.swappiness", "/proc/sys/vm/swappiness", '<', 10),
	  .tuned_key = "vm.swappiness" },
	{ "vm.swap", "vm", DOCTOR_INFO, "A process whose pages are in swap waits for the disk.",
	  REF_RIGTORP, "", .slow = false, judge_swap },
	{ "vm.ksm", "vm", DOCTOR_INFO,
	  "KSM scans and merges pages in a kthread and makes writes to merged pages copy-on-write "
	  "faults.",
	  REF_KERNEL("admin-guide/mm/ksm.rst"), "cpu-partitioning (disable_ksm: run=2)",
	  .slow = false, judge_ksm, .path = "/sys/kernel/mm/ksm/run", .op = '=', .want = 0,
	  .tuned_key = "disable_ksm|ksm/run" },
	{ "vm.stat_interval", "vm", DOCTOR_INFO,
	  "The vmstat worker runs on every CPU each stat_interval seconds, isolated ones included.",
	  REF_KERNEL("admin-guide/sysctl/vm.rst"),
	  "network-latency (tuned 2.21+; cpu-partitioning and realtime in 2.20)", .slow = false,
	  doctor_judge_int, SYSCTL("vm.stat_interval", "/proc/sys/vm/stat_interval", '>', 10),
	  .tuned_key = "vm.stat_interval" },
	{ "vm.dirty_ratio", "vm", DOCTOR_INFO,
	  "A large dirty limit lets writeback build up and then stall writers all at once.",
	  REF_KERNEL("admin-guide/sysctl/vm.rst"),
	  "latency-performance (vm.dirty_ratio=10 up to tuned 2.25, dirty_bytes=10% from 2.26)",
	  .slow = false, judge_dirty, SYSCTL("vm.dirty_ratio", "/proc/sys/vm/dirty_ratio", '<', 10),
	  .tuned_key = "vm.dirty_ratio|dirty_bytes" },
	{ "vm.dirty_background_ratio", "vm", DOCTOR_INFO,
	  "Background writeback that starts early keeps the dirty limit from stalling writers.",
	  REF_KERNEL("admin-guide/sysctl/vm.rst"),
	  "latency-performance (vm.dirty_background_ratio=3 up to tuned 2.25, "
	  "dirty_background_bytes=3% from 2.26)",
	  .slow = false, judge_dirty,
	  SYSCTL("vm.dirty_background_ratio", "/proc/sys/vm/dirty_background_ratio", '<', 3),
	  .tuned_key = "vm.dirty_background_ratio|dirty_background_bytes" },
	/* kernel */
	{ "kernel.numa_balancing", "kernel", DOCTOR_WARNING,
	  "Automatic NUMA balancing unmaps pages to sample accesses: the faults and migrations "
	  "land on the running thread.",
	  REF_KERNEL("admin-guide/sysctl/kernel.rst"), "network-latency", .slow = false,
	  doctor_judge_int,
	  SYSCTL("kernel.numa_balancing", "/proc/sys/kernel/numa_balancing", '=', 0),
	  .tuned_key = "kernel.numa_balancing" },
	{ "kernel.timer_migration", "kernel", DOCTOR_WARNING,
	  "With timer migration, timers armed on busy CPUs move to idle ones, isolated CPUs among "
	  "them.",
	  REF_KERNEL("admin-guide/sysctl/kernel.rst"),
	  "network-latency (tuned 2.21+; cpu-partitioning and realtime in 2.20)", .slow = false,
	  doctor_judge_int,
	  SYSCTL("kernel.timer_migration", "/proc/sys/kernel/timer_migration", '=', 0),
	  .tuned_key = "kernel.timer_migration" },
	{ "kernel.nmi_watchdog", "kernel", DOCTOR_INFO,
	  "The NMI watchdog fires a perf NMI on every CPU periodically.",
	  REF_KERNEL("admin-guide/lockup-watchdogs.rst"),
	  "network-latency (tuned 2.21+; cpu-partitioning and realtime in 2.20)", .slow = false,
	  doctor_judge_int, SYSCTL("kernel.nmi_watchdog", "/proc/sys/kernel/nmi_watchdog", '=', 0),
	  .tuned_key = "kernel.nmi_watchdog" },
	{ "kernel.hung_task_timeout_secs", "kernel", DOCTOR_INFO,
	  "The hung-task detector wakes every timeout to walk every task; tuned sets 600 s.",
	  REF_KERNEL("admin-guide/sysctl/kernel.rst"),
	  "network-latency (tuned 2.21+; cpu-partitioning and realtime in 2.20)", .slow = false,
	  judge_hung_task,
	  SYSCTL("kernel.hung_task_timeout_secs", "/proc/sys/kernel/hung_task_timeout_secs", '=',
		 600),
	  .tuned_key = "kernel.hung_task_timeout_secs" },
	{ "kernel.sched_rt_runtime_us", "kernel", DOCTOR_INFO,
	  "RT throttling takes the CPU away from a SCHED_FIFO thread for 50 ms of every second "
	  "(-1 turns it off; the thread must then never spin forever).",
	  REF_KERNEL("scheduler/sched-rt-group.rst"), "realtime", .slow = false, doctor_judge_int,
	  SYSCTL("kernel.sched_rt_runtime_us", "/proc/sys/kernel/sched_rt_runtime_us", '=', -1),
	  .tuned_key = "kernel.sched_rt_runtime_us" },
	{ "vm.zone_reclaim_mode", "vm", DOCTOR_WARNING,
	  "Zone reclaim makes an allocation reclaim pages on its own NUMA node before it takes "
	  "free memory from another: the allocating thread stalls.",
	  REF_KERNEL("admin-guide/sysctl/vm.rst (zone_reclaim_mode)"), "", .slow = false,
	  doctor_judge_int,
	  SYSCTL("vm.zone_reclaim_mode", "/proc/sys/vm/zone_reclaim_mode", '=', 0),
	  .tuned_key = "vm.zone_reclaim_mode" },
	{ "vm.thp_defrag", "vm", DOCTOR_WARNING,
	  "With THP on, a page fault that finds no free huge page compacts memory in the faulting "
	  "thread, and khugepaged with defrag compacts in the background.",
	  REF_KERNEL("admin-guide/mm/transhuge.rst (defrag, khugepaged/defrag)"),
	  "network-latency (its transparent_hugepages=never makes it moot; no profile sets "
	  "transparent_hugepage.defrag)",
	  .slow = false, judge_thp_defrag,
	  .tuned_key =
		  "transparent_hugepage.defrag|transparent_hugepage/defrag|khugepaged/defrag" },
	{ "kernel.sched_autogroup_enabled", "kernel", DOCTOR_INFO,
	  "With autogroup, CFS shares the CPU between sessions first: nice values across "
	  "sessions are ignored, so a niced batch job is not kept behind the workload.",
	  REF_KERNEL("admin-guide/sysctl/kernel.rst (sched_autogroup_enabled)") "; sched(7)", "",
	  .slow = false, doctor_judge_int,
	  SYSCTL("kernel.sched_autogroup_enabled", "/proc/sys/kernel/sched_autogroup_enabled", '=',
		 0),
	  .tuned_key = "kernel.sched_autogroup_enabled" },
	{ "cmdline.mitigations", "cmdline", DOCTOR_INFO,
	  "Page-table isolation, IBRS on entry, return thunks and buffer clearing cost on every "
	  "system call and interrupt: hundreds of nanoseconds each.",
	  REF_KERNEL("admin-guide/hw-vuln/index.rst, admin-guide/kernel-parameters (mitigations)"),
	  "", .slow = false, judge_mitigations, .tuned_key = "mitigations=" },
	{ "net.tcp_timestamps", "net", DOCTOR_INFO,
	  "TCP timestamps add 12 bytes and a clock read to every segment; some latency profiles "
	  "turn them off, which PAWS on fast links does not allow: judged only where the host's "
	  "own tuned profile sets them.",
	  REF_KERNEL(
		  "networking/ip-sysctl.rst (tcp_timestamps)") "; RFC 7323; " REF_RHEL_RT
							       " (reduce TCP performance spikes)",
	  "", .slow = false, judge_tcp_timestamps, .path = "/proc/sys/net/ipv4/tcp_timestamps",
	  .tuned_key = "net.ipv4.tcp_timestamps" },
	{ "selinux.avc_cache_threshold", "kernel", DOCTOR_INFO,
	  "A small SELinux access-vector cache makes permission checks miss and walk the policy.",
	  "selinuxfs avc/cache_threshold", "network-latency (tuned 2.28+)", .slow = false,
	  doctor_judge_int, .path = "/sys/fs/selinux/avc/cache_threshold", .op = '=', .want = 8192,
	  .tuned_key = "avc_cache_threshold" },
	{ "video.panel_power_savings", "cpu", DOCTOR_INFO,
	  "amdgpu's panel power savings lower the display's refresh work at the cost of latency; "
	  "tuned's latency profile turns it off (laptops only).",
	  REF_KERNEL("gpu/amdgpu/module-parameters (panel_power_savings)"),
	  "latency-performance (tuned 2.23+)", .slow = false, judge_panel,
	  .tuned_key = "panel_power_savings" },
};
const unsigned n_doctor_checks = sizeof(doctor_checks) / sizeof(doctor_checks[0]);

/* ---- running them --------------------------------------------------------- */

/* The tables, by domain file, in the order of the report. */
static const struct {
	const struct doctor_check *checks;
	const unsigned *n;
} tables[] = {
	{ doctor_checks, &n_doctor_checks },
	{ doctor_task_checks, &n_doctor_task_checks },
	{ doctor_net_checks, &n_doctor_net_checks },
	{ doctor_effect_checks, &n_doctor_effect_checks },
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

const struct doctor_check *doctor_check_by_id(const char *id)
{
	for (unsigned t = 0; t < N_TABLES; t++)
		for (unsigned i = 0; i < *tables[t].n; i++)
			if (!strcmp(tables[t].checks[i].id, id))
				return &tables[t].checks[i];
	return NULL;
}

unsigned doctor_count(void)
{
	unsigned n = 0;

	for (unsigned t = 0; t < N_TABLES; t++)
		n += *tables[t].n;
	return n;
}

/*
 * What a judge did not say of a failed finding's fix: the run-time command
 * a script may hold (the apply text when it is one, up to its first
 * alternative), and how such a fix is made to last, by domain.
 */
static bool is_command(const char *part, size_t len)
{
	static const char *const commands[] = { "echo ",     "sysctl -w ", "ethtool ", "for i in ",
						"for p in ", "taskset ",   "prlimit " };

	for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (len > strlen(commands[i]) && !strncmp(part, commands[i], strlen(commands[i])))
			return true;
	return false;
}

/*
 * The shell of an apply text: its "; "-separated parts that are commands
 * (a for loop with its do and done), one a line, up to the first ", or "
 * alternative; the prose parts become comments ("# then: ...").
 */
static void script_of(const char *apply, char *out, size_t size)
{
	const char *end = strstr(apply, ", or ");
	size_t n = 0, total = end ? (size_t)(end - apply) : strlen(apply);
	bool any = false;

	out[0] = '\0';
	for (const char *p = apply; p < apply + total;) {
		size_t len = 0;

		/* a part, or a whole loop: up to "; done" */
		if (!strncmp(p, "for ", 4)) {
			const char *done = strstr(p, "; done");

			len = done && done + 6 <= apply + total ? (size_t)(done + 6 - p) : 0;
		}
		if (!len) {
			const char *semi = strstr(p, "; ");

			len = semi && semi < apply + total ? (size_t)(semi - p)
							   : (size_t)(apply + total - p);
		}
		if (is_command(p, len)) {
			n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%.*s\n", (int)len,
					      p);
			any = true;
		} else if (len) {
			n += (size_t)snprintf(out + n, n < size ? size - n : 0, "# then: %.*s\n",
					      (int)len, p);
		}
		p += len;
		p += strspn(p, "; ");
	}
	if (!any || n >= size)
		out[0] = '\0'; /* no command, or not all of it: none */
	else if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
}

/*
 * What a judge did not say of a failed finding's fix: the run-time commands
 * a script may hold (script_of its apply text), and how such a fix is made
 * to last, by domain.
 */
static void default_fix(struct doctor_finding *f)
{
	static const struct {
		const char *domain, *persist;
	} lasting[] = {
		{ "irq", "tuned's cpu-partitioning (isolated_cores=, which bans the isolated CPUs "
			 "in irqbalance and sets default_smp_affinity), or "
			 "IRQBALANCE_BANNED_CPULIST in /etc/sysconfig/irqbalance" },
		{ "nic", "a udev rule that runs the same ethtool command when the NIC appears "
			 "(ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"<nic>\", "
			 "RUN+=\"/usr/sbin/ethtool ...\"), or the NetworkManager connection's "
			 "ethtool settings" },
		{ "net", "a udev rule writing the same sysfs attribute when the NIC appears "
			 "(ATTR{...}=\"...\"), or [sysfs] in a tuned profile" },
		{ "isolation", "tuned's cpu-partitioning with isolated_cores= (it sets the "
			       "workqueue masks and moves threads at boot)" },
		{ "cpu", "[sysfs] or [cpu] in a tuned profile (latency-performance sets them)" },
		{ "vm", "[sysfs] or [vm] in a tuned profile, or a systemd-tmpfiles line (w "
			"/sys/... - - - - value)" },
		{ "kernel", "[sysfs] in a tuned profile, or a systemd-tmpfiles line (w /sys/... "
			    "- - - - value)" },
		{ "cmdline", "the boot loader's kernel command line (grubby, /etc/default/grub, or "
			     "[bootloader] cmdline in a tuned profile)" },
	};

	if (!f->emit_script[0])
		script_of(f->apply, f->emit_script, sizeof(f->emit_script));
	for (unsigned i = 0; !f->persist[0] && i < sizeof(lasting) / sizeof(lasting[0]); i++)
		if (!strcmp(f->check->domain, lasting[i].domain))
			doctor_set(f->persist, "%s", lasting[i].persist);
}

/*
 * Runs table t's checks into out[0], out[1]... or, with a sink, each into
 * out[0] (one finding of room) and hands it to the sink before the next.
 */
static unsigned run_table(const struct doctor_host *h, bool cheap_only,
			  const struct doctor_check *t, unsigned n, struct doctor_finding *out,
			  doctor_sink sink, void *arg)
{
	unsigned w = 0;

	for (unsigned i = 0; i < n; i++) {
		struct doctor_finding *f = sink ? out : &out[w];

		if (cheap_only && t[i].slow)
			continue;
		const char *profile;
		unsigned which;

		memset(f, 0, sizeof(*f));
		f->check = &t[i];
		t[i].judge(h, &t[i], f);
		if (f->state == DOCTOR_FAIL)
			default_fix(f);
		/* what the host's own tuned profiles do about it */
		if (t[i].tuned_key &&
		    (profile = doctor_tuned_sets(&h->tuned, t[i].tuned_key, &which)))
			snprintf(f->tuned_here, sizeof(f->tuned_here), "%s (%s)", profile,
				 h->tuned.dir[which]);
		if (sink)
			sink(f, arg);
		w++;
	}
	return w;
}

void doctor_wait_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double doctor_window_s(const struct doctor_host *h)
{
	double s = h->window_ms / 1000.0, since;

	if (!h->window || !h->window->taken)
		return s;
	since = monotonic_s() - h->window->at;
	return since > s ? since : s;
}

static unsigned run_all(const struct doctor_host *h, bool cheap_only, struct doctor_finding *out,
			doctor_sink sink, void *arg)
{
	unsigned n = 0;

	if (h->softnet)
		h->softnet->run++; /* a new window for this run */
	/* every windowed check's first read, then one wait for them all */
	if (h->window_ms && h->window && h->softnet) {
		h->window->at = monotonic_s();
		doctor_softnet_begin(h);
		if (!cheap_only)
			doctor_effects_begin(h);
		h->wait(h->window_ms);
		h->window->taken = true;
	}
	for (unsigned t = 0; t < N_TABLES; t++)
		n += run_table(h, cheap_only, tables[t].checks, *tables[t].n, sink ? out : out + n,
			       sink, arg);
	if (h->window) {
		doctor_effects_end(h);
		h->window->taken = false;
	}
	return n;
}

unsigned doctor_run(const struct doctor_host *h, bool cheap_only, struct doctor_finding *out)
{
	return run_all(h, cheap_only, out, NULL, NULL);
}

unsigned doctor_run_each(const struct doctor_host *h, bool cheap_only,
			 struct doctor_finding *scratch, doctor_sink sink, void *arg)
{
	return run_all(h, cheap_only, scratch, sink, arg);
}

void doctor_host_init(struct doctor_host *h, const char *root, const struct jd_config *cfg,
		      const char *config_path)
{
	const char *group =
		cfg && cfg->doctor.isolated_group[0] ? cfg->doctor.isolated_group : "isolated";
	char buf[1024];
	const char *why;

	memset(h, 0, sizeof(*h));
	h->root = root ? root : "";
	h->ethtool = doctor_ethtool_ioctl;
	h->window_ms = 1000;
	h->wait = doctor_wait_ms;
	h->softnet = &h->softnet_state;
	h->window = &h->window_state;
	h->root_files = (struct doctor_root_files){ .pm_qos = -1, .irqbalance = -1 };
	doctor_tuned_read(h, &h->tuned);
	for (int i = 0; cfg && i < cfg->n_workloads && i < JD_MAX_WORKLOADS; i++)
		if (cfg->workloads[i].comm[0])
			snprintf(h->workloads[h->n_workloads++], JD_COMM_GLOB_MAX, "%s",
				 cfg->workloads[i].comm);
	h->nr_cpus = (unsigned)sysconf(_SC_NPROCESSORS_CONF);
	if (!doctor_read(h, buf, sizeof(buf), "/sys/devices/system/cpu/possible")) {
		cpu_set_t possible;

		if (!parse_kernel_cpulist(buf, CPU_SETSIZE, &possible, &why)) {
			h->nr_cpus = 0;
			for (unsigned c = 0; c < CPU_SETSIZE; c++)
				if (CPU_ISSET(c, &possible))
					h->nr_cpus = c + 1;
		}
	}
	for (int i = 0; cfg && i < cfg->n_cpu_groups; i++)
		if (!strcmp(cfg->cpu_groups[i].name, group)) {
			h->isolated = cfg->cpu_groups[i].cpus;
			h->have_isolated = CPU_COUNT(&h->isolated) > 0;
			snprintf(h->isolated_from, sizeof(h->isolated_from),
				 "cpu group \"%s\" of %s", group,
				 config_path ? config_path : "the config");
			return;
		}
	/* as it took effect: isolcpus=, nohz_full=, isolated cpuset partitions */
	CPU_ZERO(&h->isolated);
	{
		static const char *const names[] = { "/sys/devices/system/cpu/isolated",
						     "/sys/devices/system/cpu/nohz_full",
						     "isolated cgroup cpuset partitions" };
		cpu_set_t set;

		for (int i = 0; i < 3; i++) {
			if (i < 2)
				read_cpus(h, names[i], &set);
			else
				cpuset_isolated(h, &set);
			if (!CPU_COUNT(&set))
				continue;
			CPU_OR(&h->isolated, &h->isolated, &set);
			doctor_append(h->isolated_from, sizeof(h->isolated_from), "%s%s",
				      h->isolated_from[0] ? " + " : "", names[i]);
		}
	}
	h->have_isolated = CPU_COUNT(&h->isolated) > 0;
	if (!h->have_isolated)
		snprintf(h->isolated_from, sizeof(h->isolated_from),
			 "/sys/devices/system/cpu/isolated and nohz_full are empty, no cpuset "
			 "partition is isolated and no cpu group is named isolated");
}
