// SPDX-License-Identifier: MIT
/*
 * The HTTP handler layer as a client sees it: a real server (http_init on
 * loopback, with basic auth and headers from a web config) takes each
 * input as the bytes of one connection, through libmicrohttpd's parser,
 * the auth check, the routing and the replies.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "http/http.h"
#include "http/webconfig.h"
#include "lib/log.h"

static int render(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_puts(out, "ok\n");
	return 0;
}

static int render_fail(void *ctx, struct buf *out)
{
	(void)ctx;
	(void)out;
	return -1;
}

static const struct http_route routes[] = {
	{ .path = "/metrics", .content_type = "text/plain", .render = render },
	{ .path = "/fail", .content_type = "text/plain", .render = render_fail },
};

static struct http_server *server(void)
{
	static struct http_server *s;
	static const struct http_limits limits = { 64, 0, 2, 2, 16384 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static struct web_config wc;
	const char *hash;

	if (s)
		return s;
	log_max_level = LOG_ERR;
	signal(SIGPIPE, SIG_IGN);
	s = http_init((struct sockaddr *)&a, sizeof(a), routes, 2, &limits);
	/* User "a", password "b" (the seeds' Authorization: Basic YTpi). */
	hash = crypt("b", crypt_gensalt("$2b$", 4, NULL, 0));
	if (!s || !hash)
		abort();
	wc.n_users = 1;
	snprintf(wc.users[0].name, sizeof(wc.users[0].name), "a");
	snprintf(wc.users[0].hash, sizeof(wc.users[0].hash), "%s", hash);
	wc.http.n_headers = 1;
	snprintf(wc.http.headers[0].name, sizeof(wc.http.headers[0].name), "X-Frame-Options");
	snprintf(wc.http.headers[0].value, sizeof(wc.http.headers[0].value), "deny");
	if (http_set_web_config(s, &wc))
		abort();
	return s;
}

/* Loopback delivers at send(): the server's turn needs no wait. */
static void turn(struct http_server *s)
{
	http_run(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_server *s = server();
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(http_port(s)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t sent = 0;
	char buf[65536];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), i;

	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS)
		abort();
	/* Send what fits, let the server read, until all is sent or it closed. */
	for (i = 0; i < 200 && sent < size; i++) {
		ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);

		if (n > 0)
			sent += n;
		else if (n < 0 && errno != EAGAIN && errno != ENOTCONN)
			break;
		turn(s);
	}
	shutdown(fd, SHUT_WR);
	/* Read the replies until the server closes, or has said nothing for
	 * a while (a kept-alive connection, a request it waits to complete:
	 * its timeouts are not what this target is about). */
	for (i = 0; i < 30; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n > 0)
			i = 0;
		turn(s);
	}
	close(fd);
	turn(s); /* the server's side of the close */
	return 0;
}
