/* SPDX-License-Identifier: MIT */
#ifndef JD_LOOP_H
#define JD_LOOP_H

#include <stdint.h>

#include "core/config.h"
#include "http/http.h"

/* Block the signals the loop will read through a signalfd. Call first. */
int loop_block_signals(void);

/*
 * A job the loop runs every interval_ns on the daemon's own thread (its
 * housekeeping CPU), between HTTP requests: a detector, a periodic check.
 * Register before loop_run(). Returns the job's handle (>= 0) for
 * loop_set_interval(), or a negative errno (-ENOSPC past 8 jobs). A job
 * that falls behind runs once for all the ticks it missed.
 */
int loop_every(const char *name, uint64_t interval_ns, void (*run)(void *arg), void *arg);
/* A new interval for a job, counted from now (a reload). 0 or -errno. */
int loop_set_interval(int job, uint64_t interval_ns);

/*
 * What SIGHUP runs (main.c's reload), on the loop's thread; set it before
 * loop_run(). Until one is set, SIGHUP is logged and ignored.
 */
void loop_on_sighup(void (*fn)(void *arg), void *arg);

/*
 * The daemon's one loop: epoll over a signalfd (SIGTERM/SIGINT stop it),
 * the jobs' timerfds (the first drains the ring buffer every
 * events.drain_interval), SIGHUP (loop_on_sighup), the HTTP server's epoll fd and the ring buffer's
 * epoll fd. Returns 0 on a requested stop, a negative errno when the loop
 * itself fails. The jobs are gone when it returns.
 */
int loop_run(struct http_server *http, const struct jd_config *cfg);
/* A reload that re-listened: watch this server from now on (the caller
 * finishes the old one). 0 or -errno; before loop_run() it only records it. */
int loop_set_http(struct http_server *http);
/* events.drain_interval changed: the drain job's new interval. 0 or -errno. */
int loop_set_drain_interval(uint64_t interval_ns);
/* Close the jobs' timers (loop_run does it; for a start that fails first). */
void loop_finish(void);

#endif
