"""Receive latency of UDP and TCP socket classes against the kernel's own
timestamping API and captures (collectors.sockets.latency); send latency
through a qdisc; losses before the socket.

The reader asks for SO_TIMESTAMPING with SOF_TIMESTAMPING_RX_SOFTWARE: each
datagram comes with the kernel's arrival stamp (the skb->tstamp that jitterd
reads too), and the reader notes CLOCK_REALTIME as soon as recvmsg()
returns. Arrival -> that time is each datagram's latency as measured outside
jitterd, a little later than jitterd's (which is taken while the kernel
copies the datagram out, inside the same recvmsg()). So, per datagram,
jitterd's is at most the reader's: jitterd's sum is at most the reader's,
its counts are exactly the datagrams sent, and its p50 and p99 lie within
one bucket of the reader's. The reader is made late (it sleeps while
bursts queue) and prompt (it busy-polls), on loopback.
"""
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

import harness
from harness import Daemon, select as samples_of

SO_TIMESTAMPING = 37
SOF_TIMESTAMPING_RX_SOFTWARE = 1 << 3
SOF_TIMESTAMPING_SOFTWARE = 1 << 4
CLASS = "it-md"

# A sender in its own process (the reader's busy polling would otherwise
# hold the GIL from it): `count` datagrams in bursts of `burst`, `gap` s apart.
SENDER = r"""
import socket, sys, time
port, count, burst, gap = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(i.to_bytes(4, "big") + b"x" * 60, ("127.0.0.1", port))
    if (i + 1) % burst == 0:
        time.sleep(gap)
"""


def config(port):
    return ("collectors:\n  sockets:\n    latency: true\n    classes:\n"
            "      - {name: %s, protocol: udp, local_ports: [%d]}\n"
            "events:\n  runqueue_latency_threshold: 10s\n"
            "  softirq_duration_threshold: 10s\n" % (CLASS, port))


