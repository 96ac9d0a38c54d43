"""Softirqs and hardirqs: jitterd's counts against /proc/softirqs and /proc/interrupts.

Every comparison brackets each scrape between two reads of the kernel's own
counters (read, scrape, read). The kernel counts a softirq right before the
softirq_entry tracepoint fires, so over the interval between two scrapes
jitterd's delta lies between the kernel's delta over the inner interval
(first read after scrape 0 to last read before scrape 1) and over the outer
one: that range is the exact allowance for the read skew, whatever else runs
on the machine. On top of it:
  above: 1% of the kernel's count (the contract) + 1 (a run the kernel has
         counted but whose tracepoint has not fired yet);
  below: the same + MISSED_HITS.

MISSED_HITS: on the 6.18 VMs this project is developed on, tracing BPF
programs silently miss some tracepoint hits: tp_btf, raw_tp and classic
tracepoint alike, and a bare counter loaded on its own; no
recursion_misses; two programs on the same tracepoint miss the same hits;
`perf stat` on the same tracepoint sees them (and, beside a classic
tracepoint program, counts exactly the hits the program missed). Measured:
tp_btf/raw_tp up to 0.7% of NET_TX and 0.6% of disk interrupts, a dozen
runs of a low-rate vector (RCU) per CPU in 3 s, a third of one virtio-net
TX interrupt line while idle; classic tracepoints up to 2% of NET_RX/NET_TX,
and once (2026-11-29, a quiet machine, full suite) a burst on one CPU that
took 5.9% of its NET_TX and 5% of its NET_RX, and a few runs of every other
vector of that CPU, while the other CPU lost nothing: the bursts that
ftrace and perf also lose (see test_context_switches' idle test); not
root-caused. The context switch counter misses ~0.04% the same way. jitterd can never
count more than the kernel, so the upper bound has no such allowance.
"""
import calendar
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import harness
import tracefs
from harness import Daemon, select, total

# The probes whose numbers these tests check (conftest.py reports their attach types).
PROBES = ("softirq_entry", "softirq_exit", "softirq_raise", "irq_handler_entry",
          "irq_handler_exit")
VECTORS = ["hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched",
           "hrtimer", "rcu"]

# What the load below makes at least, summed over CPUs, in LOAD_SECONDS (seen
# here: net_rx ~10^4, net_tx ~10^3, timer ~10^3, hrtimer ~10^2). Below these
# the comparison would prove little: the load goes on (LOAD_MAX_SECONDS at
# most) until it made them, and the test fails if it never does. NET_TX
# comes from the tbf qdisc's watchdog, which the 6.1 PREEMPT_RT guest ran
# only ~3 times a second (61 in 21 s, each counted exactly): 40 is enough
# to show the vector counted, and reachable there.
LOAD_SECONDS = 2.0
LOAD_MAX_SECONDS = 20.0
MIN_ACTIVITY = {"net_rx": 1000, "net_tx": 40, "timer": 100, "hrtimer": 10}
# (share of the kernel's count, absolute) per attach type; see above.
MISSED_HITS = {"tp_btf": (0.01, 15), "raw_tp": (0.01, 15), "tracepoint": (0.06, 15)}


def read_softirqs():
    """{(cpu, vector): count} from /proc/softirqs."""
    with open("/proc/softirqs") as f:
        cpus = [int(c[3:]) for c in f.readline().split()]
        out = {}
        for line in f:
            name, *counts = line.split()
            for cpu, n in zip(cpus, counts):
                out[(str(cpu), name.rstrip(":").lower())] = int(n)
    return out


def irq_actions(irq):
    """Handlers on a numbered line: each runs (and fires irq_handler_entry) on every interrupt."""
    try:
        with open("/sys/kernel/irq/%s/actions" % irq) as f:
            names = f.read().strip()
    except FileNotFoundError:
        return 1  # no CONFIG_SPARSE_IRQ: assume one handler
    return len(names.split(",")) if names else 0


def read_device_irqs():
    """{cpu: handler runs} from the numbered lines of /proc/interrupts.

    Only numbered lines are device interrupts that go through
    irq_handler_entry; the named ones (NMI, LOC, RES, CAL, TLB, ...) are
    architecture vectors with their own entry code and no such tracepoint.
    """
    out = {}
    with open("/proc/interrupts") as f:
        cpus = [c[3:] for c in f.readline().split()]
        for line in f:
            irq, _, rest = line.partition(":")
            if not irq.strip().isdigit():
                continue
            actions = irq_actions(irq.strip())
            for cpu, n in zip(cpus, rest.split()):
                out[cpu] = out.get(cpu, 0) + int(n) * actions
    return out


