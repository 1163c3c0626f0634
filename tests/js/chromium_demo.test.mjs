// The marketer's demo page in real headless Chromium, served by demo/server.mjs on
// 127.0.0.1 exactly as `bash scripts/demo.sh` serves it. Driven through its controls like a
// marketer would: the editor (form view and JSON), the visitor simulator, consent, the
// behaviour buttons, the KPI dashboard (real Wasm in a Web Worker). Every page is watched
// for console errors, warnings and page errors; every request must stay on the page's
// origin. Screenshots go to test-output/demo/*.png; the visitors/s measured in the worker
// are printed (never asserted).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startDemoServer } from '../../demo/server.mjs';
import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 60_000;
const SIMULATION_TIMEOUT_MS = 300_000;  // 10,000 visitors on 2 shared cores
const KEY = 'attune:demo';
const SHOTS = join(REPO_ROOT, 'test-output', 'demo');
const CONFIG = JSON.parse(readFileSync(join(REPO_ROOT, 'demo', 'campaigns.json'), 'utf8'));
const EXPECTED_ROWS = CONFIG.campaigns.reduce((n, c) => n + c.variants.length + (c.holdout ? 1 : 0), 0);

let server;
let browser;
const problems = [];
const shots = [];
const figures = [];

before(async () => {
  assertBuilt();
  mkdirSync(SHOTS, { recursive: true });
  server = await startDemoServer({ port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const path of shots) console.log(`screenshot: ${path}`);
  for (const line of figures) console.log(line);
});

// A fresh browser context (its own storage) with the demo loaded and ready.
async function openDemo() {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const origin = new URL(server.url).origin;
  const label = () => page.url();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()} on ${label()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${label()}: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`request off the origin: ${url}`);
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error');
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#app-status'));
  return { ctx, page };
}

