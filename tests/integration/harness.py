"""A small test harness for jitterd's integration tests (stdlib only).

Tests are functions named test_* in tests/integration/test_*.py, run by
pytest (conftest.py gives Skip, NotApplicable and host_only their meaning).
Each gets no arguments and uses the helpers here: start the real daemon, scrape it,
read the kernel's own counters. Under CI=true a test that wants to skip
fails instead: these machines have root and BPF.

A test module lists in PROBES the probes whose numbers its tests check:
conftest.py prints the attach type each of them used on every test line, and
scripts/vmtest.sh counts those toward its fallback coverage (without PROBES,
every probe of the test's daemons counts).

The same tests run inside other kernels under qemu (scripts/vmtest.sh, with
pytest --vm): there, tests marked @host_only are left out, and load sizes
are scaled by JITTERD_LOAD_SCALE (the tolerances are not).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JITTERD = os.environ.get("JITTERD") or os.path.join(ROOT, "build", "jitterd")
LOAD_SCALE = float(os.environ.get("JITTERD_LOAD_SCALE") or 1)
RULES = os.path.join(ROOT, "config", "prometheus", "jitterd-rules.yml")
# The daemon under test is built with ASan and UBSan (make SANITIZE=1):
# several times slower, and its memory is held in ASan's quarantine.
SANITIZED = os.environ.get("JITTERD_SANITIZED") == "1"


class Skip(Exception):
    pass


class NotApplicable(Exception):
    """This kernel cannot do what the test is about (not a skip: vmtest
    runs it on kernels that can, and checks that some kernel did)."""


def skip(why):
    raise Skip(why)


def host_only(why):
    """Decorator: the test needs something only the host has (a tool, a
    service manager); pytest --vm leaves it out (conftest.py)."""
    def mark(fn):
        fn.host_only = why
        return fn
    return mark


def load(n):
    """A load size n, scaled down in slow VMs (JITTERD_LOAD_SCALE)."""
    return max(1, int(n * LOAD_SCALE))


# (probe, attach) pairs the daemons of the running test used, in order;
# conftest.py prints them on the test's PASS/FAIL line and clears them.
attached = []
_SANITIZER = re.compile(r"ERROR: (?:Address|Leak|Undefined)Sanitizer|^\S+:\d+:\d+: runtime error:", re.M)
_ATTACHED = re.compile(r"probe (\S+): (?:attached \((\S+)\)|(nothing attaches))")


_probes_seen = {}


def probes(env=None, config=None):
    """`jitterd --probes` as {probe: {collector, attach, works: [...], why}}.
    A collector that the config leaves off (sockets without classes) lists
    no probes: pass a config that enables it. The kernel does not change
    during a run: each (env, config) is asked once (it takes seconds in a VM)."""
    key = (tuple(sorted((env or {}).items())), config)
    if key not in _probes_seen:
        _probes_seen[key] = _run_probes(env, config)
    return _probes_seen[key]


def _run_probes(env, config):
    with tempfile.TemporaryDirectory(prefix="jitterd-it-") as tmp:
        args = [JITTERD, "--probes"]
        if config is not None:
            path = os.path.join(tmp, "jitterd.yaml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120,
                           env={**os.environ, **(env or {})})
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("kernel ") and lines[1].split()[:3] == ["COLLECTOR", "PROBE", "ATTACH"], r.stdout
    out = {}
    for line in lines[2:]:
        collector, probe, attach, works, why = line.split(None, 4)
        if probe == "-":
            continue
        out[probe] = {"collector": collector, "attach": attach,
                      "works": [] if works == "-" else works.split(","),
                      "why": "" if why == "-" else why}
    return out


def need_attach(probe, attach, config=None):
    """NotApplicable unless this kernel takes `attach` for `probe`."""
    p = probes(config=config).get(probe)
    assert p is not None, "jitterd has no probe %r with this config" % probe
    if attach not in p["works"]:
        raise NotApplicable("%s: %s does not work on this kernel (%s)" % (probe, attach, p["why"] or "no such variant"))


def sched_info_path_expected():
    """Whether this kernel has what the sched collector's sched_info variant
    reads: per-task sched_info (CONFIG_SCHED_INFO: /proc/PID/schedstat exists
    only with it) and a task's run queue through its group
    (CONFIG_FAIR_GROUP_SCHED: the "cpu" cgroup controller; Debian's kernels
    have both or neither). Asked of the kernel, not of jitterd."""
    with open("/proc/cgroups") as f:
        cpu_controller = any(line.split()[0] == "cpu" for line in f if not line.startswith("#"))
    return os.path.exists("/proc/self/schedstat") and cpu_controller


class Daemon:
    """The real jitterd on a loopback port chosen by the kernel.
    listen=None leaves the address to the config; prefix runs jitterd
    through a wrapper (setpriv, sh); config_path is where its config is
    (rewrite it and reload())."""

    def __init__(self, config=None, env=None, args=(), listen="127.0.0.1:0", prefix=()):
        self.tmp = tempfile.TemporaryDirectory(prefix="jitterd-it-")
        # jitterd re-reads its config on SIGHUP as nobody, as it would
        # /etc/jitterd/jitterd.yaml (0644 in a 0755 directory).
        os.chmod(self.tmp.name, 0o755)
        cmd = [*prefix, JITTERD, *(["--listen", listen] if listen else []), *args]
        self.config_path = os.path.join(self.tmp.name, "jitterd.yaml")
        if config is not None:
            with open(self.config_path, "w") as f:
                f.write(config)
            cmd += ["--config", self.config_path]
        self.log_path = os.path.join(self.tmp.name, "jitterd.log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout=60.0):
        # 60 s as SCRAPE_TIMEOUT: in the 6.12-isolated TCG guest (one
        # housekeeping CPU) a daemon with the noise collector took over 20.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"serving https?://\S+:(\d+)/metrics", self.output())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise AssertionError("jitterd exited with %s:\n%s" % (self.proc.returncode, self.output()))
            time.sleep(0.05)
        raise AssertionError("jitterd did not start listening:\n" + self.output())

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def reload(self, config, timeout=20.0):
        """Write config, SIGHUP, and wait until the daemon has read it
        (its log says applied, not valid or needs a restart); the new log
        lines."""
        done = re.compile(r"reload: (.* applied|.* is not valid|needs a restart|.*stays in force)")
        seen = len(self.output())
        with open(self.config_path, "w") as f:
            f.write(config)
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.output()[seen:]
            if done.search(new):
                return new
            assert self.proc.poll() is None, "jitterd exited on SIGHUP:\n" + self.output()
            time.sleep(0.05)
        raise AssertionError("jitterd did not finish the reload:\n" + self.output())

    def url(self, path="/metrics"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path="/metrics", method="GET"):
        req = urllib.request.Request(self.url(path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=SCRAPE_TIMEOUT) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def scrape(self):
        status, _, body = self.get("/metrics")
        assert status == 200, "scrape status %d" % status
        return parse_metrics(body)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("jitterd did not stop within %ds" % timeout)
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()
        out = self.output()
        for m in _ATTACHED.finditer(out):
            attached.append((m.group(1), m.group(2) or "none"))
        self.tmp.cleanup()
        # Under `make SANITIZE=1 integration` the daemon is built with ASan
        # and UBSan: any report it printed fails the test that ran it.
        report = _SANITIZER.search(out)
        if report:
            raise AssertionError("sanitizer report from jitterd:\n" + out[report.start():][:4000])


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 that nothing holds now (TCP by default)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} for every sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, "unparsable exposition line: %r" % line
        labels = frozenset(_LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def select(samples, name, **labels):
    """The samples of one metric whose labels include the given ones."""
    want = set(labels.items())
    return {k: v for k, v in samples.items() if k[0] == name and want <= set(k[1])}


def total(samples, name, **labels):
    return sum(select(samples, name, **labels).values())


def parse_cpulist(text):
    cpus = set()
    for item in text.strip().split(","):
        a, _, b = item.partition("-")
        cpus.update(range(int(a), int(b or a) + 1))
    return cpus


def possible_cpus():
    with open("/sys/devices/system/cpu/possible") as f:
        return parse_cpulist(f.read())


def proc_stat_ctxt():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("ctxt "):
                return int(line.split()[1])
    raise AssertionError("no ctxt in /proc/stat")


def proc_stat_idle_ticks():
    """Idle time of all CPUs in USER_HZ ticks (/proc/stat cpuN idle)."""
    with open("/proc/stat") as f:
        return sum(int(line.split()[4]) for line in f if re.match(r"cpu\d", line))


# How long a test waits for an answer. Not a latency bound: a scrape takes
# milliseconds (5 ms with ASan under the on-call load), but a daemon that
# other work keeps off these 2 CPUs can wait seconds to run: at a load
# average of 16, one test's scrape went unanswered for 10 s.
SCRAPE_TIMEOUT = 60


def pipe_pingpong(rounds):
    """Two processes passing a byte back and forth: 2 switches a round."""
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for _ in range(rounds):
                os.read(r1, 1)
                os.write(w2, b"x")
        finally:
            os._exit(0)
    for _ in range(rounds):
        os.write(w1, b"x")
        os.read(r2, 1)
    os.waitpid(pid, 0)
    for fd in (r1, w1, r2, w2):
        os.close(fd)


def within(actual, expected, rel, abs_slack=0):
    return abs(actual - expected) <= rel * abs(expected) + abs_slack


class NamedLoad:
    """A load script (tests/integration/*.py) exec'd through a symlink named
    comm, so that its comm is the one a workload matches, from its exec on.
    The script prints one JSON line with its "pids" once everything runs;
    the whole session is killed on stop."""

    def __init__(self, comm, script, *args):
        self.tmp = tempfile.TemporaryDirectory(prefix="jitterd-load-")
        exe = os.path.join(self.tmp.name, comm)
        os.symlink(sys.executable, exe)
        self.proc = subprocess.Popen([exe, script] + [str(a) for a in args],
                                     stdout=subprocess.PIPE, start_new_session=True)
        line = self.proc.stdout.readline()
        assert line, "%s did not start" % os.path.basename(script)
        self.pids = json.loads(line)["pids"]
        # Its start, for jitterd: everything runs. It execed earlier, but
        # Python's own start-up before that line takes from 50 ms on a
        # quiet host to seconds in a busy TCG guest, and is no time jitterd
        # could have followed it in.
        self.started = time.monotonic()

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc.stdout.close()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Bracket:
    """A reading of the daemon (.scrape) between two readings (.before,
    .after) of the kernel's own count of the same thing, or of the clock
    that an independent record is stamped with."""

    def __init__(self, read_kernel, read_daemon):
        self.before = read_kernel()
        self.scrape = read_daemon()
        self.after = read_kernel()


def kernel_range(b0, b1, key=None):
    """The kernel's delta over the inner interval (its first reading after
    the daemon's reading 0 to its last before reading 1) and over the outer
    one: a daemon that counts what the kernel counts lies in between, however
    long a busy machine kept the test off the CPU between its reads. That
    range is the allowance for read skew, measured each time; tolerances go
    on top. key picks from readings that are tables (a missing key is 0), or
    is a function of a reading."""
    if key is None:
        v = (lambda x: x)
    elif callable(key):
        v = key
    else:
        v = (lambda x: x.get(key, 0))
    return v(b1.before) - v(b0.after), v(b1.after) - v(b0.before)


def bracketed_delta(b0, b1, key=None):
    """(daemon's delta, kernel's least, kernel's most) between two brackets
    whose daemon and kernel readings are alike (key picks from both)."""
    v = (lambda x: x) if key is None else (lambda x: x[key])
    least, most = kernel_range(b0, b1, v)
    return v(b1.scrape) - v(b0.scrape), least, most


def within_range(actual, least, most, rel, abs_slack=0):
    """least..most, each widened by rel of itself and abs_slack."""
    return least - rel * abs(least) - abs_slack <= actual <= most + rel * abs(most) + abs_slack


def raw_http(port, data, read_timeout=5.0):
    """Send raw bytes, return the status line (or '' if the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk
        return buf.split(b"\r\n", 1)[0].decode(errors="replace")
    finally:
        s.close()


def sh(*args, cwd=None):
    """Run a command; its stdout (a failure is the test's)."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=cwd)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def make_cert(d, name, cn, ca=None):
    """name.pem and name.key in d: self-signed for localhost and 127.0.0.1,
    or signed by ca (a name in d). The openssl commands of
    docs/security.md "TLS, basic auth and headers: the web config"."""
    key, pem = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    if ca is None:
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-days", "30", "-subj", "/CN=" + cn,
           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", pem)
    else:
        csr = os.path.join(d, name + ".csr")
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-subj", "/CN=" + cn, "-keyout", key, "-out", csr)
        sh("openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(d, ca + ".pem"),
           "-CAkey", os.path.join(d, ca + ".key"), "-CAcreateserial", "-days", "30", "-out", pem)
    return pem, key


class Prometheus:
    """Debian's Prometheus on a loopback port of its own. By default it
    scrapes targets every second as job jitterd, with jitterd's rules
    (evaluated every second) unless rules=False; config is instead the whole
    prometheus.yml (its text), and args more command-line flags."""

    def __init__(self, targets=(), rules=True, config=None, args=()):
        if not shutil.which("prometheus"):
            skip("prometheus not installed (scripts/install-deps.sh installs it)")
        self.tmp = tempfile.TemporaryDirectory(prefix="jitterd-prom-")
        cfg = os.path.join(self.tmp.name, "prometheus.yml")
        if config is None:
            config = "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
            if rules:
                config += "rule_files: [%s]\n" % json.dumps(RULES)
            config += ("scrape_configs:\n  - job_name: jitterd\n"
                       "    static_configs: [{targets: %s}]\n" % json.dumps(list(targets)))
        with open(cfg, "w") as f:
            f.write(config)
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.tmp.name, "prometheus.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + self.tmp.name + "/data",
             "--web.listen-address=" + self.address, "--log.level=warn", *args],
            stdout=subprocess.DEVNULL, stderr=self.log)

    def api(self, path, **params):
        url = "http://%s/api/v1/%s?%s" % (self.address, path, urllib.parse.urlencode(params, doseq=True))
        with urllib.request.urlopen(url, timeout=10) as r:
            data = json.load(r)
        assert data["status"] == "success", data
        return data["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def wait(self, what, fn, timeout=60, during=None):
        """Polls fn() until it returns something true; during() runs between polls."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s: prometheus exited with %s\n%s" % (what, self.proc.returncode, self.output()))
            try:
                last = fn()
            except (OSError, ValueError, urllib.error.URLError) as e:
                last = e
            else:
                if last:
                    return last
            if during:
                during()
            time.sleep(0.5)
        raise AssertionError("%s: not within %ds (last: %r)\ntargets: %s\n%s"
                             % (what, timeout, last, self.targets(), self.output()))

    def targets(self):
        """Each active target's URL, health and last error (for failure messages)."""
        try:
            return [(t["scrapeUrl"], t["health"], t["lastError"]) for t in self.api("targets")["activeTargets"]]
        except (OSError, ValueError, urllib.error.URLError, AssertionError) as e:
            return repr(e)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
