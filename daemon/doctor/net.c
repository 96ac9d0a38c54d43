// SPDX-License-Identifier: MIT
/*
 * The doctor's network checks: net.core sysctls, the softnet backlog and
 * budget (judged by their own drop and squeeze counters), RPS/XPS masks per
 * queue, and each physical NIC's rings, interrupt coalescing, offloads and
 * channels, read with the ethtool ioctl (SIOCETHTOOL: ETHTOOL_GRINGPARAM,
 * ETHTOOL_GCOALESCE, ETHTOOL_GGRO / ETHTOOL_GFLAGS, ETHTOOL_GCHANNELS),
 * which any user may issue for reads. A driver without an operation
 * (EOPNOTSUPP: virtio_net has no coalescing on older kernels) makes that
 * NIC "not supported", not failed.
 */
#include "doctor/doctor.h"

#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/parse.h"

#define REF_SFC "AMD Solarflare Onload user guide, low-latency tuning"
#define NIC_MAX 16

int doctor_ethtool_ioctl(const char *ifname, void *data)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	return err;
}

/* The physical NICs (those with a device link), their drivers. */
struct nic {
	char name[IFNAMSIZ];
	char arg[4 * IFNAMSIZ + 3]; /* name as a shell word: commands say this */
	char driver[32];
};

/* name as one shell word: as it is when it is made of the characters real
 * interfaces use, else in single quotes (the kernel allows `$`, `;`, quotes
 * and more in a name, and the fixes are pasted into a shell). */
static void shell_word(char *out, size_t size, const char *name)
{
	size_t at = 0;

	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@+-") ==
	    strlen(name)) {
		snprintf(out, size, "%s", name);
		return;
	}
	out[at++] = '\'';
	for (const char *c = name; *c && at + 5 < size; c++) {
		if (*c == '\'') {
			memcpy(out + at, "'\\''", 4);
			at += 4;
		} else {
			out[at++] = *c;
		}
	}
	out[at++] = '\'';
	out[at] = '\0';
}

static unsigned list_nics(const struct doctor_host *h, struct nic *nics)
{
	char path[512], link[512];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/class/net", h->root);
	d = opendir(path);
	while (d && (e = readdir(d)) && n < NIC_MAX) {
		ssize_t len;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
			continue;
		snprintf(path, sizeof(path), "%s/sys/class/net/%s/device", h->root, e->d_name);
		if (access(path, F_OK))
			continue; /* virtual: lo, bridges, veth, ifb */
		snprintf(nics[n].name, sizeof(nics[n].name), "%s", e->d_name);
		shell_word(nics[n].arg, sizeof(nics[n].arg), e->d_name);
		snprintf(path, sizeof(path), "%s/sys/class/net/%s/device/driver", h->root,
			 e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0) {
			link[len] = '\0';
			snprintf(nics[n].driver, sizeof(nics[n].driver), "%s",
				 strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		} else {
			snprintf(nics[n].driver, sizeof(nics[n].driver), "?");
		}
		n++;
	}
	if (d)
		closedir(d);
	/* readdir order is the directory's: sort for a stable report */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && strcmp(nics[j - 1].name, nics[j].name) > 0; j--) {
			struct nic t = nics[j];

			nics[j] = nics[j - 1];
			nics[j - 1] = t;
		}
	return n;
}

/* ---- softnet: /proc/net/softnet_stat -------------------------------------- */

/* Sums of the dropped (2nd) and time_squeeze (3rd) columns. */
static int softnet(const struct doctor_host *h, unsigned long long *dropped,
		   unsigned long long *squeezed)
{
	char buf[16384], *line, *save = NULL;
	int err = doctor_read(h, buf, sizeof(buf), "/proc/net/softnet_stat");

	*dropped = *squeezed = 0;
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned processed, d, s;

		if (sscanf(line, "%x %x %x", &processed, &d, &s) == 3) {
			*dropped += d;
			*squeezed += s;
		}
	}
	return 0;
}

