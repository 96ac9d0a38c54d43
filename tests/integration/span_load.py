"""A span publisher in Python, through the ctypes binding
(client/python/jitterd_span.py), for test_spans.py:

    span_load.py SOCKET OUT
    span_load.py SOCKET --forever NAME [labels]
    span_load.py SOCKET --labels OUT
    span_load.py SOCKET --register NAME...
    span_load.py SOCKET --raw VALUE...
    span_load.py SOCKET --join PORT

renames itself pyspan (the test's workload matches it), registers four
spans with CLOCK_MONOTONIC, and publishes: spans of known lengths
(record() with the ends it chose), busy spans it times itself with now(),
begin()/end() around sleeps, and marks. OUT gets one "span length" line per
record whose length it knows, and "marks N", "begins N", "dropped N".
Prints "done", then waits for a line on stdin (the test scrapes meanwhile).
With --forever it is NAME, and publishes spans of a few lengths (some
over the 1 ms threshold) every 10 ms until killed (the on-call tests'
load, oncall.py); with "labels", tick_to_order{venue=XNAS} too.
With --labels it first asks for a label jitterd's config does not allow
(desk) and prints "refused <reason>", then registers spans of one name
with several label sets (in both of the binding's forms) and publishes
spans of known lengths into each: OUT gets "span length" lines as above.
With --register it registers the spans named (the C form) and prints
"registered" or "refused <reason>". With --raw it is a hostile publisher
without the library: for each VALUE (Python escapes: "A\\x00junk") a
connection of its own registers span x with that venue, bytes after a NUL
included, and it prints jitterd's answer to each; then waits for stdin.
With --join (for the OS join, test_spans_slow_span_joins_*) it opens a
UDP socket on 127.0.0.1:PORT (0: any) with the smallest receive buffer and never reads
it, prints "socket PORT INODE", registers span busy (threshold 1 ms), and
for each line MS on stdin makes one span of MS ms of busy loop, stamped
with now() around it, and prints "span T0 T1" (CLOCK_MONOTONIC ns); an
empty line ends it.
"""
import ctypes
import fcntl
import os
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "client", "python"))
import jitterd_span as js  # noqa: E402


def rename(name):
    libc = ctypes.CDLL(None)
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME


def forever(sock, name, labels):
    rename(name)
    spans = ["tick_to_order", "decode"] + (["tick_to_order{venue=XNAS}"] if labels else [])
    js.register(spans, socket=sock, clock=js.CLOCK_MONOTONIC, timeout_ms=10000)
    i = 0
    while True:
        t0 = js.now()
        js.record(0, t0, t0 + 5000 * (1 + i % 9) + (2000000 if i % 50 == 0 else 0))
        js.record(1, t0, t0 + 700 + 100 * (i % 13))
        if labels:
            js.record(2, t0, t0 + 3000 * (1 + i % 7))
        i += 1
        time.sleep(0.01)


