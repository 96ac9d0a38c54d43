/* SPDX-License-Identifier: MIT */
/*
 * `jitterd doctor`: the host's latency tuning, judged.
 *
 * A check is one row of a table (daemon/doctor/checks.c, net.c):
 * its id, the severity of a failure, why it matters, its reference and the
 * tuned profiles that change the same setting, and the function that
 * judges. A judge reads /proc and /sys (under host->root, so that tests
 * point it at a fixture tree) and fills one finding: what it read and
 * where, the recommended value and the command that applies it.
 *
 * The same table serves the subcommand (every check, printed) and the
 * daemon (the cheap ones, every doctor.interval, as jitterd_tuning_check).
 * Evidence findings (daemon/doctor/evidence.c) come from a running
 * jitterd's /metrics and /events and have the same shape.
 */
#ifndef JD_DOCTOR_H
#define JD_DOCTOR_H

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "lib/metrics.h"

enum doctor_severity { DOCTOR_CRITICAL, DOCTOR_WARNING, DOCTOR_INFO };

enum doctor_state {
	DOCTOR_OK,
	DOCTOR_FAIL,
	DOCTOR_NOT_APPLICABLE, /* nothing to judge here (no cpufreq, no such NIC op) */
	DOCTOR_NEEDS_ROOT,     /* what it reads is root's: run it as root */
};

/*
 * /proc/net/softnet_stat's drop and time_squeeze counts count since boot: a
 * host that dropped once a month ago would fail forever. They are judged
 * over a window: two reads window_ms apart (the subcommand), or, with
 * window_ms 0 (the daemon), the read of the previous run and this one. The
 * judges of one run share one window (net.c).
 */
struct doctor_softnet {
	unsigned run; /* doctor_run()'s count; the window below is of run taken */
	unsigned taken;
	bool have_last, have_window;
	unsigned long long dropped, squeezed; /* the last read */
	double at;			      /* its CLOCK_MONOTONIC time, s */
	unsigned long long window_dropped, window_squeezed;
	double window_s;
};

/*
 * One window for the run: doctor_run() takes the first reads of every
 * windowed check (softnet_stat, /proc/interrupts, MSR_SMI_COUNT), waits
 * window_ms once, and each judge takes its second read and judges the
 * difference. A judge called alone (taken false) makes its own window.
 */
struct doctor_window {
	bool taken; /* the first reads below are this run's, and the wait is done */
	double at;  /* CLOCK_MONOTONIC of the first reads, s */
	int softnet_err;
	unsigned long long softnet_dropped, softnet_squeezed;
	char *interrupts; /* /proc/interrupts (malloc'd; NULL: unreadable) */
	uint64_t *smi;	  /* MSR_SMI_COUNT per CPU (malloc'd) */
	unsigned smi_read;
	int smi_err; /* why none was read */
};

/*
 * The host's tuned (tuned.c): the active profiles and those they include,
 * with their settings as the host's own files have them.
 */
#define DOCTOR_TUNED_PROFILES 8
#define DOCTOR_TUNED_TEXT     6144
struct doctor_tuned {
	char active[128]; /* /etc/tuned/active_profile; "" without one */
	unsigned n;
	char name[DOCTOR_TUNED_PROFILES][64];
	char dir[DOCTOR_TUNED_PROFILES][160];
	char text[DOCTOR_TUNED_PROFILES]
		 [DOCTOR_TUNED_TEXT]; /* tuned.conf + script.sh, settings only */
};