async function shot(page, name) {
  const path = join(SHOTS, name);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

const placement = (page, id) => page.evaluate((pid) => {
  const node = document.querySelector(`#preview [data-placement="${pid}"]`);
  if (!node) return null;
  return { campaign: node.dataset.campaign, variant: node.dataset.variant, holdout: node.dataset.holdout, dir: node.dir, lang: node.lang, text: node.textContent };
}, id);

const configVersion = (page) => page.evaluate(() => Number(document.body.dataset.configVersion || 0));

async function waitForConfigVersion(page, above) {
  await page.waitForFunction((v) => Number(document.body.dataset.configVersion || 0) > v, above);
}

const traceText = (page, id) => page.textContent(`#trace [data-placement="${id}"]`);

async function setConsent(page, purposes) {
  for (const [purpose, on] of Object.entries(purposes)) {
    const box = page.locator(`#consent-${purpose}`);
    if ((await box.isChecked()) !== on) await box.setChecked(on);
  }
}

// What the origin keeps, read inside the page: every storage area, and the stored state
// decoded to text (it is a base64url binary blob).
const inspectStorage = (page) => page.evaluate(async (key) => {
  const text = localStorage.getItem(key);
  let decoded = '';
  if (text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    decoded = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  }
  return {
    localKeys: Object.keys(localStorage),
    sessionLength: sessionStorage.length,
    cookie: document.cookie,
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
    decoded,
  };
}, KEY);

test('the page loads the real Wasm runtime, renders every panel, and fetches only its own files', async () => {
  const { ctx, page } = await openDemo();
  assert.match(await page.textContent('#app-status'), /Attune .* \(WebAssembly\) — 15 campaigns live/);
  const ids = await page.$$eval('#preview [data-placement]', (nodes) => nodes.map((n) => n.dataset.placement).sort());
  assert.deepEqual(ids, CONFIG.placements.map((p) => p.id).sort());
  assert.equal((await placement(page, 'banner')).campaign, 'free-shipping-eu', 'contextual: Austria ships free');
  assert.equal(await page.$$eval('#trace .trace-placement', (n) => n.length), CONFIG.placements.length);
  assert.match(await page.textContent('#config-status'), /^Valid: 15 campaigns, 5 placements/);
  assert.match(await page.textContent('#consent-in-force'), /nothing \(contextual decisions only\)/);
  assert.deepEqual((await inspectStorage(page)).localKeys, [], 'optIn: nothing stored before consent');
  await page.waitForFunction(() => document.getElementById('kpi').dataset.loadMs !== undefined);
  const paths = server.requests.map((r) => r.path);
  assert.ok(paths.includes('/web/dist/attune.wasm') && paths.includes('/demo/kpi/traffic_worker.mjs'), 'the worker is started at once');
  assert.equal(paths.filter((p) => p === '/web/dist/attune.wasm').length, 1, 'the Wasm is fetched once, for the page and the worker');
  assert.ok(server.requests.every((r) => r.status === 200 || r.status === 302), JSON.stringify(server.requests.filter((r) => r.status >= 400)));
  await shot(page, '01-loaded.png');
  await ctx.close();
});

test('editing a campaign in the form view and in the JSON changes the preview; load and save a file', async () => {
  const { ctx, page } = await openDemo();
  // With storage consent the visitor (and so its variants) survives the runtime restart of
  // each config edit; without it every edit starts a new anonymous visitor, as a reload would.
  await setConsent(page, { storage: true });
  await page.waitForFunction((key) => localStorage.getItem(key) !== null, KEY);
  // Form view: the hero's shown variant gets a new English headline.
  const hero = await placement(page, 'hero');
  assert.equal(hero.campaign, 'seasonal-gear');
  await page.click('#form-view summary');
  await page.selectOption('#form-campaign', 'seasonal-gear');
  await page.selectOption('#form-variant', hero.variant);
  let version = await configVersion(page);
  await page.fill('#form-copy-en-headline', 'Edited in the form view');
  await page.press('#form-copy-en-headline', 'Enter');
  await page.locator('#form-copy-en-headline').blur();
  await waitForConfigVersion(page, version);
  assert.equal(await page.textContent('#preview [data-placement="hero"] .content-heading'), 'Edited in the form view');
  assert.match(await page.inputValue('#config-text'), /"text": "Edited in the form view"/, 'the JSON stays the source of truth');

  // Form view: priority decides. newsletter-bar above member-early-access takes the slot.
  version = await configVersion(page);
  await page.selectOption('#form-campaign', 'newsletter-bar');
  await page.fill('#form-priority', '50');
  await page.locator('#form-priority').blur();
  await waitForConfigVersion(page, version);
  assert.equal((await placement(page, 'email-bar')).campaign, 'newsletter-bar');

  // Form view: a cap of its own, written into the JSON.
  version = await configVersion(page);
  await page.click('#form-cap-add');
  await waitForConfigVersion(page, version);
  assert.deepEqual(JSON.parse(await page.inputValue('#config-text')).campaigns.find((c) => c.id === 'newsletter-bar').caps, [{ max: 3, per: 'week' }]);

  // The JSON itself: the banner's copy.
  version = await configVersion(page);
  const text = await page.inputValue('#config-text');
  const edited = text.replace('Free shipping to {{geo.city|your door}} on orders over €50', 'Edited in the JSON: free shipping to {{geo.city|you}}');
  assert.notEqual(edited, text);
  await page.fill('#config-text', edited);
  await waitForConfigVersion(page, version);
  assert.match((await placement(page, 'banner')).text, /Edited in the JSON: free shipping to you/);
  await page.fill('#sim-city', 'Graz');
  assert.match((await placement(page, 'banner')).text, /free shipping to Graz/, 'the simulator re-decides at once');

  // Save to a file: the download is the editor's text.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#config-save')]);
  assert.equal(download.suggestedFilename(), 'attune-config.json');
  assert.equal(readFileSync(await download.path(), 'utf8'), await page.inputValue('#config-text'));

  // Load from a file: a minimal config replaces the sample.
  const file = join(SHOTS, 'loaded-config.json');
  writeFileSync(file, JSON.stringify({ version: 1, placements: [{ id: 'hero' }], campaigns: [{ id: 'only', placement: 'hero', variants: [{ id: 'a', content: { en: { headline: 'Loaded from a file' } } }] }] }, null, 2));
  version = await configVersion(page);
  await page.setInputFiles('#config-file', file);
  await waitForConfigVersion(page, version);
  assert.equal(await page.textContent('#preview [data-placement="hero"] .content-heading'), 'Loaded from a file');
  assert.match(await page.textContent('#config-status'), /Loaded loaded-config\.json\. Valid: 1 campaigns, 1 placements/);
  await page.click('#config-sample');
  await page.waitForFunction(() => document.querySelectorAll('#preview [data-placement]').length === 5);
  await shot(page, '02-edited.png');
  await ctx.close();
});

test('broken JSON: the problem is listed at its exact path, and the preview keeps the last good config', async () => {
  const { ctx, page } = await openDemo();
  const before = await placement(page, 'hero');
  const version = await configVersion(page);
  const index = CONFIG.campaigns.findIndex((c) => c.id === 'seasonal-gear');
  const config = JSON.parse(await page.inputValue('#config-text'));
  config.campaigns[index].variants[0].weight = -1;
  await page.fill('#config-text', JSON.stringify(config, null, 2));
  const path = `campaigns[${index}].variants[0].weight`;
  await page.waitForSelector(`#config-errors [data-path="${path}"]`);
  assert.equal(await page.$$eval('#config-errors li', (n) => n.length), 1);
  assert.match(await page.textContent('#config-errors li'), /must be a non-negative number/);
  assert.match(await page.textContent('#config-status'), /1 problem in the config/);
  assert.equal(await page.isVisible('#config-stale'), true);
  assert.equal(await configVersion(page), version, 'no new runtime');
  assert.deepEqual(await placement(page, 'hero'), before, 'the last valid config stays live');
  await page.fill('#sim-name', 'Ada');
  assert.equal((await placement(page, 'hero')).campaign, before.campaign, 'and keeps deciding');

  // Jump to the problem: the caret lands on the member.
  await page.click(`#config-errors [data-path="${path}"]`);
  const selected = await page.evaluate(() => {
    const t = document.getElementById('config-text');
    return t.value.slice(t.selectionStart, t.selectionEnd);
  });
  assert.equal(selected, '"weight": -1');
  await shot(page, '03-json-error.png');

  // A syntax error: line and column, still the last good config.
  await page.fill('#config-text', '{"version": 1, "campaigns": [}');
  await page.waitForFunction(() => /invalid JSON/.test(document.getElementById('config-errors').textContent));
  assert.match(await page.textContent('#config-errors'), /line 1, column \d+/);
  assert.equal((await placement(page, 'hero')).campaign, before.campaign);
  await ctx.close();
});

test('switching the visitor to Arabic renders the page right-to-left, Hebrew too', async () => {
  const { ctx, page } = await openDemo();
  assert.equal(await page.getAttribute('#preview', 'dir'), 'ltr');
  await page.selectOption('#sim-locale', 'ar');
  assert.equal(await page.getAttribute('#preview', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('#preview', 'lang'), 'ar');
  const hero = await placement(page, 'hero');
  assert.deepEqual([hero.dir, hero.lang], ['rtl', 'ar']);
  assert.match(hero.text, /[\u0600-\u06FF]/, 'Arabic copy');
  const direction = await page.$eval('#preview .shop-header', (n) => getComputedStyle(n).direction);
  assert.equal(direction, 'rtl');
  await shot(page, '04-arabic-rtl.png');

  await page.selectOption('#sim-locale', 'he');
  assert.equal(await page.getAttribute('#preview', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('#preview', 'lang'), 'he');
  assert.match(await page.textContent('#preview .shop-header'), /[\u0590-\u05FF]/, 'the shop speaks Hebrew');
  const heroHe = await placement(page, 'hero');
  assert.deepEqual([heroHe.dir, heroHe.lang], ['ltr', 'en'], 'no Hebrew copy: English, marked left-to-right inside the page');

  await page.selectOption('#sim-locale', '');
  await page.fill('#sim-accept-language', 'fr-CA,fr;q=0.9');
  assert.equal((await placement(page, 'hero')).lang, 'fr');
  assert.equal(await page.getAttribute('#preview', 'dir'), 'ltr');
  await ctx.close();
});

test('consent: granted, the personalized campaign shows and state is stored; withdrawn, both are gone', async () => {
  const { ctx, page } = await openDemo();
  await page.check('#sim-interest-hiking');
  assert.equal((await placement(page, 'banner')).campaign, 'free-shipping-eu');
  assert.match(await traceText(page, 'banner'), /picked-for-you Skipped: the visitor has not given consent for personalization/);

  await setConsent(page, { storage: true, personalization: true });
  assert.equal((await placement(page, 'banner')).campaign, 'picked-for-you');
  assert.match((await placement(page, 'banner')).text, /New hiking gear, picked for you/);
  assert.match(await traceText(page, 'banner'), /Relied on consent for: personalization/);
  // The preview's own buttons report on their decision: × dismisses the popup, a CTA clicks.
  await page.click('#preview .popup-close');
  await page.waitForFunction(() => document.querySelectorAll('#timeline li').length === 1);
  assert.match(await page.textContent('#timeline li:last-child'), /Dismiss on popup — newsletter-popup \/ ten-off/);
  assert.match(await traceText(page, 'popup'), /newsletter-popup Skipped: dismissed recently — hidden until \d{4}-\d\d-\d\d 10:00/);
  await page.click('#preview [data-placement="banner"] .content-action');
  await page.waitForFunction(() => document.querySelectorAll('#timeline li').length === 2);
  assert.match(await page.textContent('#timeline li:last-child'), /Click on banner — picked-for-you \/ interest/);
  await page.selectOption('#beh-category', 'tents');
  await page.click('#beh-page-view');
  await page.click('#beh-add-to-cart');
  await page.waitForFunction(() => document.querySelectorAll('#timeline li').length === 4);
  const visitorId = await page.evaluate(() => window.attuneDemo.runtime().visitorId);
  await page.waitForFunction((key) => (localStorage.getItem(key) || '').length > 100, KEY);
  const granted = await inspectStorage(page);
  assert.deepEqual(granted.localKeys, [KEY]);
  for (const marker of [visitorId, 'tents']) assert.ok(granted.decoded.includes(marker), `stored: ${marker}`);
  await page.waitForFunction(() => /Stored on this device: \d+ characters under "attune:demo" — the visitor's state/.test(document.getElementById('storage-status').textContent));
  assert.match(await page.textContent('#profile'), /Impressions \/ clicks \/ dismissals\s*[1-9]\d* \/ 1 \/ 1/);
  await shot(page, '05-consent-granted.png');

  const shown = Number(await page.evaluate(() => document.body.dataset.storageShown));
  await setConsent(page, { personalization: false, storage: false });
  assert.equal((await placement(page, 'banner')).campaign, 'free-shipping-eu', 'the personalized content is gone');
  assert.match(await traceText(page, 'banner'), /picked-for-you Skipped: the visitor has not given consent for personalization/);
  await page.waitForFunction((n) => Number(document.body.dataset.storageShown) > n, shown);
  const withdrawn = await inspectStorage(page);
  for (const marker of [visitorId, 'tents', 'hiking']) assert.ok(!withdrawn.decoded.includes(marker), `still stored: ${marker}`);
  assert.deepEqual([withdrawn.sessionLength, withdrawn.cookie, withdrawn.indexedDB, withdrawn.caches], [0, '', [], []]);
  assert.ok(withdrawn.localKeys.length === 0 || (withdrawn.localKeys.length === 1 && withdrawn.decoded.length < 120),
    `at most the minimal consent record remains (${withdrawn.decoded.length} bytes)`);
  assert.match(await page.textContent('#storage-status'), /only the consent record \(no id, no profile\)|Nothing stored/);
  const browserState = await ctx.storageState({ indexedDB: true });
  assert.deepEqual(browserState.cookies, []);
  for (const origin of browserState.origins) {
    for (const entry of origin.localStorage) assert.ok(!entry.value.includes(visitorId.slice(0, 8)));
    assert.deepEqual(origin.indexedDB || [], []);
  }
  assert.match(await page.textContent('#profile'), /Cart\s*0 items/);
  await shot(page, '05-consent-withdrawn.png');
  await ctx.close();
});

test('the trace explains caps with their counts, quiet hours and consent in plain words', async () => {
  const { ctx, page } = await openDemo();
  assert.match(await traceText(page, 'email-bar'), /member-early-access Skipped: the visitor has not given consent for marketing/);
  assert.match(await traceText(page, 'hero'), /welcome-first-visit Skipped: the visitor has not given consent for personalization/);
  // Without personalization no campaign with a holdout shows, so every impression is a
  // contact and the counts below are exact.
  await setConsent(page, { storage: true, measurement: true, marketing: true });
  for (let i = 1; i <= 3; i++) {
    await page.click('#beh-page-view');
    await page.waitForFunction((n) => document.querySelectorAll('#timeline li').length === n, i);
    if (i === 2) assert.match(await traceText(page, 'popup'), /newsletter-popup Skipped: cap for the popup channel reached — 1 of 1 this session/);
  }
  assert.match(await page.textContent('#timeline'), /Page view \/ — 5 impressions counted/);
  assert.match(await traceText(page, 'popup'), /Skipped: global cap reached — 12 of 12 today/);
  assert.match(await traceText(page, 'popup'), /cap:global day 12\/12/, 'the raw code for developers');
  await shot(page, '06-trace-caps.png');

  // Quiet hours: the visitor's clock at 23:00, the next day (a fresh allowance).
  const date = await page.inputValue('#sim-clock-set');
  const next = new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  await page.fill('#sim-clock-set', `${next}T23:00`);
  await page.dispatchEvent('#sim-clock-set', 'change');
  await page.waitForFunction(() => /23:00/.test(document.getElementById('sim-clock').textContent));
  assert.match(await traceText(page, 'popup'), /newsletter-popup Skipped: quiet hours for popups \(22:00–08:00\)/);
  assert.equal((await placement(page, 'popup')).campaign, '');
  await shot(page, '06-trace-quiet-hours.png');
  await ctx.close();
});

test('simulated traffic: 10,000 visitors in the Web Worker; KPI table, SVG charts and CSV export', async () => {
  const { ctx, page } = await openDemo();
  await page.fill('#kpi-visitors', '10000');
  await page.click('#kpi-run');
  await page.waitForFunction(() => Number(document.getElementById('kpi-progress').value) > 0, null, { timeout: SIMULATION_TIMEOUT_MS });
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('kpi').dataset.state), null, { timeout: SIMULATION_TIMEOUT_MS });
  assert.equal(await page.getAttribute('#kpi', 'data-state'), 'done', await page.textContent('#kpi-status'));
  const rate = Number(await page.getAttribute('#kpi', 'data-rate'));
  figures.push(`simulated visitors/s in the Web Worker (10,000 visitors): ${rate}`);
  assert.equal(await page.getAttribute('#kpi', 'data-visitors'), '10000');
  assert.equal(await page.$eval('#kpi-progress', (p) => p.value), 10000);
  assert.match(await page.textContent('#kpi-status'), /^Done: 10,000 visitors in [\d.]+ s — [\d,]+ visitors\/s in the Web Worker\.$/);

  const rows = await page.$$eval('#kpi-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.equal(rows.length, EXPECTED_ROWS, 'every campaign, variant and holdout');
  const keys = rows.map((r) => `${r[0]}/${r[1]}`);
  for (const c of CONFIG.campaigns) {
    for (const v of c.variants) assert.ok(keys.includes(`${c.id}/${v.id}`), `${c.id}/${v.id}`);
    if (c.holdout) assert.ok(keys.includes(`${c.id}/holdout (control)`), `${c.id} holdout`);
  }
  const welcome = rows.find((r) => r[0] === 'welcome-first-visit' && r[1] === 'discount');
  assert.match(welcome[8], /^[+-]?\d+\.\d pp \[[+-]?\d+\.\d pp, [+-]?\d+\.\d pp\]$/, 'uplift with its 95% interval');
  assert.match(welcome[4], /^\d+\.\d%$/);

  const charts = await page.$$eval('#kpi-charts svg', (svgs) => svgs.map((s) => ({
    id: s.id, bars: s.querySelectorAll('.bar rect').length, intervals: s.querySelectorAll('.interval').length,
    whiskers: s.querySelectorAll('.whisker').length, title: s.querySelector('title').textContent,
  })));
  assert.deepEqual(charts.map((c) => c.id), ['chart-ctr', 'chart-cr', 'chart-uplift-cr', 'chart-uplift-rpv']);
  assert.equal(charts[0].bars, EXPECTED_ROWS);
  assert.equal(charts[1].bars, EXPECTED_ROWS);
  const upliftRows = CONFIG.campaigns.filter((c) => c.holdout).reduce((n, c) => n + c.variants.length, 0);
  assert.equal(charts[2].intervals, upliftRows);
  assert.ok(charts[2].whiskers >= upliftRows * 3 - 3, 'interval whiskers drawn');
  const box = await page.$eval('#chart-ctr', (s) => s.getBoundingClientRect().width);
  assert.ok(box > 300, 'the chart is laid out');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#kpi-csv')]);
  assert.equal(download.suggestedFilename(), 'attune-kpis.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.split('\r\n');
  assert.equal(lines.at(-1), '');
  assert.equal(lines.length, EXPECTED_ROWS + 2);
  assert.match(lines[0], /^campaign,variant,holdout,impressions,clicks,dismissals,conversions,/);
  const csvWelcome = lines.find((l) => l.startsWith('welcome-first-visit,discount,false,')).split(',');
  assert.equal(Number(csvWelcome[3]).toLocaleString('en-US'), welcome[2], 'CSV impressions = table impressions');
  await page.locator('#kpi-panel').scrollIntoViewIfNeeded();
  await shot(page, '07-kpi-dashboard.png');
  await ctx.close();
});

test('cancel stops a 100,000-visitor run early; the partial figures are shown', async () => {
  const { ctx, page } = await openDemo();
  await page.fill('#kpi-visitors', '100000');
  await page.click('#kpi-run');
  await page.waitForFunction(() => Number(document.getElementById('kpi-progress').value) >= 500, null, { timeout: SIMULATION_TIMEOUT_MS });
  assert.equal(await page.isDisabled('#kpi-run'), true);
  await page.click('#kpi-cancel');
  await page.waitForFunction(() => document.getElementById('kpi').dataset.state === 'cancelled', null, { timeout: 20_000 });
  const done = Number(await page.getAttribute('#kpi', 'data-visitors'));
  assert.ok(done >= 500 && done < 100000, `cancelled after ${done}`);
  figures.push(`simulated visitors/s in the Web Worker (100,000 run, cancelled after ${done}): ${await page.getAttribute('#kpi', 'data-rate')}`);
  assert.match(await page.textContent('#kpi-status'), /^Cancelled after [\d,]+ of 100,000 visitors/);
  assert.equal(await page.isEnabled('#kpi-run'), true);
  assert.ok((await page.$$eval('#kpi-table tbody tr', (t) => t.length)) > 0, 'partial figures');
  // Bad input: refused with a message, nothing runs.
  await page.fill('#kpi-visitors', '100001');
  await page.click('#kpi-run');
  assert.match(await page.textContent('#kpi-status'), /Visitors must be a whole number from 1 to 100,000/);
  assert.equal(await page.getAttribute('#kpi-visitors', 'aria-invalid'), 'true');
  await ctx.close();
});

test('offline after load: with the network off the page still edits, decides and simulates', async () => {
  const { ctx, page } = await openDemo();
  const requestsBefore = server.requests.length;
  await ctx.setOffline(true);
  const version = await configVersion(page);
  const text = await page.inputValue('#config-text');
  await page.fill('#config-text', text.replace('Free shipping to {{geo.city|your door}} on orders over €50', 'Offline edit'));
  await waitForConfigVersion(page, version);
  assert.match((await placement(page, 'banner')).text, /Offline edit/);
  await page.fill('#kpi-visitors', '300');
  await page.click('#kpi-run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('kpi').dataset.state), null, { timeout: SIMULATION_TIMEOUT_MS });
  assert.equal(await page.getAttribute('#kpi', 'data-state'), 'done', await page.textContent('#kpi-status'));
  assert.ok((await page.$$eval('#kpi-table tbody tr', (t) => t.length)) > 5);
  assert.equal(server.requests.length, requestsBefore, 'nothing fetched after load');
  await ctx.setOffline(false);
  await ctx.close();
});

test('keyboard: every control is reachable with Tab and has an accessible name', async () => {
  const { ctx, page } = await openDemo();
  // Open the form view (its controls count too) without moving the focus start point.
  await page.evaluate(() => {
    document.getElementById('form-view').open = true;
  });
  await page.waitForSelector('#form-campaign');
  const controls = await page.evaluate(() => {
    const nodes = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
      .filter((n) => !n.disabled && n.tabIndex >= 0 && (n.checkVisibility() || n.matches('input[type="file"]')));
    const named = (n) => {
      const labelled = n.getAttribute('aria-labelledby');
      if (labelled) return labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
      if (n.getAttribute('aria-label')) return n.getAttribute('aria-label').trim();
      if (n.labels && n.labels.length) return [...n.labels].map((l) => l.textContent).join(' ').trim();
      if (['BUTTON', 'A', 'SUMMARY'].includes(n.tagName)) return n.textContent.trim();
      return n.title || '';
    };
    nodes.forEach((n, i) => n.setAttribute('data-kbd', String(i)));
    return nodes.map((n) => ({ index: n.dataset.kbd, id: n.id || n.tagName, name: named(n) }));
  });
  assert.ok(controls.length > 80, `${controls.length} controls`);
  const unnamed = controls.filter((c) => !c.name);
  assert.deepEqual(unnamed, [], 'controls without an accessible name');

  // Tab through the page from the top and record where focus goes; the first stop is the
  // skip link to the preview.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  const reached = new Set([await page.evaluate(() => document.activeElement.dataset.kbd)]);
  for (let i = 0; i < controls.length * 4 && reached.size < controls.length; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => {
      const n = document.activeElement;
      return n && n.dataset ? n.dataset.kbd : undefined;
    });
    if (at !== undefined) reached.add(at);
  }
  const missed = controls.filter((c) => !reached.has(c.index));
  assert.deepEqual(missed, [], 'controls Tab never reached');
  // Focus is visible: the focused control draws an outline.
  await page.focus('#kpi-run');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const outline = await page.$eval('#kpi-run', (n) => getComputedStyle(n).outlineStyle);
  assert.equal(outline, 'solid');
  await ctx.close();
});

test('no console errors, warnings, page errors or off-origin requests on any page', () => {
  assert.deepEqual(problems, []);
});
