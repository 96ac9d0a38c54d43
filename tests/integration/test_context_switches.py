"""Context switches: jitterd's counts against the kernel's /proc/stat ctxt."""
import time

import harness
from harness import Daemon, pipe_pingpong, proc_stat_ctxt, total, select

KINDS = {"voluntary", "involuntary", "idle"}
# The probes whose numbers these tests check (run.py reports their attach types).
PROBES = ("sched_switch",)


def measure_ctxt(d, rounds):
    """The scraped delta over a generated load and the least and most
    /proc/stat ctxt grew over it (each scrape between two reads of ctxt:
    switches elsewhere on a busy machine between a read and a scrape are
    then in the range, not an error)."""
    def scrape():
        return total(d.scrape(), "jitterd_context_switches_total")
    b0 = harness.bracket(proc_stat_ctxt, scrape)
    pipe_pingpong(rounds)
    b1 = harness.bracket(proc_stat_ctxt, scrape)
    return harness.bracketed_delta(b0, b1)


def assert_ctxt_agrees(d):
    rounds = harness.load(50000)
    scraped, least, most = measure_ctxt(d, rounds)
    # Each round is >= 2 switches; 2% is the contract.
    print("  ctxt: jitterd %d, /proc/stat %d..%d" % (scraped, least, most))
    assert least >= 2 * rounds, "load generated only %d switches" % least
    assert harness.within_range(scraped, least, most, 0.02), \
        "scraped %d switches, /proc/stat ctxt grew %d..%d" % (scraped, least, most)


def test_kinds_sum_to_proc_stat_ctxt():
    with Daemon() as d:
        assert_ctxt_agrees(d)
        assert d.stop() == 0


def test_every_cpu_and_kind_is_exported_and_nonzero_where_expected():
    with Daemon() as d:
        rounds = harness.load(20000)
        idle0 = harness.proc_stat_idle_ticks()
        pipe_pingpong(rounds)
        time.sleep(0.1)
        s = d.scrape()
        idle_ticks = harness.proc_stat_idle_ticks() - idle0
        series = select(s, "jitterd_context_switches_total")
        labels = [dict(k[1]) for k in series]
        cpus = {l["cpu"] for l in labels}
        assert {l["kind"] for l in labels} == KINDS
        assert len(series) == len(cpus) * 3, series
        assert cpus == {str(c) for c in harness.possible_cpus()}, cpus
        # A ping-pong blocks in read(): voluntary switches; CPUs idle between.
        assert total(s, "jitterd_context_switches_total", kind="voluntary") > rounds
        # Unless other load kept every CPU busy (then the kernel saw no idle time).
        assert total(s, "jitterd_context_switches_total", kind="idle") > 0 or idle_ticks < 2, idle_ticks
        d.stop()


def attach_type_agrees(attach):
    with Daemon(env={"JITTERD_ATTACH": attach}) as d:
        s = d.scrape()
        assert s.get(("jitterd_probe_attached",
                      frozenset({("probe", "sched_switch"), ("attach", attach)}))) == 1, \
            select(s, "jitterd_probe_attached")
        assert_ctxt_agrees(d)
        assert d.stop() == 0


def test_tp_btf_is_chosen_by_default():
    with Daemon() as d:
        s = d.scrape()
        assert s.get(("jitterd_probe_attached",
                      frozenset({("probe", "sched_switch"), ("attach", "tp_btf")}))) == 1, \
            select(s, "jitterd_probe_attached")
        d.stop()


def test_raw_tp_fallback_counts_the_same():
    attach_type_agrees("raw_tp")


def test_classic_tracepoint_fallback_counts_the_same():
    attach_type_agrees("tracepoint")


def test_a_probe_that_cannot_attach_is_reported_and_the_daemon_keeps_serving():
    # fentry is "the best type tried": sched_switch offers only tracepoint
    # variants, so nothing attaches, as on a kernel without the hook.
    with Daemon(env={"JITTERD_ATTACH": "fentry"}) as d:
        s = d.scrape()
        assert s.get(("jitterd_probe_attached",
                      frozenset({("probe", "sched_switch"), ("attach", "none")}))) == 0, \
            select(s, "jitterd_probe_attached")
        assert "probe sched_switch: nothing attaches" in d.output()
        assert d.get("/healthz")[0] == 200
        assert d.stop() == 0
