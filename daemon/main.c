// SPDX-License-Identifier: MIT
/*
 * jitterd: the life of the daemon.
 *
 *   parse arguments -> load config -> check BTF and privilege -> pin ->
 *   create the events ring -> start collectors (load + attach probes) ->
 *   listen -> drop privilege -> serve until SIGTERM/SIGINT ->
 *   stop in reverse order (programs detached, port released) -> exit 0.
 *
 * `--probes` stops after the collectors' probe selection instead: it prints
 * what this kernel takes and detaches everything (print_probes()).
 *
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad usage or config.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "pages.h"
#include "parse.h"
#include "privs.h"
#include "pcap.h"
#include "probe.h"
#include "self.h"

struct options {
	const char *config_path;
	const char *listen;
	bool check_config;
	bool probes;
};

static const struct http_limits http_limits = {
	.max_connections = 64,
	.max_connections_per_ip = 8,
	.timeout_s = 10,
	.max_request_bytes = 16384,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: jitterd [--config FILE] [--listen ADDR:PORT] [--check-config] [--probes] "
		"[--version] [--help]\n"
		"  -c, --config FILE      YAML config (default: built-in defaults)\n"
		"  -l, --listen ADDR:PORT HTTP listen address, overrides the config (\":19435\")\n"
		"      --check-config     validate the config, print ok or the errors, exit 0/2\n"
		"      --probes           print each probe's attach type on this kernel, exit\n"
		"  -v, --verbose          log debug messages\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             this text\n"
		"       jitterd pcap --help   capture analysis (README, \"Capture analysis\")\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "probes", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:l:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'C': o->check_config = true; break;
		case 'P': o->probes = true; break;
		case 'v': log_max_level = LOG_DEBUG; break;
		case 'V': printf("jitterd %s (%s)\n", JD_VERSION, JD_REVISION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jitterd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static int load_config(const struct options *o, struct jd_config *cfg)
{
	unsigned nr_cpus = (unsigned)sysconf(_SC_NPROCESSORS_CONF);
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why;

	config_defaults(cfg);
	if (o->config_path && config_load_file(cfg, o->config_path, nr_cpus, stderr))
		return -1;
	if (o->listen) {
		if (parse_listen(o->listen, &ss, &len, &why)) {
			fprintf(stderr, "jitterd: --listen %s: %s\n", o->listen, why);
			return -1;
		}
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", o->listen);
	}
	return 0;
}

static int pin_daemon(const struct jd_config *cfg)
{
	if (!cfg->daemon.cpus_set)
		return 0;
	if (sched_setaffinity(0, sizeof(cfg->daemon.cpus), &cfg->daemon.cpus)) {
		log_err("daemon.cpus: cannot pin jitterd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_max_level < LOG_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && log_max_level < LOG_INFO)
		return 0;
	fputs("jitterd: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static struct http_server *listen_http(const struct jd_config *cfg)
{
	struct sockaddr_storage addr;
	struct http_server *http;
	socklen_t len;
	const char *why, *colon = strrchr(cfg->listen, ':');
	int host_len = colon ? (int)(colon - cfg->listen) : 0;

	if (parse_listen(cfg->listen, &addr, &len, &why))
		return NULL; /* validated with the config already */
	http = http_init((struct sockaddr *)&addr, len, pages, n_pages, &http_limits);
	if (http) /* ":PORT" listens everywhere; localhost is where to point a browser */
		log_info("serving http://%.*s:%u/metrics (port %u)", host_len ? host_len : 9,
			 host_len ? cfg->listen : "localhost", http_port(http), http_port(http));
	return http;
}

/* Load every enabled collector without attaching, report, unload. */
static int print_probes(const struct jd_config *cfg)
{
	struct utsname u;

	if (privs_init() || probe_init())
		return 1;
	probe_survey();
	if (events_init(cfg)) {
		probe_finish();
		return 1;
	}
	collectors_init(cfg);
	printf("kernel %s\n", uname(&u) ? "?" : u.release);
	collectors_report(stdout, cfg);
	collectors_finish();
	events_finish();
	probe_finish();
	return 0;
}

int main(int argc, char **argv)
{
	struct options opts = {};
	struct jd_config cfg;
	struct http_server *http = NULL;
	int status = 1;

	if (argc > 1 && !strcmp(argv[1], "pcap")) /* capture analysis: daemon/pcap*.c */
		return pcap_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &opts) || load_config(&opts, &cfg))
		return 2;
	if (opts.check_config) {
		puts("ok");
		return 0;
	}
	libbpf_set_print(libbpf_log);
	if (opts.probes)
		return print_probes(&cfg);
	if (loop_block_signals() || privs_init() || probe_init() || pin_daemon(&cfg))
		return 1;
	self_init();
	if (events_init(&cfg))
		goto out_probes;
	if (collectors_init(&cfg) == 0)
		log_warn("no collector is running; serving self metrics only");
	http = listen_http(&cfg);
	if (!http)
		goto out_collectors;
	privs_drop();

	status = loop_run(http, &cfg) ? 1 : 0;

	http_finish(http);
	pages_finish();
out_collectors:
	collectors_finish();
	events_finish();
out_probes:
	probe_finish();
	log_info("stopped");
	return status;
}
