// SPDX-License-Identifier: MIT
/*
 * The web config file (exporter-toolkit's format) -> struct web_config.
 *
 * The schema is the tables below, walked by yamlwalk.c like jitterd.yaml.
 * What is only here: the keys whose names are data (basic_auth_users,
 * headers), exporter-toolkit's cross-key rules, the mapping of Go's cipher
 * suite names to a GnuTLS priority string, and the reading of the files
 * the config names (checked with GnuTLS, errors at the key that named them).
 */
#include "http/webconfig.h"
#include "lib/yamlwalk.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEBCONFIG_FILE_MAX (1 << 20)
#define PEM_FILE_MAX	   (1 << 20)

/* ---- Go's cipher suites, as GnuTLS priority items ----------------------- */

/*
 * GnuTLS enables key exchanges, ciphers and MACs separately, not suites:
 * two suites listed enable the combinations of their parts as well (e.g.
 * ECDHE_RSA with AES_128_GCM and ECDHE_ECDSA with AES_256_CBC_SHA also
 * enable ECDHE_RSA with AES_256_CBC_SHA). RC4 is refused: GnuTLS no longer
 * offers it. TLS 1.3 suites are accepted and, as in Go, not configurable.
 */
static const struct cipher {
	const char *go_name;
	const char *kx, *cipher, *mac; /* NULL kx: a TLS 1.3 suite */
	const char *refused;	       /* why it cannot be honoured */
} ciphers[] = {
	{ "TLS_RSA_WITH_RC4_128_SHA", .refused = "RC4 is broken and GnuTLS does not offer it" },
	{ "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", "3DES-CBC", "SHA1", NULL },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1", NULL },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1", NULL },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA256", "RSA", "AES-128-CBC", "SHA256", NULL },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD", NULL },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD", NULL },
	{ "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
	  .refused = "RC4 is broken and GnuTLS does not offer it" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1", NULL },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1", NULL },
	{ "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
	  .refused = "RC4 is broken and GnuTLS does not offer it" },
	{ "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA", "3DES-CBC", "SHA1", NULL },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1", NULL },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1", NULL },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA", "AES-128-CBC", "SHA256", NULL },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA", "AES-128-CBC", "SHA256", NULL },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD", NULL },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD", NULL },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD", NULL },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD", NULL },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD",
	  NULL },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305",
	  "AEAD", NULL },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD", NULL },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD",
	  NULL },
	{ "TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD", NULL },
	{ "TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD", NULL },
	{ "TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD", NULL },
};
#define N_CIPHERS ((int)(sizeof(ciphers) / sizeof(ciphers[0])))

static const struct yw_enum curves[] = {
	{ "CurveP256", 0 }, { "CurveP384", 1 }, { "CurveP521", 2 }, { "X25519", 3 }, {},
};
static const char *const gnutls_groups[] = { "GROUP-SECP256R1", "GROUP-SECP384R1",
					     "GROUP-SECP521R1", "GROUP-X25519" };

static const struct yw_enum client_auth_types[] = {
	{ "NoClientCert", WC_NO_CLIENT_CERT },
	{ "RequestClientCert", WC_REQUEST_CLIENT_CERT },
	{ "RequireAnyClientCert", WC_REQUIRE_ANY_CLIENT_CERT },
	{ "VerifyClientCertIfGiven", WC_VERIFY_CLIENT_CERT_IF_GIVEN },
	{ "RequireAndVerifyClientCert", WC_REQUIRE_AND_VERIFY_CLIENT_CERT },
	{},
};

static const struct yw_enum tls_versions[] = {
	{ "TLS10", WC_TLS10 },
	{ "TLS11", WC_TLS11 },
	{ "TLS12", WC_TLS12 },
	{ "TLS13", WC_TLS13 },
	{},
};

/* ---- the rows ----------------------------------------------------------- */

