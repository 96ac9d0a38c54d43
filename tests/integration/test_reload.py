"""A live reload (SIGHUP): what a good file changes, what a bad one does not,
and that no counter goes back either way. The daemon has dropped root
before any of these reloads (it reloads as nobody)."""
import json
import os
import random
import re
import socket
import time

import harness
from harness import Daemon, total

# These tests check the reload, not any probe's numbers (see conftest.py).
PROBES = ()

CTXSW_LOAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ctxsw_load.py")
LOAD_CPU = max(os.sched_getaffinity(0))
KIND_MIN = 200


def counters(text):
    """{(name, labels): value} of every counter and histogram series of an
    exposition (the series that must never go back)."""
    kinds = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    out = {}
    for key, value in harness.parse_metrics(text).items():
        name = key[0]
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if kinds.get(name) == "counter" or kinds.get(base) == "histogram":
            out[key] = value
    return out


def scrape_text(d):
    status, _, body = d.get("/metrics")
    assert status == 200
    return body


def gauge(d, name):
    return total(d.scrape(), name)


def waits_and_outliers(s0, s1):
    """Run-queue waits and outliers counted between two scrapes."""
    return tuple(total(s1, name) - total(s0, name) for name in (
        "jitterd_runqueue_latency_seconds_count", "jitterd_runqueue_latency_outliers_total"))


def status_voluntary(pids):
    """voluntary_ctxt_switches summed over every thread of pids."""
    n = 0
    for pid in pids:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                n += int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", f.read(), re.M).group(1))
    return n


def test_reload_adds_a_workload_that_is_then_followed():
    """A workload added by a reload follows processes that were already
    running: its voluntary switches match /proc/PID/task/*/status."""
    comm = "jdrl%06x" % random.randrange(1 << 24)
    first = "workloads:\n  - { name: first, comm: \"jdnothing*\" }\n"
    with Daemon(config=first) as d:
        with harness.NamedLoad(comm, CTXSW_LOAD, LOAD_CPU, 30) as load:
            assert not harness.select(d.scrape(), "jitterd_workload_context_switches_total",
                                      workload="added")
            out = d.reload(first + "  - { name: added, comm: \"%s\" }\n" % comm)
            assert "applied" in out, out
            b0 = harness.Bracket(lambda: status_voluntary(load.pids), d.scrape)
            time.sleep(2.0)
            while time.monotonic() - load.started < 25 and \
                    status_voluntary(load.pids) - b0.after < KIND_MIN:
                time.sleep(0.25)
            b1 = harness.Bracket(lambda: status_voluntary(load.pids), d.scrape)
        least, most = harness.kernel_range(b0, b1)
        got = total(b1.scrape, "jitterd_workload_context_switches_total", workload="added",
                    kind="voluntary") - total(b0.scrape, "jitterd_workload_context_switches_total",
                                              workload="added", kind="voluntary")
        print("  added: jitterd %d, /proc %d..%d" % (got, least, most))
        assert least >= KIND_MIN, "the load made only %d voluntary switches" % least
        assert harness.within_range(got, least, most, 0.02), (got, least, most)
        # The first workload kept its series.
        assert harness.select(b1.scrape, "jitterd_workload_context_switches_total", workload="first")
        assert d.stop() == 0


def test_reload_applies_a_new_outlier_threshold_and_cpu_groups():
    """A threshold of 10 s: no wait is an outlier. Reloaded to 1 ns: every
    wait is one, as many as the histogram counts. The CPU groups merged by
    the same reload keep counting from where the group of that name was."""
    cpus = sorted(harness.possible_cpus())
    if len(cpus) < 2:
        raise harness.NotApplicable("one CPU: no two groups to merge")
    groups = "cpu_groups:\n  a: \"%d\"\n  b: \"%d-%d\"\n" % (cpus[0], cpus[1], cpus[-1])
    merged = "cpu_groups:\n  a: \"%d-%d\"\n" % (cpus[0], cpus[-1])
    slow = "events:\n  runqueue_latency_threshold: 10s\n"
    fast = "events:\n  runqueue_latency_threshold: 1ns\n"
    with Daemon(config=groups + slow) as d:
        harness.pipe_pingpong(harness.load(2000))
        s0 = d.scrape()
        harness.pipe_pingpong(harness.load(2000))
        s1 = d.scrape()
        assert total(s1, "jitterd_runqueue_latency_outliers_total") == \
            total(s0, "jitterd_runqueue_latency_outliers_total")
        assert "applied" in d.reload(merged + fast)
        s2 = d.scrape()
        assert {dict(k[1])["cpu_group"] for k in harness.select(
            s2, "jitterd_runqueue_latency_outliers_total")} == {"a"}
        for name in ("jitterd_runqueue_latency_outliers_total",
                     "jitterd_runqueue_latency_seconds_count"):
            assert total(s2, name, cpu_group="a") >= total(s1, name, cpu_group="a"), name
        harness.pipe_pingpong(harness.load(2000))
        s3 = d.scrape()
        waits, outliers = waits_and_outliers(s2, s3)
        # Every wait of 1 ns or more is an outlier now. The sched_info path
        # measures some waits as exactly 0 (the kernel's rq clock, read at
        # enqueue and at the switch within one update): those are in the
        # lowest bucket (<= 128 ns), and only those may be missing. A scrape
        # may catch a program between its two increments on another CPU: a
        # few apart at most.
        lowest = total(s3, "jitterd_runqueue_latency_seconds_bucket", le="0.000000128") - \
            total(s2, "jitterd_runqueue_latency_seconds_bucket", le="0.000000128")
        assert waits > 1000 and waits - lowest - 4 <= outliers <= waits + 4, \
            (waits, outliers, lowest)
        assert d.stop() == 0


