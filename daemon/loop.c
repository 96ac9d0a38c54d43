// SPDX-License-Identifier: MIT
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

enum source { SRC_SIGNAL, SRC_TIMER, SRC_HTTP, SRC_RING };

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

static int watch(int ep, int fd, enum source src)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

/* Returns 1 when a stop was asked for. */
static int on_signal(int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: configuration reload is not supported yet; ignored");
			continue;
		}
		log_info("%s: stopping", strsignal((int)si.ssi_signo));
		return 1;
	}
	return 0;
}

int loop_run(struct http_server *http, const struct jd_config *cfg)
{
	sigset_t set = loop_signals();
	uint64_t iv = cfg->events.drain_interval_ns;
	struct itimerspec its = {
		.it_interval = { (time_t)(iv / 1000000000ull), (long)(iv % 1000000000ull) },
		.it_value = { (time_t)(iv / 1000000000ull), (long)(iv % 1000000000ull) },
	};
	int ep = -1, sfd = -1, tfd = -1, err = 0, stop = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		err = -errno;
		goto out;
	}
	if ((err = watch(ep, sfd, SRC_SIGNAL)) || (err = watch(ep, tfd, SRC_TIMER)) ||
	    (err = watch(ep, http_epoll_fd(http), SRC_HTTP)) ||
	    (err = watch(ep, events_epoll_fd(), SRC_RING)))
		goto out;

	while (!stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, http_timeout_ms(http));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t expirations;

			switch (evs[i].data.u32) {
			case SRC_SIGNAL: stop = on_signal(sfd); break;
			case SRC_TIMER:
				if (read(tfd, &expirations, sizeof(expirations)) < 0 &&
				    errno != EAGAIN)
					log_warn("timerfd: %s", strerror(errno));
				/* The timer's job is to drain the ring. */
				__attribute__((fallthrough));
			case SRC_RING: events_drain(); break;
			}
		}
		/* Also runs on an epoll timeout: MHD's connection timeouts. */
		http_run(http);
	}
out:
	if (err)
		log_err("event loop: %s", strerror(-err));
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	return err;
}