static long long read_ll(const struct doctor_host *h, const char *path, int *err)
{
	char buf[64];

	*err = doctor_read(h, buf, sizeof(buf), "%s", path);
	return *err ? 0 : strtoll(buf, NULL, 10);
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long since(unsigned long long now, unsigned long long then)
{
	return now >= then ? now - then : 0; /* a CPU gone, or a counter wrapped */
}

void doctor_softnet_begin(const struct doctor_host *h)
{
	struct doctor_window *w = h->window;

	w->softnet_err = softnet(h, &w->softnet_dropped, &w->softnet_squeezed);
}

/*
 * The drops and squeezes of the window (doctor.h, struct doctor_softnet):
 * 0, 1 when there is no window yet (the daemon's first run), or -errno.
 */
static int softnet_window(const struct doctor_host *h, struct doctor_softnet **out)
{
	struct doctor_softnet *s = h->softnet;
	unsigned long long d, q, d2, q2;
	int err;

	*out = s;
	if (s->have_window && s->taken == s->run)
		return 0;
	if (h->window_ms && h->window && h->window->taken) {
		/* the run's first read, before its one wait */
		err = h->window->softnet_err;
		d = h->window->softnet_dropped, q = h->window->softnet_squeezed;
	} else {
		err = softnet(h, &d, &q);
		if (!err && h->window_ms)
			h->wait(h->window_ms);
	}
	if (err)
		return err;
	if (h->window_ms) {
		err = softnet(h, &d2, &q2);
		if (err)
			return err;
		s->window_dropped = since(d2, d);
		s->window_squeezed = since(q2, q);
		s->window_s = doctor_window_s(h);
		d = d2, q = q2;
	} else if (s->have_last) {
		double now = monotonic_s();

		s->window_dropped = since(d, s->dropped);
		s->window_squeezed = since(q, s->squeezed);
		s->window_s = now - s->at;
	} else {
		s->dropped = d, s->squeezed = q, s->at = monotonic_s();
		s->have_last = true;
		return 1;
	}
	s->dropped = d, s->squeezed = q, s->at = monotonic_s();
	s->have_last = s->have_window = true;
	s->taken = s->run;
	return 0;
}

/* The finding for a read that failed or has no window yet. */
static bool no_window(struct doctor_finding *f, int err)
{
	if (err < 0) {
		doctor_unreadable(f, err, "/proc/net/softnet_stat");
		return true;
	}
	if (err > 0) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->where, "/proc/net/softnet_stat");
		doctor_set(f->value, "judged from the next run on, over the time between runs");
		return true;
	}
	return false;
}

static const char *window(char *buf, size_t size, double s)
{
	snprintf(buf, size, s < 10 ? "%.1f s" : "%.0f s", s);
	return buf;
}

/* netdev_max_backlog, judged by the softnet backlog drops it caused. */
static void judge_backlog(const struct doctor_host *h, const struct doctor_check *k,
			  struct doctor_finding *f)
{
	struct doctor_softnet *s;
	long long backlog;
	char w[32];
	int err;

	backlog = read_ll(h, k->path, &err);
	if (err)
		return doctor_unreadable(f, err, k->path);
	if (no_window(f, softnet_window(h, &s)))
		return;
	doctor_set(f->where, "%s, /proc/net/softnet_stat (column 2, dropped) twice, %s apart",
		   k->path, window(w, sizeof(w), s->window_s));
	doctor_set(f->value,
		   "%lld; %llu packets dropped for a full backlog in %s (%llu since boot)", backlog,
		   s->window_dropped, w, s->dropped);
	f->state = s->window_dropped ? DOCTOR_FAIL : DOCTOR_OK;
	doctor_set(f->recommended, "%lld", s->window_dropped ? backlog * 2 : backlog);
	snprintf(f->apply, sizeof(f->apply), "sysctl -w net.core.netdev_max_backlog=%lld",
		 s->window_dropped ? backlog * 2 : backlog);
}

/* netdev_budget(_usecs), judged by time_squeeze: net_rx ran out of budget. */
static void judge_budget(const struct doctor_host *h, const struct doctor_check *k,
			 struct doctor_finding *f)
{
	static const char usecs_path[] = "/proc/sys/net/core/netdev_budget_usecs";
	struct doctor_softnet *s;
	long long budget, usecs;
	char w[32];
	int err;

	budget = read_ll(h, k->path, &err);
	if (err)
		return doctor_unreadable(f, err, k->path);
	usecs = read_ll(h, usecs_path, &err);
	if (err)
		usecs = 0;
	if (no_window(f, softnet_window(h, &s)))
		return;
	doctor_set(f->where,
		   "%s, %s, /proc/net/softnet_stat (column 3, time_squeeze) twice, %s apart",
		   k->path, usecs_path, window(w, sizeof(w), s->window_s));
	doctor_set(
		f->value,
		"budget %lld packets, %lld us; net_rx ran out of it %llu times in %s (%llu since "
		"boot)",
		budget, usecs, s->window_squeezed, w, s->squeezed);
	f->state = s->window_squeezed ? DOCTOR_FAIL : DOCTOR_OK;
	if (s->window_squeezed) {
		doctor_set(f->recommended, "budget %lld, %lld us", budget * 2, usecs * 2);
		snprintf(f->apply, sizeof(f->apply),
			 "sysctl -w net.core.netdev_budget=%lld net.core.netdev_budget_usecs=%lld",
			 budget * 2, usecs * 2);
	} else {
		doctor_set(f->recommended, "budget %lld, %lld us", budget, usecs);
	}
}

/* ---- RPS and XPS ---------------------------------------------------------- */

/* A queue of a NIC and its mask. */
struct queue {
	unsigned index;
	cpu_set_t set;
};

