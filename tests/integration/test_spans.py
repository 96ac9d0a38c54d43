"""Application spans (docs/spans.md): components publish through
libjitterd-span; jitterd's histograms must be what they published.

The publishers are tests/integration/span_load.c (make builds it into
build/tests/span_load, linked with build/client/libjitterd-span.a) and
span_load.py (the Python binding). Each keeps its own record of every span it published, and the
test holds jitterd's jitterd_span_duration_seconds to it:

- CLOCK_MONOTONIC spans: counts equal, every bucket equal, the sum equal
  to the nanosecond: jitterd converts nothing.
- TSC spans: counts equal; jitterd converts ticks to ns with its own
  estimate of the TSC's rate, the publisher with its own. The two differ by
  a few parts per million (each is a ratio of two clock reads taken tens of
  ms or more apart, bracketed to a microsecond or so), so a span whose
  length lies within RATE_TOLERANCE of a bucket's bound may land in the
  bucket on either side of it: such spans are counted as "either", and
  each bucket must hold between the certain ones and the certain plus
  the "either" ones that border it. The sum agrees to RATE_TOLERANCE.
- Drops: whatever the daemon read plus what the publishers counted as
  dropped is exactly what they published.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import harness
from harness import Daemon, select

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BUILD = os.path.dirname(harness.JITTERD)
LIB = os.environ.get("JITTERD_SPAN_LIB") or os.path.join(BUILD, "client", "libjitterd-span.so")
PROBES = ["sched_switch"]
# Two estimates of the TSC's rate (ours: over the publisher's run; the
# daemon's: over its own life) agree far better than this; 1e-3 covers a
# loaded TCG guest whose clock reads take tens of microseconds.
RATE_TOLERANCE = 1e-3
FIRST_LOG2, LAST_LOG2 = 7, 30


def build_load(tmp):
    """span_load (make builds it: the vmtest guests have no compiler; they
    name it in JITTERD_SPAN_LOAD), whose name the workload's comm glob matches."""
    exe = os.environ.get("JITTERD_SPAN_LOAD") or os.path.join(BUILD, "tests", "span_load")
    assert os.access(exe, os.X_OK), "%s is missing: make builds it" % exe
    return exe


def config(tmp, extra=""):
    return ("workloads:\n"
            "  - { name: spanners, comm: \"span_load*\" }\n"
            "  - { name: pyspans, comm: \"pyspan*\" }\n"
            "collectors:\n"
            "  sched: { enabled: false }\n"
            "  softirq: { enabled: false }\n"
            "  sockets: { enabled: false }\n"
            "  spans:\n"
            "    socket: %s/spans.sock\n"
            "    max_threads: 64\n"
            "%s" % (tmp, extra))


class Publisher:
    def __init__(self, args, env=None):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, **(env or {})})
        first = self.p.stdout.readline()
        assert first.startswith("registered"), (first, self.p.stdout.read())

    def line(self):
        return self.p.stdout.readline()

    def finish(self):
        try:
            self.p.stdin.write("\n")
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        return self.p.wait(30)


def bucket_of(ns):
    """The run-queue histogram's rule: bucket i holds ns <= 2^(7+i); the last is +Inf."""
    for i in range(LAST_LOG2 - FIRST_LOG2 + 1):
        if ns <= 1 << (FIRST_LOG2 + i):
            return i
    return LAST_LOG2 - FIRST_LOG2 + 1


def histogram(samples, workload, span):
    """(per-bucket counts, count, sum in ns) of one series, from the exposition."""
    buckets = select(samples, "jitterd_span_duration_seconds_bucket", workload=workload, span=span)
    cum = sorted((float(dict(k[1])["le"]), v) for k, v in buckets.items())
    per, prev = [], 0
    for _, v in cum:
        per.append(int(v - prev))
        prev = v
    count = harness.total(samples, "jitterd_span_duration_seconds_count", workload=workload, span=span)
    total = harness.total(samples, "jitterd_span_duration_seconds_sum", workload=workload, span=span)
    return per, int(count), round(total * 1e9)


