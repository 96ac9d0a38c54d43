/* SPDX-License-Identifier: MIT */
/*
 * The HTTP endpoint: libmicrohttpd in external-epoll mode, driven from the
 * daemon's own loop (no threads). Pages are rendered by callbacks from a
 * route table; the server adds the method/404/limits policy around them.
 */
#ifndef JD_HTTP_H
#define JD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/metrics.h"

struct web_config;

#define HTTP_MAX_ARGS 16

/* A query string's argument, URL-decoded; value NULL: no '=' came. */
struct http_arg {
	const char *key, *value;
};

/* What a route with a query callback is handed, and hands back. */
struct http_request {
	const struct http_arg *args;
	unsigned n_args;    /* HTTP_MAX_ARGS + 1: more came than args holds */
	const char *accept; /* the Accept header, or NULL */
	/* Out: the reply's type when not the route's; a stream to follow. */
	const char *content_type;
	void *stream;
};

struct http_route {
	const char *path; /* exact match */
	const char *content_type;
	/* Fill out with the body. Return 0, or -1 for a 500. */
	int (*render)(void *ctx, struct buf *out);
	void *ctx;
	/*
	 * Instead of render, for a page that reads its query string: fill out
	 * and return 200, or return 400 or 503 with the reason in out (one
	 * line), or -1 for a 500. With req->stream set (and 200), the reply is
	 * a stream: stream_read() gives it out piece by piece as it comes
	 * (slots and limits as for any connection; the idle timeouts do not
	 * apply to it), until it ends or stream_cut() says it must.
	 */
	int (*query)(void *ctx, struct http_request *req, struct buf *out);
	/* Bytes into buf (at most max), 0 for none yet (wait for
	 * http_streams_wake()), -1 to end it. */
	long (*stream_read)(void *stream, char *buf, size_t max);
	bool (*stream_cut)(void *stream); /* closed at once, unread or not */
	void (*stream_free)(void *stream);
	/*
	 * Optional, for a page with several representations: picks one from
	 * the request's Accept header (NULL when absent) before render is
	 * called, and returns its content type.
	 */
	const char *(*negotiate)(void *ctx, const char *accept);
};

/*
 * Connections are slots that a client who never finishes a request must not
 * be able to keep: a new connection's first request must be in (TLS
 * handshake included) within header_timeout_s, a kept-alive one's next
 * request within timeout_s of the last, and when the slots are all but
 * full the connection that has waited longest for a request is closed to
 * make room (docs/security.md "Abuse: slots that clients cannot keep").
 */
struct http_limits {
	unsigned max_connections; /* total open connections */
	unsigned max_connections_per_ip;
	unsigned timeout_s;	    /* idle connection timeout */
	unsigned header_timeout_s;  /* accept to the end of the first request's headers */
	unsigned max_request_bytes; /* per-connection memory for request line + headers */
};

struct http_server;

/* Binds and listens. Returns NULL (and logs why) on failure. */
struct http_server *http_init(const struct sockaddr *addr, socklen_t addrlen,
			      const struct http_route *routes, unsigned n_routes,
			      const struct http_limits *limits);
/* The fd to watch for readability in the daemon's epoll set. */
int http_epoll_fd(const struct http_server *s);
/* Process whatever is ready; call when the fd is readable and on timeout. */
void http_run(struct http_server *s);
/* Milliseconds until http_run must be called again even if nothing is
 * readable (connection timeouts), or -1 for no deadline. */
int http_timeout_ms(struct http_server *s);
/*
 * Serve with a web config (TLS, basic auth, headers; webconfig.h), or
 * without one (NULL). Users and headers apply to the next request at once;
 * TLS settings and certificates to new connections: the listening socket
 * passes to a new libmicrohttpd daemon, and the old one finishes the
 * connections it has. On success the config's files (PEM text) belong to
 * the server and wc's pointers are cleared; on failure (logged) the old
 * config stays in force and wc is the caller's. 0 or a negative errno.
 */
int http_set_web_config(struct http_server *s, struct web_config *wc);
/* Something new for streams to read (or for stream_cut() to say). */
void http_streams_wake(void);
/* The server's own counters (evictions, authentication) for a scrape. */
void http_collect(struct metrics *m);
/* The port actually bound (useful with port 0). */
unsigned http_port(const struct http_server *s);
void http_finish(struct http_server *s);

#endif
