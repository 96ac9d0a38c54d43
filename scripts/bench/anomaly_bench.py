"""The anomaly detector with injected faults (run by scripts/bench/anomaly.sh).

    python3 anomaly_bench.py JITTERD REPLAY QUIET FAULT GAP

A steady followed workload (tests/integration/anomaly_load.py workload: a
busy poller and a sleeper pinned to the last CPU, "strategy"), jitterd
pinned to CPU 0 with every signal on and anomaly.record set, then: a warm-up,
QUIET seconds of quiet, and each fault for FAULT seconds with GAP seconds
of quiet after it: a CPU hog on the workload's CPU, a SCHED_FIFO thread
preempting it in bursts, a loopback UDP flood on that CPU (net_tx/net_rx
softirqs), UDP bursts overflowing a class socket's buffer, a timer storm
(20 us sleeps in a loop) on that CPU.

With ANOMALY_BENCH_RT=1 the workload and the hog are the test's real-time
ones (anomaly_load.py rtworkload, rthog): on a machine shared with other
people's work, the only way to tell a fault from their load.

Prints, for the live detector (the configured method, with attribution)
and for each method replayed offline over the same recording
(build/bench/anomaly-replay): fault x (detected, delay, cause named first,
cleared after), and the false positives per hour of quiet; then the
detector's own CPU time per interval.
"""
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402 (the tests' helpers: free_port)

LOAD = [sys.executable, os.path.join(HERE, "..", "..", "tests", "integration", "anomaly_load.py")]
INTERVAL = 1.0
WARMUP = 30


def start_load(*args):
    p = subprocess.Popen([*LOAD, *map(str, args)], stdout=subprocess.PIPE, text=True,
                         start_new_session=True)
    json.loads(p.stdout.readline())
    return p


def method_of(cfg, jitterd):
    """The configured method: the config says none, so the daemon's default."""
    m = re.search(r"method: (\S+)", open(cfg).read())
    return m.group(1) if m else "default (%s)" % ("ewma" if "method: ewma" in open(
        os.path.join(HERE, "..", "..", "config", "jitterd.yaml")).read() else "mad")


def main():
    jitterd, replay, quiet, fault, gap = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:6])
    cpu = os.cpu_count() - 1
    port = harness.free_port(socket.SOCK_DGRAM)
    tmp = tempfile.mkdtemp(prefix="jitterd-anomaly-")
    record = os.path.join(tmp, "record.tsv")
    cfg = os.path.join(tmp, "jitterd.yaml")
    with open(cfg, "w") as f:
        f.write("""workloads:
  - name: strategy
    comm: "jdanom-strat"
collectors:
  sockets:
    classes:
      - { name: bench, protocol: udp, local_ports: [%d] }
events:
  log_size: 100000
anomaly:
  warmup: %d
  record: %s
daemon:
  cpus: "0"
""" % (port, WARMUP, record))
    log = open(os.path.join(tmp, "jitterd.log"), "w+")
    d = subprocess.Popen([jitterd, "--config", cfg, "--listen", "127.0.0.1:0"], stdout=log,
                         stderr=subprocess.STDOUT)
    for _ in range(400):
        m = re.search(r"serving http://\S+:(\d+)/metrics", open(log.name).read())
        if m:
            break
        time.sleep(0.05)
    url = "http://127.0.0.1:%s" % m.group(1)
    rt = os.environ.get("ANOMALY_BENCH_RT") == "1"
    workload = start_load("rtworkload" if rt else "workload", cpu, 10 ** 6)
    # The event log also holds every outlier wait: on a busy machine an
    # anomaly event is pushed out of it within seconds, so keep polling.
    seen, stop = {}, threading.Event()

    def poll():
        while not stop.wait(1.0):
            try:
                lines = urllib.request.urlopen(url + "/events").read().decode().splitlines()
            except OSError:
                continue
            for l in lines:
                if '"type":"anomaly"' in l:
                    e = json.loads(l)
                    seen[(e["time"], e["signal"], e["subject"], e["state"])] = e

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    faults = [
        ("cpu hog", ["rthog" if rt else "hog", cpu, fault], ("workload:strategy",), "runqueue", ("task", "jdanom-hog")),
        ("SCHED_FIFO bursts", ["fifo", cpu, fault], ("workload:strategy",), "runqueue",
         ("task", "jdanom-fifo")),
        ("UDP flood (softirq)", ["flood", cpu, fault, 1 if rt else 0], ("cpu:%d/net_rx" % cpu, "cpu:%d/net_tx" % cpu),
         "softirq_time", ("softirq", "net_")),
        ("socket overflow", ["overflow", port, fault], ("socket:bench",), "socket_drops",
         ("drop_reason", "rcvbuf_full")),
        ("timer storm", ["timers", cpu, fault, 3 if rt else 0],
         ("workload:strategy", "cpu:%d" % cpu, "cpu:%d/timer" % cpu, "cpu:%d/hrtimer" % cpu), "",
         ("task", "jdanom-timers")),
    ]
    windows = []  # (name, start, end) in unix time
    try:
        time.sleep(WARMUP * INTERVAL + 5 + quiet)
        for name, args, *_ in faults:
            p = start_load(*args)
            t0 = time.time()
            p.wait()
            windows.append((name, t0, time.time()))
            time.sleep(gap)
        metrics = urllib.request.urlopen(url + "/metrics").read().decode()
        time.sleep(1.5)
    finally:
        stop.set()
        os.killpg(workload.pid, 9)
        d.terminate()
        d.wait()
    anomalies = sorted(seen.values(), key=lambda e: e["time"])
    for e in anomalies:
        e["t"] = datetime.datetime.fromisoformat(e["time"][:26] + "+00:00").timestamp()
    total_quiet = quiet + sum(gap - 10 for _ in windows)

    def in_fault(t):
        return any(s - 1 <= t <= e + 10 for _, s, e in windows)

    def table(title, started, ended, with_cause):
        print("\n%s" % title)
        print("| fault | detected | delay (intervals) | signal, subject | cause named first | cleared after (s) |")
        print("|---|---|---|---|---|---|")
        for (name, _, subjects, sigprefix, cause), (_, s, e) in zip(faults, windows):
            hits = [x for x in started if x["subject"] in subjects and x["signal"].startswith(sigprefix)
                    and s - 1 <= x["t"] <= e + 1]
            if not hits:
                print("| %s | no | - | - | - | - |" % name)
                continue
            h = min(hits, key=lambda x: x["t"])
            named = "-"
            if with_cause:
                a = h.get("attribution") or [{}]
                ok = a[0].get("kind") == cause[0] and a[0].get("name", "").startswith(cause[1])
                named = "%s %s (%.0f%%)%s" % (a[0].get("kind"), a[0].get("name"),
                                            100 * a[0].get("share", 0), "" if ok else " WRONG")
            ends = [x["t"] for x in ended if x["subject"] == h["subject"] and x["signal"] == h["signal"]
                    and x["t"] >= e - 1]
            cleared = "%.0f" % (min(ends) - e) if ends else "not cleared"
            print("| %s | yes | %.1f | %s %s | %s | %s |" % (name, max(0, h["t"] - s) / INTERVAL,
                                                          h["signal"], h["subject"], named, cleared))
        fps = [x for x in started if not in_fault(x["t"])]
        print("\nfalse positives: %d in %.0f s of quiet = %.1f per hour" % (
            len(fps), total_quiet, len(fps) * 3600 / total_quiet))
        for x in fps[:10]:
            print("  %s %s %s" % (datetime.datetime.utcfromtimestamp(x["t"]).strftime("%H:%M:%S"),
                                  x["signal"], x["subject"]))

    started = [e for e in anomalies if e["state"] == "started"]
    ended = [e for e in anomalies if e["state"] == "ended"]
    table("live detector (method %s), with attribution" % method_of(cfg, jitterd), started, ended, True)
    for method in ("mad", "ewma"):
        out = subprocess.run([replay, "--config", cfg, "--method", method, record],
                             capture_output=True, text=True, check=True).stdout
        rows = [l.split("\t") for l in out.splitlines()]
        started = [{"t": float(r[0]), "signal": r[2], "subject": r[3]} for r in rows if r[1] == "raised"]
        ended = [{"t": float(r[0]), "signal": r[2], "subject": r[3]} for r in rows if r[1] == "cleared"]
        table("replay, method %s" % method, started, ended, False)
    cpu_s = float(re.search(r"^jitterd_anomaly_cpu_seconds_total (\S+)", metrics, re.M).group(1))
    n = float(re.search(r"^jitterd_anomaly_intervals_total (\S+)", metrics, re.M).group(1))
    series = len(re.findall(r"^jitterd_anomaly_score\{", metrics, re.M))
    print("\ndetector cost: %.3f ms CPU per interval (%d signals; %.0f intervals) = %.3f%% of one CPU at 1 s"
          % (1000 * cpu_s / n, series, n, 100 * cpu_s / n))
    print("workload:", "real-time (ANOMALY_BENCH_RT=1)" if rt else "ordinary (nice 0)")
    print("recording and events kept in", tmp)


if __name__ == "__main__":
    main()
