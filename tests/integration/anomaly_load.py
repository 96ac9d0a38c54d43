"""Load and faults for the anomaly detector's test and benchmark (stdlib only).

    python3 anomaly_load.py workload CPU SECONDS [NICE [PERIOD_MS]]
    python3 anomaly_load.py rtworkload CPU SECONDS
    python3 anomaly_load.py hog CPU SECONDS [NICE]
    python3 anomaly_load.py rthog CPU SECONDS
    python3 anomaly_load.py fifo CPU SECONDS [BURST_MS PERIOD_MS]
    python3 anomaly_load.py flood CPU SECONDS [RR_PRIO]
    python3 anomaly_load.py timers CPU SECONDS [FIFO_PRIO]
    python3 anomaly_load.py overflow PORT SECONDS

workload: the followed "strategy": a busy-polling process and a sleeper that
wakes every PERIOD_MS (default 1) milliseconds, both pinned to CPU at NICE (default 0) and named
jdanom-strat (match it with comm "jdanom-strat").
rtworkload: the same workload out of reach of the machine's ordinary
(SCHED_OTHER) tasks, for tests on a shared machine: the poller SCHED_RR
priority 1, spinning 9 ms of every 10 (so that the CPU's kworkers still
run), the sleeper SCHED_FIFO priority 2.
hog: a busy process named jdanom-hog on CPU (at NICE, default 0).
rthog: a busy SCHED_RR priority 1 process named jdanom-hog on CPU: a hog
at the rtworkload poller's own priority.
fifo: a SCHED_FIFO (priority 10) process named jdanom-fifo on CPU that
spins BURST_MS (default 50) of every PERIOD_MS (default 200): preemption in
bursts.
flood: loopback UDP, sender and reader both on CPU, as fast as they go:
net_tx/net_rx softirq time on CPU (SCHED_RR at RR_PRIO if given, to get
a share of a CPU that a real-time workload holds). Named jdanom-flood.
timers: a timer storm: 20 us sleeps (hrtimers) in a loop on CPU, each a
wakeup and two context switches (SCHED_FIFO at FIFO_PRIO if given).
Named jdanom-timers.
overflow: a UDP socket on 127.0.0.1:PORT with a small receive buffer that
nobody reads, and a burst of datagrams to it every 100 ms: drops for
rcvbuf_full. Named jdanom-burst.

Each prints one line of JSON ({"pids": [...]}) once it runs and exits after
SECONDS (children with it).
"""
import ctypes
import json
import os
import socket
import sys
import time


def rename(name):
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NAME = 15
    if libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")


def spin_until(until):
    n = 0
    while True:
        n += 1
        if n % 10000 == 0 and time.monotonic() > until:
            return


def fork(fn, *args):
    pid = os.fork()
    if pid == 0:
        try:
            fn(*args)
        finally:
            os._exit(0)
    return pid


def ready(pids):
    print(json.dumps({"pids": pids}), flush=True)


def workload(cpu, until, nice=0, period_ms=1):
    rename("jdanom-strat")
    os.sched_setaffinity(0, {cpu})
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    spinner = fork(spin_until, until)
    ready([os.getpid(), spinner])
    while time.monotonic() < until:
        time.sleep(period_ms / 1000)
    os.waitpid(spinner, 0)


def rtworkload(cpu, until):
    rename("jdanom-strat")
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(2))
    spinner = fork(rtpoller, until)
    ready([os.getpid(), spinner])
    while time.monotonic() < until:
        time.sleep(0.001)
    os.waitpid(spinner, 0)


def rtpoller(until):
    os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
    while time.monotonic() < until:
        start = time.monotonic()
        while time.monotonic() - start < 0.009:
            pass
        time.sleep(0.001)


def rthog(cpu, until):
    rename("jdanom-hog")
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
    ready([os.getpid()])
    spin_until(until)


def hog(cpu, until, nice=0):
    rename("jdanom-hog")
    os.sched_setaffinity(0, {cpu})
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    ready([os.getpid()])
    spin_until(until)


def fifo(cpu, until, burst_ms=50, period_ms=200):
    rename("jdanom-fifo")
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    ready([os.getpid()])
    while time.monotonic() < until:
        start = time.monotonic()
        while time.monotonic() - start < burst_ms / 1000:
            pass
        time.sleep((period_ms - burst_ms) / 1000)


def flood(cpu, until, rr_prio=0):
    rename("jdanom-flood")
    os.sched_setaffinity(0, {cpu})
    if rr_prio:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(rr_prio))
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dest = rx.getsockname()
    payload = b"x" * 1024
    ready([os.getpid()])
    while time.monotonic() < until:
        for _ in range(64):
            tx.sendto(payload, dest)
        try:
            while True:
                rx.recv(2048)
        except BlockingIOError:
            pass


def timers(cpu, until, fifo_prio=0):
    rename("jdanom-timers")
    os.sched_setaffinity(0, {cpu})
    if fifo_prio:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(fifo_prio))
    ready([os.getpid()])
    while time.monotonic() < until:
        for _ in range(1000):
            time.sleep(0.00002)


def overflow(port, until):
    rename("jdanom-burst")
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    rx.bind(("127.0.0.1", port))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ready([os.getpid()])
    while time.monotonic() < until:
        for _ in range(200):
            tx.sendto(b"y" * 512, ("127.0.0.1", port))
        time.sleep(0.1)
        # Empty it, so that every burst overflows again.
        rx.setblocking(False)
        try:
            while True:
                rx.recv(2048)
        except BlockingIOError:
            pass


def main():
    what, arg, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    until = time.monotonic() + seconds
    extra = [int(a) for a in sys.argv[4:]]
    {"workload": workload, "rtworkload": rtworkload, "hog": hog, "rthog": rthog, "fifo": fifo, "flood": flood,
     "timers": timers, "overflow": overflow}[what](arg, until, *extra)


if __name__ == "__main__":
    main()
