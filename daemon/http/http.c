// SPDX-License-Identifier: MIT
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "http/httpauth.h"
#include "lib/log.h"
#include "lib/negotiate.h"
#include "http/webconfig.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
/*
 * Once running, libmicrohttpd complains mostly about clients: logged at
 * info, and at most a burst per window so that a bad client cannot flood
 * the journal.
 */
#define MHD_LOG_BURST	 10
#define MHD_LOG_WINDOW_S 60

/* Below this a gzip header and trailer (18 bytes) eat most of the gain. */
#define GZIP_MIN_BYTES 256

enum canned { CANNED_401, CANNED_404, CANNED_405, CANNED_429, CANNED_500, N_CANNED };

static const struct {
	unsigned status;
	const char *body;
} canned_replies[N_CANNED] = {
	[CANNED_401] = { MHD_HTTP_UNAUTHORIZED, "401 unauthorized\n" },
	[CANNED_404] = { MHD_HTTP_NOT_FOUND, "404 page not found\n" },
	[CANNED_405] = { MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed (GET, HEAD)\n" },
	[CANNED_429] = { MHD_HTTP_TOO_MANY_REQUESTS,
			 "429 too many password checks, try again in a second\n" },
	[CANNED_500] = { MHD_HTTP_INTERNAL_SERVER_ERROR, "500 internal server error\n" },
};

/*
 * A connection, from libmicrohttpd's accept to its close, in the list of
 * them ordered by since: the oldest is the first to go when slots run out.
 */
struct conn {
	struct conn *prev, *next;
	int fd;
	uint64_t since_ms; /* accepted, or its last request's headers came in */
	bool served;	   /* a request has come in on it */
	bool closing;	   /* shut down by us; libmicrohttpd closes it next */
	bool streaming;	   /* its reply is a stream: no request is overdue */
};

/*
 * A reply given out as it comes (a follower of /events). Its connection
 * is suspended while there is nothing to send, and resumed by
 * http_streams_wake(); libmicrohttpd frees it with the reply.
 */
struct stream {
	struct stream *prev, *next;
	struct http_server *s;
	struct MHD_Connection *conn;
	const struct http_route *r;
	void *stream;
	bool suspended;
};

/* Slots for streams: a quarter of all, so that scrapes always find room. */
#define STREAMS_SHARE	   4
#define STREAMS_UNLIMITED  16 /* when max_connections is 0 (libmicrohttpd's default) */
#define STREAM_BLOCK_BYTES (16 * 1024)

static struct stream *streams;
static unsigned n_streams;

static void conn_close(struct http_server *s, struct conn *c, uint64_t *counter);

/* A libmicrohttpd daemon and the web config it was started with. */
struct mhd {
	struct MHD_Daemon *d;
	struct web_config *wc; /* NULL: plain HTTP, no auth */
};

static struct http_stats {
	uint64_t evicted_header_timeout, evicted_request_timeout, evicted_slots;
	uint64_t evicted_stream_cut, streams_refused;
} stats;

struct http_server {
	/* Serving; draining: the one before a TLS change, finishing its connections. */
	struct mhd mhd, draining;
	struct http_route *routes;
	unsigned n_routes;
	/* Pages are rendered here, reused from one request to the next. */
	struct buf page;
	struct buf gzipped; /* the page compressed, for clients that take gzip */
	/* Error replies never change, so they are built once and shared. */
	struct MHD_Response *canned[N_CANNED];
	int epoll_fd; /* ours, watching the daemons' own epoll fds */
	int listen_fd;
	struct sockaddr_storage addr;
	struct http_limits limits;
	struct conn *oldest, *newest;
	unsigned n_conns, peak_conns; /* peak: since memory was last trimmed */
	uint64_t next_sweep_ms;
	struct http_auth *auth; /* NULL: no basic auth */
	unsigned port;
	bool starting;
	time_t log_window;
	unsigned log_count;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	struct timespec now;
	char msg[256];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	if (len && msg[len - 1] == '\n')
		msg[len - 1] = '\0';
	if (s->starting) {
		log_err("http: %s", msg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - s->log_window >= MHD_LOG_WINDOW_S) {
		if (s->log_count > MHD_LOG_BURST)
			log_info("http: %u more libmicrohttpd messages were not logged",
				 s->log_count - MHD_LOG_BURST);
		s->log_window = now.tv_sec;
		s->log_count = 0;
	}
	if (s->log_count++ < MHD_LOG_BURST)
		log_info("http: %s", msg);
}

static uint16_t addr_port(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)addr)->sin_port);
}