def agrees(got, inner, outer, attach="tp_btf"):
    missed_share, missed = MISSED_HITS[attach]
    return (inner - (0.01 + missed_share) * inner - 1 - missed <= got <=
            outer + 0.01 * outer + 1)


def scraped(s, name, **labels):
    return harness.total(s, name, **labels)


# ---- load -----------------------------------------------------------------

def _tcp_paced(stop, rate):
    """A TCP stream paced by the kernel (SO_MAX_PACING_RATE, no fq qdisc):
    TCP's pacing timer is a soft hrtimer, so this makes HRTIMER softirqs."""
    import socket
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    c = socket.create_connection(srv.getsockname(), timeout=5)
    s, _ = srv.accept()
    s.settimeout(5)
    c.setsockopt(socket.SOL_SOCKET, 47, rate)  # SO_MAX_PACING_RATE (bytes/s)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def sink():
        try:
            while s.recv(1 << 16):
                pass
        except OSError:
            pass
    t = threading.Thread(target=sink)
    t.start()
    try:
        while time.monotonic() < stop:
            c.send(b"x" * 8192)
    except OSError:
        pass
    c.close()
    t.join()
    s.close()
    srv.close()


def _udp_flood(stop):
    """UDP over lo faster than its tbf qdisc lets through: NET_RX for what
    passes, and the qdisc's watchdog reschedules the queue (NET_TX)."""
    import socket
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    r.setblocking(False)
    w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    w.setblocking(False)
    to = r.getsockname()
    n = 0
    while time.monotonic() < stop:
        try:
            w.sendto(b"y" * 1000, to)
        except OSError:
            pass
        n += 1
        if n % 16 == 0:
            try:
                while True:
                    r.recv(2048)
            except OSError:
                pass
    r.close()
    w.close()


def _timeouts(stop):
    """A receive timeout (SO_RCVTIMEO) sleeps in schedule_timeout(): a timer
    wheel timer, expired by the TIMER softirq."""
    import socket
    import struct
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 1000))
    while time.monotonic() < stop:
        try:
            u.recv(16)
        except OSError:
            pass
    u.close()


def _load_in_this_netns(seconds):
    """Runs in a fresh network namespace: its own lo, which this load may
    shape without touching anybody else's loopback traffic."""
    # MTU 1500 keeps TCP's pacing quanta small (more pacing timers); the tbf
    # throttles the UDP flood, burst above lo's GSO sizes so TCP passes.
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "up"], check=True)
    subprocess.run(["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "100mbit",
                    "burst", "100kb", "latency", "5ms"], check=True)
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=_tcp_paced, args=(stop, 1000000)) for _ in range(4)]
    threads += [threading.Thread(target=_udp_flood, args=(stop,)),
                threading.Thread(target=_timeouts, args=(stop,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def softirq_load(seconds=LOAD_SECONDS):
    """NET_RX, NET_TX, TIMER and HRTIMER softirqs from loopback traffic and timers."""
    subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__), "load",
                    str(seconds)], check=True, timeout=seconds + 30)


def disk_irq_load(seconds=2.0):
    """Synchronous 4 KiB writes on the disk that holds the build directory:
    each fdatasync() completes through the disk's interrupt."""
    with tempfile.TemporaryFile(dir=os.path.join(harness.ROOT, "build")) as f:
        fd = f.fileno()
        block = b"z" * 4096
        stop = time.monotonic() + seconds
        i = 0
        while time.monotonic() < stop:
            os.pwrite(fd, block, (i % 256) * 4096)
            os.fdatasync(fd)
            i += 1
    return i


# ---- tests ----------------------------------------------------------------

def assert_attached(s, attach):
    for probe in ("softirq_entry", "softirq_exit", "softirq_raise", "irq_handler_entry",
                  "irq_handler_exit"):
        assert s.get(("jitterd_probe_attached",
                      frozenset({("probe", probe), ("attach", attach)}))) == 1, \
            select(s, "jitterd_probe_attached")


