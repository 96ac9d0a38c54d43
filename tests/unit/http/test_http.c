// SPDX-License-Identifier: MIT
/*
 * The server runs in this process, driven by the same calls the daemon's
 * loop makes (poll its epoll fd, http_run, http_timeout_ms); the clients
 * are non-blocking sockets in between. Nothing sleeps: every wait is a
 * poll on the server and the client with a deadline.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "http/http.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define DEADLINE_MS  5000

struct reply {
	char data[65536];
	size_t len;
	bool closed; /* the server closed (or reset) the connection */
};

static struct http_server *srv;
static unsigned renders;

static int render_metrics(void *ctx, struct buf *out)
{
	unsigned *n = ctx;

	buf_printf(out, "# HELP up x\n# TYPE up gauge\nup %u\n", ++*n);
	return 0;
}

static int render_broken(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_puts(out, "half a page");
	return -1;
}

/* A page big enough to be compressed, in the representation the client asked for. */
static int render_big(void *ctx, struct buf *out)
{
	(void)ctx;
	for (int i = 0; i < 100; i++)
		buf_printf(out, "line %d of a page that compresses well\n", i);
	return 0;
}

static const char *negotiate_big(void *ctx, const char *accept)
{
	(void)ctx;
	return accept && strstr(accept, "application/x-other") ? "application/x-other"
							       : "text/plain";
}

static const struct http_route routes[] = {
	{ .path = "/big",
	  .content_type = "text/plain",
	  .render = render_big,
	  .negotiate = negotiate_big },
	{ .path = "/metrics",
	  .content_type = METRICS_TYPE,
	  .render = render_metrics,
	  .ctx = &renders },
	{ .path = "/broken", .content_type = "text/plain", .render = render_broken },
};

static struct sockaddr_in loopback(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static struct http_server *start(unsigned port, unsigned timeout_s)
{
	struct sockaddr_in a = loopback(port);
	struct http_limits limits = {
		.max_connections = 16,
		.max_connections_per_ip = 2,
		.timeout_s = timeout_s,
		.max_request_bytes = 4096,
	};

	return http_init((struct sockaddr *)&a, sizeof(a), routes,
			 sizeof(routes) / sizeof(routes[0]), &limits);
}

static void setup(void)
{
	renders = 0;
	srv = start(0, 10);
	ck_assert_ptr_nonnull(srv);
	ck_assert_uint_ne(http_port(srv), 0);
}

static void teardown(void)
{
	http_finish(srv);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* One turn of the daemon's loop: wait for the server or fd, at most wait_ms, then run it. */
static void turn(int fd, int wait_ms)
{
	struct pollfd p[2] = { { http_epoll_fd(srv), POLLIN, 0 }, { fd, POLLIN, 0 } };
	int t = http_timeout_ms(srv);

	if (t >= 0 && t < wait_ms)
		wait_ms = t;
	poll(p, fd >= 0 ? 2 : 1, wait_ms);
	http_run(srv);
}

/* Runs the server until it has nothing more to do right now. */
static void settle(void)
{
	for (int i = 0; i < 100; i++) {
		struct pollfd p = { http_epoll_fd(srv), POLLIN, 0 };

		http_run(srv);
		if (poll(&p, 1, 0) == 0 && http_timeout_ms(srv) != 0)
			return;
	}
	ck_abort_msg("server never settled");
}

static int client(void)
{
	struct sockaddr_in a = loopback(http_port(srv));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert(!connect(fd, (struct sockaddr *)&a, sizeof(a)) || errno == EINPROGRESS);
	return fd;
}

static void send_all(int fd, const char *req, size_t len)
{
	long long deadline = now_ms() + DEADLINE_MS;

	while (len) {
		ssize_t n = send(fd, req, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return; /* the server may answer and close before it has read everything */
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			ck_assert_int_lt(now_ms(), deadline);
			turn(-1, 10);
			continue;
		}
		req += n;
		len -= (size_t)n;
	}
}

/* The value of a header of the reply (in a buffer reused by the next call), or NULL. */
static const char *header(const struct reply *r, const char *name)
{
	static char value[256];
	const char *end = strstr(r->data, "\r\n\r\n");
	const char *p = r->data;
	size_t n = strlen(name);

	while (end && (p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1 + strspn(p + n + 1, " ");
			snprintf(value, sizeof(value), "%.*s", (int)strcspn(p, "\r"), p);
			return value;
		}
	}
	return NULL;
}

static const char *body(const struct reply *r)
{
	const char *end = strstr(r->data, "\r\n\r\n");

	return end ? end + 4 : NULL;
}

static int status(const struct reply *r)
{
	int code;

	return sscanf(r->data, "HTTP/1.%*d %d", &code) == 1 ? code : 0;
}

/* A complete reply to a request that did not ask to close the connection. */
static bool complete(const struct reply *r, bool head)
{
	const char *b = body(r), *cl;

	if (!b)
		return false;
	if (head)
		return true;
	cl = header(r, "Content-Length");
	return cl && r->len - (size_t)(b - r->data) >= strtoul(cl, NULL, 10);
}

/*
 * Drives the server until the reply is in: up to the close when until_close,
 * else up to the end of one reply on a kept-alive connection.
 */
static void await(int fd, struct reply *r, bool until_close, bool head)
{
	long long deadline = now_ms() + DEADLINE_MS;

	r->len = 0;
	r->closed = false;
	r->data[0] = '\0';
	for (;;) {
		ssize_t n = recv(fd, r->data + r->len, sizeof(r->data) - 1 - r->len, 0);

		if (n > 0) {
			r->len += (size_t)n;
			r->data[r->len] = '\0';
			if (!until_close && complete(r, head))
				return;
			continue;
		}
		if (n == 0 || errno != EAGAIN) {
			r->closed = true;
			return;
		}
		ck_assert_msg(now_ms() < deadline, "no reply within %d ms", DEADLINE_MS);
		turn(fd, 100);
	}
}

/* Sends one request on a new connection and reads until the server closes it. */
static void exchange(const char *req, size_t len, struct reply *r)
{
	int fd = client();

	send_all(fd, req, len);
	await(fd, r, true, false);
	close(fd);
}

/* A well-formed request with extra header lines that asks the server to close after its reply. */
static void request_with(const char *method, const char *target, const char *headers,
			 struct reply *r)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", method, target,
			 headers);

	exchange(req, (size_t)n, r);
}

