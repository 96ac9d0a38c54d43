"""The live view (/view): a self-contained page that, in a real headless
Chromium (Debian's), loads without a console error and plots run-queue
latency, softirq time and socket peaks and drops, and lists events, from
the daemon under load; receive and send time per class by stage from a
fixture's two scrapes. The test leaves a screenshot in build/.

It also reads right where a reader could be misled: the same page, fed
the data of each such case (an empty socket class, an event with a
latency_ns field, three anomalies among 45 normal signals)."""
import functools
import json
import os
import re
import subprocess
import tempfile

import harness
from harness import Daemon
from oncall import Host, Load

PROBES = ()

NODE_DIR = os.path.join(harness.ROOT, "tests", "node")
SCREENSHOT = os.path.join(harness.ROOT, "build", "test-artifacts", "view.png")


@harness.host_only("HTTP behaviour, the same on every kernel")
def test_view_is_one_small_self_contained_page():
    with Daemon() as d:
        status, headers, body = d.get("/view")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert len(body.encode()) < 64 * 1024, len(body)
        # Nothing from elsewhere: no external script, style, image or font.
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", body), "external asset"
        assert not re.search(r"""url\(\s*["']?(https?:)?//""", body), "external asset in CSS"
        assert "<script src" not in body
        _, _, landing = d.get("/")
        assert 'href="/view"' in landing
        d.stop()


def need_chromium():
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
        harness.skip("tests/node/node_modules missing: scripts/install-deps.sh runs npm ci there")
    if not os.path.exists("/usr/bin/chromium"):
        harness.skip("chromium not installed (scripts/install-deps.sh installs it)")
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_plots_data_in_headless_chromium_without_console_errors():
    need_chromium()
    host = Host()
    with Daemon(host.config) as d, Load(host, workload=False):
        r = subprocess.run(["node", os.path.join(NODE_DIR, "check-view.mjs"), d.url("/view"), SCREENSHOT, "60"],
                           capture_output=True, text=True, timeout=120)
        assert r.stdout.strip(), r.stderr
        state = json.loads(r.stdout.strip().splitlines()[-1])
        assert r.returncode == 0, (state, r.stderr)
        assert not state["errors"], state
        assert set(state["heatmaps"]) == set(host.groups), state
        for plot in ("softirq", "peaks", "drops"):
            assert len(set(state[plot]["axis"])) == len(state[plot]["axis"]) >= 2, (plot, state[plot])
        # The events came by a stream after one fetch of the newest. Under this load (thousands of
        # outliers a second) the daemon may cut the page's stream: each cut the page saw is one
        # the daemon counted, and after one the page fetches events at each poll.
        cut = harness.total(d.scrape(), "jitterd_events_followers_cut_total")
        limits = [q for q in state["event_requests"] if "limit=" in q]
        assert state["streamed"] > 0 and state["follows"] >= 1, state
        assert state["streams_cut"] == cut, (cut, state)
        if not cut:
            assert len(limits) == 1 < state["polls"], state
        assert os.path.getsize(SCREENSHOT) > 10000
        print("screenshot: %s (%s)" % (SCREENSHOT, state))
        d.stop()


# What the page reads in place of the daemon's /metrics: one socket class
# that has seen nothing, and 48 anomaly signals of which three are raised,
# listed in rising score among the normal ones, and one normal signal that
# scores above a raised one (thresholds differ by signal).
def fixture_metrics():
    lines = ['jitterd_build_info{version="test",kernel="6.1.0"} 1',
             'jitterd_socket_receive_queue_peak_bytes{socket="md-feed"} 0',
             'jitterd_socket_send_queue_peak_bytes{socket="md-feed"} 0',
             'jitterd_socket_drops_total{socket="md-feed",reason="rcvbuf_full"} 0']
    raised = {7: 4.5, 20: 9.25, 33: 6.0}
    for i in range(48):
        signal, subject = "signal_%02d" % i, "cpu%d" % (i % 4)
        lines.append('jitterd_anomaly{signal="%s",subject="%s"} %d' % (signal, subject, i in raised))
        score = raised.get(i, 5.0 if i == 40 else 0.5 + i / 100)
        lines.append('jitterd_anomaly_score{signal="%s",subject="%s"} %g' % (signal, subject, score))
    return "\n".join(lines) + "\n"