static int parse_cipher_item(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item,
			     char *elem)
{
	const char *s = yw_scalar_text(c, k->name, item);

	if (!s)
		return -EINVAL;
	for (int i = 0; i < N_CIPHERS; i++) {
		if (strcmp(ciphers[i].go_name, s))
			continue;
		if (ciphers[i].refused)
			return yw_bad_value(c, k->name, "cipher suite", item, ciphers[i].refused);
		*(int *)elem = i;
		return 0;
	}
	return yw_bad_value(
		c, k->name, "cipher suite", item,
		"not one of Go's crypto/tls names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
		"...)");
}

static int parse_curve_item(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *item, char *elem)
{
	const struct yw_key as_enum = { .name = k->name, .names = curves };

	return yw_parse_enum(c, &as_enum, item, elem);
}

static const struct yw_list cipher_list = {
	.what = "cipher suite",
	.item_type = YAML_SCALAR_NODE,
	.item_size = sizeof(int),
	.parse_item = parse_cipher_item,
};

static const struct yw_list curve_list = {
	.what = "curve",
	.item_type = YAML_SCALAR_NODE,
	.item_size = sizeof(int),
	.parse_item = parse_curve_item,
};

/* Keys exporter-toolkit has and jitterd does not: an error, not silence,
 * since ignoring them would make the endpoint less strict than the file says. */
static int parse_unsupported(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *v, char *base)
{
	(void)base;
	return yw_report(c, v->start_mark, "%s: not supported by jitterd (see docs/security.md)",
			 k->name);
}

#define WC_T(m) __typeof__(((struct web_config *)0)->m)

static const struct yw_key tls_keys[] = {
	{ YW_KEY("cert_file", SCALAR, yw_parse_string), YW_FIELD(WC_T(tls), cert_file) },
	{ YW_KEY("key_file", SCALAR, yw_parse_string), YW_FIELD(WC_T(tls), key_file) },
	{ YW_KEY("client_ca_file", SCALAR, yw_parse_string), YW_FIELD(WC_T(tls), client_ca_file) },
	{ YW_KEY("client_auth_type", SCALAR, yw_parse_enum), YW_FIELD(WC_T(tls), client_auth_type),
	  .names = client_auth_types },
	{ YW_KEY("min_version", SCALAR, yw_parse_enum), YW_FIELD(WC_T(tls), min_version),
	  .names = tls_versions },
	{ YW_KEY("max_version", SCALAR, yw_parse_enum), YW_FIELD(WC_T(tls), max_version),
	  .names = tls_versions },
	{ YW_KEY("cipher_suites", SEQUENCE, yw_parse_list), YW_FIELD(WC_T(tls), cipher_suites),
	  YW_COUNT(WC_T(tls), n_cipher_suites), .list = &cipher_list },
	{ YW_KEY("curve_preferences", SEQUENCE, yw_parse_list), YW_FIELD(WC_T(tls), curves),
	  YW_COUNT(WC_T(tls), n_curves), .list = &curve_list },
	/* Default true (set in parse_text: parse_tls is not a plain mapping). */
	{ YW_KEY("prefer_server_cipher_suites", SCALAR, yw_parse_bool),
	  YW_FIELD(WC_T(tls), prefer_server_cipher_suites) },
	{ YW_KEY("client_allowed_sans", SEQUENCE, parse_unsupported) },
	{ YW_KEY("cert", SCALAR, parse_unsupported) },
	{ YW_KEY("key", SCALAR, parse_unsupported) },
	{},
};