static void format_addr(const struct sockaddr *addr, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (addr->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, ip,
			  sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, addr_port(addr));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, addr_port(addr));
	}
}

static const struct http_route *route_find(const struct http_server *s, const char *path)
{
	for (unsigned i = 0; i < s->n_routes; i++)
		if (!strcmp(s->routes[i].path, path))
			return &s->routes[i];
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- replies ------------------------------------------------------------- */

/* The web config's headers, on every reply. */
static enum MHD_Result add_headers(const struct http_server *s, struct MHD_Response *resp)
{
	const struct web_config *wc = s->mhd.wc;

	for (int i = 0; wc && i < wc->http.n_headers; i++)
		if (MHD_add_response_header(resp, wc->http.headers[i].name,
					    wc->http.headers[i].value) != MHD_YES)
			return MHD_NO;
	return MHD_YES;
}

/* The status of a canned reply is the one in its row, next to its body. */
static enum MHD_Result reply_canned(struct http_server *s, struct MHD_Connection *conn,
				    enum canned c)
{
	return MHD_queue_response(conn, canned_replies[c].status, s->canned[c]);
}

/* A reply whose own headers went on (ret says whether they did): the web
 * config's headers too, queued, and let go (libmicrohttpd holds it). */
static enum MHD_Result queue_reply(struct http_server *s, struct MHD_Connection *conn,
				   unsigned status, struct MHD_Response *resp, enum MHD_Result ret)
{
	if (ret == MHD_YES)
		ret = add_headers(s, resp);
	if (ret == MHD_YES)
		ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The rendered page, or its gzip form when Accept-Encoding takes gzip (*gzip says which). */
static const struct buf *compress_if_asked(struct http_server *s, struct MHD_Connection *conn,
					   const struct http_route *r, bool *gzip)
{
	const char *accept_encoding =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);

	*gzip = false;
	if (!negotiate_gzip(accept_encoding) || s->page.len < GZIP_MIN_BYTES)
		return &s->page;
	buf_reset(&s->gzipped);
	if (gzip_compress(s->page.data, s->page.len, &s->gzipped)) {
		log_warn("http: gzip of %s failed; sent uncompressed", r->path);
		return &s->page;
	}
	*gzip = true;
	return &s->gzipped;
}

/* s->page, rendered, as the reply (gzipped if asked). */
static enum MHD_Result reply_body(struct http_server *s, struct MHD_Connection *conn,
				  const struct http_route *r, const char *type)
{
	const struct buf *body;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool gzip;

	body = compress_if_asked(s, conn, r, &gzip);
	/* Copied: the page buffer is rewritten by the next request before this one is sent. */
	resp = MHD_create_response_from_buffer(body->len, body->data ? body->data : "",
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* Caches must not hand a gzip body to a client that did not ask for one. */
	if (ret == MHD_YES)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
					      r->negotiate ? "Accept, Accept-Encoding"
							   : "Accept-Encoding");
	if (ret == MHD_YES && gzip)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue_reply(s, conn, MHD_HTTP_OK, resp, ret);
}

static enum MHD_Result reply_page(struct http_server *s, struct MHD_Connection *conn,
				  const struct http_route *r)
{
	const char *type = r->content_type;

	if (r->negotiate)
		type = r->negotiate(r->ctx, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
									MHD_HTTP_HEADER_ACCEPT));
	buf_reset(&s->page);
	if (r->render(r->ctx, &s->page) || s->page.oom) {
		log_warn("http: rendering %s failed", r->path);
		return reply_canned(s, conn, CANNED_500);
	}
	return reply_body(s, conn, r, type);
}

static enum MHD_Result reply_text(struct http_server *s, struct MHD_Connection *conn,
				  unsigned status, const struct buf *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(text->len, text->data ? text->data : "",
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN);
	return queue_reply(s, conn, status, resp, ret);
}

