// SPDX-License-Identifier: MIT
/*
 * The doctor's effect checks: what the settings do, measured in the same
 * run over one window (host->window_ms, two reads a second apart):
 *
 *   - the interruptions of each isolated CPU, from /proc/interrupts: local
 *     timer interrupts (LOC: the tick, or timers armed there), device IRQs
 *     (the numbered lines) and the rest (IPIs). A nohz_full CPU that takes
 *     1,000 ticks a second is not isolated whatever the command line says;
 *   - SMIs, from MSR_SMI_COUNT (0x34, Intel) through /dev/cpu/N/msr as
 *     root: time the firmware took from every CPU, reported as evidence.
 *
 * In a --root tree the second read is of "<file>.1s" when the fixture has
 * one. In doctor_run() their first reads are taken with softnet's before
 * the run's one wait (doctor_effects_begin); a judge called alone waits
 * for its own window. Both need a window: not in the daemon's periodic run
 * (slow).
 */
#include "doctor/doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/parse.h"

/* ---- /proc/interrupts ------------------------------------------------------ */

struct cpu_irqs {
	unsigned long long timer, device, other;
};

/*
 * Sums a /proc/interrupts text per CPU: counts[cpu] for the CPUs of its
 * header (CPU0 CPU1 ...; offline CPUs have no column). 0, or -EINVAL.
 */
static int sum_interrupts(const char *text, unsigned ncpus, struct cpu_irqs *counts)
{
	unsigned col[CPU_SETSIZE], ncol = 0;
	const char *p = text, *eol = strchr(text, '\n');

	memset(counts, 0, ncpus * sizeof(*counts));
	if (!eol)
		return -EINVAL;
	while (p < eol && ncol < CPU_SETSIZE) {
		unsigned cpu;

		while (p < eol && *p == ' ')
			p++;
		if (p < eol && sscanf(p, "CPU%u", &cpu) == 1)
			col[ncol++] = cpu;
		while (p < eol && *p != ' ')
			p++;
	}
	if (!ncol)
		return -EINVAL;
	for (p = eol + 1; *p; p = eol ? eol + 1 : p + strlen(p)) {
		const char *name = p, *colon;
		bool device, timer;

		eol = strchr(p, '\n');
		while (*name == ' ')
			name++;
		colon = strchr(name, ':');
		if (!colon || (eol && colon > eol))
			continue;
		device = name[0] >= '0' && name[0] <= '9';
		timer = !strncmp(name, "LOC:", 4);
		p = colon + 1;
		for (unsigned i = 0; i < ncol; i++) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);

			/* ERR: and MIS: have one number; a name ends the numbers */
			if (end == p || (eol && end > eol))
				break;
			p = end;
			if (col[i] >= ncpus)
				continue;
			if (timer)
				counts[col[i]].timer += v;
			else if (device)
				counts[col[i]].device += v;
			else
				counts[col[i]].other += v;
		}
	}
	return 0;
}

static unsigned long long since(unsigned long long now, unsigned long long then)
{
	return now >= then ? now - then : 0;
}

static unsigned nr_cpus(const struct doctor_host *h)
{
	return h->nr_cpus < CPU_SETSIZE ? h->nr_cpus : CPU_SETSIZE;
}