static int cmp_queue(const void *a, const void *b)
{
	unsigned x = ((const struct queue *)a)->index, y = ((const struct queue *)b)->index;

	return x < y ? -1 : x > y;
}

/* The rx-N (rps_cpus) or tx-N (xps_cpus) queues of a NIC that have the
 * file, by index (malloc'd; *n of them). */
static struct queue *read_queues(const struct doctor_host *h, const char *nic, bool rx, unsigned *n)
{
	const char *file = rx ? "rps_cpus" : "xps_cpus";
	struct queue *q = NULL;
	unsigned cap = 0;
	char path[512];
	struct dirent *e;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "%s/sys/class/net/%s/queues", h->root, nic);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char buf[1024], *end;
		unsigned long index;

		if (strncmp(e->d_name, rx ? "rx-" : "tx-", 3))
			continue;
		index = strtoul(e->d_name + 3, &end, 10);
		if (*end || end == e->d_name + 3 ||
		    doctor_read(h, buf, sizeof(buf), "/sys/class/net/%s/queues/%s/%s", nic,
				e->d_name, file))
			continue;
		if (*n == cap) {
			struct queue *more = realloc(q, (cap = cap ? 2 * cap : 64) * sizeof(*q));

			if (!more)
				break;
			q = more;
		}
		q[*n].index = (unsigned)index;
		if (doctor_parse_cpumask(buf, &q[*n].set))
			continue;
		(*n)++;
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(q, *n, sizeof(*q), cmp_queue);
	return q;
}

/*
 * Every rx queue's rps_cpus (rx) or tx queue's xps_cpus (tx) of every NIC.
 * RPS: no isolated CPU may process another CPU's packets; the fix is 0 (no
 * RPS) on that queue. XPS: an isolated CPU's tx queue is its own, shared
 * with no housekeeping CPU (whose sends would contend for it); the fix
 * gives the shared queue to its housekeeping CPUs and each isolated CPU a
 * queue that no other CPU sends on (one with an empty mask), in masks
 * that the kernel's bitmap_parse() takes for nr_cpu_ids CPUs.
 */
static void judge_queue_masks(const struct doctor_host *h, const struct doctor_check *k,
			      struct doctor_finding *f, bool rx)
{
	struct nic nics[NIC_MAX];
	unsigned n = list_nics(h, nics), seen = 0;
	char list[1024], mask[1024], cmds[2 * DOCTOR_TEXT] = "";
	const char *file = rx ? "rps_cpus" : "xps_cpus";
	cpu_set_t homeless;
	bool cut = false;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	CPU_ZERO(&homeless);
	f->state = DOCTOR_OK;
	for (unsigned i = 0; i < n; i++) {
		unsigned nq;
		struct queue *q = read_queues(h, nics[i].name, rx, &nq);
		cpu_set_t need;

		seen += nq;
		CPU_ZERO(&need);
		for (unsigned j = 0; j < nq; j++) {
			cpu_set_t hit, rest;

			CPU_AND(&hit, &q[j].set, &h->isolated);
			CPU_XOR(&rest, &q[j].set, &hit);
			if (!CPU_COUNT(&hit) || (!rx && !CPU_COUNT(&rest)))
				continue;
			f->state = DOCTOR_FAIL;
			format_cpulist(&q[j].set, list, sizeof(list));
			doctor_append(f->value, sizeof(f->value), "%s%s %s-%u %s=%s",
				      f->value[0] ? ", " : "", nics[i].name, rx ? "rx" : "tx",
				      q[j].index, file, list);
			if (rx) {
				CPU_ZERO(&rest);
			} else {
				CPU_OR(&need, &need, &hit);
				q[j].set = rest;
			}
			format_cpumask(&rest, h->nr_cpus, mask, sizeof(mask));
			cut |= snprintf(list, sizeof(list),
					"%secho %s > /sys/class/net/%s/queues/%s-%u/%s",
					cmds[0] ? "; " : "", mask, nics[i].arg, rx ? "rx" : "tx",
					q[j].index, file) >= (int)sizeof(list);
			if (strlen(cmds) + strlen(list) + 1 < sizeof(cmds))
				strcat(cmds, list);
			else
				cut = true;
		}
		/* each isolated CPU that sent on a shared queue: a free queue of its own */
		for (unsigned c = 0; c < CPU_SETSIZE && CPU_COUNT(&need); c++) {
			cpu_set_t own;
			unsigned j;

			if (!CPU_ISSET(c, &need))
				continue;
			CPU_CLR(c, &need);
			for (j = 0; j < nq && CPU_COUNT(&q[j].set); j++)
				;
			if (j == nq) {
				CPU_SET(c, &homeless);
				continue;
			}
			CPU_ZERO(&own);
			CPU_SET(c, &own);
			q[j].set = own;
			format_cpumask(&own, h->nr_cpus, mask, sizeof(mask));
			snprintf(list, sizeof(list),
				 "%secho %s > /sys/class/net/%s/queues/tx-%u/xps_cpus",
				 cmds[0] ? "; " : "", mask, nics[i].arg, q[j].index);
			if (strlen(cmds) + strlen(list) + 1 < sizeof(cmds))
				strcat(cmds, list);
			else
				cut = true;
		}
		free(q);
	}
	doctor_set(f->where, "/sys/class/net/*/queues/%s-*/%s", rx ? "rx" : "tx", file);
	if (!seen) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no NIC queue has %s (no physical NIC, or no CONFIG_%s)", file,
			   rx ? "RPS" : "XPS");
		return;
	}
	if (f->state == DOCTOR_OK) {
		doctor_set(f->value,
			   rx ? "no RPS mask includes an isolated CPU"
			      : "no tx queue is shared by isolated and housekeeping CPUs");
		doctor_set(f->recommended, "as now");
		return;
	}
	doctor_set(f->recommended,
		   rx ? "0 (or housekeeping CPUs only)" : "a tx queue of its own per isolated CPU");
	if (CPU_COUNT(&homeless)) {
		char lack[1024];

		format_cpulist(&homeless, lack, sizeof(lack));
		doctor_append(f->recommended, sizeof(f->recommended),
			      "; no free tx queue for CPUs %s: add channels (ethtool -L)", lack);
	}
	if (cut) /* never a part of the commands: the queues are said above */
		doctor_set(f->apply,
			   "too many queues to list here: write %s of the queues named "
			   "above as recommended",
			   file);
	else
		snprintf(f->apply, sizeof(f->apply), "%s", cmds);
}