static struct conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	long n = st->r->stream_read(st->stream, buf, max);

	(void)pos;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (!n) {
		/* Nothing yet: wait, out of libmicrohttpd's loop, for http_streams_wake(). */
		st->suspended = true;
		MHD_suspend_connection(st->conn);
	}
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	*(st->prev ? &st->prev->next : &streams) = st->next;
	if (st->next)
		st->next->prev = st->prev;
	n_streams--;
	st->r->stream_free(st->stream);
	free(st);
}

static unsigned streams_max(const struct http_server *s)
{
	unsigned max = s->limits.max_connections / STREAMS_SHARE;

	if (!s->limits.max_connections)
		return STREAMS_UNLIMITED;
	return max ? max : 1;
}

static enum MHD_Result reply_stream(struct http_server *s, struct MHD_Connection *conn,
				    const struct http_route *r, struct http_request *req)
{
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;
	struct conn *c = conn_of(conn);

	if (!st) {
		r->stream_free(req->stream);
		return reply_canned(s, conn, CANNED_500);
	}
	*st = (struct stream){ .s = s, .conn = conn, .r = r, .stream = req->stream };
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK_BYTES,
						 stream_reader, st, stream_free);
	if (!resp) {
		r->stream_free(req->stream);
		free(st);
		return MHD_NO;
	}
	/* From here on the response owns st (stream_free). */
	st->next = streams;
	if (streams)
		streams->prev = st;
	streams = st;
	n_streams++;
	if (c)
		c->streaming = true;
	ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				      req->content_type ? req->content_type : r->content_type);
	if (ret == MHD_YES)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return queue_reply(s, conn, MHD_HTTP_OK, resp, ret);
}

struct args {
	struct http_arg arg[HTTP_MAX_ARGS];
	unsigned n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->n < HTTP_MAX_ARGS)
		a->arg[a->n] = (struct http_arg){ key, value };
	/* One past the end says "too many" without holding them. */
	if (a->n <= HTTP_MAX_ARGS)
		a->n++;
	return MHD_YES;
}

static enum MHD_Result reply_query(struct http_server *s, struct MHD_Connection *conn,
				   const struct http_route *r)
{
	struct args a = { .n = 0 };
	struct http_request req = { 0 };
	int status;

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	req.args = a.arg;
	req.n_args = a.n;
	req.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	buf_reset(&s->page);
	status = r->query(r->ctx, &req, &s->page);
	if (status == MHD_HTTP_OK && req.stream) {
		if (n_streams >= streams_max(s)) {
			r->stream_free(req.stream);
			stats.streams_refused++;
			buf_reset(&s->page);
			buf_printf(&s->page, "503 too many followers (%u); try again later\n",
				   streams_max(s));
			return reply_text(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, &s->page);
		}
		return reply_stream(s, conn, r, &req);
	}
	if (status == MHD_HTTP_BAD_REQUEST || status == MHD_HTTP_SERVICE_UNAVAILABLE) {
		char head[8];
		struct buf line = { 0 };
		enum MHD_Result ret;

		snprintf(head, sizeof(head), "%d ", status);
		buf_puts(&line, head);
		buf_append(&line, s->page.data ? s->page.data : "", s->page.len);
		buf_putc(&line, '\n');
		ret = line.oom ? MHD_NO : reply_text(s, conn, (unsigned)status, &line);
		buf_free(&line);
		return ret;
	}
	if (status != MHD_HTTP_OK || s->page.oom) {
		log_warn("http: rendering %s failed", r->path);
		return reply_canned(s, conn, CANNED_500);
	}
	return reply_body(s, conn, r, req.content_type ? req.content_type : r->content_type);
}

void http_streams_wake(void)
{
	for (struct stream *st = streams; st; st = st->next) {
		if (st->r->stream_cut && st->r->stream_cut(st->stream)) {
			struct conn *c = conn_of(st->conn);

			/* Unread or not: its socket is shut, libmicrohttpd closes it. */
			if (c)
				conn_close(st->s, c, &stats.evicted_stream_cut);
		}
		if (st->suspended) {
			st->suspended = false;
			MHD_resume_connection(st->conn);
		}
	}
}

