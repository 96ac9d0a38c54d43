#!/usr/bin/env python3
"""Writes config/grafana/jitterd.json, the Grafana dashboard, from the
table of panels below (one place to read what the dashboard shows).

    scripts/gen-dashboard.py            # rewrite the JSON
    scripts/gen-dashboard.py --check    # exit 1 if the JSON is not what this writes

Every panel has a description (what it means, what a bad value looks
like), a unit, and queries that tests/integration/test_dashboard.py runs
against a real Prometheus scraping jitterd: each must return data.
Quantiles and some rates come from config/prometheus/jitterd-rules.yml.
"""
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "grafana", "jitterd.json")
DS = {"type": "prometheus", "uid": "${datasource}"}
I = 'instance=~"$instance"'
# Per-CPU series of the chosen CPU groups (jitterd_cpu_group_info maps cpu -> cpu_group).
IN_GROUPS = ' and on (instance, cpu) jitterd_cpu_group_info{%s, cpu_group=~"$cpu_group"}' % I


def target(expr, legend="", fmt="time_series", instant=False):
    t = {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": None}
    if fmt != "time_series":
        t["format"] = fmt
    if instant:
        t["instant"] = True
        t["range"] = False
    return t


def timeseries(title, desc, unit, targets, stack=False, fill=10, min0=True):
    custom = {"fillOpacity": fill, "lineWidth": 1, "showPoints": "never", "spanNulls": False}
    if stack:
        custom["stacking"] = {"group": "A", "mode": "normal"}
    defaults = {"unit": unit, "custom": custom}
    if min0:
        defaults["min"] = 0
    return {"type": "timeseries", "title": title, "description": desc, "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["max", "mean"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def heatmap(title, desc, unit, expr, repeat=None):
    p = {"type": "heatmap", "title": title, "description": desc,
         "targets": [target(expr, "{{le}}", fmt="heatmap")],
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
         "options": {"calculate": False, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges", "scale": "exponential", "exponent": 0.5},
                     "yAxis": {"unit": unit}, "rowsFrame": {"layout": "auto"},
                     "tooltip": {"mode": "single", "yHistogram": True}, "legend": {"show": True}}}
    if repeat:
        p["repeat"] = repeat
        p["repeatDirection"] = "h"
    return p


def table(title, desc, unit, targets, rename):
    return {"type": "table", "title": title, "description": desc, "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"showHeader": True},
            "transformations": [{"id": "organize", "options": {
                "excludeByName": {"Time": True, "__name__": True, "job": True},
                "renameByName": rename}}]}


ROWS = [
    ("Run-queue latency", [
        heatmap("Run-queue latency: $cpu_group", "How long threads that became runnable waited for a CPU on the CPUs of this group, as a heatmap of jitterd's histogram buckets (128 ns to 1 s, powers of two) over time. Healthy isolated CPUs keep nearly every wait in the lowest buckets (a few microseconds); cells at 100 us and above on an isolated group mean a thread shared the CPU with the trading thread.",
                "s", 'sum by (le) (rate(jitterd_runqueue_latency_seconds_bucket{%s, cpu_group=~"$cpu_group"}[$__rate_interval]))' % I, repeat="cpu_group"),
        timeseries("Run-queue latency quantiles by CPU group", "p50, p99 and p99.9 of run-queue latency per CPU group over 1 minute (recorded by jitterd-rules.yml). On isolated CPUs p99.9 should stay in single-digit microseconds; the JitterdRunqueueLatencyHigh alert fires above 100 us for 5 minutes. p50 rising with p99 means the whole group is overloaded; p99.9 alone means rare intruders (kworkers, timers, IRQ threads).",
                   "s", [target('instance_cpu_group:jitterd_runqueue_latency_seconds:histogram_quantile1m{%s, cpu_group=~"$cpu_group"}' % I, "{{cpu_group}} p{{quantile}}")], fill=0),
        timeseries("Run-queue latency quantiles by workload", "p50, p99 and p99.9 of run-queue latency of each followed workload's threads over 1 minute (recorded). A trading loop's own threads should see microseconds; milliseconds mean they share their CPU with other runnable threads (or with each other).",
                   "s", [target('instance_workload:jitterd_workload_runqueue_latency_seconds:histogram_quantile1m{%s, workload=~"$workload"}' % I, "{{workload}} p{{quantile}}")], fill=0),
        timeseries("Run-queue latency outliers", "Waits at or over events.runqueue_latency_threshold (100 us by default) per second, per CPU group. Any on an isolated group is worth a look: /events (or the live view) names the thread that waited and the one that held the CPU.",
                   "ops", [target('instance_cpu_group:jitterd_runqueue_latency_outliers:rate1m{%s, cpu_group=~"$cpu_group"}' % I, "{{cpu_group}}")]),
    ]),
    ("Context switches", [
        timeseries("Context switches per CPU by kind", "Context switches per second on each CPU of the chosen groups: voluntary (the thread blocked), involuntary (it was preempted while runnable) and idle (the CPU left idle). A busy-polling isolated CPU shows almost none; involuntary switches there mean another thread competes for it.",
                   "ops", [target('sum by (cpu, kind) (rate(jitterd_context_switches_total{%s}[$__rate_interval])%s)' % (I, IN_GROUPS), "cpu {{cpu}} {{kind}}")], stack=True),
        timeseries("Context switches per workload by kind", "Context switches per second of each workload's threads. Involuntary switches of a trading thread mean it was preempted: something else ran on its CPU.",
                   "ops", [target('sum by (workload, kind) (rate(jitterd_workload_context_switches_total{%s, workload=~"$workload"}[$__rate_interval]))' % I, "{{workload}} {{kind}}")]),
    ]),
    ("Softirqs and interrupts", [
        timeseries("Softirq time per CPU and vector", "Share of each CPU spent in softirq handlers, by vector (stacked; 1 = the whole CPU). Isolated CPUs should show next to none; net_rx there means packets are steered to the CPU (IRQ affinity, RPS), timer/hrtimer means timers still fire there (nohz_full not effective).",
                   "percentunit", [target('sum by (cpu, vector) (rate(jitterd_softirq_seconds_total{%s}[$__rate_interval])%s)' % (I, IN_GROUPS), "cpu {{cpu}} {{vector}}")], stack=True),
        heatmap("Softirq duration", "How long each softirq run took (entry to exit, interrupt handler time taken out), all CPUs and vectors. A thread interrupted by a softirq waits this long; runs over 50 us are also events at /events.",
                "s", 'sum by (le) (rate(jitterd_softirq_duration_seconds_bucket{%s}[$__rate_interval]))' % I),
        heatmap("Softirq raise-to-run latency", "Time from a softirq being raised on a CPU to its handler starting there, all vectors. Long latencies (ms) mean softirqs are deferred to ksoftirqd, which then competes with threads for the CPU.",
                "s", 'sum by (le) (rate(jitterd_softirq_latency_seconds_bucket{%s}[$__rate_interval]))' % I),
        timeseries("Interrupt handler time per CPU", "Share of each CPU spent in device interrupt handlers (1 = the whole CPU). Any on an isolated CPU means an IRQ's affinity includes it (see /proc/irq/*/smp_affinity_list).",
                   "percentunit", [target('sum by (cpu) (rate(jitterd_hardirq_seconds_total{%s}[$__rate_interval])%s)' % (I, IN_GROUPS), "cpu {{cpu}}")]),
    ]),
    ("Interruptions (OS noise)", [
        timeseries("Interruption time per CPU by kind", "Share of each CPU spent in interruptions other than device interrupts and softirqs (noise collector, opt-in): the local timer, IPIs by kind, NMIs (stacked; 1 = the whole CPU). On an isolated nohz_full CPU running one thread, timer should be next to nothing; call_function(_single) means IPIs (TLB shootdowns, smp_call_function), reschedule means wake-ups aimed at the CPU.",
                   "percentunit", [target('sum by (cpu, kind) (rate(jitterd_interruption_seconds_total{%s}[$__rate_interval])%s)' % (I, IN_GROUPS), "cpu {{cpu}} {{kind}}")], stack=True),
        timeseries("Interruptions per CPU by kind", "Interruptions per second on each CPU, by kind (tlb_shootdown counts the TLB flushes received; their time is in the call_function IPIs that carried them). A tick that does not stop shows as HZ timer interruptions a second.",
                   "ops", [target('sum by (cpu, kind) (rate(jitterd_interruptions_total{%s}[$__rate_interval])%s)' % (I, IN_GROUPS), "cpu {{cpu}} {{kind}}")]),
        heatmap("Interruption duration: $cpu_group", "How long single interruptions of the CPUs of this group took, all kinds. Runs over events.interruption_duration_threshold (50 us by default) are events at /events, with who sent an IPI.",
                "s", 'sum by (le) (rate(jitterd_interruption_duration_seconds_bucket{%s, cpu_group=~"$cpu_group"}[$__rate_interval]))' % I, repeat="cpu_group"),
        table("Who causes the interruptions", "The causes of the IPIs and timer runs received by the chosen groups over the last 5 minutes, most time first: the sending task (comm), the kernel code that sent the IPI (caller) and the function it ran (flush_tlb_func: a TLB shootdown from munmap/mprotect of that task's process; ipi_mb: membarrier; for timers the hrtimer callback). The fix of a shootdown storm is in the sending application.",
              "s", [target('topk(10, sum by (cpu_group, kind, task, caller, function) (increase(jitterd_interruption_cause_seconds_total{%s, cpu_group=~"$cpu_group"}[5m])))' % I, fmt="table", instant=True)],
              {"Value": "time in 5m", "cpu_group": "CPU group", "kind": "kind", "task": "sender task", "caller": "sent from", "function": "function run"}),
        timeseries("Tick kept on nohz_full CPUs, by dependency", "Times a second a nohz_full CPU could not stop its tick, by the dependency timer:tick_stop named: posix_timer (a POSIX CPU timer or setitimer of a task there), perf_events, sched (more than one runnable task), rcu, clock_unstable.",
                   "ops", [target('sum by (cpu, dependency) (rate(jitterd_tick_kept_total{%s}[$__rate_interval])%s)' % (I, IN_GROUPS), "cpu {{cpu}} {{dependency}}")]),
        table("Other tasks on the watched CPUs", "Tasks of no workload that ran on collectors.noise.tasks_on_cpus over the last 5 minutes, most time first (kworker with its work function, ksoftirqd, rcuc, migration, stray processes). Each such run took the CPU from the workload; runs over the threshold are intrusion events.",
              "s", [target('topk(10, sum by (cpu_group, task, function) (increase(jitterd_cpu_intruder_seconds_total{%s, cpu_group=~"$cpu_group"}[5m])))' % I, fmt="table", instant=True)],
              {"Value": "time in 5m", "cpu_group": "CPU group", "task": "task", "function": "work function"}),
        timeseries("Noise of each workload", "Share of its running time each workload's threads lost to interruptions (seconds lost per second; a busy-polling thread that never waits in a run queue has its latency here).",
                   "percentunit", [target('sum by (workload) (rate(jitterd_workload_interruption_seconds_total{%s, workload=~"$workload"}[$__rate_interval]))' % I, "{{workload}}")]),
    ]),
    ("Sockets", [
        timeseries("Receive queue peak per socket class", "The largest receive queue any socket of the class had in the last peak_window (10 s by default), in bytes. A peak near the socket's receive buffer (SO_RCVBUF, net.core.rmem_*) means the reader fell behind and drops are next.",
                   "bytes", [target('max by (socket) (jitterd_socket_receive_queue_peak_bytes{%s, socket=~"$socket"})' % I, "{{socket}}")]),
        timeseries("Send queue peak per socket class", "The largest send queue (unacknowledged + unsent bytes) of the TCP sockets of the class in the last peak_window. Growth means the peer or the network does not keep up: orders wait in the kernel.",
                   "bytes", [target('max by (socket) (jitterd_socket_send_queue_peak_bytes{%s, socket=~"$socket"})' % I, "{{socket}}")]),
        timeseries("Socket drops per class and reason", "Packets dropped per second by the sockets of each class, by reason (rcvbuf_full: the application did not read in time; backlog_full, accept_queue_full, memory_limit). Any drop on a market-data class is lost data: the JitterdSocketDrops alert fires after a minute.",
                   "pps", [target('sum by (socket, reason) (instance_socket_reason:jitterd_socket_drops:rate1m{%s, socket=~"$socket"})' % I, "{{socket}} {{reason}}")]),
        timeseries("Receive time per class, by stage", "Mean time of a datagram (UDP) or chunk (TCP) of each class inside the host, stacked by stage (collectors.sockets.latency): stack = arrival (the kernel's RX stamp) to the socket's queue, hol = TCP head-of-line blocking (waiting out of order for a lost segment), reader = queue to the application's read. The stack's height is the mean arrival-to-read time. A tall reader part: the application was late (its thread, its CPU's noise, no busy polling); a tall stack part: the kernel was (IRQ/RPS placement, softirq time, coalescing). See docs/netlat.md.",
                   "s", [target('sum by (socket, stage) (rate(jitterd_socket_receive_stage_seconds_sum{%s, socket=~"$socket"}[$__rate_interval])) / ignoring (stage) group_left sum by (socket) (rate(jitterd_socket_receive_latency_seconds_count{%s, socket=~"$socket"}[$__rate_interval]))' % (I, I), "{{socket}} {{stage}}")], stack=True),
        timeseries("Send time per class, by stage", "Mean time of a packet of each class between its device's queueing layer and the end of the driver's transmit, stacked by stage: qdisc (waiting in the qdisc: a shaper, pacing, a full device queue) and driver (the driver's transmit call). See docs/netlat.md.",
                   "s", [target('sum by (socket, stage) (rate(jitterd_socket_send_stage_seconds_sum{%s, socket=~"$socket"}[$__rate_interval])) / ignoring (stage) group_left sum by (socket) (rate(jitterd_socket_send_latency_seconds_count{%s, socket=~"$socket"}[$__rate_interval]))' % (I, I), "{{socket}} {{stage}}")], stack=True),
        timeseries("Losses before the socket", "Packets lost before any socket saw them, per second (collectors.sockets.host_drops): by a network device's driver (ring full, no buffer, FIFO: ethtool -S) and by a CPU's input backlog (softnet_stat). Beside the classes' own drops, a feed gap is found where it was lost.",
                   "pps", [target('sum by (device, counter) (rate(jitterd_nic_receive_drops_total{%s}[$__rate_interval]))' % I, "{{device}} {{counter}}"),
                           target('sum by (cpu) (rate(jitterd_softnet_dropped_total{%s}[$__rate_interval]))' % I, "backlog cpu {{cpu}}")]),
    ]),
    ("Application spans", [
        heatmap("Span latency: $workload", "Durations of the spans the trading components publish themselves (libjitterd-span: tick received to order sent, or whatever they declared), all spans of the chosen workloads, as a heatmap of the same buckets as run-queue latency. A band moving up is the component getting slower; /events?kind=span_slow says what the OS did on the span's CPU during each slow one.",
                "s", 'sum by (le) (rate(jitterd_span_duration_seconds_bucket{%s, workload=~"$workload"}[$__rate_interval]))' % I),
        timeseries("Span latency p99 by workload and span", "p99 of each published span over the panel's rate interval. Compare with run-queue latency of the same workload above: a span p99 that rises with it is the scheduler; one that rises alone is the component (or what it waits on).",
                   "s", [target('histogram_quantile(0.99, sum by (workload, span, le) (rate(jitterd_span_duration_seconds_bucket{%s, workload=~"$workload"}[$__rate_interval])))' % I, "{{workload}} {{span}} p99")], fill=0),
        timeseries("Slow spans and dropped records", "Spans over their threshold per second (each a span_slow event), and records lost per second by reason: ring_full (the component published faster than jitterd drains: a bigger ring, or a shorter events.drain_interval), no_ring (more publishing threads than rings), invalid (records that failed jitterd's checks: a bug or a hostile publisher).",
                   "ops", [target('sum by (workload, span) (rate(jitterd_span_slow_total{%s, workload=~"$workload"}[$__rate_interval]))' % I, "{{workload}} {{span}} slow"),
                           target('sum by (workload, reason) (rate(jitterd_span_dropped_records_total{%s, workload=~"$workload"}[$__rate_interval]))' % I, "{{workload}} dropped {{reason}}")]),
    ]),
    ("Anomalies and tuning", [
        timeseries("Anomaly score by signal and subject", "How far each signal (run-queue latency, softirq time, drops, ...) is from its own recent baseline on this host, per subject; jitterd_anomaly turns 1 when it is too far. A score rising on one subject points at what changed.",
                   "short", [target('jitterd_anomaly_score{%s}' % I, "{{signal}} {{subject}}")], fill=0, min0=False),
        timeseries("Anomalies per signal", "Anomalies detected per second, per signal. Bursts line up with the incidents; a steady rate means a baseline that no longer fits the host.",
                   "ops", [target('sum by (signal) (rate(jitterd_anomalies_total{%s}[$__rate_interval]))' % I, "{{signal}}")]),
        table("Tuning checks", "Each tuning check of `jitterd doctor` with its severity: 1 = failing now (the host drifted from its latency tuning), 0 = passing. Run `jitterd doctor` on the host for what is wrong and how to fix it.",
              "none", [target('jitterd_tuning_check{%s}' % I, fmt="table", instant=True)],
              {"Value": "failing", "check": "check", "severity": "severity"}),
    ]),
    ("jitterd itself", [
        table("Probes attached", "Each kernel hook jitterd uses, with the attach type this kernel took (tp_btf, raw_tp, tracepoint, fentry, kprobe). attach=none with value 0 means the hook could not attach here: the metrics from it are missing (JitterdProbeNotAttached).",
              "none", [target('jitterd_probe_attached{%s}' % I, fmt="table", instant=True)],
              {"Value": "attached", "probe": "probe", "attach": "attach type"}),
        timeseries("jitterd CPU", "CPU used by the daemon itself (1 = a whole CPU; recorded from process_cpu_seconds_total). Well under 1% is normal; JitterdCpuOverBudget fires over 5% for 15 minutes. The BPF programs' own cost is in the kernel's time, not here.",
                   "percentunit", [target('instance:jitterd_process_cpu_seconds:rate1m{%s}' % I, "{{instance}}")]),
        timeseries("jitterd memory", "Resident memory of the daemon. It should stay flat (tens of MB); steady growth is a leak.",
                   "bytes", [target('process_resident_memory_bytes{%s} and on (instance) jitterd_build_info' % I, "{{instance}}")]),
        timeseries("Scrape duration", "How long jitterd took to read its maps for a scrape (jitterd_scrape_duration_seconds), and the whole scrape as Prometheus saw it (scrape_duration_seconds). A few milliseconds is normal; over 100 ms means the daemon is starved (JitterdScrapeSlow).",
                   "s", [target('jitterd_scrape_duration_seconds{%s}' % I, "jitterd {{instance}}"),
                         target('scrape_duration_seconds{%s} and on (instance) jitterd_build_info' % I, "prometheus {{instance}}")]),
        timeseries("Ring-buffer events and drops", "Notable events received from the BPF ring buffer per second, and those dropped because it was full. Drops mean /events misses events (the counters stay exact): an event storm, or events.drain_interval too long.",
                   "ops", [target('sum by (ring) (rate(jitterd_ringbuf_events_total{%s}[$__rate_interval]))' % I, "{{ring}} received"),
                           target('sum by (ring) (rate(jitterd_ringbuf_dropped_events_total{%s}[$__rate_interval]))' % I, "{{ring}} dropped")]),
    ]),
]


def variable(name, label, query, multi=True, desc=""):
    return {"name": name, "label": label, "type": "query", "datasource": DS, "description": desc,
            "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "sort": 1, "multi": multi, "includeAll": True,
            "allValue": ".*", "current": {"selected": True, "text": ["All"], "value": ["$__all"]}}


def dashboard():
    panels, pid, y = [], 1, 0
    for title, row in ROWS:
        panels.append({"type": "row", "title": title, "id": pid, "collapsed": False, "panels": [],
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        pid += 1
        y += 1
        for n, p in enumerate(row):
            p = dict(p, id=pid, datasource=DS, gridPos={"h": 8, "w": 12, "x": 12 * (n % 2), "y": y + 8 * (n // 2)})
            for i, t in enumerate(p["targets"]):
                t["refId"] = chr(ord("A") + i)
            panels.append(p)
            pid += 1
        y += 8 * ((len(row) + 1) // 2)
    return {
        "title": "jitterd",
        "uid": "jitterd",
        "description": "Scheduler, softirq and socket latency of trading hosts, from jitterd (eBPF). Needs config/prometheus/jitterd-rules.yml loaded in Prometheus for the quantile, outlier, drop and CPU panels.",
        "tags": ["jitterd", "latency", "ebpf"],
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "utc",
        "links": [],
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "hide": 0, "refresh": 1, "regex": "", "description": "The Prometheus that scrapes jitterd."},
            variable("instance", "Host", "label_values(jitterd_build_info, instance)",
                     desc="jitterd targets (host:port), from jitterd_build_info."),
            variable("cpu_group", "CPU group", 'label_values(jitterd_cpu_group_info{instance=~"$instance"}, cpu_group)',
                     desc="cpu_groups of jitterd.yaml (e.g. housekeeping, isolated); per-CPU panels show the CPUs of these groups."),
            variable("workload", "Workload", 'label_values(jitterd_workload_context_switches_total{instance=~"$instance"}, workload)',
                     desc="workloads of jitterd.yaml."),
            variable("socket", "Socket class", 'label_values(jitterd_socket_receive_queue_peak_bytes{instance=~"$instance"}, socket)',
                     desc="collectors.sockets.classes of jitterd.yaml."),
        ]},
        "panels": panels,
    }


def main():
    text = json.dumps(dashboard(), indent=2) + "\n"
    if sys.argv[1:] == ["--check"]:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("config/grafana/jitterd.json is not what scripts/gen-dashboard.py writes: run it")
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