static void judge_rps(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	judge_queue_masks(h, k, f, true);
}

static void judge_xps(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f)
{
	judge_queue_masks(h, k, f, false);
}

/* ---- NICs through ethtool --------------------------------------------------- */

/*
 * One ethtool read per NIC; each NIC adds its verdict to the finding. A NIC
 * that does not support the operation is said so; the check fails when one
 * NIC that does fails, and is not applicable when none supports it.
 */
typedef int nic_judge_fn(const struct doctor_host *h, const struct nic *nic,
			 struct doctor_finding *f);

static void judge_nics(const struct doctor_host *h, struct doctor_finding *f, nic_judge_fn *fn,
		       const char *where)
{
	struct nic nics[NIC_MAX];
	unsigned n = list_nics(h, nics), supported = 0, failed = 0;

	doctor_set(f->where, "%s", where);
	if (!n) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no physical NIC in /sys/class/net");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		int r = fn(h, &nics[i], f);

		if (r == -EOPNOTSUPP || r == -EINVAL || r == -ENODEV || r == -ENOTTY) {
			doctor_append(f->value, sizeof(f->value),
				      "%s%s: not supported by this NIC (%s)",
				      f->value[0] ? "; " : "", nics[i].name, nics[i].driver);
			continue;
		}
		if (r == -EPERM || r == -EACCES) {
			doctor_append(f->value, sizeof(f->value), "%s%s: needs root",
				      f->value[0] ? "; " : "", nics[i].name);
			continue;
		}
		if (r < 0) {
			doctor_append(f->value, sizeof(f->value), "%s%s: %s",
				      f->value[0] ? "; " : "", nics[i].name, strerror(-r));
			continue;
		}
		supported++;
		failed += r > 0;
	}
	f->state = !supported ? DOCTOR_NOT_APPLICABLE : failed ? DOCTOR_FAIL : DOCTOR_OK;
}

#define SEP(f) ((f)->value[0] ? "; " : "")

static int nic_rings(const struct doctor_host *h, const struct nic *nic, struct doctor_finding *f)
{
	struct ethtool_ringparam r = { .cmd = ETHTOOL_GRINGPARAM };
	int err = h->ethtool(nic->name, &r);

	if (err)
		return err;
	doctor_append(f->value, sizeof(f->value), "%s%s rx %u of %u", SEP(f), nic->name,
		      r.rx_pending, r.rx_max_pending);
	doctor_append(f->recommended, sizeof(f->recommended), "%s%s rx %u",
		      f->recommended[0] ? "; " : "", nic->name, r.rx_max_pending);
	if (r.rx_pending >= r.rx_max_pending)
		return 0;
	doctor_append(f->apply, sizeof(f->apply), "%sethtool -G %s rx %u", f->apply[0] ? "; " : "",
		      nic->arg, r.rx_max_pending);
	return 1;
}

static void judge_rings(const struct doctor_host *h, const struct doctor_check *k,
			struct doctor_finding *f)
{
	(void)k;
	judge_nics(h, f, nic_rings, "ethtool -g (ETHTOOL_GRINGPARAM)");
}

static int nic_coalesce(const struct doctor_host *h, const struct nic *nic,
			struct doctor_finding *f)
{
	struct ethtool_coalesce c = { .cmd = ETHTOOL_GCOALESCE };
	int err = h->ethtool(nic->name, &c);

