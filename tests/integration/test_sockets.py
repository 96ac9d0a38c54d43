"""Socket classes: queue depths, peaks and drops against ss and /proc/net/udp.

All traffic is on loopback, to sockets these tests open themselves. Each
class names ports of sockets the test holds, so that nobody else's traffic
can fall in it.
"""
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import harness
from harness import Daemon, select as samples_of, total

PROBES = ("sk_data_ready", "sock_send_length", "tcp_probe", "kfree_skb")
# The probes with fentry and kprobe variants (kernels before 6.3 have no
# sk_data_ready or sock_send_length tracepoint).
FUNCTION_HOOKS = ("sk_data_ready", "sock_send_length")


def sockets_config(classes):
    # Run-queue and softirq outliers would fill the event log under a busy
    # machine (thousands of waits over 100us a second) and push the socket
    # events the tests look for out of it: only socket events here.
    # (After the classes: the error tests count their lines from the top.)
    lines = ["collectors:", "  sockets:", "    classes:"]
    lines += ["      - {%s}" % c for c in classes]
    lines += ["events:", "  runqueue_latency_threshold: 10s", "  softirq_duration_threshold: 10s"]
    return "\n".join(lines) + "\n"


def gauge(samples, name, cls):
    found = samples_of(samples, name, socket=cls)
    assert len(found) == 1, (name, cls, found)
    return next(iter(found.values()))


def socket_series(samples):
    return {k: v for k, v in samples.items() if k[0].startswith("jitterd_socket_")}


# Enough for `jitterd --probes` to list the collector's probes (which do not
# depend on the ports): one config for every test, so it is asked once.
PROBES_CONFIG = sockets_config(["name: u, protocol: udp, local_ports: [1]",
                                "name: t, protocol: tcp, local_ports: [1]"])


def attach_env(attach):
    """JITTERD_ATTACH that makes `attach` the best type tried: for every
    probe, or, for a function-hook type, for the probes that have one (the
    others keep their tracepoints). NotApplicable if this kernel lacks it."""
    if attach not in ("fentry", "kprobe"):
        return {"JITTERD_ATTACH": attach}
    for probe in FUNCTION_HOOKS:
        harness.need_attach(probe, attach, PROBES_CONFIG)
    return {"JITTERD_ATTACH": ",".join("%s=%s" % (p, attach) for p in FUNCTION_HOOKS)}


def assert_attached(d, attach, env):
    """Each probe uses `attach` where this kernel takes it for that probe, and
    otherwise what jitterd --probes says it falls back to (on 6.1 there is no
    sk_data_ready tracepoint: fentry), or none (0) where it says nothing does
    (6.1's classic tcp:tcp_probe record names no socket)."""
    table = harness.probes(env=env, config=PROBES_CONFIG)
    s = d.scrape()
    for probe in PROBES:
        want = table[probe]["attach"]
        if attach in table[probe]["works"] and (attach in ("tp_btf", "raw_tp", "tracepoint")
                                                or probe in FUNCTION_HOOKS):
            assert want == attach, (probe, table[probe])
        key = ("jitterd_probe_attached", frozenset({("probe", probe), ("attach", want)}))
        assert s.get(key) == (want != "none"), \
            (probe, want, samples_of(s, "jitterd_probe_attached"))


def ss(args, port):
    """[(state, recv_q, send_q, local, peer)] of the sockets on port, as ss shows them."""
    out = subprocess.run(["ss", "-Hn", *args, "sport = :%d or dport = :%d" % (port, port)],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        rows.append((f[0], int(f[1]), int(f[2]), f[3], f[4]))
    return rows


def ss_row(args, port, local):
    rows = [r for r in ss(args, port) if r[3] == local]
    assert len(rows) == 1, (local, ss(args, port))
    return rows[0]


class Poller(threading.Thread):
    """Polls ss while a burst runs: the largest queues a scraper of ss could have seen."""

    def __init__(self, args, port, local):
        super().__init__(daemon=True)
        self.args, self.port, self.local = args, port, local
        self.max_recv = self.max_send = 0
        self.polls = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for r in ss(self.args, self.port):
                if r[3] == self.local:
                    self.max_recv = max(self.max_recv, r[1])
                    self.max_send = max(self.max_send, r[2])
            self.polls += 1

    def stop(self):
        self.stopping.set()
        self.join()


def udp_drops(sock):
    """The drops column of /proc/net/udp for this socket (found by inode)."""
    inode = str(os.fstat(sock.fileno()).st_ino)
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) > 12 and fields[9] == inode:
                    return int(fields[12])
    raise AssertionError("socket inode %s not in /proc/net/udp" % inode)