/* The headers exporter-toolkit lets a config set, and the values it allows. */
static const struct {
	const char *name;
	const char *const values[3]; /* NULL-ended; none: any value */
} settable_headers[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static int check_header(struct yw_ctx *c, yaml_node_t *key, yaml_node_t *v, const char *name,
			const char *value)
{
	unsigned i;

	for (i = 0; i < sizeof(settable_headers) / sizeof(settable_headers[0]); i++)
		if (!strcmp(settable_headers[i].name, name))
			break;
	if (i == sizeof(settable_headers) / sizeof(settable_headers[0]))
		return yw_bad_value(c, "headers", "header", key,
				    "cannot be configured (Strict-Transport-Security, "
				    "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
				    "Content-Security-Policy can)");
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return yw_bad_value(c, name, "header value", v,
					    "control characters are not allowed");
	if (!settable_headers[i].values[0])
		return 0;
	for (const char *const *ok = settable_headers[i].values; *ok; ok++)
		if (!strcmp(*ok, value))
			return 0;
	return yw_bad_value(c, name, "value", v,
			    settable_headers[i].values[1] ? "use deny or sameorigin"
							  : "use nosniff");
}

/* Mappings whose keys are data: headers (name: value) and basic_auth_users
 * (user: hash). Each pair goes through check_pair and into the next slot. */
static int parse_headers(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *map, char *base)
{
	struct wc_header *h = (struct wc_header *)(base + k->off);
	int *n = (int *)(base + k->count_off);
	yaml_node_pair_t *pair;

	*n = 0;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = yw_pair_key(c, map, pair), *value;
		yaml_node_t *key = yw_node(c, pair->key), *v = yw_node(c, pair->value);

		if (!name)
			continue;
		if (*n == WC_MAX_HEADERS) {
			yw_report(c, key->start_mark, "headers: too many (at most %d)",
				  WC_MAX_HEADERS);
			break;
		}
		if (!yw_check_type(c, name, v, YAML_SCALAR_NODE) ||
		    !(value = yw_scalar_text(c, name, v)) || check_header(c, key, v, name, value))
			continue;
		if (strlen(value) >= sizeof(h->value)) {
			yw_report(c, v->start_mark, "%s: too long (at most %zu characters)", name,
				  sizeof(h->value) - 1);
			continue;
		}
		snprintf(h[*n].name, sizeof(h->name), "%s", name);
		snprintf(h[*n].value, sizeof(h->value), "%s", value);
		(*n)++;
	}
	return 0;
}

/* exporter-toolkit takes bcrypt only; libcrypt knows the rest, but a file
 * that node_exporter refuses should not work here either. */
static int check_bcrypt(const char *hash, const char **why)
{
	if (strncmp(hash, "$2y$", 4) && strncmp(hash, "$2b$", 4) && strncmp(hash, "$2a$", 4)) {
		*why = "not a bcrypt hash ($2y$, $2b$ or $2a$; make one with htpasswd -nbBC 10 "
		       "USER PASSWORD)";
		return -EINVAL;
	}
	if (crypt_checksalt(hash) != CRYPT_SALT_OK || strlen(hash) != 60) {
		*why = "not a valid bcrypt hash (60 characters: $2y$, the cost, $, 53 of "
		       "./A-Za-z0-9)";
		return -EINVAL;
	}
	return 0;
}

static int parse_users(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *map, char *base)
{
	struct wc_user *u = (struct wc_user *)(base + k->off);
	int *n = (int *)(base + k->count_off);
	yaml_node_pair_t *pair;

	*n = 0;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *name = yw_pair_key(c, map, pair), *hash, *why;
		yaml_node_t *key = yw_node(c, pair->key), *v = yw_node(c, pair->value);

		if (!name)
			continue;
		if (*n == WC_MAX_USERS) {
			yw_report(c, key->start_mark, "%s: too many users (at most %d)", k->name,
				  WC_MAX_USERS);
			break;
		}
		if (!*name || strchr(name, ':') || strlen(name) >= sizeof(u->name)) {
			yw_bad_value(c, k->name, "user name", key,
				     "use 1 to 127 characters, no ':' (basic auth splits there)");
			continue;
		}
		if (!yw_check_type(c, name, v, YAML_SCALAR_NODE) ||
		    !(hash = yw_scalar_text(c, name, v)))
			continue;
		if (check_bcrypt(hash, &why)) {
			yw_report(c, v->start_mark, "%s: bad password hash: %s", name, why);
			continue;
		}
		snprintf(u[*n].name, sizeof(u->name), "%s", name);
		snprintf(u[*n].hash, sizeof(u->hash), "%s", hash);
		(*n)++;
	}
	return 0;
}

