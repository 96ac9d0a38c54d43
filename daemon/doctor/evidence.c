// SPDX-License-Identifier: MIT
/*
 * Evidence: what a running jitterd measured, turned into findings.
 *
 *   - a socket class that dropped packets for rcvbuf_full: the receive
 *     buffer to set, sized from its peak queue and what it dropped;
 *   - softirq and hardirq time on isolated CPUs: the IRQs and RPS masks
 *     that put it there;
 *   - run-queue outliers on isolated CPUs (/events): the tasks that held
 *     the CPU, and the setting that would keep them off;
 *   - the interruptions of each isolated CPU as the noise collector counted
 *     them (local timer, IPIs) and device IRQs: the effect of the
 *     isolation, a rate since the daemon started.
 *   - a socket class whose datagrams wait inside the host
 *     (collectors.sockets.latency): the part that waits, and what to do.
 *
 * /metrics and /events are read with libcurl (--cacert and --user are
 * passed to it as they are); the exposition is parsed just enough to find
 * the few families used here.
 */
#include "doctor/doctor.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/parse.h"

static const struct doctor_check evidence_checks[] = {
	{ "evidence.socket_drops", "evidence", DOCTOR_CRITICAL,
	  "A datagram that finds the receive buffer full is dropped: a gap in the feed, and a "
	  "recovery round trip.",
	  "jitterd_socket_drops_total, jitterd_socket_receive_queue_peak_bytes, "
	  "jitterd_socket_dropped_bytes_total; socket(7) SO_RCVBUF",
	  "", .slow = false, NULL },
	{ "evidence.isolated_irq_time", "evidence", DOCTOR_WARNING,
	  "Interrupt and softirq time on an isolated CPU is time the latency-critical thread did "
	  "not run.",
	  "jitterd_softirq_seconds_total, jitterd_hardirq_seconds_total; "
	  "Linux kernel documentation, core-api/irq/irq-affinity.rst, networking/scaling.rst",
	  "cpu-partitioning", .slow = false, NULL },
	{ "evidence.isolated_runqueue", "evidence", DOCTOR_WARNING,
	  "A thread that waits for an isolated CPU was delayed by whatever else ran there.",
	  "jitterd /events runqueue_latency; Linux kernel documentation, "
	  "admin-guide/kernel-per-CPU-kthreads.rst",
	  "cpu-partitioning", .slow = false, NULL },
	{ "evidence.isolated_interruptions", "evidence", DOCTOR_CRITICAL,
	  "A tick, an IPI or a device IRQ on an isolated CPU preempts the workload whatever the "
	  "settings say: measured by the running daemon since it started, with what keeps the "
	  "tick and who sends the IPIs.",
	  "jitterd_interruptions_total, jitterd_tick_kept_total, "
	  "jitterd_interruption_cause_interruptions_total (the noise collector), "
	  "jitterd_hardirqs_total; Linux kernel documentation, timers/no_hz.rst, "
	  "x86/tlb.rst; membarrier(2)",
	  "", .slow = false, NULL },
	{ "evidence.socket_latency", "evidence", DOCTOR_WARNING,
	  "A datagram that waits inside the host reaches the strategy late: in the kernel's "
	  "receive path, or in the socket's queue while the reader is late.",
	  "jitterd_socket_receive_stage_seconds; socket(7) SO_BUSY_POLL; Linux kernel "
	  "documentation, networking/scaling.rst, admin-guide/sysctl/net.rst busy_read",
	  "", .slow = false, NULL },
};

enum { EV_DROPS, EV_IRQ_TIME, EV_RUNQ, EV_INTERRUPTIONS, EV_LATENCY };

/* The families read here, as the collectors that serve them name them
 * (the noise collector's: daemon/collectors/noise.h). */
#define INTERRUPTIONS "jitterd_interruptions_total"
#define HARDIRQS      "jitterd_hardirqs_total"
#define TICK_KEPT     "jitterd_tick_kept_total"
#define IPI_CAUSES    "jitterd_interruption_cause_interruptions_total"
#define CPU_GROUP     "jitterd_cpu_group_info"

/* ---- the exposition, minimally ------------------------------------------- */

/* The value of name{labels...} where every given label matches, summed over
 * the series that match; *found says whether any did. Labels: name, value
 * pairs, ended by LABELS_END. */
static double sample_sum(const char *text, const char *name, bool *found, ...)
{
	size_t nlen = strlen(name);
	double sum = 0;
	const char *line;

	*found = false;
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *end = strchr(line, '\n'), *labels, *value;
		bool match = true;
		va_list ap;

		if (!end)
			end = line + strlen(line);
		if (*line == '#' || strncmp(line, name, nlen) ||
		    (line[nlen] != '{' && line[nlen] != ' '))
			continue;
		labels = line + nlen;
		value = memchr(labels, ' ', (size_t)(end - labels));
		if (line[nlen] == '{') /* the value is after the closing brace */
			value = memchr(labels, '}', (size_t)(end - labels)),
			value = value ? value + 1 : NULL;
		if (!value)
			continue;
		va_start(ap, found);
		for (const char *l; (l = va_arg(ap, const char *));) {
			const char *v = va_arg(ap, const char *);
			char want[160];

			snprintf(want, sizeof(want), "%s=\"%s\"", l, v);
			if (!memmem(labels, (size_t)(value - labels), want, strlen(want)))
				match = false;
		}
		va_end(ap);
		if (match) {
			*found = true;
			sum += strtod(value, NULL);
		}
	}
	return sum;
}