def settle(read, timeout=5.0, quiet=0.3):
    """Waits until read() stops changing for `quiet` seconds; returns its value."""
    deadline = time.monotonic() + timeout
    value, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return value


def events(d, kind):
    import json
    _, _, body = d.get("/events")
    return [e for e in map(json.loads, body.splitlines()) if e["type"] == kind]


# ---- UDP --------------------------------------------------------------------


def udp_burst_agrees(attach=None, datagrams=3000, size=1000):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        rx.bind(("127.0.0.1", 0))
        tx.bind(("127.0.0.1", 0))
        port, local = rx.getsockname()[1], "127.0.0.1:%d" % rx.getsockname()[1]
        rcvbuf = rx.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        config = sockets_config(["name: it-feed, protocol: udp, local_ports: [%d]" % port])
        env = attach_env(attach) if attach else None
        with Daemon(config, env=env) as d:
            if attach:
                assert_attached(d, attach, env)
            before = total(d.scrape(), "jitterd_socket_drops_total", socket="it-feed",
                           reason="rcvbuf_full")
            # A lone datagram in an empty queue: its truesize is the whole Recv-Q.
            tx.sendto(b"x" * size, ("127.0.0.1", port))
            truesize = settle(lambda: ss_row(["-ua"], port, local)[1])
            poller = Poller(["-ua"], port, local)
            poller.start()
            for _ in range(datagrams):
                tx.sendto(b"x" * size, ("127.0.0.1", port))
            kernel = settle(lambda: udp_drops(rx))
            time.sleep(0.1)
            poller.stop()
            s = d.scrape()
            drops = total(s, "jitterd_socket_drops_total", socket="it-feed",
                          reason="rcvbuf_full") - before
            peak = gauge(s, "jitterd_socket_receive_queue_peak_bytes", "it-feed")
            print("  udp drops: jitterd %d, /proc/net/udp %d; receive peak: jitterd %d, "
                  "ss max %d (%d polls), bound %d + %d" %
                  (drops, kernel, peak, poller.max_recv, poller.polls, rcvbuf, truesize))
            assert kernel > datagrams // 2, "the burst made only %d drops" % kernel
            assert drops == kernel, "jitterd counted %d drops, /proc/net/udp %d" % (drops, kernel)
            assert poller.max_recv <= peak <= rcvbuf + truesize, \
                (poller.max_recv, peak, rcvbuf, truesize)
            assert total(s, "jitterd_socket_receive_queue_bytes_count", socket="it-feed") > 0
            # Drops also reach /events, with the packet's 4-tuple.
            drop_events = events(d, "socket_drop")
            want = {"socket": "it-feed", "reason": "rcvbuf_full", "protocol": "udp",
                    "local": local, "remote": "127.0.0.1:%d" % tx.getsockname()[1]}
            assert any(all(e.get(k) == v for k, v in want.items()) for e in drop_events), \
                drop_events[-3:]
            assert d.stop() == 0
    finally:
        rx.close()
        tx.close()


def test_udp_drops_and_receive_peak_agree_with_the_kernel():
    udp_burst_agrees()


def test_udp_raw_tp_fallback_agrees():
    udp_burst_agrees("raw_tp")


def test_udp_classic_tracepoint_fallback_agrees():
    udp_burst_agrees("tracepoint")


def test_udp_fentry_fallback_agrees():
    udp_burst_agrees("fentry")


def test_udp_kprobe_fallback_agrees():
    udp_burst_agrees("kprobe")