static void request(const char *method, const char *target, struct reply *r)
{
	request_with(method, target, "", r);
}

static void assert_still_serving(void)
{
	static struct reply r;

	request("GET", "/metrics", &r);
	ck_assert_int_eq(status(&r), 200);
}

START_TEST(test_get_metrics_200_with_route_content_type)
{
	static struct reply r;

	request("GET", "/metrics", &r);
	ck_assert_int_eq(status(&r), 200);
	ck_assert_str_eq(header(&r, "Content-Type"), METRICS_TYPE);
	ck_assert_str_eq(body(&r), "# HELP up x\n# TYPE up gauge\nup 1\n");
	ck_assert(r.closed);
}
END_TEST

START_TEST(test_query_string_does_not_change_the_route)
{
	static struct reply r;

	request("GET", "/metrics?name[]=up", &r);
	ck_assert_int_eq(status(&r), 200);
}
END_TEST

START_TEST(test_head_gets_headers_and_length_without_body)
{
	static struct reply r;

	request("HEAD", "/metrics", &r);
	ck_assert_int_eq(status(&r), 200);
	ck_assert_str_eq(header(&r, "Content-Type"), METRICS_TYPE);
	ck_assert_uint_eq(strtoul(header(&r, "Content-Length"), NULL, 10),
			  strlen("# HELP up x\n# TYPE up gauge\nup 1\n"));
	ck_assert_str_eq(body(&r), "");
}
END_TEST

START_TEST(test_other_methods_get_405_with_allow)
{
	static const char *const reqs[] = {
		"POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
		"PUT /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
	};
	static struct reply r;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int fd = client();

		send_all(fd, reqs[i], strlen(reqs[i]));
		await(fd, &r, false, false);
		close(fd);
		ck_assert_int_eq(status(&r), 405);
		ck_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
	}
	ck_assert_uint_eq(renders, 0);
}
END_TEST