def made_enough(since, now):
    """Whether the load made MIN_ACTIVITY of each vector between two reads."""
    made = {}
    for (cpu, vector), n in now.items():
        made[vector] = made.get(vector, 0) + n - since.get((cpu, vector), 0)
    return all(made.get(v, 0) >= least for v, least in MIN_ACTIVITY.items())


def measure_softirqs(d):
    # LOAD_SECONDS of load, and more until it made MIN_ACTIVITY: on a busy
    # machine (a guest sharing its CPU) the same load makes fewer softirqs.
    b0 = harness.Bracket(read_softirqs, d.scrape)
    start = time.monotonic()
    softirq_load()
    while not made_enough(b0.after, read_softirqs()) and time.monotonic() - start < LOAD_MAX_SECONDS:
        softirq_load()
    b1 = harness.Bracket(read_softirqs, d.scrape)
    return b0, b1


def assert_softirqs_agree(b0, b1, attach="tp_btf"):
    bad = []
    active = {}
    for key in sorted(b1.after):
        cpu, vector = key
        inner, outer = harness.kernel_range(b0, b1, key)
        got = (scraped(b1.scrape, "jitterd_softirqs_total", cpu=cpu, vector=vector) -
               scraped(b0.scrape, "jitterd_softirqs_total", cpu=cpu, vector=vector))
        if outer:
            print("  softirqs cpu %s %-8s: jitterd %6d, /proc/softirqs %6d..%d" % (
                cpu, vector, got, inner, outer))
            active[vector] = active.get(vector, 0) + inner
        if not agrees(got, inner, outer, attach):
            bad.append("cpu %s %s: jitterd %d, /proc/softirqs %d..%d" % (
                cpu, vector, got, inner, outer))
    assert not bad, "softirq counts disagree with /proc/softirqs:\n  " + "\n  ".join(bad)
    for vector, least in MIN_ACTIVITY.items():
        assert active.get(vector, 0) >= least, \
            "load made only %d %s softirqs (want >= %d)" % (active.get(vector, 0), vector, least)


def test_softirq_counts_match_proc_softirqs_per_cpu_and_vector():
    with Daemon() as d:
        assert_attached(d.scrape(), "tp_btf")
        assert_softirqs_agree(*measure_softirqs(d))
        assert d.stop() == 0


def test_time_and_histograms_only_for_runs_seen():
    """In one scrape: a CPU and vector with no run has no time; the duration
    histogram holds one sample per counted run except the runs in progress
    (at most one per CPU), and the latency histogram no more."""
    with Daemon() as d:
        softirq_load(1.0)
        s = d.scrape()
        ncpus = len(harness.possible_cpus())
        for key, runs in select(s, "jitterd_softirqs_total").items():
            labels = dict(key[1])
            secs = s[("jitterd_softirq_seconds_total", key[1])]
            if runs == 0:
                assert secs == 0, "no %s runs on cpu %s but %g s" % (
                    labels["vector"], labels["cpu"], secs)
            elif runs >= ncpus + 1:
                assert secs > 0, "%d %s runs on cpu %s but no time" % (
                    runs, labels["vector"], labels["cpu"])
        for v in VECTORS:
            runs = scraped(s, "jitterd_softirqs_total", vector=v)
            durations = s[("jitterd_softirq_duration_seconds_count", frozenset({("vector", v)}))]
            latencies = s[("jitterd_softirq_latency_seconds_count", frozenset({("vector", v)}))]
            dsum = s[("jitterd_softirq_duration_seconds_sum", frozenset({("vector", v)}))]
            secs = scraped(s, "jitterd_softirq_seconds_total", vector=v)
            print("  %-8s runs %6d, durations %6d, latencies %6d, time %.6fs" % (
                v, runs, durations, latencies, secs))
            # Copy skew of one map read: a run or two per CPU at most.
            assert runs - ncpus <= durations <= runs + ncpus, (v, runs, durations)
            assert latencies <= runs + ncpus, (v, runs, latencies)
            assert abs(dsum - secs) <= 1e-3 + 1e-3 * secs, (v, dsum, secs)
            if runs == 0:
                assert durations == latencies == dsum == 0, v
        for v in ("net_rx", "timer"):
            assert s[("jitterd_softirq_latency_seconds_count", frozenset({("vector", v)}))] > 0, v
        assert d.stop() == 0


