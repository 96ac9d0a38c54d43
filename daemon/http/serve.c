// SPDX-License-Identifier: MIT
#include "http/serve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/webconfig.h"
#include "lib/log.h"
#include "lib/parse.h"

/* Slots enough that a few addresses at the per-IP limit cannot fill them,
 * and a request deadline so that those who never finish leave (http.h). */
static const struct http_limits limits = {
	.max_connections = 512,
	.max_connections_per_ip = 8,
	.timeout_s = 10,
	.header_timeout_s = 3,
	.max_request_bytes = 16384,
};

void serve_web_config_path(char *path, size_t size, const char *override, const char *config_path,
			   const char *web_config)
{
	const char *slash = config_path ? strrchr(config_path, '/') : NULL;

	if (override)
		snprintf(path, size, "%s", override);
	else if (web_config[0] == '/' || !slash)
		snprintf(path, size, "%s", web_config);
	else if (web_config[0])
		snprintf(path, size, "%.*s/%s", (int)(slash - config_path), config_path,
			 web_config);
	else
		path[0] = '\0';
}

/* The web config at path; none is an empty one. 0 or -EINVAL. */
static int load(const char *path, struct web_config *wc, FILE *err)
{
	if (!path[0]) {
		*wc = (struct web_config){};
		return 0;
	}
	return webconfig_load(path, wc, err);
}

int serve_check_web_config(const char *path, FILE *err)
{
	struct web_config wc;
	int ret = load(path, &wc, err);

	if (!ret)
		webconfig_free(&wc);
	return ret;
}

/* Serve wc (TLS, users, headers) on http; wc's files then belong to it. */
static int apply(struct http_server *http, struct web_config *wc)
{
	if (wc->n_users && !wc->tls_enabled)
		log_warn("web config: basic auth without TLS sends passwords in clear text");
	return http_set_web_config(http, wc);
}

struct http_server *serve_start(const char *listen, const char *web_config_path,
				const struct http_route *routes, unsigned n_routes)
{
	struct web_config wc;
	struct sockaddr_storage addr;
	struct http_server *http;
	socklen_t len;
	const char *why, *colon = strrchr(listen, ':');
	int host_len = colon ? (int)(colon - listen) : 0;
	bool tls;

	if (parse_listen(listen, &addr, &len, &why))
		return NULL; /* validated with the config already */
	if (load(web_config_path, &wc, stderr))
		return NULL;
	tls = wc.tls_enabled;
	http = http_init((struct sockaddr *)&addr, len, routes, n_routes, &limits);
	if (http && apply(http, &wc)) {
		http_finish(http);
		http = NULL;
	}
	webconfig_free(&wc);
	/* ":PORT" listens everywhere; localhost is where to point a browser */
	if (http)
		log_info("serving %s://%.*s:%u/metrics (port %u)", tls ? "https" : "http",
			 host_len ? host_len : 9, host_len ? listen : "localhost", http_port(http),
			 http_port(http));
	return http;
}

int serve_reload_web_config(struct http_server *http, const char *path)
{
	struct web_config wc;
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	int ret;

	if (!err)
		return -ENOMEM;
	ret = load(path, &wc, err);
	fclose(err);
	if (ret)
		log_err("web config not valid, the one in force stays:\n%s", msg);
	free(msg);
	if (ret)
		return ret;
	ret = apply(http, &wc);
	webconfig_free(&wc);
	return ret;
}