def receive(rx, count, late, busy):
    """Per datagram: the reader's arrival -> read latency, in ns. busy: it
    polls (MSG_DONTWAIT) rather than sleeping in recvmsg()."""
    out = []
    flags = socket.MSG_DONTWAIT if busy else 0
    while len(out) < count:
        if late:
            time.sleep(0.004)  # bursts queue meanwhile
        try:
            data, anc, _, _ = rx.recvmsg(128, 256, flags)
        except BlockingIOError:
            continue
        now = time.clock_gettime_ns(time.CLOCK_REALTIME)
        stamp = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING:
                sec, nsec = struct.unpack("qq", payload[:16])  # ts[0]: software
                stamp = sec * 10**9 + nsec
        assert stamp, "a datagram without its software RX stamp"
        out.append(now - stamp)
        if late:  # drain what queued while it slept
            while len(out) < count:
                try:
                    data, anc, _, _ = rx.recvmsg(128, 256, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                now = time.clock_gettime_ns(time.CLOCK_REALTIME)
                sec, nsec = struct.unpack("qq", [a for a in anc if a[1] == SO_TIMESTAMPING][0][2][:16])
                out.append(now - (sec * 10**9 + nsec))
    return out


def bucket_index(ns):
    """jitterd's bucket of a latency: le = 2^k ns, k from 7 to 30, then +Inf."""
    k = 7
    while k <= 30 and ns > (1 << k):
        k += 1
    return k


def percentile_bucket(values, q):
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil
    return bucket_index(ordered[int(rank) - 1])


def hist(samples, name, **labels):
    """(count, sum in ns, [(le in ns, cumulative)]) of one jitterd histogram."""
    buckets = []
    for (_, lab), v in samples_of(samples, name + "_bucket", **labels).items():
        le = dict(lab)["le"]
        buckets.append((float("inf") if le == "+Inf" else round(float(le) * 1e9), int(v)))
    buckets.sort()
    count = int(harness.total(samples, name + "_count", **labels))
    total_ns = round(harness.total(samples, name + "_sum", **labels) * 1e9)
    return count, total_ns, buckets


def hist_percentile_bucket(buckets, count, q):
    rank = max(1, -(-count * q // 1))
    for le, cum in buckets:
        if cum >= rank:
            return 31 if le == float("inf") else le.bit_length() - 1
    raise AssertionError("no bucket holds rank %d" % rank)


def read_hook():
    """Whether the read's hook attaches here: sock:sock_recv_length (6.3+),
    or skb_consume_udp by fentry or kprobe; without it only the stack's part
    is measured."""
    return harness.probes(config=config(1))["sock_recv_length"]["attach"] != "none"


def attach_env(attach):
    """JITTERD_ATTACH making `attach` the best type tried; fentry and kprobe
    for the two probes that have such variants (sock_def_readable,
    skb_consume_udp)."""
    if attach is None:
        return None
    if attach not in ("fentry", "kprobe"):
        return {"JITTERD_ATTACH": attach}
    for probe in ("sk_data_ready", "sock_recv_length"):
        harness.need_attach(probe, attach, config(1))
    return {"JITTERD_ATTACH": "sk_data_ready=%s,sock_recv_length=%s" % (attach, attach)}


def run(late, count, attach=None, cpu=None, inspect=None):
    """cpu: the reader and the sender on that CPU alone. A reader on another
    CPU can take a datagram between its enqueue and sk_data_ready's program
    (docs/netlat.md): that one is in none of the figures."""
    env = attach_env(attach)
    mask = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                      SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)
        rx.bind(("127.0.0.1", 0))
        port = rx.getsockname()[1]
        with Daemon(config(port), env=env) as d:
            sender = subprocess.Popen([sys.executable, "-c", SENDER, str(port), str(count),
                                       "20", "0.003" if late else "0.0005"])
            # On one CPU a busy reader would only run when the sender sleeps:
            # there the prompt reader is woken, and takes the CPU at once.
            mine = receive(rx, count, late, busy=not late and cpu is None)
            assert sender.wait(timeout=60) == 0
            s = d.scrape()
            total = hist(s, "jitterd_socket_receive_latency_seconds", socket=CLASS)
            stack = hist(s, "jitterd_socket_receive_stage_seconds", socket=CLASS, stage="stack")
            reader = hist(s, "jitterd_socket_receive_stage_seconds", socket=CLASS,
                          stage="reader")
            unstamped = harness.total(s, "jitterd_socket_receive_unstamped_total", socket=CLASS)
            if inspect:
                inspect(d, mine)
            assert d.stop() == 0
    finally:
        rx.close()
        os.sched_setaffinity(0, mask)
    what = ("late" if late else "prompt") + (" (one CPU)" if cpu is not None else " (any CPU)")
    print("  %s reader, %d datagrams: counts jitterd total %d stack %d reader %d "
          "(unstamped %d); sums jitterd %.1f us/datagram, reader's own %.1f us" %
          (what, count, total[0], stack[0], reader[0], unstamped,
           total[1] / 1e3 / max(1, total[0]), sum(mine) / 1e3 / count))
    if not read_hook():
        if cpu is None:  # a busy reader on another CPU: some missed (above)
            assert count // 2 <= stack[0] <= count and unstamped == 0
        else:
            assert (stack[0], unstamped) == (count, 0)
        raise harness.NotApplicable("no read hook (no sock_recv_length, nor fentry or "
                                    "kprobe): the stack's part only, and it counted every "
                                    "datagram")
    if cpu is None:
        # The datagrams missed are in none of the figures, not in some.
        assert total[0] == reader[0] <= stack[0] <= count and unstamped == 0
        assert total[0] >= count // 2, "most were missed"
        count = total[0]
    else:
        assert (total[0], stack[0], reader[0], unstamped) == (count, count, count, 0)
    # The parts add up, datagram by datagram.
    if stack[0] == total[0]:
        assert total[1] == stack[1] + reader[1], (total[1], stack[1], reader[1])
    # jitterd reads the time inside the recvmsg() after which the reader does.
    assert 0 < total[1] <= sum(mine), (total[1], sum(mine))
    for q in (0.5, 0.99):
        theirs, ours = percentile_bucket(mine, q), hist_percentile_bucket(total[2], count, q)
        print("    p%g: jitterd bucket 2^%d ns, reader's 2^%d ns" % (q * 100, ours, theirs))
        assert abs(theirs - ours) <= 1, (q, ours, theirs)
    return total, stack, reader


@pytest.mark.parametrize("attach", [None, "raw_tp", "tracepoint", "fentry", "kprobe"])
def test_receive_latency_late_reader(attach):
    total, stack, reader = run(late=True, count=harness.load(600), attach=attach, cpu=0)
    # It slept 4 ms between reads: most of the time is the reader's.
    assert reader[1] > stack[1]


def test_late_datagrams_are_events():
    """Datagrams over events.socket_latency_threshold (1ms) are socket_latency
    events naming the slower part (the reader: it slept) and its thread."""
    if not read_hook():
        raise harness.NotApplicable("no read hook (no sock_recv_length, nor fentry or "
                                    "kprobe): no latency, no event")
    def inspect(d, mine):
        _, _, body = d.get("/events")
        found = [e for e in map(json.loads, body.splitlines()) if e["type"] == "socket_latency"]
        print("  %d socket_latency events, %d datagrams over 1 ms; first: %s" %
              (len(found), sum(1 for ns in mine if ns >= 10**6), found[:1]))
        assert found, "no socket_latency event"
        for e in found:
            assert e["socket"] == CLASS and e["latency_ns"] >= 10**6, e
            assert e["latency_ns"] == e["stack_ns"] + e["reader_ns"], e
            assert e["slow"] == ("reader" if e["reader_ns"] >= e["stack_ns"] else "stack"), e
            assert e["tid"] == threading.get_native_id(), e
    run(late=True, count=harness.load(200), cpu=0, inspect=inspect)


def test_doctor_names_the_late_reader():
    """jitterd doctor --from the daemon: evidence.socket_latency for the class,
    with the stage means the metrics give, and the reader as the late part."""
    if not read_hook():
        raise harness.NotApplicable("no read hook: no reader stage")

    def inspect(d, mine):
        s = d.scrape()
        means = {st: harness.total(s, "jitterd_socket_receive_stage_seconds_sum", socket=CLASS,
                                   stage=st) /
                 harness.total(s, "jitterd_socket_receive_stage_seconds_count", socket=CLASS,
                               stage=st) for st in ("stack", "reader")}
        r = subprocess.run([harness.JITTERD, "doctor", "--json", "--from", d.url("")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode in (0, 1), (r.returncode, r.stderr)
        ev = [e for e in json.loads(r.stdout)["evidence"]
              if e["check"] == "evidence.socket_latency" and e["subject"] == CLASS]
        print("  doctor: %s | %s" % (ev[0]["value"] if ev else None, means))
        assert len(ev) == 1, json.loads(r.stdout)["evidence"]
        fmt = lambda v: "%.2f ms" % (v * 1e3) if v >= 1e-3 else "%.0f us" % (v * 1e6)
        assert ("%s in the kernel's receive path (stack), %s in the socket's queue" %
                (fmt(means["stack"]), fmt(means["reader"]))) in ev[0]["value"], (ev, means)
        assert "the reader is late" in ev[0]["recommended"], ev
    run(late=True, count=harness.load(200), cpu=0, inspect=inspect)


def test_receive_latency_prompt_reader():
    run(late=False, count=harness.load(2000), cpu=0)


def test_receive_latency_prompt_reader_on_another_cpu():
    if len(os.sched_getaffinity(0)) < 2:
        raise harness.NotApplicable("one CPU")
    run(late=False, count=harness.load(2000))


def test_receive_latency_off_by_default():
    port = harness.free_port(socket.SOCK_DGRAM)
    cfg = config(port).replace("    latency: true\n", "")
    with Daemon(cfg) as d:
        s = d.scrape()
        assert not samples_of(s, "jitterd_socket_receive_latency_seconds_count")
        assert not samples_of(s, "jitterd_probe_attached", probe="sock_recv_length")
        assert d.stop() == 0


# ---- TCP ---------------------------------------------------------------------
#
# One sample of a TCP class is a chunk: the data one sk_data_ready run finds
# newly queued (in order: one segment as TCP received it, after GRO), or one
# segment that waited out of order; it is read when its last byte is copied.
# The receiver's own TCP_INFO counts the data segments it received
# (tcpi_data_segs_in): without loss, each is one chunk.

TCP_INFO_DATA_SEGS_IN = 152  # offsetof(struct tcp_info, tcpi_data_segs_in)
TCP_INFO_TOTAL_RETRANS = 100
TCP_INFO_RCV_OOOPACK = 224

# The sender of the TCP tests, in its own process: `count` messages of
# `size` bytes, each sent once the receiver's one-byte answer to the last
# came (lockstep: one message in flight, so each is its own segment and
# its own read), `gap` s apart; or, with burst > 1, `burst` messages back
# to back and no answers awaited; burst -1: each message alone, `gap` s
# apart, no answers awaited. Message number `lose` starts with LOST
# (a filter drops it).
TCP_SENDER = r"""
import socket, sys, time
host, port, count, size, burst, gap = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                       int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
lose = int(sys.argv[7]) if len(sys.argv) > 7 else -1
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(count):
    s.sendall((b"LOST" if i == lose else i.to_bytes(4, "big")) + b"t" * (size - 4))
    if burst == 1:
        assert s.recv(1) == b"k"
    if (i + 1) % abs(burst) == 0:
        time.sleep(gap)
s.shutdown(socket.SHUT_WR)
assert s.recv(1) == b""
"""


# The receiver of the TCP tests that need a network namespace of their own
# (run with ip netns exec): its TcpExt counters are then its own. It
# listens on host:port, reads all (sleeping `pause` s before each read),
# and prints what the kernel says: its data segments in, the namespace's
# TCPBacklogCoalesce (segments merged in the socket's backlog while the
# reader held the socket: they reach TCP as one), and, with a device, each
# TCP data segment to the port seen there (an AF_PACKET capture: its
# kernel stamp, sequence number, length), in arrival order.
TCP_RECEIVER = r"""
import json, socket, struct, sys, time
host, port, pause, dev = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def tcpext():
    lines = open("/proc/net/netstat").read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return dict(zip(names.split()[1:], map(int, values.split()[1:])))
cap = None
if dev != "-":
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    cap.bind((dev, 0x0800))
    cap.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
    cap.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
ls = socket.socket()
ls.bind((host, port))
ls.listen(1)
before = tcpext()
print("ready", flush=True)
rx, _ = ls.accept()
rx.setsockopt(socket.SOL_SOCKET, 37, (1 << 3) | (1 << 4))  # SO_TIMESTAMPING: RX_SOFTWARE
reads = []
while True:
    if pause:
        time.sleep(pause)
    data, anc, _, _ = rx.recvmsg(65536, 256)
    now = time.clock_gettime_ns(time.CLOCK_REALTIME)
    if not data:
        break
    sec, nsec = struct.unpack("qq", [a for a in anc if a[1] == 37][0][2][:16])
    reads.append((len(data), now - (sec * 10**9 + nsec)))
info = rx.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
after = tcpext()
rx.close()
segments = []
while cap:
    try:
        frame, anc, _, _ = cap.recvmsg(4096, 256, socket.MSG_DONTWAIT)
    except BlockingIOError:
        break
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or struct.unpack("!H", ip[ihl + 2:ihl + 4])[0] != port:
        continue
    tcp = ip[ihl:]
    length = struct.unpack("!H", ip[2:4])[0] - ihl - (tcp[12] >> 4) * 4
    if length > 0:
        sec, nsec = struct.unpack("qq", [a for a in anc if a[1] == 35][0][2][:16])
        segments.append((sec * 10**9 + nsec, struct.unpack("!I", tcp[4:8])[0], length))
print(json.dumps({"segs_in": struct.unpack_from("I", info, 152)[0],
                  "ooopack": struct.unpack_from("I", info, 224)[0],
                  "backlog_coalesced": after["TCPBacklogCoalesce"] - before["TCPBacklogCoalesce"],
                  "ofo_queued": after["TCPOFOQueue"] - before["TCPOFOQueue"],
                  "reads": reads, "segments": segments}))
"""


def netns_receiver(ns, host, port, pause, dev="-"):
    """TCP_RECEIVER in namespace ns, once it listens."""
    p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", TCP_RECEIVER, host,
                          str(port), str(pause), dev], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def netns_result(p):
    out, _ = p.communicate(timeout=120)
    assert p.returncode == 0, out
    return json.loads(out)


def tcp_walk(segments):
    """From a capture of one connection's data segments in arrival order
    (stamp, seq, length): the chunks TCP made of them as jitterd counts
    them (each segment that brought new data in order, and the first copy
    of each that arrived beyond a gap) and, for each of those that waited
    beyond a gap, from its arrival to that of the segment that filled it."""
    rcv_nxt, waiting, chunks, hol = None, {}, 0, []
    for t, seq, length in segments:
        end = (seq + length) % 2**32
        rcv_nxt = seq if rcv_nxt is None else rcv_nxt
        if 0 < (seq - rcv_nxt) % 2**32 < 2**31:  # beyond a gap
            if seq not in waiting:
                waiting[seq] = (t, end)
                chunks += 1
        elif 0 < (end - rcv_nxt) % 2**32 < 2**31:  # new data, in order
            chunks += 1
            rcv_nxt = end
            # Those waiting that it reaches or covers (a retransmission may
            # carry them again) can be read now.
            while True:
                reached = [q for q in waiting if not 0 < (q - rcv_nxt) % 2**32 < 2**31]
                if not reached:
                    break
                for q in reached:
                    arrived, e = waiting.pop(q)
                    hol.append(t - arrived)
                    if 0 < (e - rcv_nxt) % 2**32 < 2**31:
                        rcv_nxt = e
    return chunks, hol


def tcp_config(port, name=CLASS):
    return config(port).replace("protocol: udp", "protocol: tcp").replace(CLASS, name)


def tcp_attach_env(attach):
    """JITTERD_ATTACH making `attach` the best type tried, where both TCP
    hooks of receive latency take it here (NotApplicable otherwise: the
    classic tcp:tcp_probe record names no socket on some kernels)."""
    if attach is None:
        return None
    for probe in ("tcp_probe", "tcp_rcv_space_adjust"):
        harness.need_attach(probe, attach, tcp_config(1))
    return {"JITTERD_ATTACH": attach}


def tcp_info(sock, offset, fmt="I"):
    return struct.unpack_from(fmt, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256),
                              offset)[0]


def tcp_receiver(host="127.0.0.1"):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((host, 0))
    ls.listen(1)
    return ls, ls.getsockname()[1]


def accept_stamped(ls):
    rx, _ = ls.accept()
    rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                  SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)
    return rx


def read_stamped(rx, n, flags=0):
    """(data, arrival -> now in ns): the stamp is the one of the last skb
    the read copied from (tcp_recvmsg)."""
    data, anc, _, _ = rx.recvmsg(n, 256, flags)
    now = time.clock_gettime_ns(time.CLOCK_REALTIME)
    stamp = [struct.unpack("qq", a[2][:16]) for a in anc
             if a[0] == socket.SOL_SOCKET and a[1] == SO_TIMESTAMPING]
    assert stamp, "a read without its software RX stamp"
    return data, now - (stamp[0][0] * 10**9 + stamp[0][1])


def tcp_hists(s, name=CLASS):
    return {part: hist(s, "jitterd_socket_receive_stage_seconds", socket=name, stage=part)
            for part in ("stack", "hol", "reader")} | \
        {"total": hist(s, "jitterd_socket_receive_latency_seconds", socket=name)}


def tcp_run(late, count, attach=None):
    """Lockstep: the reader takes each message alone, as soon as it is
    readable (prompt, woken in recvmsg()) or 2 ms after (late: it sleeps
    first). Its own arrival -> read of each is the kernel's stamp against
    its clock after recvmsg() returns."""
    env = tcp_attach_env(attach)
    ls, port = tcp_receiver()
    mine = []
    try:
        with Daemon(tcp_config(port), env=env) as d:
            sender = subprocess.Popen([sys.executable, "-c", TCP_SENDER, "127.0.0.1", str(port),
                                       str(count), "64", "1", "0.002"])
            rx = accept_stamped(ls)
            for _ in range(count):
                if late:
                    select.select([rx], [], [])
                    time.sleep(0.002)
                data, ns = read_stamped(rx, 64, socket.MSG_WAITALL)
                assert len(data) == 64
                mine.append(ns)
                rx.send(b"k")
            assert rx.recv(1) == b""
            segs = tcp_info(rx, TCP_INFO_DATA_SEGS_IN)
            rx.close()
            assert sender.wait(timeout=60) == 0
            h = tcp_hists(d.scrape())
            assert d.stop() == 0
    finally:
        ls.close()
    total, stack, hol, reader = h["total"], h["stack"], h["hol"], h["reader"]
    print("  %s TCP reader, %d messages (%d data segments in): counts jitterd total %d stack %d "
          "hol %d reader %d; jitterd %.1f us/chunk (stack %.1f, reader %.1f), reader's own "
          "%.1f us" % ("late" if late else "prompt", count, segs, total[0], stack[0], hol[0],
                       reader[0], total[1] / 1e3 / max(1, total[0]),
                       stack[1] / 1e3 / max(1, stack[0]), reader[1] / 1e3 / max(1, reader[0]),
                       sum(mine) / 1e3 / count))
    # Each message alone in flight: a segment of its own, and a chunk. A
    # spurious retransmission (a tail loss probe on a slow machine) is a
    # data segment in again but no new data: no chunk.
    assert segs >= count, "the sender's messages were not one segment each"
    assert (total[0], stack[0], reader[0], hol[0]) == (count, count, count, 0)
    assert total[1] == stack[1] + reader[1], (total[1], stack[1], reader[1])
    assert 0 < total[1] <= sum(mine), (total[1], sum(mine))
    for q in (0.5, 0.99):
        theirs, ours = percentile_bucket(mine, q), hist_percentile_bucket(total[2], count, q)
        print("    p%g: jitterd bucket 2^%d ns, reader's 2^%d ns" % (q * 100, ours, theirs))
        assert abs(theirs - ours) <= 1, (q, ours, theirs)
    return h


# TCP's hooks are tracepoints on every kernel (no fentry or kprobe variant).
@pytest.mark.parametrize("attach", [None, "raw_tp", "tracepoint"])
def test_tcp_receive_latency_late_reader(attach):
    h = tcp_run(late=True, count=harness.load(300), attach=attach)
    assert h["reader"][1] > h["stack"][1]  # it slept 2 ms before each read


def test_tcp_receive_latency_prompt_reader():
    tcp_run(late=False, count=harness.load(1000))


class Netns:
    """A network namespace of the test's own, its loopback up."""

    def __init__(self):
        self.name = "jdtcp%d" % (os.getpid() % 1000)
        self.close()
        sh("ip", "netns", "add", self.name)
        sh("ip", "-n", self.name, "link", "set", "lo", "up")

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)


