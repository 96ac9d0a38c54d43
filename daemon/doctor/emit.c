// SPDX-License-Identifier: MIT
/*
 * `jitterd doctor --emit tuned|sysctl|script`: the failed findings' fixes
 * written as something that lasts, for a person to review and install:
 *
 *   sysctl  a sysctl.d fragment (key = value lines);
 *   tuned   a tuned child profile: [main] include= the active profile (or
 *           cpu-partitioning / network-latency), [variables]
 *           isolated_cores=, [sysctl], [sysfs], [bootloader] cmdline;
 *   script  a bash script of the run-time commands, each under its
 *           finding's id, value and how to make it last; a fix that is no
 *           command (a BIOS setting, a kernel argument) stays a comment.
 *
 * Nothing is applied here: it is printed.
 */
#include "doctor/doctor.h"

#include <stdio.h>
#include <string.h>

#include "lib/parse.h"

/* Failed findings in the order of the report, evidence included. */
static bool failed(const struct doctor_finding *f)
{
	return f->state == DOCTOR_FAIL;
}

/* A comment of text, one "# " line per line of it. */
static void comment(FILE *out, const char *label, const char *text)
{
	fprintf(out, "# %s", label);
	for (const char *p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && p[1])
			fputs("#   ", out);
	}
	fputc('\n', out);
}

static bool have_line(const char *lines, const char *line, size_t len);

static void emit_sysctl(FILE *out, const struct doctor_finding *f, unsigned n)
{
	static char done[16384];

	done[0] = '\0';
	fprintf(out, "# jitterd doctor --emit sysctl: the sysctls of the failed checks.\n"
		     "# Review, then install as /etc/sysctl.d/90-latency.conf and load with "
		     "sysctl --system.\n");
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(f[i].emit_sysctl), have = strlen(done);

		/* two checks of one sysctl (sched.rt_throttling and its sysctl) once */
		if (!failed(&f[i]) || !len || have_line(done, f[i].emit_sysctl, len))
			continue;
		if (have + len + 2 < sizeof(done))
			snprintf(done + have, sizeof(done) - have, "%s\n", f[i].emit_sysctl);
		fprintf(out, "\n");
		comment(out, "", f[i].check->id);
		comment(out, "found: ", f[i].value);
		fprintf(out, "%s\n", f[i].emit_sysctl);
	}
}

/* Whether lines (each ending in '\n') has line (len bytes). */
static bool have_line(const char *lines, const char *line, size_t len)
{
	for (const char *p = lines; *p;) {
		size_t l = strcspn(p, "\n");

		if (l == len && !strncmp(p, line, len))
			return true;
		p += l + (p[l] == '\n');
	}
	return false;
}

/* Whether args (" "-separated) has an argument named as arg is (up to '='). */
static bool have_arg(const char *args, const char *arg)
{
	size_t name = strcspn(arg, "=");

	for (const char *p = args; *p;) {
		size_t l = strcspn(p, " ");

		if (l >= name && !strncmp(p, arg, name) &&
		    (p[name] == '=' || p[name] == ' ' || l == name))
			return true;
		p += l + (p[l] == ' ');
	}
	return false;
}

static void emit_tuned(FILE *out, const struct doctor_host *h, const struct doctor_finding *f,
		       unsigned n)
{
	static const char *const sections[] = { "[variables]", "[sysctl]", "[sysfs]" };
	static char lines[3][16384], cmdline[8192];
	char parent[128], list[1024];

	memset(lines, 0, sizeof(lines));
	cmdline[0] = '\0';
	/* the first active profile is the parent: the child changes only what failed */
	if (h->tuned.active[0])
		snprintf(parent, sizeof(parent), "%.*s", (int)strcspn(h->tuned.active, " \t\n"),
			 h->tuned.active);
	else
		snprintf(parent, sizeof(parent), "%s",
			 h->have_isolated ? "cpu-partitioning" : "network-latency");
	if (h->have_isolated && !format_cpulist(&h->isolated, list, sizeof(list)))
		snprintf(lines[0], sizeof(lines[0]), "isolated_cores=%s\n", list);
	for (unsigned i = 0; i < n; i++) {
		if (!failed(&f[i]))
			continue;
		for (const char *p = f[i].emit_tuned; *p;) {
			size_t l = strcspn(p, "\n");

			for (unsigned s = 0; s < 3; s++) {
				size_t sl = strlen(sections[s]), have = strlen(lines[s]);
				const char *v = p + sl + 1;
				size_t vl = l > sl ? l - sl - 1 : 0;

				if (strncmp(p, sections[s], sl) || !vl ||
				    have_line(lines[s], v, vl) || have + vl + 2 >= sizeof(lines[s]))
					continue;
				snprintf(lines[s] + have, sizeof(lines[s]) - have, "%.*s\n",
					 (int)vl, v);
			}
			p += l + (p[l] == '\n');
		}
		if (f[i].emit_cmdline[0] && !have_arg(cmdline, f[i].emit_cmdline) &&
		    strlen(cmdline) + strlen(f[i].emit_cmdline) + 2 < sizeof(cmdline))
			snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline),
				 "%s%s", cmdline[0] ? " " : "", f[i].emit_cmdline);
	}
	fprintf(out,
		"# jitterd doctor --emit tuned: a child profile of %s with the fixes of the\n"
		"# failed checks. Review, then install as /etc/tuned/jitterd-latency/tuned.conf\n"
		"# and select it with tuned-adm profile jitterd-latency.\n"
		"[main]\nsummary=%s with jitterd doctor's fixes\ninclude=%s\n",
		parent, parent, parent);
	for (unsigned s = 0; s < 3; s++)
		if (lines[s][0])
			fprintf(out, "\n%s\n%s", sections[s], lines[s]);
	/* tuned merges every cmdline* option; "+" adds to what the parent has */
	if (cmdline[0])
		fprintf(out, "\n[bootloader]\ncmdline_jitterd=+%s\n", cmdline);
}

static void emit_script(FILE *out, const struct doctor_finding *f, unsigned n)
{
	fprintf(out, "#!/bin/bash\n"
		     "# jitterd doctor --emit script: the run-time fixes of the failed checks.\n"
		     "# Review every line before running it as root. It changes the running\n"
		     "# system only: each fix says how to make it last (--emit sysctl, --emit\n"
		     "# tuned write those parts).\n");
	for (unsigned i = 0; i < n; i++) {
		if (!failed(&f[i]))
			continue;
		fprintf(out, "\n");
		comment(out, "", f[i].check->id);
		comment(out, "found: ", f[i].value);
		if (f[i].persist[0])
			comment(out, "lasts: ", f[i].persist);
		if (f[i].emit_script[0])
			fprintf(out, "%s\n", f[i].emit_script);
		else if (f[i].emit_cmdline[0])
			fprintf(out, "# at boot: grubby --update-kernel=ALL --args=\"%s\"\n",
				f[i].emit_cmdline);
		else if (f[i].apply[0])
			comment(out, "no command: ", f[i].apply);
	}
}

int doctor_emit(FILE *out, const struct doctor_host *h, const struct doctor_finding *f, unsigned n,
		const char *kind)
{
	if (!strcmp(kind, "sysctl"))
		emit_sysctl(out, f, n);
	else if (!strcmp(kind, "tuned"))
		emit_tuned(out, h, f, n);
	else if (!strcmp(kind, "script"))
		emit_script(out, f, n);
	else
		return -1;
	return 0;
}