/* Every value of label in name's series, distinct, into out (n of them). */
static unsigned label_values(const char *text, const char *name, const char *label, char (*out)[64],
			     unsigned max)
{
	char key[160];
	unsigned n = 0;
	size_t nlen = strlen(name);

	snprintf(key, sizeof(key), "%s=\"", label);
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n'), *p;

		if (!strncmp(line, name, nlen) && line[nlen] == '{' && (p = strstr(line, key)) &&
		    (!end || p < end)) {
			size_t len;
			unsigned i;

			p += strlen(key);
			len = strcspn(p, "\"");
			for (i = 0; i < n && !(strlen(out[i]) == len && !strncmp(out[i], p, len));
			     i++)
				;
			if (i == n && n < max && len < 64)
				snprintf(out[n++], 64, "%.*s", (int)len, p);
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}

/* 2994 -> "2,994" */
static const char *thousands(char *buf, size_t size, unsigned long long v)
{
	char digits[32];
	size_t len = (size_t)snprintf(digits, sizeof(digits), "%llu", v), o = 0;

	for (size_t i = 0; i < len && o + 2 < size; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *ago(char *buf, size_t size, double s)
{
	if (s < 120)
		snprintf(buf, size, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, size, "%.0f min", s / 60);
	else
		snprintf(buf, size, "%.1f h", s / 3600);
	return buf;
}

static struct doctor_finding *next(struct doctor_finding **out, unsigned *n, unsigned *cap,
				   unsigned which)
{
	struct doctor_finding *f;

	if (*n == *cap) {
		f = realloc(*out, (*cap * 2 + 4) * sizeof(**out));
		if (!f)
			return NULL;
		*out = f;
		*cap = *cap * 2 + 4;
	}
	f = &(*out)[(*n)++];
	memset(f, 0, sizeof(*f));
	f->check = &evidence_checks[which];
	return f;
}

static long long host_ll(const struct doctor_host *h, const char *path)
{
	char buf[64];

	return doctor_read(h, buf, sizeof(buf), "%s", path) ? 0 : strtoll(buf, NULL, 10);
}

/* ---- socket drops ---------------------------------------------------------- */

/*
 * The buffer to set. A class that drops for rcvbuf_full had its queue at
 * the buffer's size: the peak is the buffer, not the burst. What the burst
 * needed is the peak and the memory of what was dropped
 * (jitterd_socket_dropped_bytes_total, in the queue's unit, skb truesize),
 * at least; since jitterd started, so more than one burst counts them all.
 * A jitterd without that counter leaves only the peak: four times it, a
 * floor and said so. Rounded up to a power of two, at least 64 KiB.
 */
static unsigned long long power_of_two(unsigned long long want)
{
	unsigned long long p2 = 65536;

	while (p2 < want && p2 < (1ull << 62))
		p2 <<= 1;
	return p2;
}

/* A count or size read from an exposition (untrusted: --from may point
 * anywhere) that no kernel counter could hold is left out. */
static bool plausible(double v)
{
	return v >= 0 && v < 0x1p53; /* also false for NaN */
}

static void socket_drops(const struct doctor_host *h, const char *metrics, double uptime,
			 struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	char classes[32][64], a[32], b[32], c[32], d[32], when[32];
	unsigned nc = label_values(metrics, "jitterd_socket_drops_total", "socket", classes, 32);
	long long rmem_max = host_ll(h, "/proc/sys/net/core/rmem_max"),
		  rmem_default = host_ll(h, "/proc/sys/net/core/rmem_default");

	for (unsigned i = 0; i < nc; i++) {
		bool found, have_peak, have_dropped;
		double drops = sample_sum(metrics, "jitterd_socket_drops_total", &found, "socket",
					  classes[i], "reason", "rcvbuf_full", LABELS_END);
		double peak = sample_sum(metrics, "jitterd_socket_receive_queue_peak_bytes",
					 &have_peak, "socket", classes[i], LABELS_END);
		double dropped =
			sample_sum(metrics, "jitterd_socket_dropped_bytes_total", &have_dropped,
				   "socket", classes[i], "reason", "rcvbuf_full", LABELS_END);
		unsigned long long want, base;
		struct doctor_finding *f;
		const char *limit = "";

		if (!found || drops < 1 || !plausible(drops) || !plausible(peak) ||
		    !plausible(dropped))
			continue;
		f = next(out, n, cap, EV_DROPS);
		if (!f)
			return;
		base = peak > 0 ? (unsigned long long)peak : (unsigned long long)rmem_default;
		want = have_dropped && dropped > 0
			       ? power_of_two(base + (unsigned long long)dropped)
			       : power_of_two(4 * base);
		/* sk_rcvbuf is rmem_default for a socket that never set SO_RCVBUF, and
		 * twice what it asked (at most 2 x rmem_max) otherwise; a queue may
		 * pass it by one packet's truesize. */
		if (peak >= rmem_default && peak < rmem_default + 65536)
			limit = " = rmem_default (the application does not set SO_RCVBUF)";
		else if (peak >= 2.0 * rmem_max && peak < 2.0 * rmem_max + 65536)
			limit = " = 2 x rmem_max (the application asks for more than rmem_max "
				"lets it have)";
		snprintf(f->subject, sizeof(f->subject), "%s", classes[i]);
		f->state = DOCTOR_FAIL;
		if (peak > 0)
			doctor_set(f->value,
				   "%s dropped %s packets for rcvbuf_full since jitterd started %s "
				   "ago; its peak receive queue was %s bytes%s",
				   classes[i], thousands(a, sizeof(a), (unsigned long long)drops),
				   ago(when, sizeof(when), uptime),
				   thousands(b, sizeof(b), (unsigned long long)peak), limit);
		else
			doctor_set(f->value,
				   "%s dropped %s packets for rcvbuf_full since jitterd started %s "
				   "ago; no peak in the current window (peak_window), taken as "
				   "rmem_default %s bytes",
				   classes[i], thousands(a, sizeof(a), (unsigned long long)drops),
				   ago(when, sizeof(when), uptime),
				   thousands(b, sizeof(b), (unsigned long long)rmem_default));
		doctor_set(f->where,
			   "jitterd_socket_drops_total{socket=\"%s\",reason=\"rcvbuf_full\"}, "
			   "jitterd_socket_receive_queue_peak_bytes, "
			   "jitterd_socket_dropped_bytes_total, "
			   "/proc/sys/net/core/rmem_{max,default}",
			   classes[i]);
		if (have_dropped && dropped > 0)
			doctor_set(f->recommended,
				   "SO_RCVBUF at least %s bytes (the peak queue and the %s bytes "
				   "dropped, to a power of two)",
				   thousands(c, sizeof(c), want),
				   thousands(d, sizeof(d), (unsigned long long)dropped));
		else
			doctor_set(f->recommended,
				   "SO_RCVBUF at least %s bytes (4 x the peak, a power of two; "
				   "this jitterd does not count the bytes dropped, so the burst's "
				   "size is unknown)",
				   thousands(c, sizeof(c), want));
		if ((long long)want > rmem_max)
			snprintf(
				f->apply, sizeof(f->apply),
				"setsockopt(fd, SOL_SOCKET, SO_RCVBUF, %llu) in %s's receiver; and "
				"sysctl -w net.core.rmem_max=%llu (it is %lld, which caps it)",
				want, classes[i], want, rmem_max);
		else
			snprintf(f->apply, sizeof(f->apply),
				 "setsockopt(fd, SOL_SOCKET, SO_RCVBUF, %llu) in %s's receiver (or "
				 "sysctl -w net.core.rmem_default=%llu for every socket)",
				 want, classes[i], want);
	}
}

/* ---- time inside the host (collectors.sockets.latency) ------------------------ */

#define LATENCY_FLOOR_S 50e-6 /* a mean under this: nothing to say */

static void fmt_seconds(char *buf, size_t size, double s)
{
	if (s >= 1e-3)
		snprintf(buf, size, "%.2f ms", s * 1e3);
	else
		snprintf(buf, size, "%.0f us", s * 1e6);
}

/*
 * Per class, the mean time of a datagram (TCP: a chunk) in each stage since
 * jitterd started: the largest part says where to look; for TCP a wait for
 * a lost segment (hol) is neither the reader's nor the kernel's. The reader's: busy polling
 * (a reader asleep in recvmsg() is woken, then scheduled) where it is off,
 * else its thread's CPU; the stack's: where the receive path runs.
 */
static void socket_latency(const struct doctor_host *h, const char *metrics, double uptime,
			   struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	const char *sum = "jitterd_socket_receive_stage_seconds_sum",
		   *count = "jitterd_socket_receive_stage_seconds_count";
	char classes[32][64], a[32], b[32], c[32], d[32], when[32];
	unsigned nc = label_values(metrics, sum, "socket", classes, 32);
	long long busy_read = host_ll(h, "/proc/sys/net/core/busy_read");

	for (unsigned i = 0; i < nc; i++) {
		bool f1, f2, f3, f4;
		double ss = sample_sum(metrics, sum, &f1, "socket", classes[i], "stage", "stack",
				       LABELS_END);
		double sn = sample_sum(metrics, count, &f2, "socket", classes[i], "stage", "stack",
				       LABELS_END);
		double rs = sample_sum(metrics, sum, &f3, "socket", classes[i], "stage", "reader",
				       LABELS_END);
		double rn = sample_sum(metrics, count, &f4, "socket", classes[i], "stage", "reader",
				       LABELS_END);
		/* TCP classes: the wait for a lost segment, per chunk read. */
		bool tcp;
		double hs = sample_sum(metrics, sum, &tcp, "socket", classes[i], "stage", "hol",
				       LABELS_END);
		double stack, reader, hol;
		struct doctor_finding *f;

		if (!f1 || !f2 || !f3 || !f4 || sn < 1 || rn < 1 || !plausible(sn) ||
		    !plausible(rn) || !(ss >= 0) || !(rs >= 0))
			continue;
		stack = ss / sn;
		reader = rs / rn;
		hol = tcp && hs >= 0 ? hs / rn : 0;
		if (stack + hol + reader < LATENCY_FLOOR_S)
			continue;
		f = next(out, n, cap, EV_LATENCY);
		if (!f)
			return;
		fmt_seconds(a, sizeof(a), stack + hol + reader);
		fmt_seconds(b, sizeof(b), stack);
		fmt_seconds(c, sizeof(c), reader);
		fmt_seconds(d, sizeof(d), hol);
		snprintf(f->subject, sizeof(f->subject), "%s", classes[i]);
		f->state = DOCTOR_FAIL;
		if (tcp)
			doctor_set(
				f->value,
				"a chunk of %s spent %s on average inside the host since jitterd "
				"started %s ago: %s in the kernel's receive path (stack), %s "
				"waiting out of order for a lost or late segment (hol), %s in "
				"the socket's queue waiting for the reader (reader)",
				classes[i], a, ago(when, sizeof(when), uptime), b, d, c);
		else
			doctor_set(f->value,
				   "a datagram of %s spent %s on average inside the host since "
				   "jitterd started %s ago: %s in the kernel's receive path "
				   "(stack), %s in the socket's queue waiting for the reader "
				   "(reader)",
				   classes[i], a, ago(when, sizeof(when), uptime), b, c);
		doctor_set(f->where,
			   "jitterd_socket_receive_stage_seconds{socket=\"%s\"}, "
			   "/proc/sys/net/core/busy_read",
			   classes[i]);
		if (hol > reader && hol > stack) {
			doctor_set(
				f->recommended,
				"segments were lost or reordered on the way: the data behind "
				"them waited for the retransmission, neither the reader nor this "
				"kernel was late; look at the path's drops (the sender's "
				"retransmissions in ss -ti, the NICs' and switches' counters)");
		} else if (reader >= stack && busy_read == 0) {
			doctor_set(f->recommended,
				   "the reader is late: poll the socket busily rather than sleep "
				   "in recvmsg() (busy_read is 0: a sleeping reader is woken, then "
				   "waits for its CPU), its thread alone on an isolated CPU");
			snprintf(f->apply, sizeof(f->apply),
				 "setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, 50) in %s's receiver, "
				 "or sysctl -w net.core.busy_read=50 for every socket",
				 classes[i]);
		} else if (reader >= stack) {
			doctor_set(
				f->recommended,
				"the reader is late (busy polling is on): look at its thread's "
				"CPU: its run-queue waits, softirq time and OS noise, and at the "
				"work it does between reads");
		} else {
			doctor_set(
				f->recommended,
				"the kernel is slow to deliver: look at where the receive path "
				"runs: the NIC queue's interrupt affinity, RPS masks, softirq time "
				"on those CPUs, interrupt coalescing (ethtool -c)");
		}
	}
}

/* ---- IRQ and softirq time on isolated CPUs ------------------------------------ */

/* IRQs whose effective affinity includes cpu, and RPS masks that do. */
/* The IRQs whose affinity includes cpu, and the RPS queues whose mask does. */
static void irq_sources(const struct doctor_host *h, unsigned cpu, char *out, size_t size)
{
	char path[512], buf[128];
	struct dirent *e, *q;
	const char *why;
	cpu_set_t set;
	DIR *d, *qd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/proc/irq", h->root);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    (doctor_read(h, buf, sizeof(buf), "/proc/irq/%s/effective_affinity_list",
				 e->d_name) &&
		     doctor_read(h, buf, sizeof(buf), "/proc/irq/%s/smp_affinity_list",
				 e->d_name)) ||
		    parse_kernel_cpulist(buf, h->nr_cpus, &set, &why) || !CPU_ISSET(cpu, &set))
			continue;
		doctor_append(out, size, "%sIRQ %s", out[0] ? ", " : "", e->d_name);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/sys/class/net", h->root);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/sys/class/net/%s/queues", h->root, e->d_name);
		qd = opendir(path);
		while (qd && (q = readdir(qd))) {
			if (strncmp(q->d_name, "rx-", 3) ||
			    doctor_read(h, buf, sizeof(buf), "/sys/class/net/%s/queues/%s/rps_cpus",
					e->d_name, q->d_name) ||
			    doctor_parse_cpumask(buf, &set) || !CPU_ISSET(cpu, &set))
				continue;
			doctor_append(out, size, "%sRPS of %s %s", out[0] ? ", " : "", e->d_name,
				      q->d_name);
		}
		if (qd)
			closedir(qd);
	}
	if (d)
		closedir(d);
}