/* Before a daemon stops: it must have no suspended connection. */
static void streams_resume(const struct http_server *s)
{
	for (struct stream *st = streams; st; st = st->next)
		if (st->s == s && st->suspended) {
			st->suspended = false;
			MHD_resume_connection(st->conn);
		}
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *len =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (len && strcmp(len, "0")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* ---- connections ---------------------------------------------------------- */

static void conn_unlink(struct http_server *s, struct conn *c)
{
	*(c->prev ? &c->prev->next : &s->oldest) = c->next;
	*(c->next ? &c->next->prev : &s->newest) = c->prev;
	c->prev = c->next = NULL;
	s->n_conns--;
}

static void conn_append(struct http_server *s, struct conn *c)
{
	c->prev = s->newest;
	c->next = NULL;
	*(s->newest ? &s->newest->next : &s->oldest) = c;
	s->newest = c;
	if (++s->n_conns > s->peak_conns)
		s->peak_conns = s->n_conns;
}

/*
 * Closing a connection from outside a request: shutdown() makes its socket
 * read as at end of file, and libmicrohttpd closes it on its next turn
 * (a TLS handshake fails the same way). The fd stays libmicrohttpd's.
 */
static void conn_close(struct http_server *s, struct conn *c, uint64_t *counter)
{
	if (c->closing)
		return;
	c->closing = true;
	shutdown(c->fd, SHUT_RDWR);
	(*counter)++;
	/* Out of the running: an evicted connection is not evicted twice. */
	conn_unlink(s, c);
	conn_append(s, c);
}

/* Slots: when only a few are left, the connection that has waited longest
 * for a request (never sent one, or idle since its last) makes room. */
static void make_room(struct http_server *s, const struct conn *fresh)
{
	unsigned reserve = s->limits.max_connections / 8 + 1, open = 0;

	for (struct conn *c = s->oldest; c; c = c->next)
		open += !c->closing;
	if (!s->limits.max_connections || open + reserve <= s->limits.max_connections)
		return;
	for (struct conn *c = s->oldest; c && c != fresh; c = c->next)
		if (!c->closing) {
			conn_close(s, c, &stats.evicted_slots);
			return;
		}
}

/* Connections whose request is overdue: the first within header_timeout_s
 * of the accept, the next within timeout_s of the last (slow senders are
 * never idle, so libmicrohttpd's idle timeout alone would keep them). */
static void sweep(struct http_server *s)
{
	uint64_t now = now_ms();
	struct conn *c, *next;

	if (now < s->next_sweep_ms)
		return;
	s->next_sweep_ms = now + 250;
	for (c = s->oldest; c && !c->closing; c = next) {
		uint64_t limit =
			(c->served ? s->limits.timeout_s : s->limits.header_timeout_s) * 1000ull;

		next = c->next;
		if (limit && !c->streaming && now - c->since_ms > limit)
			conn_close(s, c,
				   c->served ? &stats.evicted_request_timeout
					     : &stats.evicted_header_timeout);
	}
}

static void client_cert_policy(struct http_server *s, struct MHD_Connection *conn);

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	struct conn *c = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c) {
			conn_unlink(s, c);
			free(c);
		}
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c = calloc(1, sizeof(*c));
	if (!c || !info) {
		free(c);
		return; /* untracked: libmicrohttpd's own timeout still applies */
	}
	c->fd = info->connect_fd;
	c->since_ms = now_ms();
	*socket_context = c;
	conn_append(s, c);
	make_room(s, c);
	client_cert_policy(s, conn);
}

/* A request's headers are in: the connection is fresh again. */
static void conn_served(struct http_server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *c = info ? info->socket_context : NULL;

	if (!c || c->closing)
		return;
	c->served = true;
	c->since_ms = now_ms();
	conn_unlink(s, c);
	conn_append(s, c);
}

/* ---- TLS client certificates ---------------------------------------------- */

/*
 * A client certificate, when one came, must verify against client_ca_file;
 * GnuTLS calls this during the handshake, which fails on non-zero. (Its own
 * gnutls_session_set_verify_cert() would also fail a handshake without a
 * certificate, which VerifyClientCertIfGiven allows.)
 */
static int verify_client_cert(gnutls_session_t session)
{
	unsigned n = 0, status = 0;

	if (!gnutls_certificate_get_peers(session, &n) || !n)
		return 0; /* none: GNUTLS_CERT_REQUIRE has already said whether that is fine */
	if (gnutls_certificate_verify_peers2(session, &status) < 0 || status)
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	return 0;
}

