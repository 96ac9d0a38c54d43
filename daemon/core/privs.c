// SPDX-License-Identifier: MIT
#include "core/privs.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"

int privs_init(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "jd_check", 4, 4, 1, NULL);

	if (fd < 0) {
		log_err("cannot create BPF maps: %s; run jitterd as root (it needs CAP_BPF, "
			"CAP_PERFMON and CAP_SYS_RESOURCE, or CAP_SYS_ADMIN)",
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static void unprivileged_ids(uid_t *uid, gid_t *gid)
{
	const struct passwd *pw = getpwnam("nobody");

	*uid = pw ? pw->pw_uid : 65534;
	*gid = pw ? pw->pw_gid : 65534;
}

static int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	/* Keep /proc/self readable by ourselves (process_open_fds). */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}

/* Every capability, ambient ones too: what is left of a non-root user. */
static int drop_capabilities(void)
{
	cap_t none = cap_init();
	int err = 0;

	if (!none)
		return -errno;
	if (cap_reset_ambient() || cap_set_proc(none))
		err = -errno;
	cap_free(none);
	if (!err) /* as become() leaves a process that was root */
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return err;
}

/* uid 0 becomes uid; another user loses its capabilities. */
static int unprivileged(uid_t uid, gid_t gid)
{
	return geteuid() == 0 ? become(uid, gid) : drop_capabilities();
}

static bool has_capabilities(void)
{
	cap_t caps = cap_get_proc(), none = cap_init();
	bool some = caps && none && cap_compare(caps, none) != 0;

	cap_free(caps);
	cap_free(none);
	return some;
}

/* Ask a child that has dropped privileges to read a map we created. */
static int map_reads_allowed_unprivileged(uid_t uid, gid_t gid)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "jd_privs", 4, 4, 1, NULL), status;
	pid_t pid;

	if (fd < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		__u32 key = 0, value;

		_exit(unprivileged(uid, gid) || bpf_map_lookup_elem(fd, &key, &value) ? 1 : 0);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int privs_drop(void)
{
	uid_t uid;
	gid_t gid;
	int err;

	/* Not root (systemd's DynamicUser= with AmbientCapabilities=): drop those. */
	if (geteuid() != 0 && !has_capabilities())
		return 1;
	unprivileged_ids(&uid, &gid);
	if (!map_reads_allowed_unprivileged(uid, gid)) {
		log_info("this kernel needs CAP_BPF to read BPF maps; keeping privileges");
		return 1;
	}
	if (geteuid() != 0)
		uid = geteuid();
	err = unprivileged(uid, gid);
	if (err) {
		log_warn("dropping privileges: %s; keeping them", strerror(-err));
		return 1;
	}
	log_info("dropped privileges: running as uid %u without capabilities", (unsigned)uid);
	return 0;
}