static void irq_time(const struct doctor_host *h, const char *metrics, double uptime,
		     struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	static const char *const vectors[] = { "net_rx", "net_tx", "block", "irq_poll", "tasklet",
					       "timer",	 "rcu",	   "sched", "hrtimer",	"hi" };

	for (unsigned cpu = 0; cpu < CPU_SETSIZE && h->have_isolated; cpu++) {
		char cpu_s[16], parts[DOCTOR_TEXT] = "", sources[DOCTOR_TEXT], when[32];
		double device = 0, total = 0, hard;
		struct doctor_finding *f;
		bool found;
		size_t o = 0;

		if (!CPU_ISSET(cpu, &h->isolated))
			continue;
		snprintf(cpu_s, sizeof(cpu_s), "%u", cpu);
		for (unsigned v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
			double s = sample_sum(metrics, "jitterd_softirq_seconds_total", &found,
					      "cpu", cpu_s, "vector", vectors[v], LABELS_END);

			if (s <= 0)
				continue;
			total += s;
			if (v < 5)
				device += s;
			if (o < sizeof(parts))
				o += (size_t)snprintf(parts + o, sizeof(parts) - o, "%s%s %.6f s",
						      o ? ", " : "", vectors[v], s);
		}
		hard = sample_sum(metrics, "jitterd_hardirq_seconds_total", &found, "cpu", cpu_s,
				  LABELS_END);
		/* The tick's own softirqs (timer, rcu, sched) are what nohz_full
		 * removes; the device ones are what IRQ and RPS placement does. */
		if (device <= 0 && hard <= 0)
			continue;
		f = next(out, n, cap, EV_IRQ_TIME);
		if (!f)
			return;
		snprintf(f->subject, sizeof(f->subject), "cpu %u", cpu);
		f->state = DOCTOR_FAIL;
		doctor_set(
			f->value,
			"isolated CPU %u spent %.6f s in hardirq and %.6f s in softirq (%s) since "
			"jitterd started %s ago",
			cpu, hard, total, parts[0] ? parts : "none",
			ago(when, sizeof(when), uptime));
		doctor_set(f->where,
			   "jitterd_hardirq_seconds_total{cpu=\"%u\"}, "
			   "jitterd_softirq_seconds_total{cpu=\"%u\"}, /proc/irq/*/",
			   cpu, cpu);
		irq_sources(h, cpu, sources, sizeof(sources));
		doctor_set(f->recommended, "no device IRQ and no RPS on CPU %u", cpu);
		snprintf(f->apply, sizeof(f->apply),
			 "%s%s%smove them: echo <housekeeping CPUs> > "
			 "/proc/irq/N/smp_affinity_list; "
			 "clear CPU %u from /sys/class/net/*/queues/rx-*/rps_cpus (see "
			 "irq.affinity, "
			 "net.rps)",
			 sources[0] ? "what may run there: " : "", sources, sources[0] ? "; " : "",
			 cpu);
	}
}