	if (err)
		return err;
	doctor_append(f->value, sizeof(f->value), "%s%s rx-usecs %u rx-frames %u adaptive-rx %s",
		      SEP(f), nic->name, c.rx_coalesce_usecs, c.rx_max_coalesced_frames,
		      c.use_adaptive_rx_coalesce ? "on" : "off");
	if (!f->recommended[0])
		doctor_set(f->recommended, "adaptive-rx off, rx-usecs 0, rx-frames 1");
	if (!c.use_adaptive_rx_coalesce && c.rx_coalesce_usecs == 0)
		return 0;
	doctor_append(f->apply, sizeof(f->apply),
		      "%sethtool -C %s adaptive-rx off rx-usecs 0 rx-frames 1",
		      f->apply[0] ? "; " : "", nic->arg);
	return 1;
}

static void judge_coalesce(const struct doctor_host *h, const struct doctor_check *k,
			   struct doctor_finding *f)
{
	(void)k;
	judge_nics(h, f, nic_coalesce, "ethtool -c (ETHTOOL_GCOALESCE)");
}

static int nic_offloads(const struct doctor_host *h, const struct nic *nic,
			struct doctor_finding *f)
{
	struct ethtool_value gro = { .cmd = ETHTOOL_GGRO }, flags = { .cmd = ETHTOOL_GFLAGS };
	int err = h->ethtool(nic->name, &gro);
	bool lro;

	if (err)
		return err;
	err = h->ethtool(nic->name, &flags);
	if (err)
		return err;
	lro = flags.data & ETH_FLAG_LRO;
	doctor_append(f->value, sizeof(f->value), "%s%s gro %s lro %s", SEP(f), nic->name,
		      gro.data ? "on" : "off", lro ? "on" : "off");
	if (!f->recommended[0])
		doctor_set(f->recommended, "gro off, lro off");
	if (!gro.data && !lro)
		return 0;
	doctor_append(f->apply, sizeof(f->apply), "%sethtool -K %s gro off lro off",
		      f->apply[0] ? "; " : "", nic->arg);
	return 1;
}

static void judge_offloads(const struct doctor_host *h, const struct doctor_check *k,
			   struct doctor_finding *f)
{
	(void)k;
	judge_nics(h, f, nic_offloads, "ethtool -k (ETHTOOL_GGRO, ETHTOOL_GFLAGS)");
}

/* Channels (queue pairs): each needs an IRQ on a housekeeping CPU. */
static int nic_channels(const struct doctor_host *h, const struct nic *nic,
			struct doctor_finding *f)
{
	struct ethtool_channels c = { .cmd = ETHTOOL_GCHANNELS };
	int err = h->ethtool(nic->name, &c);
	unsigned hk = 0, have;

	if (err)
		return err;
	for (unsigned cpu = 0; cpu < h->nr_cpus && cpu < CPU_SETSIZE; cpu++)
		hk += !CPU_ISSET(cpu, &h->isolated);
	have = c.combined_count + c.rx_count;
	doctor_append(f->value, sizeof(f->value), "%s%s combined %u rx %u (max combined %u)",
		      SEP(f), nic->name, c.combined_count, c.rx_count, c.max_combined);
	doctor_set(f->recommended, "at most one queue per housekeeping CPU (%u)", hk);
	if (!h->have_isolated || have <= hk || !hk)
		return 0;
	doctor_append(f->apply, sizeof(f->apply), "%sethtool -L %s combined %u",
		      f->apply[0] ? "; " : "", nic->arg, hk);
	return 1;
}

static void judge_channels(const struct doctor_host *h, const struct doctor_check *k,
			   struct doctor_finding *f)
{
	(void)k;
	judge_nics(h, f, nic_channels, "ethtool -l (ETHTOOL_GCHANNELS)");
}

/* Transmit coalescing: completions held back delay the freeing of sent
 * buffers (and BQL's view of the queue), and adaptive-tx moves the delay. */
static int nic_coalesce_tx(const struct doctor_host *h, const struct nic *nic,
			   struct doctor_finding *f)
{
	struct ethtool_coalesce c = { .cmd = ETHTOOL_GCOALESCE };
	int err = h->ethtool(nic->name, &c);

	if (err)
		return err;
	doctor_append(f->value, sizeof(f->value), "%s%s tx-usecs %u tx-frames %u adaptive-tx %s",
		      SEP(f), nic->name, c.tx_coalesce_usecs, c.tx_max_coalesced_frames,
		      c.use_adaptive_tx_coalesce ? "on" : "off");
	if (!f->recommended[0])
		doctor_set(f->recommended, "adaptive-tx off, tx-usecs 0, tx-frames 1");
	if (!c.use_adaptive_tx_coalesce && c.tx_coalesce_usecs == 0)
		return 0;
	doctor_append(f->apply, sizeof(f->apply),
		      "%sethtool -C %s adaptive-tx off tx-usecs 0 tx-frames 1",
		      f->apply[0] ? "; " : "", nic->arg);
	return 1;
}