# And in place of /events: one event of each collector that has *_ns fields.
FIXTURE_EVENTS = [
    {"time": "2026-12-07T00:00:01.123456789Z", "cpu": 3, "type": "runqueue_latency", "pid": 4242, "comm": "md-feed",
     "latency_ns": 485000, "prev_pid": 1, "prev_comm": "systemd", "prev_ran_ns": 1500},
    {"time": "2026-12-07T00:00:02.123456789Z", "cpu": 1, "type": "softirq", "vector": "NET_RX",
     "duration_ns": 2500000, "hardirq_ns": 12000},
    {"time": "2026-12-07T00:00:03.123456789Z", "cpu": 1, "type": "interruption", "kind": "call_function_single",
     "duration_ns": 23000, "sender": {"cpu": 0, "pid": 1234, "tgid": 1234, "comm": "java",
                                      "caller": "on_each_cpu_cond_mask+0x20", "function": "flush_tlb_func"}},
]


@functools.lru_cache(maxsize=None)
def view_of_fixture(follow_status=0, polls=2):
    """The page from a real daemon, shown the fixture's data: check-view.mjs's state."""
    return view_of((fixture_metrics(),) * polls, follow_status,
                   "-fixture%s" % ("-%d" % follow_status if follow_status else ""))


def view_of(metrics, follow_status=0, suffix="-fixture"):
    """The page shown one metrics text per poll (the last repeats): check-view.mjs's state."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f, Daemon() as d:
        json.dump({"metrics": list(metrics), "follow_status": follow_status,
                   "events": "".join(json.dumps(e) + "\n" for e in FIXTURE_EVENTS)}, f)
        f.flush()
        shot = SCREENSHOT.replace(".png", suffix + ".png")
        r = subprocess.run(["node", os.path.join(NODE_DIR, "check-view.mjs"), d.url("/view"), shot, "30", f.name],
                           capture_output=True, text=True, timeout=120)
        assert r.stdout.strip(), r.stderr
        state = json.loads(r.stdout.strip().splitlines()[-1])
        assert r.returncode == 0 and not state["errors"], (state, r.stderr)
        d.stop()
        return state


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_labels_an_empty_plot_axis_with_distinct_ticks_from_zero():
    need_chromium()
    state = view_of_fixture()
    for plot in ("peaks", "drops"):
        axis = state[plot]["axis"]
        assert len(axis) >= 2 and len(set(axis)) == len(axis), (plot, axis)
        assert re.fullmatch(r"0(\.0+)?\D*", axis[0]), (plot, axis)
    assert state["peaks"]["axis"] == ["0 B", "1 B"], state["peaks"]


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_names_event_durations_in_the_unit_it_shows():
    need_chromium()
    details = view_of_fixture()["event_details"]
    assert len(details) == len(FIXTURE_EVENTS), details
    assert not any("_ns=" in d for d in details), details
    ipi, softirq, runq = details  # newest first
    assert "latency=485 µs" in runq and "prev_ran=1.5 µs" in runq, runq
    assert "duration=2.5 ms" in softirq and "hardirq=12 µs" in softirq, softirq
    # An IPI's sender is an object: its members, not "[object Object]".
    assert "duration=23 µs" in ipi and "sender=(cpu=0 pid=1234 tgid=1234 comm=java " \
        "caller=on_each_cpu_cond_mask+0x20 function=flush_tlb_func)" in ipi, ipi


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_lists_raised_anomalies_first_by_score_and_folds_the_normal_ones():
    need_chromium()
    state = view_of_fixture()
    rows = state["anomalies"]
    assert [r[1] for r in rows[:3]] == ["signal_20", "signal_33", "signal_07"], rows
    assert all(r[0] == "raised" and r[3] == "ANOMALY" for r in rows[:3]), rows
    assert len(rows) == 4 and rows[3][0] == "fold" and "45 normal signals" in rows[3][1], rows
    unfolded = state["anomalies_unfolded"]
    assert unfolded[:4] == rows[:3] + [[rows[3][0], rows[3][1].replace("show", "hide")]], unfolded
    normal = unfolded[4:]
    assert len(normal) == 45 and all(r[0] == "normal" for r in normal), unfolded
    assert normal[0][1] == "signal_40", normal[0]


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_shows_each_event_once_across_streams_that_repeat_them():
    need_chromium()
    # Each stream of the fixture repeats its events and ends: the page follows again at the
    # next poll, from the newest event shown, and shows each event once.
    state = view_of_fixture(polls=4)
    assert state["follows"] >= 3 and state["event_details"] == view_of_fixture()["event_details"], state
    assert len(state["event_details"]) == len(FIXTURE_EVENTS), state
    since = [q for q in state["event_requests"] if "follow=1" in q][-1]
    assert "since=" + FIXTURE_EVENTS[-1]["time"].replace(":", "%3A") in since, state


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_fetches_events_at_each_poll_while_the_daemon_refuses_it_a_stream():
    need_chromium()
    # 503 is what the daemon answers a follower beyond its share of the connections.
    state = view_of_fixture(follow_status=503, polls=4)
    limits = [q for q in state["event_requests"] if "limit=" in q]
    assert state["follows"] == 0 and len(limits) >= state["polls"] >= 4, state
    assert state["streams_refused"] >= state["polls"] - 1, state
    assert len(state["event_details"]) == len(FIXTURE_EVENTS), state


# Two scrapes of a class's stage histograms (sums in seconds, counts): between them, md-feed's
# 100 datagrams read spent 640 us in all in the stack and 50 ms with the reader, and its 100
# packets sent 6.4 ms in the qdisc and 300 us in the driver.
STAGES = [
    {"receive_stage": {"stack": 0.001, "reader": 0.2}, "receive_count": 10,
     "send_stage": {"qdisc": 0.001, "driver": 0.0001}, "send_count": 10},
    {"receive_stage": {"stack": 0.00164, "reader": 0.25}, "receive_count": 110,
     "send_stage": {"qdisc": 0.0074, "driver": 0.0004}, "send_count": 110},
]


def stage_metrics(scrape):
    lines = ['jitterd_build_info{version="test",kernel="6.1.0"} 1']
    for way in ("receive", "send"):
        for stage, v in scrape[way + "_stage"].items():
            lines.append('jitterd_socket_%s_stage_seconds_sum{socket="md-feed",stage="%s"} %r'
                         % (way, stage, v))
        lines.append('jitterd_socket_%s_latency_seconds_count{socket="md-feed"} %d'
                     % (way, scrape[way + "_count"]))
    return "\n".join(lines) + "\n"


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_plots_receive_and_send_time_per_class_by_stage():
    """Each stage's line is the interval's time in that stage over the datagrams (packets) of
    the interval: 6.4 us stack and 500 us reader, 64 us qdisc and 3 us driver."""
    need_chromium()
    state = view_of([stage_metrics(x) for x in STAGES], suffix="-stages")
    for plot, means in (("netlat", {"stack": 6.4e-6, "reader": 5e-4}),
                        ("netsend", {"qdisc": 6.4e-5, "driver": 3e-6})):
        p = state[plot]
        # One point per stage: the first poll has no interval yet.
        assert p["points"] == len(means), (plot, p)
        assert abs(p["max"] - max(means.values())) < 1e-12, (plot, p)
        assert sorted(e.split(" ")[1] for e in p["legend"]) == sorted(means), (plot, p)
        assert all(e.startswith("md-feed ") for e in p["legend"]), (plot, p)
    legend = dict(e.split(" ", 2)[1:] for e in state["netsend"]["legend"])
    assert legend == {"qdisc": "64 µs", "driver": "3.0 µs"}, state["netsend"]
    legend = dict(e.split(" ", 2)[1:] for e in state["netlat"]["legend"])
    assert legend == {"stack": "6.4 µs", "reader": "500 µs"}, state["netlat"]