/* ---- run-queue outliers on isolated CPUs ------------------------------------ */

static const char *keep_off(const char *comm)
{
	if (!strncmp(comm, "kworker", 7))
		return "workqueues: isolation.workqueue_cpumask (echo <housekeeping mask> > "
		       "/sys/devices/virtual/workqueue/cpumask)";
	if (!strncmp(comm, "rcu", 3))
		return "RCU callbacks: rcu_nocbs=<isolated CPUs> (isolation.rcu_nocbs)";
	if (!strncmp(comm, "ksoftirqd", 9))
		return "softirqs: move the IRQs and RPS off the CPU (irq.affinity, net.rps)";
	if (!strncmp(comm, "ktimer", 6) || !strncmp(comm, "timer", 5))
		return "timers: kernel.timer_migration=0 and nohz_full";
	if (!strncmp(comm, "migration", 9) || !strncmp(comm, "cpuhp", 5))
		return "stop-machine work (migration, hotplug): avoid CPU hotplug and "
		       "sched_setaffinity of other tasks onto the CPU";
	return "confine it to the housekeeping CPUs: taskset -pc <housekeeping CPUs> <pid>, "
	       "systemd CPUAffinity=, or isolcpus=";
}

static void runqueue(const struct doctor_host *h, const char *events, double uptime,
		     struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	struct culprit {
		char comm[32];
		unsigned count;
		unsigned long long worst_ns;
		cpu_set_t cpus;
	} culprits[16];
	unsigned nculprits = 0, total = 0;
	char when[32];

	if (!h->have_isolated || !events)
		return;
	for (const char *line = events; line && *line;) {
		const char *end = strchr(line, '\n');
		json_error_t jerr;
		json_t *e = json_loadb(line, end ? (size_t)(end - line) : strlen(line), 0, &jerr);
		const char *type = e ? json_string_value(json_object_get(e, "type")) : NULL;
		const char *prev = e ? json_string_value(json_object_get(e, "prev_comm")) : NULL;
		json_int_t cpu = e ? json_integer_value(json_object_get(e, "cpu")) : -1;
		unsigned long long lat =
			e ? (unsigned long long)json_integer_value(json_object_get(e, "latency_ns"))
			  : 0;

		line = end ? end + 1 : NULL;
		if (type && !strcmp(type, "runqueue_latency") && prev && cpu >= 0 &&
		    cpu < CPU_SETSIZE && CPU_ISSET((unsigned)cpu, &h->isolated)) {
			unsigned i;

			total++;
			for (i = 0; i < nculprits && strcmp(culprits[i].comm, prev); i++)
				;
			if (i == nculprits && nculprits < 16) {
				memset(&culprits[i], 0, sizeof(culprits[i]));
				snprintf(culprits[i].comm, sizeof(culprits[i].comm), "%s", prev);
				nculprits++;
			}
			if (i < nculprits) {
				culprits[i].count++;
				CPU_SET((unsigned)cpu, &culprits[i].cpus);
				if (lat > culprits[i].worst_ns)
					culprits[i].worst_ns = lat;
			}
		}
		json_decref(e);
	}
	for (unsigned i = 0; i < nculprits; i++) {
		struct doctor_finding *f = next(out, n, cap, EV_RUNQ);
		char list[64];

		if (!f)
			return;
		format_cpulist(&culprits[i].cpus, list, sizeof(list));
		snprintf(f->subject, sizeof(f->subject), "%s", culprits[i].comm);
		f->state = DOCTOR_FAIL;
		doctor_set(f->value,
			   "%s held isolated CPU %s before %u of the %u run-queue outliers there "
			   "(worst wait %.1f us) in the event log (jitterd up %s)",
			   culprits[i].comm, list, culprits[i].count, total,
			   (double)culprits[i].worst_ns / 1000.0, ago(when, sizeof(when), uptime));
		doctor_set(f->where, "/events runqueue_latency (prev_comm, cpu)");
		doctor_set(f->recommended, "keep %s off CPU %s", culprits[i].comm, list);
		doctor_set(f->apply, "%s", keep_off(culprits[i].comm));
	}
}

