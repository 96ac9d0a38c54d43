// SPDX-License-Identifier: MIT
/*
 * libbpf parses the kernel's BTF for every object it loads (for CO-RE
 * relocations, and for the BTF ids that tp_btf and fentry programs attach
 * to): libbpf 1.1 reads the 5.5 MB file and copies it, 11 MB at once, which
 * would then be the daemon's peak resident set (VmHWM) for its whole life,
 * twice its steady size. So a fork of the daemon loads the object: it has
 * the object exactly as the daemon opened and configured it, loads it, sends
 * back the file descriptors of what the kernel made (every map, the program
 * of each chosen probe) and exits. The daemon takes them into its own copy
 * of the object: the maps by bpf_map__reuse_fd(), their global data
 * (.bss, .data, .rodata) mapped where the skeleton points, as libbpf's own
 * load does, and the programs into the probes, which attach them by fd.
 */
#include "probes/load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"

/* Maps and programs of one object; far below SCM_MAX_FD (253). */
#define LOAD_MAX_FDS 64

/* err and, when it is 0, n fds: one message. */
static int send_fds(int sock, int err, const int *fds, unsigned n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LOAD_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == sizeof(err) ? 0 : -errno;
}

/* The message send_fds() sent: the number of fds in it, or -EIO. */
static int recv_fds(int sock, int *err, int *fds, unsigned max)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LOAD_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = err, .iov_len = sizeof(*err) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t got;
	int n = 0;

	do
		got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got != sizeof(*err))
		return -EIO; /* it died before it could say */
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), sizeof(int) * n);
	}
	if (msg.msg_flags & MSG_CTRUNC || (unsigned)n > max) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return -EIO;
	}
	return n;
}

static int add_fd(int *fds, unsigned *n, int fd)
{
	if (*n == LOAD_MAX_FDS)
		return -E2BIG;
	if (fd < 0)
		return -EBADF; /* libbpf says it made it, yet it has no fd */
	fds[(*n)++] = fd;
	return 0;
}

/* In the child: load, and send what the daemon needs of it. */
static void load_child(int sock, struct bpf_object_skeleton *s, const struct probe *probes,
		       unsigned n)
{
	int err = bpf_object__load_skeleton(s), fds[LOAD_MAX_FDS];
	unsigned nfds = 0;
	struct bpf_map *map;

	if (err)
		goto out; /* libbpf logged why */
	bpf_object__for_each_map (map, *s->obj)
		if (!err && bpf_map__autocreate(map)) /* those not made, the daemon knows too */
			err = add_fd(fds, &nfds, bpf_map__fd(map));
	for (unsigned i = 0; i < n && !err; i++)
		if (probes[i].attach != PROBE_NONE)
			err = add_fd(fds, &nfds, bpf_program__fd(probes[i].prog[probes[i].attach]));
	if (err)
		log_err("loading %s: passing its maps and programs to the daemon: %s",
			bpf_object__name(*s->obj), strerror(-err));
out:
	send_fds(sock, err, fds, err ? 0 : nfds);
	_exit(0);
}

/* What libbpf maps of a map's global data (its bpf_map_mmap_sz()). */
static size_t mmap_size(const struct bpf_map *map)
{
	size_t page = (size_t)sysconf(_SC_PAGE_SIZE), value = (bpf_map__value_size(map) + 7) & ~7u;

	return (value * bpf_map__max_entries(map) + page - 1) / page * page;
}

/*
 * The maps' fds (in object order) into the object, the rest into the
 * probes; a fd a probe takes is -1 in fds after.
 */
static int adopt(struct bpf_object_skeleton *s, struct probe *probes, unsigned n, int *fds,
		 int nfds)
{
	struct bpf_map *map;
	int i = 0, err = 0;

	bpf_object__for_each_map (map, *s->obj) {
		if (!bpf_map__autocreate(map))
			continue;
		if (!err)
			err = i < nfds ? bpf_map__reuse_fd(map, fds[i]) : -EIO;
		i++;
	}
	for (int j = 0; j < s->map_cnt && !err; j++) {
		const struct bpf_map *m = *s->maps[j].map;
		void **mmaped = s->maps[j].mmaped;
		int prot = (bpf_map__map_flags(m) & BPF_F_RDONLY_PROG) ? PROT_READ
								       : PROT_READ | PROT_WRITE;

		/* Where the skeleton points (the initial image): now the map itself. */
		if (mmaped && *mmaped && bpf_map__autocreate(m) &&
		    (bpf_map__map_flags(m) & BPF_F_MMAPABLE) &&
		    mmap(*mmaped, mmap_size(m), prot, MAP_SHARED | MAP_FIXED, bpf_map__fd(m), 0) ==
			    MAP_FAILED)
			err = -errno;
	}
	for (unsigned j = 0; j < n; j++) {
		if (probes[j].attach == PROBE_NONE)
			continue;
		if (!err && i < nfds) {
			probes[j].fd = fds[i]; /* the probe's now: probe_detach() closes it */
			fds[i++] = -1;
		} else if (!err)
			err = -EIO;
	}
	return err;
}

int load_skeleton(struct bpf_object_skeleton *s, struct probe *probes, unsigned n)
{
	int sv[2], fds[LOAD_MAX_FDS], nfds, err = 0, status = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		load_child(sv[1], s, probes, n);
	}
	close(sv[1]);
	nfds = pid < 0 ? -errno : recv_fds(sv[0], &err, fds, LOAD_MAX_FDS);
	close(sv[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (nfds < 0) {
		if (pid > 0)
			log_err("loading %s: the loading process %s %d", bpf_object__name(*s->obj),
				WIFSIGNALED(status) ? "was killed by signal" : "exited with",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return pid < 0 ? nfds : -EIO;
	}
	if (!err)
		err = adopt(s, probes, n, fds, nfds);
	/* The maps' fds were dup()ed by bpf_map__reuse_fd(); the probes keep theirs. */
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}
