"""The exposition formats: OpenMetrics 1.0 when the scraper asks for it
(checked by python3-prometheus-client's strict parser), the text format
0.0.4 otherwise, gzip when the scraper takes it."""
import gzip
import time
import urllib.request

import harness
from harness import Daemon
from oncall import Host, Load

PROBES = ()

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT = "text/plain; version=0.0.4; charset=utf-8"


def fetch(d, **headers):
    req = urllib.request.Request(d.url("/metrics"), headers=headers)
    with urllib.request.urlopen(req, timeout=harness.SCRAPE_TIMEOUT) as r:
        return dict(r.headers), r.read()


def series(text):
    """{name+labels} of a text or OpenMetrics body, values aside."""
    return set(harness.parse_metrics(text.replace("# EOF\n", "")))


# Families whose rows are a top N (the noise collector's causes and intruders): a row can
# come or go between two scrapes, so two scrapes compare by their other series.
TOP_N = ("jitterd_interruption_cause_", "jitterd_cpu_intruder_")


def steady(samples):
    return {s for s in samples if not s[0].startswith(TOP_N)}


def steady_series(text):
    return steady(series(text))


@harness.host_only("needs python3-prometheus-client")
def test_openmetrics_passes_the_strict_parser_with_units_and_total():
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    host = Host()
    with Daemon(host.config) as d, Load(host):
        harness.pipe_pingpong(2000)
        headers, body = fetch(d, Accept=PROMETHEUS_ACCEPT)
        assert headers["Content-Type"] == OPENMETRICS
        text = body.decode()
        assert text.endswith("\n# EOF\n")
        families = {f.name: f for f in text_string_to_metric_families(text)}
        # Every kind of family the daemon has, histograms with labels included.
        for name in ("jitterd_context_switches", "jitterd_runqueue_latency_seconds",
                     "jitterd_workload_runqueue_latency_seconds", "jitterd_socket_drops",
                     "jitterd_socket_receive_queue_bytes", "jitterd_softirq_seconds",
                     "jitterd_probe_attached", "process_cpu_seconds"):
            assert name in families, sorted(families)
        # A family whose series differ in their labels: spans with and without venue.
        want = {frozenset({"workload", "span", "le"}), frozenset({"workload", "span", "venue", "le"})}
        for _ in range(50):
            f = families.get("jitterd_span_duration_seconds")
            spans = {frozenset(s.labels) for s in f.samples if s.name.endswith("_bucket")} if f else set()
            if want <= spans:
                break
            time.sleep(0.1)
            families = {f.name: f for f in text_string_to_metric_families(
                fetch(d, Accept=PROMETHEUS_ACCEPT)[1].decode())}
        assert want <= spans, spans
        for f in families.values():
            if f.type == "counter":
                assert all(s.name == f.name + "_total" for s in f.samples), f
            unit = next((u for u in ("seconds", "bytes") if f.name.endswith("_" + u)), "")
            assert f.unit == unit, (f.name, f.unit)
        # The same series as the text format, nothing lost or renamed. A
        # series may appear between two scrapes (an anomaly subject seen
        # for the first time): the comparison counts once the text format
        # read just before and just after the OpenMetrics one agree.
        # (Top-N rows can be replaced at any scrape: those families compare by name.)
        for _ in range(10):
            before = series(fetch(d)[1].decode())
            om = series(fetch(d, Accept=PROMETHEUS_ACCEPT)[1].decode())
            after = series(fetch(d)[1].decode())
            if steady(before) == steady(after):
                break
        assert steady(before) == steady(after), "the series kept changing between scrapes"
        assert steady(om) == steady(before), (sorted(om - before), sorted(before - om))
        families = [{name for name, _ in x} for x in (before, om, after)]
        assert families[0] <= families[1] <= families[0] | families[2], "a family lost or renamed"
        d.stop()


@harness.host_only("HTTP behaviour, the same on every kernel")
def test_text_format_unless_openmetrics_is_preferred():
    with Daemon() as d:
        for accept in (None, "*/*", "text/plain", "application/openmetrics-text;q=0.2,text/plain;q=0.5"):
            headers, body = fetch(d, **({"Accept": accept} if accept else {}))
            assert headers["Content-Type"] == TEXT, accept
            assert "# EOF" not in body.decode()
            assert headers["Vary"] == "Accept, Accept-Encoding"
        headers, _ = fetch(d, Accept="application/openmetrics-text; version=0.0.1")
        assert headers["Content-Type"] == OPENMETRICS.replace("1.0.0", "0.0.1")
        d.stop()


@harness.host_only("HTTP behaviour, the same on every kernel")
def test_gzip_when_accepted_same_content_fewer_bytes():
    host = Host()
    with Daemon(host.config) as d:
        harness.pipe_pingpong(1000)
        headers, raw = fetch(d, **{"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Vary"] == "Accept, Accept-Encoding"
        assert int(headers["Content-Length"]) == len(raw)
        text = gzip.decompress(raw).decode()
        plain_headers, plain = fetch(d)
        assert "Content-Encoding" not in plain_headers
        assert steady_series(text) == steady_series(plain.decode())
        # Repetitive label sets: a fifth of the size at most.
        assert len(raw) * 5 < len(plain), (len(raw), len(plain))
        headers, raw = fetch(d, Accept=PROMETHEUS_ACCEPT, **{"Accept-Encoding": "gzip"})
        assert gzip.decompress(raw).decode().endswith("# EOF\n")
        d.stop()