/*
 * exporter-toolkit's client_auth_type, on each TLS session before its
 * handshake: GnuTLS asks for a certificate (REQUEST) or fails the handshake
 * without one (REQUIRE); the Verify* types check what came.
 */
static void client_cert_policy(struct http_server *s, struct MHD_Connection *conn)
{
	const struct web_config *wc = s->mhd.wc;
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;
	int type;

	if (!wc || !wc->tls_enabled || wc->tls.client_auth_type == WC_NO_CLIENT_CERT)
		return;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return;
	session = info->tls_session;
	type = wc->tls.client_auth_type;
	gnutls_certificate_server_set_request(
		session,
		type == WC_REQUIRE_ANY_CLIENT_CERT || type == WC_REQUIRE_AND_VERIFY_CLIENT_CERT
			? GNUTLS_CERT_REQUIRE
			: GNUTLS_CERT_REQUEST);
	if (type == WC_VERIFY_CLIENT_CERT_IF_GIVEN || type == WC_REQUIRE_AND_VERIFY_CLIENT_CERT)
		gnutls_session_set_verify_function(session, verify_client_cert);
}

/* ---- requests ------------------------------------------------------------- */

/* Basic auth against the web config's users; NULL auth lets everyone in. */
static enum MHD_Result authorize(struct http_server *s, struct MHD_Connection *conn, bool *ok)
{
	char *user, *password = NULL;
	enum http_auth_result r;

	*ok = false;
	if (!s->auth) {
		*ok = true;
		return MHD_YES;
	}
	user = MHD_basic_auth_get_username_password(conn, &password);
	r = http_auth_check(s->auth, user, password);
	if (password) {
		gnutls_memset(password, 0, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	if (r == HTTP_AUTH_OK) {
		*ok = true;
		return MHD_YES;
	}
	return r == HTTP_AUTH_BUSY ? reply_canned(s, conn, CANNED_429)
				   : reply_canned(s, conn, CANNED_401);
}

/*
 * The first call comes once the request line and headers are in. A reply
 * queued then makes libmicrohttpd skip the body and close the connection
 * after the reply: right for anything that comes with a body, which we
 * never read. A bodiless GET or HEAD is answered on the second call, at the
 * end of the request, so that the connection can be kept alive.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	const struct http_route *r;

	(void)version;
	(void)upload_data;
	if (!*req_cls) {
		enum MHD_Result ret;
		bool ok;

		conn_served(s, conn);
		/* Who asks comes first: a stranger learns nothing, not even a 405. */
		ret = authorize(s, conn, &ok);
		if (!ok)
			return ret;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_canned(s, conn, CANNED_405);
	if (!*req_cls && !has_body(conn)) {
		*req_cls = s;
		return MHD_YES;
	}
	/* Not reached for a bodiless request; should a byte come anyway, drop it. */
	*upload_data_size = 0;
	r = route_find(s, url);
	if (!r)
		return reply_canned(s, conn, CANNED_404);
	return r->query ? reply_query(s, conn, r) : reply_page(s, conn, r);
}

/* Error replies never change until the web config does: built once each. */
static void canned_free(struct http_server *s)
{
	for (int i = 0; i < N_CANNED; i++) {
		if (s->canned[i])
			MHD_destroy_response(s->canned[i]);
		s->canned[i] = NULL;
	}
}

static int canned_create(struct http_server *s)
{
	struct MHD_Response *made[N_CANNED] = { NULL };

	for (int i = 0; i < N_CANNED; i++) {
		const char *body = canned_replies[i].body;
		struct MHD_Response *resp;

		resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
						       MHD_RESPMEM_PERSISTENT);
		made[i] = resp;
		if (!resp ||
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN) !=
			    MHD_YES ||
		    add_headers(s, resp) != MHD_YES ||
		    (i == CANNED_405 && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
								"GET, HEAD") != MHD_YES) ||
		    (i == CANNED_401 &&
		     MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					     "Basic realm=\"jitterd\", charset=\"UTF-8\"") !=
			     MHD_YES) ||
		    (i == CANNED_429 &&
		     MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES)) {
			for (int j = 0; j <= i; j++)
				if (made[j])
					MHD_destroy_response(made[j]);
			return -ENOMEM;
		}
	}
	canned_free(s);
	memcpy(s->canned, made, sizeof(made));
	return 0;
}

