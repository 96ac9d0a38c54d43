/* SPDX-License-Identifier: MIT */
/*
 * Telling the service manager how the daemon is (Type=notify): libsystemd's
 * sd-daemon API, a no-op when NOTIFY_SOCKET is not set (not under systemd).
 *
 *   notify_ready()      READY=1 + STATUS= (probes attached / failed, port):
 *                       once the probes are attached and the port listens
 *   notify_watchdog()   a loop job sending WATCHDOG=1 at half of
 *                       WatchdogSec= (WATCHDOG_USEC), from the main loop, so
 *                       a wedged loop stops the pings and gets restarted
 *   notify_reloading()  RELOADING=1 before a reload; notify_ready() after
 *   notify_stopping()   STOPPING=1 on the way out
 */
#ifndef JD_NOTIFY_H
#define JD_NOTIFY_H

/* STATUS= text: probes attached and failed, where it serves, and note
 * (what the last reload did) unless NULL. */
void notify_ready(unsigned port, const char *note);
void notify_reloading(void);
void notify_stopping(void);
/* Registers the watchdog job when the manager asked for one (before
 * loop_run). 0, or a negative errno from loop_every(). */
int notify_watchdog(void);

#endif
