// SPDX-License-Identifier: MIT
/*
 * jitterd doctor: every check against a fixture tree (a fake /proc, /sys
 * and /dev that the test lays out and passes as the root), once with a good
 * value and once with a bad one, with the exact text of the finding; the
 * NIC checks through a fake SIOCETHTOOL; evidence from a fixed exposition
 * and event log; the JSON of a finding; the doctor's config keys.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <linux/ethtool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "core/config.h"
#include "doctor/doctor.h"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/parse.h"

/* ---- fixture trees ------------------------------------------------------------- */

static char root[64];

static void mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
}

/* root + path holds len bytes of content; content "->X" makes a symlink to X,
 * "/" a directory. */
static void put_bytes(const char *path, const char *content, size_t len)
{
	char full[512];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	mkdirs(full);
	if (!strcmp(content, "/")) {
		mkdir(full, 0755);
		return;
	}
	if (!strncmp(content, "->", 2)) {
		ck_assert_int_eq(symlink(content + 2, full), 0);
		return;
	}
	f = fopen(full, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(content, 1, len, f);
	fclose(f);
}

static void put(const char *path, const char *content)
{
	put_bytes(path, content, strlen(content));
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* A machine of two CPUs, CPU 1 isolated (isolcpus=1). */
static void setup(void)
{
	snprintf(root, sizeof(root), "%s/jd-doctor-XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	ck_assert_ptr_nonnull(mkdtemp(root));
	put("/sys/devices/system/cpu/possible", "0-1\n");
	put("/sys/devices/system/cpu/isolated", "1\n");
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- a fake SIOCETHTOOL -------------------------------------------------------- */

static struct {
	int err; /* returned for every command when set */
	struct ethtool_ringparam ring;
	struct ethtool_coalesce coalesce;
	__u32 gro, flags;
	struct ethtool_channels channels;
	struct ethtool_pauseparam pause;
	bool have_pause;
} nic;

/* The one NIC the tests give (Check forks each test: set it in a test alone). */
static const char *nic_ifname = "eth0";

static int fake_ethtool(const char *ifname, void *data)
{
	__u32 cmd = *(__u32 *)data;

	ck_assert_str_eq(ifname, nic_ifname);
	if (nic.err)
		return nic.err;
	switch (cmd) {
	case ETHTOOL_GRINGPARAM: *(struct ethtool_ringparam *)data = nic.ring; break;
	case ETHTOOL_GCOALESCE: *(struct ethtool_coalesce *)data = nic.coalesce; break;
	case ETHTOOL_GGRO: ((struct ethtool_value *)data)->data = nic.gro; break;
	case ETHTOOL_GFLAGS: ((struct ethtool_value *)data)->data = nic.flags; break;
	case ETHTOOL_GCHANNELS: *(struct ethtool_channels *)data = nic.channels; break;
	case ETHTOOL_GPAUSEPARAM:
		if (!nic.have_pause)
			return -EOPNOTSUPP;
		*(struct ethtool_pauseparam *)data = nic.pause;
		break;
	default: return -EOPNOTSUPP;
	}
	return 0;
}

static void put_nic(void)
{
	put("/sys/class/net/eth0/device/vendor", "0x1af4\n");
	put("/sys/class/net/eth0/device/driver", "->/sys/bus/virtio/drivers/virtio_net");
	put("/sys/class/net/lo/queues/rx-0/rps_cpus", "0\n"); /* virtual: never judged */
}

/* ---- running one check --------------------------------------------------------- */

/* What /proc/net/softnet_stat says at the end of a softnet window (NULL: as
 * at its start); the window takes no time in the tests. */
static const char *softnet_after;
static unsigned waited_ms;

static void fake_wait(unsigned ms)
{
	waited_ms += ms;
	if (softnet_after)
		put("/proc/net/softnet_stat", softnet_after);
}

static void check_fix(const struct doctor_finding *f, unsigned nbits);

/* One check on the fixture; every fix it writes is checked as the kernel
 * would take it (check_fix). */
static struct doctor_finding judge(const char *id)
{
	const struct doctor_check *k = doctor_check_by_id(id);
	struct doctor_finding f = { .check = k };
	struct doctor_host h;

	ck_assert_msg(k != NULL, "no check %s", id);
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	k->judge(&h, k, &f);
	check_fix(&f, h.nr_cpus);
	return f;
}

static void expect(const char *id, enum doctor_state state, const char *value)
{
	struct doctor_finding f = judge(id);

	ck_assert_msg(f.state == state, "%s: state %s, want %s (%s)", id,
		      doctor_state_name(f.state), doctor_state_name(state), f.value);
	ck_assert_msg(!strcmp(f.value, value), "%s: value \"%s\", want \"%s\"", id, f.value, value);
}

/*
 * One case: the files of a good host and of a bad one (path, content
 * pairs), and what the check says about each.
 */
struct check_case {
	const char *id;
	const char *good[8];
	const char *good_value;
	const char *bad[8];
	const char *bad_value;
};

static const struct check_case cases[] = {
	{ "isolation.isolcpus",
	  { "/proc/cmdline", "ro isolcpus=managed_irq,domain,1 nohz_full=1\n" },
	  "isolcpus=managed_irq,domain,1",
	  { "/proc/cmdline", "ro quiet\n" },
	  "isolcpus= is not set: isolated CPUs 1 not covered" },
	{ "isolation.nohz_full",
	  { "/proc/cmdline", "nohz_full=1 -- nohz_full=0\n" },
	  "nohz_full=1",
	  { "/proc/cmdline", "nohz_full=0\n" },
	  "nohz_full=0: isolated CPUs 1 not covered" },
	{ "isolation.rcu_nocbs",
	  { "/proc/cmdline", "rcu_nocbs=0-1\n" },
	  "rcu_nocbs=0-1",
	  { "/proc/cmdline", "rcu_nocbs=0\n" },
	  "rcu_nocbs=0: isolated CPUs 1 not covered" },
	{ "isolation.workqueue_cpumask",
	  { "/sys/devices/virtual/workqueue/cpumask", "1\n",
	    "/sys/bus/workqueue/devices/writeback/cpumask", "1\n" },
	  "no unbound workqueue runs on the isolated CPUs",
	  { "/sys/devices/virtual/workqueue/cpumask", "1\n",
	    "/sys/bus/workqueue/devices/writeback/cpumask", "3\n",
	    "/sys/devices/virtual/workqueue/writeback/cpumask", "3\n",
	    "/sys/devices/virtual/workqueue/nvme-wq/cpumask", "2\n" },
	  "unbound workqueues may run on isolated CPUs: "
	  "/sys/bus/workqueue/devices/writeback/cpumask=3, nvme-wq=2" },
	{ "isolation.init_affinity",
	  { "/proc/1/status", "Name:\tsystemd\nCpus_allowed_list:\t0\n" },
	  "0",
	  { "/proc/1/status", "Name:\tsystemd\nCpus_allowed_list:\t0-1\n" },
	  "0-1" },
	{ "isolation.smt_siblings",
	  { "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "1\n" },
	  "no isolated CPU shares its core with a housekeeping CPU",
	  { "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "0-1\n" },
	  "isolated CPUs 1 share their cores with housekeeping CPUs 0" },
	{ "isolation.managed_irq",
	  { "/proc/cmdline", "isolcpus=managed_irq,1\n" },
	  "isolcpus=managed_irq,1",
	  { "/proc/cmdline", "isolcpus=1\n" },
	  "isolcpus=1" },
	{ "cmdline.skew_tick",
	  { "/proc/cmdline", "skew_tick=1\n" },
	  "skew_tick=1",
	  { "/proc/cmdline", "skew_tick=0\n" },
	  "skew_tick=0" },
	{ "cmdline.tsc_reliable",
	  { "/proc/cmdline", "tsc=unstable tsc=reliable\n" },
	  "tsc=reliable",
	  { "/proc/cmdline", "tsc=reliable tsc=unstable\n" },
	  "tsc=unstable" },
	{ "cmdline.nosoftlockup",
	  { "/proc/cmdline", "quiet nosoftlockup\n" },
	  "nosoftlockup",
	  { "/proc/cmdline", "quiet\n" },
	  "nosoftlockup is not set" },
	{ "cmdline.nohz",
	  { "/proc/cmdline", "quiet\n" },
	  "nohz=on (default)",
	  { "/proc/cmdline", "nohz=off\n" },
	  "nohz=off" },
	{ "cmdline.rcu_normal_after_boot",
	  { "/proc/cmdline", "rcupdate.rcu_normal_after_boot=1\n" },
	  "rcupdate.rcu_normal_after_boot=1",
	  { "/proc/cmdline", "quiet\n" },
	  "rcupdate.rcu_normal_after_boot is not set" },
	{ "cmdline.nohz_full_patience_delay",
	  { "/proc/cmdline", "rcutree.nohz_full_patience_delay=1000\n" },
	  "rcutree.nohz_full_patience_delay=1000",
	  { "/proc/cmdline", "rcutree.nohz_full_patience_delay=10\n" },
	  "rcutree.nohz_full_patience_delay=10" },
	{ "cmdline.cstate_limit",
	  { "/proc/cmdline", "intel_idle.max_cstate=1\n" },
	  "intel_idle.max_cstate=1",
	  { "/proc/cmdline", "intel_idle.max_cstate=6\n" },
	  "no idle=poll, intel_idle.max_cstate or processor.max_cstate" },
	{ "cmdline.pstate_disable",
	  { "/proc/cmdline", "intel_pstate=disable\n" },
	  "intel_pstate=disable",
	  { "/proc/cmdline", "quiet\n", "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver",
	    "intel_pstate\n" },
	  "cpufreq driver intel_pstate" },
	{ "cpu.governor",
	  { "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n" },
	  "performance",
	  { "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n" },
	  "powersave on CPUs 1" },
	{ "cpu.min_perf_pct",
	  { "/sys/devices/system/cpu/intel_pstate/min_perf_pct", "100\n" },
	  "100",
	  { "/sys/devices/system/cpu/intel_pstate/min_perf_pct", "30\n" },
	  "30" },
	{ "cpu.energy_perf_bias",
	  { "/sys/devices/system/cpu/cpu1/power/energy_perf_bias", "0\n" },
	  "0",
	  { "/sys/devices/system/cpu/cpu1/power/energy_perf_bias", "6\n" },
	  "6 on CPUs 1" },
	{ "cpu.boost",
	  { "/sys/devices/system/cpu/cpufreq/boost", "1\n" },
	  "1",
	  { "/sys/devices/system/cpu/intel_pstate/no_turbo", "1\n" },
	  "no_turbo 1" },
	{ "cpu.platform_profile",
	  { "/sys/firmware/acpi/platform_profile", "performance\n" },
	  "performance",
	  { "/sys/firmware/acpi/platform_profile", "balanced\n" },
	  "balanced" },
	{ "cpu.cstates",
	  { "/sys/devices/system/cpu/cpu1/cpuidle/state0/latency", "0\n",
	    "/sys/devices/system/cpu/cpu1/cpuidle/state1/latency", "133\n",
	    "/sys/devices/system/cpu/cpu1/cpuidle/state1/disable", "1\n" },
	  "every enabled idle state exits within 10 us",
	  { "/sys/devices/system/cpu/cpu1/cpuidle/state0/latency", "0\n",
	    "/sys/devices/system/cpu/cpu1/cpuidle/state1/latency", "133\n",
	    "/sys/devices/system/cpu/cpu1/cpuidle/state1/disable", "0\n",
	    "/sys/devices/system/cpu/cpu1/cpuidle/state1/name", "C6\n" },
	  "C6 (133 us exit latency, state1) enabled on CPUs 1" },
	{ "cpu.clocksource",
	  { "/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n" },
	  "tsc",
	  { "/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet\n" },
	  "hpet" },
	{ "cpu.tsc_flags",
	  { "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu constant_tsc nonstop_tsc\n" },
	  "constant_tsc yes, nonstop_tsc yes",
	  { "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu constant_tsc\n" },
	  "constant_tsc yes, nonstop_tsc no" },
	{ "cpu.mce_ignore_ce",
	  { "/sys/devices/system/machinecheck/machinecheck0/ignore_ce", "1\n",
	    "/sys/devices/system/machinecheck/machinecheck1/ignore_ce", "1\n" },
	  "1",
	  { "/sys/devices/system/machinecheck/machinecheck0/ignore_ce", "1\n",
	    "/sys/devices/system/machinecheck/machinecheck1/ignore_ce", "0\n" },
	  "0 on CPUs 1" },
	{ "video.panel_power_savings",
	  { "/sys/class/drm/card0-eDP-1/amdgpu/panel_power_savings", "0\n" },
	  "0",
	  { "/sys/class/drm/card0-eDP-1/amdgpu/panel_power_savings", "3\n" },
	  "card0-eDP-1: 3" },
	{ "irq.affinity",
	  { "/proc/interrupts",
	    "           CPU0       CPU1\n 24:   5   0   PCI-MSIX-0000:00:03.0   1-edge      "
	    "virtio0-input.0\n",
	    "/proc/irq/24/smp_affinity_list", "0\n", "/proc/irq/24/effective_affinity_list",
	    "0\n" },
	  "no IRQ of 1 runs or may run on the isolated CPUs",
	  { "/proc/interrupts",
	    "           CPU0       CPU1\n 24:   5   0   PCI-MSIX-0000:00:03.0   1-edge      "
	    "virtio0-input.0\n",
	    "/proc/irq/24/smp_affinity_list", "0-1\n", "/proc/irq/24/effective_affinity_list",
	    "1\n" },
	  "1 IRQs run on isolated CPUs: IRQ 24 (virtio0-input.0) on CPUs 1" },
	{ "vm.transparent_hugepage",
	  { "/sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n" },
	  "never",
	  { "/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n" },
	  "always" },
	{ "vm.zone_reclaim_mode",
	  { "/proc/sys/vm/zone_reclaim_mode", "0\n" },
	  "0",
	  { "/proc/sys/vm/zone_reclaim_mode", "1\n" },
	  "1" },
	{ "vm.thp_defrag",
	  { "/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n",
	    "/sys/kernel/mm/transparent_hugepage/defrag",
	    "always defer defer+madvise [madvise] never\n",
	    "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", "0\n" },
	  "enabled madvise, defrag madvise, khugepaged/defrag 0",
	  { "/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n",
	    "/sys/kernel/mm/transparent_hugepage/defrag",
	    "always defer defer+madvise [madvise] never\n",
	    "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", "1\n" },
	  "enabled always, defrag madvise, khugepaged/defrag 1" },
	{ "kernel.sched_autogroup_enabled",
	  { "/proc/sys/kernel/sched_autogroup_enabled", "0\n" },
	  "0",
	  { "/proc/sys/kernel/sched_autogroup_enabled", "1\n" },
	  "1" },
	{ "cmdline.mitigations",
	  { "/proc/cmdline", "ro quiet\n", "/sys/devices/system/cpu/vulnerabilities/spectre_v2",
	    "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling\n",
	    "/sys/devices/system/cpu/vulnerabilities/meltdown", "Not affected\n" },
	  "no mitigation that costs on every kernel entry is in force",
	  { "/proc/cmdline", "ro quiet\n", "/sys/devices/system/cpu/vulnerabilities/meltdown",
	    "Mitigation: PTI\n" },
	  "meltdown (Mitigation: PTI)" },
	{ "net.tcp_timestamps",
	  { "/proc/sys/net/ipv4/tcp_timestamps", "0\n", "/etc/tuned/active_profile", "trading\n",
	    "/etc/tuned/trading/tuned.conf", "[sysctl]\nnet.ipv4.tcp_timestamps = 0\n" },
	  "0 (tuned profile trading sets 0)",
	  { "/proc/sys/net/ipv4/tcp_timestamps", "1\n", "/etc/tuned/active_profile", "trading\n",
	    "/etc/tuned/trading/tuned.conf", "[sysctl]\nnet.ipv4.tcp_timestamps = 0\n" },
	  "1 (tuned profile trading sets 0)" },
	{ "vm.swappiness",
	  { "/proc/sys/vm/swappiness", "10\n" },
	  "10",
	  { "/proc/sys/vm/swappiness", "60\n" },
	  "60" },
	{ "vm.swap",
	  { "/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n" },
	  "no swap",
	  { "/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/vda2 partition 9 0 -2\n" },
	  "1 swap areas (/dev/vda2 ...)" },
	{ "vm.ksm",
	  { "/sys/kernel/mm/ksm/run", "0\n" },
	  "0",
	  { "/sys/kernel/mm/ksm/run", "1\n" },
	  "1" },
	{ "vm.stat_interval",
	  { "/proc/sys/vm/stat_interval", "10\n" },
	  "10",
	  { "/proc/sys/vm/stat_interval", "1\n" },
	  "1" },
	{ "vm.dirty_ratio",
	  { "/proc/sys/vm/dirty_ratio", "0\n", "/proc/sys/vm/dirty_bytes", "1048576\n" },
	  "1048576 bytes",
	  { "/proc/sys/vm/dirty_ratio", "20\n", "/proc/sys/vm/dirty_bytes", "0\n" },
	  "20" },
	{ "vm.dirty_background_ratio",
	  { "/proc/sys/vm/dirty_background_ratio", "3\n" },
	  "3",
	  { "/proc/sys/vm/dirty_background_ratio", "10\n" },
	  "10" },
	{ "kernel.numa_balancing",
	  { "/proc/sys/kernel/numa_balancing", "0\n" },
	  "0",
	  { "/proc/sys/kernel/numa_balancing", "1\n" },
	  "1" },
	{ "kernel.timer_migration",
	  { "/proc/sys/kernel/timer_migration", "0\n" },
	  "0",
	  { "/proc/sys/kernel/timer_migration", "1\n" },
	  "1" },
	{ "kernel.nmi_watchdog",
	  { "/proc/sys/kernel/nmi_watchdog", "0\n" },
	  "0",
	  { "/proc/sys/kernel/nmi_watchdog", "1\n" },
	  "1" },
	{ "kernel.hung_task_timeout_secs",
	  { "/proc/sys/kernel/hung_task_timeout_secs", "600\n" },
	  "600",
	  { "/proc/sys/kernel/hung_task_timeout_secs", "120\n" },
	  "120" },
	{ "kernel.sched_rt_runtime_us",
	  { "/proc/sys/kernel/sched_rt_runtime_us", "-1\n" },
	  "-1",
	  { "/proc/sys/kernel/sched_rt_runtime_us", "950000\n" },
	  "950000" },
	{ "selinux.avc_cache_threshold",
	  { "/sys/fs/selinux/avc/cache_threshold", "8192\n" },
	  "8192",
	  { "/sys/fs/selinux/avc/cache_threshold", "512\n" },
	  "512" },
	{ "net.busy_read",
	  { "/proc/sys/net/core/busy_read", "50\n" },
	  "50",
	  { "/proc/sys/net/core/busy_read", "0\n" },
	  "0" },
	{ "net.busy_poll",
	  { "/proc/sys/net/core/busy_poll", "100\n" },
	  "100",
	  { "/proc/sys/net/core/busy_poll", "0\n" },
	  "0" },
	{ "net.rmem_max",
	  { "/proc/sys/net/core/rmem_max", "16777216\n" },
	  "16777216",
	  { "/proc/sys/net/core/rmem_max", "212992\n" },
	  "212992" },
	{ "net.wmem_max",
	  { "/proc/sys/net/core/wmem_max", "16777216\n" },
	  "16777216",
	  { "/proc/sys/net/core/wmem_max", "212992\n" },
	  "212992" },
	{ "net.rmem_default",
	  { "/proc/sys/net/core/rmem_default", "4194304\n" },
	  "4194304",
	  { "/proc/sys/net/core/rmem_default", "212992\n" },
	  "212992" },
	{ "net.wmem_default",
	  { "/proc/sys/net/core/wmem_default", "4194304\n" },
	  "4194304",
	  { "/proc/sys/net/core/wmem_default", "212992\n" },
	  "212992" },
	{ "net.tcp_fastopen",
	  { "/proc/sys/net/ipv4/tcp_fastopen", "3\n" },
	  "3",
	  { "/proc/sys/net/ipv4/tcp_fastopen", "1\n" },
	  "1" },
	{ "net.rps",
	  { "/sys/class/net/eth0/device/vendor", "0x1af4\n",
	    "/sys/class/net/eth0/queues/rx-0/rps_cpus", "1\n" },
	  "no RPS mask includes an isolated CPU",
	  { "/sys/class/net/eth0/device/vendor", "0x1af4\n",
	    "/sys/class/net/eth0/queues/rx-0/rps_cpus", "2\n" },
	  "eth0 rx-0 rps_cpus=1" },
	{ "net.xps",
	  { "/sys/class/net/eth0/device/vendor", "0x1af4\n",
	    "/sys/class/net/eth0/queues/tx-1/xps_cpus", "2\n" },
	  "no tx queue is shared by isolated and housekeeping CPUs",
	  { "/sys/class/net/eth0/device/vendor", "0x1af4\n",
	    "/sys/class/net/eth0/queues/tx-0/xps_cpus", "3\n" },
	  "eth0 tx-0 xps_cpus=0-1" },
};

static void put_all(const char *const *files)
{
	for (unsigned i = 0; i < 8 && files[i]; i += 2)
		put(files[i], files[i + 1]);
}

/* Each case in a fresh tree, in one test: a fork per case costs more than
 * the case (the message names the check that failed). */
START_TEST(each_check_reports_a_good_host_ok_and_a_bad_one_failing)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct check_case *c = &cases[i];

		teardown();
		setup();
		put_all(c->good);
		expect(c->id, DOCTOR_OK, c->good_value);
		teardown();
		setup();
		put_all(c->bad);
		expect(c->id, DOCTOR_FAIL, c->bad_value);
	}
}
END_TEST

/* Every check has a case, or one of the tests below. */
START_TEST(every_check_is_tested)
{
	static const char *const elsewhere[] = { "net.netdev_max_backlog",
						 "net.netdev_budget",
						 "cpu.pm_qos",
						 "irq.irqbalance_banned",
						 "nic.rings",
						 "nic.coalesce",
						 "nic.offloads",
						 "nic.channels",
						 "isolation.threads",
						 "sched.rt_throttling",
						 "workload.mlock_limit",
						 "isolation.interrupts",
						 "cpu.smi",
						 "nic.coalesce_tx",
						 "nic.pause",
						 "net.gro_flush_timeout",
						 "nic.numa" };
	unsigned n = doctor_count();
	struct doctor_finding *f = calloc(n, sizeof(*f));
	struct doctor_host h;

	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	ck_assert_uint_eq(doctor_run(&h, false, f), n);
	for (unsigned i = 0; i < n; i++) {
		bool found = false;

		for (unsigned j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
			found |= !strcmp(cases[j].id, f[i].check->id);
		for (unsigned j = 0; j < sizeof(elsewhere) / sizeof(elsewhere[0]); j++)
			found |= !strcmp(elsewhere[j], f[i].check->id);
		ck_assert_msg(found, "check %s has no test", f[i].check->id);
	}
	free(f);
}
END_TEST

/* ---- checks with their own tests ----------------------------------------------- */

START_TEST(pm_qos_reads_the_binary_request)
{
	int32_t us = 0;

	put_bytes("/dev/cpu_dma_latency", (const char *)&us, sizeof(us));
	expect("cpu.pm_qos", DOCTOR_OK, "0 us");
	us = 2000000000;
	put_bytes("/dev/cpu_dma_latency", (const char *)&us, sizeof(us));
	expect("cpu.pm_qos", DOCTOR_FAIL, "no request (2000000000 us is the kernel's default)");
}
END_TEST

START_TEST(a_file_only_root_reads_needs_root)
{
	struct doctor_finding f;

	if (geteuid() == 0) /* root reads it anyway: take the unreadable path directly */
	{
		f = (struct doctor_finding){ 0 };
		doctor_unreadable(&f, -EACCES, "/dev/cpu_dma_latency");
	} else {
		char path[128];

		put("/dev/cpu_dma_latency", "x");
		snprintf(path, sizeof(path), "%s/dev/cpu_dma_latency", root);
		chmod(path, 0);
		f = judge("cpu.pm_qos");
	}
	ck_assert_int_eq(f.state, DOCTOR_NEEDS_ROOT);
	ck_assert_str_eq(
		f.value,
		"/dev/cpu_dma_latency is readable by root only: run jitterd doctor as root");
}
END_TEST

START_TEST(a_missing_file_is_not_applicable)
{
	expect("cpu.min_perf_pct", DOCTOR_NOT_APPLICABLE,
	       "/sys/devices/system/cpu/intel_pstate/min_perf_pct: No such file or directory (this "
	       "kernel or machine does not have it)");
}
END_TEST

START_TEST(irqs_that_may_move_to_isolated_cpus_fail_too)
{
	put("/proc/interrupts", "           CPU0       CPU1\n 25:   5   0   IO-APIC   9-fasteoi   "
				"acpi\n");
	put("/proc/irq/25/smp_affinity_list", "0-1\n");
	put("/proc/irq/25/effective_affinity_list", "0\n");
	put("/proc/irq/26/smp_affinity_list", "0\n");
	put("/proc/irq/default_smp_affinity", "3\n");
	expect("irq.affinity", DOCTOR_FAIL,
	       "1 IRQs may move there (smp_affinity_list): IRQ 25 (acpi); new IRQs may go there "
	       "(/proc/irq/default_smp_affinity 3)");
	ck_assert_str_eq(judge("irq.affinity").apply,
			 "for i in 25; do echo 0 > /proc/irq/$i/smp_affinity_list; done; echo 1 > "
			 "/proc/irq/default_smp_affinity; managed IRQs: isolcpus=managed_irq,...; "
			 "irqbalance: IRQBALANCE_BANNED_CPULIST");
}
END_TEST

START_TEST(irqbalance_banned_cpus_come_from_its_environment)
{
	static const char good[] = "PATH=/bin\0IRQBALANCE_BANNED_CPULIST=1\0";
	static const char bad[] = "PATH=/bin\0IRQBALANCE_BANNED_CPUS=1\0"; /* CPU 0 */

	expect("irq.irqbalance_banned", DOCTOR_NOT_APPLICABLE, "irqbalance is not running");
	put("/proc/77/comm", "irqbalance\n");
	put("/proc/12/comm", "sshd\n");
	put_bytes("/proc/77/environ", good, sizeof(good) - 1);
	expect("irq.irqbalance_banned", DOCTOR_OK, "irqbalance (pid 77) bans CPUs 1");
	put_bytes("/proc/77/environ", bad, sizeof(bad) - 1);
	expect("irq.irqbalance_banned", DOCTOR_FAIL,
	       "irqbalance (pid 77) may move IRQs to isolated CPUs 1");
}
END_TEST

/* The daemon opens what only root may before it drops root, and reads
 * through those fds at every run: the files' paths are not used again. */
START_TEST(the_daemon_reads_root_only_files_through_the_fds_it_kept)
{
	static const char env[] = "PATH=/bin\0IRQBALANCE_BANNED_CPULIST=1\0";
	const struct doctor_check *qos = doctor_check_by_id("cpu.pm_qos"),
				  *irqb = doctor_check_by_id("irq.irqbalance_banned");
	struct doctor_finding f;
	struct doctor_host h;
	int32_t us = 5;
	char path[256];

	put_bytes("/dev/cpu_dma_latency", (const char *)&us, sizeof(us));
	put("/proc/77/comm", "irqbalance\n");
	put_bytes("/proc/77/environ", env, sizeof(env) - 1);
	doctor_host_init(&h, root, NULL, NULL);
	ck_assert_int_eq(h.root_files.pm_qos, -1);
	doctor_root_files_open(&h, &h.root_files);
	ck_assert_int_ge(h.root_files.pm_qos, 0);
	ck_assert_int_ge(h.root_files.irqbalance, 0);
	ck_assert_int_eq(h.root_files.irqbalance_pid, 77);
	snprintf(path, sizeof(path), "%s/dev/cpu_dma_latency", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/77/environ", root);
	unlink(path);
	for (int run = 0; run < 2; run++) { /* read again at every run */
		f = (struct doctor_finding){ .check = qos };
		qos->judge(&h, qos, &f);
		ck_assert_str_eq(f.value, "5 us");
		f = (struct doctor_finding){ .check = irqb };
		irqb->judge(&h, irqb, &f);
		ck_assert_str_eq(f.value, "irqbalance (pid 77) bans CPUs 1");
	}
	/* another irqbalance: not read through the fd of the one that ran */
	snprintf(path, sizeof(path), "%s/proc/77/comm", root);
	unlink(path);
	put("/proc/78/comm", "irqbalance\n");
	f = (struct doctor_finding){ .check = irqb };
	irqb->judge(&h, irqb, &f);
	ck_assert_int_eq(f.state, DOCTOR_NOT_APPLICABLE);
	ck_assert_str_eq(f.where, "/proc/78/environ");
	doctor_root_files_close(&h.root_files);
	ck_assert_int_eq(h.root_files.pm_qos, -1);
}
END_TEST

START_TEST(isolation_checks_without_isolated_cpus_are_not_applicable)
{
	put("/sys/devices/system/cpu/isolated", "\n");
	put("/proc/cmdline", "quiet\n");
	expect("isolation.nohz_full", DOCTOR_NOT_APPLICABLE,
	       "no isolated CPUs (/sys/devices/system/cpu/isolated and nohz_full are empty, no "
	       "cpuset partition is isolated and no cpu group is named isolated)");
}
END_TEST

START_TEST(the_config_s_isolated_group_wins_over_the_kernel_s)
{
	struct jd_config cfg;
	struct doctor_host h;
	static const char yaml[] = "cpu_groups:\n  hk: \"0\"\n  fast: \"1\"\n"
				   "doctor:\n  isolated_group: fast\n";

	put("/sys/devices/system/cpu/isolated", "\n");
	ck_assert_int_eq(config_parse(&cfg, "t.yaml", yaml, strlen(yaml), 2, stderr), 0);
	doctor_host_init(&h, root, &cfg, "t.yaml");
	ck_assert(h.have_isolated);
	ck_assert(CPU_ISSET(1, &h.isolated) && CPU_COUNT(&h.isolated) == 1);
	ck_assert_str_eq(h.isolated_from, "cpu group \"fast\" of t.yaml");
}
END_TEST

START_TEST(isolated_group_must_name_a_cpu_group)
{
	struct jd_config cfg;
	static const char yaml[] = "cpu_groups:\n  hk: \"0-1\"\ndoctor:\n  isolated_group: fast\n";
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	ck_assert_int_eq(config_parse(&cfg, "t.yaml", yaml, strlen(yaml), 2, f), -EINVAL);
	fclose(f);
	ck_assert_msg(!strncmp(err,
			       "t.yaml:4:19: isolated_group: no cpu group named \"fast\" in "
			       "cpu_groups\n",
			       strlen("t.yaml:4:19: isolated_group: no cpu group named \"fast\" in "
				      "cpu_groups\n")),
		      "%s", err);
	free(err);
}
END_TEST

START_TEST(doctor_interval_is_validated)
{
	struct jd_config cfg;
	static const char yaml[] = "doctor:\n  interval: 10ms\n";
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	config_defaults(&cfg);
	ck_assert_uint_eq(cfg.doctor.interval_ns, 60000000000ull);
	ck_assert_int_eq(config_parse(&cfg, "t.yaml", yaml, strlen(yaml), 2, f), -EINVAL);
	fclose(f);
	ck_assert_msg(strstr(err, "t.yaml:2:13: ") == err, "%s", err);
	free(err);
}
END_TEST

/* ---- the kernel's own syntax --------------------------------------------------- */

/* A host of ncpus CPUs with isolated (a cpulist) isolated. */
static void host_of(unsigned ncpus, const char *isolated)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "0-%u\n", ncpus - 1);
	put("/sys/devices/system/cpu/possible", buf);
	snprintf(buf, sizeof(buf), "%s\n", isolated);
	put("/sys/devices/system/cpu/isolated", buf);
}

START_TEST(cmdline_cpulists_take_the_kernel_s_last_cpu_all_and_strides)
{
	host_of(96, "2-95");
	put("/proc/cmdline", "ro isolcpus=managed_irq,domain,2-N nohz_full=2-N rcu_nocbs=2-N\n");
	expect("isolation.isolcpus", DOCTOR_OK, "isolcpus=managed_irq,domain,2-N");
	expect("isolation.nohz_full", DOCTOR_OK, "nohz_full=2-N");
	expect("isolation.rcu_nocbs", DOCTOR_OK, "rcu_nocbs=2-N");
	host_of(8, "1,3,5,7");
	put("/proc/cmdline", "nohz_full=1-N:1/2 rcu_nocbs=all\n");
	expect("isolation.nohz_full", DOCTOR_OK, "nohz_full=1-N:1/2");
	expect("isolation.rcu_nocbs", DOCTOR_OK, "rcu_nocbs=all");
	/* what the kernel rejects isolates nothing */
	put("/proc/cmdline", "nohz_full=1-8 isolcpus=domain,N\n");
	expect("isolation.nohz_full", DOCTOR_FAIL,
	       "nohz_full=1-8 (rejected by the kernel: CPU number beyond the last CPU): isolated "
	       "CPUs 1,3,5,7 not covered");
	/* isolcpus takes a list that starts with a letter for a flag */
	expect("isolation.isolcpus", DOCTOR_FAIL,
	       "isolcpus=domain,N: isolated CPUs 1,3,5,7 not covered");
	put("/proc/cmdline", "isolcpus=domain,1-7:1/2 nohz_full=1-3:1/2,5-7:1/2\n");
	expect("isolation.isolcpus", DOCTOR_OK, "isolcpus=domain,1-7:1/2");
	expect("isolation.nohz_full", DOCTOR_OK, "nohz_full=1-3:1/2,5-7:1/2");
	put("/proc/cmdline", "isolcpus=dom-ain,1-7\n");
	expect("isolation.isolcpus", DOCTOR_FAIL,
	       "isolcpus=dom-ain,1-7 (rejected by the kernel: an invalid flag makes the kernel "
	       "ignore isolcpus=): isolated CPUs 1,3,5,7 not covered");
}
END_TEST

START_TEST(a_max_cstate_the_kernel_rejects_limits_nothing)
{
	put("/proc/cmdline", "intel_idle.max_cstate=abc\n");
	expect("cmdline.cstate_limit", DOCTOR_FAIL,
	       "intel_idle.max_cstate=abc is not a number (the kernel ignores it)");
	put("/proc/cmdline", "processor.max_cstate=1x\n");
	expect("cmdline.cstate_limit", DOCTOR_FAIL,
	       "processor.max_cstate=1x is not a number (the kernel ignores it)");
	put("/proc/cmdline", "intel_idle.max_cstate=0x1\n");
	expect("cmdline.cstate_limit", DOCTOR_OK, "intel_idle.max_cstate=0x1");
	put("/proc/cmdline", "intel_idle.max_cstate=09 processor.max_cstate=+1\n");
	expect("cmdline.cstate_limit", DOCTOR_OK, "processor.max_cstate=+1");
}
END_TEST

/* ---- fixes the kernel takes ---------------------------------------------------- */

/*
 * The kernel's bitmap_parse() (lib/bitmap-str.c), which reads what is
 * written to smp_affinity, default_smp_affinity, rps_cpus, xps_cpus and the
 * workqueue cpumasks, for a mask of nbits CPUs, written here from its rules
 * (not from the doctor's code): up to the first newline; from the end,
 * words of at most 8 hex digits split by commas or white space (empty words
 * allowed); at most (nbits + 31) / 32 words; no bit at or above nbits.
 * After 8 digits a further hex digit is -EOVERFLOW and any other character
 * is skipped; a non-hex character inside a word is -EINVAL.
 */
static int kernel_bitmap_parse(const char *s, unsigned nbits, cpu_set_t *set)
{
	const char *start = s, *end = s + strcspn(s, "\n") - 1;
	unsigned words = (nbits + 31) / 32, parsed = 0;

	CPU_ZERO(set);
	for (;;) {
		unsigned long word = 0;

		while (end >= start && (isspace((unsigned char)*end) || *end == ','))
			end--;
		if (end < start)
			break;
		if (parsed == words)
			return -EOVERFLOW;
		for (int i = 0;; i += 4) {
			if (i == 32) {
				if (isxdigit((unsigned char)*end))
					return -EOVERFLOW;
				end--;
				break;
			}
			if (!isxdigit((unsigned char)*end))
				return -EINVAL;
			word |= (unsigned long)(isdigit((unsigned char)*end)
							? *end - '0'
							: tolower((unsigned char)*end) - 'a' + 10)
				<< i;
			end--;
			if (end < start || isspace((unsigned char)*end) || *end == ',')
				break;
		}
		for (unsigned b = 0; b < 32; b++)
			if (word >> b & 1) {
				if (parsed * 32 + b >= nbits)
					return -EOVERFLOW;
				CPU_SET(parsed * 32 + b, set);
			}
		parsed++;
	}
	return 0;
}

START_TEST(the_test_s_bitmap_parse_is_the_kernel_s)
{
	cpu_set_t set;

	ck_assert_int_eq(kernel_bitmap_parse("ffffffff,fffffff3", 64, &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 62);
	ck_assert_int_eq(kernel_bitmap_parse("fffffffffffffff3", 96, &set), -EOVERFLOW);
	ck_assert_int_eq(kernel_bitmap_parse("1,,5", 64, &set), 0);
	ck_assert_int_eq(kernel_bitmap_parse("", 8, &set), 0);
	ck_assert_int_eq(kernel_bitmap_parse("1,0,0", 64, &set), -EOVERFLOW);
	ck_assert_int_eq(kernel_bitmap_parse("ff", 4, &set), -EOVERFLOW);
	ck_assert_int_eq(kernel_bitmap_parse("f", 4, &set), 0);
	ck_assert_int_eq(kernel_bitmap_parse("0x3", 8, &set), -EINVAL);
	ck_assert_int_eq(kernel_bitmap_parse("3\n", 8, &set), 0);
	ck_assert(CPU_ISSET(1, &set) && CPU_COUNT(&set) == 2);
}
END_TEST

/*
 * Every "echo VALUE > PATH" and "echo VALUE | tee PATH" of a fix: a mask the
 * kernel's bitmap_parse() takes for nbits CPUs, or a cpulist its
 * bitmap_parselist() takes, and not empty where the kernel refuses an
 * empty affinity; no control character; no loop over nothing.
 */
static void check_fix(const struct doctor_finding *f, unsigned nbits)
{
	const char *p = f->apply;

	for (const char *c = f->apply; *c; c++)
		ck_assert_msg((unsigned char)*c >= ' ', "%s: control character in \"%s\"",
			      f->check->id, f->apply);
	ck_assert_msg(!strstr(f->apply, "for i in ;") && !strstr(f->apply, "for p in ;"),
		      "%s: empty loop: %s", f->check->id, f->apply);
	/* taskset takes a cpulist (-c): one sched_setaffinity() would take */
	for (const char *q = f->apply; (q = strstr(q, "taskset -")); q += 9) {
		char list[4096];
		const char *why;
		cpu_set_t set;

		ck_assert_msg(sscanf(q, "taskset -%*[a]pc %4095s", list) == 1 ||
				      sscanf(q, "taskset -pc %4095s", list) == 1,
			      "%s: taskset without a cpulist: %s", f->check->id, q);
		ck_assert_msg(!parse_kernel_cpulist(list, nbits, &set, &why) && CPU_COUNT(&set),
			      "%s: taskset -c %s is not a cpulist of CPUs", f->check->id, list);
	}
	/* kernel command line cpulists: what housekeeping_setup() and
	 * rcu_nocb_setup() take (isolcpus= after its flags) */
	for (const char *const *name =
		     (const char *const[]){ "isolcpus=", "nohz_full=", "rcu_nocbs=", NULL };
	     *name; name++)
		for (const char *q = f->apply; (q = strstr(q, *name)); q += strlen(*name)) {
			char list[1024];
			const char *why, *v = q + strlen(*name);
			cpu_set_t set;

			if (q > f->apply && (isalnum((unsigned char)q[-1]) || q[-1] == '_'))
				continue; /* "..._isolcpus=" */
			/* the flags: words with a ',' inside this argument */
			while (!strcmp(*name, "isolcpus=") && isalpha((unsigned char)*v) &&
			       strcspn(v, ",") < strcspn(v, " \"'"))
				v += strcspn(v, ",") + 1;
			snprintf(list, sizeof(list), "%.*s", (int)strcspn(v, " \"'"), v);
			if (!list[0] || strchr(".)", list[0]))
				continue; /* prose: "(or isolcpus=)", "isolcpus=managed_irq,..." */
			ck_assert_msg(!parse_kernel_cpulist(list, nbits, &set, &why) &&
					      CPU_COUNT(&set),
				      "%s: the kernel rejects %s%s (%s)", f->check->id, *name, list,
				      f->apply);
		}
	while ((p = strstr(p, "echo "))) {
		char value[4096], path[512];
		const char *why;
		cpu_set_t set;
		int n = 0;

		if (sscanf(p, "echo %4095s > %511[^; ]%n", value, path, &n) != 2 &&
		    sscanf(p, "echo %4095s | tee %511[^; ]%n", value, path, &n) != 2) {
			p += 5;
			continue;
		}
		p += n;
		if (strstr(path, "smp_affinity_list")) {
			ck_assert_msg(!parse_kernel_cpulist(value, nbits, &set, &why),
				      "%s: the kernel rejects %s > %s", f->check->id, value, path);
			ck_assert_msg(CPU_COUNT(&set), "%s: empty %s", f->check->id, path);
		} else if (strstr(path, "smp_affinity") || strstr(path, "rps_cpus") ||
			   strstr(path, "xps_cpus") || strstr(path, "cpumask")) {
			ck_assert_msg(!kernel_bitmap_parse(value, nbits, &set),
				      "%s: the kernel rejects %s > %s", f->check->id, value, path);
			ck_assert_msg(CPU_COUNT(&set) || strstr(path, "rps_cpus"), "%s: empty %s",
				      f->check->id, path);
		}
	}
}

static struct doctor_finding judged(const char *id, unsigned nbits)
{
	struct doctor_finding f = judge(id);

	check_fix(&f, nbits);
	return f;
}

START_TEST(masks_for_more_than_32_cpus_are_32_bit_words)
{
	host_of(96, "2-3");
	put("/sys/devices/virtual/workqueue/cpumask", "ffffffff,ffffffff,ffffffff\n");
	put("/proc/irq/24/smp_affinity_list", "0-95\n");
	put("/proc/irq/24/effective_affinity_list", "2\n");
	put("/proc/irq/default_smp_affinity", "ffffffff,ffffffff,ffffffff\n");
	ck_assert_str_eq(judged("isolation.workqueue_cpumask", 96).recommended,
			 "ffffffff,ffffffff,fffffff3 (the housekeeping CPUs)");
	ck_assert_str_eq(
		judged("irq.affinity", 96).apply,
		"for i in 24; do echo 0-1,4-95 > /proc/irq/$i/smp_affinity_list; done; "
		"echo ffffffff,ffffffff,fffffff3 > /proc/irq/default_smp_affinity; managed "
		"IRQs: isolcpus=managed_irq,...; irqbalance: IRQBALANCE_BANNED_CPULIST");
}
END_TEST

/* n IRQs from 24 on, all allowed everywhere and running on CPU 5. */
static void put_irqs(unsigned n, unsigned ncpus)
{
	char path[64], list[32];

	snprintf(list, sizeof(list), "0-%u\n", ncpus - 1);
	for (unsigned i = 24; i < 24 + n; i++) {
		snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", i);
		put(path, list);
		snprintf(path, sizeof(path), "/proc/irq/%u/effective_affinity_list", i);
		put(path, "5\n");
	}
}

START_TEST(a_list_of_irqs_is_never_cut)
{
	struct doctor_finding f;
	char *loop, *p;
	unsigned want = 24;

	host_of(96, "2-95");
	put_irqs(400, 96);
	f = judged("irq.affinity", 96);
	ck_assert_msg(!strncmp(f.value, "400 IRQs run on isolated CPUs: IRQ 24 on CPUs 5, ", 48),
		      "%s", f.value);
	/* the description ends on a whole item and says how many it leaves out */
	ck_assert_msg(strstr(f.value, " on CPUs 5 and ") && strstr(f.value, " more"), "%s",
		      f.value);
	loop = strdup(f.apply);
	ck_assert_msg(!strncmp(loop, "for i in ", 9), "%s", loop);
	*strchr(loop, ';') = '\0';
	for (p = strtok(loop + 9, " "); p; p = strtok(NULL, " "))
		ck_assert_uint_eq(strtoul(p, NULL, 10), want++);
	ck_assert_uint_eq(want, 24 + 400);
	free(loop);
	/* too many to name: every IRQ */
	put_irqs(1000, 96);
	f = judged("irq.affinity", 96);
	ck_assert_msg(!strncmp(f.value, "1000 IRQs run on isolated CPUs: ", 32), "%s", f.value);
	ck_assert_str_eq(
		f.apply,
		"for i in /proc/irq/[0-9]*; do echo 0,00000000,00000003 > $i/smp_affinity; "
		"done; echo 0,00000000,00000003 > /proc/irq/default_smp_affinity; managed IRQs: "
		"isolcpus=managed_irq,...; irqbalance: IRQBALANCE_BANNED_CPULIST");
}
END_TEST

START_TEST(the_xps_fix_gives_each_isolated_cpu_a_queue)
{
	host_of(4, "2-3");
	put("/sys/class/net/eth0/device/vendor", "0x1af4\n");
	put("/sys/class/net/eth0/queues/tx-0/xps_cpus", "f\n");
	put("/sys/class/net/eth0/queues/tx-1/xps_cpus", "0\n");
	put("/sys/class/net/eth0/queues/tx-2/xps_cpus", "0\n");
	expect("net.xps", DOCTOR_FAIL, "eth0 tx-0 xps_cpus=0-3");
	ck_assert_str_eq(judged("net.xps", 4).apply,
			 "echo 3 > /sys/class/net/eth0/queues/tx-0/xps_cpus; "
			 "echo 4 > /sys/class/net/eth0/queues/tx-1/xps_cpus; "
			 "echo 8 > /sys/class/net/eth0/queues/tx-2/xps_cpus");
	ck_assert_str_eq(judge("net.xps").recommended, "a tx queue of its own per isolated CPU");
	/* one free queue for two CPUs: the other is said */
	put("/sys/class/net/eth0/queues/tx-2/xps_cpus", "1\n");
	ck_assert_str_eq(judged("net.xps", 4).recommended,
			 "a tx queue of its own per isolated CPU; no free tx queue for CPUs 3: add "
			 "channels (ethtool -L)");
}
END_TEST

START_TEST(no_loop_over_no_irq)
{
	put("/proc/irq/24/smp_affinity_list", "0\n");
	put("/proc/irq/default_smp_affinity", "3\n");
	ck_assert_str_eq(judged("irq.affinity", 2).apply,
			 "echo 1 > /proc/irq/default_smp_affinity; managed IRQs: "
			 "isolcpus=managed_irq,...; irqbalance: IRQBALANCE_BANNED_CPULIST");
}
END_TEST

START_TEST(no_fix_moves_work_to_no_cpu)
{
	static const char *const ids[] = { "isolation.workqueue_cpumask", "isolation.init_affinity",
					   "irq.affinity" };

	host_of(2, "0-1");
	put("/sys/devices/virtual/workqueue/cpumask", "3\n");
	put("/proc/1/status", "Name:\tsystemd\nCpus_allowed_list:\t0-1\n");
	put("/proc/irq/24/smp_affinity_list", "0-1\n");
	for (unsigned i = 0; i < 3; i++) {
		struct doctor_finding f = judged(ids[i], 2);

		ck_assert_int_eq(f.state, DOCTOR_FAIL);
		ck_assert_str_eq(f.recommended, "at least one housekeeping (not isolated) CPU");
		ck_assert_str_eq(f.apply,
				 "every CPU is isolated: leave at least one CPU out of the "
				 "isolated set first (the kernel needs one for "
				 "housekeeping)");
	}
}
END_TEST

/* ---- what the kernel, irqbalance or tuned already handle ----------------------- */

START_TEST(nohz_full_offloads_rcu_callbacks_without_rcu_nocbs)
{
	put("/proc/cmdline", "nohz_full=1\n");
	expect("isolation.rcu_nocbs", DOCTOR_OK, "rcu_nocbs= is not set (nohz_full= implies it)");
	put("/proc/cmdline", "isolcpus=nohz,domain,1\n");
	expect("isolation.rcu_nocbs", DOCTOR_OK,
	       "rcu_nocbs= is not set (isolcpus=nohz implies it)");
	expect("isolation.nohz_full", DOCTOR_OK,
	       "nohz_full= is not set (isolcpus=nohz implies it)");
	put("/proc/cmdline", "nohz_full=0\n");
	expect("isolation.rcu_nocbs", DOCTOR_FAIL,
	       "rcu_nocbs= is not set: isolated CPUs 1 not covered");
}
END_TEST

START_TEST(ksm_run_2_and_hung_task_0_are_off)
{
	put("/sys/kernel/mm/ksm/run", "2\n"); /* tuned's disable_ksm */
	expect("vm.ksm", DOCTOR_OK, "2");
	put("/proc/sys/kernel/hung_task_timeout_secs", "0\n");
	expect("kernel.hung_task_timeout_secs", DOCTOR_OK, "0");
}
END_TEST

START_TEST(irqbalance_bans_isolated_and_nohz_full_cpus_by_default)
{
	static const char none[] = "PATH=/bin\0IRQBALANCE_BANNED_CPULIST=\0";
	static const char other[] = "IRQBALANCE_BANNED_CPULIST=0\0";

	host_of(4, "2");
	put("/sys/devices/system/cpu/nohz_full", "3\n");
	put("/proc/77/comm", "irqbalance\n");
	put_bytes("/proc/77/environ", none, sizeof(none) - 1);
	expect("irq.irqbalance_banned", DOCTOR_OK,
	       "irqbalance (pid 77) bans CPUs 2-3 (by default: the isolated and nohz_full CPUs "
	       "of /sys)");
	/* a list of its own replaces the default */
	put_bytes("/proc/77/environ", other, sizeof(other) - 1);
	expect("irq.irqbalance_banned", DOCTOR_FAIL,
	       "irqbalance (pid 77) may move IRQs to isolated CPUs 2-3");
}
END_TEST

START_TEST(the_soft_lockup_watchdog_skips_nohz_full_cpus)
{
	put("/proc/cmdline", "quiet\n");
	put("/proc/sys/kernel/watchdog_cpumask", "0\n");
	expect("cmdline.nosoftlockup", DOCTOR_OK,
	       "nosoftlockup is not set; the watchdog runs on CPUs 0 only "
	       "(/proc/sys/kernel/watchdog_cpumask)");
	put("/proc/sys/kernel/watchdog_cpumask", "0-1\n");
	expect("cmdline.nosoftlockup", DOCTOR_FAIL, "nosoftlockup is not set");
	put("/proc/sys/kernel/soft_watchdog", "0\n");
	expect("cmdline.nosoftlockup", DOCTOR_OK,
	       "nosoftlockup is not set; /proc/sys/kernel/soft_watchdog is 0");
}
END_TEST

START_TEST(a_pm_qos_request_limits_c_states)
{
	int32_t us = 2;

	put("/proc/cmdline", "quiet\n");
	put("/sys/devices/system/cpu/cpu1/cpuidle/state0/latency", "0\n");
	put("/sys/devices/system/cpu/cpu1/cpuidle/state1/latency", "2\n");
	put("/sys/devices/system/cpu/cpu1/cpuidle/state2/latency", "133\n");
	put("/sys/devices/system/cpu/cpu1/cpuidle/state2/disable", "0\n");
	put_bytes("/dev/cpu_dma_latency", (const char *)&us, sizeof(us)); /* force_latency */
	expect("cpu.cstates", DOCTOR_OK,
	       "every enabled idle state exits within 10 us or is above the PM QoS request (2 us)");
	expect("cmdline.cstate_limit", DOCTOR_OK,
	       "no idle=poll, intel_idle.max_cstate or processor.max_cstate; a PM QoS request of "
	       "2 us on /dev/cpu_dma_latency limits C-states");
	us = 2000000000;
	put_bytes("/dev/cpu_dma_latency", (const char *)&us, sizeof(us));
	expect("cpu.cstates", DOCTOR_FAIL,
	       "state2 (133 us exit latency, state2) enabled on CPUs 1");
	expect("cmdline.cstate_limit", DOCTOR_FAIL,
	       "no idle=poll, intel_idle.max_cstate or processor.max_cstate");
}
END_TEST

/* ---- hosts larger than ours, tuned as tuned and the doctor ask ----------------- */

__attribute__((format(printf, 2, 3))) static void putf(const char *path, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(path, buf);
}

/*
 * A thread in /proc/<pid>/task/<tid>/: status (Name, Pid, PPid 2 for a
 * kthread, Cpus_allowed_list) and stat (its 41st field the policy:
 * 0 other, 1 FIFO).
 */
static void put_thread_flags(unsigned pid, unsigned tid, const char *name, bool kthread,
			     const char *allowed, int policy, unsigned flags)
{
	char path[128], stat[512];
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/status", pid, tid);
	putf(path, "Name:\t%s\nPid:\t%u\nPPid:\t%u\nCpus_allowed_list:\t%s\n", name, tid,
	     kthread ? 2 : 1, allowed);
	n = (size_t)snprintf(stat, sizeof(stat), "%u (%s) S %u", tid, name, kthread ? 2u : 1u);
	for (unsigned field = 5; field <= 40; field++) /* fields 5-40, then the policy */
		n += (size_t)snprintf(stat + n, sizeof(stat) - n, " %u", field == 9 ? flags : 0);
	snprintf(stat + n, sizeof(stat) - n, " %d 0 0\n", policy);
	snprintf(path, sizeof(path), "/proc/%u/task/%u/stat", pid, tid);
	put(path, stat);
}

static void put_thread(unsigned pid, unsigned tid, const char *name, bool kthread,
		       const char *allowed, int policy)
{
	put_thread_flags(pid, tid, name, kthread, allowed, policy, 0);
}

/* A process's limits and sizes: memlock "unlimited" or a number of bytes. */
static void put_limits(unsigned pid, const char *memlock, unsigned rss_kb, unsigned lck_kb)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/limits", pid);
	putf(path,
	     "Limit                     Soft Limit           Hard Limit           Units     \n"
	     "Max locked memory         %-20s %-20s bytes     \n",
	     memlock, memlock);
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	putf(path, "Name:\tx\nVmLck:\t%8u kB\nVmRSS:\t%8u kB\n", lck_kb, rss_kb);
}

/* A mask of CPUs first..last of ncpus as the kernel prints it. */
static const char *mask_of(unsigned ncpus, unsigned first, unsigned last)
{
	static char buf[4][512];
	static unsigned turn;
	char *out = buf[turn++ % 4];
	size_t n = 0;

	for (unsigned w = (ncpus + 31) / 32; w-- > 0;) {
		unsigned v = 0;

		for (unsigned b = 0; b < 32; b++)
			if (w * 32 + b >= first && w * 32 + b <= last && w * 32 + b < ncpus)
				v |= 1u << b;
		n += (size_t)snprintf(out + n, 512 - n, "%s%08x", n ? "," : "", v);
	}
	return out;
}

/*
 * A host of ncpus CPUs and nirqs IRQs, CPUs 0-1 housekeeping and 2-N
 * isolated, with what tuned's cpu-partitioning and realtime profiles
 * (2.20 and later, and network-latency and latency-performance that they
 * include) set, and the rest of what the doctor asks: the kernel command
 * line in the kernel's own syntax (N), force_latency's PM QoS request
 * (C-states left enabled), disable_ksm's run=2, irqbalance banning by its
 * defaults. good = false: the same host with its isolation undone at run
 * time (IRQs, workqueues, RPS and XPS on the isolated CPUs).
 */
static void put_tuned_host(unsigned ncpus, unsigned nirqs, bool good)
{
	static const char *const sysctls[][2] = {
		{ "vm/swappiness", "10" },
		{ "vm/zone_reclaim_mode", "0" },
		{ "kernel/sched_autogroup_enabled", "0" },
		{ "net/ipv4/tcp_timestamps", "1" },
		{ "vm/stat_interval", "10" },
		{ "vm/dirty_ratio", "10" },
		{ "vm/dirty_background_ratio", "3" },
		{ "kernel/numa_balancing", "0" },
		{ "kernel/timer_migration", "0" },
		{ "kernel/nmi_watchdog", "0" },
		{ "kernel/hung_task_timeout_secs", "600" },
		{ "kernel/sched_rt_runtime_us", "-1" },
		{ "net/core/busy_read", "50" },
		{ "net/core/busy_poll", "50" },
		{ "net/core/rmem_max", "16777216" },
		{ "net/core/wmem_max", "16777216" },
		{ "net/core/rmem_default", "4194304" },
		{ "net/core/wmem_default", "4194304" },
		{ "net/core/netdev_max_backlog", "1000" },
		{ "net/core/netdev_budget", "300" },
		{ "net/core/netdev_budget_usecs", "8000" },
		{ "net/ipv4/tcp_fastopen", "3" },
	};
	static const char env[] = "PATH=/bin\0IRQBALANCE_BANNED_CPULIST=\0";
	const unsigned last = ncpus - 1;
	int32_t qos = 2; /* force_latency=cstate.id_no_zero:1 */
	char *interrupts, path[128];
	size_t cap = (size_t)(nirqs + 1) * (ncpus * 11 + 128);

	putf("/sys/devices/system/cpu/possible", "0-%u\n", last);
	putf("/sys/devices/system/cpu/isolated", "2-%u\n", last);
	putf("/sys/devices/system/cpu/nohz_full", "2-%u\n", last);
	put("/proc/cmdline",
	    "BOOT_IMAGE=/vmlinuz ro isolcpus=managed_irq,domain,2-N nohz=on nohz_full=2-N "
	    "rcu_nocbs=2-N tuned.non_isolcpus=00000003 intel_pstate=disable nosoftlockup "
	    "skew_tick=1 tsc=reliable rcupdate.rcu_normal_after_boot=1 "
	    "rcutree.nohz_full_patience_delay=1000\n");
	for (unsigned c = 0; c < ncpus; c++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor", c);
		put(path, "performance\n");
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/power/energy_perf_bias",
			 c);
		put(path, "0\n");
		for (unsigned st = 0; st < 3; st++) {
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/latency", c, st);
			put(path, st == 0 ? "0\n" : st == 1 ? "2\n" : "133\n");
		}
		snprintf(path, sizeof(path),
			 "/sys/devices/system/machinecheck/machinecheck%u/ignore_ce", c);
		put(path, "1\n");
	}
	put("/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver", "acpi-cpufreq\n");
	put("/sys/devices/system/cpu/cpufreq/boost", "1\n");
	put("/sys/firmware/acpi/platform_profile", "performance\n");
	put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	put("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n");
	put_bytes("/dev/cpu_dma_latency", (const char *)&qos, sizeof(qos));
	/* tuned's [sysfs]: workqueues on not_isolated_cpumask */
	putf("/sys/devices/virtual/workqueue/cpumask", "%s\n", mask_of(ncpus, 0, good ? 1 : last));
	putf("/sys/bus/workqueue/devices/writeback/cpumask", "%s\n", mask_of(ncpus, 0, 1));
	putf("/sys/devices/virtual/workqueue/writeback/cpumask", "%s\n", mask_of(ncpus, 0, 1));
	putf("/sys/devices/virtual/workqueue/nvme-wq/cpumask", "%s\n",
	     mask_of(ncpus, 0, good ? 1 : last));
	put("/proc/1/status", "Name:\tsystemd\nCpus_allowed_list:\t0-1\n");
	put("/proc/sys/kernel/watchdog_cpumask", "0-1\n");
	/* IRQs: on the housekeeping CPUs; /proc/interrupts with a column per CPU,
	 * and a second later (.1s): the housekeeping CPUs took their IRQs and
	 * 250 ticks, each isolated CPU 1 tick (nohz_full, one task); undone,
	 * each IRQ fired 5 times on the isolated CPU it runs on */
	for (unsigned later = 0; later < 2; later++) {
		char *p;

		interrupts = malloc(cap);
		p = interrupts + sprintf(interrupts, "     ");
		for (unsigned c = 0; c < ncpus; c++)
			p += sprintf(p, " CPU%-7u", c);
		*p++ = '\n';
		for (unsigned i = 0; i < nirqs; i++) {
			unsigned irq = 24 + i, runs_on = good ? i % 2 : 2 + i % (ncpus - 2);

			if (!later) {
				snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", irq);
				if (good)
					put(path, "0-1\n");
				else
					putf(path, "0-%u\n", last);
				snprintf(path, sizeof(path), "/proc/irq/%u/effective_affinity_list",
					 irq);
				putf(path, "%u\n", runs_on);
			}
			p += sprintf(p, "%4u:", irq);
			for (unsigned c = 0; c < ncpus; c++)
				p += sprintf(p, " %10u",
					     (c < 2 ? i : 0) + (later && c == runs_on ? 5 : 0));
			p += sprintf(p,
				     "  PCI-MSIX-0000:3b:00.0 %u-edge      "
				     "mlx5_comp%u@pci:0000:3b:00.0\n",
				     i, i);
		}
		p += sprintf(p, "%4s:", "LOC");
		for (unsigned c = 0; c < ncpus; c++)
			p += sprintf(p, " %10u", 100000u + (later ? (c < 2 ? 250u : 1u) : 0u));
		sprintf(p, "   Local timer interrupts\n");
		put(later ? "/proc/interrupts.1s" : "/proc/interrupts", interrupts);
		free(interrupts);
	}
	/* threads: kthreads per CPU and on the housekeeping CPUs; the workload on
	 * the isolated ones, SCHED_FIFO, memory locked; undone: the kthreads
	 * and a daemon may run anywhere, the workload's memlock limit is 64 KiB */
	snprintf(path, sizeof(path), "0-%u", good ? 1 : last);
	put_thread(2, 2, "kthreadd", true, path, 0);
	put_thread(10, 10, "rcuop/2", true, path, 0);
	put_thread(11, 11, "kworker/u512:0", true, path, 0);
	put_thread(12, 12, "ksoftirqd/2", true, "2", 0);
	put_thread(13, 13, "migration/2", true, "2", 1);
	put_thread(600, 600, "sshd", false, path, 0);
	snprintf(path, sizeof(path), "2-%u", last);
	put_thread(500, 500, "strategy", false, path, 0);
	put_thread(500, 501, "md-feed", false, "3", 1);
	put_limits(500, good ? "unlimited" : "65536", 1048576, good ? 1048576 : 0);
	for (unsigned c = 0; c < ncpus; c++) {
		uint64_t smis = 7;
		char msr[0x34 + 8] = { 0 };

		memcpy(msr + 0x34, &smis, sizeof(smis));
		snprintf(path, sizeof(path), "/dev/cpu/%u/msr", c);
		put_bytes(path, msr, sizeof(msr));
	}
	putf("/proc/irq/default_smp_affinity", "%s\n", mask_of(ncpus, 0, 1));
	put("/proc/77/comm", "irqbalance\n");
	put_bytes("/proc/77/environ", env, sizeof(env) - 1);
	put("/sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
	put("/sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] "
							  "never\n");
	put("/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", "1\n");
	put("/sys/devices/system/cpu/vulnerabilities/spectre_v2",
	    "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling; PBRSB-eIBRS: "
	    "SW sequence; BHI: BHI_DIS_S\n");
	put("/sys/devices/system/cpu/vulnerabilities/meltdown", "Not affected\n");
	put("/sys/devices/system/cpu/vulnerabilities/spec_store_bypass",
	    "Mitigation: Speculative Store Bypass disabled via prctl\n");
	put("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
	put("/sys/kernel/mm/ksm/run", "2\n");
	put("/sys/fs/selinux/avc/cache_threshold", "8192\n");
	for (unsigned i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/%s", sysctls[i][0]);
		putf(path, "%s\n", sysctls[i][1]);
	}
	put("/proc/net/softnet_stat", "00000010 0000001a 0000000b 0 0\n"); /* old drops only */
	/* one NIC: rx queues without RPS, tx-0 for the housekeeping CPUs and one
	 * tx queue per isolated CPU */
	put_nic();
	for (unsigned q = 0; q < ncpus - 1; q++) {
		snprintf(path, sizeof(path), "/sys/class/net/eth0/queues/rx-%u/rps_cpus", q);
		putf(path, "%s\n", mask_of(ncpus, good ? 1 : 0, good ? 0 : last));
		snprintf(path, sizeof(path), "/sys/class/net/eth0/queues/tx-%u/xps_cpus", q);
		putf(path, "%s\n",
		     q == 0 ? mask_of(ncpus, 0, good ? 1 : 2) : mask_of(ncpus, q + 1, q + 1));
	}
	nic.err = 0;
	nic.ring = (struct ethtool_ringparam){ .rx_pending = 8192, .rx_max_pending = 8192 };
	nic.coalesce = (struct ethtool_coalesce){ .rx_max_coalesced_frames = 1 };
	nic.gro = 0, nic.flags = 0;
	nic.channels = (struct ethtool_channels){ .combined_count = 2, .max_combined = 63 };
	nic.have_pause = true;
	nic.pause = (struct ethtool_pauseparam){ .autoneg = 0 };
	put("/sys/class/net/eth0/device/numa_node", "0\n");
	putf("/sys/class/net/eth0/device/local_cpulist", "0-%u\n", last);
	put("/sys/class/net/eth0/gro_flush_timeout", "0\n");
	put("/sys/class/net/eth0/napi_defer_hard_irqs", "0\n");
}

/* Every check on the host: what fails (and every fix parses as the kernel's). */
/* The checks this session added judge the tuned hosts, not pass by being
 * not applicable there. */
static const char *const judged_here[] = {
	"isolation.threads",
	"sched.rt_throttling",
	"workload.mlock_limit",
	"isolation.interrupts",
	"cpu.smi",
	"nic.numa",
	"nic.pause",
	"net.gro_flush_timeout",
	"nic.coalesce_tx",
	"vm.thp_defrag",
	"cmdline.mitigations",
	"vm.zone_reclaim_mode",
	"kernel.sched_autogroup_enabled",
};

static unsigned run_all(unsigned ncpus, char *failed, size_t size)
{
	unsigned n = doctor_count(), bad = 0;
	struct doctor_finding *f = calloc(n, sizeof(*f));
	struct doctor_host h;

	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	ck_assert_uint_eq(h.nr_cpus, ncpus);
	n = doctor_run(&h, false, f);
	failed[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		check_fix(&f[i], ncpus);
		/* every fix says how it lasts */
		ck_assert_msg(f[i].state != DOCTOR_FAIL || f[i].persist[0], "%s: no persist",
			      f[i].check->id);
		for (unsigned j = 0; j < sizeof(judged_here) / sizeof(judged_here[0]); j++)
			ck_assert_msg(strcmp(f[i].check->id, judged_here[j]) ||
					      f[i].state == DOCTOR_OK || f[i].state == DOCTOR_FAIL,
				      "%s: %s", f[i].check->id, f[i].value);
		if (f[i].state == DOCTOR_FAIL || f[i].state == DOCTOR_NEEDS_ROOT) {
			bad++;
			snprintf(failed + strlen(failed), size - strlen(failed), "%s%s (%.200s)",
				 failed[0] ? "; " : "", f[i].check->id, f[i].value);
		}
	}
	free(f);
	return bad;
}

START_TEST(a_correctly_tuned_large_host_has_no_finding)
{
	static const unsigned sizes[][2] = { { 96, 300 }, { 256, 400 } };
	char failed[16384];

	for (unsigned i = 0; i < 2; i++) {
		teardown();
		setup();
		put_tuned_host(sizes[i][0], sizes[i][1], true);
		ck_assert_msg(run_all(sizes[i][0], failed, sizeof(failed)) == 0,
			      "%u CPUs, %u IRQs: %s", sizes[i][0], sizes[i][1], failed);
	}
}
END_TEST

START_TEST(an_undone_large_host_gets_fixes_the_kernel_takes)
{
	static const unsigned sizes[][2] = { { 96, 300 }, { 256, 400 } };
	static const char *const want[] = { "isolation.workqueue_cpumask",
					    "irq.affinity",
					    "net.rps",
					    "net.xps",
					    "isolation.threads",
					    "isolation.interrupts",
					    "workload.mlock_limit" };
	const unsigned nwant = sizeof(want) / sizeof(want[0]);
	char failed[16384];

	for (unsigned i = 0; i < 2; i++) {
		teardown();
		setup();
		put_tuned_host(sizes[i][0], sizes[i][1], false);
		ck_assert_msg(run_all(sizes[i][0], failed, sizeof(failed)) == nwant, "%s", failed);
		for (unsigned j = 0; j < nwant; j++)
			ck_assert_msg(strstr(failed, want[j]), "%s", failed);
	}
}
END_TEST

/* ---- what runs on the isolated CPUs -------------------------------------------- */

START_TEST(threads_on_isolated_cpus_are_named_by_kind_with_their_fix)
{
	put_thread(10, 10, "rcuop/1", true, "0-1", 0);
	put_thread(11, 11, "kworker/u4:0", true, "0-1", 0);
	put_thread(12, 12, "ksoftirqd/1", true, "1", 0);
	put_thread(13, 13, "kthreadd", true, "0", 0);
	put_thread_flags(14, 14, "irq/24-eth0", true, "0-1", 1, 0x04000000); /* PF_NO_SETAFFINITY */
	put_thread(20, 20, "sshd", false, "0-1", 0);
	put_thread(20, 21, "sshd", false, "0-1", 0);
	put_thread(30, 30, "strategy", false, "1", 1);
	struct doctor_finding f = judge("isolation.threads");

	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_str_eq(f.value,
			 "5 threads may run on isolated CPUs 1: RCU callback kthreads 1 "
			 "(rcuop/1[10]); unbound kworkers and rescuers 1 (kworker/u4:0[11]); "
			 "kthreads whose affinity the kernel keeps 1 (irq/24-eth0[14]); user "
			 "threads 2 (sshd[20] sshd[21])");
	ck_assert_str_eq(f.emit_script, "echo 1 > /sys/devices/virtual/workqueue/cpumask; "
					"for p in 10; do taskset -pc 0 $p; done; "
					"for p in 20; do taskset -apc 0 $p; done");
	ck_assert_str_eq(f.apply,
			 "echo 1 > /sys/devices/virtual/workqueue/cpumask; "
			 "for p in 10; do taskset -pc 0 $p; done; "
			 "for p in 20; do taskset -apc 0 $p; done; kthreads whose affinity "
			 "the kernel keeps: the domain flag of isolcpus at boot starts them "
			 "on housekeeping CPUs; an irq/N thread follows its IRQ "
			 "(irq.affinity)");
	ck_assert_str_eq(f.emit_tuned, "[variables] isolated_cores=1");
	/* the same threads kept on the housekeeping CPU */
	put_thread(10, 10, "rcuop/1", true, "0", 0);
	put_thread(11, 11, "kworker/u4:0", true, "0", 0);
	put_thread_flags(14, 14, "irq/24-eth0", true, "0", 1, 0x04000000);
	put_thread(20, 20, "sshd", false, "0", 0);
	put_thread(20, 21, "sshd", false, "0", 0);
	expect("isolation.threads", DOCTOR_OK,
	       "no thread but per-CPU kthreads and the workloads may run on the isolated CPUs");
}
END_TEST

START_TEST(rt_throttling_is_critical_under_a_fifo_thread_on_an_isolated_cpu)
{
	put("/proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	put_thread(13, 13, "migration/1", true, "1", 1); /* the kernel's: not throttled work */
	put_thread(30, 30, "strategy", false, "0-1", 0);
	expect("sched.rt_throttling", DOCTOR_OK,
	       "950000; no SCHED_FIFO or SCHED_RR thread runs on an isolated CPU");
	put_thread(30, 31, "md-feed", false, "1", 1);
	struct doctor_finding f = judge("sched.rt_throttling");

	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_int_eq(doctor_finding_severity(&f), DOCTOR_CRITICAL);
	ck_assert_str_eq(f.value, "950000: 1 SCHED_FIFO/RR threads on isolated CPUs (md-feed[31]) "
				  "are stopped for the rest of each period once they have run "
				  "this long");
	ck_assert_str_eq(f.emit_sysctl, "kernel.sched_rt_runtime_us = -1");
	put("/proc/sys/kernel/sched_rt_runtime_us", "-1\n");
	expect("sched.rt_throttling", DOCTOR_OK, "-1 (RT throttling off)");
}
END_TEST

START_TEST(a_workload_that_cannot_lock_its_memory_fails)
{
	expect("workload.mlock_limit", DOCTOR_NOT_APPLICABLE,
	       "no workload runs (config workloads, or user threads confined to isolated CPUs)");
	put_thread(30, 30, "strategy", false, "1", 0);
	put_limits(30, "65536", 1048576, 0);
	struct doctor_finding f = judge("workload.mlock_limit");

	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_str_eq(f.value, "strategy[30] may lock 64 KiB of its 1048576 KiB");
	ck_assert_str_eq(f.apply,
			 "for p in 30; do prlimit --pid $p --memlock=unlimited:unlimited; done");
	put_limits(30, "65536", 1048576, 1048576); /* locked already (CAP_IPC_LOCK) */
	expect("workload.mlock_limit", DOCTOR_OK, "1 workload processes may lock all their memory");
	put_limits(30, "unlimited", 1048576, 0);
	expect("workload.mlock_limit", DOCTOR_OK, "1 workload processes may lock all their memory");
}
END_TEST

/* ---- effects ------------------------------------------------------------------- */

START_TEST(a_nohz_full_cpu_with_1000_ticks_a_second_is_not_isolated)
{
	put("/proc/interrupts", "           CPU0       CPU1\n"
				" 24:         10          0   PCI-MSI 1-edge   eth0\n"
				"LOC:        100        100   Local timer interrupts\n"
				"RES:          1          1   Rescheduling interrupts\n"
				"ERR:          0\n");
	/* a second later, as the test says: */
	put("/proc/interrupts.1s", "           CPU0       CPU1\n"
				   " 24:         10          3   PCI-MSI 1-edge   eth0\n"
				   "LOC:        350       1100   Local timer interrupts\n"
				   "RES:          1          2   Rescheduling interrupts\n"
				   "ERR:          0\n");
	waited_ms = 0;
	struct doctor_finding f = judge("isolation.interrupts");

	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_str_eq(f.value, "CPU 1: 1000 timer, 3 device, 1 other interrupts (in 1.0 s)");
	ck_assert_str_eq(f.emit_cmdline, "nohz_full=1");
	ck_assert_uint_eq(waited_ms, 1000);
	put("/proc/interrupts.1s", "           CPU0       CPU1\n"
				   " 24:         10          0   PCI-MSI 1-edge   eth0\n"
				   "LOC:        350        101   Local timer interrupts\n"
				   "ERR:          0\n");
	expect("isolation.interrupts", DOCTOR_OK,
	       "isolated CPUs 1: at most 1 timer interrupts and no device IRQ in 1.0 s");
}
END_TEST

START_TEST(smis_are_counted_over_the_window_where_the_msr_is_readable)
{
	char msr[0x34 + 8] = { 0 };
	uint64_t count = 5;

	expect("cpu.smi", DOCTOR_NOT_APPLICABLE, "unreadable: no /dev/cpu/*/msr (modprobe msr)");
	put_bytes("/dev/cpu/0/msr", msr, 0x30); /* no such MSR: the read fails */
	put_bytes("/dev/cpu/1/msr", msr, 0x30);
	expect("cpu.smi", DOCTOR_NOT_APPLICABLE,
	       "unreadable: this CPU has no MSR_SMI_COUNT (Intel only)");
	for (unsigned c = 0; c < 2; c++) {
		char path[64];

		memcpy(msr + 0x34, &count, sizeof(count));
		snprintf(path, sizeof(path), "/dev/cpu/%u/msr", c);
		put_bytes(path, msr, sizeof(msr));
	}
	expect("cpu.smi", DOCTOR_OK, "no SMI in 1.0 s (5 since boot)");
	count = 8;
	memcpy(msr + 0x34, &count, sizeof(count));
	put_bytes("/dev/cpu/0/msr.1s", msr, sizeof(msr));
	expect("cpu.smi", DOCTOR_FAIL,
	       "3 SMIs in 1.0 s (8 since boot): each stops every CPU for tens to hundreds of "
	       "microseconds");
}
END_TEST

/* A run takes the first reads of softnet_stat, /proc/interrupts and the SMI
 * counts, waits once, then takes every second read: one window, not three. */
START_TEST(a_run_waits_once_for_all_its_windows)
{
	unsigned n = doctor_count();
	struct doctor_finding *f = calloc(n, sizeof(*f));
	char msr[0x34 + 8] = { 0 };
	uint64_t count = 5;
	struct doctor_host h;
	static const char *const want[][2] = {
		{ "net.netdev_max_backlog",
		  "1000; 2 packets dropped for a full backlog in 1.0 s (29 since boot)" },
		{ "isolation.interrupts",
		  "CPU 1: 1000 timer, 3 device, 1 other interrupts (in 1.0 s)" },
		{ "cpu.smi", "3 SMIs in 1.0 s (8 since boot): each stops every CPU for tens to "
			     "hundreds of microseconds" },
	};

	put("/proc/sys/net/core/netdev_max_backlog", "1000\n");
	put("/proc/net/softnet_stat", "00000010 0000001a 0000000b 0 0\n00000020 00000001 0 0 0\n");
	softnet_after = "00000010 0000001c 0000000b 0 0\n00000020 00000001 0 0 0\n";
	put("/proc/interrupts", "           CPU0       CPU1\n"
				" 24:         10          0   PCI-MSI 1-edge   eth0\n"
				"LOC:        100        100   Local timer interrupts\n"
				"RES:          1          1   Rescheduling interrupts\n");
	put("/proc/interrupts.1s", "           CPU0       CPU1\n"
				   " 24:         10          3   PCI-MSI 1-edge   eth0\n"
				   "LOC:        350       1100   Local timer interrupts\n"
				   "RES:          1          2   Rescheduling interrupts\n");
	memcpy(msr + 0x34, &count, sizeof(count));
	put_bytes("/dev/cpu/0/msr", msr, sizeof(msr));
	count = 8;
	memcpy(msr + 0x34, &count, sizeof(count));
	put_bytes("/dev/cpu/0/msr.1s", msr, sizeof(msr));
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	waited_ms = 0;
	n = doctor_run(&h, false, f);
	softnet_after = NULL;
	ck_assert_uint_eq(waited_ms, 1000);
	for (unsigned w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		unsigned i;

		for (i = 0; i < n && strcmp(f[i].check->id, want[w][0]); i++)
			;
		ck_assert_uint_lt(i, n);
		ck_assert_msg(f[i].state == DOCTOR_FAIL && !strcmp(f[i].value, want[w][1]),
			      "%s: %s \"%s\"", want[w][0], doctor_state_name(f[i].state),
			      f[i].value);
	}
	ck_assert_ptr_null(h.window->interrupts);
	ck_assert_ptr_null(h.window->smi);
	free(f);
}
END_TEST

/* ---- --emit ---------------------------------------------------------------------- */

/* What doctor_emit() writes of the findings on the fixture (malloc'd). */
static char *emitted(const struct doctor_host *h, const struct doctor_finding *f, unsigned n,
		     const char *kind)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_int_eq(doctor_emit(out, h, f, n, kind), 0);
	fclose(out);
	return text;
}

/* root + /proc/sys/ + key with its dots as slashes exists. */
static bool sysctl_exists(const char *key, size_t len)
{
	char path[512];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/proc/sys/", root);

	for (size_t i = 0; i < len && n + 1 < sizeof(path); i++)
		path[n++] = key[i] == '.' ? '/' : key[i];
	path[n] = '\0';
	return access(path, F_OK) == 0;
}

START_TEST(emitted_fixes_parse_as_sysctl_tuned_and_bash_take_them)
{
	unsigned n = doctor_count(), sysctls = 0, sections = 0;
	struct doctor_finding *f = calloc(n, sizeof(*f));
	struct doctor_host h;
	char *text, path[600], cmd[1400], section[32] = "";
	bool include = false, isolated_cores = false;
	FILE *file;

	put_tuned_host(96, 300, false);
	put("/proc/sys/vm/swappiness", "60\n");
	put("/proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	put("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
	put("/proc/cmdline", "BOOT_IMAGE=/vmlinuz ro\n");
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	n = doctor_run(&h, false, f);

	/* sysctl.d: comments, blank lines, "key = value" of a sysctl the host has */
	text = emitted(&h, f, n, "sysctl");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		size_t key = strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_.");

		if (line[0] == '#' || line[0] == ';')
			continue;
		ck_assert_msg(key && !strncmp(line + key, " = ", 3) && line[key + 3],
			      "not a sysctl.d line: %s", line);
		ck_assert_msg(sysctl_exists(line, key), "no such sysctl: %s", line);
		sysctls++;
	}
	ck_assert_uint_eq(sysctls, 2); /* vm.swappiness, kernel.sched_rt_runtime_us */
	free(text);

	/* tuned: an ini of [sections] and key=value, [main] include=; each sysctl
	 * and sysfs key the host has; the kernel takes the cmdline's lists */
	text = emitted(&h, f, n, "tuned");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *eq = strchr(line, '=');

		if (line[0] == '#')
			continue;
		if (line[0] == '[') {
			ck_assert_msg(line[strlen(line) - 1] == ']', "%s", line);
			snprintf(section, sizeof(section), "%s", line);
			sections++;
			continue;
		}
		ck_assert_msg(section[0] && eq && eq > line, "not an ini line: %s", line);
		include |= !strcmp(section, "[main]") && !strncmp(line, "include=", 8) &&
			   !strcmp(eq + 1, "cpu-partitioning");
		isolated_cores |=
			!strcmp(section, "[variables]") && !strcmp(line, "isolated_cores=2-95");
		if (!strcmp(section, "[sysctl]"))
			ck_assert_msg(sysctl_exists(line, (size_t)(eq - line)), "%s", line);
		if (!strcmp(section, "[sysfs]")) {
			snprintf(path, sizeof(path), "%s%.*s", root, (int)(eq - line), line);
			ck_assert_msg(access(path, F_OK) == 0, "no such file: %s", line);
		}
		if (!strcmp(section, "[bootloader]")) {
			struct doctor_finding boot = { .check = f[0].check };

			ck_assert_msg(!strncmp(line, "cmdline_jitterd=+", 17), "%s", line);
			snprintf(boot.apply, sizeof(boot.apply), "%s", eq + 2);
			check_fix(&boot, 96);
			ck_assert_msg(strstr(line, "nohz_full=2-95"), "%s", line);
		}
	}
	ck_assert_msg(include && isolated_cores && sections >= 4, "sections %u", sections);
	free(text);

	/* the script: every line a comment or a command bash takes, each fix as
	 * the kernel takes it; shellcheck where installed (SC2043, a loop over
	 * one item, is the fixes' shape whatever the count) */
	text = emitted(&h, f, n, "script");
	ck_assert_msg(!strncmp(text, "#!/bin/bash\n", 12), "%s", text);
	snprintf(path, sizeof(path), "%s/fix.sh", root);
	file = fopen(path, "w");
	fputs(text, file);
	fclose(file);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		struct doctor_finding cmd_f = { .check = f[0].check };

		if (line[0] == '#')
			continue;
		ck_assert_msg(!strncmp(line, "echo ", 5) || !strncmp(line, "sysctl -w ", 10) ||
				      !strncmp(line, "for ", 4) || !strncmp(line, "ethtool ", 8) ||
				      !strncmp(line, "prlimit ", 8),
			      "not a command: %s", line);
		snprintf(cmd_f.apply, sizeof(cmd_f.apply), "%s", line);
		check_fix(&cmd_f, 96);
	}
	free(text);
	snprintf(cmd, sizeof(cmd), "bash -n %s", path);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "! command -v shellcheck >/dev/null || shellcheck -S warning -e SC2043 %s >&2",
		 path);
	ck_assert_int_eq(system(cmd), 0);
	free(f);
}
END_TEST

/* ---- SMT siblings -------------------------------------------------------------- */

/* 96 CPUs, 48 cores: CPU c and c + 48 are siblings. */
static void put_siblings(void)
{
	char path[96];

	for (unsigned c = 0; c < 96; c++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		putf(path, "%u,%u\n", c % 48, c % 48 + 48);
	}
}

START_TEST(an_isolated_cpu_s_sibling_must_not_be_housekeeping)
{
	struct doctor_finding f;

	put_siblings();
	host_of(96, "2-47,50-95"); /* whole cores */
	expect("isolation.smt_siblings", DOCTOR_OK,
	       "no isolated CPU shares its core with a housekeeping CPU");
	host_of(96, "2-95"); /* 48 and 49 share cores 0 and 1 with housekeeping */
	f = judged("isolation.smt_siblings", 96);
	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_str_eq(f.value,
			 "isolated CPUs 48-49 share their cores with housekeeping CPUs 0-1");
	ck_assert_str_eq(
		f.apply,
		"isolate whole cores: give CPUs 48-49 to housekeeping (the isolated set on "
		"the command line and in the config), or echo off > "
		"/sys/devices/system/cpu/smt/control (nosmt on the kernel command line), or "
		"for i in 1; do echo 0 > /sys/devices/system/cpu/cpu$i/online; done");
}
END_TEST

/* ---- isolation as it took effect ----------------------------------------------- */

START_TEST(isolated_cpus_are_what_the_kernel_isolates)
{
	struct doctor_host h;

	host_of(8, "");
	put("/sys/devices/system/cpu/nohz_full", "4-5\n");
	put("/sys/fs/cgroup/cpuset.cpus.isolated", "6-7\n");
	doctor_host_init(&h, root, NULL, NULL);
	ck_assert(h.have_isolated && CPU_COUNT(&h.isolated) == 4);
	ck_assert(CPU_ISSET(4, &h.isolated) && CPU_ISSET(7, &h.isolated));
	ck_assert_str_eq(h.isolated_from, "/sys/devices/system/cpu/nohz_full + isolated cgroup "
					  "cpuset partitions");
}
END_TEST

/* A host isolated the way the kernel's documentation now prefers: nohz_full
 * on the command line and an isolated cgroup v2 cpuset partition, no
 * isolcpus=. No CRITICAL: isolcpus= is what the partition does. */
START_TEST(a_host_isolated_by_cpuset_partitions_gets_no_critical)
{
	unsigned n = doctor_count();
	struct doctor_finding *f = calloc(n, sizeof(*f));
	struct doctor_host h;

	host_of(96, "");
	put("/sys/devices/system/cpu/nohz_full", "2-95\n");
	put("/proc/cmdline", "ro nohz_full=2-N rcu_nocbs=2-N\n");
	/* before 6.7 there is no cpuset.cpus.isolated: the partitions themselves */
	put("/sys/fs/cgroup/rt.slice/cpuset.cpus.partition", "isolated\n");
	put("/sys/fs/cgroup/rt.slice/cpuset.cpus.effective", "2-47\n");
	put("/sys/fs/cgroup/rt.slice/feed/cpuset.cpus.partition", "isolated\n");
	put("/sys/fs/cgroup/rt.slice/feed/cpuset.cpus.effective", "48-95\n");
	put("/sys/fs/cgroup/other/cpuset.cpus.partition", "isolated invalid (Cpu list is empty)\n");
	put("/sys/fs/cgroup/other/cpuset.cpus.effective", "0-1\n");
	expect("isolation.isolcpus", DOCTOR_OK,
	       "isolcpus= is not set; CPUs 2-95 are in isolated cpuset partitions");
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	n = doctor_run(&h, false, f);
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(f[i].state != DOCTOR_FAIL || f[i].check->severity != DOCTOR_CRITICAL,
			      "%s: %s", f[i].check->id, f[i].value);
	free(f);
	/* 6.7+: the root's cpuset.cpus.isolated */
	put("/sys/fs/cgroup/cpuset.cpus.isolated", "2-95\n");
	put("/sys/fs/cgroup/rt.slice/cpuset.cpus.partition", "member\n");
	expect("isolation.isolcpus", DOCTOR_OK,
	       "isolcpus= is not set; CPUs 2-95 are in isolated cpuset partitions");
	put("/sys/fs/cgroup/cpuset.cpus.isolated", "2-47\n");
	put("/sys/devices/system/cpu/isolated", "2-47\n");
	expect("isolation.isolcpus", DOCTOR_FAIL,
	       "isolcpus= is not set; CPUs 2-47 are in isolated cpuset partitions: isolated CPUs "
	       "48-95 not covered (they are nohz_full: isolated by affinity, as tuned's "
	       "cpu-partitioning does without no_balance_cores; the load balancer still visits)");
}
END_TEST

/* tuned's cpu-partitioning as it ships (no_balance_cores empty): nohz_full
 * and affinities, no isolcpus=. The scheduler domains still reach the
 * CPUs, a warning; a CPU neither nohz_full nor isolcpus is critical. */
START_TEST(cpu_partitioning_without_no_balance_cores_is_a_warning_not_a_critical)
{
	struct doctor_finding f;

	host_of(8, "");
	put("/sys/devices/system/cpu/nohz_full", "2-7\n");
	put("/proc/cmdline", "ro nohz_full=2-7 rcu_nocbs=2-7 tuned.non_isolcpus=00000003\n");
	f = judge("isolation.isolcpus");
	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_int_eq(doctor_finding_severity(&f), DOCTOR_WARNING);
	host_of(8, "2-7");
	put("/sys/devices/system/cpu/nohz_full", "2-5\n");
	put("/proc/cmdline", "ro nohz_full=2-5\n");
	f = judge("isolation.isolcpus");
	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_int_eq(doctor_finding_severity(&f), DOCTOR_CRITICAL);
}
END_TEST

/* Asked on the command line, refused by the kernel (a range beyond the last
 * CPU, a kernel without CONFIG_NO_HZ_FULL): what /sys says counts. */
START_TEST(isolation_asked_for_but_not_in_effect_fails)
{
	host_of(8, "2-7");
	put("/sys/devices/system/cpu/nohz_full", "2-3\n");
	put("/proc/cmdline", "isolcpus=2-7 nohz_full=2-7\n");
	expect("isolation.isolcpus", DOCTOR_OK, "isolcpus=2-7");
	expect("isolation.nohz_full", DOCTOR_FAIL,
	       "nohz_full=2-7 (but CPUs 4-7 are not in /sys/devices/system/cpu/nohz_full: not in "
	       "effect): isolated CPUs 4-7 not covered");
}
END_TEST

/* ---- the host's own tuned ------------------------------------------------------ */

/* tuned 2.20's split: the sysctls network-latency has from 2.21 on were
 * cpu-partitioning's; an /etc/tuned profile overrides /usr/lib/tuned's. */
START_TEST(the_host_s_tuned_profiles_say_what_they_set)
{
	unsigned n = doctor_count();
	struct doctor_finding *f = calloc(n, sizeof(*f));
	static const char *const want[][2] = {
		{ "kernel.hung_task_timeout_secs",
		  "cpu-partitioning (/usr/lib/tuned/cpu-partitioning)" },
		{ "vm.ksm", "cpu-partitioning (/usr/lib/tuned/cpu-partitioning)" },
		{ "isolation.nohz_full", "cpu-partitioning (/usr/lib/tuned/cpu-partitioning)" },
		{ "net.busy_read", "network-latency (/usr/lib/tuned/network-latency)" },
		{ "vm.swappiness", "latency-performance (/etc/tuned/latency-performance)" },
		{ "cpu.boost", "" },		/* a comment */
		{ "vm.dirty_ratio", "" },	/* in the /usr/lib profile that /etc replaces */
		{ "cmdline.tsc_reliable", "" }, /* realtime's in 2.20 */
	};
	struct doctor_host h;

	put("/etc/tuned/active_profile", "cpu-partitioning\n");
	put("/usr/lib/tuned/cpu-partitioning/tuned.conf",
	    "[main]\nsummary=Optimize for CPU partitioning\ninclude=network-latency\n"
	    "[variables]\ninclude=/etc/tuned/cpu-partitioning-variables.conf\n"
	    "[sysctl]\nkernel.hung_task_timeout_secs = 600\n"
	    "[bootloader]\ncmdline_cpu_part=+nohz=on nohz_full=${isolated_cores}\n");
	put("/usr/lib/tuned/cpu-partitioning/script.sh", "start() {\n    disable_ksm\n}\n");
	put("/usr/lib/tuned/network-latency/tuned.conf",
	    "[main]\ninclude=latency-performance\n[sysctl]\nnet.core.busy_read=50\n"
	    "[bootloader]\ncmdline_network_latency=skew_tick=1\n");
	put("/usr/lib/tuned/latency-performance/tuned.conf",
	    "[cpu]\n# boost=1\nforce_latency=cstate.id_no_zero:1|3\n[sysctl]\nvm.dirty_ratio=10\n");
	put("/etc/tuned/latency-performance/tuned.conf", "[sysctl]\nvm.swappiness=5\n");
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	ck_assert_str_eq(h.tuned.active, "cpu-partitioning");
	ck_assert_uint_eq(h.tuned.n, 3);
	ck_assert_str_eq(h.tuned.dir[2], "/etc/tuned/latency-performance");
	n = doctor_run(&h, false, f);
	for (unsigned w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		unsigned i;

		for (i = 0; i < n && strcmp(f[i].check->id, want[w][0]); i++)
			;
		ck_assert_uint_lt(i, n);
		ck_assert_msg(!strcmp(f[i].tuned_here, want[w][1]), "%s: \"%s\", want \"%s\"",
			      want[w][0], f[i].tuned_here, want[w][1]);
	}
	free(f);
}
END_TEST

/* Settings no shipped profile has (tuned 2.20 to 2.28) but a site's own may:
 * a [sysfs] THP defrag line, the [net] plugin's coalesce= and pause=. */
START_TEST(a_site_profile_s_sysfs_and_net_lines_are_found)
{
	unsigned n = doctor_count();
	struct doctor_finding *f = calloc(n, sizeof(*f));
	static const char *const want[][2] = {
		{ "vm.thp_defrag", "trading (/etc/tuned/trading)" },
		{ "nic.coalesce", "trading (/etc/tuned/trading)" },
		{ "nic.coalesce_tx", "trading (/etc/tuned/trading)" },
		{ "nic.pause", "trading (/etc/tuned/trading)" },
		{ "net.gro_flush_timeout", "trading (/etc/tuned/trading)" },
		{ "vm.zone_reclaim_mode", "" },
	};
	struct doctor_host h;

	put("/etc/tuned/active_profile", "trading\n");
	put("/etc/tuned/trading/tuned.conf",
	    "[sysfs]\n/sys/kernel/mm/transparent_hugepage/defrag=never\n"
	    "/sys/class/net/eth0/gro_flush_timeout=0\n"
	    "[net]\ncoalesce=adaptive-rx off rx-usecs 0\npause=rx off tx off\n");
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	n = doctor_run(&h, false, f);
	for (unsigned w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		unsigned i;

		for (i = 0; i < n && strcmp(f[i].check->id, want[w][0]); i++)
			;
		ck_assert_uint_lt(i, n);
		ck_assert_msg(!strcmp(f[i].tuned_here, want[w][1]), "%s: \"%s\", want \"%s\"",
			      want[w][0], f[i].tuned_here, want[w][1]);
	}
	free(f);
}
END_TEST

/* ---- softnet counters judged over a window ------------------------------------- */

START_TEST(softnet_drops_since_boot_alone_are_no_finding)
{
	put("/proc/sys/net/core/netdev_max_backlog", "1000\n");
	put("/proc/sys/net/core/netdev_budget", "300\n");
	put("/proc/sys/net/core/netdev_budget_usecs", "8000\n");
	put("/proc/net/softnet_stat", "00000010 0000001a 0000000b 0 0\n00000020 00000001 0 0 0\n");
	softnet_after = NULL;
	waited_ms = 0;
	expect("net.netdev_max_backlog", DOCTOR_OK,
	       "1000; 0 packets dropped for a full backlog in 1.0 s (27 since boot)");
	expect("net.netdev_budget", DOCTOR_OK,
	       "budget 300 packets, 8000 us; net_rx ran out of it 0 times in 1.0 s (11 since "
	       "boot)");
	ck_assert_uint_eq(waited_ms, 2000);
	/* drops and squeezes while the doctor watched */
	softnet_after = "00000010 0000001c 0000000b 0 0\n00000020 00000002 00000003 0 0\n";
	expect("net.netdev_max_backlog", DOCTOR_FAIL,
	       "1000; 3 packets dropped for a full backlog in 1.0 s (30 since boot)");
	put("/proc/net/softnet_stat", "00000010 0000001a 0000000b 0 0\n00000020 00000001 0 0 0\n");
	ck_assert_str_eq(judge("net.netdev_max_backlog").apply,
			 "sysctl -w net.core.netdev_max_backlog=2000");
	put("/proc/net/softnet_stat", "00000010 0000001a 0000000b 0 0\n00000020 00000001 0 0 0\n");
	expect("net.netdev_budget", DOCTOR_FAIL,
	       "budget 300 packets, 8000 us; net_rx ran out of it 3 times in 1.0 s (14 since "
	       "boot)");
	softnet_after = NULL;
}
END_TEST

/* The daemon: no sleep, the window is the time between two runs, shared by
 * the judges of a run. */
START_TEST(softnet_in_the_daemon_is_judged_between_runs)
{
	unsigned n = doctor_count();
	struct doctor_finding *f = calloc(n, sizeof(*f));
	const struct doctor_finding *backlog = NULL;
	struct doctor_host h;

	put("/proc/sys/net/core/netdev_max_backlog", "1000\n");
	put("/proc/net/softnet_stat", "00000010 0000001a 0 0 0\n");
	doctor_host_init(&h, root, NULL, NULL);
	h.ethtool = fake_ethtool;
	h.wait = fake_wait;
	h.window_ms = 0;
	waited_ms = 0;
	doctor_run(&h, true, f);
	for (unsigned i = 0; i < n; i++)
		if (f[i].check && !strcmp(f[i].check->id, "net.netdev_max_backlog"))
			backlog = &f[i];
	ck_assert_ptr_nonnull(backlog);
	ck_assert_int_eq(backlog->state, DOCTOR_NOT_APPLICABLE);
	put("/proc/net/softnet_stat", "00000010 0000001b 0 0 0\n");
	doctor_run(&h, true, f);
	ck_assert_int_eq(backlog->state, DOCTOR_FAIL);
	ck_assert_msg(strstr(backlog->value, "1 packets dropped for a full backlog in "), "%s",
		      backlog->value);
	doctor_run(&h, true, f);
	ck_assert_int_eq(backlog->state, DOCTOR_OK);
	ck_assert_uint_eq(waited_ms, 0);
	free(f);
}
END_TEST

/* The daemon's drift runs the checks one at a time into one finding
 * (doctor_run_each): the same findings, in the same order, as doctor_run's
 * table. */
struct each_seen {
	struct doctor_finding *got;
	unsigned n, cap;
	const struct doctor_finding *scratch;
	bool same_scratch;
};

static void each_sink(const struct doctor_finding *f, void *arg)
{
	struct each_seen *s = arg;

	s->same_scratch &= f == s->scratch;
	if (s->n < s->cap)
		s->got[s->n] = *f;
	s->n++;
}

START_TEST(run_each_hands_the_findings_run_makes)
{
	unsigned n = doctor_count(), made, handed, fail = 0, ok = 0;
	struct doctor_finding *f = calloc(n, sizeof(*f));
	struct doctor_finding *scratch = malloc(sizeof(*scratch));
	struct each_seen seen = {
		.got = calloc(n, sizeof(*f)), .cap = n, .scratch = scratch, .same_scratch = true
	};
	struct doctor_host h, h2;

	put("/proc/sys/net/core/netdev_max_backlog", "1000\n");
	put("/proc/net/softnet_stat", "00000010 0000001a 0 0 0\n");
	put("/sys/fs/selinux/avc/cache_threshold", "512\n");		   /* fails: 8192 wanted */
	put("/sys/devices/system/cpu/intel_pstate/min_perf_pct", "100\n"); /* ok */
	doctor_host_init(&h, root, NULL, NULL);
	doctor_host_init(&h2, root, NULL, NULL);
	h.ethtool = h2.ethtool = fake_ethtool;
	h.wait = h2.wait = fake_wait;
	h.window_ms = h2.window_ms = 0;
	made = doctor_run(&h, true, f);
	handed = doctor_run_each(&h2, true, scratch, each_sink, &seen);
	ck_assert_uint_eq(handed, made);
	ck_assert_uint_eq(seen.n, made);
	ck_assert(seen.same_scratch);
	for (unsigned i = 0; i < made; i++) {
		ck_assert_ptr_eq(seen.got[i].check, f[i].check);
		ck_assert_msg(seen.got[i].state == f[i].state, "%s", f[i].check->id);
		ck_assert_msg(seen.got[i].milder == f[i].milder, "%s", f[i].check->id);
		ck_assert_str_eq(seen.got[i].where, f[i].where);
		ck_assert_str_eq(seen.got[i].apply, f[i].apply);
		ck_assert_str_eq(seen.got[i].emit_script, f[i].emit_script);
		fail += f[i].state == DOCTOR_FAIL;
		ok += f[i].state == DOCTOR_OK;
	}
	/* not a comparison of empty tables: this fake host has both */
	ck_assert_uint_gt(fail, 0);
	ck_assert_uint_gt(ok, 0);
	free(seen.got);
	free(scratch);
	free(f);
}
END_TEST

/* ---- NICs ---------------------------------------------------------------------- */

START_TEST(nic_rings_below_their_maximum_fail)
{
	put_nic();
	nic.ring = (struct ethtool_ringparam){ .rx_pending = 4096, .rx_max_pending = 4096 };
	expect("nic.rings", DOCTOR_OK, "eth0 rx 4096 of 4096");
	nic.ring.rx_pending = 256;
	expect("nic.rings", DOCTOR_FAIL, "eth0 rx 256 of 4096");
	ck_assert_str_eq(judge("nic.rings").apply, "ethtool -G eth0 rx 4096");
}
END_TEST

/* The kernel takes `$`, `;` and quotes in an interface's name: the fixes are pasted into a
 * shell, so such a name is one single-quoted word there (and a plain one stays bare). */
START_TEST(nic_names_with_shell_characters_are_quoted_in_fixes)
{
	nic_ifname = "a$(x);'b";
	put("/sys/class/net/a$(x);'b/device/vendor", "0x1af4\n");
	nic.ring = (struct ethtool_ringparam){ .rx_pending = 256, .rx_max_pending = 4096 };
	ck_assert_str_eq(judge("nic.rings").apply, "ethtool -G 'a$(x);'\\''b' rx 4096");
}
END_TEST

START_TEST(nic_coalescing_fails_above_zero_or_adaptive)
{
	put_nic();
	nic.coalesce = (struct ethtool_coalesce){ .rx_max_coalesced_frames = 1 };
	expect("nic.coalesce", DOCTOR_OK, "eth0 rx-usecs 0 rx-frames 1 adaptive-rx off");
	nic.coalesce.rx_coalesce_usecs = 50;
	expect("nic.coalesce", DOCTOR_FAIL, "eth0 rx-usecs 50 rx-frames 1 adaptive-rx off");
	ck_assert_str_eq(judge("nic.coalesce").apply,
			 "ethtool -C eth0 adaptive-rx off rx-usecs 0 rx-frames 1");
}
END_TEST

START_TEST(nic_tx_coalescing_fails_above_zero_or_adaptive)
{
	put_nic();
	nic.coalesce = (struct ethtool_coalesce){ .tx_max_coalesced_frames = 1 };
	expect("nic.coalesce_tx", DOCTOR_OK, "eth0 tx-usecs 0 tx-frames 1 adaptive-tx off");
	nic.coalesce.use_adaptive_tx_coalesce = 1;
	expect("nic.coalesce_tx", DOCTOR_FAIL, "eth0 tx-usecs 0 tx-frames 1 adaptive-tx on");
	ck_assert_str_eq(judge("nic.coalesce_tx").apply,
			 "ethtool -C eth0 adaptive-tx off tx-usecs 0 tx-frames 1");
}
END_TEST

START_TEST(nic_pause_frames_fail_either_way)
{
	put_nic();
	expect("nic.pause", DOCTOR_NOT_APPLICABLE, "eth0: not supported by this NIC (virtio_net)");
	nic.have_pause = true;
	nic.pause = (struct ethtool_pauseparam){ .autoneg = 0 };
	expect("nic.pause", DOCTOR_OK, "eth0 autoneg off rx off tx off");
	nic.pause.rx_pause = 1;
	expect("nic.pause", DOCTOR_FAIL, "eth0 autoneg off rx on tx off");
	ck_assert_str_eq(judge("nic.pause").apply, "ethtool -A eth0 autoneg off rx off tx off");
}
END_TEST

START_TEST(gro_flush_timeout_and_deferred_irqs_fail)
{
	put_nic();
	put("/sys/class/net/eth0/gro_flush_timeout", "0\n");
	put("/sys/class/net/eth0/napi_defer_hard_irqs", "0\n");
	expect("net.gro_flush_timeout", DOCTOR_OK,
	       "eth0 gro_flush_timeout 0 napi_defer_hard_irqs 0");
	put("/sys/class/net/eth0/gro_flush_timeout", "20000\n");
	put("/sys/class/net/eth0/napi_defer_hard_irqs", "2\n");
	struct doctor_finding f = judge("net.gro_flush_timeout");

	ck_assert_int_eq(f.state, DOCTOR_FAIL);
	ck_assert_str_eq(f.value, "eth0 gro_flush_timeout 20000 napi_defer_hard_irqs 2");
	ck_assert_str_eq(f.apply, "echo 0 > /sys/class/net/eth0/gro_flush_timeout; echo 0 > "
				  "/sys/class/net/eth0/napi_defer_hard_irqs");
	ck_assert_str_eq(f.persist, "ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"eth0\", "
				    "ATTR{gro_flush_timeout}=\"0\", "
				    "ATTR{napi_defer_hard_irqs}=\"0\" in "
				    "/etc/udev/rules.d/90-latency.rules");
}
END_TEST

START_TEST(isolated_cpus_or_the_workload_far_from_every_nic_fail)
{
	host_of(96, "2-3,48-95");
	put_nic();
	put("/sys/class/net/eth0/device/numa_node", "0\n");
	put("/sys/class/net/eth0/device/local_cpulist", "0-47\n");
	expect("nic.numa", DOCTOR_FAIL,
	       "eth0 node 0 (CPUs 0-47); isolated CPUs 48-95 are local to no NIC");
	/* the feed handler runs on 2-3: the isolated CPUs it does not use are no matter */
	put_thread(500, 500, "feed", false, "2-3", 0);
	expect("nic.numa", DOCTOR_OK, "eth0 node 0 (CPUs 0-47); the workloads' CPUs 2-3 are local");
	put_thread(500, 501, "feed", false, "50", 0);
	expect("nic.numa", DOCTOR_FAIL,
	       "eth0 node 0 (CPUs 0-47); the workloads' CPUs 50 are local to no NIC");
}
END_TEST

START_TEST(nic_offloads_gro_or_lro_fail)
{
	put_nic();
	nic.gro = 0, nic.flags = 0;
	expect("nic.offloads", DOCTOR_OK, "eth0 gro off lro off");
	nic.flags = ETH_FLAG_LRO;
	expect("nic.offloads", DOCTOR_FAIL, "eth0 gro off lro on");
}
END_TEST

START_TEST(nic_channels_beyond_the_housekeeping_cpus_fail)
{
	put_nic();
	nic.channels = (struct ethtool_channels){ .combined_count = 1, .max_combined = 2 };
	expect("nic.channels", DOCTOR_OK, "eth0 combined 1 rx 0 (max combined 2)");
	nic.channels.combined_count = 2;
	expect("nic.channels", DOCTOR_FAIL, "eth0 combined 2 rx 0 (max combined 2)");
}
END_TEST

START_TEST(a_nic_without_the_operation_is_not_supported_not_failed)
{
	put_nic();
	nic.err = -EOPNOTSUPP;
	expect("nic.coalesce", DOCTOR_NOT_APPLICABLE,
	       "eth0: not supported by this NIC (virtio_net)");
	nic.err = 0;
}
END_TEST

START_TEST(no_physical_nic_is_not_applicable)
{
	put("/sys/class/net/lo/mtu", "65536\n");
	expect("nic.rings", DOCTOR_NOT_APPLICABLE, "no physical NIC in /sys/class/net");
}
END_TEST

/* ---- evidence ------------------------------------------------------------------ */

static struct doctor_finding *evidence(const char *metrics, const char *events, unsigned *n)
{
	struct doctor_finding *f = NULL;
	struct doctor_host h;
	unsigned cap = 0;

	*n = 0;
	doctor_host_init(&h, root, NULL, NULL);
	ck_assert_int_eq(doctor_evidence_from(&h, metrics, events, &f, n, &cap), 0);
	return f;
}

START_TEST(socket_drops_quote_the_drops_the_peak_and_the_buffer_to_set)
{
	char metrics[1024];
	struct doctor_finding *f;
	unsigned n;

	put("/proc/sys/net/core/rmem_max", "212992\n");
	put("/proc/sys/net/core/rmem_default", "212992\n");
	snprintf(metrics, sizeof(metrics),
		 "# TYPE process_start_time_seconds gauge\n"
		 "process_start_time_seconds %lld\n"
		 "jitterd_socket_drops_total{socket=\"md-feed\",reason=\"rcvbuf_full\"} 2994\n"
		 "jitterd_socket_drops_total{socket=\"md-feed\",reason=\"memory_limit\"} 0\n"
		 "jitterd_socket_drops_total{socket=\"quiet\",reason=\"rcvbuf_full\"} 0\n"
		 "jitterd_socket_receive_queue_peak_bytes{socket=\"md-feed\"} 212992\n"
		 "jitterd_socket_receive_queue_peak_bytes{socket=\"quiet\"} 100\n",
		 (long long)time(NULL) - 600);
	f = evidence(metrics, "", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].check->id, "evidence.socket_drops");
	ck_assert_str_eq(f[0].subject, "md-feed");
	ck_assert_str_eq(
		f[0].value,
		"md-feed dropped 2,994 packets for rcvbuf_full since jitterd started 10 min "
		"ago; its peak receive queue was 212,992 bytes = rmem_default (the "
		"application does not set SO_RCVBUF)");
	ck_assert_str_eq(
		f[0].recommended,
		"SO_RCVBUF at least 1,048,576 bytes (4 x the peak, a power of two; this "
		"jitterd does not count the bytes dropped, so the burst's size is unknown)");
	ck_assert_str_eq(
		f[0].apply,
		"setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1048576) in md-feed's receiver; and "
		"sysctl -w net.core.rmem_max=1048576 (it is 212992, which caps it)");
	free(f);
}
END_TEST

/* A TCP class whose chunks waited for a lost segment: neither the reader nor the kernel. */
START_TEST(socket_latency_names_head_of_line_blocking)
{
	char metrics[2048];
	struct doctor_finding *f;
	unsigned n;

	put("/proc/sys/net/core/busy_read", "0\n");
	snprintf(metrics, sizeof(metrics),
		 "process_start_time_seconds %lld\n"
		 "jitterd_socket_receive_stage_seconds_sum{socket=\"orders\",stage=\"stack\"} "
		 "0.010\n"
		 "jitterd_socket_receive_stage_seconds_count{socket=\"orders\",stage=\"stack\"} "
		 "1000\n"
		 "jitterd_socket_receive_stage_seconds_sum{socket=\"orders\",stage=\"hol\"} 3\n"
		 "jitterd_socket_receive_stage_seconds_count{socket=\"orders\",stage=\"hol\"} 5\n"
		 "jitterd_socket_receive_stage_seconds_sum{socket=\"orders\",stage=\"reader\"} "
		 "0.05\n"
		 "jitterd_socket_receive_stage_seconds_count{socket=\"orders\",stage=\"reader\"} "
		 "1000\n",
		 (long long)time(NULL) - 600);
	f = evidence(metrics, "", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].check->id, "evidence.socket_latency");
	ck_assert_str_eq(f[0].value,
			 "a chunk of orders spent 3.06 ms on average inside the host since "
			 "jitterd started 10 min ago: 10 us in the kernel's receive path (stack), "
			 "3.00 ms waiting out of order for a lost or late segment (hol), 50 us in "
			 "the socket's queue waiting for the reader (reader)");
	ck_assert_ptr_nonnull(strstr(f[0].recommended, "segments were lost or reordered"));
	free(f);
}
END_TEST