def test_hardirq_counts_match_proc_interrupts_device_lines():
    with Daemon() as d:
        b0 = harness.Bracket(read_device_irqs, d.scrape)
        writes = disk_irq_load()
        b1 = harness.Bracket(read_device_irqs, d.scrape)
        total_inner = 0
        for cpu in sorted(b1.after):
            inner, outer = harness.kernel_range(b0, b1, cpu)
            got = (scraped(b1.scrape, "jitterd_hardirqs_total", cpu=cpu) -
                   scraped(b0.scrape, "jitterd_hardirqs_total", cpu=cpu))
            secs = (scraped(b1.scrape, "jitterd_hardirq_seconds_total", cpu=cpu) -
                    scraped(b0.scrape, "jitterd_hardirq_seconds_total", cpu=cpu))
            print("  hardirqs cpu %s: jitterd %d (%.6fs), /proc/interrupts %d..%d "
                  "(%d synchronous writes)" % (cpu, got, secs, inner, outer, writes))
            assert agrees(got, inner, outer), \
                "cpu %s: jitterd %d handler runs, /proc/interrupts %d..%d" % (cpu, got, inner, outer)
            # A handler in progress at a scrape moves its time to the other side.
            assert secs > 0 if got >= 2 else secs < 1e-3, (cpu, got, secs)
            total_inner += inner
        assert total_inner >= 100, "the disk load made only %d device interrupts" % total_inner
        assert d.stop() == 0


# ---- time against ftrace -------------------------------------------------------

def traced_softirq_runs(events):
    """[(exit_ns, vector, ns)] of one CPU's softirq runs, from ftrace's
    softirq_entry/exit stamps, less the time of the interrupt handlers that
    ran inside (irq_handler_entry/exit), as jitterd charges them to the
    hardirq counters instead. A run whose entry the trace lacks is left out."""
    runs = []
    entry = vec = handler = None
    nested = 0
    for e in events:
        if e.name == "softirq_entry":
            entry, vec, nested = e.ns, int(e.fields["vec"]), 0
        elif e.name == "irq_handler_entry":
            handler = e.ns
        elif e.name == "irq_handler_exit":
            if handler is not None and entry is not None:
                nested += e.ns - handler
            handler = None
        elif e.name == "softirq_exit":
            if entry is not None and int(e.fields["vec"]) == vec:
                runs.append((e.ns, VECTORS[vec], e.ns - entry - nested))
            entry = None
    return runs


@harness.host_only("under TCG the two observers of one tracepoint stamp microseconds apart "
                   "(seen: NET_TX 7% short of ftrace in the 6.1 guest); the BPF side is "
                   "the same on every kernel")
def test_softirq_time_matches_ftrace_entry_exit_stamps_per_cpu_and_vector():
    """jitterd_softirq_seconds_total, per CPU and vector, is the time between
    softirq_entry and softirq_exit less the handlers inside, as ftrace
    stamps them between the same two scrapes. jitterd adds a run at its
    exit: the runs that exit between the scrapes' inner stamps, and those
    between their outer ones, bound what it may show."""
    with Daemon() as d:
        with tracefs.Trace({"irq/softirq_entry": None, "irq/softirq_exit": None,
                            "irq/irq_handler_entry": None, "irq/irq_handler_exit": None},
                           buffer_kb=32768) as trace:
            s0 = harness.Bracket(time.monotonic_ns, d.scrape)
            softirq_load()
            s1 = harness.Bracket(time.monotonic_ns, d.scrape)
            trace.stop()
            bad = []
            busy = [0, 0, 0]  # NET_RX + NET_TX over all CPUs: jitterd, lo, hi
            for cpu in trace.cpus():
                runs = traced_softirq_runs(trace.events(cpu))
                for v in VECTORS:
                    inner = [ns for t, vec, ns in runs if vec == v and s0.after <= t <= s1.before]
                    outer = [ns for t, vec, ns in runs if vec == v and s0.before <= t <= s1.after]
                    got = 1e9 * (
                        scraped(s1.scrape, "jitterd_softirq_seconds_total", cpu=str(cpu), vector=v) -
                        scraped(s0.scrape, "jitterd_softirq_seconds_total", cpu=str(cpu), vector=v))
                    if not outer and not got:
                        continue
                    lo, hi = sum(inner), sum(outer)
                    n = (scraped(s1.scrape, "jitterd_softirqs_total", cpu=str(cpu), vector=v) -
                         scraped(s0.scrape, "jitterd_softirqs_total", cpu=str(cpu), vector=v))
                    print("  cpu %d %-8s: jitterd %10.0f ns in %d runs, ftrace %10d..%d ns in %d..%d runs (%+.2f%%)" % (
                        cpu, v, got, n, lo, hi, len(inner), len(outer),
                        100.0 * (got - lo) / lo if lo else 0))
                    if not time_agrees(got, n, lo, hi, len(inner), len(outer)):
                        bad.append("cpu %d %s: jitterd %.0f ns, ftrace %d..%d ns" % (cpu, v, got, lo, hi))
                    if v in ("net_rx", "net_tx"):
                        busy[0] += got
                        busy[1] += scaled_lo(lo, n, len(inner))
                        busy[2] += scaled_hi(hi, n, len(outer))
            assert not bad, "softirq time disagrees with ftrace:\n  " + "\n  ".join(bad)
            # The load's own vectors run hot and long: no per-run allowance.
            print("  net_rx+net_tx: jitterd %.0f ns, ftrace %.0f..%.0f ns" % tuple(busy))
            assert busy[1] >= 50e6, "the load made only %.0f ns of NET_RX/NET_TX" % busy[1]
            assert (1 - BUSY_SHARE) * busy[1] - TIME_ABS_NS <= busy[0] <= \
                (1 + BUSY_SHARE) * busy[2] + TIME_ABS_NS, busy
        assert d.stop() == 0