/* ---- entry points ------------------------------------------------------------ */

/* ---- interruptions of isolated CPUs (the noise collector) ------------------- */

/*
 * An isolated CPU that takes more IPIs a second than this is being sent
 * work: a busy thread alone on a nohz_full CPU receives next to none
 * (an occasional reschedule or irq_work).
 */
#define IPIS_PER_S_MAX 10
#define TOP_SENDERS    3

/* The kinds of IPI the noise collector counts (its ipi_rate signal's). */
static const char *const ipi_kinds[] = { "reschedule", "call_function", "call_function_single",
					 "irq_work" };

/* The tick dependencies of jitterd_tick_kept_total, and what removes each. */
static const struct {
	const char *name, *fix;
	bool application; /* set by the application's own code */
} tick_deps[] = {
	{ "posix_timer",
	  "a POSIX CPU-time timer of a task there (setitimer(ITIMER_PROF or ITIMER_VIRTUAL), "
	  "timer_create() on a CPU-time clock) needs the tick: remove it from the application, "
	  "or use a CLOCK_MONOTONIC timer (an hrtimer, which needs no tick)",
	  true },
	{ "perf_events",
	  "a perf event on the CPU or its task needs the tick: stop the profiler (perf "
	  "record/stat, "
	  "an agent) there",
	  false },
	{ "sched",
	  "more than one runnable task on the CPU: keep one thread per isolated CPU "
	  "(isolation.threads) and the other tasks off it",
	  false },
	{ "rcu", "RCU needs the CPU: rcu_nocbs=<isolated CPUs> (isolation.rcu_nocbs)", false },
	{ "rcu_exp",
	  "an expedited RCU grace period needs the CPU: rcu_nocbs, and no "
	  "synchronize_rcu_expedited() callers (module loads, network reconfiguration)",
	  false },
	{ "clock_unstable",
	  "the TSC was marked unstable, so no CPU can stop its tick: see dmesg for clocksource "
	  "messages (a VM without an invariant TSC, firmware)",
	  false },
	{ "other", "a dependency jitterd does not name (timer:tick_stop's dependency)", false },
};

/* The value of label in a series line's {labels} (up to end), into out; false if absent. */
static bool line_label(const char *line, const char *end, const char *label, char *out, size_t size)
{
	char key[64];
	const char *p = line, *q;

	snprintf(key, sizeof(key), "%s=\"", label);
	for (;;) {
		p = memmem(p, (size_t)(end - p), key, strlen(key));
		if (!p)
			return false;
		if (p[-1] == '{' || p[-1] == ',')
			break;
		p++;
	}
	p += strlen(key);
	q = memchr(p, '"', (size_t)(end - p));
	if (!q)
		return false;
	snprintf(out, size, "%.*s", (int)(q - p), p);
	return true;
}

/* The CPU group the daemon puts cpu in (jitterd_cpu_group_info), or false. */
static bool group_of(const char *text, const char *cpu, char *out, size_t size)
{
	size_t nlen = strlen(CPU_GROUP);

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		char v[32];

		if (!end)
			end = line + strlen(line);
		if (!strncmp(line, CPU_GROUP "{", nlen + 1) &&
		    line_label(line, end, "cpu", v, sizeof(v)) && !strcmp(v, cpu) &&
		    line_label(line, end, "cpu_group", out, size))
			return true;
		line = *end ? end + 1 : NULL;
	}
	return false;
}

struct ipi_sender {
	char kind[32], task[64], caller[96], function[96];
	double count;
};

/* r into top (n of max, most first) if it is among the max largest. */
static void keep_top(struct ipi_sender *top, unsigned *n, unsigned max, const struct ipi_sender *r)
{
	unsigned at = *n;

	while (at > 0 && top[at - 1].count < r->count)
		at--;
	if (at >= max)
		return;
	memmove(&top[at + 1], &top[at], ((*n < max ? *n : max - 1) - at) * sizeof(*top));
	top[at] = *r;
	if (*n < max)
		(*n)++;
}

static bool is_ipi_kind(const char *kind)
{
	for (unsigned k = 0; k < sizeof(ipi_kinds) / sizeof(ipi_kinds[0]); k++)
		if (!strcmp(kind, ipi_kinds[k]))
			return true;
	return false;
}

