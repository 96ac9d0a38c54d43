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
	  "A tick or a device IRQ on an isolated CPU preempts the workload whatever the settings "
	  "say: measured by the running daemon since it started.",
	  "jitterd_interruptions_total (the noise collector), jitterd_hardirqs_total; "
	  "Linux kernel documentation, timers/no_hz.rst",
	  "", .slow = false, NULL },
	{ "evidence.socket_latency", "evidence", DOCTOR_WARNING,
	  "A datagram that waits inside the host reaches the strategy late: in the kernel's "
	  "receive path, or in the socket's queue while the reader is late.",
	  "jitterd_socket_receive_stage_seconds; socket(7) SO_BUSY_POLL; Linux kernel "
	  "documentation, networking/scaling.rst, admin-guide/sysctl/net.rst busy_read",
	  "", .slow = false, NULL },
};

enum { EV_DROPS, EV_IRQ_TIME, EV_RUNQ, EV_INTERRUPTIONS, EV_LATENCY };

/* The families read here, as the collectors that serve them name them. */
#define INTERRUPTIONS "jitterd_interruptions_total"
#define HARDIRQS      "jitterd_hardirqs_total"

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

static void interruptions(const struct doctor_host *h, const char *metrics, double uptime,
			  struct doctor_finding **out, unsigned *n, unsigned *cap)
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
		if (timer / uptime <= DOCTOR_TICKS_PER_S_MAX && hard <= 0)
			continue;
		f = next(out, n, cap, EV_INTERRUPTIONS);
		if (!f)
			return;
		bad++;
		snprintf(f->subject, sizeof(f->subject), "cpu %u", cpu);
		f->state = DOCTOR_FAIL;
		doctor_set(f->value,
			   "isolated CPU %u took %.1f timer interrupts a second, %.0f other "
			   "interruptions and %.0f device IRQs since jitterd started %s ago",
			   cpu, timer / uptime, all - timer, hard, ago(when, sizeof(when), uptime));
		doctor_set(f->where, INTERRUPTIONS "{cpu=\"%u\"}, " HARDIRQS "{cpu=\"%u\"}", cpu,
			   cpu);
		doctor_set(f->recommended,
			   "at most %u timer interrupts a second and no device IRQ on CPU %u",
			   DOCTOR_TICKS_PER_S_MAX, cpu);
		snprintf(f->apply, sizeof(f->apply),
			 "the tick: nohz_full=%u and one runnable task on it (isolation.nohz_full, "
			 "isolation.threads); device IRQs: irq.affinity",
			 cpu);
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
		   "isolated CPUs %s: at most %.1f timer interrupts a second and no device IRQ "
		   "since jitterd started %s ago",
		   list, worst, ago(when, sizeof(when), uptime));
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
	interruptions(h, metrics, uptime, out, n, cap);
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
