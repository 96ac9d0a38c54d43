"""Real consumers: promtool lints the exposition; a real Prometheus scrapes it."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import harness
from harness import Daemon

# These tests check consumers of the exposition, not any probe's numbers (see conftest.py).
PROBES = ()


@harness.host_only("needs promtool")
def test_promtool_finds_nothing_to_lint():
    if not shutil.which("promtool"):
        harness.skip("promtool not installed (scripts/install-deps.sh installs it)")
    with Daemon() as d:
        harness.pipe_pingpong(1000)
        _, _, body = d.get("/metrics")
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
        d.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, expr):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr}))
    with urllib.request.urlopen(url, timeout=5) as r:
        data = json.load(r)
    assert data["status"] == "success", data
    return data["data"]["result"]


@harness.host_only("needs a Prometheus server")
def test_prometheus_scrapes_jitterd():
    if not shutil.which("prometheus"):
        harness.skip("prometheus not installed (scripts/install-deps.sh installs it)")
    with Daemon() as d, tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                    "scrape_configs:\n"
                    "  - job_name: jitterd\n"
                    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % d.port)
        port = free_port()
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + tmp + "/data",
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "prom.log"), "w"))
        try:
            up = rate = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                harness.pipe_pingpong(2000)
                time.sleep(1)
                try:
                    up = query(port, 'up{job="jitterd"}')
                    rate = query(port, 'sum(rate(jitterd_context_switches_total[5s]))')
                except (OSError, ValueError):
                    continue
                if up and up[0]["value"][1] == "1" and rate and float(rate[0]["value"][1]) > 0:
                    break
            assert up and up[0]["value"][1] == "1", "up: %r\n%s" % (up, open(os.path.join(tmp, "prom.log")).read())
            assert rate and float(rate[0]["value"][1]) > 0, "rate: %r" % rate
        finally:
            prom.terminate()
            prom.wait(30)
        d.stop()
