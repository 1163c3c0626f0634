// Frequency caps between two tabs in real headless Chromium: two pages of one browser
// context (one origin: localStorage and Web Locks shared) race for one capped campaign.
// show() decides and counts under the cross-tab lock, so 2 × 1,000 show() calls against a
// lifetime cap of 1,500 show the campaign exactly 1,500 times; 2 × 1,000 decide() +
// impression(token) reports, counted by the write-behind merges, add up to exactly 2,000.
// Prints the totals and the time taken (nothing asserts a timing).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 60_000;
const PER_PAGE = 1000;
let server;
let browser;
let context;
const problems = [];

// One campaign capped per lifetime, a fallback for when it is full.
function cappedConfig(max) {
  return {
    version: 1,
    consent: { policy: 'optOut' },  // storage granted without a banner
    defaultLocale: 'en',
    placements: [{ id: 'hero', default: { en: { headline: 'Welcome' } } }],
    campaigns: [
      {
        id: 'capped',
        placement: 'hero',
        priority: 10,
        audience: {},
        caps: [{ scope: 'campaign', max, per: 'lifetime' }],
        variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Limited offer' } } }],
      },
      {
        id: 'fallback',
        placement: 'hero',
        priority: 1,
        audience: {},
        variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Everything else' } } }],
      },
    ],
  };
}

before(async () => {
  assertBuilt();
  server = await startStaticServer(REPO_ROOT, 'tests/js/hosts/caps_page.html');
  browser = await launchChromium();
  context = await browser.newContext();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage() {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => window.attuneCaps !== undefined);
  return page;
}

const call = (page, method, ...args) => page.evaluate(([m, a]) => window.attuneCaps[m](...a), [method, args]);

async function waitFor(description, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last.done) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${description}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

// Opens `config` on `key` in two pages; both must share storage, locks and the visitor.
async function twoTabs(key, config, options = {}) {
  const [a, b] = [await openPage(), await openPage()];
  const openedA = await call(a, 'open', config, { key, ...options });
  const openedB = await call(b, 'open', config, { key, ...options });
  assert.deepEqual(openedA.status, { mode: 'local', ok: true, sync: 'locks' });
  assert.deepEqual(openedB.status, openedA.status);
  assert.equal(openedA.purposes.storage, true);
  assert.equal(openedB.visitorId, openedA.visitorId, 'both tabs settle on one visitor');
  return { a, b, visitorId: openedA.visitorId };
}

// What a page that has just loaded finds in storage for the hero under `config`.
async function freshLook(key, config) {
  const page = await openPage();
  const opened = await call(page, 'open', config, { key, flushIntervalMs: 600_000 });
  const decision = await call(page, 'decide', 'hero', true);
  const impressions = await call(page, 'impressions');
  await call(page, 'close');
  await page.close();
  return { opened, decision, impressions, capped: decision.reasons.find((r) => r.campaign === 'capped') };
}

function assertClean(results) {
  for (const r of results) {
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.countErrors, []);
    assert.ok(r.remoteWrites >= 10, `the two loops overlapped: ${r.remoteWrites} writes from the other page arrived`);
  }
}

