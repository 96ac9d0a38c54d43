// SPDX-License-Identifier: MIT
#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "probes/collector.h"
#include "probes/events.h"
#include "lib/log.h"
#include "lib/parse.h"

/* epoll data: a fixed source, or LOOP_JOB + the job's index. */
enum source { SRC_SIGNAL, SRC_HTTP, SRC_RING, SRC_JOB };

#define LOOP_MAX_JOBS 8

static struct job {
	int fd; /* timerfd, CLOCK_MONOTONIC */
	void (*run)(void *arg);
	void *arg;
	const char *name;
} jobs[LOOP_MAX_JOBS];
static unsigned n_jobs;
static int drain_job = -1;

static struct {
	int ep; /* the loop's epoll fd while it runs, else -1 */
	struct http_server *http;
	void (*on_sighup)(void *arg);
	void *sighup_arg;
} lp = { .ep = -1 };

static sigset_t loop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return set;
}

int loop_block_signals(void)
{
	sigset_t set = loop_signals();

	/* A client that goes away mid-response must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return sigprocmask(SIG_BLOCK, &set, NULL) ? -errno : 0;
}

int loop_every(const char *name, uint64_t interval_ns, void (*run)(void *arg), void *arg)
{
	struct job *j;
	int err;

	if (n_jobs == LOOP_MAX_JOBS)
		return -ENOSPC;
	j = &jobs[n_jobs];
	j->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (j->fd < 0)
		return -errno;
	j->run = run;
	j->arg = arg;
	j->name = name;
	err = loop_set_interval((int)n_jobs, interval_ns);
	if (err) {
		close(j->fd);
		return err;
	}
	return (int)n_jobs++;
}

int loop_set_interval(int job, uint64_t interval_ns)
{
	struct timespec ts = { (time_t)(interval_ns / NS_PER_S), (long)(interval_ns % NS_PER_S) };
	struct itimerspec its = { .it_interval = ts, .it_value = ts };

	if (job < 0 || (unsigned)job >= LOOP_MAX_JOBS || !interval_ns)
		return -EINVAL;
	return timerfd_settime(jobs[job].fd, 0, &its, NULL) ? -errno : 0;
}

void loop_finish(void)
{
	for (unsigned i = 0; i < n_jobs; i++)
		close(jobs[i].fd);
	n_jobs = 0;
}

static int watch(int ep, int fd, unsigned src)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

void loop_on_sighup(void (*fn)(void *arg), void *arg)
{
	lp.on_sighup = fn;
	lp.sighup_arg = arg;
}

int loop_set_http(struct http_server *http)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = SRC_HTTP };

	if (lp.ep >= 0) {
		if (epoll_ctl(lp.ep, EPOLL_CTL_ADD, http_epoll_fd(http), &e))
			return -errno;
		/* The old server's fd is closed by the caller: epoll forgets it then,
		 * but say so now, before its number can be reused. */
		epoll_ctl(lp.ep, EPOLL_CTL_DEL, http_epoll_fd(lp.http), NULL);
	}
	lp.http = http;
	return 0;
}

int loop_set_drain_interval(uint64_t interval_ns)
{
	return drain_job < 0 ? -ESRCH : loop_set_interval(drain_job, interval_ns);
}

/* Returns 1 when a stop was asked for. */
static int on_signal(int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (lp.on_sighup)
				lp.on_sighup(lp.sighup_arg);
			else
				log_info("SIGHUP: nothing to reload; ignored");
			continue;
		}
		log_info("%s: stopping", strsignal((int)si.ssi_signo));
		return 1;
	}
	return 0;
}

static void run_job(struct job *j)
{
	uint64_t expirations;

	if (read(j->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("%s timer: %s", j->name, strerror(errno));
	j->run(j->arg);
}

static void drain(void *arg)
{
	(void)arg;
	events_drain();
	collectors_drain(); /* rings of their own (the spans collector's) */
}

int loop_run(struct http_server *http, const struct jd_config *cfg)
{
	sigset_t set = loop_signals();
	int ep = -1, sfd = -1, err = 0, stop = 0;

	/* The ring wakes the loop when it fills; the timer drains what trickles. */
	lp.http = http;
	err = loop_every("events.drain_interval", cfg->events.drain_interval_ns, drain, NULL);
	if (err < 0)
		goto out;
	drain_job = err;
	err = 0;
	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ep < 0 || sfd < 0) {
		err = -errno;
		goto out;
	}
	if ((err = watch(ep, sfd, SRC_SIGNAL)) ||
	    (err = watch(ep, http_epoll_fd(lp.http), SRC_HTTP)) ||
	    (err = watch(ep, events_epoll_fd(), SRC_RING)))
		goto out;
	for (unsigned i = 0; i < n_jobs; i++)
		if ((err = watch(ep, jobs[i].fd, SRC_JOB + i)))
			goto out;
	lp.ep = ep;

	while (!stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, http_timeout_ms(lp.http));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			unsigned src = evs[i].data.u32;

			switch (src) {
			case SRC_SIGNAL: stop = on_signal(sfd); break;
			case SRC_RING: events_drain(); break;
			case SRC_HTTP: break; /* http_run() below */
			default: run_job(&jobs[src - SRC_JOB]); break;
			}
		}
		/* Also runs on an epoll timeout: MHD's connection timeouts. */
		http_run(lp.http);
	}
out:
	lp.ep = -1;
	drain_job = -1;
	if (err)
		log_err("event loop: %s", strerror(-err));
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	loop_finish();
	return err;
}