def peak_window_holds_then_expires(window):
    """The peak after a burst, scraped 5 times, then again late in the window
    and after it: (when the late scrape ended, the readings), the readings
    None if this machine was too slow to end it within the window (then it
    says nothing about holding)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        port = rx.getsockname()[1]
        config = sockets_config(["name: it-feed, protocol: udp, local_ports: [%d]" % port])
        config = config.replace("  sockets:\n", "  sockets:\n    peak_window: %gs\n" % window)
        with Daemon(config) as d:
            burst = time.monotonic()
            for _ in range(3):
                tx.sendto(b"w" * 1000, ("127.0.0.1", port))
            sent = time.monotonic()
            queued = settle(lambda: ss_row(["-ua"], port, "127.0.0.1:%d" % port)[1])
            # Scrapes, however many, read the same peak: nothing resets it.
            peaks = [gauge(d.scrape(), "jitterd_socket_receive_queue_peak_bytes", "it-feed")
                     for _ in range(5)]
            for _ in range(3):  # the queue empties; the peak stays for the window
                rx.recv(2000)
            time.sleep(max(0, burst + window - 0.25 - time.monotonic()))
            held = gauge(d.scrape(), "jitterd_socket_receive_queue_peak_bytes", "it-feed")
            held_at = time.monotonic() - burst
            # The window is covered by slots of window/14: one slot more at most.
            # (Counted from the last send: sleeping longer only makes it surer.)
            time.sleep(max(0, sent + window * 15 / 14 + 0.2 - time.monotonic()))
            expired = gauge(d.scrape(), "jitterd_socket_receive_queue_peak_bytes", "it-feed")
            print("  peak (window %g s): Recv-Q %d; scrapes %s; at %.2f s %d; at %.2f s %d" %
                  (window, queued, peaks, held_at, held, time.monotonic() - burst, expired))
            d.stop()
    return held_at, (queued, peaks, held, expired) if held_at < window else None


def test_peak_holds_for_the_window_whatever_the_scrapes_then_expires():
    # 2 s; on a machine so busy that the steps before the late scrape took
    # longer, again with a window of twice what they took.
    window = 2.0
    for _ in range(3):
        took, r = peak_window_holds_then_expires(window)
        if r is not None:
            break
        window = round(2 * took + 0.5)
    assert r is not None, "too slow to scrape within a window of %.1f s" % window
    queued, peaks, held, expired = r
    assert peaks == [queued] * 5, (queued, peaks)
    assert held == queued, (queued, held)
    assert expired == 0, expired


# ---- TCP --------------------------------------------------------------------


def send_until_blocked(sock, chunk=b"y" * 65536, quiet=0.5):
    """Non-blocking sends until the socket stays unwritable for `quiet` seconds."""
    sent = 0
    while True:
        try:
            sent += sock.send(chunk)
            continue
        except BlockingIOError:
            pass
        _, writable, _ = select.select([], [sock], [], quiet)
        if not writable:
            return sent


def tcp_queues_agree(attach=None):
    # tcp_probe is a TCP socket's hook: where it has no variant of a
    # tracepoint flavour here, that flavour has nothing to agree with.
    if attach in ("tp_btf", "raw_tp", "tracepoint"):
        harness.need_attach("tcp_probe", attach, PROBES_CONFIG)
    listener = socket.socket()
    try:
        # A small receive buffer closes the window long before the sender blocks.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        config = sockets_config(["name: it-rx, protocol: tcp, local_ports: [%d]" % port,
                                 "name: it-tx, protocol: tcp, remote_ports: [%d]" % port])
        env = attach_env(attach) if attach else None
        # The receive queue stops growing when the window closes, and no data
        # comes after: its peak must outlive everything after that however
        # slow the machine (a TCG guest under load took 20 s), so the longest
        # window there is. Expiry has its own test.
        config = config.replace("  sockets:\n", "  sockets:\n    peak_window: 3600s\n")
        with Daemon(config, env=env) as d:
            if attach:
                assert_attached(d, attach, env)
            client = socket.create_connection(("127.0.0.1", port))
            server, _ = listener.accept()
            with client, server:
                tx_local = "127.0.0.1:%d" % client.getsockname()[1]
                rx_local = "127.0.0.1:%d" % port
                mss = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
                rx_poll = Poller(["-t"], port, rx_local)
                tx_poll = Poller(["-t"], port, tx_local)
                rx_poll.start()
                tx_poll.start()
                # The reader reads a little, then stops.
                client.sendall(b"z" * 100000)
                got = 0
                while got < 100000:
                    got += len(server.recv(65536))
                client.setblocking(False)
                # First fill the reader until its window closes and the last
                # (delayed) ACKs are in, then the sender's own buffer: from
                # then on no ACK moves snd_una, and the last send sees the top.
                send_until_blocked(client, quiet=0.3)
                queues = lambda: (ss_row(["-t"], port, rx_local)[1],
                                  ss_row(["-t"], port, tx_local)[2])
                settle(queues)
                send_until_blocked(client)
                rx_queue, tx_queue = settle(queues)
                time.sleep(0.1)
                rx_poll.stop()
                tx_poll.stop()
                s = d.scrape()
                rx_peak = gauge(s, "jitterd_socket_receive_queue_peak_bytes", "it-rx")
                tx_peak = gauge(s, "jitterd_socket_send_queue_peak_bytes", "it-tx")
                print("  tcp receive peak: jitterd %d, ss Recv-Q max %d (at the end %d); send peak: "
                      "jitterd %d, ss Send-Q max %d (at the end %d); mss %d" %
                      (rx_peak, rx_poll.max_recv, rx_queue, tx_peak, tx_poll.max_send,
                       tx_queue, mss))
                assert rx_queue > 0 and tx_queue > 0, (rx_queue, tx_queue)
                # Nothing ss saw on the way is above the peaks, and the peaks are
                # what ss saw at the top, within a segment (send: two, below). (The top need not be
                # the end: an ACK may still come after the last send.)
                assert rx_poll.max_recv <= rx_peak <= rx_poll.max_recv + mss, \
                    (rx_peak, rx_poll.max_recv, mss)
                # ss polls, so it can miss the top between the last send and
                # one more ACK; a delayed ACK covers up to two full segments.
                assert tx_poll.max_send <= tx_peak <= tx_poll.max_send + 2 * mss, \
                    (tx_peak, tx_poll.max_send, mss)
                assert rx_poll.max_recv >= rx_queue and tx_poll.max_send >= tx_queue
                # Each side is in its own class: the reader's socket sends nothing,
                # the sender's socket receives nothing.
                assert total(s, "jitterd_socket_send_queue_bytes_count", socket="it-tx") > 0
                assert total(s, "jitterd_socket_receive_queue_bytes_count", socket="it-rx") > 0
                assert total(s, "jitterd_socket_receive_queue_bytes_count", socket="it-tx") == 0
            assert d.stop() == 0
    finally:
        listener.close()


def test_tcp_receive_and_send_peaks_agree_with_ss():
    tcp_queues_agree()


def test_tcp_raw_tp_fallback_agrees():
    tcp_queues_agree("raw_tp")


def test_tcp_classic_tracepoint_fallback_agrees():
    tcp_queues_agree("tracepoint")


def test_tcp_fentry_fallback_agrees():
    tcp_queues_agree("fentry")


def test_tcp_kprobe_fallback_agrees():
    tcp_queues_agree("kprobe")


# ---- matching ---------------------------------------------------------------


def udp_flood(port, count=2000):
    """A receiver on port that never reads, and a burst into it: drops included."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    rx.bind(("127.0.0.1", port))
    with rx, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for _ in range(count):
            tx.sendto(b"u" * 500, ("127.0.0.1", port))
        return settle(lambda: udp_drops(rx))


