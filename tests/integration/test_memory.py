"""Memory: the daemon's resident set with the default config, as the kernel
counts it (/proc/PID/status VmRSS, VmHWM; docs/memory.md)."""
import os

import harness
from harness import Daemon

# These tests check no probe's numbers.
PROBES = ()

MIB = 1 << 20


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (key, pid))


# The aim is 8 MiB; libsystemd (sd-daemon) and what it loads, and the
# anomaly detector's registry, put the daemon at 8.9 MiB on the 6.18 host
# (scripts/bench/memory.sh; 9.0-9.2 MiB in the 6.1 guests when last printed)
# and docs/memory.md says where it goes: held under a limit, so that a
# regression shows (libcurl and libpcap linked in would make it 11.3). The
# limit was 10 MiB until session 5 took the default daemon to 9.6 MiB on the
# host and 10.07 MiB in the 6.12 guest; docs/memory.md "Where session 5's
# 0.7 MiB went" finds it (the doctor drift's whole findings, 684 KiB, and a
# doctor_host on the stack), both since taken back: 9.1 MiB on the host
# (memory.sh), and this test saw 9.3-9.4 MiB here and, in the guests (one run
# each, 2026-12-07), 9.4-9.5 MiB in 6.1 and 6.12 cloud (9 764 KiB the
# largest) and 9 616 / 9 660 KiB in 6.1-rt / 6.12-rt. 10.5 MiB leaves the
# guests the 1 MiB of margin 10 MiB left the 8.9-9.2 MiB daemon before
# (the event log's entries alone vary by 0.2 MiB with the load).
LIMIT_MIB = 10.5
# The peak: the kernel's BTF is parsed in child processes (daemon/probes/probe.c,
# daemon/probes/load.c), never in the daemon, whose VmHWM is its steady size plus
# what a scrape allocates. Parsed in the daemon, libbpf's two copies of the
# BTF would make it 19 MiB.
PEAK_MIB = 12


def children(pid):
    """Processes whose parent is pid, from /proc/*/stat."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            kids.append(int(d))
    return kids


def test_default_config_stays_under_10_5_mib_resident_and_12_mib_at_its_peak():
    if harness.SANITIZED:
        # ASan's shadow memory and quarantine: not jitterd's footprint.
        # `make test` runs this test again with the plain daemon.
        raise harness.NotApplicable("the daemon is built with ASan")
    with Daemon() as d:
        # Steady state: collectors loaded, events flowing, scrapes served.
        for _ in range(10):
            harness.pipe_pingpong(harness.load(500))
            assert d.scrape()
        rss = status_kib(d.proc.pid, "VmRSS") * 1024
        hwm = status_kib(d.proc.pid, "VmHWM") * 1024
        print("  VmRSS %.1f MiB, VmHWM %.1f MiB" % (rss / MIB, hwm / MIB))
        assert rss <= LIMIT_MIB * MIB, "VmRSS %.1f MiB" % (rss / MIB)
        assert hwm <= PEAK_MIB * MIB, "VmHWM %.1f MiB" % (hwm / MIB)
        # The BTF and loading processes are gone once the daemon serves.
        assert children(d.proc.pid) == []
        assert d.stop() == 0