static void judge_coalesce_tx(const struct doctor_host *h, const struct doctor_check *k,
			      struct doctor_finding *f)
{
	(void)k;
	judge_nics(h, f, nic_coalesce_tx, "ethtool -c (ETHTOOL_GCOALESCE)");
}

/* Pause frames: a peer (or this NIC) that sends XOFF stops the link for up
 * to 65535 quanta (3.4 ms at 10 Gb/s) per frame. */
static int nic_pause(const struct doctor_host *h, const struct nic *nic, struct doctor_finding *f)
{
	struct ethtool_pauseparam p = { .cmd = ETHTOOL_GPAUSEPARAM };
	int err = h->ethtool(nic->name, &p);

	if (err)
		return err;
	doctor_append(f->value, sizeof(f->value), "%s%s autoneg %s rx %s tx %s", SEP(f), nic->name,
		      p.autoneg ? "on" : "off", p.rx_pause ? "on" : "off",
		      p.tx_pause ? "on" : "off");
	if (!f->recommended[0])
		doctor_set(f->recommended, "rx off, tx off (drops show as drops, not as stalls)");
	if (!p.rx_pause && !p.tx_pause)
		return 0;
	doctor_append(f->apply, sizeof(f->apply), "%sethtool -A %s autoneg off rx off tx off",
		      f->apply[0] ? "; " : "", nic->arg);
	return 1;
}

static void judge_pause(const struct doctor_host *h, const struct doctor_check *k,
			struct doctor_finding *f)
{
	(void)k;
	judge_nics(h, f, nic_pause, "ethtool -a (ETHTOOL_GPAUSEPARAM)");
}

/*
 * gro_flush_timeout and napi_defer_hard_irqs (/sys/class/net/<nic>/): a
 * timeout holds GRO's packets until a timer flushes them, and deferred IRQs
 * leave the queue to that timer: both trade latency for fewer interrupts.
 */
static void judge_gro_flush(const struct doctor_host *h, const struct doctor_check *k,
			    struct doctor_finding *f)
{
	struct nic nics[NIC_MAX];
	unsigned n = list_nics(h, nics), seen = 0, bad = 0;

	(void)k;
	doctor_set(f->where, "/sys/class/net/*/gro_flush_timeout, napi_defer_hard_irqs");
	doctor_set(f->recommended, "0 and 0");
	for (unsigned i = 0; i < n; i++) {
		char t[32], d[32] = "0";

		if (doctor_read(h, t, sizeof(t), "/sys/class/net/%s/gro_flush_timeout",
				nics[i].name))
			continue;
		doctor_read(h, d, sizeof(d), "/sys/class/net/%s/napi_defer_hard_irqs",
			    nics[i].name);
		seen++;
		doctor_append(f->value, sizeof(f->value),
			      "%s%s gro_flush_timeout %s napi_defer_hard_irqs %s", SEP(f),
			      nics[i].name, t, d);
		if (!strcmp(t, "0") && !strcmp(d, "0"))
			continue;
		bad++;
		doctor_append(f->apply, sizeof(f->apply),
			      "%secho 0 > /sys/class/net/%s/gro_flush_timeout; echo 0 > "
			      "/sys/class/net/%s/napi_defer_hard_irqs",
			      f->apply[0] ? "; " : "", nics[i].arg, nics[i].arg);
		doctor_append(f->persist, sizeof(f->persist),
			      "%sACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"%s\", "
			      "ATTR{gro_flush_timeout}=\"0\", ATTR{napi_defer_hard_irqs}=\"0\" in "
			      "/etc/udev/rules.d/90-latency.rules",
			      f->persist[0] ? "; " : "", nics[i].name);
	}
	if (!seen) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no physical NIC has gro_flush_timeout");
		return;
	}
	f->state = bad ? DOCTOR_FAIL : DOCTOR_OK;
}

/*
 * NIC locality: every packet is DMA'd into the NIC's NUMA node; a workload
 * on another node reads each one across the interconnect. The CPUs judged
 * are the workloads' (doctor_workload_cpus), else the isolated ones.
 */
static void judge_nic_numa(const struct doctor_host *h, const struct doctor_check *k,
			   struct doctor_finding *f)
{
	struct nic nics[NIC_MAX];
	unsigned n = list_nics(h, nics), seen = 0;
	char list[1024], far_s[1024];
	cpu_set_t local, target, far;
	bool workload;