def tcp_stream(nbytes=4 << 20):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        with client, server:
            t = threading.Thread(target=client.sendall, args=(b"t" * nbytes,))
            t.start()
            got = 0
            while got < nbytes:
                got += len(server.recv(1 << 16))
            t.join()


def test_traffic_on_ports_in_no_class_changes_no_socket_metric():
    # The classes name ports of sockets that stay idle, held here so that
    # no one else can use them meanwhile.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as idle_udp, socket.socket() as idle_tcp:
        idle_udp.bind(("127.0.0.1", 0))
        idle_tcp.bind(("127.0.0.1", 0))
        idle_tcp.listen(1)
        config = sockets_config([
            "name: it-idle-udp, protocol: udp, local_ports: [%d]" % idle_udp.getsockname()[1],
            "name: it-idle-tcp, protocol: tcp, local_ports: [%d]" % idle_tcp.getsockname()[1]])
        with Daemon(config) as d:
            before = socket_series(d.scrape())
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            drops = udp_flood(port)
            tcp_stream()
            after = socket_series(d.scrape())
            changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
            print("  unclassified traffic: %d UDP drops, 4 MiB of TCP; %d socket series, "
                  "%d changed" % (drops, len(after), len(changed)))
            assert drops > 0, "the flood made no drops"
            assert before and not changed, changed
            assert not events(d, "socket_drop")
            d.stop()