def test_tcp_chunk_read_in_parts_is_one_sample():
    """A chunk read in parts is one sample, counted at the read of its last byte."""
    ls, port = tcp_receiver()
    try:
        with Daemon(tcp_config(port)) as d:
            sender = subprocess.Popen([sys.executable, "-c", TCP_SENDER, "127.0.0.1", str(port),
                                       "1", "3000", "1", "0"])
            rx = accept_stamped(ls)
            select.select([rx], [], [])
            while rx.recv(3000, socket.MSG_PEEK | socket.MSG_DONTWAIT).__len__() < 3000:
                time.sleep(0.01)  # until the message is all queued
            reads = []
            got = 0
            while got < 3000:
                got += len(rx.recv(1000))
                reads.append(tcp_hists(d.scrape())["reader"][0])
            rx.send(b"k")
            segs = tcp_info(rx, TCP_INFO_DATA_SEGS_IN)
            rx.close()
            assert sender.wait(timeout=60) == 0
            h = tcp_hists(d.scrape())
            assert d.stop() == 0
    finally:
        ls.close()
    print("  3000 bytes in %d segment(s), read 1000 at a time: jitterd's reader count after "
          "each read %s" % (segs, reads))
    assert segs == 1, "the 3000 bytes came in %d segments" % segs
    assert reads == [0, 0, 1], reads
    assert (h["total"][0], h["stack"][0], h["reader"][0], h["hol"][0]) == (1, 1, 1, 0)


