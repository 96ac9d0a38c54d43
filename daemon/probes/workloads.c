// SPDX-License-Identifier: MIT
#include "probes/workloads.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC	      "/proc"
#define COMM_SIZE     16 /* TASK_COMM_LEN */
#define MAX_RELISTS   4	 /* thread listings per process walk */
#define CGROUP_V2_TAG "0::"

static bool comm_matches(const struct jd_workload *w, const char *comm, const char *process_comm)
{
	return (comm && !fnmatch(w->comm, comm, 0)) ||
	       (process_comm && !fnmatch(w->comm, process_comm, 0));
}

/* "/a/b" is within "/a" and "/a/" and "/"; "/ab" is not within "/a". */
static bool cgroup_within(const char *cgroup, const char *ancestor)
{
	size_t n = strlen(ancestor);

	while (n > 0 && ancestor[n - 1] == '/')
		n--;
	return cgroup && !strncmp(cgroup, ancestor, n) && (cgroup[n] == '\0' || cgroup[n] == '/');
}

unsigned workload_match(const struct jd_config *cfg, const char *comm, const char *process_comm,
			const char *cgroup)
{
	for (int i = 0; i < cfg->n_workloads; i++) {
		const struct jd_workload *w = &cfg->workloads[i];

		if (w->comm[0] && !comm_matches(w, comm, process_comm))
			continue;
		if (w->cgroup[0] && !cgroup_within(cgroup, w->cgroup))
			continue;
		return (unsigned)i + 1;
	}
	return 0;
}

bool workload_comm_may_match(const struct jd_config *cfg, const char *comm)
{
	for (int i = 0; i < cfg->n_workloads; i++) {
		const struct jd_workload *w = &cfg->workloads[i];

		if (!w->comm[0] || !fnmatch(w->comm, comm, 0))
			return true;
	}
	return false;
}

bool workload_uses_cgroups(const struct jd_config *cfg)
{
	for (int i = 0; i < cfg->n_workloads; i++)
		if (cfg->workloads[i].cgroup[0])
			return true;
	return false;
}

/* The first line of a small /proc file, without its newline. */
static int read_line(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* The thread's cgroup v2 path from its "0::/path" line. */
static int read_cgroup(int tgid, int tid, char *out, size_t size)
{
	char path[64], line[JD_PATH_MAX + 8];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), PROC "/%d/task/%d/cgroup", tgid, tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, CGROUP_V2_TAG, strlen(CGROUP_V2_TAG)))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, size, "%s", line + strlen(CGROUP_V2_TAG));
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static void visit_thread(const struct jd_config *cfg, int tgid, int tid, const char *process_comm,
			 bool cgroups, workload_visit visit, void *ctx)
{
	char path[64], comm[COMM_SIZE + 1], cgroup[JD_PATH_MAX];

	snprintf(path, sizeof(path), PROC "/%d/task/%d/comm", tgid, tid);
	if (read_line(path, comm, sizeof(comm)))
		return; /* gone */
	if (cgroups && read_cgroup(tgid, tid, cgroup, sizeof(cgroup)))
		cgroup[0] = '\0';
	visit(ctx, tid, workload_match(cfg, comm, process_comm, cgroups ? cgroup : NULL));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

struct tids {
	int *v;
	size_t n, cap;
};

static int tids_add(struct tids *t, int tid)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		int *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = tid;
	return 0;
}

/* A number, or -1 for "." and the like. */
static int dirent_pid(const struct dirent *d)
{
	char *end;
	long v;

	if (d->d_name[0] < '0' || d->d_name[0] > '9')
		return -1;
	v = strtol(d->d_name, &end, 10);
	return *end || v <= 0 || v > 0x3fffffff ? -1 : (int)v;
}

/*
 * A thread started by a thread that was not yet visited would be missed
 * (BPF hands a workload on at fork only from a visited parent), so the
 * threads are listed again until a listing shows no new one.
 */
int workload_walk_process(const struct jd_config *cfg, int tgid, workload_visit visit, void *ctx)
{
	char path[64], process_comm[COMM_SIZE + 1];
	bool cgroups = workload_uses_cgroups(cfg);
	struct tids seen = {};
	size_t sorted = 0;
	int err = 0;

	snprintf(path, sizeof(path), PROC "/%d/comm", tgid);
	if (read_line(path, process_comm, sizeof(process_comm)))
		return -ESRCH;
	snprintf(path, sizeof(path), PROC "/%d/task", tgid);
	for (int pass = 0; pass < MAX_RELISTS && !err; pass++) {
		DIR *dir = opendir(path);
		struct dirent *d;
		size_t before = seen.n;

		if (!dir) {
			err = pass ? 0 : -ESRCH;
			break;
		}
		while ((d = readdir(dir))) {
			int tid = dirent_pid(d);

			if (tid < 0 ||
			    (sorted && bsearch(&tid, seen.v, sorted, sizeof(int), cmp_int)))
				continue;
			if ((err = tids_add(&seen, tid)))
				break;
			visit_thread(cfg, tgid, tid, process_comm, cgroups, visit, ctx);
		}
		closedir(dir);
		if (seen.n == before)
			break;
		qsort(seen.v, seen.n, sizeof(int), cmp_int);
		sorted = seen.n;
	}
	free(seen.v);
	return err;
}

int workload_walk_all(const struct jd_config *cfg, workload_visit visit, void *ctx)
{
	DIR *dir = opendir(PROC);
	struct dirent *d;

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		int tgid = dirent_pid(d);

		if (tgid > 0)
			workload_walk_process(cfg, tgid, visit, ctx);
	}
	closedir(dir);
	return 0;
}

int workload_tgid_of(int tid)
{
	char path[64], line[128];
	int tgid = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), PROC "/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}