/* The host as the checks see it. */
struct doctor_host {
	const char *root; /* prefixed to every /proc, /sys and /dev path; "" = the host */
	cpu_set_t isolated;
	bool have_isolated;
	char isolated_from[256]; /* where the isolated CPUs come from, for the report */
	unsigned nr_cpus;
	/* SIOCETHTOOL on ifname with data (a struct ethtool_*); 0 or -errno.
	 * Tests give their own. */
	int (*ethtool)(const char *ifname, void *data);
	unsigned window_ms;		/* 1000 by doctor_host_init; 0 = since the last run */
	void (*wait)(unsigned ms);	/* between a window's two reads; tests give their own */
	struct doctor_softnet *softnet; /* &softnet_state after doctor_host_init */
	struct doctor_softnet softnet_state;
	struct doctor_window *window; /* &window_state after doctor_host_init */
	struct doctor_window window_state;
	struct doctor_tuned tuned;
	/* the config's workloads (comm globs): the threads meant to be on the
	 * isolated CPUs */
	char workloads[JD_MAX_WORKLOADS][JD_COMM_GLOB_MAX];
	unsigned n_workloads;
	/* What only root may open, kept open by the daemon from before it
	 * drops root (doctor_root_files_open) and read again at each run;
	 * -1 (doctor_host_init): open the file each time. */
	struct doctor_root_files {
		int pm_qos;	     /* /dev/cpu_dma_latency (read: the request in force) */
		int irqbalance;	     /* /proc/<irqbalance_pid>/environ */
		long irqbalance_pid; /* the irqbalance that ran then */
	} root_files;
};

struct doctor_finding;

struct doctor_check {
	const char *id;	    /* "vm.swappiness": the label value of jitterd_tuning_check */
	const char *domain; /* isolation, cmdline, cpu, irq, vm, kernel, net, nic, evidence */
	enum doctor_severity severity;
	const char *why;       /* one sentence: what it costs in latency */
	const char *reference; /* where the recommendation comes from */
	/* tuned profiles that set it, ", "-separated, and in parentheses the
	 * tuned versions where that differs (read in tuned 2.20 to 2.28-rc1:
	 * settings moved between profiles); "" = none */
	const char *tuned;
	bool slow; /* scans every process: not in the daemon's periodic run */
	void (*judge)(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f);
	/* For the generic judges (sysctl and sysfs integers). */
	const char *path;   /* "/proc/sys/vm/swappiness" */
	const char *sysctl; /* "vm.swappiness" when it is one */
	char op;	    /* '=', '<' (at most), '>' (at least) */
	long long want;
	/* What a tuned profile's line has when it sets the same thing
	 * ("vm.swappiness", "skew_tick"; "|" between alternatives): the host's
	 * own profiles are searched for it. NULL: tuned does not set it. */
	const char *tuned_key;
};

/* References that rows of both tables cite. */
#define REF_KERNEL(doc) "Linux kernel documentation, " doc
#define REF_RHEL_NET	"Red Hat Enterprise Linux Network Performance Tuning Guide"

#define DOCTOR_TEXT 1024

struct doctor_finding {
	const struct doctor_check *check;
	enum doctor_state state;
	char subject[64];	       /* evidence: the class or CPU it is about; "" for checks */
	char value[DOCTOR_TEXT];       /* what it read */
	char where[DOCTOR_TEXT];       /* where it read it */
	char recommended[DOCTOR_TEXT]; /* the value to set ("" when ok) */
	char apply[2 * DOCTOR_TEXT];   /* the command or config line */
	char tuned_here[256];	       /* "network-latency (/usr/lib/tuned/network-latency)" */
	/* The judge found the risk partly met another way (isolcpus missing
	 * on CPUs that nohz_full and affinity isolate): one severity milder. */
	bool milder;
	/* Fixes that last: how to make the fix survive a reboot (words), and
	 * what `jitterd doctor --emit` writes of it: sysctl.d lines
	 * ("key = value", one a line), kernel command-line arguments, a tuned
	 * profile's lines ("[section] key=value", one a line) and a shell
	 * command that applies it now ("" = none that a script may run). */
	char persist[DOCTOR_TEXT];
	char emit_sysctl[256];
	char emit_cmdline[1100];
	char emit_tuned[DOCTOR_TEXT];
	char emit_script[2 * DOCTOR_TEXT];
};

/* A failed finding's severity: its check's, or one milder. */
enum doctor_severity doctor_finding_severity(const struct doctor_finding *f);

/* ---- the checks (checks.c, net.c) --------------------------- */

