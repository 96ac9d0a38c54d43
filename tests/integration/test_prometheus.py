"""Real consumers: promtool lints the exposition; a real Prometheus scrapes it."""
import shutil
import subprocess

import harness
from harness import Daemon, Prometheus

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


@harness.host_only("needs a Prometheus server")
def test_prometheus_scrapes_jitterd_as_openmetrics():
    # Prometheus asks for OpenMetrics first: the unit it keeps as metadata
    # exists only in OpenMetrics (# UNIT), under the counter's family name
    # without _total, while the series keeps its _total.
    with Daemon() as d, Prometheus(["127.0.0.1:%d" % d.port], rules=False) as prom:
        up = prom.wait("up", lambda: [s for s in prom.query('up{job="jitterd"}') if s["value"][1] == "1"],
                       during=lambda: harness.pipe_pingpong(2000))
        assert up
        rate = prom.wait("a context switch rate",
                         lambda: [s for s in prom.query('sum(rate(jitterd_context_switches_total[5s]))')
                                  if float(s["value"][1]) > 0],
                         during=lambda: harness.pipe_pingpong(2000))
        assert rate
        meta = prom.wait("metadata", lambda: prom.api("targets/metadata", metric="jitterd_softirq_seconds"))
        assert [(m["type"], m["unit"]) for m in meta] == [("counter", "seconds")], meta
        assert prom.query("jitterd_softirq_seconds_total"), "the series keeps its _total"
        d.stop()