	(void)k;
	if (!h->have_isolated) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no isolated CPUs (%s)", h->isolated_from);
		return;
	}
	workload = doctor_workload_cpus(h, &target);
	if (workload)
		CPU_AND(&target, &target, &h->isolated);
	if (!workload || !CPU_COUNT(&target))
		target = h->isolated, workload = false;
	CPU_ZERO(&local);
	doctor_set(f->where, "/sys/class/net/*/device/{numa_node,local_cpulist}%s",
		   workload ? ", the workloads' Cpus_allowed_list" : "");
	for (unsigned i = 0; i < n; i++) {
		char node[16], buf[4096];
		const char *why;
		cpu_set_t set;

		if (doctor_read(h, node, sizeof(node), "/sys/class/net/%s/device/numa_node",
				nics[i].name) ||
		    doctor_read(h, buf, sizeof(buf), "/sys/class/net/%s/device/local_cpulist",
				nics[i].name) ||
		    parse_kernel_cpulist(buf, h->nr_cpus, &set, &why))
			continue;
		seen++;
		CPU_OR(&local, &local, &set);
		doctor_append(f->value, sizeof(f->value), "%s%s node %s (CPUs %s)", SEP(f),
			      nics[i].name, node, buf);
	}
	if (!seen) {
		f->state = DOCTOR_NOT_APPLICABLE;
		doctor_set(f->value, "no physical NIC with a NUMA node in /sys/class/net");
		return;
	}
	CPU_XOR(&far, &target, &local);
	CPU_AND(&far, &far, &target);
	format_cpulist(&target, list, sizeof(list));
	doctor_set(f->recommended, "the %s CPUs (%s) on a NIC's node",
		   workload ? "workloads'" : "isolated", list);
	if (!CPU_COUNT(&far)) {
		f->state = DOCTOR_OK;
		doctor_append(f->value, sizeof(f->value), "; the %s CPUs %s are local",
			      workload ? "workloads'" : "isolated", list);
		return;
	}
	f->state = DOCTOR_FAIL;
	format_cpulist(&far, far_s, sizeof(far_s));
	doctor_append(f->value, sizeof(f->value), "; %s CPUs %s are local to no NIC",
		      workload ? "the workloads'" : "isolated", far_s);
	format_cpulist(&local, list, sizeof(list));
	doctor_set(f->apply,
		   "run the feed handler on CPUs of its NIC's node (%s): isolate CPUs there "
		   "(tuned's isolated_cores, the isolcpus list, the cpu group), or move the NIC to "
		   "a slot of the "
		   "workload's node",
		   list);
	doctor_set(f->persist, "tuned's isolated_cores= and the boot loader's isolcpus= on "
			       "the NIC's node");
}

#define SYSCTL(id_, path_, op_, want_) .path = path_, .sysctl = id_, .op = op_, .want = want_