static void judge_interrupts(const struct doctor_host *h, const struct doctor_check *k,
			     struct doctor_finding *f)
{
	static const char path[] = "/proc/interrupts";
	struct cpu_irqs *a = NULL, *b = NULL;
	char *text = NULL, later[512], list[1024];
	unsigned ncpus = nr_cpus(h), bad = 0, shown = 0;
	unsigned long long max_timer = 0;
	double s = (h->window_ms ? h->window_ms : 1000) / 1000.0;
	bool window = h->window_ms && h->window && h->window->taken;
	cpu_set_t ticking, irqs;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	a = calloc(ncpus, sizeof(*a));
	b = calloc(ncpus, sizeof(*b));
	if (window) { /* the run's first read, before its one wait */
		text = h->window->interrupts;
		h->window->interrupts = NULL;
	} else {
		text = doctor_read_all(h, path);
	}
	if (!a || !b || !text) {
		doctor_unreadable(f, text ? -ENOMEM : -ENOENT, path);
		goto out;
	}
	if (sum_interrupts(text, ncpus, a)) {
		doctor_unreadable(f, -EINVAL, path);
		goto out;
	}
	free(text);
	if (h->window_ms && !window)
		h->wait(h->window_ms);
	snprintf(later, sizeof(later), "%s.1s", path);
	text = h->root[0] ? doctor_read_all(h, later) : NULL;
	if (!text)
		text = doctor_read_all(h, path);
	if (!text || sum_interrupts(text, ncpus, b)) {
		doctor_unreadable(f, -EINVAL, path);
		goto out;
	}
	if (window)
		s = doctor_window_s(h);
	doctor_set(f->where, "%s twice, %.1f s apart", path, s);
	CPU_ZERO(&ticking);
	CPU_ZERO(&irqs);
	for (unsigned c = 0; c < ncpus; c++) {
		unsigned long long timer = since(b[c].timer, a[c].timer),
				   device = since(b[c].device, a[c].device),
				   other = since(b[c].other, a[c].other);

		if (!CPU_ISSET(c, &h->isolated))
			continue;
		if (timer > max_timer)
			max_timer = timer;
		if (timer <= DOCTOR_TICKS_PER_S_MAX * s && !device)
			continue;
		if (timer > DOCTOR_TICKS_PER_S_MAX * s)
			CPU_SET(c, &ticking);
		if (device)
			CPU_SET(c, &irqs);
		if (shown++ < 8)
			doctor_append(f->value, sizeof(f->value),
				      "%sCPU %u: %llu timer, %llu device, %llu other interrupts",
				      f->value[0] ? "; " : "", c, timer, device, other);
		bad++;
	}
	doctor_set(f->recommended,
		   "at most %u timer interrupts a second (nohz_full with one task: 1) and no "
		   "device IRQ on an isolated CPU",
		   DOCTOR_TICKS_PER_S_MAX);
	if (!bad) {
		f->state = DOCTOR_OK;
		doctor_set(f->value,
			   "isolated CPUs %s: at most %llu timer interrupts and no device IRQ in "
			   "%.1f s",
			   format_cpulist(&h->isolated, list, sizeof(list)) ? "?" : list, max_timer,
			   s);
		goto out;
	}
	f->state = DOCTOR_FAIL;
	if (shown > 8)
		doctor_append(f->value, sizeof(f->value), "; and %u more CPUs", shown - 8);
	doctor_append(f->value, sizeof(f->value), " (in %.1f s)", s);
	f->apply[0] = '\0';
	if (CPU_COUNT(&ticking)) {
		format_cpulist(&ticking, list, sizeof(list));
		doctor_append(f->apply, sizeof(f->apply),
			      "the tick on CPUs %s: nohz_full=%s on the kernel command line, and "
			      "one runnable task per CPU (a second task, or a timer armed there, "
			      "keeps the tick)",
			      list, list);
		doctor_set(f->emit_cmdline, "nohz_full=%s", list);
		doctor_set(f->persist, "the boot loader's kernel command line (nohz_full=)");
	}
	if (CPU_COUNT(&irqs)) {
		format_cpulist(&irqs, list, sizeof(list));
		doctor_append(f->apply, sizeof(f->apply),
			      "%sdevice IRQs on CPUs %s: move them to housekeeping CPUs (see "
			      "irq.affinity)",
			      f->apply[0] ? "; " : "", list);
	}
out:
	free(text);
	free(a);
	free(b);
}

/* ---- SMIs: MSR_SMI_COUNT ------------------------------------------------------ */

#define MSR_SMI_COUNT 0x34

/* SMIs counted on CPU cpu: 0 or -errno (read through path, "" = the msr file). */
static int smi_count(const struct doctor_host *h, unsigned cpu, bool later, uint64_t *v)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/dev/cpu/%u/msr%s", h->root, cpu, later ? ".1s" : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && later)
		return smi_count(h, cpu, false, v);
	if (fd < 0)
		return -errno;
	if (pread(fd, v, sizeof(*v), MSR_SMI_COUNT) != (ssize_t)sizeof(*v))
		err = -EIO; /* no such MSR: not an Intel CPU */
	close(fd);
	*v &= 0xffffffffu; /* the count is the low 32 bits */
	return err;
}

/* The first read of every CPU's count into first: how many were read, and
 * in *err why none was. */
static unsigned smi_first(const struct doctor_host *h, uint64_t *first, unsigned ncpus, int *err)
{
	unsigned read = 0;

	*err = first ? -ENOENT : -ENOMEM;
	for (unsigned c = 0; first && c < ncpus; c++) {
		int e = smi_count(h, c, false, &first[c]);

		if (!e)
			read++;
		else if (*err == -ENOENT || e == -EACCES || e == -EPERM)
			*err = e;
	}
	return read;
}

