// SPDX-License-Identifier: MIT
/*
 * jitterd: the life of the daemon.
 *
 *   parse arguments -> load config -> check BTF and privilege -> pin ->
 *   create the events ring -> start collectors (load + attach probes) ->
 *   start the anomaly detector's timer -> listen -> drop privilege ->
 *   tell systemd READY=1 (and ping its watchdog from the loop) -> serve until SIGTERM/SIGINT
 * (SIGHUP reloads, see below) -> STOPPING=1 -> stop in reverse order (programs detached, port
 * released) -> exit 0.
 *
 * A reload (SIGHUP, `systemctl reload`): RELOADING=1 -> parse the file
 * into a scratch config (bad: logged, nothing changes) -> would it need
 * the programs reloaded? (then nothing changes either, restart_required)
 * -> reload_steps below, in order, each undone if a later one fails ->
 * the live config becomes the new one -> READY=1. Nothing is reloaded or
 * reset: counters keep counting (reload.h). It runs unprivileged: map
 * writes go through fds opened before the drop; a port below 1024 cannot
 * be bound any more (the reload then fails and the old port stays).
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

#include "anomaly/anomaly.h"
#include "probes/collector.h"
#include "core/config.h"
#include "doctor/doctor.h"
#include "probes/event_sinks.h"
#include "probes/events.h"
#include "http/http.h"
#include "http/serve.h"
#include "lib/log.h"
#include "core/loop.h"
#include "core/notify.h"
#include "core/mem.h"
#include "core/pages.h"
#include "lib/parse.h"
#include "lib/util.h"
#include "core/privs.h"
#include "pcap/cmd.h"
#include "probes/probe.h"
#include "core/reload.h"
#include "core/self.h"

struct options {
	const char *config_path;
	const char *listen;
	const char *web_config;
	bool check_config;
	bool probes;
};

/* The live config (every part keeps pointers into it) and the server. */
static struct options opts;
static struct jd_config cfg;
static struct http_server *server;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: jitterd [--config FILE] [--listen ADDR:PORT] [--web-config FILE] "
		"[--check-config] "
		"[--probes] "
		"[--version] [--help]\n"
		"       jitterd doctor [--config FILE] [--from URL] [--json] [--root DIR] "
		"(--help)\n"
		"  -c, --config FILE      YAML config (default: built-in defaults)\n"
		"  -l, --listen ADDR:PORT HTTP listen address, overrides the config (\":19435\")\n"
		"      --web-config FILE  TLS and basic auth (exporter-toolkit format), overrides "
		"the config\n"
		"      --check-config     validate the config, print ok or the errors, exit 0/2\n"
		"      --probes           print each probe's attach type on this kernel, exit\n"
		"  -v, --verbose          log debug messages\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             this text\n"
		"       jitterd pcap --help   capture analysis (docs/pcap.md)\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "web-config", required_argument, NULL, 'W' },
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
		case 'W': o->web_config = optarg; break;
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

/* What the command line sets wins over the file, at start and on reload. */
static void command_line_over_file(struct jd_config *c)
{
	if (opts.listen)
		snprintf(c->listen, sizeof(c->listen), "%s", opts.listen);
}

/* --web-config, or web_config: of c (relative to jitterd.yaml's directory). */
static void web_config_path(const struct jd_config *c, char *path, size_t size)
{
	serve_web_config_path(path, size, opts.web_config, opts.config_path, c->web_config);
}

