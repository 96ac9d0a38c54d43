#!/usr/bin/env python3
"""What promtool does not check in config/prometheus (make rules):

- every alert has a summary, a description and a runbook_url
  docs/runbooks.md#<anchor> whose section exists;
- every alert has a promtool test (config/prometheus/tests/*.yml) where it
  fires and an evaluation where it must not (before its for:, or for a
  series that must not fire it).
"""
import glob
import os
import re
import sys

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
RULES = os.path.join(ROOT, "config", "prometheus", "jitterd-rules.yml")
TESTS = os.path.join(ROOT, "config", "prometheus", "tests", "*.yml")
RUNBOOKS = os.path.join(ROOT, "docs", "runbooks.md")


def anchors(markdown):
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces to -."""
    out = set()
    for line in markdown.splitlines():
        m = re.match(r"#+ (.*)", line)
        if m:
            out.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return out


def main():
    errors = []
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    with open(RUNBOOKS) as f:
        sections = anchors(f.read())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    fires, quiet = set(), set()
    for path in glob.glob(TESTS):
        with open(path) as f:
            for test in yaml.safe_load(f)["tests"]:
                for case in test.get("alert_rule_test", []):
                    (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    for a in alerts:
        name, ann = a["alert"], a.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                errors.append("%s: no %s" % (name, key))
        m = re.fullmatch(r"docs/runbooks\.md#([\w-]+)", ann.get("runbook_url", ""))
        if not m:
            errors.append("%s: runbook_url is not docs/runbooks.md#<section>" % name)
        elif m.group(1) not in sections:
            errors.append("%s: docs/runbooks.md has no section #%s" % (name, m.group(1)))
        if name not in fires:
            errors.append("%s: no promtool test where it fires" % name)
        if name not in quiet:
            errors.append("%s: no promtool test where it must not fire" % name)
    for e in errors:
        print("config/prometheus/jitterd-rules.yml: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
