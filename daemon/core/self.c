// SPDX-License-Identifier: MIT
#include "core/self.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "probes/collector.h"

static struct {
	char kernel[65];
	char libbpf[16];
	double start_time_s;
	long page_size;
} self;

/* Process start: boot time (/proc/stat btime) + starttime ticks (/proc/self/stat). */
static double process_start_time(void)
{
	unsigned long long btime = 0, start_ticks = 0;
	FILE *f;

	f = fopen("/proc/stat", "re");
	if (f) {
		char line[256];

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/self/stat", "re");
	if (f) {
		char buf[1024], *p;

		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			/* after "pid (comm)": field 22 is starttime; skip fields 3..21 */
			sscanf(p + 2,
			       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			       "%*d %*d %*d %*d %llu",
			       &start_ticks);
		fclose(f);
	}
	return (double)btime + (double)start_ticks / (double)sysconf(_SC_CLK_TCK);
}

void self_init(void)
{
	struct utsname u;

	if (!uname(&u))
		snprintf(self.kernel, sizeof(self.kernel), "%s", u.release);
	snprintf(self.libbpf, sizeof(self.libbpf), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	self.start_time_s = process_start_time();
	self.page_size = sysconf(_SC_PAGESIZE);
}

static unsigned count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own fd */
}

static void collect_process(struct metrics *m)
{
	unsigned long long vsize_pages = 0, rss_pages = 0;
	struct rusage ru;
	struct rlimit rl;
	FILE *f;

	if (!getrusage(RUSAGE_SELF, &ru))
		metric_u64(metrics_family(m, "process_cpu_seconds_total",
					  "Total user and system CPU time spent in seconds.",
					  METRIC_COUNTER, METRIC_UNIT_SECONDS),
			   (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
				   (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull,
			   LABELS_END);
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%llu %llu", &vsize_pages, &rss_pages) == 2) {
			metric_u64(metrics_family(m, "process_resident_memory_bytes",
						  "Resident memory size in bytes.", METRIC_GAUGE,
						  METRIC_UNIT_NONE),
				   rss_pages * self.page_size, LABELS_END);
			metric_u64(metrics_family(m, "process_virtual_memory_bytes",
						  "Virtual memory size in bytes.", METRIC_GAUGE,
						  METRIC_UNIT_NONE),
				   vsize_pages * self.page_size, LABELS_END);
		}
		fclose(f);
	}
	metric_u64(metrics_family(m, "process_open_fds", "Number of open file descriptors.",
				  METRIC_GAUGE, METRIC_UNIT_NONE),
		   count_open_fds(), LABELS_END);
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		metric_u64(metrics_family(m, "process_max_fds",
					  "Maximum number of open file descriptors.", METRIC_GAUGE,
					  METRIC_UNIT_NONE),
			   rl.rlim_cur, LABELS_END);
	metric_double(metrics_family(m, "process_start_time_seconds",
				     "Start time of the process since unix epoch in seconds.",
				     METRIC_GAUGE, METRIC_UNIT_NONE),
		      self.start_time_s, LABELS_END);
}

static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int on = 0;

	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	return on;
}

struct probe_families {
	struct metric_family *attached, *runs, *run_time; /* runs, run_time: NULL without stats */
};

static void collect_probe(const struct probe *p, void *arg)
{
	const struct probe_families *f = arg;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	metric_u64(f->attached, p->attach != PROBE_NONE, "probe", p->label, "attach",
		   probe_attach_name(p->attach), LABELS_END);
	if (!f->runs || p->attach == PROBE_NONE || bpf_obj_get_info_by_fd(p->fd, &info, &len))
		return;
	metric_u64(f->runs, info.run_cnt, "program", p->label, LABELS_END);
	metric_u64(f->run_time, info.run_time_ns, "program", p->label, LABELS_END);
}

static void collect_probes(struct metrics *m)
{
	struct probe_families f = {};

	f.attached =
		metrics_family(m, "jitterd_probe_attached",
			       "1 when the probe is attached, with the attach type used; 0 with "
			       "attach=\"none\" when nothing could attach on this kernel.",
			       METRIC_GAUGE, METRIC_UNIT_NONE);
	if (bpf_stats_enabled()) {
		f.runs = metrics_family(
			m, "jitterd_bpf_program_runs_total",
			"Runs of the probe's BPF program (kernel.bpf_stats_enabled=1).",
			METRIC_COUNTER, METRIC_UNIT_NONE);
		f.run_time = metrics_family(m, "jitterd_bpf_program_run_seconds_total",
					    "Time spent in the probe's BPF program, as the kernel "
					    "measures it (kernel.bpf_stats_enabled=1).",
					    METRIC_COUNTER, METRIC_UNIT_SECONDS);
	}
	collectors_each_probe(collect_probe, &f);
}

void self_collect(struct metrics *m)
{
	metric_u64(metrics_family(m, "jitterd_build_info",
				  "Always 1; the labels say which jitterd, libbpf and kernel run.",
				  METRIC_GAUGE, METRIC_UNIT_NONE),
		   1, "version", JD_VERSION, "revision", JD_REVISION, "libbpf", self.libbpf,
		   "kernel", self.kernel, LABELS_END);
	collect_probes(m);
	collect_process(m);
}
