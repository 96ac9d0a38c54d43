// SPDX-License-Identifier: MIT
/*
 * The host's own tuned: the profiles /etc/tuned/active_profile names and the
 * ones they include ([main] include=), read from their files as the host
 * has them, so that a finding says whether this host's tuned sets the same
 * thing, whatever tuned version moved it between profiles. The check
 * table's "tuned" column says which profiles set it in which tuned
 * versions (2.20 to 2.28); this says what this host's files do.
 */
#include "doctor/doctor.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Where tuned looks for a profile, the user's first (2.24 moved them under
 * profiles/). */
static const char *const profile_dirs[] = { "/etc/tuned/profiles", "/etc/tuned",
					    "/usr/lib/tuned/profiles", "/usr/lib/tuned" };

/* Appends the lines of root + path that are settings (no comments, no blank
 * lines) to text; 0 or -errno. */
static int read_settings(const struct doctor_host *h, const char *path, char *text, size_t size)
{
	char full[512], line[512];
	size_t n = strlen(text);
	FILE *fp;

	snprintf(full, sizeof(full), "%s%s", h->root, path);
	fp = fopen(full, "re");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		const char *p = line + strspn(line, " \t");
		size_t len = strlen(p);

		if (*p == '#' || *p == '\n' || !*p || n + len + 1 >= size)
			continue;
		memcpy(text + n, p, len + 1);
		n += len;
	}
	fclose(fp);
	return 0;
}

/* The include= of the [main] section: profile names, "," or blank separated. */
static void includes(const char *text, char (*out)[64], unsigned *n, unsigned max)
{
	const char *p = text;
	bool in_main = false;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (*p == '[')
			in_main = !strncmp(p, "[main]", 6);
		else if (in_main && !strncmp(p, "include", 7)) {
			const char *v = memchr(p, '=', len);

			while (v && ++v < p + len) {
				size_t w;

				v += strspn(v, " \t,");
				w = strcspn(v, " \t,\n");
				if (w && w < 64 && !memchr(v, '$', w) && *n < max)
					snprintf(out[(*n)++], 64, "%.*s", (int)w, v);
				v += w - 1;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

static bool add_profile(const struct doctor_host *h, struct doctor_tuned *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], name))
			return true;
	if (t->n == DOCTOR_TUNED_PROFILES)
		return false;
	for (unsigned d = 0; d < sizeof(profile_dirs) / sizeof(profile_dirs[0]); d++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s/tuned.conf", profile_dirs[d], name);
		t->text[t->n][0] = '\0';
		if (read_settings(h, path, t->text[t->n], DOCTOR_TUNED_TEXT))
			continue;
		/* the profile's script (cpu-partitioning's disable_ksm) */
		snprintf(path, sizeof(path), "%s/%s/script.sh", profile_dirs[d], name);
		read_settings(h, path, t->text[t->n], DOCTOR_TUNED_TEXT);
		snprintf(t->name[t->n], sizeof(t->name[0]), "%s", name);
		snprintf(t->dir[t->n], sizeof(t->dir[0]), "%s/%s", profile_dirs[d], name);
		t->n++;
		return true;
	}
	return false;
}

void doctor_tuned_read(const struct doctor_host *h, struct doctor_tuned *t)
{
	char names[DOCTOR_TUNED_PROFILES][64];
	unsigned n = 0;
	const char *p;

	memset(t, 0, sizeof(*t));
	if (doctor_read(h, t->active, sizeof(t->active), "/etc/tuned/active_profile"))
		return;
	for (p = t->active; *p && n < DOCTOR_TUNED_PROFILES;) {
		size_t w;

		p += strspn(p, " \t\n");
		w = strcspn(p, " \t\n");
		if (w && w < 64)
			snprintf(names[n++], 64, "%.*s", (int)w, p);
		p += w;
	}
	/* breadth first: the active profiles, then what they include */
	for (unsigned i = 0; i < n; i++) {
		unsigned before = t->n;

		if (!add_profile(h, t, names[i]) || t->n == before)
			continue;
		includes(t->text[t->n - 1], names, &n, DOCTOR_TUNED_PROFILES);
	}
}

const char *doctor_tuned_sets(const struct doctor_tuned *t, const char *keys, unsigned *which)
{
	for (unsigned i = 0; i < t->n; i++) {
		for (const char *line = t->text[i]; *line;) {
			const char *eol = strchr(line, '\n');
			size_t len = eol ? (size_t)(eol - line) : strlen(line);

			/* a setting's line (not a [section]) that names one of the keys */
			for (const char *k = keys; *line != '[' && k && *k;) {
				size_t klen = strcspn(k, "|");

				if (klen && memmem(line, len, k, klen)) {
					*which = i;
					return t->name[i];
				}
				k += klen;
				k += *k == '|';
			}
			line += len;
			line += *line == '\n';
		}
	}
	return NULL;
}