static unsigned add_limit(struct MHD_OptionItem *opt, enum MHD_OPTION option, unsigned value)
{
	/* 0 leaves libmicrohttpd's default in place. */
	if (!value)
		return 0;
	*opt = (struct MHD_OptionItem){ option, (intptr_t)value, NULL };
	return 1;
}

static unsigned add_ptr(struct MHD_OptionItem *opt, enum MHD_OPTION option, const void *ptr)
{
	*opt = (struct MHD_OptionItem){ option, 0, (void *)ptr };
	return 1;
}

/* One open file per connection slot, and room for the rest of jitterd. */
static void raise_fd_limit(unsigned slots)
{
	struct rlimit rl;
	rlim_t want = slots + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_warn("http: cannot raise the open file limit to %llu: %s",
			 (unsigned long long)want, strerror(errno));
}

/*
 * A libmicrohttpd daemon: on the address (the first) or on the listening
 * socket of the one before (listen_fd >= 0), with wc's TLS if it has any.
 */
static struct MHD_Daemon *mhd_start(struct http_server *s, const struct web_config *wc,
				    const char *where)
{
	const struct sockaddr *addr = (const struct sockaddr *)&s->addr;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem opts[12];
	struct MHD_Daemon *d;
	unsigned n = 0;
	int err;

	/* Dual stack, so that [::] means every address, IPv4 included, as it does in Go. */
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	n += add_limit(&opts[n], MHD_OPTION_CONNECTION_LIMIT, s->limits.max_connections);
	n += add_limit(&opts[n], MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		       s->limits.max_connections_per_ip);
	n += add_limit(&opts[n], MHD_OPTION_CONNECTION_TIMEOUT, s->limits.timeout_s);
	n += add_limit(&opts[n], MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->limits.max_request_bytes);
	if (s->listen_fd >= 0)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, s->listen_fd, NULL };
	else
		n += add_ptr(&opts[n], MHD_OPTION_SOCK_ADDR, addr);
	if (wc && wc->tls_enabled) {
		flags |= MHD_USE_TLS;
		n += add_ptr(&opts[n], MHD_OPTION_HTTPS_MEM_CERT, wc->cert_pem);
		n += add_ptr(&opts[n], MHD_OPTION_HTTPS_MEM_KEY, wc->key_pem);
		n += add_ptr(&opts[n], MHD_OPTION_HTTPS_PRIORITIES, wc->priorities);
		/* The CA list the handshake names and verifies against. */
		if (wc->ca_pem)
			n += add_ptr(&opts[n], MHD_OPTION_HTTPS_MEM_TRUST, wc->ca_pem);
	}
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/*
	 * No MHD_OPTION_LISTENING_ADDRESS_REUSE: its 1 means SO_REUSEPORT, which
	 * would let a second jitterd bind the same port and take half the
	 * scrapes. The default already sets SO_REUSEADDR for quick restarts.
	 */
	s->starting = true;
	errno = 0;
	/* The port is only used in libmicrohttpd's own messages; the address is what binds. */
	d = MHD_start_daemon(flags, addr_port(addr), NULL, NULL, on_request, s,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_NOTIFY_CONNECTION,
			     on_connection, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	err = errno;
	s->starting = false;
	if (!d)
		log_err("http: cannot listen on %s: %s", where,
			err ? strerror(err) : "libmicrohttpd refused (see above)");
	return d;
}

static int watch_mhd(struct http_server *s, struct MHD_Daemon *d, int op)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = d };

	if (!info || info->epoll_fd < 0)
		return -EINVAL;
	return epoll_ctl(s->epoll_fd, op, info->epoll_fd, &e) ? -errno : 0;
}

static void mhd_stop(struct http_server *s, struct mhd *m)
{
	streams_resume(s);
	if (m->d) {
		watch_mhd(s, m->d, EPOLL_CTL_DEL);
		MHD_stop_daemon(m->d);
	}
	if (m->wc) {
		webconfig_free(m->wc);
		free(m->wc);
	}
	*m = (struct mhd){ NULL, NULL };
}

