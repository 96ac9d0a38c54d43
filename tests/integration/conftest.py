"""pytest for jitterd's integration tests: what harness.py's conventions mean.

    python3 -m pytest tests/integration [-k EXPRESSION] [--vm]

Tests stay plain test_* functions that use harness.py; this file gives its
exceptions and its decorator their meaning:

- harness.Skip (harness.skip()) is a skip, and under CI=true a failure: CI
  machines have root, BPF and every tool these tests call. So is any other
  skip under CI=true.
- harness.NotApplicable is counted apart, as "not applicable": this kernel
  cannot do what the test is about; scripts/vmtest.sh runs it on kernels
  that can, and tests/vmtest/matrix.py checks that some kernel did.
- @harness.host_only tests carry the host_only marker; --vm (inside the
  vmtest guests) deselects them.
- A test that leaves this process pinned to fewer CPUs than it started
  with errors, and the CPUs are given back for the tests after it.

Instead of pytest's progress dots, one line per test, in the form that
tests/vmtest/matrix.py parses:

    PASS test_module.test_name (1.2s) probe=attach,attach ...
    FAIL test_module.test_name (1.2s) probe=attach ...
    N/A  test_module.test_name: why
    SKIP test_module.test_name: why

with the attach types each probe of the test's daemons used (the probes
in the module's PROBES when it has that list). pytest's own closing line
("N passed, N failed, N not applicable in ...") ends the run. A run where
nothing passed fails.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CI = os.environ.get("CI") == "true"
_config = None


def pytest_addoption(parser):
    parser.addoption("--vm", action="store_true",
                     help="leave out the @harness.host_only tests (inside the vmtest guests)")


def pytest_configure(config):
    global _config
    _config = config
    config.addinivalue_line("markers", "host_only(why): needs something only the host has (harness.host_only)")


def pytest_sessionstart(session):
    if not os.path.exists(harness.JITTERD):
        pytest.exit("%s is missing: run make first" % harness.JITTERD, returncode=1)


def pytest_collection_modifyitems(config, items):
    deselected = []
    for item in list(items):
        why = getattr(getattr(item, "obj", None), "host_only", None)
        if why is None:
            continue
        item.add_marker(pytest.mark.host_only(why))
        if config.getoption("--vm"):
            items.remove(item)
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)


def pytest_runtest_setup(item):
    harness.attached.clear()
    if os.geteuid() != 0:
        harness.skip("needs root")


def attach_summary(probes):
    """'probe=type,type ...' for the daemons the test ran, in first-seen order,
    for the probes its module checks (PROBES), or all of them."""
    per_probe = {}
    for probe, attach in harness.attached:
        if probes is not None and probe not in probes:
            continue
        seen = per_probe.setdefault(probe, [])
        if attach not in seen:
            seen.append(attach)
    return " ".join("%s=%s" % (p, ",".join(a)) for p, a in per_probe.items())


def _why(excinfo):
    return str(excinfo.value) or excinfo.typename


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    exc = call.excinfo
    if exc is not None and exc.errisinstance(harness.NotApplicable):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), item.location[1] or 0, _why(exc))
        rep.line = "N/A  %s: %s" % (_name(item), _why(exc))
        rep.not_applicable = True
        return
    if exc is not None and exc.errisinstance(harness.Skip):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), item.location[1] or 0, _why(exc))
    if rep.skipped:
        why = _why(exc) if exc is not None else "skipped"
        if CI:
            rep.outcome = "failed"
            rep.longrepr = "skip not allowed under CI: %s" % why
            rep.line = "FAIL %s (skip not allowed under CI: %s)" % (_name(item), why)
        else:
            rep.line = "SKIP %s: %s" % (_name(item), why)
        return
    if rep.when == "call" or rep.failed:
        status = "PASS" if rep.passed else "FAIL"
        line = "%s %s (%.1fs) %s" % (status, _name(item), call.duration,
                                     attach_summary(getattr(item.module, "PROBES", None)))
        rep.line = line.rstrip()


def _name(item):
    return "%s.%s" % (item.module.__name__, item.name)


def pytest_report_teststatus(report, config):
    """No progress letters (pytest_runtest_logreport prints a line instead);
    the words name the outcome in pytest's summaries."""
    if getattr(report, "not_applicable", False):
        return "not applicable", "", "N/A"
    if report.when != "call" and report.passed:
        return "", "", ""
    if report.failed and report.when != "call":
        return "error", "", "ERROR"
    return report.outcome, "", report.outcome.upper()


def pytest_runtest_logreport(report):
    line = getattr(report, "line", None)
    if line:
        tr = _config.pluginmanager.get_plugin("terminalreporter")
        tr.write_line(line)
        tr.flush()


def pytest_sessionfinish(session, exitstatus):
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if exitstatus == 0 and tr is not None and not tr.stats.get("passed"):
        session.exitstatus = 1


_AFFINITY = os.sched_getaffinity(0)


@pytest.fixture(autouse=True)
def _affinity_restored():
    """A test that pins this process must give the CPUs back, however it
    ends: one that did not (a skip raised between the pin and its try)
    left every later test on one CPU. It is put back here, and the test
    that kept it errors, named."""
    yield
    kept = os.sched_getaffinity(0)
    if kept != _AFFINITY:
        os.sched_setaffinity(0, _AFFINITY)
        pytest.fail("left this process pinned to CPUs %s" % sorted(kept), pytrace=False)