const struct doctor_check doctor_net_checks[] = {
	{ "net.busy_read", "net", DOCTOR_WARNING,
	  "Busy polling spins in the socket read for this many microseconds instead of sleeping "
	  "until the softirq wakes the thread.",
	  REF_KERNEL("networking/napi.rst (busy polling)") "; " REF_RHEL_NET, "network-latency",
	  .slow = false, doctor_judge_int,
	  SYSCTL("net.core.busy_read", "/proc/sys/net/core/busy_read", '>', 50),
	  .tuned_key = "net.core.busy_read" },
	{ "net.busy_poll", "net", DOCTOR_WARNING,
	  "The same for poll() and select(): without it every wake-up goes through the softirq "
	  "and the scheduler.",
	  REF_KERNEL("networking/napi.rst (busy polling)") "; " REF_RHEL_NET, "network-latency",
	  .slow = false, doctor_judge_int,
	  SYSCTL("net.core.busy_poll", "/proc/sys/net/core/busy_poll", '>', 50),
	  .tuned_key = "net.core.busy_poll" },
	{ "net.rmem_max", "net", DOCTOR_WARNING,
	  "SO_RCVBUF is capped at rmem_max: a feed that bursts past it drops packets "
	  "(rcvbuf_full) however large the application asks.",
	  REF_RHEL_NET "; " REF_SFC, "", .slow = false, doctor_judge_int,
	  SYSCTL("net.core.rmem_max", "/proc/sys/net/core/rmem_max", '>', 16777216) },
	{ "net.wmem_max", "net", DOCTOR_INFO,
	  "SO_SNDBUF is capped at wmem_max: a sender that bursts past it blocks or gets EAGAIN.",
	  REF_RHEL_NET, "", .slow = false, doctor_judge_int,
	  SYSCTL("net.core.wmem_max", "/proc/sys/net/core/wmem_max", '>', 16777216) },
	{ "net.rmem_default", "net", DOCTOR_INFO,
	  "Sockets that never set SO_RCVBUF get rmem_default; 208 KiB holds a few ms of a busy "
	  "feed.",
	  REF_RHEL_NET, "", .slow = false, doctor_judge_int,
	  SYSCTL("net.core.rmem_default", "/proc/sys/net/core/rmem_default", '>', 4194304) },
	{ "net.wmem_default", "net", DOCTOR_INFO,
	  "Sockets that never set SO_SNDBUF get wmem_default.", REF_RHEL_NET, "", .slow = false,
	  doctor_judge_int,
	  SYSCTL("net.core.wmem_default", "/proc/sys/net/core/wmem_default", '>', 4194304) },
	{ "net.netdev_max_backlog", "net", DOCTOR_WARNING,
	  "Packets that arrive while a CPU's input backlog is full are dropped before any socket "
	  "sees them.",
	  REF_RHEL_NET " (softnet_stat)", "", .slow = false, judge_backlog,
	  .path = "/proc/sys/net/core/netdev_max_backlog" },
	{ "net.netdev_budget", "net", DOCTOR_INFO,
	  "When net_rx runs out of its packet or time budget (time_squeeze) the rest waits for "
	  "ksoftirqd, a scheduler round trip later.",
	  REF_RHEL_NET " (time_squeeze)", "", .slow = false, judge_budget,
	  .path = "/proc/sys/net/core/netdev_budget" },
	{ "net.tcp_fastopen", "net", DOCTOR_INFO,
	  "TCP Fast Open (3 = client and server) saves a round trip on each new connection.",
	  REF_KERNEL("networking/ip-sysctl.rst"), "network-latency", .slow = false,
	  doctor_judge_int,
	  SYSCTL("net.ipv4.tcp_fastopen", "/proc/sys/net/ipv4/tcp_fastopen", '=', 3),
	  .tuned_key = "net.ipv4.tcp_fastopen" },
	{ "net.rps", "net", DOCTOR_WARNING,
	  "An RPS mask that includes an isolated CPU makes it run other CPUs' receive processing "
	  "in softirq.",
	  REF_KERNEL("networking/scaling.rst (RPS)"), "", .slow = false, judge_rps },
	{ "net.xps", "net", DOCTOR_INFO,
	  "A tx queue shared by an isolated CPU and housekeeping CPUs makes their sends contend "
	  "for its lock.",
	  REF_KERNEL("networking/scaling.rst (XPS)"), "", .slow = false, judge_xps },
	{ "nic.rings", "nic", DOCTOR_INFO,
	  "A receive ring below its maximum overflows first when a burst outpaces net_rx.",
	  REF_RHEL_NET " (ring buffers)", "", .slow = false, judge_rings },
	{ "nic.coalesce", "nic", DOCTOR_WARNING,
	  "Interrupt coalescing holds each packet in the NIC for up to rx-usecs before raising "
	  "the interrupt.",
	  REF_SFC "; " REF_RHEL_NET " (interrupt coalescence)", "", .slow = false, judge_coalesce,
	  .tuned_key = "coalesce=" },
	{ "nic.coalesce_tx", "nic", DOCTOR_INFO,
	  "Transmit coalescing holds completions back: sent buffers are freed late and the "
	  "queue looks full to BQL; adaptive-tx changes the delay under load.",
	  REF_SFC "; " REF_RHEL_NET " (interrupt coalescence)", "", .slow = false,
	  judge_coalesce_tx, .tuned_key = "coalesce=" },
	{ "nic.pause", "nic", DOCTOR_INFO,
	  "A pause frame stops the link for up to 65535 quanta (3.4 ms at 10 Gb/s): a stall "
	  "instead of a drop.",
	  "IEEE 802.3 annex 31B; " REF_SFC, "", .slow = false, judge_pause, .tuned_key = "pause=" },
	{ "net.gro_flush_timeout", "nic", DOCTOR_WARNING,
	  "gro_flush_timeout holds GRO's packets until a timer flushes them, and "
	  "napi_defer_hard_irqs leaves the queue to that timer instead of the interrupt.",
	  REF_KERNEL("networking/napi.rst (IRQ mitigation)"), "", .slow = false, judge_gro_flush,
	  .tuned_key = "gro_flush_timeout|napi_defer_hard_irqs" },
	{ "nic.numa", "nic", DOCTOR_WARNING,
	  "Packets are written into the NIC's NUMA node: a feed handler on another node reads "
	  "each one across the interconnect.",
	  REF_KERNEL("ABI/testing/sysfs-bus-pci (numa_node, local_cpulist)") "; " REF_RHEL_NET, "",
	  .slow = true, judge_nic_numa },
	{ "nic.offloads", "nic", DOCTOR_INFO,
	  "GRO and LRO hold packets back to merge them: fewer interrupts, but each packet waits "
	  "for the batch.",
	  REF_KERNEL("networking/segmentation-offloads.rst") "; " REF_SFC, "", .slow = false,
	  judge_offloads },
	{ "nic.channels", "nic", DOCTOR_INFO,
	  "Each channel has an IRQ: more channels than housekeeping CPUs puts IRQs on isolated "
	  "CPUs or stacks them.",
	  REF_RHEL_NET, "realtime ([net] channels)", .slow = false, judge_channels,
	  .tuned_key = "channels" },
};
const unsigned n_doctor_net_checks = sizeof(doctor_net_checks) / sizeof(doctor_net_checks[0]);
