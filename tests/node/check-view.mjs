// Loads jitterd's live view in Debian's chromium (headless, through
// playwright-core) and waits until every plot has data:
//
//   node tests/node/check-view.mjs URL SCREENSHOT.png [TIMEOUT_S [FIXTURE.json]]
//
// "Data" is: a heatmap cell per CPU group, a line point above 0 in the
// softirq, peaks and drops plots, an event row (the receive and send stage
// plots, netlat and netsend, are reported, not waited for: they need
// collectors.sockets.latency). Fails (exit 1) on any console error, uncaught page error or failed
// request, or when a plot still has nothing to draw at the timeout.
// Prints one line of JSON: what each plot held, the axis labels and legend
// entries each line plot drew, the events' details, the anomaly table's rows (folded, then
// after its toggle is clicked), the polls made, the streams of events
// followed and the events they brought, the queries made to /events, the
// streams the daemon cut, the console errors. Saves a
// screenshot either way.
//
// With FIXTURE.json ({"metrics": [TEXT, ...], "events": TEXT}) the page
// still comes from URL, but its /metrics polls get the fixture's texts in
// turn (the last one repeats) and /events gets its events: a page shown
// exactly the data a case needs. It is done after one poll per text (at
// least two), whatever the plots hold. A stream (/events?follow=1) gets the
// fixture's events and ends, or the status "follow_status" when it has one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [url, shot, timeoutArg, fixtureArg] = process.argv.slice(2);
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
  // Canvas text cannot be read back: remember what each canvas was last drawn with.
  await page.addInitScript(() => {
    const P = CanvasRenderingContext2D.prototype, clear = P.clearRect, text = P.fillText;
    P.clearRect = function (...a) { this.canvas.drawnText = []; return clear.apply(this, a); };
    P.fillText = function (t, ...a) { (this.canvas.drawnText ||= []).push(String(t)); return text.call(this, t, ...a); };
  });
  let fixture = null;
  if (fixtureArg) {
    fixture = JSON.parse(fs.readFileSync(fixtureArg, 'utf8'));
    let served = 0;
    await page.route(new URL('metrics', url).href, (r) => r.fulfill({
      contentType: 'text/plain; version=0.0.4',
      body: fixture.metrics[Math.min(served++, fixture.metrics.length - 1)],
    }));
    // A stream is the fixture's events, ended; or refused with fixture.follow_status.
    await page.route((u) => u.pathname === new URL('events', url).pathname, (r) => r.fulfill(
      new URL(r.request().url()).searchParams.has('follow') && fixture.follow_status
        ? { status: fixture.follow_status, contentType: 'text/plain', body: 'too many followers\n' }
        : { contentType: 'application/x-ndjson', body: fixture.events }));
  }
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text() in logged) logged[m.text()]++;
    else errors.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  // A stream of events the daemon cut (the page fell behind) ends in an incomplete chunked
  // reply, and one it refused is a 503; chromium logs each to the console as well. They are
  // what the page is made to live with: counted, each with its console line, not errors.
  const CUT = 'Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING';
  const REFUSED = 'Failed to load resource: the server responded with a status of 503 (Service Unavailable)';
  const expected = { [CUT]: 0, [REFUSED]: 0 }, logged = { [CUT]: 0, [REFUSED]: 0 };
  const isFollow = (u) => new URL(u).searchParams.has('follow');
  page.on('requestfailed', (r) => {
    if (isFollow(r.url()) && r.failure()?.errorText === 'net::ERR_INCOMPLETE_CHUNKED_ENCODING') expected[CUT]++;
    else errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (isFollow(r.url()) && r.status() === 503) expected[REFUSED]++; });
  const eventRequests = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === new URL('events', url).pathname) eventRequests.push(u.search);
    if (!r.url().startsWith(new URL(url).origin) && !r.url().startsWith('data:'))
      errors.push('request outside the daemon: ' + r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  // The anomaly table as [class, text of each cell], without its header.
  const anomalyRows = () => [...document.querySelectorAll('#anomalies tbody tr')].filter((r) => !r.querySelector('th'))
    .map((r) => [r.className, ...[...r.cells].map((c) => c.textContent.trim())]);
  const state = async () => ({ ...await page.evaluate(() => ({
    polls: Number(document.body.dataset.polls || 0),
    follows: Number(document.body.dataset.follows || 0),
    streamed: Number(document.body.dataset.streamed || 0),
    heatmaps: Object.fromEntries([...document.querySelectorAll('canvas.heatmap')]
      .map((c) => [c.dataset.group, Number(c.dataset.points)])),
    ...Object.fromEntries(['softirq', 'peaks', 'drops', 'netlat', 'netsend'].map((id) => {
      const c = document.getElementById(id);
      return [id, { points: Number(c.dataset.points), max: Number(c.dataset.max), axis: c.drawnText || [],
        legend: [...document.querySelectorAll(`#${id}-legend span`)].map((e) => e.textContent.trim()) }];
    })),
    events: [...document.querySelectorAll('#events tbody tr')].filter((r) => r.cells.length === 4).length,
    event_details: [...document.querySelectorAll('#events tbody tr')].filter((r) => r.cells.length === 4)
      .map((r) => r.cells[3].textContent),
    status: document.getElementById('status').textContent,
  })), anomalies: await page.evaluate(anomalyRows) });
  const full = (s) => (fixture ? s.polls >= Math.max(2, fixture.metrics.length) :
    s.polls >= 3 && Object.keys(s.heatmaps).length > 0 && Object.values(s.heatmaps).every((n) => n > 0) &&
    ['softirq', 'peaks', 'drops'].every((id) => s[id].points > 0 && s[id].max > 0) && s.events > 0 && s.streamed > 0);
  const deadline = Date.now() + timeoutMs;
  let s = await state();
  while (!full(s) && !errors.length && Date.now() < deadline) {
    await page.waitForTimeout(500);
    s = await state();
  }
  timing.data_s = (Date.now() - t0) / 1000;
  // A locator, not an element handle: each poll redraws the table, and a locator's click
  // finds the button again when the one it found was replaced meanwhile.
  const toggle = page.locator('#anomalies button');
  if (await toggle.count()) {
    await toggle.click();
    s.anomalies_unfolded = await page.evaluate(anomalyRows);
  }
  await page.screenshot({ path: shot, fullPage: true });
  timing.total_s = (Date.now() - t0) / 1000;
  for (const text of [CUT, REFUSED])
    if (logged[text] !== expected[text]) errors.push(`console: ${logged[text]} times "${text}" for ${expected[text]} streams`);
  console.log(JSON.stringify({ ...s, event_requests: eventRequests, streams_cut: expected[CUT],
    streams_refused: expected[REFUSED], errors, timing }));
  process.exitCode = full(s) && !errors.length ? 0 : 1;
} finally {
  if (browser) await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
