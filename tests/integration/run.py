#!/usr/bin/env python3
"""Run jitterd's integration tests: python3 tests/integration/run.py [-k SUBSTRING]... [--vm]

Needs root and a kernel with BTF. Prints one line per test with the attach
type each probe of its daemons used (only the probes in the module's PROBES,
the ones its tests check the numbers of, when it has that list) and, last,
'integration: N passed, N failed, N skipped, N not applicable'. Under CI=true
a skip counts as a failure: CI machines have everything these tests need.
'Not applicable' is a kernel that cannot do what a test is about (say, no
kprobes); scripts/vmtest.sh runs those tests on kernels that can.

-k: run only tests whose module.name contains one of the substrings.
--vm: leave out the @host_only tests (scripts/vmtest.sh, inside qemu).
"""
import argparse
import glob
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


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


def result_line(status, name, t0, probes):
    return ("%s %s (%.1fs) %s" % (status, name, time.monotonic() - t0, attach_summary(probes))).rstrip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", action="append", default=[], metavar="SUBSTRING")
    ap.add_argument("--vm", action="store_true")
    args = ap.parse_args()
    ci = os.environ.get("CI") == "true"
    passed = failed = skipped = not_applicable = 0
    if not os.path.exists(harness.JITTERD):
        print("build/jitterd is missing: run make first")
        return 1
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "test_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests = [(n, f) for n, f in vars(mod).items() if n.startswith("test_") and callable(f)]
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        probes = getattr(mod, "PROBES", None)
        for tname, fn in tests:
            full = "%s.%s" % (name, tname)
            if args.k and not any(k in full for k in args.k):
                continue
            if args.vm and getattr(fn, "host_only", None):
                continue
            harness.attached.clear()
            t0 = time.monotonic()
            try:
                if os.geteuid() != 0:
                    harness.skip("needs root")
                fn()
            except harness.Skip as e:
                if ci:
                    failed += 1
                    print("FAIL %s (skip not allowed under CI: %s)" % (full, e), flush=True)
                else:
                    skipped += 1
                    print("SKIP %s: %s" % (full, e), flush=True)
                continue
            except harness.NotApplicable as e:
                not_applicable += 1
                print("N/A  %s: %s" % (full, e), flush=True)
                continue
            except Exception:
                failed += 1
                print(result_line("FAIL", full, t0, probes), flush=True)
                traceback.print_exc()
                continue
            passed += 1
            print(result_line("PASS", full, t0, probes), flush=True)
    print("integration: %d passed, %d failed, %d skipped, %d not applicable" % (
        passed, failed, skipped, not_applicable))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
