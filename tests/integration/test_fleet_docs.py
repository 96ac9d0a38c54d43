"""docs/fleet.md's configuration blocks, as a user pastes them, run against
real processes: a jitterd with the guide's web config (TLS, basic auth), an
edge Prometheus whose prometheus.yml is the guide's edge blocks (rules,
scrape over TLS, remote write), a global Prometheus federating from it with
the guide's federation block and fleet alert rules, and a Prometheus that
receives the remote write, started with the guide's flags; and the guide's rsyslog recipe, run by Debian's rsyslogd,
shipping jitterd's events file to a syslog receiver of the test's.

Each block is found by the `<!-- fleet-test: NAME -->` line above it; only
the placeholders the guide names are replaced (host names and ports, paths
under /etc, intervals), and each must be there to be replaced.
"""
import json
import os
import re
import socket
import subprocess
import tempfile
import threading

import harness
from harness import Daemon, Prometheus, host_only, make_cert, total
import test_events

PROBES = ()
DOC = os.path.join(harness.ROOT, "docs", "fleet.md")
BLOCKS = ("jitterd-web-config", "edge-global", "scrape-tls", "remote-write", "receiver", "federation",
          "fleet-alerts", "rsyslog-events")
# The password whose bcrypt hash the guide's web config holds (the guide says so).
PASSWORD = "change-me"
# What the guide says the central store gets: the recordings, up, three
# info-like series and the alerts, nothing else.
RECORDED = r"instance(_[a-z_]+)?:jitterd_.*"
SHIPPED = RECORDED + "|up|jitterd_build_info|jitterd_probe_attached|jitterd_cpu_group_info|ALERTS"
TIMEOUT = 120  # each wait; a busy 2-core host starts three Prometheus servers


def blocks():
    """{name: text} of the marked fenced blocks of docs/fleet.md."""
    with open(DOC) as f:
        doc = f.read()
    found = re.findall(r"^<!-- fleet-test: ([\w-]+) -->\n```\w*\n(.*?)^```$", doc, re.M | re.S)
    names = [n for n, _ in found]
    assert sorted(names) == sorted(BLOCKS), "docs/fleet.md's marked blocks: %s" % names
    return dict(found)


def fill(text, subs):
    """text with each placeholder replaced; a placeholder missing from the
    block is the guide drifting from this test, and fails it."""
    for placeholder, value in subs.items():
        assert placeholder in text, "%r not in the block:\n%s" % (placeholder, text)
        text = text.replace(placeholder, value)
    return text


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def names(prom, selector):
    return {s["metric"]["__name__"] for s in prom.query("count by (__name__) (%s)" % selector)}


@host_only("needs Debian's prometheus, openssl and root for jitterd")
def test_the_fleet_guide_scrapes_federates_and_remote_writes():
    b = blocks()
    with tempfile.TemporaryDirectory(prefix="jitterd-fleet-") as tmp:
        cert, key = make_cert(tmp, "jitterd", "localhost")
        web = write(tmp, "web.yml", fill(b["jitterd-web-config"], {
            "/etc/jitterd/jitterd.crt": cert, "/etc/jitterd/jitterd.key": key}))
        password = write(tmp, "jitterd.password", PASSWORD)
        fleet_rules = write(tmp, "jitterd-fleet.yml", b["fleet-alerts"])
        flags = [a for a in b["receiver"].split() if a.startswith("--") and not a.startswith("--config.file")]
        assert flags, b["receiver"]

        with Daemon(args=["--web-config", web]) as d, Prometheus(config="", args=flags) as receiver:
            edge_config = (
                fill(b["edge-global"], {"scrape_interval: 15s": "scrape_interval: 1s",
                                        "evaluation_interval: 15s": "evaluation_interval: 1s",
                                        "/etc/prometheus/jitterd-rules.yml": harness.RULES}) +
                fill(b["scrape-tls"], {"/etc/prometheus/jitterd-ca.crt": cert,
                                       "/etc/prometheus/jitterd.password": password,
                                       "host1.example:19435": "127.0.0.1:%d" % d.port}) +
                fill(b["remote-write"], {"https://prometheus-central.example": "http://" + receiver.address}))
            with Prometheus(config=edge_config) as edge, Prometheus(config=(
                    fill(b["federation"], {"scrape_interval: 30s": "scrape_interval: 1s",
                                           "prometheus-ny4:9090": edge.address}) +
                    "global: {evaluation_interval: 1s}\nrule_files: [%s]\n" % json.dumps(fleet_rules))) as central:
                # The edge scrapes jitterd over TLS with the password, and records.
                edge.wait("up == 1 at the edge",
                          lambda: [s for s in edge.query('up{job="jitterd"}') if s["value"][1] == "1"],
                          timeout=TIMEOUT)
                assert edge.query("jitterd_build_info"), "a jitterd series at the edge"
                edge.wait("the recordings at the edge",
                          lambda: names(edge, '{__name__=~"%s"}' % RECORDED) >=
                          {"instance:jitterd_process_cpu_seconds:rate1m",
                           "instance_cpu_group:jitterd_runqueue_latency_seconds_bucket:rate1m"},
                          timeout=TIMEOUT)

                # Every recording the edge has reaches the global Prometheus
                # and the receiver, with the edge's job and site; up and the
                # info-like series too; no raw series.
                for prom, how in ((central, "federation"), (receiver, "remote write")):
                    prom.wait("every recording of the edge through %s" % how,
                              lambda: names(prom, '{site="ny4", job="jitterd", __name__=~"%s"}' % RECORDED) >=
                              names(edge, '{__name__=~"%s"}' % RECORDED),
                              timeout=TIMEOUT)
                    prom.wait("up == 1 and jitterd_build_info through %s" % how,
                              lambda: [s for s in prom.query('up{site="ny4", job="jitterd"}') if s["value"][1] == "1"]
                              and prom.query('jitterd_build_info{site="ny4", job="jitterd"}'),
                              timeout=TIMEOUT)
                    others = names(prom, '{site="ny4", __name__!~"%s"}' % SHIPPED)
                    assert not others, "%s shipped more than the guide says: %s" % (how, sorted(others))
                assert names(receiver, '{__name__=~".+"}') <= names(receiver, '{site="ny4"}'), \
                    "everything the receiver has came from the edge"

                # The guide's fleet-wide alert loads and evaluates at the global level.
                def fleet_alert():
                    rules = [r for g in central.api("rules")["groups"] if g["name"] == "jitterd-fleet"
                             for r in g["rules"]]
                    assert [r["name"] for r in rules] == ["JitterdRunqueueLatencyHighFleet"], rules
                    return rules[0]["health"] != "unknown" and rules[0]
                rule = central.wait("the fleet alert evaluated", fleet_alert, timeout=TIMEOUT)
                assert rule["health"] == "ok", rule
            assert d.stop() == 0, d.output()