/* Stages of the receive latency: the larger part is where to look. */
START_TEST(socket_latency_names_the_part_that_waits)
{
	char metrics[2048];
	struct doctor_finding *f;
	unsigned n;

	put("/proc/sys/net/core/busy_read", "0\n");
	snprintf(
		metrics, sizeof(metrics),
		"process_start_time_seconds %lld\n"
		"jitterd_socket_receive_stage_seconds_sum{socket=\"md-feed\",stage=\"stack\"} "
		"0.030\n"
		"jitterd_socket_receive_stage_seconds_count{socket=\"md-feed\",stage=\"stack\"} "
		"1000\n"
		"jitterd_socket_receive_stage_seconds_sum{socket=\"md-feed\",stage=\"reader\"} "
		"2.5\n"
		"jitterd_socket_receive_stage_seconds_count{socket=\"md-feed\",stage=\"reader\"} "
		"1000\n"
		"jitterd_socket_receive_stage_seconds_sum{socket=\"slow-nic\",stage=\"stack\"} "
		"0.4\n"
		"jitterd_socket_receive_stage_seconds_count{socket=\"slow-nic\",stage=\"stack\"} "
		"1000\n"
		"jitterd_socket_receive_stage_seconds_sum{socket=\"slow-nic\",stage=\"reader\"} "
		"0.01\n"
		"jitterd_socket_receive_stage_seconds_count{socket=\"slow-nic\",stage=\"reader\"} "
		"1000\n"
		"jitterd_socket_receive_stage_seconds_sum{socket=\"fast\",stage=\"stack\"} 0.01\n"
		"jitterd_socket_receive_stage_seconds_count{socket=\"fast\",stage=\"stack\"} 1000\n"
		"jitterd_socket_receive_stage_seconds_sum{socket=\"fast\",stage=\"reader\"} 0.01\n"
		"jitterd_socket_receive_stage_seconds_count{socket=\"fast\",stage=\"reader\"} "
		"1000\n",
		(long long)time(NULL) - 600);
	f = evidence(metrics, "", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].check->id, "evidence.socket_latency");
	ck_assert_str_eq(f[0].subject, "md-feed");
	ck_assert_str_eq(f[0].value,
			 "a datagram of md-feed spent 2.53 ms on average inside the host since "
			 "jitterd started 10 min ago: 30 us in the kernel's receive path (stack), "
			 "2.50 ms in the socket's queue waiting for the reader (reader)");
	ck_assert_str_eq(f[0].apply,
			 "setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, 50) in md-feed's receiver, or "
			 "sysctl -w net.core.busy_read=50 for every socket");
	ck_assert_str_eq(f[1].subject, "slow-nic");
	ck_assert(strstr(f[1].recommended, "the kernel is slow to deliver"));
	ck_assert_str_eq(f[1].apply, "");
	free(f);
}
END_TEST