/* The top IPI causes (not the timer's) of group, most first: how many. */
static unsigned ipi_senders(const char *text, const char *group, struct ipi_sender *top,
			    unsigned max)
{
	size_t nlen = strlen(IPI_CAUSES);
	unsigned n = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n'), *brace;
		struct ipi_sender r = {};
		char g[64];

		if (!end)
			end = line + strlen(line);
		brace = memchr(line, '}', (size_t)(end - line));
		if (!strncmp(line, IPI_CAUSES "{", nlen + 1) && brace &&
		    line_label(line, brace, "cpu_group", g, sizeof(g)) && !strcmp(g, group) &&
		    line_label(line, brace, "kind", r.kind, sizeof(r.kind)) &&
		    is_ipi_kind(r.kind)) {
			line_label(line, brace, "task", r.task, sizeof(r.task));
			line_label(line, brace, "caller", r.caller, sizeof(r.caller));
			line_label(line, brace, "function", r.function, sizeof(r.function));
			r.count = strtod(brace + 1, NULL);
			if (plausible(r.count) && r.count >= 1)
				keep_top(top, &n, max, &r);
		}
		line = *end ? end + 1 : NULL;
	}
	return n;
}

/* A kernel thread's comm (its sender is the kernel, not an application). */
static bool kernel_thread(const char *comm)
{
	static const char *const prefixes[] = { "kworker",    "ksoftirqd", "migration",
						"rcu",	      "kthreadd",  "swapper",
						"khugepaged", "kcompactd", "kswapd",
						"cpuhp",      "watchdog",  "irq/",
						"idle_inject" };

	if (!*comm)
		return true;
	for (unsigned i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(comm, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* What a task of the application did to send it, or NULL (the kernel's, or a wake-up). */
static const char *application_cause(const struct ipi_sender *r)
{
	if (kernel_thread(r->task))
		return NULL;
	if (!strcmp(r->function, "flush_tlb_func") || strstr(r->caller, "flush_tlb"))
		return "changes its memory map (munmap, mprotect, madvise(MADV_DONTNEED)), and "
		       "each change flushes the TLB of every CPU that runs one of its threads: "
		       "map memory once at start, none of these on the hot path";
	if (strstr(r->caller, "membarrier") || !strcmp(r->function, "ipi_mb") ||
	    !strcmp(r->function, "ipi_sync_rq_state") || !strcmp(r->function, "ipi_rseq"))
		return "calls membarrier(), an IPI to every CPU that runs one of its threads: "
		       "not on the hot path (a JIT's or a GC's barrier: see its options)";
	/* A reschedule names the task that ran where the wake-up was done, not
	 * the task woken onto the CPU, which is the one to move. */
	if (!strcmp(r->kind, "reschedule"))
		return NULL;
	return "asks the kernel to run a function on the CPU (a system call that touches every "
	       "CPU: a sysctl write, a perf event, an MSR read)";
}

/*
 * The process (tgid) that sent cpu the most IPIs over the events'
 * threshold among task's (/events "interruption" with a sender), or -1:
 * the metrics keep a sender's comm, its events its pid (comms repeat:
 * python3, java).
 */
static long long sender_tgid(const char *events, unsigned cpu, const char *task)
{
	struct {
		long long tgid;
		unsigned n;
	} seen[16];
	unsigned nseen = 0, best = 0;

	for (const char *line = events; line && *line;) {
		const char *end = strchr(line, '\n');
		json_error_t jerr;
		json_t *e = json_loadb(line, end ? (size_t)(end - line) : strlen(line), 0, &jerr);
		json_t *from = e ? json_object_get(e, "sender") : NULL;
		const char *type = e ? json_string_value(json_object_get(e, "type")) : NULL;
		const char *comm = from ? json_string_value(json_object_get(from, "comm")) : NULL;
		long long tgid = from ? json_integer_value(json_object_get(from, "tgid")) : 0;

		line = end ? end + 1 : NULL;
		if (type && !strcmp(type, "interruption") && comm && !strcmp(comm, task) &&
		    json_integer_value(json_object_get(e, "cpu")) == (json_int_t)cpu && tgid > 0) {
			unsigned i;

			for (i = 0; i < nseen && seen[i].tgid != tgid; i++)
				;
			if (i == nseen && nseen < sizeof(seen) / sizeof(seen[0])) {
				seen[i].tgid = tgid;
				seen[i].n = 0;
				nseen++;
			}
			if (i < nseen && ++seen[i].n > seen[best].n)
				best = i;
		}
		json_decref(e);
	}
	return nseen ? seen[best].tgid : -1;
}

/* The tick's dependencies on cpu, most first, into out; the first's row or -1. */
static int tick_kept(const char *metrics, const char *cpu, char *out, size_t size)
{
	double n[sizeof(tick_deps) / sizeof(tick_deps[0])];
	unsigned order[sizeof(tick_deps) / sizeof(tick_deps[0])] = { 0 }, count = 0;
	char a[32];
	bool found;

	out[0] = '\0';
	for (unsigned d = 0; d < sizeof(tick_deps) / sizeof(tick_deps[0]); d++) {
		unsigned at;

		n[d] = sample_sum(metrics, TICK_KEPT, &found, "cpu", cpu, "dependency",
				  tick_deps[d].name, LABELS_END);
		if (!found || !plausible(n[d]) || n[d] < 1)
			continue;
		for (at = count; at > 0 && n[order[at - 1]] < n[d]; at--)
			order[at] = order[at - 1];
		order[at] = d;
		count++;
	}
	for (unsigned i = 0; i < count; i++)
		doctor_append(out, size, "%s%s (%s times)", i ? ", " : "", tick_deps[order[i]].name,
			      thousands(a, sizeof(a), (unsigned long long)n[order[i]]));
	return count ? (int)order[0] : -1;
}

static void tick_and_irqs(const char *metrics, unsigned cpu, const char *cpu_s, double timer,
			  double all, double hard, double uptime, struct doctor_finding *f)
{
	char when[32], deps[DOCTOR_TEXT];
	int first = tick_kept(metrics, cpu_s, deps, sizeof(deps));

	snprintf(f->subject, sizeof(f->subject), "cpu %u", cpu);
	f->state = DOCTOR_FAIL;
	doctor_set(f->value,
		   "isolated CPU %u took %.1f timer interrupts a second, %.0f other "
		   "interruptions and %.0f device IRQs since jitterd started %s ago%s%s",
		   cpu, timer / uptime, all - timer, hard, ago(when, sizeof(when), uptime),
		   first >= 0 ? "; the tick is kept by: " : "", first >= 0 ? deps : "");
	doctor_set(f->where,
		   INTERRUPTIONS "{cpu=\"%u\"}, " TICK_KEPT "{cpu=\"%u\"}, " HARDIRQS
				 "{cpu=\"%u\"}",
		   cpu, cpu, cpu);
	doctor_set(f->recommended,
		   "at most %u timer interrupts a second and no device IRQ on CPU %u%s",
		   DOCTOR_TICKS_PER_S_MAX, cpu,
		   first >= 0 && tick_deps[first].application
			   ? "; the fix is in the application: it arms the timer that keeps the "
			     "tick"
			   : "");
	if (first >= 0)
		snprintf(f->apply, sizeof(f->apply), "the tick: %s; device IRQs: irq.affinity",
			 tick_deps[first].fix);
	else
		snprintf(f->apply, sizeof(f->apply),
			 "the tick: nohz_full=%u and one runnable task on it (isolation.nohz_full, "
			 "isolation.threads); device IRQs: irq.affinity",
			 cpu);
}

/* An IPI finding of cpu, if it took more than IPIS_PER_S_MAX a second: true if made. */
static bool ipis(const char *metrics, const char *events, unsigned cpu, const char *cpu_s,
		 double uptime, struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	struct ipi_sender top[TOP_SENDERS];
	char when[32], kinds[256] = "", senders[DOCTOR_TEXT] = "", group[64], a[32];
	double total = 0, tlb;
	const char *why = NULL;
	struct doctor_finding *f;
	unsigned nt = 0, app = 0;
	bool found;

	for (unsigned k = 0; k < sizeof(ipi_kinds) / sizeof(ipi_kinds[0]); k++) {
		double v = sample_sum(metrics, INTERRUPTIONS, &found, "cpu", cpu_s, "kind",
				      ipi_kinds[k], LABELS_END);

		if (!found || !plausible(v) || v < 1)
			continue;
		total += v;
		doctor_append(kinds, sizeof(kinds), "%s%s %s", kinds[0] ? ", " : "", ipi_kinds[k],
			      thousands(a, sizeof(a), (unsigned long long)v));
	}
	tlb = sample_sum(metrics, INTERRUPTIONS, &found, "cpu", cpu_s, "kind", "tlb_shootdown",
			 LABELS_END);
	if (!plausible(tlb))
		tlb = 0;
	if (total / uptime <= IPIS_PER_S_MAX)
		return false;
	f = next(out, n, cap, EV_INTERRUPTIONS);
	if (!f)
		return false;
	if (group_of(metrics, cpu_s, group, sizeof(group)))
		nt = ipi_senders(metrics, group, top, TOP_SENDERS);
	for (unsigned i = 0; i < nt; i++) {
		doctor_append(senders, sizeof(senders), "%s%s %s IPIs from %s%s%s%s%s",
			      i ? "; " : "",
			      thousands(a, sizeof(a), (unsigned long long)top[i].count),
			      top[i].kind, top[i].task[0] ? "task " : "the kernel", top[i].task,
			      top[i].caller[0] ? " in " : "", top[i].caller,
			      top[i].function[0] ? " running " : "");
		doctor_append(senders, sizeof(senders), "%s", top[i].function);
	}
	/* The largest sender that is an application's own doing, if any. */
	for (app = 0; app < nt && !why; app++)
		why = application_cause(&top[app]);
	app = app ? app - 1 : 0;
	snprintf(f->subject, sizeof(f->subject), "cpu %u IPIs", cpu);
	f->state = DOCTOR_FAIL;
	doctor_set(f->value,
		   "isolated CPU %u took %.1f IPIs a second (%s) and %s TLB shootdowns since "
		   "jitterd started %s ago%s%s%s%s",
		   cpu, total / uptime, kinds, thousands(a, sizeof(a), (unsigned long long)tlb),
		   ago(when, sizeof(when), uptime),
		   nt ? "; the top senders to the CPUs of group " : "", nt ? group : "",
		   nt ? ": " : "", senders);
	doctor_set(f->where,
		   INTERRUPTIONS "{cpu=\"%u\"}, " IPI_CAUSES "{cpu_group=\"%s\"}, " CPU_GROUP, cpu,
		   nt ? group : "");
	if (why) {
		long long tgid = events ? sender_tgid(events, cpu, top[app].task) : -1;

		doctor_set(f->recommended,
			   "the fix is in the application: task %s %s; at most %u IPIs a second "
			   "on CPU %u",
			   top[app].task, why, IPIS_PER_S_MAX, cpu);
		if (tgid > 0)
			snprintf(f->apply, sizeof(f->apply),
				 "in the application: process %lld (its task %s sent the most IPIs "
				 "to CPU %u in jitterd's /events)",
				 tgid, top[app].task, cpu);
		else
			snprintf(f->apply, sizeof(f->apply),
				 "in the application whose task is %s (pgrep -x %s; jitterd's "
				 "\"interruption\" events over "
				 "events.interruption_duration_threshold "
				 "carry the sender's pid)",
				 top[app].task, top[app].task);
	} else if (nt && !strcmp(top[0].kind, "reschedule")) {
		doctor_set(f->recommended,
			   "at most %u IPIs a second on CPU %u: the reschedules are wake-ups of "
			   "tasks onto it (the sender is what ran where the wake-up was done); "
			   "keep the woken tasks off it",
			   IPIS_PER_S_MAX, cpu);
		snprintf(
			f->apply, sizeof(f->apply),
			"find the woken tasks: evidence.isolated_runqueue, or "
			"collectors.noise.tasks_on_cpus: \"%u\" (jitterd_cpu_intruder_runs_total); "
			"then their affinity (taskset, CPUAffinity=) or isolcpus=",
			cpu);
	} else {
		doctor_set(f->recommended, "at most %u IPIs a second on CPU %u%s%s", IPIS_PER_S_MAX,
			   cpu, nt ? ": they come from the kernel, " : "", nt ? top[0].caller : "");
		snprintf(f->apply, sizeof(f->apply),
			 "keep other tasks and kernel work off the CPU: isolation.nohz_full, "
			 "isolation.rcu_nocbs, isolation.workqueue_cpumask; "
			 "jitterd_interruption_cause_interruptions_total names the senders "
			 "(the noise collector on a 6.6+ kernel)");
	}
	return true;
}

static void interruptions(const struct doctor_host *h, const char *metrics, const char *events,
			  double uptime, struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	char cpu_s[16], when[32], list[1024];
	unsigned seen = 0, bad = 0;
	double worst = 0;
	struct doctor_finding *f;
	bool found;

	if (!h->have_isolated)
		return;
	for (unsigned cpu = 0; cpu < CPU_SETSIZE && uptime > 0; cpu++) {
		double timer, all, hard;

		if (!CPU_ISSET(cpu, &h->isolated))
			continue;
		snprintf(cpu_s, sizeof(cpu_s), "%u", cpu);
		timer = sample_sum(metrics, INTERRUPTIONS, &found, "cpu", cpu_s, "kind", "timer",
				   LABELS_END);
		if (!found)
			continue;
		seen++;
		all = sample_sum(metrics, INTERRUPTIONS, &found, "cpu", cpu_s, LABELS_END);
		hard = sample_sum(metrics, HARDIRQS, &found, "cpu", cpu_s, LABELS_END);
		if (timer / uptime > worst)
			worst = timer / uptime;
		if (timer / uptime > DOCTOR_TICKS_PER_S_MAX || hard > 0) {
			f = next(out, n, cap, EV_INTERRUPTIONS);
			if (!f)
				return;
			bad++;
			tick_and_irqs(metrics, cpu, cpu_s, timer, all, hard, uptime, f);
		}
		if (ipis(metrics, events, cpu, cpu_s, uptime, out, n, cap))
			bad++;
	}
	/* no series (the noise collector is off, an older daemon): no finding,
	 * as for the other evidence; the measured isolation.interrupts stands */
	if (bad || !seen)
		return;
	f = next(out, n, cap, EV_INTERRUPTIONS);
	if (!f)
		return;
	format_cpulist(&h->isolated, list, sizeof(list));
	snprintf(f->subject, sizeof(f->subject), "cpus %.58s", list);
	doctor_set(f->where, INTERRUPTIONS ", " HARDIRQS);
	f->state = DOCTOR_OK;
	doctor_set(f->value,
		   "isolated CPUs %s: at most %.1f timer interrupts a second, at most %u IPIs a "
		   "second and no device IRQ since jitterd started %s ago",
		   list, worst, IPIS_PER_S_MAX, ago(when, sizeof(when), uptime));
}

int doctor_evidence_from(const struct doctor_host *h, const char *metrics, const char *events,
			 struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	bool found;
	double start = sample_sum(metrics, "process_start_time_seconds", &found, LABELS_END);
	double uptime = found ? (double)time(NULL) - start : 0;

	if (uptime < 0)
		uptime = 0;
	socket_drops(h, metrics, uptime, out, n, cap);
	irq_time(h, metrics, uptime, out, n, cap);
	runqueue(h, events, uptime, out, n, cap);
	interruptions(h, metrics, events, uptime, out, n, cap);
	socket_latency(h, metrics, uptime, out, n, cap);
	return 0;
}

static size_t to_buf(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;

	buf_append(b, data, size * nmemb);
	return b->oom ? 0 : size * nmemb;
}

/*
 * libcurl is opened when the doctor reads a daemon (--from), not linked:
 * the daemon is this same binary, and libcurl with what it loads
 * (Kerberos, LDAP, libcrypto...) is over 3 MiB of resident memory that the
 * daemon would carry and never use.
 */
static struct {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
} curl_fn;

static int curl_open(void)
{
	static const char *const libs[] = { "libcurl-gnutls.so.4", "libcurl.so.4" };
	static const struct {
		const char *name;
		size_t offset;
	} syms[] = {
#define SYM(f) { "curl_" #f, offsetof(__typeof__(curl_fn), f) }
		SYM(global_init),  SYM(global_cleanup), SYM(easy_init),	    SYM(easy_setopt),
		SYM(easy_perform), SYM(easy_cleanup),	SYM(easy_strerror),
#undef SYM
	};
	void *lib = NULL;

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]) && !lib; i++)
		lib = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr,
			"jitterd doctor: --from needs libcurl (Debian: libcurl3-gnutls): %s\n",
			dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(lib, syms[i].name);

		if (!f) {
			fprintf(stderr, "jitterd doctor: libcurl has no %s\n", syms[i].name);
			dlclose(lib);
			return -ENOENT;
		}
		memcpy((char *)&curl_fn + syms[i].offset, &f, sizeof(f));
	}
	return 0;
}