def wait_count(d, workload, span, want, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        s = d.scrape()
        got = histogram(s, workload, span)[1]
        if got >= want or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


def read_out(path):
    lengths, meta = {}, {}
    with open(path) as f:
        for line in f:
            a, b = line.split()
            if a.isdigit():
                lengths.setdefault(int(a), []).append(int(b))
            else:
                meta[a] = float(b)
    return lengths, meta


def dropped(samples, workload, reason=None):
    labels = {"workload": workload}
    if reason:
        labels["reason"] = reason
    return int(harness.total(samples, "jitterd_span_dropped_records_total", **labels))


def check_exact(samples, workload, span, lengths):
    per, count, total = histogram(samples, workload, span)
    want = [0] * (LAST_LOG2 - FIRST_LOG2 + 2)
    for ns in lengths:
        want[bucket_of(ns)] += 1
    assert count == len(lengths), (span, count, len(lengths))
    assert per == want, (span, per, want)
    assert total == sum(lengths), (span, total, sum(lengths))


def check_converted(samples, workload, span, ticks, rate):
    per, count, total = histogram(samples, workload, span)
    n = LAST_LOG2 - FIRST_LOG2 + 2
    certain, either = [0] * n, [0] * n
    for t in ticks:
        ns = t * rate
        lo, hi = bucket_of(ns * (1 - RATE_TOLERANCE)), bucket_of(ns * (1 + RATE_TOLERANCE))
        if lo == hi:
            certain[lo] += 1
        else:
            either[lo] += 1
            either[hi] += 1
    assert count == len(ticks), (span, count, len(ticks))
    for b in range(n):
        assert certain[b] <= per[b] <= certain[b] + either[b], (span, b, per, certain, either)
    want = sum(ticks) * rate
    assert abs(total - want) <= RATE_TOLERANCE * want + len(ticks), (span, total, want)
    return sum(either) // 2


def test_spans_monotonic_exact():
    """Busy spans and sleeps of known length, CLOCK_MONOTONIC: every bucket and the sum exact."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        out = os.path.join(tmp, "out")
        n = harness.load(3000)
        with Daemon(config(tmp)) as d:
            pub = Publisher([exe, "exact", tmp + "/spans.sock", "mono", str(n), out])
            assert pub.line().strip() == "done"
            lengths, meta = read_out(out)
            s = wait_count(d, "spanners", "other", len(lengths[3]))
            s = wait_count(d, "spanners", "busy", len(lengths[0]))
            assert meta["dropped"] == 0
            check_exact(s, "spanners", "busy", lengths[0])
            check_exact(s, "spanners", "other", lengths[3])
            check_exact(s, "spanners", "synthetic", lengths[2])
            # begin()/end() around sleeps of 50 us or more: their count, and none shorter
            per, count, _ = histogram(s, "spanners", "sleep")
            assert count == (n + 9) // 10, count
            assert sum(per[:bucket_of(50000)]) == 0, per
            assert dropped(s, "spanners") == 0
            assert harness.total(s, "jitterd_span_publishers", workload="spanners") == 1
            pub.finish()


def test_spans_tsc_converted():
    """The same with the TSC: jitterd converts; buckets equal or one away at a bound (see the top)."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        out = os.path.join(tmp, "out")
        n = harness.load(3000)
        with Daemon(config(tmp)) as d:
            if "TSC" in d.output() and "not invariant" in d.output():
                raise harness.NotApplicable("this machine's TSC is not invariant: jitterd refuses TSC spans")
            pub = Publisher([exe, "exact", tmp + "/spans.sock", "tsc", str(n), out])
            assert pub.line().strip() == "done"
            lengths, meta = read_out(out)
            wait_count(d, "spanners", "other", len(lengths[3]))
            s = wait_count(d, "spanners", "busy", len(lengths[0]))
            either = check_converted(s, "spanners", "busy", lengths[0], meta["rate"])
            either += check_converted(s, "spanners", "other", lengths[3], meta["rate"])
            either += check_converted(s, "spanners", "synthetic", lengths[2], meta["rate"])
            print("TSC spans within %g of a bucket bound: %d of %d" %
                  (RATE_TOLERANCE, either, sum(map(len, lengths.values()))))
            pub.finish()


def test_spans_tsc_to_monotonic():
    """A TSC span's end, converted by jitterd, against CLOCK_REALTIME read around it."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        out = os.path.join(tmp, "out")
        with Daemon(config(tmp)) as d:
            if "not invariant" in d.output():
                raise harness.NotApplicable("this machine's TSC is not invariant: jitterd refuses TSC spans")
            time.sleep(1)  # the daemon's rate estimate over a second, as it has in service
            pub = Publisher([exe, "stamp", tmp + "/spans.sock", out])
            assert pub.line().strip() == "done"
            before, after = map(int, open(out).read().split())
            ev = None
            for _ in range(100):
                _, _, body = d.get("/events?kind=span_slow")
                if body.strip():
                    ev = json.loads(body.splitlines()[-1])
                    break
                time.sleep(0.1)
            assert ev, "no span_slow event"
            t = ev["time"]
            sec = time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            got = int(sec) * 10**9 + int(t[20:29])
            # The rate's error (a few ppm) times the distance from the daemon's
            # last reference pair (a drain interval, 0.1 s), plus the clock
            # reads' own width: microseconds. 100 us is that with room for a
            # loaded guest, and still far below any span it would misplace.
            assert before - 100000 <= got <= after + 100000, (before, got, after, got - before)
            print("TSC end converted by jitterd: %+d ns from CLOCK_REALTIME" % (got - (before + after) // 2))
            pub.finish()


def test_spans_many_threads_and_processes():
    """3 processes x 8 threads at once, 6 rings each: every record read or counted as dropped."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        per = harness.load(20000)
        with Daemon(config(tmp)) as d:
            pubs = [Publisher([exe, "threads", tmp + "/spans.sock", "8", str(per)]) for _ in range(3)]
            told = sum(int(p.line().split()[1]) for p in pubs)
            want = 3 * 8 * per
            deadline = time.monotonic() + 30
            while True:
                s = d.scrape()
                _, count, total = histogram(s, "spanners", "synthetic")
                lost = dropped(s, "spanners")
                if count + lost >= want or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert count + lost == want, (count, lost, want)
            assert lost == told, (lost, told)
            assert dropped(s, "spanners", "invalid") == 0
            assert harness.total(s, "jitterd_span_publishers", workload="spanners") == 3
            print("records: %d read, %d dropped (%d no ring)" % (count, lost, dropped(s, "spanners", "no_ring")))
            for p in pubs:
                p.finish()


def test_spans_full_ring_drops_exact():
    """A 16-slot ring filled as fast as a thread can: drops exact, the publisher never waits."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        n = harness.load(2000000)
        with Daemon(config(tmp)) as d:
            pub = Publisher([exe, "fill", tmp + "/spans.sock", str(n)])
            words = pub.line().split()
            told, worst, over = int(words[1]), float(words[3]), int(words[5])
            time.sleep(0.5)
            s = d.scrape()
            _, count, total = histogram(s, "spanners", "busy")
            assert count + dropped(s, "spanners") == n, (count, dropped(s, "spanners"), n)
            assert dropped(s, "spanners", "ring_full") == told > 0, told
            assert total == 1000 * count
            # Reported, not judged (a shared machine preempts anything): the
            # slowest record includes any preemption between its two TSC reads.
            print("full ring: %d of %d dropped; while full: slowest record %.0f ns, %d over 1 us"
                  % (told, n, worst, over))
            pub.finish()


def test_spans_publisher_killed_mid_write():
    """SIGKILL while publishing: jitterd keeps running and counts what was written."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        countfile = os.path.join(tmp, "count")
        open(countfile, "wb").write(b"\0" * 8)
        with Daemon(config(tmp)) as d:
            pub = Publisher([exe, "forever", tmp + "/spans.sock", countfile])
            time.sleep(1)
            pub.p.kill()
            pub.p.wait()
            written = int.from_bytes(open(countfile, "rb").read(8), "little")
            deadline = time.monotonic() + 20
            while harness.total(d.scrape(), "jitterd_span_publishers", workload="spanners") != 0:
                assert time.monotonic() < deadline, "jitterd did not see the publisher go"
                time.sleep(0.1)
            s = d.scrape()
            _, count, _ = histogram(s, "spanners", "busy")
            lost = dropped(s, "spanners")
            # the record in flight may have been committed before its count was
            assert written <= count + lost <= written + 1, (written, count, lost)
            assert dropped(s, "spanners", "invalid") == 0
            assert d.proc.poll() is None
            assert "publisher %d (workload spanners) left" % pub.p.pid in d.output()


def test_spans_python_binding():
    """The Python binding publishes the same way: its own record of lengths held exact."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        out = os.path.join(tmp, "out")
        with Daemon(config(tmp)) as d:
            pub = Publisher([sys.executable, os.path.join(HERE, "span_load.py"), tmp + "/spans.sock", out],
                            env={"JITTERD_SPAN_LIB": LIB})
            assert pub.line().strip() == "done"
            lengths, meta = read_out(out)
            wait_count(d, "pyspans", "slept", 20)
            s = wait_count(d, "pyspans", "busy", len(lengths[1]))
            check_exact(s, "pyspans", "known", lengths[0])
            check_exact(s, "pyspans", "busy", lengths[1])
            per, count, _ = histogram(s, "pyspans", "slept")
            assert count == 20 and sum(per[:bucket_of(1000000)]) == 0, per
            assert harness.total(s, "jitterd_span_marks_total", workload="pyspans", span="marked") == 50
            assert meta["dropped"] == 0 and dropped(s, "pyspans") == 0
            # 5 ms spans over the default threshold (events.span_duration_threshold: 1ms)
            assert harness.total(s, "jitterd_span_slow_total", workload="pyspans", span="known") == 100
            pub.finish()


def exact_histogram(samples, **labels):
    """histogram() of the one series whose labels (but le) are exactly these."""
    want = set(labels.items())
    per, prev, count, total = [], 0, None, None
    buckets = []
    for (name, ls), v in samples.items():
        ls = set(ls)
        if name == "jitterd_span_duration_seconds_bucket" and ls - {("le", dict(ls)["le"])} == want:
            buckets.append((float(dict(ls)["le"]), v))
        elif name == "jitterd_span_duration_seconds_count" and ls == want:
            count = int(v)
        elif name == "jitterd_span_duration_seconds_sum" and ls == want:
            total = round(v * 1e9)
    assert count is not None, ("no series", labels)
    for _, v in sorted(buckets):
        per.append(int(v - prev))
        prev = v
    return per, count, total


def test_spans_labels():
    """One span name with several label sets, declared at registration:
    a series each, every bucket exact; a label the config does not allow
    is refused, and the publisher is told why."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        out = os.path.join(tmp, "out")
        with Daemon(config(tmp, "    labels: [venue, session]\n")) as d:
            p = subprocess.Popen([sys.executable, os.path.join(HERE, "span_load.py"), tmp + "/spans.sock",
                                  "--labels", out], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "JITTERD_SPAN_LIB": LIB})
            try:
                refused = p.stdout.readline().strip()
                assert refused == ("refused jitterd refused: span order_send: label desk is not in "
                                   "collectors.spans.labels"), refused
                assert p.stdout.readline().strip() == "registered"
                assert p.stdout.readline().strip() == "done"
                lengths, meta = read_out(out)
                assert meta["dropped"] == 0
                sets = [{"venue": "XNAS"}, {"venue": "XLON"}, {"venue": "XNAS", "session": "am"}, {}]
                deadline = time.monotonic() + 30
                while True:
                    s = d.scrape()
                    got = harness.total(s, "jitterd_span_duration_seconds_count", workload="pyspans",
                                        span="order_send")
                    if got >= sum(len(v) for v in lengths.values()) or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                for i, ls in enumerate(sets):
                    per, count, total = exact_histogram(s, workload="pyspans", span="order_send", **ls)
                    want = [0] * (LAST_LOG2 - FIRST_LOG2 + 2)
                    for ns in lengths[i]:
                        want[bucket_of(ns)] += 1
                    assert count == len(lengths[i]), (ls, count, len(lengths[i]))
                    assert per == want, (ls, per, want)
                    assert total == sum(lengths[i]), (ls, total, sum(lengths[i]))
                    # 5 ms spans: over events.span_duration_threshold (1 ms)
                    slow = [k for k in select(s, "jitterd_span_slow_total", workload="pyspans", span="order_send")
                            if set(k[1]) == {("workload", "pyspans"), ("span", "order_send"), *ls.items()}]
                    assert len(slow) == 1 and s[slow[0]] == sum(1 for ns in lengths[i] if ns > 1000000), (ls, slow)
                # exactly these four series of the name, labels in the config's order
                series = [k for k in select(s, "jitterd_span_duration_seconds_count", workload="pyspans")]
                assert len(series) == 4, series
                text = d.get("/metrics")[2]
                assert 'jitterd_span_duration_seconds_count{workload="pyspans",span="order_send",' \
                    'venue="XNAS",session="am"}' in text, text
                assert dropped(s, "pyspans") == 0
                assert harness.total(s, "jitterd_span_registrations_total", result="refused") == 1
                assert harness.total(s, "jitterd_span_registrations_total", result="accepted") == 1
                assert "label desk is not in collectors.spans.labels" in d.output()
                # span_slow events carry the series' labels
                _, _, body = d.get("/events?kind=span_slow")
                evs = [json.loads(line) for line in body.splitlines() if line.strip()]
                by = {}
                for ev in evs:
                    key = tuple(sorted(ev.get("labels", {}).items()))
                    by[key] = by.get(key, 0) + 1
                assert set(by) == {tuple(sorted(ls.items())) for ls in sets}, by
            finally:
                p.stdin.close()
                p.wait(30)