START_TEST(test_post_body_is_never_read)
{
	static const char req[] = "POST /metrics HTTP/1.1\r\nHost: t\r\n"
				  "Content-Length: 1000000000\r\n\r\nfirst bytes of a huge body";
	static struct reply r;

	/* The server must answer and close without waiting for the gigabyte. */
	exchange(req, sizeof(req) - 1, &r);
	ck_assert_int_eq(status(&r), 405);
	ck_assert(r.closed);
	assert_still_serving();
}
END_TEST

START_TEST(test_unknown_path_404)
{
	static struct reply r;

	request("GET", "/metricsx", &r);
	ck_assert_int_eq(status(&r), 404);
	ck_assert_str_eq(body(&r), "404 page not found\n");
	request("GET", "/", &r);
	ck_assert_int_eq(status(&r), 404);
}
END_TEST

START_TEST(test_render_failure_500)
{
	static struct reply r;

	request("GET", "/broken", &r);
	ck_assert_int_eq(status(&r), 500);
	ck_assert_ptr_null(strstr(r.data, "half a page"));
	assert_still_serving();
}
END_TEST

START_TEST(test_oversized_request_line_4xx_then_still_serving)
{
	static char req[16384];
	static struct reply r;
	int n;

	n = snprintf(req, sizeof(req), "GET /%08000d HTTP/1.1\r\nHost: t\r\n\r\n", 0);
	exchange(req, (size_t)n, &r);
	ck_assert_int_ge(status(&r), 400);
	ck_assert_int_lt(status(&r), 500);
	assert_still_serving();
}
END_TEST

START_TEST(test_oversized_headers_4xx_then_still_serving)
{
	static char req[16384];
	static struct reply r;
	int n;

	n = snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: %08000d\r\n\r\n",
		     0);
	exchange(req, (size_t)n, &r);
	ck_assert_int_ge(status(&r), 400);
	ck_assert_int_lt(status(&r), 500);
	assert_still_serving();
}
END_TEST

/* With a 1 s idle timeout, for the tests that wait for it. */
static void restart_with_short_timeout(void)
{
	http_finish(srv);
	srv = start(0, 1);
	ck_assert_ptr_nonnull(srv);
}

START_TEST(test_garbage_gets_400_or_close_then_still_serving)
{
	/*
	 * libmicrohttpd reads a line that starts with NUL as one of the empty
	 * lines a client may send before a request, so the first payload is
	 * only ended by the idle timeout; the second gets a 400 at once.
	 */
	static const char *const garbage[] = { "\x00\x01 not http\r\n\r\n",
					       "\x01\x02 not http\r\n\r\n" };
	static const size_t len = sizeof("\x00\x01 not http\r\n\r\n") - 1;
	static struct reply r;

	restart_with_short_timeout();
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		int fd = client();

		send_all(fd, garbage[i], len);
		settle();
		assert_still_serving();
		await(fd, &r, true, false);
		close(fd);
		ck_assert(r.closed);
		ck_assert_msg(r.len == 0 || status(&r) == 400, "got %s", r.data);
		assert_still_serving();
	}
}
END_TEST

START_TEST(test_keep_alive_serves_requests_in_turn)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	static struct reply r;
	char want[64];
	int fd = client();

	for (unsigned i = 1; i <= 3; i++) {
		send_all(fd, req, strlen(req));
		await(fd, &r, false, false);
		ck_assert_int_eq(status(&r), 200);
		snprintf(want, sizeof(want), "up %u\n", i);
		ck_assert_ptr_nonnull(strstr(body(&r), want));
	}
	close(fd);
}
END_TEST

START_TEST(test_third_connection_from_one_ip_refused)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	static struct reply r;
	int fd[3];

	/* A reply on each proves the server took both connections and keeps them. */
	for (int i = 0; i < 2; i++) {
		fd[i] = client();
		send_all(fd[i], req, strlen(req));
		await(fd[i], &r, false, false);
		ck_assert_int_eq(status(&r), 200);
	}
	fd[2] = client();
	settle();
	await(fd[2], &r, true, false);
	ck_assert(r.closed);
	ck_assert_uint_eq(r.len, 0);
	close(fd[2]);
	for (int i = 0; i < 2; i++) {
		send_all(fd[i], req, strlen(req));
		await(fd[i], &r, false, false);
		ck_assert_int_eq(status(&r), 200);
	}
	close(fd[0]);
	close(fd[1]);
	settle();
	assert_still_serving();
}
END_TEST

