"""Events on-call can rely on (docs/events.md): a log per kind, so that a
flood of run-queue outliers leaves every socket drop and anomaly in place
and counts what it pushes out; queries that return exactly what matches;
followers that see every event of their kinds in order, and a stalled one
cut without the daemon noticing; the JSON-lines file sink, read back field
by field; the journal sink, into a socket of the test's (what journald
gets, and a queue that fills) and into Debian's systemd-journald run as a
plain process, read back with journalctl.

The flood: runq_load.py's hogs on one CPU and a run-queue threshold of
20us, thousands of outliers a second on this machine (the tests check the
rate they got). Drops: a UDP socket with a small receive buffer that
nobody reads; /proc/net/udp says how many there were.
"""
import calendar
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import harness
from harness import Daemon, total
from test_sockets import udp_drops

PROBES = ("sched_switch", "kfree_skb")

HERE = os.path.dirname(os.path.abspath(__file__))
LOAD = os.path.join(HERE, "runq_load.py")
LOAD_CPU = max(os.sched_getaffinity(0))


class Sink:
    """A UDP socket on 127.0.0.1 that nobody reads, and a sender: each
    burst() past its small receive buffer is drops (rcvbuf_full)."""

    def __init__(self):
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.rx.bind(("127.0.0.1", 0))
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tx.bind(("127.0.0.1", 0))
        self.port = self.rx.getsockname()[1]

    def burst(self, n, groups=20):
        """n datagrams in groups 5 ms apart: drops over several jiffies,
        each of which may send an event."""
        for i in range(n):
            self.tx.sendto(b"x" * 1000, ("127.0.0.1", self.port))
            if i % max(1, n // groups) == 0:
                time.sleep(0.005)

    def drops(self):
        return udp_drops(self.rx)

    def close(self):
        self.rx.close()
        self.tx.close()


def poll(what, fn, timeout=30.0, every=0.2):
    """fn() until it returns something true, or fail naming what."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("no %s within %ss" % (what, timeout))
        time.sleep(every)


def lines(d, query=""):
    status, _, body = d.get("/events" + query)
    assert status == 200, (query, status, body)
    return [json.loads(line) for line in body.splitlines()]


def config(sinks, extra="", log_size=1000, threshold="20us"):
    classes = "".join("      - { name: %s, protocol: udp, local_ports: [%d] }\n" % (name, s.port)
                      for name, s in sinks)
    return ("collectors:\n  sockets:\n    classes:\n" + classes +
            "events:\n  runqueue_latency_threshold: %s\n  softirq_duration_threshold: 10s\n"
            "  log_size: %d\n%s" % (threshold, log_size, extra))


def flood(seconds=60, hogs=3):
    """Run-queue waits on LOAD_CPU: a sleeper waking every 100us behind hogs."""
    return harness.NamedLoad("jdev-hog", LOAD, LOAD_CPU, hogs, 100, seconds)


def drop_events(d, sinks, timeout=20):
    """Once jitterd has counted every drop the kernel counted at sinks
    ({name: (sink, kernel drops before, jitterd's before)}) and logged what
    the BPF side sent of them (one event per class, CPU and jiffy at most:
    bpf/sockets.bpf.c), the socket_drop events: their number, jitterd's
    count of them (jitterd_events_total) being the same."""
    def caught_up():
        s = d.scrape()
        for name, (sink, kernel0, counted0) in sinks.items():
            kernel = sink.drops() - kernel0
            counted = total(s, "jitterd_socket_drops_total", socket=name) - counted0
            if not kernel or counted != kernel:
                return None
        logged = total(s, "jitterd_events_total", kind="socket_drop")
        got = lines(d, "?kind=socket_drop")
        return got if len(got) == logged else None
    return poll("every drop counted and its events logged", caught_up, timeout)


def before(d, sinks):
    s = d.scrape()
    return {name: (sink, sink.drops(), total(s, "jitterd_socket_drops_total", socket=name))
            for name, sink in sinks.items()}


ANOMALY = """anomaly:
  interval: 1s
  warmup: 4
  window: 30
  subjects: { cpu_groups: false, workloads: false, cpus: false, vectors: false, sockets: true }
  signals:
    runqueue_wait: { enabled: false }
    runqueue_latency: { enabled: false }
    involuntary_share: { enabled: false }
"""


def test_a_flood_of_outliers_leaves_every_drop_and_anomaly_and_counts_evictions():
    sink = Sink()
    try:
        with Daemon(config([("ev-feed", sink)], ANOMALY, log_size=500)) as d, flood():
            time.sleep(6)  # the detector's warm-up, under the flood
            b = before(d, {"ev-feed": sink})
            for _ in range(25):  # drops for 5 s, as anomaly_load.py overflow makes them
                sink.burst(50, groups=5)
                time.sleep(0.2)
            drops = len(drop_events(d, b))
            # The drops are flagged, and the anomaly ends once they stop.
            poll("an anomaly that ended",
                 lambda: any(e.get("state") == "ended"
                             for e in lines(d, "?kind=anomaly")), timeout=40)
            time.sleep(3)  # more of the flood
            s = d.scrape()
            assert total(s, "jitterd_ringbuf_dropped_events_total") == 0, \
                "the ring overflowed: events were lost before the logs"
            outliers = total(s, "jitterd_events_total", kind="runqueue_latency")
            evicted = total(s, "jitterd_events_evicted_total", kind="runqueue_latency")
            print("  %d outliers, %d evicted; %d drops; anomalies %d" %
                  (outliers, evicted, drops,
                   total(s, "jitterd_events_total", kind="anomaly")))
            assert outliers > 20 * 500, "no flood: %d outliers" % outliers
            # Evictions, exactly: a full log keeps log_size, the rest went.
            assert total(s, "jitterd_events_retained", kind="runqueue_latency") == 500
            assert evicted == outliers - 500
            assert len(lines(d, "?kind=runqueue_latency")) == 500
            # Every drop event and every anomaly is still there, none evicted.
            got = lines(d, "?kind=socket_drop&socket=ev-feed")
            assert len(got) == drops == total(s, "jitterd_events_total", kind="socket_drop")
            assert all(e["reason"] == "rcvbuf_full" for e in got), got[:3]
            anomalies = lines(d, "?kind=anomaly")
            assert len(anomalies) >= 2, anomalies
            assert len(anomalies) == total(s, "jitterd_events_total", kind="anomaly")
            for kind in ("socket_drop", "anomaly"):
                assert total(s, "jitterd_events_evicted_total", kind=kind) == 0, kind
            # The annotation metric: the newest drop's time.
            newest = got[-1]["time"]
            last = total(s, "jitterd_event_last_timestamp_seconds", kind="socket_drop")
            assert abs(last - rfc3339_seconds(newest)) < 1e-6, (last, newest)
            assert d.stop() == 0
    finally:
        sink.close()


def rfc3339_seconds(t):
    """Unix seconds of "2026-12-07T01:23:36.123456789Z" (to the nanosecond, as a float)."""
    whole, frac = t.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1e9


def test_filters_and_since_return_exactly_the_matching_events():
    a, b = Sink(), Sink()
    try:
        with Daemon(config([("ev-a", a), ("ev-b", b)], log_size=100000,
                           threshold="10s")) as d:
            b0 = before(d, {"ev-a": a, "ev-b": b})
            a.burst(200)
            b.burst(200)
            everything = drop_events(d, b0)
            da = sum(e["socket"] == "ev-a" for e in everything)
            assert da and da < len(everything), everything
            assert [e["socket"] for e in lines(d, "?socket=ev-a")] == ["ev-a"] * da
            assert lines(d, "?socket=ev-b&kind=socket_drop") == \
                [e for e in everything if e["socket"] == "ev-b"]
            # since: from the middle event on, as nanoseconds and as RFC 3339.
            middle = everything[len(everything) // 2]
            later = [e for e in everything if e["time"] >= middle["time"]]
            ns = "%d%09d" % (int(rfc3339_seconds(middle["time"].split(".")[0] + ".0Z")),
                             int(middle["time"].rstrip("Z").split(".")[1]))
            assert lines(d, "?kind=socket_drop&since=" + ns) == later
            assert lines(d, "?kind=socket_drop&since=" + middle["time"]) == later
            assert lines(d, "?kind=socket_drop&limit=7") == everything[-7:]
            cpu = everything[0]["cpu"]
            assert lines(d, "?kind=socket_drop&cpu=%d" % cpu) == \
                [e for e in everything if e["cpu"] == cpu]
            assert lines(d, "?kind=anomaly") == []
            assert d.stop() == 0
    finally:
        a.close()
        b.close()


def test_a_bad_query_gets_a_400_with_the_reason():
    with Daemon(config([])) as d:
        for query, reason in [
            ("?kind=nosuch", 'kind: no kind "nosuch"'),
            ("?since=yesterday", "since: expected Unix nanoseconds or an RFC 3339 time"),
            ("?limit=0", "limit: expected a number from 1 to 1000000"),
            ("?bogus=1", 'unknown query argument "bogus"'),
            ("?follow=1&limit=5", "limit: not with follow"),
        ]:
            status, headers, body = d.get("/events" + query)
            assert status == 400, (query, status, body)
            assert body.startswith("400 ") and reason in body, (query, body)
            assert headers["Content-Type"].startswith("text/plain")
        assert d.get("/healthz")[0] == 200
        assert d.stop() == 0


@harness.host_only("reads docs/events.md, which the vmtest guests do not carry")
def test_every_kind_the_daemon_logs_is_in_the_docs_kinds_table():
    """The 400 for an unknown kind lists the build's kinds; docs/events.md's
    table has a row for each, and none for a kind the build lacks."""
    with Daemon(config([])) as d:
        status, _, body = d.get("/events?kind=nosuch")
        assert d.stop() == 0
    assert status == 400, body
    known = set(body.strip().split("(", 1)[1].rstrip(")").split(", "))
    with open(os.path.join(HERE, "..", "..", "docs", "events.md")) as f:
        text = f.read()
    table = text.split("## Kinds", 1)[1].split("\n## ", 1)[0]
    documented = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert known == documented, ("not documented: %s" % sorted(known - documented),
                                 "documented, not known: %s" % sorted(documented - known))


def follow(d, query, sse=True, rcvbuf=None):
    """A raw HTTP/1.0 follower (the body is the stream, no chunks)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", d.port))
    s.sendall(("GET /events?follow=1&%s HTTP/1.0\r\n%s\r\n" %
               (query, "Accept: text/event-stream\r\n" if sse else "")).encode())
    return s


def read_sse(s, want, timeout=20.0):
    """(id, event) pairs until want of them came; the headers checked."""
    buf, events = b"", []
    deadline = time.monotonic() + timeout
    s.settimeout(0.5)
    while len(events) < want:
        assert time.monotonic() < deadline, "only %d of %d events came" % (len(events), want)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        assert chunk, "the stream ended after %d events" % len(events)
        buf += chunk
        if not events and b"\r\n\r\n" in buf:
            head, buf = buf.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head
            assert b"text/event-stream" in head, head
            events.append(None)  # the headers' place
        while b"\n\n" in buf and events:
            block, buf = buf.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().split("\n"))
            events.append((int(fields["id"]), json.loads(fields["data"])))
    return events[1:] if events and events[0] is None else events


def test_a_follower_sees_every_event_of_its_kinds_in_order():
    sink = Sink()
    try:
        with Daemon(config([("ev-feed", sink)], log_size=100000)) as d, flood():
            f = follow(d, "kind=socket_drop")
            try:
                poll("the follower's stream", lambda: total(d.scrape(), "jitterd_http_streams"))
                b = before(d, {"ev-feed": sink})
                for _ in range(3):
                    sink.burst(100)
                    time.sleep(0.2)
                drops = len(drop_events(d, b))
                got = read_sse(f, drops)
                ids = [i for i, _ in got]
                assert ids == sorted(ids) and len(set(ids)) == len(ids), ids[:10]
                assert [e for _, e in got] == lines(d, "?kind=socket_drop"), "not the log's"
                # The flood's outliers were not sent: only its kind.
                assert all(e["type"] == "socket_drop" for _, e in got)
                assert total(d.scrape(), "jitterd_events_followers_cut_total") == 0
            finally:
                f.close()
            assert d.stop() == 0
    finally:
        sink.close()


def test_a_stalled_follower_is_cut_and_scrapes_still_answer():
    with Daemon(config([], log_size=200)) as d, flood():
        stalled = follow(d, "kind=runqueue_latency", sse=False, rcvbuf=4096)
        try:
            # It never reads: its socket fills, it falls behind the 200 kept.
            # Each scrape answering meanwhile is what shows the daemon is not
            # held up by it (no bound on the time: a loaded guest is slow).
            def cut():
                s = d.scrape()
                return (total(s, "jitterd_events_followers_cut_total") >= 1 and
                        total(s, "jitterd_http_connections_closed_total",
                              reason="stream_cut") >= 1)
            poll("the stalled follower cut", cut, timeout=120)
            # Its connection is closed: what it gets now ends.
            stalled.settimeout(30)
            deadline = time.monotonic() + 120
            while True:
                try:
                    if not stalled.recv(1 << 20):
                        break
                except (ConnectionResetError, BrokenPipeError):
                    break
                assert time.monotonic() < deadline, "the cut stream never ended"
            s = d.scrape()
            assert total(s, "jitterd_http_streams") == 0
            assert d.get("/healthz")[0] == 200
        finally:
            stalled.close()
        assert d.stop() == 0


# daemon/http/serve.c's limits: 512 connections, 8 per address; a quarter
# of the slots may stream (http.c's STREAMS_SHARE).
MAX_CONNECTIONS, PER_IP = 512, 8
MAX_STREAMS = MAX_CONNECTIONS // 4


def follow_from(d, address, query="kind=socket_drop"):
    """A follower from a source address of its own (the per-address limit is 8)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((address, 0))
    s.connect(("127.0.0.1", d.port))
    s.sendall(("GET /events?follow=1&%s HTTP/1.0\r\n\r\n" % query).encode())
    return s


def read_reply(s, timeout=20.0):
    """All a refused follower is sent: its connection closes after it."""
    s.settimeout(timeout)
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return got.decode("latin-1")
        got += chunk


def test_followers_beyond_a_quarter_of_the_slots_get_503_and_are_counted():
    """128 followers (512 slots / 4) from 16 addresses stream; the next ones
    get 503 too many followers, each counted once in
    jitterd_http_streams_refused_total; scrapes still answer meanwhile; when
    one follower leaves, its slot streams again."""
    addresses = ["127.0.1.%d" % i for i in range(1, 40)]
    followers, refused = [], 5
    sink = Sink()
    with Daemon(config([("ev-feed", sink)])) as d:
        try:
            for i in range(MAX_STREAMS):
                followers.append(follow_from(d, addresses[i // PER_IP]))
            poll("%d streams" % MAX_STREAMS,
                 lambda: total(d.scrape(), "jitterd_http_streams") == MAX_STREAMS)
            first_spare = MAX_STREAMS // PER_IP
            for i in range(refused):
                extra = follow_from(d, addresses[first_spare + i])
                try:
                    reply = read_reply(extra)
                finally:
                    extra.close()
                head, _, body = reply.partition("\r\n\r\n")
                assert head.split("\r\n")[0].split()[1] == "503", reply
                assert body == "503 too many followers (%d); try again later\n" % MAX_STREAMS, body
            s = d.scrape()
            assert total(s, "jitterd_http_streams") == MAX_STREAMS
            assert total(s, "jitterd_http_streams_refused_total") == refused
            assert d.get("/healthz")[0] == 200
            # one leaves: the daemon notices when it next writes to it (a drop
            # event of the kind it followed); then one more may stream
            followers.pop().close()

            def freed():
                sink.burst(50)
                return total(d.scrape(), "jitterd_http_streams") == MAX_STREAMS - 1
            poll("a stream slot freed", freed)
            followers.append(follow_from(d, addresses[first_spare + refused]))
            poll("the freed slot streaming again",
                 lambda: total(d.scrape(), "jitterd_http_streams") == MAX_STREAMS)
            assert total(d.scrape(), "jitterd_http_streams_refused_total") == refused
        finally:
            for f in followers:
                f.close()
            sink.close()
        assert d.stop() == 0


def test_the_file_sink_holds_the_events_of_its_kinds_field_by_field_across_rotations():
    sink = Sink()
    tmp = tempfile.TemporaryDirectory(prefix="jitterd-events-")
    os.chmod(tmp.name, 0o777)  # rotation happens after privileges are dropped
    path = os.path.join(tmp.name, "events.jsonl")
    extra = ("  file: %s\n  file_kinds: socket_drop\n  file_max_bytes: 8192\n"
             "  file_keep: 50\n" % path)
    try:
        with Daemon(config([("ev-feed", sink)], extra, log_size=100000)) as d, flood(20):
            b = before(d, {"ev-feed": sink})
            sink.burst(2000, groups=200)
            want = drop_events(d, b)
            drops = len(want)
            poll("the file sink's count",
                 lambda: total(d.scrape(), "jitterd_events_shipped_total", sink="file") == drops)
            s = d.scrape()
            assert total(s, "jitterd_events_ship_failures_total", sink="file") == 0
            rotations = total(s, "jitterd_events_file_rotations_total")
            assert rotations >= 3, "%d rotations" % rotations
            files = sorted((f for f in os.listdir(tmp.name) if f != "events.jsonl"),
                           key=lambda f: -int(f.rsplit(".", 1)[1])) + ["events.jsonl"]
            shipped = []
            for name in files:
                assert os.path.getsize(os.path.join(tmp.name, name)) <= 8192, name
                with open(os.path.join(tmp.name, name)) as f:
                    shipped += [json.loads(line) for line in f]
            assert len(shipped) == drops
            for got, exp in zip(shipped, want):
                assert got.keys() == exp.keys(), (got, exp)
                for k in exp:
                    assert got[k] == exp[k], (k, got, exp)
            assert d.stop() == 0
    finally:
        sink.close()
        tmp.cleanup()


def journal_fields(datagram):
    """One entry in the journal's native protocol: KEY=value lines, or KEY,
    a 64-bit little-endian length, the bytes and a newline (for values with
    newlines), as systemd-journald reads it."""
    fields, at = {}, 0
    while at < len(datagram):
        nl = datagram.index(b"\n", at)
        line = datagram[at:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            at = nl + 1
        else:
            key, size = line, int.from_bytes(datagram[nl + 1:nl + 9], "little")
            value = datagram[nl + 9:nl + 9 + size]
            assert datagram[nl + 9 + size:nl + 10 + size] == b"\n", datagram
            at = nl + 10 + size
        fields[key.decode()] = value.decode()
    return fields


def journal_accounted(d, n):
    """(shipped, failed) of the journal sink once they account for n events, else None."""
    s = d.scrape()
    shipped = total(s, "jitterd_events_shipped_total", sink="journal")
    failed = total(s, "jitterd_events_ship_failures_total", sink="journal")
    return (shipped, failed) if shipped + failed == n else None


def test_the_journal_sink_sends_a_field_per_member():
    """No systemd-journald runs here: the daemon runs in a mount namespace
    whose /run/systemd/journal/socket is this test's own datagram socket
    (/run/systemd made first: the vmtest guests have none),
    where the sink sends what journald would get. Left unread, that socket
    fills: the sink must count failures, never stop the daemon's loop."""
    import threading
    sink = Sink()
    tmp = tempfile.TemporaryDirectory(prefix="jitterd-journal-")
    os.makedirs(os.path.join(tmp.name, "journal"))
    for d in (tmp.name, os.path.join(tmp.name, "journal")):
        os.chmod(d, 0o755)
    path = os.path.join(tmp.name, "journal", "socket")
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(path)
    os.chmod(path, 0o666)  # the daemon sends as nobody once privileges are dropped
    journal.settimeout(0.2)
    received, reading = [], threading.Event()
    reading.set()

    def reader():  # journald's part: read as entries come, while asked to
        while reading.is_set():
            try:
                received.append(journal.recv(1 << 16))
            except socket.timeout:
                pass
    thread = threading.Thread(target=reader)
    thread.start()
    prefix = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
              'mkdir -p /run/systemd && mount --bind "$0" /run/systemd && exec "$@"', tmp.name)
    try:
        with Daemon(config([("ev-feed", sink)], "  journal_kinds: socket_drop\n",
                           log_size=100000, threshold="10s"), prefix=prefix) as d:
            b = before(d, {"ev-feed": sink})
            sink.burst(200)
            want = drop_events(d, b)
            # journald's queue is 10 entries (net.unix.max_dgram_qlen): on a
            # loaded machine this reader may fall behind, and what did not fit
            # is counted as failed. Every event is one or the other.
            shipped, _ = poll("every event shipped or counted as failed",
                              lambda: journal_accounted(d, len(want)))
            print("  %d drop events, %d in the journal" % (len(want), shipped))
            poll("every shipped entry read", lambda: len(received) >= shipped, timeout=10)
            got = [journal_fields(x) for x in received]
            assert len(got) == shipped >= len(want) // 2, (len(got), shipped, len(want))
            # In order, each one of the events, field by field.
            lines_of = [json.dumps(e, sort_keys=True) for e in want]
            at = [lines_of.index(json.dumps(json.loads(f["JITTERD_JSON"]), sort_keys=True))
                  for f in got]
            assert at == sorted(at), at
            for fields, event in zip(got, [want[i] for i in at]):
                assert json.loads(fields["JITTERD_JSON"]) == event
                assert json.loads(fields["MESSAGE"]) == event, fields["MESSAGE"]
                assert fields["PRIORITY"] == "5"
                assert fields["SYSLOG_IDENTIFIER"] == "jitterd"
                assert fields["JITTERD_KIND"] == "socket_drop"
                for key, value in event.items():
                    if key != "type":
                        assert fields["JITTERD_" + key.upper()] == str(value), (key, fields)
            # Nobody reads the journal now: its queue fills, the daemon goes on.
            reading.clear()
            thread.join()
            deadline = time.monotonic() + 30
            while True:
                sink.burst(200)
                t = time.monotonic()
                s = d.scrape()
                assert time.monotonic() - t < 5, "a scrape took %.1fs" % (time.monotonic() - t)
                if total(s, "jitterd_events_ship_failures_total", sink="journal"):
                    break
                assert time.monotonic() < deadline, "the journal's queue never filled"
            assert d.get("/healthz")[0] == 200
            assert d.stop() == 0
    finally:
        reading.clear()
        thread.join()
        journal.close()
        sink.close()
        tmp.cleanup()


JOURNALD = "/lib/systemd/systemd-journald"


@harness.host_only("the guests have no systemd-journald; the socket test above runs there")
def test_the_journal_sink_under_a_real_journald_reads_back_with_journalctl():
    """Debian's systemd-journald, run as a plain process (no systemd as PID
    1 here) in the daemon's mount namespace: /run/systemd (its sockets) and
    /run/log (its volatile journal) are this test's directories, and a
    journald.conf of the test's keeps it volatile (the host's
    /var/log/journal untouched) and without rate limits. jitterd sends it
    entries; journalctl, systemd's own reader, reads them back field by
    field from the files journald wrote."""
    sink = Sink()
    tmp = tempfile.TemporaryDirectory(prefix="jitterd-journald-")
    run_systemd, run_log = os.path.join(tmp.name, "systemd"), os.path.join(tmp.name, "log")
    for d in (tmp.name, run_systemd, run_log):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
    conf = os.path.join(tmp.name, "journald.conf")
    with open(conf, "w") as f:
        f.write("[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nRuntimeMaxUse=64M\n")
    pidfile = os.path.join(tmp.name, "journald.pid")
    script = ('mkdir -p /run/systemd /run/log && mount --bind "$0" /run/systemd && mount --bind "$1" /run/log && '
              'mount --bind "$2" /etc/systemd/journald.conf && { %s & echo $! > "$3"; } && '
              'for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done && '
              'shift 4 && exec "$@"' % JOURNALD)
    prefix = ("unshare", "--mount", "--propagation", "private", "sh", "-c", script,
              run_systemd, run_log, conf, pidfile, "--")
    try:
        with Daemon(config([("ev-feed", sink)], "  journal_kinds: socket_drop\n",
                           log_size=100000, threshold="10s"), prefix=prefix) as d:
            b = before(d, {"ev-feed": sink})
            sink.burst(200)
            want = drop_events(d, b)
            shipped, failed = poll("every event shipped or counted as failed",
                                   lambda: journal_accounted(d, len(want)))
            assert d.stop() == 0

        def journal():
            r = subprocess.run(["journalctl", "--directory", os.path.join(run_log, "journal"), "-o", "json",
                                "--no-pager", "JITTERD_KIND=socket_drop"], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            entries = [json.loads(line) for line in r.stdout.splitlines()]
            return entries if len(entries) >= shipped else None
        got = poll("every shipped entry in the journal", journal, timeout=20)
        print("  %d drop events: %d in journald's files, %d refused" % (len(want), len(got), failed))
        # journald drains its socket as fast as this burst comes: refusals are rare; most arrive.
        assert len(got) == shipped >= len(want) // 2, (len(got), shipped, len(want))
        lines_of = [json.dumps(e, sort_keys=True) for e in want]
        at = [lines_of.index(json.dumps(json.loads(e["JITTERD_JSON"]), sort_keys=True)) for e in got]
        assert at == sorted(at), at
        for entry, event in zip(got, [want[i] for i in at]):
            assert json.loads(entry["MESSAGE"]) == event, entry["MESSAGE"]
            assert (entry["PRIORITY"], entry["SYSLOG_IDENTIFIER"], entry["_TRANSPORT"]) == ("5", "jitterd", "journal")
            for key, value in event.items():
                if key != "type":
                    assert entry["JITTERD_" + key.upper()] == str(value), (key, entry)
    finally:
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read())
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sink.close()
        tmp.cleanup()
