"""The daemon's contract: command line, bad input, shutdown, privilege."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness
from harness import Daemon, JITTERD, ROOT, raw_http

# These tests check the daemon's contract, not any probe's numbers (see conftest.py).
PROBES = ()

BAD_CONFIGS = [
    # (yaml, line, col, words the message must contain)
    ("listen: \":19435\"\nbogus: 1\n", 2, 1, "unknown key"),
    ("collectors:\n  sched: { enabled: maybe }\n", 2, 21, "true or false"),
    ("events:\n  runqueue_latency_threshold: 100\n", 2, 31, "unit"),
    ("daemon:\n  cpus: \"3-1\"\n", 2, 9, "cpu"),
    ("listen: \":1\"\nlisten: \":2\"\n", 2, 1, "duplicate"),
    ("collectors: [1, 2]\n", 1, 13, "mapping"),
    ("listen: [\n", 2, 1, ""),  # YAML syntax error
]


def run(args, **kw):
    return subprocess.run([JITTERD, *args], capture_output=True, text=True, timeout=30, **kw)


def test_check_config_accepts_the_shipped_config():
    r = run(["--config", os.path.join(ROOT, "config", "jitterd.yaml"), "--check-config"])
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stdout, r.stderr)


def test_each_bad_config_exits_2_with_file_line_col():
    with tempfile.TemporaryDirectory() as tmp:
        for text, line, col, words in BAD_CONFIGS:
            path = os.path.join(tmp, "bad.yaml")
            with open(path, "w") as f:
                f.write(text)
            r = run(["--config", path, "--check-config"])
            assert r.returncode == 2, (text, r.returncode, r.stderr)
            first = r.stderr.splitlines()[0] if r.stderr else ""
            want = "%s:%d:%d: " % (path, line, col)
            assert first.startswith(want), "config %r: expected %r..., got %r" % (text, want, first)
            assert words.lower() in first.lower(), (text, first)
            # A bad config is rejected before any BPF is loaded.
            assert "attached" not in r.stderr


def test_missing_config_file_exits_2():
    r = run(["--config", "/nonexistent/jitterd.yaml"])
    assert r.returncode == 2 and "/nonexistent/jitterd.yaml" in r.stderr, r


def test_bad_usage_exits_2():
    assert run(["--no-such-flag"]).returncode == 2
    assert run(["--listen", "nonsense"]).returncode == 2
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("jitterd "), r


def test_unprivileged_run_exits_1_naming_what_is_missing():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all", JITTERD, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "root" in r.stderr and "CAP_BPF" in r.stderr, r.stderr


def test_http_pages_and_content_type():
    with Daemon() as d:
        status, headers, body = d.get("/metrics")
        assert status == 200
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", headers
        assert "jitterd_build_info{" in body
        status, _, body = d.get("/")
        assert status == 200 and 'href="/metrics"' in body
        status, _, body = d.get("/healthz")
        assert status == 200 and body == "ok\n"
        status, headers, body = d.get("/metrics", method="HEAD")
        assert status == 200 and body == "" and int(headers["Content-Length"]) > 0
        assert d.stop() == 0


def test_bad_http_requests_get_4xx_and_the_daemon_keeps_serving():
    with Daemon() as d:
        assert d.get("/nope")[0] == 404
        assert d.get("/metrics", method="POST")[0] == 405
        assert d.get("/metrics", method="DELETE")[0] == 405
        cases = [
            b"GARBAGE\r\n\r\n",
            b"\x00\x01\x02 not http at all\r\n\r\n",
            b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100000 + b"\r\n\r\n",
            b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"z" * 5000,
        ]
        for data in cases:
            line = raw_http(d.port, data)
            # Either a 4xx status or the server closing on garbage; never 2xx/5xx.
            assert line == "" or re.match(r"HTTP/1\.[01] 4\d\d ", line), (data[:40], line)
            assert d.get("/healthz")[0] == 200, "not serving after %r" % data[:40]
        assert d.proc.poll() is None
        assert d.stop() == 0


def daemon_prog_ids(pid):
    """IDs of the BPF programs a process holds, from its fds' fdinfo."""
    ids = set()
    fd_dir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fd_dir):
        try:
            with open(os.path.join(fd_dir, fd)) as f:
                m = re.search(r"^prog_id:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    return ids


def prog_exists(prog_id):
    return subprocess.run(["bpftool", "prog", "show", "id", str(prog_id)],
                          capture_output=True).returncode == 0


def test_sigterm_exits_0_and_detaches_every_program():
    with Daemon() as d:
        d.scrape()
        ids = daemon_prog_ids(d.proc.pid)
        assert ids and all(prog_exists(i) for i in ids), "no program loaded while running"
        assert d.stop() == 0, d.output()
        # The kernel frees a program after an RCU grace period, not at close().
        deadline = time.monotonic() + 5
        while any(prog_exists(i) for i in ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [i for i in ids if prog_exists(i)]
        assert not left, "programs %s still loaded 5 s after SIGTERM" % left
        # The port is released.
        try:
            raw_http(d.port, b"GET / HTTP/1.0\r\n\r\n", read_timeout=1)
            raise AssertionError("port %d still accepts connections" % d.port)
        except ConnectionRefusedError:
            pass


def test_sigint_exits_0():
    import signal
    with Daemon() as d:
        assert d.stop(signal.SIGINT) == 0


def test_drops_root_after_attaching_and_keeps_serving():
    with Daemon() as d:
        # Kernel 6.x lets a process read the BPF maps it holds without
        # CAP_BPF, so jitterd runs as nobody after attaching. It drops root
        # just after it says it is serving: give it a moment.
        deadline = time.monotonic() + 5
        while True:
            with open("/proc/%d/status" % d.proc.pid) as f:
                uid = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
            if uid == "65534" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert uid == "65534", "still uid %s:\n%s" % (uid, d.output())
        before = harness.total(d.scrape(), "jitterd_context_switches_total")
        harness.pipe_pingpong(harness.load(2000))
        s = d.scrape()
        assert harness.total(s, "jitterd_context_switches_total") > before
        assert harness.total(s, "process_open_fds") > 0
        assert d.stop() == 0


def test_daemon_cpus_pins_the_daemon():
    with Daemon(config="daemon:\n  cpus: \"1\"\n") as d:
        with open("/proc/%d/status" % d.proc.pid) as f:
            allowed = re.search(r"^Cpus_allowed_list:\s+(\S+)", f.read(), re.M).group(1)
        assert allowed == "1", allowed
        d.stop()


@harness.host_only("needs make, the sources and systemd-analyze")
def test_systemd_unit_verifies_once_installed():
    with tempfile.TemporaryDirectory() as root:
        subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + root],
                       check=True, capture_output=True)
        # verify resolves the unit's dependencies and Exec*= inside --root
        # (ExecReload= runs /bin/kill: the host's, in a merged-/usr tree).
        shutil.copytree("/usr/lib/systemd", os.path.join(root, "usr/lib/systemd"), symlinks=True)
        os.makedirs(os.path.join(root, "usr/bin"), exist_ok=True)
        shutil.copy2(os.path.realpath("/bin/kill"), os.path.join(root, "usr/bin/kill"))
        os.symlink("usr/bin", os.path.join(root, "bin"))
        r = subprocess.run(["systemd-analyze", "verify", "--root=" + root, "jitterd.service"],
                           capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), r.stderr
        # Everything the unit names is installed: its binary, config and docs.
        with open(os.path.join(root, "etc/systemd/system/jitterd.service")) as f:
            unit = f.read()
        named = re.findall(r"(?:file://|--config |^ExecStart=)(/\S+)", unit, re.M)
        assert len(set(named)) >= 3, named
        for path in named:
            assert os.path.isfile(os.path.join(root, path.lstrip("/"))), path