def test_tcp_chunks_read_together_are_one_sample_each():
    """Bursts of 8 messages back to back, read 64 KiB at a time after a
    sleep: a sample per segment TCP received, against a capture of the
    segments in the receiver's namespace (a spurious retransmission is not
    new data: no sample) less those the namespace's TCPBacklogCoalesce says
    were merged in the socket's backlog (while the reader held the socket:
    they reach TCP as one segment, so one sample)."""
    port = harness.free_port()
    ns = Netns()
    try:
        with Daemon(tcp_config(port)) as d:
            p = netns_receiver(ns.name, "127.0.0.1", port, 0.02, "lo")
            sender = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-c",
                                       TCP_SENDER, "127.0.0.1", str(port),
                                       str(harness.load(400)), "200", "8", "0.01"])
            got = netns_result(p)
            assert sender.wait(timeout=60) == 0
            h = tcp_hists(d.scrape())
            assert d.stop() == 0
    finally:
        ns.close()
    chunks, hol = tcp_walk(got["segments"])
    n = chunks - got["backlog_coalesced"]
    print("  %d data segments in (TCP_INFO), %d captured, %d of new data, %d merged in the "
          "backlog, in %d reads: jitterd total %d stack %d reader %d hol %d" %
          (got["segs_in"], len(got["segments"]), chunks, got["backlog_coalesced"],
           len(got["reads"]), h["total"][0], h["stack"][0], h["reader"][0], h["hol"][0]))
    assert not hol and got["ooopack"] == 0, "a segment arrived out of order"
    assert len(got["reads"]) < n, "no read took several chunks"
    assert (h["total"][0], h["stack"][0], h["reader"][0], h["hol"][0]) == (n, n, n, 0)
    assert 0 < h["total"][1] == h["stack"][1] + h["reader"][1]