struct http_server *http_init(const struct sockaddr *addr, socklen_t addrlen,
			      const struct http_route *routes, unsigned n_routes,
			      const struct http_limits *limits)
{
	const union MHD_DaemonInfo *info;
	struct http_server *s = NULL;
	char where[INET6_ADDRSTRLEN + 16];

	if (!((addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) ||
	      (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)))) {
		log_err("http: cannot listen on address family %d: not IPv4 or IPv6",
			addr->sa_family);
		return NULL;
	}
	format_addr(addr, where, sizeof(where));
	s = calloc(1, sizeof(*s));
	if (s) {
		s->listen_fd = s->epoll_fd = -1;
		s->routes = calloc(n_routes ? n_routes : 1, sizeof(*routes));
	}
	if (!s || !s->routes || canned_create(s)) {
		log_err("http: cannot listen on %s: %s", where, strerror(ENOMEM));
		goto fail;
	}
	if (n_routes)
		memcpy(s->routes, routes, n_routes * sizeof(*routes));
	s->n_routes = n_routes;
	s->limits = *limits;
	memcpy(&s->addr, addr,
	       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	raise_fd_limit(limits->max_connections);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0) {
		log_err("http: epoll: %s", strerror(errno));
		goto fail;
	}
	s->mhd.d = mhd_start(s, NULL, where);
	if (!s->mhd.d)
		goto fail;
	info = MHD_get_daemon_info(s->mhd.d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	info = MHD_get_daemon_info(s->mhd.d, MHD_DAEMON_INFO_LISTEN_FD);
	s->listen_fd = info ? info->listen_fd : -1;
	if (watch_mhd(s, s->mhd.d, EPOLL_CTL_ADD)) {
		log_err("http: libmicrohttpd gave no epoll fd for %s", where);
		goto fail;
	}
	log_info("http: listening on %s (port %u)", where, s->port);
	return s;
fail:
	http_finish(s);
	return NULL;
}

/* Whether connections need a new daemon: TLS on or off, other files or settings. */
static bool tls_differs(const struct web_config *a, const struct web_config *b)
{
	bool tls_a = a && a->tls_enabled, tls_b = b && b->tls_enabled;

	if (tls_a != tls_b)
		return true;
	if (!tls_a)
		return false;
	return strcmp(a->cert_pem, b->cert_pem) || strcmp(a->key_pem, b->key_pem) ||
	       strcmp(a->ca_pem ? a->ca_pem : "", b->ca_pem ? b->ca_pem : "") ||
	       strcmp(a->priorities, b->priorities) ||
	       a->tls.client_auth_type != b->tls.client_auth_type;
}

int http_set_web_config(struct http_server *s, struct web_config *wc)
{
	struct web_config *mine = NULL, *old = s->mhd.wc;
	struct http_auth *auth = NULL;
	char where[INET6_ADDRSTRLEN + 16];

	format_addr((const struct sockaddr *)&s->addr, where, sizeof(where));
	if (wc) {
		mine = malloc(sizeof(*mine));
		if (!mine)
			return -ENOMEM;
		if (wc->n_users && !(auth = http_auth_new(wc->users, wc->n_users))) {
			free(mine);
			return -ENOMEM;
		}
		memcpy(mine, wc, sizeof(*mine));
	}
	if (tls_differs(old, mine)) {
		struct MHD_Daemon *d;
		int fd = MHD_quiesce_daemon(s->mhd.d);

		if (fd < 0) {
			log_err("http: cannot hand the listening socket over to a new daemon");
			goto fail;
		}
		d = mhd_start(s, mine, where);
		if (!d)
			goto fail_restart;
		mhd_stop(s, &s->draining); /* a third generation: the oldest goes now */
		s->draining = s->mhd;
		s->mhd = (struct mhd){ d, mine };
		if (watch_mhd(s, d, EPOLL_CTL_ADD))
			log_err("http: cannot watch the new daemon: %s", strerror(errno));
		log_info("http: %s on %s; connections already open finish as they were",
			 mine && mine->tls_enabled ? "serving TLS" : "serving plain HTTP", where);
	} else {
		s->mhd.wc = mine;
		if (old) {
			webconfig_free(old);
			free(old);
		}
	}
	http_auth_free(s->auth);
	s->auth = auth;
	if (canned_create(s))
		log_warn("http: out of memory for error replies with the new headers");
	if (wc)
		memset(wc, 0, sizeof(*wc)); /* its files are the server's now */
	return 0;

fail_restart:
	/* A quiesced daemon accepts no more: one with the old settings takes
	 * the socket, and the quiesced one finishes its connections. */
	log_err("http: keeping the previous TLS settings");
	{
		struct MHD_Daemon *d = mhd_start(s, old, where);

		if (d) {
			mhd_stop(s, &s->draining);
			s->draining = (struct mhd){ s->mhd.d, NULL }; /* old is s->mhd's */
			s->mhd.d = d;
			watch_mhd(s, d, EPOLL_CTL_ADD);
		} else {
			log_err("http: no longer accepting connections on %s", where);
		}
	}
fail:
	http_auth_free(auth);
	free(mine);
	return -EINVAL;
}

