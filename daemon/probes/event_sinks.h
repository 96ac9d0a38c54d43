/* SPDX-License-Identifier: MIT */
/*
 * Events shipped where the fleet's log pipeline already reads (docs/fleet.md):
 * a JSON-lines file (events.file) rotated by size, which Promtail, Vector or
 * Filebeat tail, and the systemd journal with one field per member
 * (events.journal_kinds), which they read too. Each gets the kinds it is
 * configured for, as they are logged.
 */
#ifndef JD_EVENT_SINKS_H
#define JD_EVENT_SINKS_H

#include <stddef.h>
#include <sys/uio.h>

#include "core/config.h"
#include "lib/buf.h"
#include "lib/metrics.h"

/* Open (or reopen, on a reload) what cfg names. 0, or a negative errno
 * (logged; the sink stays off until a reload fixes it). */
int event_sinks_set(const struct jd_config *cfg);
/* One logged event: its kind and JSON line (len bytes, NUL-terminated). */
void event_sinks_write(const char *kind, const char *line, size_t len);
void event_sinks_collect(struct metrics *m);
void event_sinks_finish(void);

#define EVENT_JOURNAL_MAX_FIELDS 40
/*
 * The journal entry of an event: MESSAGE (the "summary" member, or the
 * line), PRIORITY, SYSLOG_IDENTIFIER, JITTERD_KIND, JITTERD_JSON (the line)
 * and JITTERD_<MEMBER> for each member (upper case; objects and arrays as
 * JSON). The texts are written into store; iov points into it. The number
 * of fields, or -1 (not a JSON object, no memory).
 */
int event_journal_fields(const char *kind, const char *line, struct buf *store, struct iovec *iov,
			 int max);
#define EVENT_JOURNAL_SOCKET "/run/systemd/journal/socket"
/*
 * The entry to journald's socket, as sd_journal_sendv() would send it but
 * waiting at most 2 ms for room (event_journal.c says why): 0, or a
 * negative errno (-EAGAIN: journald's queue stayed full).
 */
int event_journal_send(const struct iovec *iov, int n);

#endif
