"""HTTP abuse: a legitimate scrape keeps answering while others hold
connections open without finishing a request (slowloris, half requests,
TLS handshakes that never finish), send garbage and huge headers, open
thousands of connections and try wrong passwords in a loop; afterwards the
daemon's fds and memory come back. Attackers come from 127.0.0.2 and up,
each within the per-IP limit; the scraper from 127.0.0.1."""
import multiprocessing
import os
import random
import resource
import socket
import ssl
import statistics
import threading
import time

from harness import SANITIZED, Daemon, host_only
from test_webconfig import TLS_ONLY, Certs, bcrypt, tls_get, wait_for

PROBES = ()
WHY = "HTTP behaviour, the same on every kernel"
PER_IP = 8  # main.c's http_limits.max_connections_per_ip


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Attack:
    """Attackers on threads until stop(); every socket they open is kept in
    self.socks (closed at stop) unless closed on purpose."""

    def __init__(self, port):
        self.port = port
        self.stop_flag = threading.Event()
        self.threads = []
        self.lock = threading.Lock()
        self.socks = []
        self.opened = 0

    def connect(self, src):
        s = socket.socket()
        s.settimeout(2)
        s.bind((src, 0))
        s.connect(("127.0.0.1", self.port))
        with self.lock:
            self.socks.append(s)
            self.opened += 1
        return s

    def run(self, fn, *args):
        t = threading.Thread(target=self._guard, args=(fn,) + args, daemon=True)
        t.start()
        self.threads.append(t)

    def _guard(self, fn, *args):
        while not self.stop_flag.is_set():
            try:
                fn(*args)
            except OSError:
                time.sleep(0.05)  # refused or reset: the server's right; try again

    def hold(self, src, first_bytes, drip=None, tls=False):
        """PER_IP connections from src that send first_bytes and then, if
        drip, a byte now and then (slowloris), never finishing; with tls,
        inside a TLS session (the handshake done first)."""
        socks = []
        try:
            for _ in range(PER_IP):
                socks.append(self.connect(src))
                if tls:
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                    socks[-1] = ctx.wrap_socket(socks[-1])
                socks[-1].sendall(first_bytes)
            self._keep(socks, drip)
        finally:
            for s in socks:
                s.close()

    def _keep(self, socks, drip):
        while not self.stop_flag.wait(0.5):
            for s in socks:
                if drip:
                    s.sendall(drip)
                else:
                    # Reconnect those the server closed, to keep the slots busy.
                    s.setblocking(False)
                    try:
                        if s.recv(1) == b"":
                            raise OSError("closed")
                    except (BlockingIOError, ssl.SSLWantReadError):
                        pass
                    finally:
                        s.setblocking(True)

    def churn(self, src):
        """Connections opened and dropped, a few hundred a second (thousands
        over the test: as fast as they go, one process saturates the
        daemon's CPU share on a loaded 2-CPU machine, which measures the
        machine more than the daemon)."""
        for _ in range(100):
            s = self.connect(src)
            s.close()
        self.stop_flag.wait(0.3)

    def garbage(self, src):
        s = self.connect(src)
        s.sendall(os.urandom(random.randint(1, 4096)))
        s.close()

    def huge_header(self, src):
        s = self.connect(src)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
        s.recv(100)
        s.close()

    def wrong_passwords(self, ca):
        tls_get(self.port, "/metrics", cafile=ca, user="prometheus",
                password="guess%d" % random.randint(0, 10**9), timeout=5)

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(10)
        with self.lock:
            for s in self.socks:
                s.close()
            self.socks.clear()


# The start of a TLS ClientHello record, never followed by the rest.
HALF_CLIENT_HELLO = bytes.fromhex("160301020001")