def join(sock, port):
    rename("pyspan")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    u.bind(("127.0.0.1", port))
    print("socket %d %d" % (u.getsockname()[1], os.fstat(u.fileno()).st_ino), flush=True)
    js.register([("busy", 1000000)], socket=sock, clock=js.CLOCK_MONOTONIC, timeout_ms=10000)
    print("registered", flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        ms = int(line)
        t0 = js.now()
        while js.now() - t0 < ms * 1000000:
            pass
        t1 = js.now()
        js.record(0, t0, t1)
        print("span %d %d" % (t0, t1), flush=True)
    u.close()


# lengths on and beside buckets' bounds too (2^k ns is in bucket k); 5 ms is over the threshold
LENGTHS = [200, 1000, 3000, 20000, 100000, 700000, 5000000, 127, 128, 129, 4096, 4097, 65535]


def labelled(sock, out):
    """One span name, four label sets: four ids, four series."""
    rename("pyspan")
    try:
        js.register([("order_send", 0, {"desk": "fx"})], socket=sock, clock=js.CLOCK_MONOTONIC,
                    timeout_ms=10000)
        print("accepted a label jitterd does not allow", flush=True)
        return
    except js.RegistrationError as e:
        print("refused", e.strerror, flush=True)
    js.register([("order_send", 0, {"venue": "XNAS"}),
                 "order_send{venue=XLON}",
                 "order_send{session=am,venue=XNAS}",  # stored in the config's order
                 "order_send"], socket=sock, clock=js.CLOCK_MONOTONIC, timeout_ms=10000)
    print("registered", flush=True)
    lines = []
    for span, n in enumerate([130, 70, 40, 25]):
        for i in range(n):
            t0 = js.now()
            d = LENGTHS[(i + span) % len(LENGTHS)]
            js.record(span, t0, t0 + d)
            lines.append("%d %d" % (span, d))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
        f.write("dropped %d\n" % js.dropped())
    print("done", flush=True)
    sys.stdin.readline()


def raw_hello(sock_path, value):
    """A version 2 registration of span x{venue=value}, value's bytes as given, with its memfd."""
    decl = b"x".ljust(48, b"\0") + struct.pack("<Q", 0)
    decl += b"venue".ljust(32, b"\0") + value.ljust(64, b"\0") + b"\0" * 96 * 3
    hello = struct.pack("<6I", 0x6a647370, 2, 1, 1, 16, 1) + decl
    size = 128 + 192 + 16 * 32  # the header, one ring of 16 records
    fd = os.memfd_create("raw", os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    os.pwrite(fd, struct.pack("<4I", 0x6a647370, 2, 1, 16), 0)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock_path)
    socket.send_fds(s, [hello], [fd])
    os.close(fd)
    status, why = struct.unpack("<4xi120s", s.recv(128))
    return s, "%d %s" % (status, why.rstrip(b"\0").decode())


def main():
    if sys.argv[2] == "--forever":
        forever(sys.argv[1], sys.argv[3], sys.argv[4:] == ["labels"])
    if sys.argv[2] == "--join":
        return join(sys.argv[1], int(sys.argv[3]))
    if sys.argv[2] == "--labels":
        return labelled(sys.argv[1], sys.argv[3])
    if sys.argv[2] == "--raw":
        rename("pyspan")
        conns = []
        for v in sys.argv[3:]:
            s, answer = raw_hello(sys.argv[1], v.encode().decode("unicode_escape").encode("latin-1"))
            conns.append(s)
            print(answer, flush=True)
        sys.stdin.readline()
        return
    if sys.argv[2] == "--register":
        rename("pyspan")
        try:
            js.register(sys.argv[3:], socket=sys.argv[1], clock=js.CLOCK_MONOTONIC, timeout_ms=10000)
            print("registered", flush=True)
        except js.RegistrationError as e:
            print("refused", e.strerror, flush=True)
        return
    sock, out = sys.argv[1], sys.argv[2]
    rename("pyspan")
    js.register(["known", "busy", ("slept", 3600 * 10**9), "marked"], socket=sock,
                clock=js.CLOCK_MONOTONIC, timeout_ms=10000)
    print("registered", flush=True)
    lines = []
    lengths = LENGTHS
    for i in range(1300):
        t0 = js.now()
        d = lengths[i % len(lengths)]
        js.record(0, t0, t0 + d)
        lines.append("0 %d" % d)
    for i in range(300):
        t0 = js.now()
        while js.now() - t0 < 2000 * (1 + i % 4):
            pass
        t1 = js.now()
        js.record(1, t0, t1)
        lines.append("1 %d" % (t1 - t0))
    for i in range(20):
        with js.span(2):
            time.sleep(0.001)
    for i in range(50):
        js.mark(3)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
        f.write("begins 20\nmarks 50\ndropped %d\n" % js.dropped())
    print("done", flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main()
