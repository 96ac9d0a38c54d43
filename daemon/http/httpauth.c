// SPDX-License-Identifier: MIT
#include "http/httpauth.h"

#include <crypt.h>
#include <errno.h>
#include <stddef.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIGEST_SIZE 32 /* HMAC-SHA256 */

struct http_auth {
	struct wc_user *users;
	int n_users;
	unsigned char key[DIGEST_SIZE]; /* this process's HMAC key for the cache */
	struct {
		unsigned char digest[DIGEST_SIZE];
		uint64_t used; /* 0: empty */
	} cached[HTTP_AUTH_CACHED];
	uint64_t uses;
	double tokens; /* of the rate limit on uncached checks */
	struct timespec refilled;
};

static struct {
	uint64_t bcrypt_checks, cache_hits, denied, busy;
} stats;

/* The struct crypt_data of crypt_r is 32 KiB: one, the daemon has one thread. */
static struct crypt_data crypt_scratch;

/* Constant time over n bytes: no early exit on the first difference. */
static bool equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

struct http_auth *http_auth_new(const struct wc_user *users, int n_users)
{
	struct http_auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->users = calloc(n_users ? n_users : 1, sizeof(*users));
	if (!a->users || gnutls_rnd(GNUTLS_RND_KEY, a->key, sizeof(a->key))) {
		http_auth_free(a);
		return NULL;
	}
	memcpy(a->users, users, n_users * sizeof(*users));
	a->n_users = n_users;
	a->tokens = HTTP_AUTH_BURST;
	clock_gettime(CLOCK_MONOTONIC, &a->refilled);
	return a;
}

void http_auth_free(struct http_auth *a)
{
	if (!a)
		return;
	free(a->users); /* before the wipe, which may clear the pointer */
	gnutls_memset(a, 0, offsetof(struct http_auth, uses)); /* key and digests */
	free(a);
}

/* HMAC(key, user NUL password NUL hash): the hash makes a reload that
 * changes a user's password forget the old one. */
static int digest(const struct http_auth *a, const char *user, const char *password,
		  const char *hash, unsigned char *out)
{
	size_t lu = strlen(user), lp = strlen(password), lh = strlen(hash);
	size_t len = lu + lp + lh + 2;
	char *msg = malloc(len);
	int ret;

	if (!msg)
		return -ENOMEM;
	memcpy(msg, user, lu + 1);
	memcpy(msg + lu + 1, password, lp + 1);
	memcpy(msg + lu + lp + 2, hash, lh);
	ret = gnutls_hmac_fast(GNUTLS_MAC_SHA256, a->key, sizeof(a->key), msg, len, out);
	gnutls_memset(msg, 0, len);
	free(msg);
	return ret ? -EINVAL : 0;
}

static bool cache_find(struct http_auth *a, const unsigned char *d)
{
	bool found = false;

	for (int i = 0; i < HTTP_AUTH_CACHED; i++)
		if (a->cached[i].used && equal(a->cached[i].digest, d, DIGEST_SIZE)) {
			a->cached[i].used = ++a->uses;
			found = true;
		}
	return found;
}

static void cache_add(struct http_auth *a, const unsigned char *d)
{
	int lru = 0;

	for (int i = 1; i < HTTP_AUTH_CACHED; i++)
		if (a->cached[i].used < a->cached[lru].used)
			lru = i;
	memcpy(a->cached[lru].digest, d, DIGEST_SIZE);
	a->cached[lru].used = ++a->uses;
}

static bool take_token(struct http_auth *a)
{
	struct timespec now;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - a->refilled.tv_sec) + (now.tv_nsec - a->refilled.tv_nsec) / 1e9;
	a->refilled = now;
	a->tokens += dt * HTTP_AUTH_CHECKS_PER_S;
	if (a->tokens > HTTP_AUTH_BURST)
		a->tokens = HTTP_AUTH_BURST;
	if (a->tokens < 1)
		return false;
	a->tokens -= 1;
	return true;
}

/* The user's row, found without an early exit; else the first (whose hash
 * is then checked anyway, so that an unknown user costs what a known one does). */
static const struct wc_user *find_user(const struct http_auth *a, const char *user, bool *known)
{
	char padded[WC_USER_MAX] = { 0 };
	int found = 0;

	*known = false;
	if (strlen(user) >= sizeof(padded))
		return &a->users[0];
	memcpy(padded, user, strlen(user));
	for (int i = 0; i < a->n_users; i++) {
		bool same = equal(a->users[i].name, padded, sizeof(padded));

		if (same && !*known) {
			found = i;
			*known = true;
		}
	}
	return &a->users[found];
}

enum http_auth_result http_auth_check(struct http_auth *a, const char *user, const char *password)
{
	unsigned char d[DIGEST_SIZE];
	const struct wc_user *u;
	char expect[WC_HASH_MAX] = { 0 }, got[WC_HASH_MAX] = { 0 };
	const char *out;
	bool known, ok;

	if (!user || !password || !a->n_users) {
		stats.denied++;
		return HTTP_AUTH_DENIED;
	}
	u = find_user(a, user, &known);
	if (digest(a, user, password, u->hash, d)) {
		stats.denied++;
		return HTTP_AUTH_DENIED;
	}
	if (known && cache_find(a, d)) {
		stats.cache_hits++;
		return HTTP_AUTH_OK;
	}
	if (!take_token(a)) {
		stats.busy++;
		return HTTP_AUTH_BUSY;
	}
	stats.bcrypt_checks++;
	out = crypt_r(password, u->hash, &crypt_scratch);
	/* Both zero-padded to the same size, then compared whole. */
	memcpy(expect, u->hash, strnlen(u->hash, sizeof(expect) - 1));
	if (out)
		memcpy(got, out, strnlen(out, sizeof(got) - 1));
	ok = equal(expect, got, sizeof(expect)) && known && out && out[0] != '*';
	gnutls_memset(&crypt_scratch, 0, sizeof(crypt_scratch));
	if (!ok) {
		stats.denied++;
		return HTTP_AUTH_DENIED;
	}
	cache_add(a, d);
	return HTTP_AUTH_OK;
}

void http_auth_collect(struct metrics *m)
{
	metric_u64(metrics_family(m, "jitterd_http_auth_bcrypt_checks_total",
				  "Passwords checked with bcrypt (crypt_r); a remembered success "
				  "is not checked again.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   stats.bcrypt_checks, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_http_auth_cache_hits_total",
				  "Requests let in by a remembered successful password check.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   stats.cache_hits, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_http_auth_denied_total",
				  "Requests refused with 401: no credentials, unknown user or "
				  "wrong password.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   stats.denied, LABELS_END);
	metric_u64(metrics_family(m, "jitterd_http_auth_throttled_total",
				  "Requests refused with 429 because more passwords than the rate "
				  "limit allows were to be checked.",
				  METRIC_COUNTER, METRIC_UNIT_NONE),
		   stats.busy, LABELS_END);
}
