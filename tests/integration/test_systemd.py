"""jitterd under systemd: the notify protocol (READY, STATUS, WATCHDOG,
RELOADING, STOPPING) on a socket of the test's own, the unit's exposure
score, and that the capabilities the unit grants are the ones jitterd
needs: enough, and none to spare."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import harness
from harness import Daemon, ROOT, total

# These tests check the daemon's contract, not any probe's numbers (see conftest.py).
PROBES = ()

UNIT = os.path.join(ROOT, "systemd", "jitterd.service")
MAX_EXPOSURE = 2.5


class NotifySocket:
    """An AF_UNIX datagram socket that collects what sd_notify() sends,
    in a directory the daemon can still reach after it drops root."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="jitterd-notify-")
        os.chmod(self.tmp.name, 0o755)
        self.path = os.path.join(self.tmp.name, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.messages = []  # (monotonic time, {key: value})

    def wait_for(self, key, value=None, timeout=20.0, after=0.0):
        """The first message since `after` that sets key (to value)."""
        deadline = time.monotonic() + timeout
        while True:
            for t, m in self.messages:
                if t >= after and key in m and (value is None or m[key] == value):
                    return t, m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s=%s within %.0f s; got %s" % (key, value, timeout, self.messages))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append((time.monotonic(), fields))

    def close(self):
        self.sock.close()
        self.tmp.cleanup()


@harness.host_only("the same on every kernel (libsystemd's protocol): no need to repeat it in each vmtest guest")
def test_notify_ready_watchdog_reload_and_stopping():
    """READY=1 with a STATUS naming the probes once it serves; WATCHDOG=1
    at half of WATCHDOG_USEC; RELOADING=1 then READY=1 around a SIGHUP;
    STOPPING=1 on SIGTERM. WATCHDOG_PID is jitterd's own pid (sh execs it)."""
    n = NotifySocket()
    watchdog_usec = 1000000
    env = {"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": str(watchdog_usec)}
    prefix = ["sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh"]
    try:
        with Daemon(config="", env=env, prefix=prefix) as d:
            t_ready, ready = n.wait_for("READY", "1")
            m = re.match(r"(\d+) probes attached, (\d+) failed; serving /metrics on port %d$" % d.port,
                         ready.get("STATUS", ""))
            assert m, ready
            probes = harness.select(d.scrape(), "jitterd_probe_attached")
            assert (int(m.group(1)), int(m.group(2))) == \
                (sum(v == 1 for v in probes.values()), sum(v == 0 for v in probes.values())), (ready, probes)
            # Pings every 0.5 s: three within 2.5 s of being ready (the
            # interval, with slack for a busy machine).
            t1, _ = n.wait_for("WATCHDOG", "1", timeout=2.5, after=t_ready)
            t2, _ = n.wait_for("WATCHDOG", "1", timeout=2.5, after=t1 + 0.001)
            t3, _ = n.wait_for("WATCHDOG", "1", timeout=2.5, after=t2 + 0.001)
            assert t3 - t_ready < watchdog_usec / 1e6 * 2.5, (t_ready, t1, t2, t3)
            assert "watchdog: WATCHDOG=1 every 500 ms" in d.output()
            t_hup = time.monotonic()
            d.reload("")
            t_rel, rel = n.wait_for("RELOADING", "1", after=t_hup)
            assert "MONOTONIC_USEC" in rel, rel
            _, again = n.wait_for("READY", "1", after=t_rel)
            assert again.get("STATUS", "").endswith("; config reloaded"), again
            t_term = time.monotonic()
            assert d.stop() == 0
            n.wait_for("STOPPING", "1", timeout=1, after=t_term)
    finally:
        n.close()


@harness.host_only("needs the sources and systemd-analyze")
def test_unit_exposure_score_stays_low():
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", UNIT],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for jitterd\.service: (\d+\.\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    print("  exposure %s" % m.group(1))
    assert float(m.group(1)) <= MAX_EXPOSURE, r.stdout


def unit_capabilities():
    """The capabilities the unit grants (AmbientCapabilities=), which must
    equal its bounding set."""
    with open(UNIT) as f:
        text = f.read()
    ambient = re.search(r"^AmbientCapabilities=(.*)$", text, re.M).group(1).split()
    bounding = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1).split()
    assert sorted(ambient) == sorted(bounding), (ambient, bounding)
    assert re.search(r"^DynamicUser=yes$", text, re.M)
    return ambient


def as_unit_user(caps):
    """setpriv: what DynamicUser= with these capabilities makes of jitterd."""
    names = ",".join("+" + c.lower().replace("cap_", "") for c in caps)
    sets = "-all" + ("," + names if names else "")
    return ["setpriv", "--reuid=61934", "--regid=61934", "--clear-groups",
            "--inh-caps=" + sets, "--ambient-caps=" + sets, "--bounding-set=" + sets,
            "--no-new-privs"]


def cap_eff(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^CapEff:\s+(\S+)", f.read(), re.M).group(1), 16)


@harness.host_only("needs the sources and setpriv")
def test_the_units_capabilities_are_enough():
    """A user that is not root, with exactly the unit's capabilities, starts
    every collector with every probe attached, then drops them all and
    still serves and reloads."""
    caps = unit_capabilities()
    config = "workloads:\n  - { name: w, comm: \"jdnothing*\" }\n" \
             "collectors:\n  sockets:\n    classes:\n" \
             "      - { name: md-feed, protocol: udp, local_ports: [30001] }\n"
    with Daemon(config=config, prefix=as_unit_user(caps)) as d:
        deadline = time.monotonic() + 5
        while "dropped privileges" not in d.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "dropped privileges: running as uid 61934 without capabilities" in d.output(), d.output()
        assert cap_eff(d.proc.pid) == 0
        s = d.scrape()
        probes = harness.select(s, "jitterd_probe_attached")
        assert probes and all(v == 1 for v in probes.values()), probes
        assert {dict(k[1])["probe"] for k in probes} >= {"sched_switch", "softirq_entry", "kfree_skb"}
        assert total(s, "process_open_fds") > 0  # /proc/self still its own
        assert "applied" in d.reload(config.replace("30001", "30002"))
        assert d.stop() == 0


@harness.host_only("needs the sources and setpriv")
def test_each_of_the_units_capabilities_is_needed():
    """Without any one of them, jitterd cannot do its job: it exits 1
    naming what it lacks, or serves with no probe attached."""
    caps = unit_capabilities()
    for missing in caps:
        rest = [c for c in caps if c != missing]
        try:
            with Daemon(config="", prefix=as_unit_user(rest)) as d:
                attached = harness.select(d.scrape(), "jitterd_probe_attached")
                assert attached and not any(attached.values()), (missing, attached)
                assert "nothing attaches" in d.output(), (missing, d.output())
                d.stop()
        except AssertionError as e:
            if "jitterd exited with 1" not in str(e):
                raise
            assert "CAP_BPF" in str(e), (missing, str(e))