/* A burst of 2,994 datagrams of 500 bytes (1,280 bytes of truesize each on
 * loopback) into a buffer of a few KiB: the peak is the buffer's own size,
 * the burst needed the peak and what was dropped. */
START_TEST(socket_drops_are_sized_from_what_was_dropped)
{
	struct doctor_finding *f;
	unsigned n;

	put("/proc/sys/net/core/rmem_max", "212992\n");
	put("/proc/sys/net/core/rmem_default", "212992\n");
	f = evidence(
		"jitterd_socket_drops_total{socket=\"md-feed\",reason=\"rcvbuf_full\"} 2994\n"
		"jitterd_socket_dropped_bytes_total{socket=\"md-feed\",reason=\"rcvbuf_full\"} "
		"3832320\n"
		"jitterd_socket_dropped_bytes_total{socket=\"md-feed\",reason=\"memory_limit\"} "
		"9e9\n"
		"jitterd_socket_receive_queue_peak_bytes{socket=\"md-feed\"} 4608\n",
		"", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].recommended, "SO_RCVBUF at least 4,194,304 bytes (the peak queue and "
					   "the 3,832,320 bytes dropped, to a power of two)");
	ck_assert_str_eq(
		f[0].apply,
		"setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4194304) in md-feed's receiver; and "
		"sysctl -w net.core.rmem_max=4194304 (it is 212992, which caps it)");
	free(f);
}
END_TEST

