/* SPDX-License-Identifier: MIT */
#ifndef JD_LOOP_H
#define JD_LOOP_H

#include "config.h"
#include "http.h"

/* Block the signals the loop will read through a signalfd. Call first. */
int loop_block_signals(void);

/*
 * The daemon's one loop: epoll over a signalfd (SIGTERM/SIGINT stop it), a
 * timerfd (drains the ring buffer every events.drain_interval), the HTTP
 * server's epoll fd and the ring buffer's epoll fd. Returns 0 on a
 * requested stop, a negative errno when the loop itself fails.
 */
int loop_run(struct http_server *http, const struct jd_config *cfg);

#endif
