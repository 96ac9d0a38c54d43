// SPDX-License-Identifier: MIT
#include "probes/event_sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

enum { SINK_FILE, SINK_JOURNAL, N_SINKS };

static const char *const sink_names[N_SINKS] = { "file", "journal" };

static struct {
	char path[JD_PATH_MAX];
	char kinds[N_SINKS][JD_PATH_MAX]; /* ",a,b," for a strstr() that finds whole names */
	bool on[N_SINKS];
	int fd;
	uint64_t size, max_bytes;
	uint32_t keep;
	uint64_t written[N_SINKS], failed[N_SINKS], rotations;
	struct buf store;
} sk = { .fd = -1 };

static void set_kinds(unsigned sink, const char *list)
{
	snprintf(sk.kinds[sink], sizeof(sk.kinds[sink]), ",%s,", list);
}

static bool wants(unsigned sink, const char *kind)
{
	char want[JD_NAME_MAX + 2];

	if (!sk.on[sink])
		return false;
	if (!strcmp(sk.kinds[sink], ",,"))
		return true;
	snprintf(want, sizeof(want), ",%s,", kind);
	return strstr(sk.kinds[sink], want) != NULL;
}

static int file_open(void)
{
	struct stat st;

	sk.fd = open(sk.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (sk.fd < 0 || fstat(sk.fd, &st)) {
		int err = -errno;

		log_err("events.file %s: %s", sk.path, strerror(errno));
		if (sk.fd >= 0)
			close(sk.fd);
		sk.fd = -1;
		return err;
	}
	sk.size = (uint64_t)st.st_size;
	return 0;
}

/* file.N-1 -> file.N ... file -> file.1, and a new file: what logrotate's
 * numbered scheme does, which collectors that tail by inode follow. */
static void file_rotate(void)
{
	char from[JD_PATH_MAX + 8], to[JD_PATH_MAX + 8];

	close(sk.fd);
	sk.fd = -1;
	for (uint32_t i = sk.keep; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", sk.path);
		else
			snprintf(from, sizeof(from), "%s.%u", sk.path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", sk.path, i);
		if (rename(from, to) && errno != ENOENT)
			log_warn("events.file: renaming %s: %s", from, strerror(errno));
	}
	sk.rotations++;
	file_open();
}

static void file_write(const char *line, size_t len)
{
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	ssize_t n;

	if (sk.fd >= 0 && sk.size && sk.size + len + 1 > sk.max_bytes)
		file_rotate();
	if (sk.fd < 0) {
		sk.failed[SINK_FILE]++;
		return;
	}
	n = writev(sk.fd, iov, 2);
	if (n != (ssize_t)len + 1) {
		sk.failed[SINK_FILE]++;
		return;
	}
	sk.size += (uint64_t)n;
	sk.written[SINK_FILE]++;
}

int event_sinks_set(const struct jd_config *cfg)
{
	int err = 0;

	if (sk.fd >= 0 && strcmp(sk.path, cfg->events.file)) {
		close(sk.fd);
		sk.fd = -1;
	}
	snprintf(sk.path, sizeof(sk.path), "%s", cfg->events.file);
	sk.on[SINK_FILE] = sk.path[0] != '\0';
	set_kinds(SINK_FILE, cfg->events.file_kinds);
	sk.max_bytes = cfg->events.file_max_bytes;
	sk.keep = cfg->events.file_keep;
	if (sk.on[SINK_FILE] && sk.fd < 0)
		err = file_open();
	sk.on[SINK_JOURNAL] = cfg->events.journal_kinds[0] != '\0';
	set_kinds(SINK_JOURNAL, cfg->events.journal_kinds);
	return err;
}

static void journal_write(const char *kind, const char *line)
{
	struct iovec iov[EVENT_JOURNAL_MAX_FIELDS];
	int n = event_journal_fields(kind, line, &sk.store, iov, EVENT_JOURNAL_MAX_FIELDS);

	if (n < 0 || event_journal_send(iov, n) < 0) {
		sk.failed[SINK_JOURNAL]++;
		return;
	}
	sk.written[SINK_JOURNAL]++;
}

void event_sinks_write(const char *kind, const char *line, size_t len)
{
	if (wants(SINK_FILE, kind))
		file_write(line, len);
	if (wants(SINK_JOURNAL, kind))
		journal_write(kind, line);
}

void event_sinks_collect(struct metrics *m)
{
	struct metric_family *w, *f;

	w = metrics_family(m, "jitterd_events_shipped_total",
			   "Events written to a sink for the fleet's log pipeline (file: "
			   "events.file, journal: events.journal_kinds).",
			   METRIC_COUNTER, METRIC_UNIT_NONE);
	f = metrics_family(m, "jitterd_events_ship_failures_total",
			   "Events a sink could not take (the file not open or a short write, "
			   "the journal refusing).",
			   METRIC_COUNTER, METRIC_UNIT_NONE);
	for (unsigned i = 0; i < N_SINKS; i++) {
		metric_u64(w, sk.written[i], "sink", sink_names[i], LABELS_END);
		metric_u64(f, sk.failed[i], "sink", sink_names[i], LABELS_END);
	}
	metric_u64(
		metrics_family(m, "jitterd_events_file_rotations_total",
			       "Times events.file was rotated on reaching events.file_max_bytes.",
			       METRIC_COUNTER, METRIC_UNIT_NONE),
		sk.rotations, LABELS_END);
}

void event_sinks_finish(void)
{
	if (sk.fd >= 0)
		close(sk.fd);
	sk.fd = -1;
	sk.on[SINK_FILE] = sk.on[SINK_JOURNAL] = false;
	buf_free(&sk.store);
}
