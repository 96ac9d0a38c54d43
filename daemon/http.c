// SPDX-License-Identifier: MIT
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "log.h"
#include "negotiate.h"

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

enum canned { CANNED_404, CANNED_405, CANNED_500, N_CANNED };

static const struct {
	unsigned status;
	const char *body;
} canned_replies[N_CANNED] = {
	[CANNED_404] = { MHD_HTTP_NOT_FOUND, "404 page not found\n" },
	[CANNED_405] = { MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed (GET, HEAD)\n" },
	[CANNED_500] = { MHD_HTTP_INTERNAL_SERVER_ERROR, "500 internal server error\n" },
};

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_route *routes;
	unsigned n_routes;
	/* Pages are rendered here, reused from one request to the next. */
	struct buf page;
	struct buf gzipped; /* the page compressed, for clients that take gzip */
	/* Error replies never change, so they are built once and shared. */
	struct MHD_Response *canned[N_CANNED];
	int epoll_fd;
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

/* The status of a canned reply is the one in its row, next to its body. */
static enum MHD_Result reply_canned(struct http_server *s, struct MHD_Connection *conn,
				    enum canned c)
{
	return MHD_queue_response(conn, canned_replies[c].status, s->canned[c]);
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

static enum MHD_Result reply_page(struct http_server *s, struct MHD_Connection *conn,
				  const struct http_route *r)
{
	const char *type = r->content_type;
	const struct buf *body;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool gzip;

	if (r->negotiate)
		type = r->negotiate(r->ctx, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
									MHD_HTTP_HEADER_ACCEPT));
	buf_reset(&s->page);
	if (r->render(r->ctx, &s->page) || s->page.oom) {
		log_warn("http: rendering %s failed", r->path);
		return reply_canned(s, conn, CANNED_500);
	}
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
	if (ret == MHD_YES)
		ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *len =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (len && strcmp(len, "0")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
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
	return reply_page(s, conn, r);
}

static int canned_create(struct http_server *s)
{
	for (int i = 0; i < N_CANNED; i++) {
		const char *body = canned_replies[i].body;
		struct MHD_Response *resp;

		resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
						       MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return -ENOMEM;
		s->canned[i] = resp;
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN) !=
			    MHD_YES ||
		    (i == CANNED_405 &&
		     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES))
			return -ENOMEM;
	}
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

struct http_server *http_init(const struct sockaddr *addr, socklen_t addrlen,
			      const struct http_route *routes, unsigned n_routes,
			      const struct http_limits *limits)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[6];
	const union MHD_DaemonInfo *info;
	struct http_server *s = NULL;
	char where[INET6_ADDRSTRLEN + 16];
	unsigned n = 0;
	int err;

	if (!((addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) ||
	      (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)))) {
		log_err("http: cannot listen on address family %d: not IPv4 or IPv6",
			addr->sa_family);
		return NULL;
	}
	format_addr(addr, where, sizeof(where));
	/* Dual stack, so that [::] means every address, IPv4 included, as it does in Go. */
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	s = calloc(1, sizeof(*s));
	if (s)
		s->routes = calloc(n_routes ? n_routes : 1, sizeof(*routes));
	if (!s || !s->routes || canned_create(s)) {
		log_err("http: cannot listen on %s: %s", where, strerror(ENOMEM));
		goto fail;
	}
	if (n_routes)
		memcpy(s->routes, routes, n_routes * sizeof(*routes));
	s->n_routes = n_routes;

	n += add_limit(&opts[n], MHD_OPTION_CONNECTION_LIMIT, limits->max_connections);
	n += add_limit(&opts[n], MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		       limits->max_connections_per_ip);
	n += add_limit(&opts[n], MHD_OPTION_CONNECTION_TIMEOUT, limits->timeout_s);
	n += add_limit(&opts[n], MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits->max_request_bytes);
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/*
	 * No MHD_OPTION_LISTENING_ADDRESS_REUSE: its 1 means SO_REUSEPORT, which
	 * would let a second jitterd bind the same port and take half the
	 * scrapes. The default already sets SO_REUSEADDR for quick restarts.
	 */
	s->starting = true;
	errno = 0;
	/* The port is only used in libmicrohttpd's own messages; the address is what binds. */
	s->mhd = MHD_start_daemon(flags, addr_port(addr), NULL, NULL, on_request, s,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_SOCK_ADDR,
				  addr, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	err = errno;
	s->starting = false;
	if (!s->mhd) {
		log_err("http: cannot listen on %s: %s", where,
			err ? strerror(err) : "libmicrohttpd refused (see above)");
		goto fail;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	s->epoll_fd = info ? info->epoll_fd : -1;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	if (s->epoll_fd < 0) {
		log_err("http: libmicrohttpd gave no epoll fd for %s", where);
		goto fail;
	}
	log_info("http: listening on %s (port %u)", where, s->port);
	return s;
fail:
	http_finish(s);
	return NULL;
}

int http_epoll_fd(const struct http_server *s)
{
	return s->epoll_fd;
}

void http_run(struct http_server *s)
{
	MHD_run(s->mhd);
}

int http_timeout_ms(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(s->mhd, &ms) != MHD_YES)
		return -1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

unsigned http_port(const struct http_server *s)
{
	return s->port;
}

void http_finish(struct http_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	for (int i = 0; i < N_CANNED; i++)
		if (s->canned[i])
			MHD_destroy_response(s->canned[i]);
	buf_free(&s->page);
	buf_free(&s->gzipped);
	free(s->routes);
	free(s);
}
