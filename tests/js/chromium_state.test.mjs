// The stateful runtime in real headless Chromium: localStorage, Web Locks and the storage
// event between two tabs of one browser context. Two pages track 1,000 page views each at
// the same time and not one is lost; state survives a reload; a page whose storage throws
// keeps deciding in memory and says why. Also prints the cost of track() and the stored
// size after 10,000 events (figures only; nothing asserts a timing).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 30_000;
const EVENTS_PER_PAGE = 1000;
let server;
let browser;
let context;
const problems = [];
const pages = [];

before(async () => {
  assertBuilt();
  server = await startStaticServer(REPO_ROOT, 'tests/js/hosts/state_page.html');
  browser = await launchChromium();
  context = await browser.newContext();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(initScript) {
  const page = await context.newPage();
  pages.push(page);
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (initScript) await page.addInitScript(initScript);
  await load(page);
  return page;
}

async function load(page, reload = false) {
  if (reload) await page.reload();
  else await page.goto(server.url);
  await page.waitForFunction(() => window.attuneState !== undefined);
}

const call = (page, method, ...args) =>
  page.evaluate(([m, a]) => window.attuneState[m](...a), [method, args]);

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

test('two tabs tracking 1,000 page views each at once lose none', async () => {
  const key = 'attune:concurrent';
  const [a, b] = [await openPage(), await openPage()];
  // Flush as often as the lock allows: the most contention two tabs can produce.
  const openedA = await call(a, 'open', { key, flushIntervalMs: 0 });
  const openedB = await call(b, 'open', { key, flushIntervalMs: 0 });
  assert.deepEqual(openedA.status, { mode: 'local', ok: true, sync: 'locks' });
  assert.deepEqual(openedB.status, openedA.status);

  // Both loops run at the same time (each page has its own event loop); neither is awaited
  // before the other starts.
  const loops = [a, b].map((p) => call(p, 'trackPageViews', EVENTS_PER_PAGE, 2, key));
  const results = await Promise.all(loops);
  for (const r of results) {
    assert.equal(r.failures, 0);
    assert.ok(r.remoteWrites >= 10, `the loops overlapped: ${JSON.stringify(results)}`);
  }
  await Promise.all([call(a, 'flush'), call(b, 'flush')]);
  await call(a, 'flush');  // after b's write reached a: nothing queued, a no-op write-wise

  const both = 2 * EVENTS_PER_PAGE;
  await waitFor('both pages see every event', async () => {
    const counts = [await call(a, 'pageViews'), await call(b, 'pageViews')];
    return { done: counts[0] === both && counts[1] === both, counts };
  });
  const instant = Date.now();
  await call(a, 'freezeClock', instant);
  await call(b, 'freezeClock', instant);
  const [profileA, profileB] = [await call(a, 'profile'), await call(b, 'profile')];
  assert.equal(profileA.behavior.counts.page_view.lifetime, both);
  assert.deepEqual(profileA, profileB);
  assert.equal((await call(a, 'status')).visitorId, (await call(b, 'status')).visitorId);
  assert.equal(await call(a, 'stored', key), await call(b, 'stored', key));

  await load(a, true);
  const reopened = await call(a, 'open', { key });
  assert.equal(reopened.report.status, 'ok');
  assert.equal(reopened.visitorId, openedA.visitorId);
  assert.equal(await call(a, 'pageViews'), both);
  await Promise.all([a.close(), b.close()]);
});

test('the adapter lock makes read-modify-write exact between tabs (1,000 increments each)', async () => {
  const key = 'attune:increments';
  const [a, b] = [await openPage(), await openPage()];
  const finals = await Promise.all([a, b].map((p) => call(p, 'lockedIncrements', EVENTS_PER_PAGE, key)));
  assert.equal(Math.max(...finals), 2 * EVENTS_PER_PAGE);
  assert.equal(Number(await call(a, 'stored', key)), 2 * EVENTS_PER_PAGE);
  await Promise.all([a.close(), b.close()]);
});

test('events survive a reload without an explicit flush (pagehide)', async () => {
  const key = 'attune:reload';
  const page = await openPage();
  const opened = await call(page, 'open', { key, flushIntervalMs: 600_000 });
  for (let i = 0; i < 4; i++) assert.deepEqual(await call(page, 'track', 'page_view', { path: `/p${i}` }), { ok: true });
  assert.equal((await call(page, 'decide', 'hero')).campaign, 'returning');
  await load(page, true);
  const reopened = await call(page, 'open', { key });
  assert.equal(reopened.visitorId, opened.visitorId);
  assert.equal(reopened.report.status, 'ok');
  assert.equal(await call(page, 'pageViews'), 4);
  assert.equal((await call(page, 'decide', 'hero')).campaign, 'returning');
  await page.close();
});

test('forget() in one tab erases the profile in every tab and in storage', async () => {
  const key = 'attune:forget';
  const [a, b] = [await openPage(), await openPage()];
  await call(a, 'open', { key, flushIntervalMs: 600_000 });
  await call(b, 'open', { key, flushIntervalMs: 600_000 });
  await call(a, 'track', 'page_view', { categories: ['ski'] });
  await call(a, 'flush');
  await waitFor('b sees a\'s event', async () => ({ done: (await call(b, 'pageViews')) === 1 }));
  await call(b, 'track', 'page_view');  // queued in b, not yet stored
  assert.deepEqual(await call(a, 'forget'), { ok: true });
  await waitFor('b drops its profile and queue', async () => {
    const views = await call(b, 'pageViews');
    return { done: views === 0, views };
  });
  await call(b, 'flush');
  await load(a, true);
  await call(a, 'open', { key });
  assert.equal(await call(a, 'pageViews'), 0);
  assert.deepEqual((await call(a, 'profile')).interests, {});
  await Promise.all([a.close(), b.close()]);
});

test('storage that throws: the page keeps deciding in memory and reports why', async () => {
  const quotaFull = () => {
    Storage.prototype.setItem = function setItem() {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  };
  const blocked = () => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
    });
  };
  const expected = [
    [quotaFull, /^writing storage failed: QuotaExceededError: The quota has been exceeded\.$/],
    [blocked, /^localStorage is not accessible: SecurityError: Access is denied for this document\.$/],
  ];
  for (const [script, reason] of expected) {
    const page = await openPage(script);
    const opened = await call(page, 'open', { key: 'attune:disabled' });
    assert.equal(opened.status.mode, 'memory');
    assert.equal(opened.status.ok, false);
    assert.match(opened.status.reason, reason);
    assert.equal((await call(page, 'decide', 'hero')).campaign, null);
    for (let i = 0; i < 3; i++) assert.deepEqual(await call(page, 'track', 'page_view'), { ok: true });
    assert.equal((await call(page, 'decide', 'hero')).campaign, 'returning');
    assert.equal((await call(page, 'flush')).ok, false);
    await page.close();
  }
});

test('figures: track() cost and stored size after 10,000 events', async () => {
  const page = await openPage();
  const events = 10_000;
  const m = await call(page, 'measure', 'attune:measure', events);
  assert.equal(m.failures, 0);
  assert.equal(m.status.ok, true);
  const total = Object.values(m.counts).reduce((sum, c) => sum + c.lifetime, 0);
  assert.equal(total, events);
  assert.ok(m.storedBytes > 0 && m.storedBytes < 64 * 1024, `${m.storedBytes} bytes`);
  console.log(`track: ${((m.elapsedMs * 1000) / events).toFixed(2)} µs/event (Wasm from JS, Chromium, ${events} events)`);
  console.log(`state after 10k events: ${m.storedBytes} bytes (base64url in localStorage; flush ${m.flushMs.toFixed(1)} ms)`);
  await page.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(problems, []);
});
