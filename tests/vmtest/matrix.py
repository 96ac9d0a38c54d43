#!/usr/bin/env python3
"""Summarise the reports of scripts/vmtest.sh guests (tests/vmtest/init).

    matrix.py [--coverage] REPORT...

Prints the tests passed and failed per kernel, then the matrix kernel x
probe -> attach type as a Markdown table (docs/kernel-support.md's), and exits 1 if a
test failed or a report is incomplete. With
--coverage it also exits 1 when an attach type that works for a probe on
one of the kernels was not used by any passing test on any of them: each
fallback path must have run somewhere.
"""
import re
import sys

TEST = re.compile(r"^(PASS|FAIL|N/A |SKIP) (\S+?):?(?: \(([\d.]+)s\))?(?: (.*))?$")
ORDER = ["sched_info", "tp_btf", "raw_tp", "tracepoint", "fentry", "kprobe", "none"]


def parse(path):
    r = {"path": path, "kernel": path, "probes": {}, "tests": [], "rc": None, "preempt": ""}
    section = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = re.match(r"^VMTEST kernel (\S+) cpus (\d+) preempt ?(\S*)", line)
            if m:
                r["kernel"], r["preempt"] = m.group(1), m.group(3)
                continue
            if line.startswith("VMTEST "):
                section = line.split()[1]
                if section == "rc":
                    r["rc"] = int(line.split()[2])
                continue
            if section == "probes" and not line.startswith(("jitterd:", "COLLECTOR", "kernel ")):
                cols = line.split(None, 4)
                if len(cols) == 5 and cols[1] != "-":
                    r["probes"][cols[1]] = {"attach": cols[2],
                                            "works": [] if cols[3] == "-" else cols[3].split(",")}
            m = TEST.match(line)
            if section == "tests" and m:
                used = {}
                for item in (m.group(4) or "").split() if m.group(3) else ():
                    probe, eq, types = item.partition("=")
                    if eq:
                        used[probe] = types.split(",")
                r["tests"].append((m.group(1).strip(), m.group(2), used))
    return r


def by_order(types):
    return sorted(types, key=lambda t: ORDER.index(t) if t in ORDER else len(ORDER))


def main(argv):
    coverage = "--coverage" in argv
    reports = [parse(p) for p in argv if p != "--coverage"]
    ok = True

    print()
    for r in reports:
        counts = {s: sum(1 for t in r["tests"] if t[0] == s) for s in ("PASS", "FAIL", "N/A", "SKIP")}
        line = "%-28s %s: %d passed, %d failed, %d not applicable" % (
            r["kernel"], r["preempt"] or "?", counts["PASS"], counts["FAIL"], counts["N/A"])
        if r["rc"] is None:
            line += ", INCOMPLETE (no exit status: crashed or timed out)"
        print(line)
        if counts["FAIL"] or counts["SKIP"] or r["rc"] != 0 or not counts["PASS"]:
            ok = False

    probes = []
    for r in reports:
        for p in list(r["probes"]) + [p for t in r["tests"] for p in t[2]]:
            if p not in probes:
                probes.append(p)
    exercised = {}  # probe -> kernel -> attach types used by passing tests
    for r in reports:
        for status, _, used in r["tests"]:
            if status == "PASS":
                for p, types in used.items():
                    exercised.setdefault(p, {}).setdefault(r["kernel"], set()).update(types)

    print("\n== matrix: default attach type (attach types the passing checks used)\n")
    print("| probe | " + " | ".join("%s (%s)" % (r["kernel"], r["preempt"]) for r in reports) + " |")
    print("|---" * (len(reports) + 1) + "|")
    for p in probes:
        cells = []
        for r in reports:
            default = r["probes"].get(p, {}).get("attach", "?")
            used = by_order(exercised.get(p, {}).get(r["kernel"], set()) - {"none"})
            cells.append("%s (%s)" % (default, ", ".join(used) or "-"))
        print("| %s | %s |" % (p, " | ".join(cells)))
    print("| checks passed | %s |" % " | ".join(
        "%d/%d" % (sum(1 for t in r["tests"] if t[0] == "PASS"),
                   sum(1 for t in r["tests"] if t[0] in ("PASS", "FAIL", "SKIP"))) for r in reports))

    if coverage:
        print("\n== fallback coverage")
        for p in probes:
            works = set(t for r in reports for t in r["probes"].get(p, {}).get("works", []))
            used = set(t for k in exercised.get(p, {}).values() for t in k)
            missing = by_order(works - used)
            print("%-24s works somewhere: %-34s exercised: %s%s" % (
                p, ",".join(by_order(works)) or "-", ",".join(by_order(used - {"none"})) or "-",
                "   MISSING: " + ",".join(missing) if missing else ""))
            if missing:
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