static int get(const struct doctor_http *http, const char *path, struct buf *out)
{
	char url[512], err[CURL_ERROR_SIZE] = "";
	CURL *curl = curl_fn.easy_init();
	CURLcode rc;

	if (!curl)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s", http->url, path);
	curl_fn.easy_setopt(curl, CURLOPT_URL, url);
	curl_fn.easy_setopt(curl, CURLOPT_WRITEFUNCTION, to_buf);
	curl_fn.easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_fn.easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_fn.easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_fn.easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
	curl_fn.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_fn.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (http->cacert)
		curl_fn.easy_setopt(curl, CURLOPT_CAINFO, http->cacert);
	if (http->user) {
		curl_fn.easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_fn.easy_setopt(curl, CURLOPT_USERPWD, http->user);
	}
	rc = curl_fn.easy_perform(curl);
	curl_fn.easy_cleanup(curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "jitterd doctor: %s: %s\n", url,
			err[0] ? err : curl_fn.easy_strerror(rc));
		return -EIO;
	}
	buf_putc(out, '\0');
	return out->oom ? -ENOMEM : 0;
}

int doctor_evidence(const struct doctor_host *h, const struct doctor_http *http,
		    struct doctor_finding **out, unsigned *n, unsigned *cap)
{
	struct buf metrics = {}, events = {};
	int err;

	if (curl_open())
		return -1;
	curl_fn.global_init(CURL_GLOBAL_DEFAULT);
	err = get(http, "/metrics", &metrics);
	if (!err)
		err = get(http, "/events", &events);
	if (!err)
		doctor_evidence_from(h, metrics.data, events.data, out, n, cap);
	buf_free(&metrics);
	buf_free(&events);
	curl_fn.global_cleanup();
	return err ? -1 : 0;
}
