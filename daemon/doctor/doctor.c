// SPDX-License-Identifier: MIT
/*
 * `jitterd doctor [--config FILE] [--from URL] [--json] [--root DIR]`:
 * run every check (checks.c, net.c), add the evidence of a
 * running jitterd (evidence.c) when --from names one, and print the
 * findings grouped by severity, or as one JSON document (schema below and
 * in docs/doctor.md).
 *
 * Read-only; runs as any user. Exit status: 0 when the report was made
 * (whatever it found), 1 when --from could not be read, 2 on bad usage or
 * config.
 */
#include "doctor/doctor.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/parse.h"

#define DOCTOR_SCHEMA 1

const char *doctor_severity_name(enum doctor_severity s)
{
	static const char *const names[] = { "critical", "warning", "info" };

	return names[s];
}

enum doctor_severity doctor_finding_severity(const struct doctor_finding *f)
{
	enum doctor_severity s = f->check->severity;

	return f->milder && s < DOCTOR_INFO ? s + 1 : s;
}

const char *doctor_state_name(enum doctor_state s)
{
	static const char *const names[] = { "ok", "fail", "not_applicable", "needs_root" };

	return names[s];
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *finding_json(const struct doctor_finding *f)
{
	const struct doctor_check *k = f->check;
	json_t *o = json_object(), *tuned = json_array();
	const char *p = k->tuned;

	json_set_str(o, "check", k->id);
	if (f->subject[0])
		json_set_str(o, "subject", f->subject);
	json_set_str(o, "domain", k->domain);
	json_set_str(o, "state", doctor_state_name(f->state));
	json_set_str(o, "severity", doctor_severity_name(doctor_finding_severity(f)));
	json_set_str(o, "value", f->value);
	json_set_str(o, "where", f->where);
	json_set_str(o, "why", k->why);
	json_set_str(o, "recommended", f->recommended);
	json_set_str(o, "apply", f->apply);
	json_set_str(o, "reference", k->reference);
	if (f->tuned_here[0])
		json_set_str(o, "tuned_here", f->tuned_here);
	if (f->state == DOCTOR_FAIL && f->persist[0])
		json_set_str(o, "persist", f->persist);
	/* "cpu-partitioning (nohz=on), realtime" -> ["cpu-partitioning", "realtime"] */
	while (p && *p) {
		size_t len = strcspn(p, " ,(");

		if (len)
			json_array_append_new(tuned, json_stringn(p, len));
		p += len;
		if (*p == '(')
			p += strcspn(p, ")");
		p += strspn(p, " ,)");
	}
	json_object_set_new(o, "tuned", tuned);
	return o;
}

json_t *doctor_json(const struct doctor_host *h, const struct doctor_finding *f, unsigned n)
{
	json_t *doc = json_object(), *host = json_object(), *checks = json_array(),
	       *evidence = json_array(), *summary = json_object();
	unsigned counts[6] = { 0 };
	char list[256] = "";
	struct utsname u;

	if (h->have_isolated)
		format_cpulist(&h->isolated, list, sizeof(list));
	json_object_set_new(doc, "schema", json_integer(DOCTOR_SCHEMA));
	json_set_str(host, "kernel", uname(&u) ? "?" : u.release);
	json_set_str(host, "isolated_cpus", list);
	json_set_str(host, "isolated_from", h->isolated_from);
	json_set_str(host, "root", h->root[0] ? h->root : "/");
	json_set_str(host, "tuned_active", h->tuned.active);
	json_object_set_new(doc, "host", host);
	for (unsigned i = 0; i < n; i++) {
		bool is_evidence = !strcmp(f[i].check->domain, "evidence");

		json_array_append_new(is_evidence ? evidence : checks, finding_json(&f[i]));
		if (f[i].state == DOCTOR_FAIL)
			counts[doctor_finding_severity(&f[i])]++;
		else
			counts[3 + (f[i].state == DOCTOR_OK ? 0 : 1)]++;
	}
	json_object_set_new(doc, "checks", checks);
	json_object_set_new(doc, "evidence", evidence);
	json_object_set_new(summary, "critical", json_integer(counts[DOCTOR_CRITICAL]));
	json_object_set_new(summary, "warning", json_integer(counts[DOCTOR_WARNING]));
	json_object_set_new(summary, "info", json_integer(counts[DOCTOR_INFO]));
	json_object_set_new(summary, "ok", json_integer(counts[3]));
	json_object_set_new(summary, "not_checked", json_integer(counts[4]));
	json_object_set_new(doc, "summary", summary);
	return doc;
}

/* ---- text ---------------------------------------------------------------- */

struct style {
	const char *on, *off;
};

static const struct style colours[] = {
	[DOCTOR_CRITICAL] = { "\033[1;31m", "\033[0m" },
	[DOCTOR_WARNING] = { "\033[1;33m", "\033[0m" },
	[DOCTOR_INFO] = { "\033[1;36m", "\033[0m" },
	[3] = { "\033[32m", "\033[0m" }, /* ok */
	[4] = { "\033[2m", "\033[0m" },	 /* not checked */
};

static void print_finding(FILE *out, const struct doctor_finding *f, const struct style *st)
{
	const struct doctor_check *k = f->check;

	fprintf(out, "  %s[%s%s%s]%s %s\n", st->on, k->id, f->subject[0] ? " " : "", f->subject,
		st->off, f->value);
	fprintf(out, "      read:      %s\n", f->where);
	fprintf(out, "      why:       %s\n", k->why);
	if (f->recommended[0])
		fprintf(out, "      recommend: %s\n", f->recommended);
	if (f->apply[0])
		fprintf(out, "      apply:     %s\n", f->apply);
	if (f->state == DOCTOR_FAIL && f->persist[0])
		fprintf(out, "      lasts:     %s\n", f->persist);
	fprintf(out, "      reference: %s%s%s\n", k->reference, k->tuned[0] ? "; tuned: " : "",
		k->tuned);
	if (f->tuned_here[0])
		fprintf(out, "      tuned here: in the active profiles, %s\n", f->tuned_here);
}

void doctor_print(FILE *out, const struct doctor_host *h, const struct doctor_finding *f,
		  unsigned n, bool colour)
{
	static const char *const groups[] = { "CRITICAL", "WARNING", "INFO", "OK", "NOT CHECKED" };
	static const struct style plain = { "", "" };
	unsigned counts[5] = { 0 };
	char list[256];
	struct utsname u;

	if (h->have_isolated)
		format_cpulist(&h->isolated, list, sizeof(list));
	fprintf(out, "jitterd doctor: kernel %s, isolated CPUs %s (%s)\n",
		uname(&u) ? "?" : u.release, h->have_isolated ? list : "none", h->isolated_from);
	if (h->tuned.active[0]) {
		fprintf(out, "tuned: active profile %s", h->tuned.active);
		for (unsigned i = 0; i < h->tuned.n; i++)
			fprintf(out, "%s%s", i ? ", " : " (read: ", h->tuned.dir[i]);
		fprintf(out, "%s\n", h->tuned.n ? ")" : " (no profile file found)");
	}
	for (unsigned g = 0; g < 5; g++) {
		const struct style *st = colour ? &colours[g] : &plain;
		bool header = false;

		for (unsigned i = 0; i < n; i++) {
			unsigned group = f[i].state == DOCTOR_FAIL
						 ? (unsigned)doctor_finding_severity(&f[i])
					 : f[i].state == DOCTOR_OK ? 3
								   : 4;

			if (group != g)
				continue;
			if (!header) {
				fprintf(out, "\n%s%s%s\n", st->on, groups[g], st->off);
				header = true;
			}
			counts[g]++;
			if (g < 3)
				print_finding(out, &f[i], st);
			else
				fprintf(out, "  %s[%s%s%s]%s %s%s%s\n", st->on, f[i].check->id,
					f[i].subject[0] ? " " : "", f[i].subject, st->off,
					g == 4 ? doctor_state_name(f[i].state) : "",
					g == 4 ? ": " : "", f[i].value);
		}
	}
	fprintf(out, "\nsummary: %u critical, %u warning, %u info, %u ok, %u not checked\n",
		counts[0], counts[1], counts[2], counts[3], counts[4]);
}

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: jitterd doctor [--config FILE] [--from URL] [--json | --emit KIND] "
		"[--root DIR]\n"
		"  -c, --config FILE   jitterd.yaml: cpu_groups (the isolated CPUs) and doctor.*\n"
		"  -f, --from URL      a running jitterd (http://host:port): evidence from its\n"
		"                      /metrics and /events\n"
		"      --cacert FILE   CA certificate for an https:// --from\n"
		"      --user U:P      basic auth for --from\n"
		"  -j, --json          one JSON document (schema in docs/doctor.md)\n"
		"  -e, --emit KIND     print the failed checks' fixes, applying nothing: tuned\n"
		"                      (a child profile), sysctl (a sysctl.d fragment) or\n"
		"                      script (a shell script to review)\n"
		"  -r, --root DIR      read /proc, /sys and /dev under DIR (a fixture tree)\n"
		"      --color WHEN    auto (a terminal), always or never\n"
		"  -h, --help          this text\n");
}