START_TEST(interruptions_of_isolated_cpus_come_from_the_noise_collector)
{
	char metrics[1024];
	struct doctor_finding *f;
	unsigned n;

	/* up 100 s: CPU 1 took 1,000 ticks a second; CPU 0 is housekeeping */
	snprintf(metrics, sizeof(metrics),
		 "process_start_time_seconds %lld\n"
		 "jitterd_interruptions_total{cpu=\"0\",kind=\"timer\"} 100000\n"
		 "jitterd_interruptions_total{cpu=\"1\",kind=\"timer\"} 100000\n"
		 "jitterd_interruptions_total{cpu=\"1\",kind=\"reschedule\"} 7\n"
		 "jitterd_hardirqs_total{cpu=\"1\"} 0\n",
		 (long long)time(NULL) - 100);
	f = evidence(metrics, "", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].check->id, "evidence.isolated_interruptions");
	ck_assert_str_eq(f[0].subject, "cpu 1");
	ck_assert_int_eq(f[0].state, DOCTOR_FAIL);
	ck_assert_msg(!strncmp(f[0].value,
			       "isolated CPU 1 took 1000.0 timer interrupts a second, 7 other "
			       "interruptions and 0 device IRQs since jitterd started 10",
			       100),
		      "%s", f[0].value);
	free(f);
	/* one tick a second: isolated as it should be */
	snprintf(metrics, sizeof(metrics),
		 "process_start_time_seconds %lld\n"
		 "jitterd_interruptions_total{cpu=\"1\",kind=\"timer\"} 100\n"
		 "jitterd_hardirqs_total{cpu=\"1\"} 0\n",
		 (long long)time(NULL) - 100);
	f = evidence(metrics, "", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(f[0].state, DOCTOR_OK);
	ck_assert_msg(!strncmp(f[0].value, "isolated CPUs 1: at most 1.0 timer interrupts", 45),
		      "%s", f[0].value);
	free(f);
	/* the noise collector off: nothing said */
	f = evidence("process_start_time_seconds 1\n", "", &n);
	ck_assert_uint_eq(n, 0);
	free(f);
}
END_TEST

