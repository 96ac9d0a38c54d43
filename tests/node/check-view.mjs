// Loads jitterd's live view in Debian's chromium (headless, through
// playwright-core) and waits until every plot has data:
//
//   node tests/node/check-view.mjs URL SCREENSHOT.png [TIMEOUT_S]
//
// "Data" is: a heatmap cell per CPU group, a line point above 0 in the
// softirq, peaks and drops plots, an event row. Fails (exit 1) on any console error, uncaught page error or failed
// request, or when a plot still has nothing to draw at the timeout.
// Prints one line of JSON: what each plot held, the polls made, the
// console errors. Saves a screenshot either way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [url, shot, timeoutArg] = process.argv.slice(2);
if (!url || !shot) {
  console.error('usage: check-view.mjs URL SCREENSHOT.png [TIMEOUT_S]');
  process.exit(2);
}
const timeoutMs = 1000 * Number(timeoutArg || 60);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'jitterd-chromium-'));
const errors = [];
const t0 = Date.now();
const timing = {};
let browser;
try {
  // A fresh profile each time (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1200 },
  });
  const page = browser.pages()[0] || await browser.newPage();
  timing.launch_s = (Date.now() - t0) / 1000;
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(new URL(url).origin) && !r.url().startsWith('data:'))
      errors.push('request outside the daemon: ' + r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  const state = () => page.evaluate(() => ({
    polls: Number(document.body.dataset.polls || 0),
    heatmaps: Object.fromEntries([...document.querySelectorAll('canvas.heatmap')]
      .map((c) => [c.dataset.group, Number(c.dataset.points)])),
    ...Object.fromEntries(['softirq', 'peaks', 'drops'].map((id) => {
      const c = document.getElementById(id);
      return [id, { points: Number(c.dataset.points), max: Number(c.dataset.max) }];
    })),
    events: [...document.querySelectorAll('#events tbody tr')].filter((r) => r.cells.length === 4).length,
    status: document.getElementById('status').textContent,
  }));
  const full = (s) => s.polls >= 3 && Object.keys(s.heatmaps).length > 0 &&
    Object.values(s.heatmaps).every((n) => n > 0) &&
    ['softirq', 'peaks', 'drops'].every((id) => s[id].points > 0 && s[id].max > 0) && s.events > 0;
  const deadline = Date.now() + timeoutMs;
  let s = await state();
  while (!full(s) && !errors.length && Date.now() < deadline) {
    await page.waitForTimeout(500);
    s = await state();
  }
  timing.data_s = (Date.now() - t0) / 1000;
  await page.screenshot({ path: shot, fullPage: true });
  timing.total_s = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ ...s, errors, timing }));
  process.exitCode = full(s) && !errors.length ? 0 : 1;
} finally {
  if (browser) await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