test('2 × 1,000 show() against a lifetime cap of 1,500: exactly 1,500 shown', { timeout: TEST_TIMEOUT_MS }, async () => {
  const key = 'attune:caps-show';
  const cap = 1500;
  const config = cappedConfig(cap);
  const { a, b, visitorId } = await twoTabs(key, config);

  const started = Date.now();
  // Both loops run at once (each page has its own event loop), four calls in flight each.
  const results = await Promise.all([a, b].map((p) => call(p, 'showMany', PER_PAGE, 4, key)));
  const elapsedMs = Date.now() - started;
  assertClean(results);
  const shownCapped = results.map((r) => r.byCampaign.capped || 0);
  const shownFallback = results.map((r) => r.byCampaign.fallback || 0);
  for (const r of results) {
    assert.deepEqual(Object.keys(r.byCampaign).filter((c) => c !== 'capped' && c !== 'fallback'), []);
  }
  const totalCapped = shownCapped[0] + shownCapped[1];
  const totalFallback = shownFallback[0] + shownFallback[1];
  console.log(`show(): capped ${totalCapped} (${shownCapped.join(' + ')}), fallback ${totalFallback} (${shownFallback.join(' + ')}); ` +
    `2 × ${PER_PAGE} calls in ${elapsedMs} ms (page loops ${results.map((r) => Math.round(r.elapsedMs)).join(' / ')} ms; ` +
    `${results.map((r) => r.remoteWrites).join(' / ')} writes seen from the other page)`);
  assert.equal(totalCapped, cap, 'never more than the cap, and no show lost');
  assert.equal(totalFallback, 2 * PER_PAGE - cap);
  assert.ok(shownCapped[0] > 0 && shownCapped[1] > 0, `both pages showed the capped campaign: ${shownCapped}`);

  await Promise.all([call(a, 'flush'), call(b, 'flush')]);
  await waitFor('both pages hold every impression', async () => {
    const counts = [await call(a, 'impressions'), await call(b, 'impressions')];
    return { done: counts.every((c) => c === 2 * PER_PAGE), counts };
  });
  for (const p of [a, b]) {
    const d = await call(p, 'decide', 'hero', true);
    assert.equal(d.campaign, 'fallback');
    assert.deepEqual(d.reasons[0], { campaign: 'capped', result: 'skipped', reason: `cap:campaign lifetime ${cap}/${cap}` });
  }
  assert.equal(await call(a, 'stored', key), await call(b, 'stored', key));

  const look = await freshLook(key, config);
  assert.equal(look.opened.report.status, 'ok');
  assert.equal(look.opened.visitorId, visitorId);
  assert.equal(look.capped.reason, `cap:campaign lifetime ${cap}/${cap}`);
  assert.equal(look.decision.campaign, 'fallback');
  assert.equal(look.impressions, 2 * PER_PAGE);
  console.log(`stored after both flushed: ${look.capped.reason}, ${look.impressions} impressions in the profile`);
  await Promise.all([call(a, 'close'), call(b, 'close')]);
  await Promise.all([a.close(), b.close()]);
});

test('2 × 1,000 decide() + impression(token): exactly 2,000 counted after the merges', { timeout: TEST_TIMEOUT_MS }, async () => {
  const key = 'attune:caps-report';
  // Flush as often as the lock allows: the most merges two tabs can produce.
  const { a, b, visitorId } = await twoTabs(key, cappedConfig(5000), { flushIntervalMs: 0 });

  const started = Date.now();
  const results = await Promise.all([a, b].map((p) => call(p, 'decideAndReportMany', PER_PAGE, 3, key)));
  await Promise.all([call(a, 'flush'), call(b, 'flush')]);
  await call(a, 'flush');  // after b's last write reached a
  const elapsedMs = Date.now() - started;
  assertClean(results);
  for (const r of results) assert.deepEqual(r.byCampaign, { capped: PER_PAGE });

  const both = 2 * PER_PAGE;
  const seen = await waitFor('both pages hold every impression', async () => {
    const counts = [await call(a, 'impressions'), await call(b, 'impressions')];
    return { done: counts.every((c) => c === both), counts };
  });
  console.log(`decide + impression: ${seen.counts.join(' / ')} impressions in each page's profile; ` +
    `2 × ${PER_PAGE} reports and the final flushes in ${elapsedMs} ms ` +
    `(page loops ${results.map((r) => Math.round(r.elapsedMs)).join(' / ')} ms; ` +
    `${results.map((r) => r.remoteWrites).join(' / ')} writes seen from the other page)`);

  // Read the stored total back through a cap of exactly 2,000 (full) and of 2,001 (not).
  const full = await freshLook(key, cappedConfig(both));
  assert.equal(full.opened.report.status, 'ok');
  assert.equal(full.opened.visitorId, visitorId);
  assert.equal(full.impressions, both);
  assert.equal(full.capped.reason, `cap:campaign lifetime ${both}/${both}`);
  assert.equal(full.decision.campaign, 'fallback');
  const open = await freshLook(key, cappedConfig(both + 1));
  assert.deepEqual(open.capped, { campaign: 'capped', result: 'chosen' });
  console.log(`stored after both flushed: ${full.capped.reason}; under a cap of ${both + 1}: ${open.capped.result}`);
  await Promise.all([call(a, 'close'), call(b, 'close')]);
  await Promise.all([a.close(), b.close()]);
});

test('no console errors on any page', () => {
  assert.deepEqual(problems, []);
});