extern const struct doctor_check doctor_checks[];
extern const unsigned n_doctor_checks;
extern const struct doctor_check doctor_net_checks[];
extern const unsigned n_doctor_net_checks;
extern const struct doctor_check doctor_task_checks[];
extern const unsigned n_doctor_task_checks;
extern const struct doctor_check doctor_effect_checks[];
extern const unsigned n_doctor_effect_checks;

/* Every check of both tables, in order; cheap_only leaves out the slow ones.
 * out has room for doctor_count(); returns how many were written. */
unsigned doctor_count(void);
const struct doctor_check *doctor_check_by_id(const char *id);
unsigned doctor_run(const struct doctor_host *h, bool cheap_only, struct doctor_finding *out);
/*
 * The same run, the same order, but each finding is made in scratch (room
 * for one) and handed to sink before the next check runs: for a caller that
 * keeps only a few fields of each (the daemon's drift: a finding is 10 KiB
 * of texts, and a whole table of them, written at every run, was 684 KiB of
 * its resident set). Returns how many were handed.
 */
typedef void (*doctor_sink)(const struct doctor_finding *f, void *arg);
unsigned doctor_run_each(const struct doctor_host *h, bool cheap_only,
			 struct doctor_finding *scratch, doctor_sink sink, void *arg);

/*
 * The isolated CPUs: those of the cpu group doctor.isolated_group names
 * (or the group called "isolated"), else the CPUs the kernel isolates as it
 * took effect: /sys/devices/system/cpu/isolated (isolcpus=), nohz_full,
 * and the isolated cgroup v2 cpuset partitions.
 * config_path names the config in isolated_from; NULL = built-in defaults.
 */
void doctor_host_init(struct doctor_host *h, const char *root, const struct jd_config *cfg,
		      const char *config_path);

/*
 * The daemon, while still root: opens what the checks read that only root
 * may open (/dev/cpu_dma_latency, a running irqbalance's environ), so that
 * its periodic runs after dropping root read them too. Whatever cannot be
 * opened stays -1. Closed by doctor_root_files_close.
 */
void doctor_root_files_open(const struct doctor_host *h, struct doctor_root_files *rf);
void doctor_root_files_close(struct doctor_root_files *rf);

/* The first reads of the run's window (net.c: softnet; effects.c:
 * interrupts, SMIs) into h->window, and what is left of them freed. */
void doctor_softnet_begin(const struct doctor_host *h);
void doctor_effects_begin(const struct doctor_host *h);
void doctor_effects_end(const struct doctor_host *h);
/* The run's window as it was, from the first reads to now: window_ms, or
 * more when the checks between took time (a judge alone: window_ms). */
double doctor_window_s(const struct doctor_host *h);

/* nanosleep(): the default wait of a softnet window. */
void doctor_wait_ms(unsigned ms);

/* The host's tuned profiles (tuned.c): read by doctor_host_init. */
void doctor_tuned_read(const struct doctor_host *h, struct doctor_tuned *t);
/* The first profile of t with a setting's line that has one of keys ("a|b"):
 * its name (*which its index), or NULL. */
const char *doctor_tuned_sets(const struct doctor_tuned *t, const char *keys, unsigned *which);

/* The real SIOCETHTOOL. */
int doctor_ethtool_ioctl(const char *ifname, void *data);

/* ---- helpers the judges share (checks.c) ----------------------------- */

/* Reads root + path (a printf format) into buf, trailing newline cut.
 * 0, or -ENOENT, -EACCES/-EPERM, ... */
__attribute__((format(printf, 4, 5))) int doctor_read(const struct doctor_host *h, char *buf,
						      size_t size, const char *fmt, ...);
/* The state for a read that failed: not applicable or needs root. */
void doctor_unreadable(struct doctor_finding *f, int err, const char *path);
__attribute__((format(printf, 2, 3))) void doctor_set(char *field, const char *fmt, ...);
/* Appends to a field of size bytes (what fits). */
__attribute__((format(printf, 3, 4))) void doctor_append(char *field, size_t size, const char *fmt,
							 ...);