def test_local_address_selects_and_the_first_class_in_config_order_wins():
    """Two receivers on one port, on 127.0.0.2 and ::1: each in the first class that admits it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as b, \
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as tx6, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx4:
        a.bind(("127.0.0.2", 0))
        port = a.getsockname()[1]
        b.bind(("::1", port))
        config = sockets_config([
            "name: it-v4, protocol: udp, local_ports: [%d], local_address: 127.0.0.2" % port,
            "name: it-v6, protocol: udp, local_address: \"::1\"",
            "name: it-port, protocol: udp, local_ports: [%d]" % port])
        with Daemon(config) as d:
            for _ in range(3):
                tx4.sendto(b"4", ("127.0.0.2", port))
            for _ in range(5):
                tx6.sendto(b"6", ("::1", port))
            settle(lambda: (ss_row(["-ua"], port, "127.0.0.2:%d" % port)[1],
                            ss_row(["-ua"], port, "[::1]:%d" % port)[1]))
            s = d.scrape()
            counts = {c: total(s, "jitterd_socket_receive_queue_bytes_count", socket=c)
                      for c in ("it-v4", "it-v6", "it-port")}
            print("  receive observations per class: %s" % counts)
            assert counts == {"it-v4": 3, "it-v6": 5, "it-port": 0}, counts
            d.stop()


@harness.host_only("needs promtool")
def test_promtool_lints_the_socket_metrics():
    if not shutil.which("promtool"):
        harness.skip("promtool not installed (scripts/install-deps.sh installs it)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        port = rx.getsockname()[1]
        with Daemon(sockets_config(["name: it-feed, protocol: udp, local_ports: [%d]" % port,
                                    "name: it-tcp, protocol: tcp, remote_ports: [%d]" % port])) \
                as d:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"p", ("127.0.0.1", port))
            _, _, body = d.get("/metrics")
            assert "jitterd_socket_receive_queue_bytes_bucket" in body
            r = subprocess.run(["promtool", "check", "metrics"], input=body,
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
            d.stop()


# ---- bad classes ------------------------------------------------------------

BAD_CLASSES = [
    # (class, where in it the error points, words the message must contain)
    ("name: a, protocol: sctp, local_ports: [1]", "sctp", "use one of tcp, udp"),
    ("name: a, protocol: udp", "{", "needs local_ports, remote_ports or local_address"),
    ("name: a, protocol: udp, local_ports: [\"9-1\"]", "\"9-1", "reversed range"),
    ("name: a, protocol: tcp, remote_ports: [0]", "0]", "ports are 1 to 65535"),
]


def test_bad_classes_exit_2_with_line_and_column():
    # In "      - {CLASS}" the mapping starts at column 9, CLASS at 10.
    cases = [(sockets_config([c]), 4, 9 if at == "{" else 10 + c.index(at), words)
             for c, at, words in BAD_CLASSES]
    cases.append((sockets_config(["name: feed, protocol: udp, local_ports: [1]",
                                  "name: feed, protocol: tcp, local_ports: [2]"]),
                  5, 16, "duplicate socket class name"))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bad.yaml")
        for text, line, col, words in cases:
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([harness.JITTERD, "--config", path, "--check-config"],
                               capture_output=True, text=True, timeout=30)
            first = r.stderr.splitlines()[0] if r.stderr else ""
            assert r.returncode == 2, (text, r.returncode, r.stderr)
            assert first.startswith("%s:%d:%d: " % (path, line, col)), (text, first)
            assert words in first, (text, first)
