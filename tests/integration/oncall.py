"""What the on-call tests share (stdlib only): a daemon configured like a
trading host (a housekeeping and an isolated CPU group, a workload, a UDP
and a TCP socket class), a load that makes every panel of the dashboard and
every plot of the live view have something to show (harness.Prometheus
scrapes such a daemon).

Used by test_exposition.py, test_dashboard.py and test_view.py.
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD_COMM = "jd-strat"


class Host:
    """The daemon's config: ports for the classes, chosen free now."""

    def __init__(self):
        cpus = sorted(harness.possible_cpus())
        self.groups = {"housekeeping": str(cpus[0])}
        if len(cpus) > 1:
            self.groups["isolated"] = "%d-%d" % (cpus[1], cpus[-1])
        self.isolated_cpu = cpus[-1]
        self.feed_port = harness.free_port(socket.SOCK_DGRAM)
        self.order_port = harness.free_port()
        # its own, so that no other daemon holds it (collectors.spans.socket)
        self.span_socket = os.path.join(tempfile.gettempdir(), "jd-oncall-%d-%d.sock"
                                        % (os.getpid(), self.order_port))
        self.config = (
            "cpu_groups:\n" + "".join("  %s: \"%s\"\n" % kv for kv in self.groups.items()) +
            "workloads:\n  - { name: strategy, comm: \"%s*\" }\n" % WORKLOAD_COMM +
            "collectors:\n  sockets:\n    enabled: true\n    latency: true\n"
            "    host_drops: true\n    classes:\n"
            "      - { name: md-feed, protocol: udp, local_ports: [%d] }\n"
            "      - { name: order-entry, protocol: tcp, remote_ports: [%d] }\n"
            "  spans: { socket: \"%s\", labels: [venue] }\n"
            "  noise:\n    enabled: true\n    tasks_on_cpus: \"%s\"\n"
            "events:\n  runqueue_latency_threshold: 20us\n  softirq_duration_threshold: 5us\n"
            % (self.feed_port, self.order_port, self.span_socket, self.groups.get("isolated", str(cpus[0]))))


class Load:
    """Until stopped, in a thread: pipe ping-pongs (context switches, run-queue
    waits), a UDP burst into an md-feed receiver that reads only between
    bursts (receive peaks and drops, NET_RX), TCP sends to an order-entry peer (send and
    receive queues), and a workload process with a hog and a sleeper on the
    isolated CPU (workload latency, outliers; not with workload=False: its
    hog would take a CPU from a browser under test), and a process of the
    workload that publishes application spans, one with a label (span_load.py --forever)."""

    def __init__(self, host, workload=True):
        self.host = host
        self.stopping = threading.Event()
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.rx.bind(("127.0.0.1", host.feed_port))
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", host.order_port))
        self.listener.listen(1)
        self.strat = None
        if workload:
            self.strat = harness.NamedLoad(WORKLOAD_COMM, os.path.join(HERE, "runq_load.py"),
                                           host.isolated_cpu, 1, 500, 600)
        self.spans = subprocess.Popen([sys.executable, os.path.join(HERE, "span_load.py"), host.span_socket,
                                       "--forever", WORKLOAD_COMM + "-spans", "labels"])
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        client = socket.create_connection(("127.0.0.1", self.host.order_port))
        server, _ = self.listener.accept()
        with client, server, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            client.setblocking(False)
            while not self.stopping.is_set():
                harness.pipe_pingpong(300)
                for _ in range(200):
                    tx.sendto(b"u" * 500, ("127.0.0.1", self.host.feed_port))
                # Read what the burst left, so that the next one queues (and
                # peaks) again before it overflows.
                try:
                    while self.rx.recv(2048, socket.MSG_DONTWAIT):
                        pass
                except BlockingIOError:
                    pass
                try:
                    client.send(b"o" * 65536)
                except BlockingIOError:
                    pass
                server.setblocking(False)
                try:
                    while server.recv(1 << 16):
                        pass
                except BlockingIOError:
                    pass
                time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        if self.strat:
            self.strat.stop()
        self.spans.kill()
        self.spans.wait()
        self.rx.close()
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
