/* SPDX-License-Identifier: MIT */
#ifndef JD_PRIVS_H
#define JD_PRIVS_H

/*
 * Exit status 1 with a message naming what is missing when this process
 * may not load BPF programs.
 */
int privs_init(void);

/*
 * Once everything is loaded and attached: become an unprivileged user (root
 * becomes nobody; a non-root user given capabilities, as systemd's
 * DynamicUser= with AmbientCapabilities= does, drops them all) if this
 * kernel lets such a user read BPF maps through fds it already holds (6.x
 * without the global unprivileged_bpf_disabled gate); otherwise keep them
 * and say why. Returns 0 when dropped, 1 when kept (or nothing to drop).
 */
int privs_drop(void);

#endif