# How far jitterd's time may stray from ftrace's, per CPU and vector:
#  - runs one of them did not see: jitterd's programs miss a few hits
#    (MISSED_HITS above; ~1.5% of NET_RX/NET_TX runs here), and ftrace loses
#    short bursts of events (~0.5% of sched_switch here, against /proc/stat
#    ctxt): the bounds scale by the share of runs jitterd counted (the run
#    counts themselves are checked against /proc/softirqs above);
#  - TIME_SHARE: the trace prints microseconds (each stamp truncated; the
#    sums are unbiased) and the rest of the noise: measured within 1%;
#  - TIME_PER_RUN: two observers of one tracepoint cannot stamp the same
#    instant: each one's stamps include the other's callback when it runs
#    first. On a vector that runs seldom (TIMER, RCU, SCHED, TASKLET: cold
#    caches) that made jitterd's runs up to 2.1 us longer than ftrace's
#    (measured over 8 runs of this test, 2 CPUs, busy host); on the busy
#    NET_RX/NET_TX runs, under 0.1 us: their sum over CPUs is checked
#    without it;
#  - TIME_ABS_NS: single runs on which the two disagree by tens of us
#    (37 us at most in 12 runs: a burst of events ftrace lost inside the
#    run, an interrupt handler one of them did not see): an absolute
#    allowance, small beside the milliseconds the load makes per vector.
TIME_SHARE = 0.05
TIME_PER_RUN_NS = 3000
TIME_ABS_NS = 100000
# NET_RX + NET_TX over all CPUs (~0.3 s of runs): jitterd 0.2-0.5% under
# ftrace's inner sum in 5 runs on the busy host.
BUSY_SHARE = 0.02


def scaled_lo(lo, runs, runs_lo):
    return lo * min(1.0, runs / runs_lo) if runs_lo else 0


def scaled_hi(hi, runs, runs_hi):
    return hi * max(1.0, runs / runs_hi) if runs_hi else 0


def time_agrees(got, runs, lo, hi, runs_lo, runs_hi):
    """Between ftrace's inner and outer sums (see above), scaled to the runs
    jitterd counted."""
    lo, hi = scaled_lo(lo, runs, runs_lo), scaled_hi(hi, runs, runs_hi)
    return ((1 - TIME_SHARE) * lo - TIME_ABS_NS <= got <=
            (1 + TIME_SHARE) * hi + TIME_PER_RUN_NS * max(runs, runs_hi) + TIME_ABS_NS)


def long_softirq_events(threshold):
    with Daemon(config="events:\n  softirq_duration_threshold: %s\n" % threshold) as d:
        softirq_load(1.0)
        time.sleep(0.2)  # events are drained on the daemon's timer
        status, _, body = d.get("/events")
        assert status == 200
        events = [json.loads(line) for line in body.splitlines()]
        assert d.stop() == 0
    return [e for e in events if e["type"] == "softirq"]


