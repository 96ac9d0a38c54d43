// SPDX-License-Identifier: MIT
#include "core/notify.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "probes/collector.h"
#include "lib/log.h"
#include "core/loop.h"

/*
 * unset_environment is 0 throughout: the daemon keeps notifying for its
 * whole life (reloads, watchdog, stop). sd_notify() opens a fresh socket
 * each time, so it keeps working after the privilege drop as long as
 * NOTIFY_SOCKET is writable by the unprivileged user (systemd's is).
 */
static void send_state(const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0)
		log_warn("sd_notify: %s", strerror(-r));
}

void notify_ready(unsigned port, const char *note)
{
	unsigned attached, failed;
	char state[256];

	collectors_probe_counts(&attached, &failed);
	snprintf(state, sizeof(state),
		 "READY=1\nSTATUS=%u probes attached, %u failed; serving /metrics on port %u%s%s",
		 attached, failed, port, note ? "; " : "", note ? note : "");
	send_state(state);
}

void notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	/* MONOTONIC_USEC: what Type=notify-reload (systemd 253+) wants beside it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000);
	send_state(state);
}

void notify_stopping(void)
{
	send_state("STOPPING=1");
}

static void ping(void *arg)
{
	(void)arg;
	send_state("WATCHDOG=1");
}

int notify_watchdog(void)
{
	uint64_t usec = 0;
	int r = sd_watchdog_enabled(0, &usec), job;

	if (r < 0)
		log_warn("WatchdogSec: %s; no watchdog pings", strerror(-r));
	if (r <= 0 || !usec)
		return 0;
	/* Half the interval, as sd_watchdog_enabled(3) recommends. */
	job = loop_every("watchdog", usec * 1000 / 2, ping, NULL);
	if (job < 0)
		return job;
	log_info("watchdog: WATCHDOG=1 every %llu ms", (unsigned long long)usec / 2000);
	return 0;
}
