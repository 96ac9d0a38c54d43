/* SPDX-License-Identifier: MIT */
/*
 * The web config: TLS, basic auth and response headers of the HTTP
 * endpoint, in the file format of Prometheus' exporter-toolkit, so that one
 * file serves node_exporter and jitterd:
 *
 *   tls_server_config:    cert_file, key_file, client_auth_type,
 *                         client_ca_file, min_version, max_version,
 *                         cipher_suites, curve_preferences,
 *                         prefer_server_cipher_suites
 *   http_server_config:   http2, headers
 *   basic_auth_users:     name: bcrypt hash
 *
 * webconfig_load() reads and validates the file with yamlwalk (errors
 * "FILE:LINE:COL: message") and then reads the certificate, key and CA
 * files it names into memory, so that a key only root can read is read
 * before the daemon drops privilege. http_set_web_config() applies it.
 */
#ifndef JD_WEBCONFIG_H
#define JD_WEBCONFIG_H

#include <stdbool.h>
#include <stdio.h>

#define WC_PATH_MAX	  256
#define WC_MAX_USERS	  32
#define WC_USER_MAX	  128 /* bytes of a user name, incl. NUL */
#define WC_HASH_MAX	  128 /* a bcrypt hash is 60 */
#define WC_MAX_HEADERS	  8
#define WC_HEADER_MAX	  1024 /* bytes of a header value, incl. NUL */
#define WC_MAX_CIPHERS	  32
#define WC_MAX_CURVES	  8
#define WC_PRIORITIES_MAX 1024

enum wc_client_auth {
	WC_NO_CLIENT_CERT,
	WC_REQUEST_CLIENT_CERT,
	WC_REQUIRE_ANY_CLIENT_CERT,
	WC_VERIFY_CLIENT_CERT_IF_GIVEN,
	WC_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

enum wc_tls_version { WC_TLS_UNSET, WC_TLS10, WC_TLS11, WC_TLS12, WC_TLS13 };

struct wc_user {
	char name[WC_USER_MAX];
	char hash[WC_HASH_MAX];
};

struct wc_header {
	char name[64];
	char value[WC_HEADER_MAX];
};

struct web_config {
	struct {
		char cert_file[WC_PATH_MAX];
		char key_file[WC_PATH_MAX];
		char client_ca_file[WC_PATH_MAX];
		int client_auth_type;		   /* enum wc_client_auth */
		int min_version;		   /* enum wc_tls_version; unset = TLS12 */
		int max_version;		   /* unset = TLS13 */
		int cipher_suites[WC_MAX_CIPHERS]; /* indexes into webconfig.c's table */
		int n_cipher_suites;
		int curves[WC_MAX_CURVES];
		int n_curves;
		bool prefer_server_cipher_suites;
	} tls;
	struct {
		bool http2; /* accepted for compatibility; jitterd speaks HTTP/1.1 */
		struct wc_header headers[WC_MAX_HEADERS];
		int n_headers;
	} http;
	struct wc_user users[WC_MAX_USERS];
	int n_users;

	/* Set by webconfig_load() while parsing: the directory that relative
	 * file names are in; NULL (webconfig_parse) reads no file. */
	const char *dir;
	/* Filled by webconfig_load() from the files above (PEM text, malloc'd). */
	bool tls_enabled;
	char *cert_pem, *key_pem, *ca_pem;
	char priorities[WC_PRIORITIES_MAX]; /* the GnuTLS priority string */
};

/*
 * Parse and validate YAML text into wc (zeroed first); name is what errors
 * are reported against. Does not read the files it names. 0, or -EINVAL
 * after writing "name:line:col: message" lines to err.
 */
int webconfig_parse(struct web_config *wc, const char *name, const char *text, size_t len,
		    FILE *err);
/*
 * webconfig_parse() of the file at path, then the certificate, key and CA
 * files read into wc and checked with GnuTLS (the key matches the
 * certificate, the CA file holds certificates, the priority string is
 * taken). Relative file names are relative to the web config's directory,
 * as in exporter-toolkit. 0, or -EINVAL after writing the errors to err;
 * wc then holds nothing to free. Free a loaded config with webconfig_free().
 */
int webconfig_load(const char *path, struct web_config *wc, FILE *err);
void webconfig_free(struct web_config *wc);

#endif