def test_long_softirq_is_an_event_above_a_low_threshold():
    events = long_softirq_events("1us")
    print("  softirq events at 1us: %d" % len(events))
    assert events, "no softirq event with a 1us threshold"
    cpus = {str(c) for c in harness.possible_cpus()}
    for e in events:
        assert set(e) == {"time", "cpu", "type", "vector", "duration_ns", "hardirq_ns"}, e
        assert e["vector"] in VECTORS and str(e["cpu"]) in cpus, e
        assert e["duration_ns"] > 1000 and e["hardirq_ns"] >= 0, e


def test_no_softirq_event_below_a_high_threshold():
    events = long_softirq_events("10s")
    print("  softirq events at 10s: %d" % len(events))
    assert not events, events[:3]


def hardirq_events_agree_with_ftrace(attach):
    """Every interrupt handler run is a hardirq event at a 1ns threshold:
    per CPU and irq, as many as ftrace's irq_handler_exit saw in a window of
    disk writes (runs within EDGE_NS of its ends may fall either side; the
    BPF programs may miss MISSED_HITS), each event's duration the handler's."""
    edge = 20000
    cfg = "events:\n  hardirq_duration_threshold: 1ns\n  log_sizes: { hardirq: 200000 }\n"
    with Daemon(config=cfg, env={"JITTERD_ATTACH": attach}) as d:
        with tracefs.Trace({"irq/irq_handler_entry": None, "irq/irq_handler_exit": None},
                           buffer_kb=16384) as trace:
            t0 = time.monotonic_ns()
            disk_irq_load(1.0)
            t1 = time.monotonic_ns()
            trace.stop()
            traced = {cpu: trace.events(cpu) for cpu in trace.cpus()}
        time.sleep(0.3)  # events are drained on the daemon's timer
        offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.monotonic_ns()
        status, _, body = d.get("/events?kind=hardirq")
        s = d.scrape()
        assert d.stop() == 0
    assert status == 200
    assert total(s, "jitterd_ringbuf_dropped_events_total") == 0
    assert total(s, "jitterd_events_evicted_total", kind="hardirq") == 0
    got, certain, either = {}, {}, {}
    for line in body.splitlines():
        e = json.loads(line)
        assert set(e) == {"time", "cpu", "type", "irq", "duration_ns"}, e
        whole, frac = e["time"].rstrip("Z").split(".")
        mono = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) * 10**9 + int(frac) - offset
        if t0 + edge <= mono <= t1 - edge:
            key = (e["cpu"], e["irq"])
            got[key] = got.get(key, 0) + 1
    for cpu, events in traced.items():
        entry = None
        for e in events:
            if e.name == "irq_handler_entry":
                entry = e
            elif e.name == "irq_handler_exit" and entry is not None:
                key, entry = (cpu, int(e.fields["irq"])), None
                if t0 + 2 * edge <= e.ns <= t1 - 2 * edge:
                    certain[key] = certain.get(key, 0) + 1
                elif t0 <= e.ns <= t1:
                    either[key] = either.get(key, 0) + 1
    share, most = MISSED_HITS[attach]
    print("  %s: jitterd %s; ftrace %s (+%s at the edges)" % (attach, got, certain, either))
    assert certain, "the disk writes made no interrupt"
    for key in set(got) | set(certain):
        n, lo = got.get(key, 0), certain.get(key, 0)
        assert lo - int(share * lo) - most <= n <= lo + either.get(key, 0), (key, n, lo, either)


def test_hardirq_events_are_every_handler_run_per_cpu_and_irq_as_ftrace_sees_them():
    hardirq_events_agree_with_ftrace("tp_btf")


def test_hardirq_events_raw_tp_and_classic_tracepoint_read_the_same_irq():
    for attach in ("raw_tp", "tracepoint"):
        hardirq_events_agree_with_ftrace(attach)


def attach_type_agrees(attach):
    with Daemon(env={"JITTERD_ATTACH": attach}) as d:
        assert_attached(d.scrape(), attach)
        assert_softirqs_agree(*measure_softirqs(d), attach)
        assert d.stop() == 0


def test_raw_tp_fallback_counts_the_same():
    attach_type_agrees("raw_tp")


def test_classic_tracepoint_fallback_counts_the_same():
    attach_type_agrees("tracepoint")


if __name__ == "__main__" and sys.argv[1:2] == ["load"]:
    _load_in_this_netns(float(sys.argv[2]))
