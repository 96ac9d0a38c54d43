"""The live view (/view): a self-contained page that, in a real headless
Chromium (Debian's), loads without a console error and plots run-queue
latency, softirq time and socket peaks and drops, and lists events, from
the daemon under load. The test leaves a screenshot in build/."""
import json
import os
import re
import subprocess

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


@harness.host_only("needs chromium, nodejs and tests/node/node_modules")
def test_view_plots_data_in_headless_chromium_without_console_errors():
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
        harness.skip("tests/node/node_modules missing: scripts/install-deps.sh runs npm ci there")
    if not os.path.exists("/usr/bin/chromium"):
        harness.skip("chromium not installed (scripts/install-deps.sh installs it)")
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    host = Host()
    with Daemon(host.config) as d, Load(host, workload=False):
        r = subprocess.run(["node", os.path.join(NODE_DIR, "check-view.mjs"), d.url("/view"), SCREENSHOT, "60"],
                           capture_output=True, text=True, timeout=120)
        assert r.stdout.strip(), r.stderr
        state = json.loads(r.stdout.strip().splitlines()[-1])
        assert r.returncode == 0, (state, r.stderr)
        assert not state["errors"], state
        assert set(state["heatmaps"]) == set(host.groups), state
        assert os.path.getsize(SCREENSHOT) > 10000
        print("screenshot: %s (%s)" % (SCREENSHOT, state))
        d.stop()