static int load_config(const struct options *o, struct jd_config *cfg)
{
	unsigned nr_cpus = (unsigned)sysconf(_SC_NPROCESSORS_CONF);
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why;
	char path[4096];

	config_defaults(cfg);
	if (o->config_path && config_load_file(cfg, o->config_path, nr_cpus, stderr))
		return -1;
	if (o->listen && parse_listen(o->listen, &ss, &len, &why)) {
		fprintf(stderr, "jitterd: --listen %s: %s\n", o->listen, why);
		return -1;
	}
	command_line_over_file(cfg);
	/* Checked now (exit 2 on an error), read again by listen_http(). */
	web_config_path(cfg, path, sizeof(path));
	return serve_check_web_config(path, stderr) ? -1 : 0;
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

static struct http_server *listen_http(const struct jd_config *c)
{
	char path[4096];

	web_config_path(c, path, sizeof(path));
	return serve_start(c->listen, path, pages, n_pages);
}

/* ---- reload: its steps, in order ---------------------------------------- */

/* A new listen address: the new socket first, the old one closed after. */
static int reload_listen(const struct jd_config *old, const struct jd_config *new)
{
	struct http_server *next;
	int err;

	if (!strcmp(old->listen, new->listen))
		return 0;
	next = listen_http(new);
	if (!next)
		return -EADDRNOTAVAIL; /* http_init() said why */
	err = loop_set_http(next);
	if (err) {
		log_err("listen: watching the new server: %s", strerror(-err));
		http_finish(next);
		return err;
	}
	http_finish(server);
	server = next;
	return 0;
}

/*
 * The web config again, even when its name did not change: a rotated
 * certificate is served to new connections after a SIGHUP. Last of the
 * steps: it cannot be undone, and a bad file (file:line:col in the log)
 * undoes the others.
 */
static int reload_web_config(const struct jd_config *old, const struct jd_config *new)
{
	char path[4096];

	(void)old;
	web_config_path(new, path, sizeof(path));
	return serve_reload_web_config(server, path);
}

static int reload_pin(const struct jd_config *old, const struct jd_config *new)
{
	cpu_set_t all;

	if (old->daemon.cpus_set == new->daemon.cpus_set &&
	    CPU_EQUAL(&old->daemon.cpus, &new->daemon.cpus))
		return 0;
	if (new->daemon.cpus_set)
		return pin_daemon(new) ? -EINVAL : 0;
	/* Unpinned: every CPU the machine has (the kernel keeps only those online). */
	memset(&all, 0xff, sizeof(all));
	if (sched_setaffinity(0, sizeof(all), &all)) {
		int err = -errno;

		log_err("daemon.cpus: cannot unpin jitterd: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int reload_events(const struct jd_config *old, const struct jd_config *new)
{
	int err = 0;

	if (old->events.drain_interval_ns != new->events.drain_interval_ns)
		err = loop_set_drain_interval(new->events.drain_interval_ns);
	if (!err &&
	    (old->events.log_size != new->events.log_size ||
	     old->events.n_log_sizes != new->events.n_log_sizes ||
	     memcmp(old->events.log_sizes, new->events.log_sizes, sizeof(new->events.log_sizes))))
		err = events_set_log_sizes(new);
	/* A file that cannot be opened is logged and counted, not a bad config. */
	if (!err)
		event_sinks_set(new);
	if (err)
		log_err("events: %s", strerror(-err));
	return err;
}

/*
 * What can fail without having changed anything comes first (binding a
 * new address). A part of jitterd with config of its own (anomaly:,
 * doctor:, the web config) adds its row here.
 */
static const struct reload_step reload_steps[] = {
	{ .name = "listen", .apply = reload_listen },
	{ .name = "daemon.cpus", .apply = reload_pin },
	{ .name = "collectors",
	  .apply = collectors_reconfigure,
	  .restart_needed = collectors_restart_needed },
	{ .name = "anomaly", .restart_needed = anomaly_restart_needed },
	{ .name = "events", .apply = reload_events },
	{ .name = "doctor", .apply = doctor_drift_reload },
	{ .name = "web_config", .apply = reload_web_config }, /* last: see reload_web_config() */
};

/* SIGHUP: RELOADING=1, the reload, READY=1 with what came of it. */
static void reload(void *arg)
{
	const char *note = "config reloaded";
	int err;

	(void)arg;
	log_info("SIGHUP: reloading %s", opts.config_path ? opts.config_path : "the defaults");
	notify_reloading();
	err = reload_config(&cfg, opts.config_path, command_line_over_file, reload_steps,
			    ARRAY_SIZE(reload_steps));
	if (err == -EBUSY)
		note = "config NOT reloaded: it needs a restart";
	else if (err)
		note = "config NOT reloaded: see the log";
	notify_ready(http_port(server), note);
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
	int status = 1;

	mem_init();
	if (argc > 1 && !strcmp(argv[1], "doctor")) /* a subcommand: its own file */
		return doctor_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "pcap")) /* capture analysis: daemon/pcap/ */
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
	reload_init();
	if (events_init(&cfg))
		goto out_probes;
	if (collectors_init(&cfg) == 0)
		log_warn("no collector is running; serving self metrics only");
	mem_settle();
	if (anomaly_init(&cfg))
		goto out_collectors;
	server = listen_http(&cfg);
	if (!server)
		goto out_collectors;
	events_on_news(http_streams_wake); /* followers of /events */
	doctor_drift_open_root_files();	   /* what the tuning checks read as root */
	if (privs_drop() == 0 && opts.config_path && access(opts.config_path, R_OK))
		log_warn("%s: %s now that privileges are dropped: a reload (SIGHUP) cannot "
			 "read it; make it readable by uid %u",
			 opts.config_path, strerror(errno), (unsigned)geteuid());
	doctor_drift_start(&cfg, opts.config_path); /* tuning drift, as metrics */
	if (notify_watchdog())
		goto out_http;
	loop_on_sighup(reload, NULL);
	notify_ready(http_port(server), NULL);

	status = loop_run(server, &cfg) ? 1 : 0;

	notify_stopping();
out_http:
	doctor_drift_finish();
	http_finish(server);
	pages_finish();
out_collectors:
	anomaly_finish();
	collectors_finish();
	events_finish();
out_probes:
	probe_finish();
	log_info("stopped");
	return status;
}
