/* SPDX-License-Identifier: MIT */
/*
 * The daemon's HTTP endpoint as its config describes it: the listen
 * address and the web config (TLS, basic auth, headers), with the limits
 * that keep clients from starving a scraper. main.c starts it, a reload
 * moves it to a new address or applies a new web config through these.
 */
#ifndef JD_SERVE_H
#define JD_SERVE_H

#include <stddef.h>
#include <stdio.h>

#include "http/http.h"

/*
 * The web config file in force: --web-config (override) when given, else
 * the config's web_config:, relative to the directory of config_path (the
 * jitterd.yaml it was read from; NULL for the built-in defaults). "" for
 * none.
 */
void serve_web_config_path(char *path, size_t size, const char *override, const char *config_path,
			   const char *web_config);

/* Reads and checks the web config at path ("" for none): errors
 * (FILE:LINE:COL) to err. 0 or -EINVAL. */
int serve_check_web_config(const char *path, FILE *err);

/*
 * Listen on listen (ADDR:PORT, validated with the config) and serve routes
 * with the web config at path, read now: at start that is before privilege
 * is dropped, so a key only root can read works. NULL on failure (logged).
 */
struct http_server *serve_start(const char *listen, const char *web_config_path,
				const struct http_route *routes, unsigned n_routes);

/*
 * A reload: read the web config at path again (a rotated certificate is
 * served to new connections) and apply it. A bad file is logged with its
 * FILE:LINE:COL and the one in force stays. 0 or -errno.
 */
int serve_reload_web_config(struct http_server *http, const char *path);

#endif
