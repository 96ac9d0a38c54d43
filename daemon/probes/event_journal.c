// SPDX-License-Identifier: MIT
/*
 * The journal's half of the sinks. Not sd_journal_sendv(): its socket
 * blocks without end, and a journald that falls behind (its queue of
 * datagrams full: net.unix.max_dgram_qlen, 10 on Debian) would stop the
 * daemon's loop, scrapes and all, until it caught up (the integration test
 * saw it stuck in unix_wait_for_peer). The entry goes out in journald's
 * native protocol, as libsystemd writes it, on a socket that waits at most
 * JOURNAL_WAIT_US for room (a batch of events from one drain is more than
 * the queue holds; journald empties it in microseconds) and, once such a
 * wait has failed, not at all for JOURNAL_BEHIND_NS: what journald cannot
 * take then is counted as a failure and the loop goes on.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/json.h"

#define JOURNAL_WAIT_US	  2000
#define JOURNAL_BEHIND_NS (100 * 1000000LL)
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

/*
 * KEY=value and a newline; a value with a newline in it as KEY, a newline,
 * its length (64 bits, little-endian), the bytes and a newline.
 */
static void native_field(struct buf *out, const struct iovec *f)
{
	const char *text = f->iov_base, *eq = memchr(text, '=', f->iov_len);
	size_t key = eq ? (size_t)(eq - text) : f->iov_len, len = f->iov_len - key - !!eq;
	unsigned char le[8];

	if (!memchr(eq ? eq + 1 : text, '\n', len)) {
		buf_append(out, text, f->iov_len);
		buf_putc(out, '\n');
		return;
	}
	buf_append(out, text, key);
	buf_putc(out, '\n');
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)((uint64_t)len >> (8 * i));
	buf_append(out, (const char *)le, sizeof(le));
	buf_append(out, eq + 1, len);
	buf_putc(out, '\n');
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int event_journal_send(const struct iovec *iov, int n)
{
	static const struct sockaddr_un journal = { .sun_family = AF_UNIX,
						    .sun_path = EVENT_JOURNAL_SOCKET };
	static const struct timeval wait = { .tv_usec = JOURNAL_WAIT_US };
	static int fd = -1;
	static int64_t behind_since = INT64_MIN / 2;
	static struct buf datagram;
	int flags = MSG_NOSIGNAL;

	if (fd < 0) {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait))) {
			int err = -errno;

			close(fd);
			fd = -1;
			return err;
		}
	}
	buf_reset(&datagram);
	for (int i = 0; i < n; i++)
		native_field(&datagram, &iov[i]);
	if (datagram.oom)
		return -ENOMEM;
	if (now_ns() - behind_since < JOURNAL_BEHIND_NS)
		flags |= MSG_DONTWAIT;
	if (sendto(fd, datagram.data, datagram.len, flags, (const struct sockaddr *)&journal,
		   sizeof(journal)) < 0) {
		int err = -errno;

		if (err == -EAGAIN && !(flags & MSG_DONTWAIT))
			behind_since = now_ns();
		return err;
	}
	return 0;
}