class RoutedNetns:
    """A receiver's namespace two hops away: here -> a veth pair -> a
    namespace that forwards -> another veth pair -> the receiver's. A packet
    dropped in the forwarding one's qdisc is lost to the sender: a drop in
    its own qdisc would be told to its TCP (NET_XMIT_DROP), which then holds
    the data back rather than sending what follows."""

    def __init__(self):
        self.hop = VethWithTbf(rate=None)  # where a kernel has no veth this says so
        n = os.getpid() % 1000
        self.ns, self.dev, self.peer = "jdrx%d" % n, "jdrx%da" % n, "jdrx%db" % n
        self.gw, self.addr = "10.252.%d.1" % (n % 250), "10.252.%d.2" % (n % 250)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, timeout=30)
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.dev, "netns", self.hop.ns, "type", "veth", "peer", "name",
           self.peer, "netns", self.ns)
        sh("ip", "-n", self.hop.ns, "addr", "add", self.gw + "/30", "dev", self.dev)
        sh("ip", "-n", self.hop.ns, "link", "set", self.dev, "up")
        sh("ip", "-n", self.ns, "addr", "add", self.addr + "/30", "dev", self.peer)
        sh("ip", "-n", self.ns, "link", "set", self.peer, "up")
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.ns, "route", "add", "default", "via", self.gw)
        # Without SACK the sender waits for three duplicate ACKs before it
        # retransmits: more segments are sent, and wait, behind a loss.
        sh("ip", "netns", "exec", self.ns, "sysctl", "-qw", "net.ipv4.tcp_sack=0")
        sh("ip", "netns", "exec", self.hop.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        sh("ip", "route", "add", self.addr + "/32", "via", self.hop.remote)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, timeout=30)
        self.hop.close()  # takes the route with its device


