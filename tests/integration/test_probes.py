"""Kernel support: `jitterd --probes`, probes that cannot attach, no BTF."""
import os
import shutil
import socket
import subprocess

import harness
from harness import Daemon, JITTERD, select

# These tests check probe selection, not any probe's numbers (see conftest.py).
PROBES = ()


def attached_gauge(samples, probe):
    """{attach: value} of jitterd_probe_attached for one probe."""
    return {dict(k[1])["attach"]: v for k, v in
            select(samples, "jitterd_probe_attached", probe=probe).items()}


with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "all_collectors.yaml")) as f:
    ALL_COLLECTORS = f.read()


def test_probes_lists_every_probe_with_the_attach_type_the_daemon_uses():
    table = harness.probes(config=ALL_COLLECTORS)
    for probe, p in table.items():
        print("  %-10s %-24s %-10s works: %s" % (p["collector"], probe, p["attach"],
                                                 ",".join(p["works"]) or "-"))
    assert "sched_switch" in table, table
    assert {"sched", "sockets"} <= {p["collector"] for p in table.values()}, table
    for probe, p in table.items():
        assert p["attach"] == "none" or p["attach"] == p["works"][0], (probe, p)
    with Daemon(config=ALL_COLLECTORS) as d:
        s = d.scrape()
        for probe, p in table.items():
            assert attached_gauge(s, probe) == {p["attach"]: 0 if p["attach"] == "none" else 1}, \
                (probe, p, attached_gauge(s, probe))
        d.stop()


def test_probes_honours_a_forced_attach_type():
    table = harness.probes(env={"JITTERD_ATTACH": "raw_tp"})
    p = table["sched_switch"]
    assert p["attach"] == "raw_tp" and "tp_btf" not in p["works"], p


def test_an_attach_type_can_be_forced_for_one_probe():
    default = harness.probes(config=ALL_COLLECTORS)
    table = harness.probes(env={"JITTERD_ATTACH": "sched_switch=tracepoint"}, config=ALL_COLLECTORS)
    assert table["sched_switch"]["attach"] == "tracepoint", table["sched_switch"]
    # The other two hooks of a run-queue wait measure it as sched_switch
    # does: not from the sched_info clocks once it stamps
    # (docs/configuration.md "Run-queue latency and workloads").
    coupled = ("sched_wakeup", "sched_wakeup_new")
    for p in coupled:
        want = "tp_btf" if default[p]["attach"] == "sched_info" else default[p]["attach"]
        assert table[p]["attach"] == want, (p, table[p], default[p])
    others = {p: v["attach"] for p, v in table.items() if p != "sched_switch" and p not in coupled}
    assert others and others == {p: default[p]["attach"] for p in others}, (others, default)


def test_a_bad_forced_attach_type_exits_1_naming_the_choices():
    r = subprocess.run([JITTERD, "--probes"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "JITTERD_ATTACH": "sched_switch=fast"})
    assert r.returncode == 1 and "is not TYPE or PROBE=TYPE" in r.stderr, (r.returncode, r.stderr)


def test_probes_neither_listens_nor_attaches():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([JITTERD, "--probes", "--listen", "127.0.0.1:%d" % port],
                           capture_output=True, text=True, timeout=120)
    # The daemon logs "probe X: attached (type)" for every link it makes.
    assert r.returncode == 0 and "attached (" not in r.stderr, r.stderr
    assert "sched_switch" in r.stdout, r.stdout


def test_probes_says_why_nothing_attaches():
    # sched_switch has no function-hook variant: forcing fentry leaves it none.
    p = harness.probes(env={"JITTERD_ATTACH": "fentry"})["sched_switch"]
    assert p["attach"] == "none" and p["works"] == [], p
    assert "tracepoint: not tried (JITTERD_ATTACH=fentry)" in p["why"], p


def test_a_kernel_without_btf_gets_exit_1_naming_the_missing_config():
    if not shutil.which("unshare"):
        harness.skip("unshare (util-linux) not installed")
    # Hide /sys/kernel/btf/vmlinux in a private mount namespace.
    r = subprocess.run(["unshare", "--mount", "sh", "-c",
                        'mount --bind /dev/null /sys/kernel/btf/vmlinux && exec "$0" --listen 127.0.0.1:0',
                        JITTERD], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "/sys/kernel/btf/vmlinux cannot be parsed" in r.stderr, r.stderr
    assert "CONFIG_DEBUG_INFO_BTF=y" in r.stderr, r.stderr