/* One isolated CPU's interruptions over 100 s, plus lines (the noise collector's series). */
static struct doctor_finding *noise_evidence_with(const char *lines, const char *events,
						  unsigned *n)
{
	static char metrics[4096];

	snprintf(metrics, sizeof(metrics),
		 "process_start_time_seconds %lld\n"
		 "jitterd_cpu_group_info{cpu=\"0\",cpu_group=\"housekeeping\"} 1\n"
		 "jitterd_cpu_group_info{cpu=\"1\",cpu_group=\"isolated\"} 1\n"
		 "jitterd_hardirqs_total{cpu=\"1\"} 0\n%s",
		 (long long)time(NULL) - 100, lines);
	return evidence(metrics, events, n);
}

static struct doctor_finding *noise_evidence(const char *lines, unsigned *n)
{
	return noise_evidence_with(lines, "", n);
}

START_TEST(a_kept_tick_names_its_dependency_and_a_timer_of_the_application)
{
	struct doctor_finding *f;
	unsigned n;

	f = noise_evidence("jitterd_interruptions_total{cpu=\"1\",kind=\"timer\"} 100000\n"
			   "jitterd_tick_kept_total{cpu=\"1\",dependency=\"posix_timer\"} 99000\n"
			   "jitterd_tick_kept_total{cpu=\"1\",dependency=\"perf_events\"} 0\n"
			   "jitterd_tick_kept_total{cpu=\"1\",dependency=\"sched\"} 12\n"
			   "jitterd_tick_kept_total{cpu=\"0\",dependency=\"rcu\"} 5000\n",
			   &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].subject, "cpu 1");
	ck_assert_msg(strstr(f[0].value, "took 1000.0 timer interrupts a second"), "%s",
		      f[0].value);
	ck_assert_msg(strstr(f[0].value, "; the tick is kept by: posix_timer (99,000 times), "
					 "sched (12 times)"),
		      "%s", f[0].value);
	ck_assert_msg(strstr(f[0].recommended, "the fix is in the application"), "%s",
		      f[0].recommended);
	ck_assert_msg(!strncmp(f[0].apply, "the tick: a POSIX CPU-time timer", 32), "%s",
		      f[0].apply);
	free(f);
	/* kept by the scheduler: not the application's timer */
	f = noise_evidence("jitterd_interruptions_total{cpu=\"1\",kind=\"timer\"} 100000\n"
			   "jitterd_tick_kept_total{cpu=\"1\",dependency=\"sched\"} 900\n",
			   &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(strstr(f[0].value, "the tick is kept by: sched (900 times)"), "%s",
		      f[0].value);
	ck_assert_msg(!strstr(f[0].recommended, "application"), "%s", f[0].recommended);
	ck_assert_msg(strstr(f[0].apply, "isolation.threads"), "%s", f[0].apply);
	free(f);
	/* no tick_stop series (not nohz_full): the old advice */
	f = noise_evidence("jitterd_interruptions_total{cpu=\"1\",kind=\"timer\"} 100000\n", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(!strstr(f[0].value, "kept by"), "%s", f[0].value);
	ck_assert_msg(!strncmp(f[0].apply, "the tick: nohz_full=1", 21), "%s", f[0].apply);
	free(f);
}
END_TEST

/* A tick that stops (100 timer interrupts in 100 s) and IPIs from the cause table. */
#define QUIET_TICK "jitterd_interruptions_total{cpu=\"1\",kind=\"timer\"} 100\n"
#define CAUSE	   "jitterd_interruption_cause_interruptions_total"

START_TEST(ipis_from_membarrier_of_a_task_are_the_applications_to_fix)
{
	struct doctor_finding *f;
	unsigned n;

	f = noise_evidence(
		QUIET_TICK
		"jitterd_interruptions_total{cpu=\"1\",kind=\"reschedule\"} 1000\n"
		"jitterd_interruptions_total{cpu=\"1\",kind=\"call_function_single\"} 24000\n"
		"jitterd_interruptions_total{cpu=\"1\",kind=\"tlb_shootdown\"} 0\n"
		"jitterd_interruptions_total{cpu=\"0\",kind=\"call_function\"} 99999\n" CAUSE
		"{cpu_group=\"isolated\",kind=\"timer\",task=\"\",caller=\"\","
		"function=\"tick_nohz_handler\"} 99999\n" CAUSE
		"{cpu_group=\"housekeeping\",kind=\"call_function\",task=\"java\","
		"caller=\"flush_tlb_mm_range\",function=\"flush_tlb_func\"} 88888\n" CAUSE
		"{cpu_group=\"isolated\",kind=\"reschedule\",task=\"kworker/1:1\","
		"caller=\"wakeup_preempt\",function=\"\"} 900\n" CAUSE
		"{cpu_group=\"isolated\",kind=\"call_function_single\",task=\"strategy\","
		"caller=\"membarrier_private_expedited\",function=\"ipi_mb\"} 23900\n",
		&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].check->id, "evidence.isolated_interruptions");
	ck_assert_str_eq(f[0].subject, "cpu 1 IPIs");
	ck_assert_int_eq(f[0].state, DOCTOR_FAIL);
	ck_assert_msg(!strncmp(f[0].value,
			       "isolated CPU 1 took 250.0 IPIs a second (reschedule 1,000, "
			       "call_function_single 24,000) and 0 TLB shootdowns since jitterd "
			       "started 10",
			       120),
		      "%s", f[0].value);
	ck_assert_msg(
		strstr(f[0].value,
		       "; the top senders to the CPUs of group isolated: 23,900 "
		       "call_function_single IPIs from task strategy in "
		       "membarrier_private_expedited running ipi_mb; 900 reschedule IPIs from "
		       "task kworker/1:1 in wakeup_preempt"),
		"%s", f[0].value);
	ck_assert_msg(strstr(f[0].recommended,
			     "the fix is in the application: task strategy calls membarrier()") ==
			      f[0].recommended,
		      "%s", f[0].recommended);
	ck_assert_msg(strstr(f[0].apply, "pgrep -x strategy"), "%s", f[0].apply);
	free(f);
	/* its pid from a long IPI's event: the sender's tgid on that CPU */
	f = noise_evidence_with(
		QUIET_TICK
		"jitterd_interruptions_total{cpu=\"1\",kind=\"call_function\"} 24000\n" CAUSE
		"{cpu_group=\"isolated\",kind=\"call_function\",task=\"strategy\","
		"caller=\"membarrier_private_expedited\",function=\"ipi_mb\"} 23900\n",
		"{\"type\":\"interruption\",\"cpu\":0,\"kind\":\"call_function\","
		"\"sender\":{\"cpu\":1,\"tgid\":1111,\"comm\":\"strategy\"}}\n"
		"{\"type\":\"interruption\",\"cpu\":1,\"kind\":\"call_function\","
		"\"sender\":{\"cpu\":0,\"pid\":4243,\"tgid\":4242,\"comm\":\"strategy\"}}\n"
		"{\"type\":\"interruption\",\"cpu\":1,\"kind\":\"call_function\","
		"\"sender\":{\"cpu\":0,\"pid\":4243,\"tgid\":4242,\"comm\":\"strategy\"}}\n"
		"{\"type\":\"interruption\",\"cpu\":1,\"kind\":\"call_function\","
		"\"sender\":{\"cpu\":0,\"pid\":5555,\"tgid\":5555,\"comm\":\"strategy\"}}\n"
		"{\"type\":\"interruption\",\"cpu\":1,\"kind\":\"timer\"}\n",
		&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].apply, "in the application: process 4242 (its task strategy sent "
				     "the most IPIs to CPU 1 in jitterd's /events)");
	free(f);
	/* more reschedules than membarrier IPIs: the wake-ups' sender is not the fix,
	 * the membarrier() caller is */
	f = noise_evidence(QUIET_TICK
			   "jitterd_interruptions_total{cpu=\"1\",kind=\"reschedule\"} 9000\n" CAUSE
			   "{cpu_group=\"isolated\",kind=\"reschedule\",task=\"qemu-system-x86\","
			   "caller=\"wakeup_preempt\",function=\"\"} 8000\n" CAUSE
			   "{cpu_group=\"isolated\",kind=\"call_function_single\",task=\"python3\","
			   "caller=\"membarrier_private_expedited\",function=\"ipi_mb\"} 300\n",
			   &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(strstr(f[0].recommended,
			     "the fix is in the application: task python3 calls membarrier()") ==
			      f[0].recommended,
		      "%s", f[0].recommended);
	free(f);
	/* reschedules alone: wake-ups onto the CPU, the woken tasks to move */
	f = noise_evidence(QUIET_TICK
			   "jitterd_interruptions_total{cpu=\"1\",kind=\"reschedule\"} 9000\n" CAUSE
			   "{cpu_group=\"isolated\",kind=\"reschedule\",task=\"qemu-system-x86\","
			   "caller=\"wakeup_preempt\",function=\"\"} 8000\n",
			   &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(!strstr(f[0].recommended, "application"), "%s", f[0].recommended);
	ck_assert_msg(strstr(f[0].recommended, "the reschedules are wake-ups of tasks onto it"),
		      "%s", f[0].recommended);
	free(f);
}
END_TEST

START_TEST(tlb_shootdowns_name_the_memory_map_and_a_kernel_sender_is_not_the_application)
{
	struct doctor_finding *f;
	unsigned n;

	f = noise_evidence(
		QUIET_TICK
		"jitterd_interruptions_total{cpu=\"1\",kind=\"call_function\"} 30000\n"
		"jitterd_interruptions_total{cpu=\"1\",kind=\"tlb_shootdown\"} 25000\n" CAUSE
		"{cpu_group=\"isolated\",kind=\"call_function\",task=\"java\","
		"caller=\"flush_tlb_mm_range\",function=\"flush_tlb_func\"} 25000\n",
		&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(strstr(f[0].value, "300.0 IPIs a second (call_function 30,000) and 25,000 "
					 "TLB shootdowns"),
		      "%s", f[0].value);
	ck_assert_msg(strstr(f[0].recommended, "the fix is in the application: task java changes "
					       "its memory map (munmap, mprotect"),
		      "%s", f[0].recommended);
	free(f);
	/* the same shootdowns sent by khugepaged: the kernel's, not the application's */
	f = noise_evidence(
		QUIET_TICK
		"jitterd_interruptions_total{cpu=\"1\",kind=\"call_function\"} 30000\n" CAUSE
		"{cpu_group=\"isolated\",kind=\"call_function\",task=\"khugepaged\","
		"caller=\"flush_tlb_mm_range\",function=\"flush_tlb_func\"} 25000\n",
		&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(!strstr(f[0].recommended, "application"), "%s", f[0].recommended);
	ck_assert_msg(strstr(f[0].recommended, "they come from the kernel, flush_tlb_mm_range"),
		      "%s", f[0].recommended);
	free(f);
	/* few IPIs (5 a second): the CPU is quiet */
	f = noise_evidence(
		QUIET_TICK "jitterd_interruptions_total{cpu=\"1\",kind=\"reschedule\"} 500\n", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(f[0].state, DOCTOR_OK);
	free(f);
}
END_TEST

START_TEST(irq_time_on_an_isolated_cpu_names_the_irqs_there)
{
	struct doctor_finding *f;
	unsigned n;

	put("/proc/irq/24/effective_affinity_list", "1\n");
	put("/proc/irq/25/effective_affinity_list", "0\n");
	put("/sys/class/net/eth0/queues/rx-0/rps_cpus", "2\n");
	put("/sys/class/net/eth0/queues/rx-1/rps_cpus", "1\n");
	f = evidence("jitterd_softirq_seconds_total{cpu=\"0\",vector=\"net_rx\"} 9\n"
		     "jitterd_softirq_seconds_total{cpu=\"1\",vector=\"net_rx\"} 0.25\n"
		     "jitterd_softirq_seconds_total{cpu=\"1\",vector=\"timer\"} 0.5\n"
		     "jitterd_hardirq_seconds_total{cpu=\"1\"} 0.125\n",
		     "", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].subject, "cpu 1");
	ck_assert_str_eq(f[0].value,
			 "isolated CPU 1 spent 0.125000 s in hardirq and 0.750000 s in softirq "
			 "(net_rx 0.250000 s, timer 0.500000 s) since jitterd started 0 s ago");
	ck_assert_msg(
		!strncmp(f[0].apply, "what may run there: IRQ 24, RPS of eth0 rx-0; move them", 55),
		"%s", f[0].apply);
	free(f);
}
END_TEST

START_TEST(runqueue_outliers_on_isolated_cpus_name_the_task_and_the_setting)
{
	struct doctor_finding *f;
	unsigned n;

	f = evidence(
		"",
		"{\"time\":\"t\",\"cpu\":1,\"type\":\"runqueue_latency\",\"pid\":5,\"comm\":"
		"\"strat\",\"latency_ns\":150000,\"prev_pid\":9,\"prev_comm\":\"kworker/1:1\"}\n"
		"{\"time\":\"t\",\"cpu\":1,\"type\":\"runqueue_latency\",\"pid\":5,\"comm\":"
		"\"strat\",\"latency_ns\":250000,\"prev_pid\":9,\"prev_comm\":\"kworker/1:1\"}\n"
		"{\"time\":\"t\",\"cpu\":0,\"type\":\"runqueue_latency\",\"pid\":5,\"comm\":"
		"\"strat\",\"latency_ns\":950000,\"prev_pid\":3,\"prev_comm\":\"bash\"}\n"
		"{\"time\":\"t\",\"cpu\":1,\"type\":\"softirq\",\"vector\":\"net_rx\"}\n",
		&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].subject, "kworker/1:1");
	ck_assert_str_eq(
		f[0].value,
		"kworker/1:1 held isolated CPU 1 before 2 of the 2 run-queue outliers there "
		"(worst wait 250.0 us) in the event log (jitterd up 0 s)");
	ck_assert_str_eq(f[0].apply, "workqueues: isolation.workqueue_cpumask (echo <housekeeping "
				     "mask> > /sys/devices/virtual/workqueue/cpumask)");
	free(f);
}
END_TEST

/* ---- the report ---------------------------------------------------------------- */

START_TEST(json_of_a_finding_is_the_documented_schema)
{
	struct doctor_finding f;
	struct doctor_host h;
	struct buf out = {};
	json_t *doc, *check;

	put("/proc/sys/vm/swappiness", "60\n");
	f = judge("vm.swappiness");
	doctor_host_init(&h, root, NULL, NULL);
	doc = doctor_json(&h, &f, 1);
	check = json_array_get(json_object_get(doc, "checks"), 0);
	ck_assert_int_eq(json_append(&out, check), 0);
	buf_putc(&out, '\0');
	ck_assert_str_eq(
		out.data,
		"{\"check\":\"vm.swappiness\",\"domain\":\"vm\",\"state\":\"fail\",\"severity\":"
		"\"warning\",\"value\":\"60\",\"where\":\"/proc/sys/vm/swappiness\",\"why\":\"A "
		"swapped-out page costs a disk read on the next touch; low swappiness keeps "
		"anonymous memory in RAM.\",\"recommended\":\"at most 10\",\"apply\":\"sysctl -w "
		"vm.swappiness=10; persist: 'vm.swappiness = 10' in "
		"/etc/sysctl.d/90-latency.conf\",\"reference\":\"Linux kernel documentation, "
		"admin-guide/sysctl/vm.rst\",\"persist\":\"'vm.swappiness = 10' in "
		"/etc/sysctl.d/90-latency.conf (or [sysctl] vm.swappiness=10 in a tuned "
		"profile)\",\"tuned\":[\"latency-performance\"]}");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "schema")), 1);
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_object_get(doc, "summary"), "warning")), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(doc, "host"), "isolated_cpus")),
		"1");
	buf_free(&out);
	json_decref(doc);
}
END_TEST