int http_epoll_fd(const struct http_server *s)
{
	return s->epoll_fd;
}

void http_run(struct http_server *s)
{
	/* Ours is readable while one of theirs is: nothing to consume here. */
	if (s->draining.d) {
		const union MHD_DaemonInfo *info;

		MHD_run(s->draining.d);
		info = MHD_get_daemon_info(s->draining.d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || !info->num_connections)
			mhd_stop(s, &s->draining);
	}
	if (s->mhd.d)
		MHD_run(s->mhd.d);
	sweep(s);
	/*
	 * After a crowd of connections (TLS sessions are tens of KiB each) is
	 * gone, give malloc's free memory back, so that RSS returns to what
	 * it was rather than staying at the crowd's peak.
	 */
	if (s->peak_conns >= 64 && s->n_conns * 8 < s->peak_conns) {
		malloc_trim(0);
		s->peak_conns = s->n_conns;
	}
}

static int mhd_timeout(struct MHD_Daemon *d, int ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!d || MHD_get_timeout(d, &t) != MHD_YES)
		return ms;
	if (t > INT_MAX)
		t = INT_MAX;
	return ms < 0 || (int)t < ms ? (int)t : ms;
}

int http_timeout_ms(struct http_server *s)
{
	int ms = mhd_timeout(s->mhd.d, mhd_timeout(s->draining.d, -1));

	/* Connections waiting for a request are swept four times a second. */
	if (s->oldest && (ms < 0 || ms > 250))
		ms = 250;
	return ms;
}

unsigned http_port(const struct http_server *s)
{
	return s->port;
}

void http_collect(struct metrics *m)
{
	struct metric_family *f = metrics_family(
		m, "jitterd_http_connections_closed_total",
		"HTTP connections jitterd closed itself: header_timeout (no request within "
		"the header timeout of the accept), request_timeout (none within the idle "
		"timeout of the last), slots (the oldest waiting one, to make room), "
		"stream_cut (a stream whose reader fell behind).",
		METRIC_COUNTER, METRIC_UNIT_NONE);

	metric_u64(f, stats.evicted_header_timeout, "reason", "header_timeout", LABELS_END);
	metric_u64(f, stats.evicted_request_timeout, "reason", "request_timeout", LABELS_END);
	metric_u64(f, stats.evicted_slots, "reason", "slots", LABELS_END);
	metric_u64(f, stats.evicted_stream_cut, "reason", "stream_cut", LABELS_END);
	metric_u64(metrics_family(m, "jitterd_http_streams",
				  "Replies being streamed now (followers of /events).",
				  METRIC_GAUGE, METRIC_UNIT_NONE),
		   n_streams, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_http_streams_refused_total",
				  "Streams refused (503) because a quarter of the connection "
				  "slots already stream.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   stats.streams_refused, LABELS_END);
	http_auth_collect(m);
}

void http_finish(struct http_server *s)
{
	if (!s)
		return;
	mhd_stop(s, &s->draining);
	mhd_stop(s, &s->mhd);
	canned_free(s);
	http_auth_free(s->auth);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	buf_free(&s->page);
	buf_free(&s->gzipped);
	free(s->routes);
	free(s);
}
