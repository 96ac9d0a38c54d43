// SPDX-License-Identifier: MIT
/*
 * The journal's half of the sinks, alone because <systemd/sd-journal.h>
 * brings <syslog.h>, whose LOG_* macros lib/log.h's levels would collide with.
 */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "lib/json.h"
#include "probes/event_sinks.h"

/* JITTERD_ and the member's name in upper case, other than A-Z 0-9 as _. */
static void field_name(struct buf *b, const char *key)
{
	buf_puts(b, "JITTERD_");
	for (; *key; key++)
		buf_putc(b,
			 isalnum((unsigned char)*key) ? (char)toupper((unsigned char)*key) : '_');
	buf_putc(b, '=');
}

/* Each field's text ends with a NUL in store; starts are offsets until store stops moving. */
static int field_end(struct buf *store, size_t *starts, int n, int max)
{
	if (n >= max)
		return n;
	buf_putc(store, '\0');
	starts[n + 1] = store->len;
	return n + 1;
}

int event_journal_fields(const char *kind, const char *line, struct buf *store, struct iovec *iov,
			 int max)
{
	size_t starts[EVENT_JOURNAL_MAX_FIELDS + 1];
	json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, NULL), *v;
	const char *key, *summary;
	int n = 0;

	if (!obj || !json_is_object(obj) || max > EVENT_JOURNAL_MAX_FIELDS) {
		json_decref(obj);
		return -1;
	}
	buf_reset(store);
	starts[0] = 0;
	summary = json_string_value(json_object_get(obj, "summary"));
	buf_puts(store, "MESSAGE=");
	buf_puts(store, summary ? summary : line);
	n = field_end(store, starts, n, max);
	buf_puts(store, "PRIORITY=5"); /* notice: normal but significant */
	n = field_end(store, starts, n, max);
	buf_puts(store, "SYSLOG_IDENTIFIER=jitterd");
	n = field_end(store, starts, n, max);
	buf_puts(store, "JITTERD_KIND=");
	buf_puts(store, kind);
	n = field_end(store, starts, n, max);
	buf_puts(store, "JITTERD_JSON=");
	buf_puts(store, line);
	n = field_end(store, starts, n, max);
	json_object_foreach(obj, key, v)
	{
		if (n >= max)
			break;
		if (!strcmp(key, "type"))
			continue; /* JITTERD_KIND */
		field_name(store, key);
		if (json_is_string(v))
			buf_puts(store, json_string_value(v));
		else
			json_append(store, v);
		n = field_end(store, starts, n, max);
	}
	json_decref(obj);
	if (store->oom)
		return -1;
	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){ store->data + starts[i], starts[i + 1] - starts[i] - 1 };
	return n;
}

int event_journal_send(const struct iovec *iov, int n)
{
	return sd_journal_sendv(iov, n);
}
