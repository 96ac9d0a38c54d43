// SPDX-License-Identifier: MIT
/*
 * The web config: exporter-toolkit's keys and rules, the GnuTLS priority
 * string made of Go's names, errors at line:col; and basic auth's cache
 * and rate limit (http_auth_check with real bcrypt hashes of cost 4).
 */
#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "http/httpauth.h"
#include "http/webconfig.h"

static struct web_config wc;

/* Parse text; returns the first error line ("" when it parsed). */
static const char *parse(const char *text, int *rc)
{
	static char first[512];
	char *out = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&out, &len);

	*rc = webconfig_parse(&wc, "w.yml", text, strlen(text), err);
	fclose(err);
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	return first;
}

START_TEST(cipher_suites_become_gnutls_priorities)
{
	int rc;

	parse("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS12\n"
	      "  max_version: TLS12\n  cipher_suites:\n"
	      "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
	      "    - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA\n  curve_preferences: [X25519]\n",
	      &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert(wc.tls_enabled);
	ck_assert_str_eq(wc.priorities,
			 "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:-CIPHER-ALL:-MAC-ALL:+ECDHE-RSA:"
			 "+AES-128-GCM:+AEAD:+ECDHE-ECDSA:+AES-256-CBC:+SHA1:-GROUP-ALL:"
			 "+GROUP-X25519:%SERVER_PRECEDENCE");
}
END_TEST

START_TEST(tls13_keeps_its_own_suites_and_defaults_are_tls12_to_13)
{
	int rc;

	parse("tls_server_config:\n  cert_file: c\n  key_file: k\n"
	      "  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n"
	      "  prefer_server_cipher_suites: false\n",
	      &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(wc.priorities,
			 "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-KX-ALL:-CIPHER-ALL:-MAC-ALL:"
			 "+RSA:+AES-128-CBC:+SHA1:+AES-128-GCM:+AEAD:+AES-256-GCM:"
			 "+CHACHA20-POLY1305");
}
END_TEST

START_TEST(no_tls_keys_means_plain_http)
{
	int rc;

	parse("http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n", &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert(!wc.tls_enabled);
	ck_assert_int_eq(wc.http.n_headers, 1);
	ck_assert_str_eq(wc.http.headers[0].value, "sameorigin");
}
END_TEST

START_TEST(errors_name_line_and_column)
{
	static const struct {
		const char *text, *first;
	} bad[] = {
		{ "basic_auth_users:\n  \"a:b\": x\n",
		  "w.yml:2:3: basic_auth_users: bad user name" },
		{ "tls_server_config:\n  key_file: k\n",
		  "w.yml:2:3: tls_server_config: missing cert_file" },
		{ "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n"
		  "  max_version: TLS12\n",
		  "w.yml:5:16: max_version: below min_version" },
		{ "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
		  "w.yml:4:19: client_ca_file: set client_auth_type too" },
		{ "tls_server_config:\n  cert: inline\n", "w.yml:2:9: cert: not supported" },
		{ "http_server_config:\n  headers:\n    X-Content-Type-Options: \"no\\nsniff\"\n",
		  "w.yml:3:29: X-Content-Type-Options: bad header value" },
	};
	int rc;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *first = parse(bad[i].text, &rc);

		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_msg(!strncmp(first, bad[i].first, strlen(bad[i].first)),
			      "got %s, want %s", first, bad[i].first);
	}
}
END_TEST

static struct wc_user user(const char *name, const char *password)
{
	struct wc_user u = { 0 };

	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.hash, sizeof(u.hash), "%s", crypt(password, crypt_gensalt("$2b$", 4, NULL, 0)));
	return u;
}

START_TEST(auth_checks_users_and_rate_limits_what_is_not_cached)
{
	struct wc_user users[2] = { user("a", "pa"), user("b", "pb") };
	struct http_auth *a = http_auth_new(users, 2);

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(http_auth_check(a, NULL, NULL), HTTP_AUTH_DENIED);
	ck_assert_int_eq(http_auth_check(a, "b", "pb"), HTTP_AUTH_OK);	   /* token 1 */
	ck_assert_int_eq(http_auth_check(a, "a", "pb"), HTTP_AUTH_DENIED); /* 2 */
	ck_assert_int_eq(http_auth_check(a, "c", "pb"), HTTP_AUTH_DENIED); /* 3 */
	ck_assert_int_eq(http_auth_check(a, "a", "pa"), HTTP_AUTH_OK);	   /* 4 */
	/* The burst is spent: wrong passwords are soon not even checked
	 * (a loaded machine may refill a token or two meanwhile). */
	int busy = 0;

	for (int i = 0; i < 20 && !busy; i++)
		busy = http_auth_check(a, "a", "x") == HTTP_AUTH_BUSY;
	ck_assert(busy);
	/* Remembered successes need no token. */
	ck_assert_int_eq(http_auth_check(a, "a", "pa"), HTTP_AUTH_OK);
	ck_assert_int_eq(http_auth_check(a, "b", "pb"), HTTP_AUTH_OK);
	http_auth_free(a);
}
END_TEST

static Suite *webconfig_suite(void)
{
	Suite *s = suite_create("webconfig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, cipher_suites_become_gnutls_priorities);
	tcase_add_test(tc, tls13_keeps_its_own_suites_and_defaults_are_tls12_to_13);
	tcase_add_test(tc, no_tls_keys_means_plain_http);
	tcase_add_test(tc, errors_name_line_and_column);
	tcase_add_test(tc, auth_checks_users_and_rate_limits_what_is_not_cached);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(webconfig_suite)