class SyslogReceiver:
    """A TCP syslog receiver on 127.0.0.1 (RFC 6587 octet-counted frames), as
    a fleet's Promtail, Vector or central rsyslog would be: the messages it
    got, in order."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen()
        self.port = self.srv.getsockname()[1]
        self.messages = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(c,), daemon=True).start()

    def _read(self, c):
        data = b""
        with c:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b" " in data:
                    length, rest = data.split(b" ", 1)
                    if len(rest) < int(length):
                        break
                    with self.lock:
                        self.messages.append(rest[:int(length)].decode())
                    data = rest[int(length):]

    def got(self):
        with self.lock:
            return list(self.messages)

    def close(self):
        self.srv.close()


RFC5424 = re.compile(r"<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*?)\n?", re.S)


@host_only("needs Debian's rsyslog and root for jitterd")
def test_the_fleet_guides_rsyslog_recipe_ships_every_event_across_rotations():
    recipe = blocks()["rsyslog-events"]
    sink = test_events.Sink()
    receiver = SyslogReceiver()
    tmp = tempfile.TemporaryDirectory(prefix="jitterd-rsyslog-")
    os.chmod(tmp.name, 0o777)  # jitterd rotates the file after it dropped privileges
    path = os.path.join(tmp.name, "events.jsonl")
    os.mkdir(os.path.join(tmp.name, "work"))
    conf = write(tmp.name, "rsyslog-jitterd.conf", fill(recipe, {
        "/var/log/jitterd/events.jsonl": path, '"logs.example"': '"127.0.0.1"',
        'port="6514"': 'port="%d"' % receiver.port}))
    # What Debian's rsyslog.conf gives the drop-in: a work directory (imfile's
    # state, the queue's files). Nothing else: no other input or output.
    main = write(tmp.name, "rsyslog.conf", 'global(workDirectory="%s")\ninclude(file="%s")\n'
                 % (os.path.join(tmp.name, "work"), conf))
    check = subprocess.run(["rsyslogd", "-N1", "-f", main], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    rsyslogd = subprocess.Popen(["rsyslogd", "-n", "-f", main, "-i", os.path.join(tmp.name, "pid")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    extra = "  file: %s\n  file_kinds: socket_drop\n  file_max_bytes: 8192\n  file_keep: 50\n" % path
    try:
        with Daemon(test_events.config([("ev-feed", sink)], extra, log_size=100000)) as d:
            b = test_events.before(d, {"ev-feed": sink})
            sink.burst(2000, groups=200)
            want = test_events.drop_events(d, b)
            _, _, body = d.get("/events?kind=socket_drop")
            lines = body.splitlines()
            test_events.poll("the file sink's count", lambda: total(
                d.scrape(), "jitterd_events_shipped_total", sink="file") == len(want))
            rotations = total(d.scrape(), "jitterd_events_file_rotations_total")
            assert rotations >= 3, "%d rotations" % rotations
            assert d.stop() == 0, d.output()
        test_events.poll("every event at the receiver", lambda: len(receiver.got()) >= len(want), timeout=60)
        got = receiver.got()
        assert len(got) == len(want), (len(got), len(want))
        for message, event in zip(got, want):
            m = RFC5424.fullmatch(message)
            assert m, message
            pri, _, _, app, _, msgid, sd, line = m.groups()
            assert (pri, app, msgid, sd) == ("189", "jitterd", "socket_drop", "-"), message
            assert json.loads(line) == event and line == lines.pop(0), (line, event)
        print("%d events, %d rotations, each at the receiver once and in order" % (len(want), rotations))
        assert rsyslogd.poll() is None, rsyslogd.communicate()[0]
    finally:
        if rsyslogd.poll() is None:
            rsyslogd.terminate()
        print("rsyslogd:", rsyslogd.communicate(timeout=20)[0])
        receiver.close()
        sink.close()
        tmp.cleanup()