/* ---- the GnuTLS priority string ------------------------------------------ */

/* Appends ":item" unless the string has it already. */
static void add(char *buf, size_t size, const char *item)
{
	size_t used = strlen(buf), len = strlen(item);

	for (const char *p = buf; (p = strstr(p, item)); p++)
		if ((p == buf || p[-1] == ':') && (p[len] == ':' || !p[len]))
			return;
	snprintf(buf + used, size - used, ":%s", item);
}

static void add2(char *buf, size_t size, const char *prefix, const char *item)
{
	char s[64];

	snprintf(s, sizeof(s), "%s%s", prefix, item);
	add(buf, size, s);
}

/*
 * NORMAL, cut to the versions between min_version and max_version (TLS 1.2
 * and 1.3 by default, as exporter-toolkit), to the key exchanges, ciphers
 * and MACs of the suites listed, and to the groups of curve_preferences.
 */
static void build_priorities(struct web_config *wc)
{
	static const char *const vers[] = { [WC_TLS10] = "VERS-TLS1.0",
					    [WC_TLS11] = "VERS-TLS1.1",
					    [WC_TLS12] = "VERS-TLS1.2",
					    [WC_TLS13] = "VERS-TLS1.3" };
	int lo = wc->tls.min_version ? wc->tls.min_version : WC_TLS12;
	int hi = wc->tls.max_version ? wc->tls.max_version : WC_TLS13;
	size_t size = sizeof(wc->priorities);
	char *p = wc->priorities;

	snprintf(p, size, "NORMAL:-VERS-ALL");
	for (int v = lo; v <= hi; v++)
		add2(p, size, "+", vers[v]);
	if (wc->tls.n_cipher_suites) {
		add(p, size, "-KX-ALL");
		add(p, size, "-CIPHER-ALL");
		add(p, size, "-MAC-ALL");
		for (int i = 0; i < wc->tls.n_cipher_suites; i++) {
			const struct cipher *cs = &ciphers[wc->tls.cipher_suites[i]];

			if (!cs->kx)
				continue; /* TLS 1.3: as in Go, not configurable */
			add2(p, size, "+", cs->kx);
			add2(p, size, "+", cs->cipher);
			add2(p, size, "+", cs->mac);
		}
		/* TLS 1.3 always has its own suites, as in Go. */
		if (hi == WC_TLS13)
			for (int i = 0; i < N_CIPHERS; i++)
				if (!ciphers[i].kx && !ciphers[i].refused) {
					add2(p, size, "+", ciphers[i].cipher);
					add2(p, size, "+", ciphers[i].mac);
				}
	}
	if (wc->tls.n_curves) {
		add(p, size, "-GROUP-ALL");
		for (int i = 0; i < wc->tls.n_curves; i++)
			add2(p, size, "+", gnutls_groups[wc->tls.curves[i]]);
	}
	if (wc->tls.prefer_server_cipher_suites)
		add(p, size, "%SERVER_PRECEDENCE");
}

/* ---- tls_server_config: the rules, then the files ----------------------- */

static yaml_mark_t key_mark(struct yw_ctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = yw_mapping_value(c, map, key);

	return v ? v->start_mark : map->start_mark;
}