START_TEST(test_open_connection_sets_a_deadline)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	static struct reply r;
	int fd, t;

	ck_assert_int_eq(http_timeout_ms(srv), -1);
	fd = client();
	send_all(fd, req, strlen(req));
	await(fd, &r, false, false);
	t = http_timeout_ms(srv);
	ck_assert_int_gt(t, 0);
	ck_assert_int_le(t, 10000);
	close(fd);
}
END_TEST

START_TEST(test_idle_connection_closed_after_timeout)
{
	static struct reply r;
	long long opened;
	int fd;

	restart_with_short_timeout();
	fd = client();
	opened = now_ms();
	await(fd, &r, true, false);
	ck_assert(r.closed);
	ck_assert_int_ge(now_ms() - opened, 900);
	close(fd);
}
END_TEST

START_TEST(test_port_in_use_fails_to_start)
{
	ck_assert_ptr_null(start(http_port(srv), 10));
	assert_still_serving();
}
END_TEST

START_TEST(test_gzip_when_accepted_with_vary)
{
	static struct reply r;
	const char *b;

	request_with("GET", "/big", "Accept-Encoding: deflate, gzip\r\n", &r);
	ck_assert_int_eq(status(&r), 200);
	ck_assert_str_eq(header(&r, "Content-Encoding"), "gzip");
	ck_assert_str_eq(header(&r, "Vary"), "Accept, Accept-Encoding");
	b = body(&r);
	ck_assert_uint_eq((unsigned char)b[0], 0x1f);
	ck_assert_uint_eq((unsigned char)b[1], 0x8b);
	ck_assert_uint_eq(strtoul(header(&r, "Content-Length"), NULL, 10),
			  r.len - (size_t)(b - r.data));
	ck_assert_uint_lt(r.len - (size_t)(b - r.data), 1000);
}
END_TEST

START_TEST(test_no_gzip_unless_accepted)
{
	static struct reply r;

	request_with("GET", "/big", "Accept-Encoding: gzip;q=0, identity\r\n", &r);
	ck_assert_int_eq(status(&r), 200);
	ck_assert_ptr_null(header(&r, "Content-Encoding"));
	ck_assert_str_eq(header(&r, "Vary"), "Accept, Accept-Encoding");
	ck_assert(!strncmp(body(&r), "line 0 of", 9));
	/* A small page is not worth a gzip header: sent as it is. */
	request_with("GET", "/metrics", "Accept-Encoding: gzip\r\n", &r);
	ck_assert_ptr_null(header(&r, "Content-Encoding"));
	ck_assert_str_eq(header(&r, "Vary"), "Accept-Encoding");
}
END_TEST

START_TEST(test_route_negotiates_content_type_from_accept)
{
	static struct reply r;

	request_with("GET", "/big", "Accept: application/x-other\r\n", &r);
	ck_assert_str_eq(header(&r, "Content-Type"), "application/x-other");
	request("GET", "/big", &r);
	ck_assert_str_eq(header(&r, "Content-Type"), "text/plain");
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_get_metrics_200_with_route_content_type);
	tcase_add_test(tc, test_query_string_does_not_change_the_route);
	tcase_add_test(tc, test_head_gets_headers_and_length_without_body);
	tcase_add_test(tc, test_other_methods_get_405_with_allow);
	tcase_add_test(tc, test_post_body_is_never_read);
	tcase_add_test(tc, test_unknown_path_404);
	tcase_add_test(tc, test_render_failure_500);
	tcase_add_test(tc, test_oversized_request_line_4xx_then_still_serving);
	tcase_add_test(tc, test_oversized_headers_4xx_then_still_serving);
	tcase_add_test(tc, test_garbage_gets_400_or_close_then_still_serving);
	tcase_add_test(tc, test_keep_alive_serves_requests_in_turn);
	tcase_add_test(tc, test_third_connection_from_one_ip_refused);
	tcase_add_test(tc, test_open_connection_sets_a_deadline);
	tcase_add_test(tc, test_idle_connection_closed_after_timeout);
	tcase_add_test(tc, test_port_in_use_fails_to_start);
	tcase_add_test(tc, test_gzip_when_accepted_with_vary);
	tcase_add_test(tc, test_no_gzip_unless_accepted);
	tcase_add_test(tc, test_route_negotiates_content_type_from_accept);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(http_suite)