/* A hex cpumask as in /sys ("00000003", "ff,ffffffff"). */
int doctor_parse_cpumask(const char *s, cpu_set_t *set);
/* The whole of root + path, NUL-terminated (malloc'd), or NULL (errno). */
char *doctor_read_all(const struct doctor_host *h, const char *path);
/* The housekeeping CPUs (every CPU not isolated) as a mask for
 * bitmap_parse() and as a list, each of DOCTOR_HK_TEXT bytes: false when
 * there is none (every CPU isolated), and then no fix may use them. */
#define DOCTOR_HK_TEXT 4096
bool doctor_housekeeping(const struct doctor_host *h, char *mask, char *list);
/* The recommendation when every CPU is isolated: nothing to move work to. */
void doctor_no_housekeeping(struct doctor_finding *f);
/* A sysctl fix: sets recommended, apply, persist and the emitted lines. */
void doctor_fix_sysctl(struct doctor_finding *f, const char *key, const char *value);
/* A task's comm matches one of the config's workloads. */
bool doctor_is_workload(const struct doctor_host *h, const char *comm);
/* The CPUs the workloads may run on: the config's workloads, and every
 * user thread confined to isolated CPUs; false when none runs. */
bool doctor_workload_cpus(const struct doctor_host *h, cpu_set_t *set);
/* The generic judges of integer files (k->path, k->op, k->want). */
void doctor_judge_int(const struct doctor_host *h, const struct doctor_check *k,
		      struct doctor_finding *f);

/* An isolated CPU that takes more local timer interrupts a second than this
 * has a tick: HZ is 100 to 1000; nohz_full with one task keeps 1 a second
 * (effects.c over a window, evidence.c from the noise collector). */
#define DOCTOR_TICKS_PER_S_MAX 10

/* ---- evidence (evidence.c) ---------------------------------------- */

struct doctor_http {
	const char *url; /* "http://host:port" */
	const char *cacert, *user;
	bool insecure;
};

/*
 * Reads url's /metrics and /events and appends evidence findings to
 * *out (*n of them, *cap room, reallocated). Returns 0, or -1 after
 * printing why to stderr (the daemon could not be read).
 */
int doctor_evidence(const struct doctor_host *h, const struct doctor_http *http,
		    struct doctor_finding **out, unsigned *n, unsigned *cap);
/* The same from the texts themselves (tests). */
int doctor_evidence_from(const struct doctor_host *h, const char *metrics, const char *events,
			 struct doctor_finding **out, unsigned *n, unsigned *cap);

/* ---- the report (doctor.c) --------------------------------------------- */

const char *doctor_severity_name(enum doctor_severity s);
const char *doctor_state_name(enum doctor_state s);
/* The --json document. */
json_t *doctor_json(const struct doctor_host *h, const struct doctor_finding *f, unsigned n);
/* The text report; colour adds ANSI colours. */
void doctor_print(FILE *out, const struct doctor_host *h, const struct doctor_finding *f,
		  unsigned n, bool colour);

/* --emit kind ("tuned", "sysctl", "script"): the failed findings' fixes as
 * a tuned child profile, a sysctl.d fragment or a shell script, printed
 * (emit.c). 0, or -1 for an unknown kind. */
int doctor_emit(FILE *out, const struct doctor_host *h, const struct doctor_finding *f, unsigned n,
		const char *kind);

/* `jitterd doctor ...`: argv[0] is "doctor". Returns the exit status. */
int doctor_main(int argc, char **argv);

/* ---- drift, in the daemon (drift.c) -------------------------------- */

/* Before the daemon drops root: opens the root-only files of the checks
 * (doctor_root_files_open) for the runs to come. */
void doctor_drift_open_root_files(void);
/* Runs the cheap checks now and every doctor.interval (loop_every). */
int doctor_drift_start(const struct jd_config *cfg, const char *config_path);
/* A reload (SIGHUP), in the shape of a reload step (reload.h, main.c's
 * reload_steps): the new interval and isolated CPUs, the checks re-run now.
 * On failure the old interval stays. 0 or -errno. */
int doctor_drift_reload(const struct jd_config *old, const struct jd_config *new);
/* jitterd_tuning_check{check,severity}: the last run's results. */
void doctor_drift_collect(struct metrics *m);
void doctor_drift_finish(void);

#endif