int doctor_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "emit", required_argument, NULL, 'e' },
		{ "root", required_argument, NULL, 'r' },
		{ "color", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *config_path = NULL, *root = "", *colour_when = "auto", *emit = NULL;
	struct doctor_http http = {};
	struct doctor_finding *f;
	struct doctor_host h;
	struct jd_config *cfg;
	bool json = false;
	unsigned n, cap;
	int c, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:f:je:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'f': http.url = optarg; break;
		case 'A': http.cacert = optarg; break;
		case 'u': http.user = optarg; break;
		case 'j': json = true; break;
		case 'e': emit = optarg; break;
		case 'r': root = optarg; break;
		case 'C': colour_when = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jitterd doctor: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (strcmp(colour_when, "auto") && strcmp(colour_when, "always") &&
	    strcmp(colour_when, "never")) {
		fprintf(stderr, "jitterd doctor: --color %s: use auto, always or never\n",
			colour_when);
		return 2;
	}
	if (emit &&
	    (json || (strcmp(emit, "tuned") && strcmp(emit, "sysctl") && strcmp(emit, "script")))) {
		fprintf(stderr,
			"jitterd doctor: --emit %s: use tuned, sysctl or script (not with "
			"--json)\n",
			emit);
		return 2;
	}
	/* Root "/" and "" are the host; a trailing slash would double up. */
	if (!strcmp(root, "/"))
		root = "";
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return 1;
	config_defaults(cfg);
	if (config_path &&
	    config_load_file(cfg, config_path, (unsigned)sysconf(_SC_NPROCESSORS_CONF), stderr)) {
		free(cfg);
		return 2;
	}
	doctor_host_init(&h, root, cfg, config_path);
	free(cfg);
	cap = doctor_count() + 16;
	f = calloc(cap, sizeof(*f));
	if (!f)
		return 1;
	n = doctor_run(&h, false, f);
	if (http.url && doctor_evidence(&h, &http, &f, &n, &cap))
		status = 1;
	if (emit) {
		doctor_emit(stdout, &h, f, n, emit);
	} else if (json) {
		json_t *doc = doctor_json(&h, f, n);
		struct buf out = {};

		if (json_append(&out, doc) == 0)
			printf("%.*s\n", (int)out.len, out.data);
		else
			status = 1;
		buf_free(&out);
		json_decref(doc);
	} else {
		bool colour = !strcmp(colour_when, "always") ||
			      (!strcmp(colour_when, "auto") && isatty(STDOUT_FILENO));

		doctor_print(stdout, &h, f, n, colour);
	}
	free(f);
	return status;
}