START_TEST(text_report_groups_by_severity_without_colour_off_a_terminal)
{
	struct doctor_finding f[2];
	struct doctor_host h;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	put("/proc/sys/vm/swappiness", "60\n");
	put("/proc/sys/kernel/nmi_watchdog", "0\n");
	f[0] = judge("kernel.nmi_watchdog");
	f[1] = judge("vm.swappiness");
	doctor_host_init(&h, root, NULL, NULL);
	doctor_print(out, &h, f, 2, false);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(text, "\nWARNING\n  [vm.swappiness] 60\n      read:      "
					   "/proc/sys/vm/swappiness\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nOK\n  [kernel.nmi_watchdog] 0\n"));
	ck_assert_ptr_nonnull(
		strstr(text, "summary: 0 critical, 1 warning, 0 info, 1 ok, 0 not checked\n"));
	ck_assert_ptr_null(strchr(text, '\033'));
	free(text);
}
END_TEST

static Suite *doctor_suite(void)
{
	Suite *s = suite_create("doctor");
	TCase *tc = tcase_create("checks"), *large;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60); /* a_list_of_irqs_is_never_cut lays out 1,000 IRQs */
	tcase_add_test(tc, each_check_reports_a_good_host_ok_and_a_bad_one_failing);
	tcase_add_test(tc, every_check_is_tested);
	tcase_add_test(tc, pm_qos_reads_the_binary_request);
	tcase_add_test(tc, a_file_only_root_reads_needs_root);
	tcase_add_test(tc, a_missing_file_is_not_applicable);
	tcase_add_test(tc, irqs_that_may_move_to_isolated_cpus_fail_too);
	tcase_add_test(tc, irqbalance_banned_cpus_come_from_its_environment);
	tcase_add_test(tc, the_daemon_reads_root_only_files_through_the_fds_it_kept);
	tcase_add_test(tc, isolation_checks_without_isolated_cpus_are_not_applicable);
	tcase_add_test(tc, the_config_s_isolated_group_wins_over_the_kernel_s);
	tcase_add_test(tc, isolated_group_must_name_a_cpu_group);
	tcase_add_test(tc, doctor_interval_is_validated);
	tcase_add_test(tc, cmdline_cpulists_take_the_kernel_s_last_cpu_all_and_strides);
	tcase_add_test(tc, a_max_cstate_the_kernel_rejects_limits_nothing);
	tcase_add_test(tc, the_test_s_bitmap_parse_is_the_kernel_s);
	tcase_add_test(tc, masks_for_more_than_32_cpus_are_32_bit_words);
	tcase_add_test(tc, a_list_of_irqs_is_never_cut);
	tcase_add_test(tc, the_xps_fix_gives_each_isolated_cpu_a_queue);
	tcase_add_test(tc, no_loop_over_no_irq);
	tcase_add_test(tc, no_fix_moves_work_to_no_cpu);
	tcase_add_test(tc, nohz_full_offloads_rcu_callbacks_without_rcu_nocbs);
	tcase_add_test(tc, ksm_run_2_and_hung_task_0_are_off);
	tcase_add_test(tc, irqbalance_bans_isolated_and_nohz_full_cpus_by_default);
	tcase_add_test(tc, the_soft_lockup_watchdog_skips_nohz_full_cpus);
	tcase_add_test(tc, a_pm_qos_request_limits_c_states);
	tcase_add_test(tc, an_isolated_cpu_s_sibling_must_not_be_housekeeping);
	tcase_add_test(tc, isolated_cpus_are_what_the_kernel_isolates);
	tcase_add_test(tc, a_host_isolated_by_cpuset_partitions_gets_no_critical);
	tcase_add_test(tc, cpu_partitioning_without_no_balance_cores_is_a_warning_not_a_critical);
	tcase_add_test(tc, isolation_asked_for_but_not_in_effect_fails);
	tcase_add_test(tc, the_host_s_tuned_profiles_say_what_they_set);
	tcase_add_test(tc, a_site_profile_s_sysfs_and_net_lines_are_found);
	tcase_add_test(tc, softnet_drops_since_boot_alone_are_no_finding);
	tcase_add_test(tc, softnet_in_the_daemon_is_judged_between_runs);
	tcase_add_test(tc, run_each_hands_the_findings_run_makes);
	tcase_add_test(tc, nic_rings_below_their_maximum_fail);
	tcase_add_test(tc, nic_names_with_shell_characters_are_quoted_in_fixes);
	tcase_add_test(tc, nic_coalescing_fails_above_zero_or_adaptive);
	tcase_add_test(tc, nic_offloads_gro_or_lro_fail);
	tcase_add_test(tc, nic_tx_coalescing_fails_above_zero_or_adaptive);
	tcase_add_test(tc, nic_pause_frames_fail_either_way);
	tcase_add_test(tc, gro_flush_timeout_and_deferred_irqs_fail);
	tcase_add_test(tc, isolated_cpus_or_the_workload_far_from_every_nic_fail);
	tcase_add_test(tc, nic_channels_beyond_the_housekeeping_cpus_fail);
	tcase_add_test(tc, a_nic_without_the_operation_is_not_supported_not_failed);
	tcase_add_test(tc, no_physical_nic_is_not_applicable);
	tcase_add_test(tc, socket_drops_quote_the_drops_the_peak_and_the_buffer_to_set);
	tcase_add_test(tc, socket_latency_names_the_part_that_waits);
	tcase_add_test(tc, socket_latency_names_head_of_line_blocking);
	tcase_add_test(tc, socket_drops_are_sized_from_what_was_dropped);
	tcase_add_test(tc, irq_time_on_an_isolated_cpu_names_the_irqs_there);
	tcase_add_test(tc, interruptions_of_isolated_cpus_come_from_the_noise_collector);
	tcase_add_test(tc, a_kept_tick_names_its_dependency_and_a_timer_of_the_application);
	tcase_add_test(tc, ipis_from_membarrier_of_a_task_are_the_applications_to_fix);
	tcase_add_test(
		tc, tlb_shootdowns_name_the_memory_map_and_a_kernel_sender_is_not_the_application);
	tcase_add_test(tc, runqueue_outliers_on_isolated_cpus_name_the_task_and_the_setting);
	tcase_add_test(tc, json_of_a_finding_is_the_documented_schema);
	tcase_add_test(tc, text_report_groups_by_severity_without_colour_off_a_terminal);
	tcase_add_test(tc, threads_on_isolated_cpus_are_named_by_kind_with_their_fix);
	tcase_add_test(tc, rt_throttling_is_critical_under_a_fifo_thread_on_an_isolated_cpu);
	tcase_add_test(tc, a_workload_that_cannot_lock_its_memory_fails);
	tcase_add_test(tc, a_nohz_full_cpu_with_1000_ticks_a_second_is_not_isolated);
	tcase_add_test(tc, smis_are_counted_over_the_window_where_the_msr_is_readable);
	tcase_add_test(tc, a_run_waits_once_for_all_its_windows);
	suite_add_tcase(s, tc);
	/* Thousands of fixture files each: more than check's 4 s under ASan on
	 * a shared machine. */
	large = tcase_create("large hosts");
	tcase_add_checked_fixture(large, setup, teardown);
	tcase_set_timeout(large, 120);
	tcase_add_test(large, a_correctly_tuned_large_host_has_no_finding);
	tcase_add_test(large, an_undone_large_host_gets_fixes_the_kernel_takes);
	tcase_add_test(large, emitted_fixes_parse_as_sysctl_tuned_and_bash_take_them);
	suite_add_tcase(s, large);
	return s;
}

JD_CHECK_MAIN(doctor_suite)