/* exporter-toolkit's rules between the keys of tls_server_config. */
static void check_tls_rules(struct yw_ctx *c, yaml_node_t *map, const struct web_config *wc)
{
	const char *cert = wc->tls.cert_file, *key = wc->tls.key_file, *ca = wc->tls.client_ca_file;
	int auth = wc->tls.client_auth_type;

	if (*cert && !*key)
		yw_report(c, map->start_mark, "tls_server_config: missing key_file");
	if (*key && !*cert)
		yw_report(c, map->start_mark, "tls_server_config: missing cert_file");
	if (!*cert && !*key && (*ca || auth != WC_NO_CLIENT_CERT))
		yw_report(c, key_mark(c, map, *ca ? "client_ca_file" : "client_auth_type"),
			  "client certificates need TLS: set cert_file and key_file");
	if ((auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN || auth == WC_REQUIRE_AND_VERIFY_CLIENT_CERT) &&
	    !*ca)
		yw_report(c, key_mark(c, map, "client_auth_type"),
			  "client_auth_type: verifying client certificates needs client_ca_file");
	if (*ca && auth == WC_NO_CLIENT_CERT)
		yw_report(c, key_mark(c, map, "client_ca_file"),
			  "client_ca_file: set client_auth_type too (client CAs without a client "
			  "auth policy)");
	if (wc->tls.min_version && wc->tls.max_version && wc->tls.min_version > wc->tls.max_version)
		yw_report(c, key_mark(c, map, "max_version"), "max_version: below min_version");
}

/* Reads the file a key names (relative to the config's directory). */
static char *read_pem(struct yw_ctx *c, yaml_node_t *map, const char *key, const char *dir,
		      const char *file)
{
	char path[WC_PATH_MAX * 2];
	char *text = NULL;
	size_t len;
	int ret;

	if (file[0] == '/' || !dir)
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, file);
	ret = yw_read_file(path, PEM_FILE_MAX, &text, &len);
	if (ret) {
		yw_report(c, key_mark(c, map, key), "%s: cannot read %s: %s%s", key, path,
			  strerror(-ret),
			  ret == -EACCES && geteuid() ? " (jitterd has dropped privilege: see "
							"docs/security.md)"
						      : "");
		return NULL;
	}
	return text;
}

static gnutls_datum_t datum(const char *pem)
{
	return (gnutls_datum_t){ (unsigned char *)pem, (unsigned)strlen(pem) };
}

/* What libmicrohttpd will do with the files, done now so that a bad one
 * is an error at its key rather than a daemon that does not start. */
static void check_tls_files(struct yw_ctx *c, yaml_node_t *map, struct web_config *wc)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_priority_t prio = NULL;
	const char *where = NULL;
	int ret;

	wc->cert_pem = read_pem(c, map, "cert_file", wc->dir, wc->tls.cert_file);
	wc->key_pem = read_pem(c, map, "key_file", wc->dir, wc->tls.key_file);
	if (*wc->tls.client_ca_file)
		wc->ca_pem = read_pem(c, map, "client_ca_file", wc->dir, wc->tls.client_ca_file);
	if (!wc->cert_pem || !wc->key_pem || (*wc->tls.client_ca_file && !wc->ca_pem))
		return;
	if (gnutls_certificate_allocate_credentials(&cred)) {
		yw_report(c, map->start_mark, "tls_server_config: out of memory");
		return;
	}
	gnutls_datum_t cert = datum(wc->cert_pem), key = datum(wc->key_pem);

	ret = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (ret < 0)
		yw_report(c, key_mark(c, map, "key_file"),
			  "key_file: %s and %s do not make a certificate and its key: %s",
			  wc->tls.cert_file, wc->tls.key_file, gnutls_strerror(ret));
	if (wc->ca_pem) {
		gnutls_datum_t ca = datum(wc->ca_pem);

		ret = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (ret <= 0)
			yw_report(c, key_mark(c, map, "client_ca_file"),
				  "client_ca_file: %s holds no PEM certificate%s%s",
				  wc->tls.client_ca_file, ret < 0 ? ": " : "",
				  ret < 0 ? gnutls_strerror(ret) : "");
	}
	gnutls_certificate_free_credentials(cred);
	ret = gnutls_priority_init(&prio, wc->priorities, &where);
	if (ret < 0)
		yw_report(
			c,
			key_mark(c, map, wc->tls.n_cipher_suites ? "cipher_suites" : "min_version"),
			"tls_server_config: GnuTLS refuses priority string \"%s\" at \"%s\": %s",
			wc->priorities, where ? where : "?", gnutls_strerror(ret));
	else
		gnutls_priority_deinit(prio);
}

