#!/usr/bin/env python3
"""Run jitterd's integration tests: python3 tests/integration/run.py [-k SUBSTRING]

Needs root and a kernel with BTF. Prints one line per test and, last,
'integration: N passed, N failed, N skipped'. Under CI=true a skip counts
as a failure: CI machines have everything these tests need.
"""
import glob
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    pattern = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else ""
    ci = os.environ.get("CI") == "true"
    passed = failed = skipped = 0
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
        for tname, fn in tests:
            full = "%s.%s" % (name, tname)
            if pattern not in full:
                continue
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
            except Exception:
                failed += 1
                print("FAIL %s (%.1fs)" % (full, time.monotonic() - t0), flush=True)
                traceback.print_exc()
                continue
            passed += 1
            print("PASS %s (%.1fs)" % (full, time.monotonic() - t0), flush=True)
    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
