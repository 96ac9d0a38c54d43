#!/usr/bin/env bash
# The daemon's memory and start-up, as the kernel counts them: for the
# default config and for every collector on (tests/integration/all_collectors.yaml),
# ROUNDS starts each; per start the time from exec to "serving http" in its
# log, then after 5 scrapes VmRSS and VmHWM (/proc/PID/status), Pss and
# Private_Dirty (/proc/PID/smaps_rollup). Then, for the default config,
# where the resident set goes: /proc/PID/smaps's Rss summed by mapping
# (libraries, the events ring, jitterd's own pages, heap and anonymous).
# docs/memory.md has the figures.
#
# Usage: scripts/bench/memory.sh [ROUNDS]  (root; default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
exec /usr/bin/python3 - "$rounds" build/jitterd config/jitterd.yaml \
	tests/integration/all_collectors.yaml <<'PY'
import collections, re, statistics, subprocess, sys, time, urllib.request

rounds, jitterd, configs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]


def kib(path, key):
    return int(re.search(r"^%s:\s+(\d+) kB" % key, open(path).read(), re.M).group(1))


def by_mapping(pid):
    rss, name = collections.Counter(), None
    for line in open("/proc/%d/smaps" % pid):
        f = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+$", f[0]):
            name = f[5] if len(f) > 5 else "[anon]"
        elif f[0] == "Rss:":
            rss[name] += int(f[1])
    groups = collections.Counter()
    for name, v in rss.items():
        if ".so" in name:
            groups["shared libraries"] += v
        elif name.startswith("anon_inode:bpf-map"):
            groups["BPF maps mapped (the events ring)"] += v
        elif name.endswith("/jitterd"):
            groups["jitterd's own pages"] += v
        else:
            groups["heap, anonymous, stack"] += v
    return groups, rss


def one(config, breakdown):
    t0 = time.monotonic()
    p = subprocess.Popen([jitterd, "--config", config, "--listen", "127.0.0.1:0"],
                         stderr=subprocess.PIPE, text=True)
    port = None
    for line in p.stderr:
        m = re.search(r"serving http://[^:]*:(\d+)/metrics", line)
        if m:
            port, up = int(m.group(1)), time.monotonic() - t0
            break
    if port is None:
        sys.exit("%s: jitterd did not start" % config)
    for _ in range(5):
        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port).read()
    status, rollup = "/proc/%d/status" % p.pid, "/proc/%d/smaps_rollup" % p.pid
    row = (up, kib(status, "VmRSS"), kib(status, "VmHWM"), kib(rollup, "Pss"),
           kib(rollup, "Private_Dirty"))
    if breakdown:
        groups, rss = by_mapping(p.pid)
        print("\n%s, where VmRSS goes (KiB):" % config)
        for g, v in groups.most_common():
            print("  %6d %s" % (v, g))
        print("  largest mappings: " + ", ".join("%s %d" % (n.rsplit("/", 1)[-1], v)
                                                 for n, v in rss.most_common(8)))
    p.terminate()
    p.wait()
    return row


print("%-40s %6s %9s %9s %9s %9s %9s" % ("config", "starts", "start s", "VmRSS", "VmHWM",
                                         "Pss", "PrivDirty"))
for config in configs:
    rows = [one(config, False) for _ in range(rounds)]
    med = [statistics.median(c) for c in zip(*rows)]
    print("%-40s %6d %9.3f %9d %9d %9d %9d   (KiB, medians)" % (config, rounds, *med))
one(configs[0], True)
PY