static int parse_tls(struct yw_ctx *c, const struct yw_key *k, yaml_node_t *map, char *base)
{
	struct web_config *wc = (struct web_config *)base;
	struct yw_key_set set = { tls_keys, (char *)&wc->tls };
	int errors = c->errors;

	(void)k;
	yw_walk_mapping(c, map, &set, 1);
	if (c->errors != errors)
		return -EINVAL;
	check_tls_rules(c, map, wc);
	if (c->errors != errors || !*wc->tls.cert_file)
		return c->errors != errors ? -EINVAL : 0;
	build_priorities(wc);
	wc->tls_enabled = true;
	if (wc->dir)
		check_tls_files(c, map, wc);
	return c->errors != errors ? -EINVAL : 0;
}

static const struct yw_key http_keys[] = {
	{ YW_KEY("http2", SCALAR, yw_parse_bool), YW_FIELD(WC_T(http), http2), .def = "true" },
	{ YW_KEY("headers", MAPPING, parse_headers), YW_FIELD(WC_T(http), headers),
	  YW_COUNT(WC_T(http), n_headers) },
	{},
};

static const struct yw_key top_keys[] = {
	{ YW_KEY("tls_server_config", MAPPING, parse_tls) },
	{ YW_KEY("http_server_config", MAPPING, yw_parse_mapping),
	  YW_FIELD(struct web_config, http), .keys = http_keys },
	{ YW_KEY("basic_auth_users", MAPPING, parse_users), YW_FIELD(struct web_config, users),
	  YW_COUNT(struct web_config, n_users) },
	{},
};

/* ---- entry points ------------------------------------------------------- */

static int parse_text(struct web_config *wc, const char *dir, const char *name, const char *text,
		      size_t len, FILE *err)
{
	struct yw_ctx c = { .name = name, .text = text, .len = len, .err = err };
	struct yw_key_set sets[1] = { { top_keys, (char *)wc } };
	int ret;

	memset(wc, 0, sizeof(*wc));
	wc->dir = dir;
	wc->tls.prefer_server_cipher_suites = true;
	ret = yw_apply_defaults(sets, 1, err);
	if (!ret)
		ret = yw_walk_text(&c, sets, 1);
	wc->dir = NULL;
	if (ret)
		webconfig_free(wc);
	return ret;
}

int webconfig_parse(struct web_config *wc, const char *name, const char *text, size_t len,
		    FILE *err)
{
	return parse_text(wc, NULL, name, text, len, err);
}

int webconfig_load(const char *path, struct web_config *wc, FILE *err)
{
	char *text = NULL, *copy = strdup(path);
	size_t len = 0;
	int ret;

	memset(wc, 0, sizeof(*wc));
	if (!copy)
		return -ENOMEM;
	ret = yw_read_file(path, WEBCONFIG_FILE_MAX, &text, &len);
	if (ret) {
		fprintf(err, "%s: %s\n", path, strerror(-ret));
		free(copy);
		return -EINVAL;
	}
	ret = parse_text(wc, dirname(copy), path, text, len, err);
	free(text);
	free(copy);
	return ret;
}

/* Key material is wiped before it goes back to malloc. */
static void free_secret(char **p)
{
	if (!*p)
		return;
	gnutls_memset(*p, 0, strlen(*p));
	free(*p);
	*p = NULL;
}

void webconfig_free(struct web_config *wc)
{
	free_secret(&wc->key_pem);
	free(wc->cert_pem);
	wc->cert_pem = NULL;
	free(wc->ca_pem);
	wc->ca_pem = NULL;
}