def attack(port, ca, stop, opened):
    a = Attack(port)
    src = iter("127.0.%d.%d" % (i // 250, 2 + i % 250) for i in range(1000))
    # The server speaks TLS: a request in clear text is refused at once, so
    # the connections that hold slots are TLS handshakes that never finish
    # and TLS sessions that never finish their request (half of one, or
    # one dripped a byte at a time): 80 addresses at the per-IP limit, 640
    # connections for 512 slots, past the 448 beyond which each new one
    # closes the oldest that waits for a request.
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    for _ in range(60):
        a.run(a.hold, next(src), HALF_CLIENT_HELLO)
    for _ in range(10):
        a.run(a.hold, next(src), b"GET /metrics HTTP/1.1\r\nHost: x\r\n", None, True)
    for _ in range(10):
        a.run(a.hold, next(src), b"GET /metrics HTTP/1.1\r\n", b"X", True)
    for _ in range(2):  # half requests in clear text: refused at once, they hold no slot
        a.run(a.hold, next(src), b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    for _ in range(2):  # thousands of connections
        a.run(a.churn, next(src))
    for _ in range(2):
        a.run(a.garbage, next(src))
    a.run(a.huge_header, next(src))
    for _ in range(2):
        a.run(a.wrong_passwords, ca)
    stop.wait(60)
    a.stop()
    opened.value = a.opened


@host_only(WHY)
def test_a_scrape_keeps_answering_under_abuse_and_resources_come_back():
    c = Certs()
    try:
        cfg = TLS_ONLY + "basic_auth_users:\n  prometheus: %s\n" % bcrypt("prometheus", "s3cret", cost=10)
        with Daemon(args=["--web-config", c.web_config(cfg)]) as d:
            ca = c.server[0]

            bound = 30 if SANITIZED else 5

            def scrape():
                t = time.monotonic()
                status, _, body = tls_get(d.port, cafile=ca, user="prometheus", password="s3cret",
                                          timeout=bound)
                assert status == 200 and "jitterd_build_info" in body, status
                return time.monotonic() - t

            assert wait_for(lambda: "dropped privileges" in d.output()), d.output()
            for _ in range(3):
                scrape()  # warm: the password is cached, pages rendered once
            fds0, rss0 = proc_fds(d.proc.pid), proc_rss_kib(d.proc.pid)

            # The attackers in a process of their own, so that the scraper
            # does not wait on their threads for Python's GIL.
            stop, opened = multiprocessing.Event(), multiprocessing.Value("l", 0)
            attacker = multiprocessing.get_context("fork").Process(
                target=attack, args=(d.port, ca, stop, opened))
            attacker.start()
            time.sleep(1)  # let every attacker take its slots first

            during = []
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                during.append(scrape())
                time.sleep(0.2)
            stop.set()
            attacker.join(30)
            after = [scrape() for _ in range(5)]

            # fds and memory come back once the attackers are gone (the
            # daemon closes what they left within its timeouts).
            def settled():
                scrape()
                # ASan keeps freed memory in quarantine (256 MiB): no RSS to compare.
                return proc_fds(d.proc.pid) <= fds0 + 2 and (
                    SANITIZED or proc_rss_kib(d.proc.pid) <= rss0 + 8192)
            ok = wait_for(settled, timeout=20)
            fds1, rss1 = proc_fds(d.proc.pid), proc_rss_kib(d.proc.pid)
            _, _, body = tls_get(d.port, cafile=ca, user="prometheus", password="s3cret")
            closed = {line.split()[0]: line.split()[1] for line in body.splitlines()
                      if line.startswith("jitterd_http_") and not line.startswith("#")}
            print("\nabuse: %d connections opened by attackers; scrape latency during: n=%d "
                  "median %.3fs p90 %.3fs max %.3fs; after: max %.3fs; fds %d -> %d, "
                  "VmRSS %d -> %d KiB; %s" % (
                      opened.value, len(during), statistics.median(during),
                      sorted(during)[int(len(during) * 0.9)], max(during), max(after),
                      fds0, fds1, rss0, rss1, closed))
            assert opened.value > 1000, opened.value
            # The slot guard acted (which of the two closed more depends on
            # the daemon's speed: under ASan, evictions take the crowd before
            # its 3 s are up; the header timeout alone is tested below).
            assert float(closed['jitterd_http_connections_closed_total{reason="slots"}']) + \
                float(closed['jitterd_http_connections_closed_total{reason="header_timeout"}']) > 0, \
                closed
            # Answered every time, within a scraper's usual timeout (before
            # the slots were guarded, it was not answered at all); the
            # figures above are for the record, not for asserting, on a
            # machine shared with other builds.
            # (Under ASan the daemon is several times slower: a bound for
            # answering at all; make test runs this test plain too.)
            assert max(during) < bound, during
            assert max(after) < bound, after
            assert ok, "fds %d -> %d, VmRSS %d -> %d KiB" % (fds0, fds1, rss0, rss1)
    finally:
        c.close()


@host_only(WHY)
def test_a_request_never_finished_is_closed_by_the_header_timeout():
    """Half a request, then silence: jitterd closes the connection once the
    header timeout (3 s from accept) is up, and counts it."""
    with Daemon() as d:
        s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # no empty line: unfinished
        start = time.monotonic()
        try:
            closed_by_server = s.recv(4096) == b""
        except ConnectionResetError:
            closed_by_server = True
        waited = time.monotonic() - start
        s.close()
        assert closed_by_server, "the server answered an unfinished request"
        # Closed by the 3 s header timeout, not by the 10 s idle timeout.
        assert 2.5 <= waited < 10, waited
        _, _, body = d.get("/metrics")
        line = [l for l in body.splitlines()
                if l.startswith('jitterd_http_connections_closed_total{reason="header_timeout"}')]
        assert line and float(line[0].split()[1]) >= 1, line
        assert d.stop() == 0
