/* SPDX-License-Identifier: MIT */
/*
 * HTTP basic auth against bcrypt hashes (the web config's basic_auth_users),
 * checked with libcrypt's crypt_r().
 *
 * A bcrypt check costs tens of milliseconds on the daemon's one thread, so:
 * a success is remembered (an HMAC-SHA256 of user and password under a key
 * drawn at start, never the password; compared in constant time) and a
 * scraper pays once; failures are not remembered; and checks that are not
 * remembered are rate limited (HTTP_AUTH_CHECKS_PER_S, with a burst), so
 * that a loop of wrong passwords cannot take the thread from the scrapes.
 */
#ifndef JD_HTTPAUTH_H
#define JD_HTTPAUTH_H

#include "lib/metrics.h"
#include "http/webconfig.h"

#define HTTP_AUTH_CHECKS_PER_S 1
#define HTTP_AUTH_BURST	       5
#define HTTP_AUTH_CACHED       16 /* successes remembered (least recently used goes) */

enum http_auth_result {
	HTTP_AUTH_OK,
	HTTP_AUTH_DENIED, /* no credentials, unknown user or wrong password: 401 */
	HTTP_AUTH_BUSY,	  /* too many checks this second: 429, try again */
};

struct http_auth;

/* The users are copied. NULL when out of memory or no random key. */
struct http_auth *http_auth_new(const struct wc_user *users, int n_users);
void http_auth_free(struct http_auth *a);
/* user and password may be NULL (no Authorization header). */
enum http_auth_result http_auth_check(struct http_auth *a, const char *user, const char *password);
/* jitterd_http_auth_* counters (bcrypt checks, cache hits, denials). */
void http_auth_collect(struct metrics *m);

#endif