@pytest.mark.parametrize("attach", [None, "raw_tp", "tracepoint"])
def test_tcp_head_of_line_blocking_is_its_own_stage(attach):
    """A segment is lost on the way (a filter drops it and its
    retransmissions until 0.3 s after the first drop): those after it wait
    in the receiver's out-of-order queue until a retransmission gets
    through. Their wait is stage="hol", against a capture of the segments
    at the receiver (each waiting segment's arrival to the arrival of the
    one that filled the gap), and it is in neither stack nor reader."""
    env = tcp_attach_env(attach)
    port = harness.free_port()
    net = RoutedNetns()
    tc = ["ip", "netns", "exec", net.hop.ns, "tc"]
    try:
        with Daemon(tcp_config(port), env=env) as d:
            p = netns_receiver(net.ns, net.addr, port, 0, net.peer)
            # "LOST" at the start of the payload (20 bytes of IP, 32 of TCP
            # with timestamps, as Linux sends) goes to a class whose tbf
            # takes nothing that large: dropped.
            r = subprocess.run(tc + ["qdisc", "add", "dev", net.dev, "root", "handle", "1:", "htb",
                                     "default", "10"], capture_output=True, text=True, timeout=30)
            if r.returncode and "kind is unknown" in r.stderr:
                # scripts/vmtest.sh loads sch_htb where it is a module; a
                # guest whose cached modules predate that has none.
                raise harness.NotApplicable("no htb qdisc on this kernel: " + r.stderr.strip())
            assert r.returncode == 0, r.stderr
            for cls in ("1:10", "1:20"):
                sh(*tc, "class", "add", "dev", net.dev, "parent", "1:", "classid", cls, "htb",
                   "rate", "10gbit")
            sh(*tc, "qdisc", "add", "dev", net.dev, "parent", "1:20", "handle", "20:", "tbf",
               "rate", "1mbit", "burst", "100", "limit", "1000")
            sh(*tc, "filter", "add", "dev", net.dev, "parent", "1:", "protocol", "ip", "prio", "1",
               "u32", "match", "u32", "0x4c4f5354", "0xffffffff", "at", "52", "flowid", "1:20")
            sender = subprocess.Popen([sys.executable, "-c", TCP_SENDER, net.addr, str(port),
                                       "12", "100", "-1", "0.002", "3"])
            deadline = time.monotonic() + 60
            while not re.search(r"qdisc tbf 20:.*\n Sent \d+ bytes \d+ pkt \(dropped [1-9]",
                                subprocess.run(tc + ["-s", "qdisc", "show", "dev", net.dev],
                                               capture_output=True, text=True,
                                               timeout=30).stdout):
                assert time.monotonic() < deadline, "the filter dropped nothing"
                time.sleep(0.01)
            time.sleep(0.3)
            sh(*tc, "filter", "del", "dev", net.dev, "parent", "1:", "prio", "1")
            got = netns_result(p)
            assert sender.wait(timeout=60) == 0
            h = tcp_hists(d.scrape())
            _, _, body = d.get("/events")
            events = [e for e in map(json.loads, body.splitlines())
                      if e["type"] == "socket_latency"]
            assert d.stop() == 0
    finally:
        net.close()
    chunks, hol = tcp_walk(got["segments"])
    n = chunks - got["backlog_coalesced"]
    stack, held, reader, total = h["stack"], h["hol"], h["reader"], h["total"]
    print("  %d segments captured, %d chunks of new data, %d waited out of order (TCP_INFO "
          "rcv_ooopack %d, TCPOFOQueue %d), %d merged in the backlog" %
          (len(got["segments"]), chunks, len(hol), got["ooopack"], got["ofo_queued"],
           got["backlog_coalesced"]))
    print("  jitterd: counts total %d stack %d hol %d reader %d; sums stack %.1f us, hol %.1f us, "
          "reader %.1f us; the capture's waits %.1f us" %
          (total[0], stack[0], held[0], reader[0], stack[1] / 1e3, held[1] / 1e3,
           reader[1] / 1e3, sum(hol) / 1e3))
    t0, s0 = got["segments"][0][0], got["segments"][0][1]
    print("  segments (us, seq, length):", [((t - t0) // 1000, (q - s0) % 2**32, l) for t, q, l in got["segments"]])
    assert hol, "no segment waited out of order"
    assert (total[0], stack[0], reader[0]) == (n, n, n)
    if got["backlog_coalesced"] == 0:
        assert held[0] == len(hol)
    else:  # two waiting segments merged in the backlog are one
        assert len(hol) - got["backlog_coalesced"] <= held[0] <= len(hol)
    assert total[1] == stack[1] + held[1] + reader[1]
    # The waits are all in hol: jitterd's wait of a blocked segment k starts
    # when TCP saw k and ends when it queued the filling segment, the
    # capture's from the tap's sight of the one to the other's. They differ
    # by the tap-to-TCP times of the two: within the stack's sum where the
    # tap and TCP read the same stamp; where they do not (a run under the
    # sanitized daemon was 170 us short with a stack sum of 52 us: the
    # segment's stamp was taken after the tap saw it) by what a loaded
    # machine or an emulated guest delays a softirq, milliseconds. So: the
    # stack's sum for each, and 2% of the waits (13 ms of a 640 ms one).
    # Had a wait, or a part of one over 2%, gone to stack or reader instead,
    # hol would be short by it.
    slack = len(hol) * stack[1] + sum(hol) // 50
    assert abs(held[1] - sum(hol)) <= slack, (held[1], sum(hol), stack[1], slack)
    # Chunks over 1 ms are events (at most one a class, CPU and tick: the
    # gap's filler, read first in the same copy, may take it); one with a
    # wait names hol as the slow part.
    print("  socket_latency events:", events)
    assert events, "no socket_latency event"
    for e in events:
        assert e["latency_ns"] == e["stack_ns"] + e["hol_ns"] + e["reader_ns"], e
        if e["hol_ns"] >= min(hol) // 2:
            assert e["slow"] == "hol", e
    for q in (0.5, 0.99):
        theirs = percentile_bucket(hol, q)
        ours = hist_percentile_bucket(held[2], held[0], q)
        print("    hol p%g: jitterd bucket 2^%d ns, the capture's 2^%d ns" % (q * 100, ours, theirs))
        assert abs(theirs - ours) <= 1, (q, ours, theirs)

# ---- send -------------------------------------------------------------------

SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1
SOF_TIMESTAMPING_OPT_ID = 1 << 7
SOF_TIMESTAMPING_TX_SCHED = 1 << 8
SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11
SCM_TSTAMP_SND, SCM_TSTAMP_SCHED = 0, 1
SO_EE_ORIGIN_TIMESTAMPING = 4
SO_RCVBUFFORCE = 33
MSG_ERRQUEUE = 0x2000


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, timeout=30)


class VethWithTbf:
    """A veth pair, one end in a namespace of its own, the other here with a
    tbf qdisc slow enough to hold a burst: packets wait in it (rate=None:
    no qdisc of its own)."""

    def __init__(self, rate="8mbit"):
        n = os.getpid() % 1000
        self.ns, self.dev, self.peer = "jdnl%d" % n, "jdnl%da" % n, "jdnl%db" % n
        net = "10.251.%d" % (n % 250)
        self.local, self.remote = net + ".1", net + ".2"
        self.close()
        sh("ip", "netns", "add", self.ns)
        r = subprocess.run(["ip", "link", "add", self.dev, "type", "veth", "peer", "name",
                            self.peer, "netns", self.ns], capture_output=True, text=True,
                           timeout=30)
        if r.returncode:
            self.close()
            # A kernel built without veth (the vmtest guests load it: scripts/vmtest.sh).
            if not os.path.exists("/sys/module/veth") and "Unknown device type" in r.stderr:
                raise harness.NotApplicable("no veth on this kernel: " + r.stderr.strip())
            raise AssertionError("ip link add veth: " + r.stderr)
        sh("ip", "addr", "add", self.local + "/30", "dev", self.dev)
        sh("ip", "link", "set", self.dev, "up")
        sh("ip", "-n", self.ns, "addr", "add", self.remote + "/30", "dev", self.peer)
        sh("ip", "-n", self.ns, "link", "set", self.peer, "up")
        if rate:
            sh("tc", "qdisc", "add", "dev", self.dev, "root", "tbf", "rate", rate, "burst",
               "1600", "limit", "4000000")
        # The neighbour known before the test's packets: none waits for ARP.
        out = subprocess.run(["ip", "-n", self.ns, "-j", "link", "show", self.peer],
                             capture_output=True, text=True, check=True, timeout=30).stdout
        sh("ip", "neigh", "replace", self.remote, "lladdr", json.loads(out)[0]["address"],
           "dev", self.dev, "nud", "permanent")

    def close(self):
        subprocess.run(["ip", "link", "del", self.dev], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, timeout=30)


def tx_stamps(tx, count, timeout=30.0):
    """{id: {SCM_TSTAMP_SCHED: ns, SCM_TSTAMP_SND: ns}} from tx's error queue."""
    stamps = {}
    deadline = time.monotonic() + timeout
    while sum(len(v) for v in stamps.values()) < 2 * count and time.monotonic() < deadline:
        try:
            _, anc, _, _ = tx.recvmsg(0, 512, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        stamp = err = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING:
                sec, nsec = struct.unpack("qq", payload[:16])
                stamp = sec * 10**9 + nsec
            elif level == socket.IPPROTO_IP and kind == 11:  # IP_RECVERR
                err = struct.unpack("IBBBBII", payload[:16])
        assert stamp and err and err[1] == SO_EE_ORIGIN_TIMESTAMPING, anc
        stamps.setdefault(err[6], {})[err[5]] = stamp
    return stamps


def test_send_latency_through_a_qdisc():
    """Every packet is counted where it enters the device's queue
    (jitterd_socket_send_queued_total equals the packets sent). Its stages
    are timed when the kernel runs jitterd's programs at the driver
    (net_dev_start_xmit, net_dev_xmit): on the development VM it skipped
    them for 0 to 10 packets in 300 that a softirq sent while other work
    ran, the tracepoints firing for ftrace meanwhile (docs/netlat.md). Those
    are missing from every stage alike, no more than 5%; the timing of the
    others is checked as for receive."""
    count = harness.load(300)
    veth = VethWithTbf()  # where a kernel has no veth this says so, before anything is pinned
    mask = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        tx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        tx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                      SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE |
                      SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
                      SOF_TIMESTAMPING_OPT_TSONLY)
        tx.bind((veth.local, 0))
        port = tx.getsockname()[1]
        cfg = config(port).replace("it-md", "it-orders")
        with Daemon(cfg) as d:
            for i in range(count):
                tx.sendto(b"o" * 1000, (veth.remote, 9))
                if i % 10 == 9:
                    time.sleep(0.002)
            stamps = tx_stamps(tx, count)
            time.sleep(0.2)
            s = d.scrape()
            qdisc = hist(s, "jitterd_socket_send_stage_seconds", socket="it-orders", stage="qdisc")
            driver = hist(s, "jitterd_socket_send_stage_seconds", socket="it-orders",
                          stage="driver")
            total = hist(s, "jitterd_socket_send_latency_seconds", socket="it-orders")
            queued = harness.total(s, "jitterd_socket_send_queued_total", socket="it-orders")
            assert d.stop() == 0
    finally:
        tx.close()
        veth.close()
        os.sched_setaffinity(0, mask)
    complete = [v for v in stamps.values() if len(v) == 2]
    theirs = [v[SCM_TSTAMP_SND] - v[SCM_TSTAMP_SCHED] for v in complete]
    print("  %d datagrams through tbf: stamps for %d; jitterd queued %d, qdisc %d (%.1f us mean), "
          "driver %d, total %d; TX_SCHED -> TX_SOFTWARE %.1f us mean" %
          (count, len(complete), queued, qdisc[0], qdisc[1] / 1e3 / max(1, qdisc[0]), driver[0],
           total[0], sum(theirs) / 1e3 / max(1, len(theirs))))
    assert len(complete) == count, "the kernel stamped %d of %d" % (len(complete), count)
    assert queued == count, "%d of %d packets counted at the device's queue" % (queued, count)
    assert qdisc[0] == driver[0] == total[0] <= count
    assert qdisc[0] >= count * 0.95, "%d of %d packets counted" % (qdisc[0], count)
    assert total[1] == qdisc[1] + driver[1]
    # jitterd's qdisc time starts after TX_SCHED's stamp and ends before
    # TX_SOFTWARE's (the driver takes it); it may have missed some.
    assert 0 < qdisc[1] <= sum(theirs), (qdisc[1], sum(theirs))
    count = qdisc[0]
    # The tbf held them: milliseconds, not microseconds.
    assert percentile_bucket(theirs, 0.5) >= 20, theirs[:20]
    for q in (0.5, 0.99):
        t, o = percentile_bucket(theirs, q), hist_percentile_bucket(qdisc[2], count, q)
        print("    p%g: jitterd bucket 2^%d ns, TX_SCHED -> TX_SOFTWARE 2^%d ns" % (q * 100, o, t))
        assert abs(t - o) <= 1, (q, o, t)


# ---- losses before the socket ------------------------------------------------


def softnet():
    """{cpu: (dropped, time_squeeze)} from /proc/net/softnet_stat."""
    out = {}
    with open("/proc/net/softnet_stat") as f:
        for row, line in enumerate(f):
            v = [int(x, 16) for x in line.split()]
            out[str(v[12] if len(v) >= 13 else row)] = (v[1], v[2])
    return out


def drop_counter(name):
    """The rule docs/metrics.md states for jitterd_nic_receive_drops_total."""
    if not name.startswith("rx") or "xdp" in name or "queue_" in name or name[2:3].isdigit():
        return False
    return any(w in name for w in ("drop", "miss", "no_buf", "nobuf", "out_of_buffer", "fifo",
                                   "discard", "overrun", "over_err"))


def ethtool_drops(dev):
    r = subprocess.run(["ethtool", "-S", dev], capture_output=True, text=True, timeout=30)
    if r.returncode:
        return {}
    out = {}
    for line in r.stdout.splitlines()[1:]:
        name, _, value = line.strip().partition(": ")
        if drop_counter(name):
            out[name] = int(value)
    return out


def test_losses_before_the_socket_against_the_kernel():
    """Per CPU against /proc/net/softnet_stat and per device against
    ethtool -S, each read just before and just after the scrape."""
    port = harness.free_port(socket.SOCK_DGRAM)
    cfg = config(port).replace("    latency: true\n", "    host_drops: true\n")
    devices = [d for d in os.listdir("/sys/class/net") if d != "lo"]
    with Daemon(cfg) as d:
        k0 = softnet(), {dev: ethtool_drops(dev) for dev in devices}
        s = d.scrape()
        k1 = softnet(), {dev: ethtool_drops(dev) for dev in devices}
        assert d.stop() == 0
    series = 0
    for cpu, (dropped0, squeeze0) in k0[0].items():
        dropped1, squeeze1 = k1[0][cpu]
        got_d = harness.total(s, "jitterd_softnet_dropped_total", cpu=cpu)
        got_s = harness.total(s, "jitterd_softnet_time_squeeze_total", cpu=cpu)
        assert dropped0 <= got_d <= dropped1 and squeeze0 <= got_s <= squeeze1, \
            (cpu, k0[0][cpu], k1[0][cpu], got_d, got_s)
        series += 1
    assert len(samples_of(s, "jitterd_softnet_dropped_total")) == len(k0[0])
    # Devices of other tests on this host may come and go meanwhile: those
    # present throughout are compared.
    steady = {dev: c for dev, c in k0[1].items() if set(c) == set(k1[1].get(dev, {}))}
    nic = {k: v for k, v in samples_of(s, "jitterd_nic_receive_drops_total").items()
           if dict(k[1])["device"] in steady}
    for dev, counters in steady.items():
        for name, before in counters.items():
            got = harness.total(s, "jitterd_nic_receive_drops_total", device=dev, counter=name)
            assert before <= got <= k1[1][dev][name], (dev, name, before, got)
            series += 1
    assert len(nic) == sum(len(c) for c in steady.values()), (nic, steady)
    print("  %d CPUs, %d NIC counters on %s, compared" %
          (len(k0[0]), len(nic), ", ".join(sorted(steady))))
    assert series >= len(k0[0])


def test_anomaly_detector_judges_each_stage():
    """The stages' p99 are signals (socket_receive_stage_p99), one subject per
    class and stage: the detector names the part that was slow."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(0.5)
        port = rx.getsockname()[1]
        cfg = config(port) + ("anomaly:\n  interval: 1s\n  warmup: 4\n  min_samples: 5\n"
                              "  subjects: { cpu_groups: false, workloads: false, cpus: false,"
                              " vectors: false, sockets: true }\n")
        with Daemon(cfg) as d:
            sender = subprocess.Popen([sys.executable, "-c", SENDER, str(port), "600", "10",
                                       "0.05"])
            deadline = time.monotonic() + 60
            scores = {}
            while time.monotonic() < deadline and len(scores) < 2:
                try:
                    rx.recv(128)
                except socket.timeout:
                    pass
                s = d.scrape()
                scores = {dict(k[1])["subject"]: v for k, v in
                          samples_of(s, "jitterd_anomaly_score",
                                     signal="socket_receive_stage_p99").items()}
            sender.kill()
            sender.wait()
            assert d.stop() == 0
    finally:
        rx.close()
    print("  scores:", scores)
    assert set(scores) == {"socket:%s/stack" % CLASS, "socket:%s/reader" % CLASS}, scores