def test_spans_label_sets_count_into_max_series():
    """Each label set is a series of collectors.spans.max_series: a registration past it is refused whole."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        with Daemon(config(tmp, "    labels: [venue]\n    max_series: 3\n")) as d:
            def register(*names):
                return subprocess.run([sys.executable, os.path.join(HERE, "span_load.py"), tmp + "/spans.sock",
                                       "--register", *names], capture_output=True, text=True, timeout=30,
                                      env={**os.environ, "JITTERD_SPAN_LIB": LIB}).stdout.strip()
            four = ["send{venue=A}", "send{venue=B}", "send{venue=C}", "send"]
            assert register(*four) == ("refused jitterd refused: 4 new series would pass "
                                       "collectors.spans.max_series (3, 0 in use)")
            assert register(*four[:3]) == "registered"
            # the same three again (another process of the workload): no new series
            assert register(*four[:3]) == "registered"
            assert register("send") == ("refused jitterd refused: 1 new series would pass "
                                        "collectors.spans.max_series (3, 3 in use)")
            s = d.scrape()
            assert len(select(s, "jitterd_span_duration_seconds_count", workload="pyspans")) == 3
            assert harness.total(s, "jitterd_span_registrations_total", result="refused") == 2


def test_spans_label_bytes_after_the_nul_are_not_a_series():
    """A hostile publisher writes bytes after a label value's NUL: one series
    per label as it is shown, never two series with the same labels."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        with Daemon(config(tmp, "    labels: [venue]\n")) as d:
            p = subprocess.Popen([sys.executable, os.path.join(HERE, "span_load.py"), tmp + "/spans.sock",
                                  "--raw", "A\\x00junk1", "A\\x00junk2", "A\\x01"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                answers = [p.stdout.readline().strip() for _ in range(3)]
                assert answers[:2] == ["0", "0"], answers
                assert answers[2] == "-22 span x: label venue: a value of [A-Za-z0-9_.:-], 1 to 63 bytes", answers
                # the text itself: a parsed scrape would fold two equal series into one
                text = d.get("/metrics")[2]
                lines = [line for line in text.splitlines()
                         if line.startswith('jitterd_span_duration_seconds_count{workload="pyspans",span="x"')]
                assert lines == ['jitterd_span_duration_seconds_count{workload="pyspans",span="x",venue="A"} 0'], lines
            finally:
                p.stdin.close()
                p.wait(30)


def test_spans_who_may_publish():
    """Root only by default (0600), and only processes of a workload."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        os.chmod(tmp, 0o755)
        exe = os.path.join(tmp, "span_load")  # where nobody may run it
        shutil.copy(build_load(tmp), exe)
        other = os.path.join(tmp, "not_a_workload")
        shutil.copy(exe, other)
        with Daemon(config(tmp)) as d:
            sock = tmp + "/spans.sock"
            assert os.stat(sock).st_mode & 0o777 == 0o600
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                exe, "fill", sock, "10"], capture_output=True, text=True, timeout=30)
            assert r.returncode == 3 and "Permission denied" in r.stdout, r.stdout
            r = subprocess.run([other, "fill", sock, "10"], capture_output=True, text=True, timeout=30)
            assert r.returncode == 3 and "in no workload" in r.stdout, r.stdout
            s = d.scrape()
            assert harness.total(s, "jitterd_span_registrations_total", result="refused") == 1
            assert harness.total(s, "jitterd_span_registrations_total", result="accepted") == 0


def test_spans_slow_span_says_what_its_cpu_did():
    """A 300 ms span on a CPU shared with a CPU hog: its span_slow event
    lists the run-queue waits jitterd logged on that CPU during it."""
    cpu = sorted(harness.possible_cpus())[-1]
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        exe = build_load(tmp)
        cfg = config(tmp).replace("  sched: { enabled: false }\n", "") + \
            "events:\n  runqueue_latency_threshold: 100us\n"
        with Daemon(cfg) as d:
            hog = subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", "while True: pass"])
            try:
                time.sleep(0.2)
                pub = Publisher(["taskset", "-c", str(cpu), exe, "join", tmp + "/spans.sock", "300"])
                assert pub.line().strip() == "done"
                ev = None
                for _ in range(100):
                    _, _, body = d.get("/events?kind=span_slow")
                    if body.strip():
                        ev = json.loads(body.splitlines()[-1])
                        break
                    time.sleep(0.1)
                pub.finish()
            finally:
                hog.kill()
                hog.wait()
            assert ev, "no span_slow event"
            assert ev["cpu"] == cpu and ev["span"] == "busy" and ev["workload"] == "spanners", ev
            assert ev["duration_ns"] >= 300000000, ev
            kinds = [e["type"] for e in ev["on_cpu"]]
            assert "runqueue_latency" in kinds, ev
            waits = [e for e in ev["on_cpu"] if e["type"] == "runqueue_latency"]
            # the span's own thread or the hog, each waiting behind the other
            assert {w["pid"] for w in waits} & {pub.p.pid, hog.pid}, (waits, pub.p.pid, hog.pid)
            shown = dict(ev, on_cpu=ev["on_cpu"][:1])
            print("span_slow: %s" % json.dumps(shown, separators=(",", ":")))


def test_spans_are_judged_by_the_anomaly_detector():
    """span_latency_p50/p99/p999 per workload and span, and per label set: the detector reads them."""
    with tempfile.TemporaryDirectory(prefix="jitterd-spans-") as tmp:
        with Daemon(config(tmp, "    labels: [venue]\n")) as d:
            pub = subprocess.Popen([sys.executable, os.path.join(HERE, "span_load.py"), tmp + "/spans.sock",
                                    "--forever", "pyspan-forever", "labels"],
                                   env={**os.environ, "JITTERD_SPAN_LIB": LIB})
            try:
                want = {"span_latency_p50", "span_latency_p99", "span_latency_p999"}
                subjects = ["workload:pyspans/tick_to_order", "workload:pyspans/tick_to_order{venue=XNAS}"]
                deadline = time.monotonic() + 30
                while True:
                    s = d.scrape()
                    seen = [{dict(k[1])["signal"] for k in select(s, "jitterd_anomaly_score", subject=subject)}
                            for subject in subjects]
                    if all(want <= x for x in seen) or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                assert all(want <= x for x in seen), (seen, d.output()[-2000:])
            finally:
                pub.kill()
                pub.wait()