void doctor_effects_begin(const struct doctor_host *h)
{
	struct doctor_window *w = h->window;
	unsigned ncpus = nr_cpus(h);

	/* isolation.interrupts judges the isolated CPUs only */
	w->interrupts = h->have_isolated ? doctor_read_all(h, "/proc/interrupts") : NULL;
	w->smi = calloc(ncpus ? ncpus : 1, sizeof(*w->smi));
	w->smi_read = smi_first(h, w->smi, ncpus, &w->smi_err);
}

void doctor_effects_end(const struct doctor_host *h)
{
	struct doctor_window *w = h->window;

	free(w->interrupts);
	free(w->smi);
	w->interrupts = NULL;
	w->smi = NULL;
	w->smi_read = 0;
}

static void judge_smi(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	unsigned ncpus = nr_cpus(h), read;
	bool window = h->window_ms && h->window && h->window->taken;
	uint64_t *first, most = 0, total = 0;
	double s = (h->window_ms ? h->window_ms : 1000) / 1000.0;
	int err;

	(void)k;
	doctor_set(f->where, "/dev/cpu/*/msr, MSR_SMI_COUNT (0x34), twice %.1f s apart", s);
	if (window) { /* the run's first read, before its one wait */
		first = h->window->smi;
		read = h->window->smi_read;
		err = h->window->smi_err;
		h->window->smi = NULL;
	} else {
		first = calloc(ncpus ? ncpus : 1, sizeof(*first));
		read = smi_first(h, first, ncpus, &err);
	}
	if (!read) {
		if (err == -EIO) {
			f->state = DOCTOR_NOT_APPLICABLE;
			doctor_set(f->value,
				   "unreadable: this CPU has no MSR_SMI_COUNT (Intel only)");
		} else if (err == -ENOENT) {
			f->state = DOCTOR_NOT_APPLICABLE;
			doctor_set(f->value, "unreadable: no /dev/cpu/*/msr (modprobe msr)");
		} else {
			doctor_unreadable(f, err, "/dev/cpu/*/msr");
			doctor_set(f->value,
				   "unreadable: /dev/cpu/*/msr is root's (CAP_SYS_RAWIO)");
		}
		free(first);
		return;
	}
	if (h->window_ms && !window)
		h->wait(h->window_ms);
	for (unsigned c = 0; c < ncpus; c++) {
		uint64_t now;

		if (smi_count(h, c, true, &now))
			continue;
		if (now - first[c] > most && now >= first[c])
			most = now - first[c];
		if (now > total)
			total = now;
	}
	free(first);
	if (window) {
		s = doctor_window_s(h);
		doctor_set(f->where, "/dev/cpu/*/msr, MSR_SMI_COUNT (0x34), twice %.1f s apart", s);
	}
	doctor_set(f->recommended, "no SMI (the firmware's power management, legacy USB "
				   "emulation, error reporting off)");
	if (!most) {
		f->state = DOCTOR_OK;
		doctor_set(f->value, "no SMI in %.1f s (%llu since boot)", s,
			   (unsigned long long)total);
		return;
	}
	f->state = DOCTOR_FAIL;
	doctor_set(f->value,
		   "%llu SMIs in %.1f s (%llu since boot): each stops every CPU for "
		   "tens to hundreds of microseconds",
		   (unsigned long long)most, s, (unsigned long long)total);
	doctor_set(f->apply, "in the BIOS/UEFI setup: the vendor's low-latency profile (power "
			     "management by the OS, no legacy USB emulation, no memory patrol "
			     "scrub in SMM); then run hwlatdetect to confirm");
	doctor_set(f->persist, "a BIOS/UEFI setting: it lasts once made");
}

/* ---- the table ------------------------------------------------------------ */

const struct doctor_check doctor_effect_checks[] = {
	{ "isolation.interrupts", "isolation", DOCTOR_CRITICAL,
	  "The interruptions an isolated CPU took, measured: a tick or a device IRQ on it "
	  "preempts the workload whatever the settings say.",
	  REF_KERNEL("timers/no_hz.rst (testing), filesystems/proc.rst (/proc/interrupts)"), "",
	  .slow = true, judge_interrupts },
	{ "cpu.smi", "cpu", DOCTOR_WARNING,
	  "A System Management Interrupt stops every CPU while the firmware runs, invisible to "
	  "the kernel.",
	  "Intel SDM vol. 4 (MSR_SMI_COUNT, 0x34); rt-tests hwlatdetect(8)", "", .slow = true,
	  judge_smi },
};
const unsigned n_doctor_effect_checks =
	sizeof(doctor_effect_checks) / sizeof(doctor_effect_checks[0]);
