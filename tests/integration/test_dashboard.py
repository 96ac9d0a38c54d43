"""The Grafana dashboard (config/grafana/jitterd.json): what its generator
writes, valid against Grafana's published dashboard types, every panel
described and with a unit, and every panel's query returning data from a
real Prometheus that scrapes jitterd under load, with jitterd's rules."""
import json
import math
import os
import re
import subprocess
import tempfile
import time

import harness
from harness import Daemon, Prometheus
from oncall import Host, Load

PROBES = ()

DASHBOARD = os.path.join(harness.ROOT, "config", "grafana", "jitterd.json")
NODE_DIR = os.path.join(harness.ROOT, "tests", "node")
# Metrics other branches are adding (the anomaly detector, the tuning checks):
# a panel on them may be empty while the daemon does not export them at all;
# once it does, their panels must show data like every other.
PENDING = {"jitterd_anomaly", "jitterd_anomaly_score", "jitterd_anomalies_total", "jitterd_tuning_check",
           # only for nohz_full CPUs whose tick failed to stop: none on the test host
           "jitterd_tick_kept_total"}
# What Grafana puts in for its own variables at a 1s scrape interval.
BUILTIN = {"$__rate_interval": "4s", "$__interval": "1s", "$__range": "1m"}


def load():
    with open(DASHBOARD) as f:
        return json.load(f)


def panels(d):
    for p in d["panels"]:
        yield p
        yield from p.get("panels", [])


def queries(d):
    """(panel title, expr) of every query of every panel."""
    return [(p["title"], t["expr"]) for p in panels(d) if p["type"] != "row" for t in p["targets"]]


def node_check(*paths):
    script = os.path.join(NODE_DIR, "check-dashboard.mjs")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@grafana", "schema")):
        harness.skip("tests/node/node_modules missing: scripts/install-deps.sh runs npm ci there")
    return subprocess.run(["node", script, *paths], capture_output=True, text=True, timeout=120)


@harness.host_only("needs the repository's scripts/ and config/")
def test_dashboard_is_what_its_generator_writes():
    r = subprocess.run(["/usr/bin/python3", os.path.join(harness.ROOT, "scripts", "gen-dashboard.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


@harness.host_only("needs nodejs and tests/node/node_modules")
def test_dashboard_satisfies_grafanas_published_dashboard_type():
    # The dashboard passes, and the check can fail: a value outside a union, a key Grafana does not know.
    d = load()
    d["panels"][1]["repeatDirection"] = "sideways"
    d["panels"][2]["fieldConfig"]["defaults"]["unitt"] = "s"
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(d, f, indent=2)
        f.flush()
        r = node_check(DASHBOARD, f.name)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "jitterd.json: ok" in r.stdout, r.stdout + r.stderr
    assert "sideways" in r.stderr and "unitt" in r.stderr, r.stdout + r.stderr


@harness.host_only("needs the repository's config/")
def test_every_panel_has_a_description_a_unit_and_a_query():
    d = load()
    titles = [p["title"] for p in panels(d) if p["type"] != "row"]
    assert len(titles) == len(set(titles)), titles
    for p in panels(d):
        if p["type"] == "row":
            continue
        assert len(p.get("description", "")) > 80, p["title"]
        assert p["fieldConfig"]["defaults"].get("unit"), p["title"]
        assert p["targets"] and all(t["expr"] for t in p["targets"]), p["title"]
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
    names = [v["name"] for v in d["templating"]["list"]]
    assert names == ["datasource", "instance", "cpu_group", "workload", "socket"], names


def promql_regex(values):
    """A multi-value variable as Grafana writes it into a regex matcher."""
    escaped = [re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", v).replace("\\", "\\\\") for v in values]
    return "(" + "|".join(escaped) + ")"


def substitute(expr, values):
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("$" + name, values[name])
    for k, v in BUILTIN.items():
        expr = expr.replace(k, v)
    assert "$" not in expr, expr
    return expr


def has_data(result):
    return any(math.isfinite(float(s["value"][1])) for s in result)


@harness.host_only("needs a Prometheus server")
def test_every_panel_query_returns_data_from_prometheus():
    d = load()
    host = Host()
    with Daemon(host.config) as daemon, Load(host), \
            Prometheus(["127.0.0.1:%d" % daemon.port]) as prom:
        # The variables, as Grafana resolves them: label_values(selector, label).
        values = {}
        for v in d["templating"]["list"]:
            if v["type"] != "query":
                continue
            m = re.fullmatch(r"label_values\((.*), (\w+)\)", v["query"]["query"])
            assert m, v
            selector = substitute(m.group(1), values)
            found = prom.wait("variable %s" % v["name"],
                              lambda: prom.api("label/%s/values" % m.group(2), **{"match[]": selector}))
            values[v["name"]] = promql_regex(found)
        assert "isolated" in values["cpu_group"] or len(harness.possible_cpus()) == 1, values
        todo = {(title, substitute(expr, values)) for title, expr in queries(d)}
        exported = {name for name, _ in daemon.scrape()}
        pending = {(t, e) for t, e in todo if any(re.search(r"\b%s\b" % m, e) for m in PENDING - exported)}
        start = time.monotonic()
        while todo - pending and time.monotonic() < start + 90:
            todo = {(t, e) for t, e in todo if not has_data(prom.query(e))}
            time.sleep(1)
        print("every panel had data after %.1fs" % (time.monotonic() - start))
        failing = todo - pending
        assert not failing, "panels whose query returned no data:\n%s\n%s" % (
            "\n".join("  %s: %s" % te for te in sorted(failing)), prom.output())
        for t, e in sorted(pending):
            print("pending (metric not exported yet): %s: %s" % (t, e))
        daemon.stop()