def udp_received(port, n):
    """Send n datagrams to a socket bound to port; how many it received."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind(("127.0.0.1", port))
        rx.settimeout(0.5)
        got = 0
        for _ in range(n):
            tx.sendto(b"x" * 64, ("127.0.0.1", port))
            try:
                rx.recv(2048)
                got += 1
            except socket.timeout:
                pass
        return got
    finally:
        rx.close()
        tx.close()


def test_reload_changes_a_socket_class():
    """md-feed moves from port A to port B and a class is added before it:
    datagrams to B are counted under md-feed, whose counts carry on."""
    a, b = harness.free_port(socket.SOCK_DGRAM), harness.free_port(socket.SOCK_DGRAM)
    while b == a:
        b = harness.free_port(socket.SOCK_DGRAM)
    cls = "collectors:\n  sockets:\n    classes:\n%s"
    md = "      - { name: md-feed, protocol: udp, local_ports: [%d] }\n"
    other = "      - { name: other, protocol: tcp, remote_ports: [1] }\n"
    count = "jitterd_socket_receive_queue_bytes_count"
    with Daemon(config=cls % (md % a)) as d:
        sent_a = udp_received(a, 200)
        s0 = d.scrape()
        assert total(s0, count, socket="md-feed") == sent_a
        assert "applied" in d.reload(cls % (other + md % b))
        udp_received(a, 100)  # no longer md-feed's
        got_b = udp_received(b, 300)
        s1 = d.scrape()
        assert total(s1, count, socket="md-feed") == sent_a + got_b, \
            (total(s1, count, socket="md-feed"), sent_a, got_b)
        assert total(s1, count, socket="other") == 0
        assert d.stop() == 0


@harness.host_only("the same on every kernel (config, HTTP, the event log): no need to repeat it in each vmtest guest")
def test_bad_reload_keeps_the_old_config_and_every_counter():
    config = "workloads:\n  - { name: w, comm: \"jdnothing*\" }\n"
    with Daemon(config=config) as d:
        harness.pipe_pingpong(harness.load(1000))
        before = counters(scrape_text(d))
        assert gauge(d, "jitterd_config_last_reload_successful") == 1
        stamp = gauge(d, "jitterd_config_last_reload_success_timestamp_seconds")
        assert abs(stamp - time.time()) < 120, stamp
        out = d.reload(config + "bogus: 1\n")
        assert "%s:3:1: unknown key" % d.config_path in out, out
        harness.pipe_pingpong(harness.load(1000))
        text = scrape_text(d)
        after = counters(text)
        s = harness.parse_metrics(text)
        assert total(s, "jitterd_config_last_reload_successful") == 0
        assert total(s, "jitterd_config_last_reload_success_timestamp_seconds") == stamp
        assert harness.select(s, "jitterd_workload_context_switches_total", workload="w")
        assert set(before) <= set(after), set(before) - set(after)
        back = {k: (before[k], after[k]) for k in before if after[k] < before[k]}
        assert not back, back
        assert total(after, "jitterd_context_switches_total") > \
            total(before, "jitterd_context_switches_total")
        # A good file again: applied, stamped.
        assert "applied" in d.reload(config)
        assert gauge(d, "jitterd_config_last_reload_successful") == 1
        assert gauge(d, "jitterd_config_last_reload_success_timestamp_seconds") > stamp
        assert d.stop() == 0


@harness.host_only("the same on every kernel (config, HTTP, the event log): no need to repeat it in each vmtest guest")
def test_switching_a_collector_off_needs_a_restart_and_it_keeps_running():
    with Daemon(config="collectors:\n  softirq: { enabled: true }\n") as d:
        s0 = d.scrape()
        out = d.reload("collectors:\n  softirq: { enabled: false }\n"
                       "events:\n  runqueue_latency_threshold: 1ns\n")
        assert "collector softirq would be switched off" in out, out
        time.sleep(0.5)
        s1 = d.scrape()
        assert total(s1, "jitterd_config_restart_required") == 1
        assert total(s1, "jitterd_config_last_reload_successful") == 0
        assert total(s1, "jitterd_softirqs_total") > total(s0, "jitterd_softirqs_total")
        assert total(s1, "jitterd_probe_attached", probe="softirq_entry") == 1
        # Nothing of that file applied: not its threshold either.
        harness.pipe_pingpong(harness.load(1000))
        s2 = d.scrape()
        waits, outliers = waits_and_outliers(s1, s2)
        assert outliers < waits, (outliers, waits)
        assert "applied" in d.reload("")
        assert gauge(d, "jitterd_config_restart_required") == 0
        assert d.stop() == 0


@harness.host_only("the same on every kernel (config, HTTP, the event log): no need to repeat it in each vmtest guest")
def test_changing_the_anomaly_detector_needs_a_restart():
    with Daemon(config="anomaly:\n  window: 60\n") as d:
        out = d.reload("anomaly:\n  window: 61\n")
        assert "anomaly: changed (the detector's keys take a restart)" in out, out
        assert gauge(d, "jitterd_config_restart_required") == 1
        assert gauge(d, "jitterd_config_last_reload_successful") == 0
        assert "applied" in d.reload("anomaly:\n  window: 60\n")
        assert gauge(d, "jitterd_config_restart_required") == 0
        assert d.stop() == 0


def refused(port):
    try:
        harness.raw_http(port, b"GET /healthz HTTP/1.0\r\n\r\n", read_timeout=2)
    except ConnectionRefusedError:
        return True
    return False


@harness.host_only("the same on every kernel (config, HTTP, the event log): no need to repeat it in each vmtest guest")
def test_reload_moves_to_a_new_listen_address():
    """The new address serves, the old one is closed. After the privilege
    drop a port below 1024 cannot be bound: that reload fails and the old
    address keeps serving."""
    p1, p2 = harness.free_port(), harness.free_port()
    with Daemon(config="listen: \"127.0.0.1:%d\"\n" % p1, listen=None) as d:
        assert d.port == p1
        assert "applied" in d.reload("listen: \"127.0.0.1:%d\"\n" % p2)
        d.port = p2
        assert d.get("/healthz")[0] == 200
        assert refused(p1)
        out = d.reload("listen: \"127.0.0.1:%d\"\n" % 1)
        assert "cannot listen on 127.0.0.1:1: Permission denied" in out, out
        assert "the old config stays in force" in out, out
        assert d.get("/healthz")[0] == 200
        assert gauge(d, "jitterd_config_last_reload_successful") == 0
        assert d.stop() == 0


@harness.host_only("the same on every kernel (config, HTTP, the event log): no need to repeat it in each vmtest guest")
def test_reload_applies_the_event_log_size_and_daemon_cpus():
    """events.log_size shrunk keeps each kind's newest events; daemon.cpus re-pins.
    (log_size is per kind: the outliers' log is the one the load fills.)"""
    cpus = sorted(os.sched_getaffinity(0))
    events = "events:\n  runqueue_latency_threshold: 1ns\n  log_size: %d\n"
    with Daemon(config=events % 1000) as d:
        harness.pipe_pingpong(harness.load(2000))
        time.sleep(0.3)  # drained every 100 ms
        status, _, body = d.get("/events?kind=runqueue_latency")
        assert status == 200 and len(body.splitlines()) > 10, body[:500]
        newest_before = json.loads(body.splitlines()[-1])["time"]
        assert "applied" in d.reload(events % 3 + "daemon:\n  cpus: \"%d\"\n" % cpus[-1])
        status, _, body = d.get("/events?kind=runqueue_latency")
        lines = body.splitlines()
        assert 1 <= len(lines) <= 3, lines
        # The newest were kept: none older than the newest seen before (RFC 3339 UTC sorts).
        assert all(json.loads(line)["time"] >= newest_before for line in lines), (newest_before, lines)
        with open("/proc/%d/status" % d.proc.pid) as f:
            allowed = re.search(r"^Cpus_allowed_list:\s+(\S+)", f.read(), re.M).group(1)
        assert allowed == str(cpus[-1]), allowed
        assert d.stop() == 0
