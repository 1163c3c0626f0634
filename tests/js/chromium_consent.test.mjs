// Consent in real headless Chromium (SPEC §7, docs/CONSENT.md). Under the default optIn
// policy a full visit — tracking, decisions, measurement events, a pagehide, a reload —
// leaves localStorage, sessionStorage, cookies, IndexedDB and Cache Storage empty and sends
// nothing to the collector; a grant stores the state, personalizes and sends events; a
// withdrawal empties the stored bytes of the profile at once; a CMP's TC string is picked
// up through __tcfapi; GPC denies marketing; a measurement withdrawal stops the requests.
// Storage is inspected from inside the page and from the browser (Playwright's storage
// state); the network both from the browser (every request) and at the collector.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { REPO_ROOT, VECTOR_DIR, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 30_000;
const KEY = 'attune:state';
const TCF = JSON.parse(readFileSync(join(VECTOR_DIR, 'tcf.json'), 'utf8'));
const TC_ALL = TCF.find((c) => c.name === 'every purpose consented: sensitive stays off').tcString;
const ALL_BUT_SENSITIVE = { storage: true, personalization: true, measurement: true, marketing: true, sensitive: false };
// Strings of the visit that must never be on the device without the purpose for them.
const PROFILE_MARKERS = ['ski', 'boots-42', 'newsletter_open', 'Ada'];

// One storage inspection = one read of one storage area (in the page or from the browser);
// one network inspection = one look at the browser's request log or at the collector.
let files;
let server;
let browser;
const problems = [];
const inspections = { storage: 0, network: 0 };

before(async () => {
  assertBuilt();
  files = await startStaticServer(REPO_ROOT, 'tests/js/hosts/consent_page.html');
  server = await startCollectorServer(files.url);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await files?.close();
  // node --test prefixes a test's output with "# ".
  console.log(`storage inspections: ${inspections.storage}`);
  console.log(`network inspections: ${inspections.network}`);
});

// One origin for the page and its collector: POST /collect records the body; everything
// else comes from the static file server.
async function startCollectorServer(filesUrl) {
  const collected = [];
  const http = createServer(async (req, res) => {
    try {
      const path = new URL(req.url, 'http://x').pathname;
      if (path === '/collect') {
        if (req.method !== 'POST') {
          res.writeHead(405).end();
          return;
        }
        let body = '';
        req.setEncoding('utf8');
        for await (const chunk of req) {
          body += chunk;
          if (body.length > 1 << 20) throw new Error('collector body over 1 MB');
        }
        collected.push({ contentType: req.headers['content-type'], body: JSON.parse(body) });
        res.writeHead(204).end();
        return;
      }
      const upstream = await fetch(new URL(req.url, filesUrl));
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') || 'text/plain',
        'cache-control': 'no-store',
      });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (e) {
      problems.push(`server: ${e.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${http.address().port}/`,
    collected,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

// A fresh browser context (its own storage) and a page in it that logs every request.
async function openVisit({ initScript, context } = {}) {
  const ctx = context || (await browser.newContext());
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A function, or [function, argument].
  if (initScript) await page.addInitScript(...(Array.isArray(initScript) ? initScript : [initScript]));
  await load(page);
  return { ctx, page, requests };
}

async function load(page, reload = false) {
  if (reload) await page.reload();
  else await page.goto(server.url);
  await page.waitForFunction(() => window.attuneConsent !== undefined);
}

const call = (page, method, ...args) => page.evaluate(([m, a]) => window.attuneConsent[m](...a), [method, args]);

const collectorRequests = (requests) => requests.filter((r) => new URL(r.url).pathname === '/collect');

// Every storage area, from the page and from the browser: all must be empty.
async function assertStorageEmpty(page, ctx, when) {
  const seen = await call(page, 'inspectStorage');
  inspections.storage += 5;
  assert.deepEqual(seen, {
    localStorage: { length: 0, keys: [] },
    sessionStorage: { length: 0, keys: [] },
    cookie: '',
    indexedDB: [],
    caches: [],
  }, when);
  const state = await ctx.storageState({ indexedDB: true });
  assert.deepEqual(state.cookies, [], `${when}: browser cookies`);
  inspections.storage += 1 + 2 * state.origins.length;
  for (const origin of state.origins) {
    assert.deepEqual(origin.localStorage, [], `${when}: ${origin.origin} localStorage`);
    assert.deepEqual(origin.indexedDB || [], [], `${when}: ${origin.origin} IndexedDB`);
  }
}

function assertNoCollectorRequests(requests, collectedBefore, when) {
  inspections.network += 2;
  assert.deepEqual(collectorRequests(requests), [], `${when}: requests to the collector`);
  assert.equal(server.collected.length, collectedBefore, `${when}: bodies at the collector`);
}

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

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

async function grantedVisit(options = {}) {
  const visit = await openVisit(options);
  await call(visit.page, 'open', { flushIntervalMs: 50 });
  const granted = await call(visit.page, 'setConsent', { storage: true, personalization: true, measurement: true }, { source: 'banner' });
  assert.equal(granted.ok, true, JSON.stringify(granted));
  visit.result = await call(visit.page, 'visit');
  await call(visit.page, 'flush');
  return visit;
}

test('(a) optIn without consent: a full visit stores nothing anywhere and sends nothing', async () => {
  const collectedBefore = server.collected.length;
  const { ctx, page, requests } = await openVisit();
  const opened = await call(page, 'open', { flushIntervalMs: 50 });
  assert.deepEqual(opened.status, { mode: 'local', ok: true, sync: 'locks' });
  assert.equal(Object.values(opened.purposes).some(Boolean), false);

  const { tracked, decisions, measured } = await call(page, 'visit');
  for (const t of tracked) assert.deepEqual(t, { ok: true });
  const [hero, promo, banner] = decisions;
  assert.equal(hero.campaign, null);
  assert.equal(hero.reasons[0].reason, 'audience', 'no profile was built, so no ski interest');
  assert.equal(promo.reasons[0].reason, 'consent:marketing');
  assert.equal(banner.campaign, 'ski-pages', 'contextual decisions still work');
  assert.deepEqual(await call(page, 'shown'), { hero: 'Welcome', promo: 'Our shop', banner: 'Ski deals' });
  assert.ok(measured.length === 3 && measured.every((m) => m.ok && m.queued === false), JSON.stringify(measured));
  assert.equal((await call(page, 'collectorStats')).queued, 0);

  await assertStorageEmpty(page, ctx, 'during the visit');
  await call(page, 'pagehide');
  await settle();
  await call(page, 'flush');
  await call(page, 'close');
  await assertStorageEmpty(page, ctx, 'after pagehide, flush and close');
  await load(page, true);  // a real pagehide and a new document
  await assertStorageEmpty(page, ctx, 'after a reload');
  assertNoCollectorRequests(requests, collectedBefore, 'the whole visit');
  await ctx.close();
});

test('(b) consent to storage, personalization and measurement: stored, personalized, collected', async () => {
  const collectedBefore = server.collected.length;
  const { ctx, page, requests, result } = await grantedVisit();
  assert.equal(result.decisions[0].campaign, 'ski');
  assert.deepEqual(result.decisions[0].purposes, ['personalization']);
  assert.deepEqual(await call(page, 'shown'), { hero: 'Fresh snow, Ada', promo: 'Our shop', banner: 'Ski deals' });
  assert.ok(result.measured.every((m) => m.ok && m.queued), JSON.stringify(result.measured));

  inspections.network += 2;  // the collector's bodies here, the request log below
  await waitFor('the collector receives the events', async () => ({
    done: server.collected.length > collectedBefore,
    received: server.collected.length - collectedBefore,
  }));
  const bodies = server.collected.slice(collectedBefore);
  const events = bodies.flatMap((b) => b.body.events);
  const tokens = new Set(result.decisions.filter((d) => d.token).map((d) => d.token));
  assert.deepEqual(events.map((e) => e.type).sort(), ['click', 'click', 'conversion', 'conversion', 'impression', 'impression']);
  assert.ok(events.every((e) => tokens.has(e.token) && Number.isFinite(e.at)), JSON.stringify(events));
  assert.equal(bodies[0].body.visitor, await call(page, 'visitorId'));
  assert.equal(bodies[0].contentType, 'text/plain;charset=UTF-8', 'a simple request: no CORS preflight');
  assert.ok(collectorRequests(requests).length >= 1 && collectorRequests(requests).every((r) => r.method === 'POST'));

  const seen = await call(page, 'inspectStorage');
  inspections.storage += 6;  // five areas and the stored bytes
  assert.deepEqual(seen.localStorage.keys, [KEY]);
  assert.deepEqual([seen.sessionStorage.length, seen.cookie, seen.indexedDB, seen.caches], [0, '', [], []]);
  const bytes = await call(page, 'storedBytes');
  assert.ok(bytes.includes('ski') && bytes.includes('boots-42') && bytes.includes(await call(page, 'visitorId')));
  assert.ok(!bytes.includes('Ada'), 'the name is context, never stored');

  const id = await call(page, 'visitorId');
  await load(page, true);
  await call(page, 'open', { flushIntervalMs: 50 });
  assert.equal(await call(page, 'visitorId'), id);
  assert.equal((await call(page, 'consentRecord')).source, 'banner');
  await call(page, 'render');
  assert.equal((await call(page, 'shown')).hero, 'Fresh snow, Ada', 'the profile came back from storage');
  await call(page, 'close');
  await ctx.close();
});

test('(c) withdrawing personalization: the stored bytes lose the profile at once, the content goes', async () => {
  const { ctx, page } = await grantedVisit();
  const storedBefore = await call(page, 'storedBytes');
  inspections.storage++;
  for (const marker of ['ski', 'boots-42', 'newsletter_open']) assert.ok(storedBefore.includes(marker), marker);

  inspections.storage++;
  // Read in the same task: what storage holds the moment the call returns.
  const { withdrawn, bytes } = await page.evaluate(() => ({
    withdrawn: window.attuneConsent.setConsent({ personalization: false }),
    bytes: window.attuneConsent.storedBytes(),
  }));
  assert.equal(withdrawn.ok, true);
  assert.equal(withdrawn.record.purposes.storage, true, 'storage stays granted: the id and record stay');
  for (const marker of PROFILE_MARKERS) assert.ok(!bytes.includes(marker), `"${marker}" still stored`);
  await call(page, 'render');
  assert.equal((await call(page, 'shown')).hero, 'Welcome');

  await load(page, true);
  inspections.storage++;
  const reloaded = await call(page, 'storedBytes');
  for (const marker of PROFILE_MARKERS) assert.ok(!reloaded.includes(marker), `"${marker}" stored after a reload`);
  await call(page, 'open');
  const profile = await call(page, 'profile');
  assert.deepEqual(profile.interests, {});
  assert.equal(profile.cart.count, 0);
  await call(page, 'render');
  assert.equal((await call(page, 'shown')).hero, 'Welcome');
  assert.equal((await call(page, 'consentRecord')).purposes.personalization, false);
  await call(page, 'close');
  await ctx.close();
});

// A CMP stub as sites install it: answers asynchronously that the banner is shown; the
// visitor's click (window.__cmpChoose, called by the test) reports the choice. Records every
// call so the test can see the listener removed.
function installCmp(tcString) {
  window.__tcfCalls = [];
  const base = { listenerId: 3, gdprApplies: true, cmpId: 300 };
  window.__tcfapi = (command, version, callback, parameter) => {
    window.__tcfCalls.push({ command, version, parameter: parameter ?? null });
    if (command === 'addEventListener') {
      setTimeout(() => callback({ ...base, eventStatus: 'cmpuishown' }, true), 0);
      window.__cmpChoose = () => setTimeout(() => callback({ ...base, eventStatus: 'useractioncomplete', tcString }, true), 0);
    } else if (command === 'removeEventListener') {
      callback(true);
    }
  };
}

test('(d) a CMP through __tcfapi: its TC string is picked up as the consent', async () => {
  const { ctx, page, requests } = await openVisit({ initScript: [installCmp, TC_ALL] });
  const opened = await call(page, 'open', { flushIntervalMs: 50 });
  assert.equal(opened.cmp.state, 'listening');
  await waitFor('the banner is shown', async () => {
    const cmp = await call(page, 'cmpStatus');
    return { done: cmp.eventStatus === 'cmpuishown', cmp };
  });
  assert.equal((await call(page, 'consentRecord')).present, false, 'nothing decided while the banner is open');
  await page.evaluate(() => window.__cmpChoose());
  await waitFor('the CMP choice is applied', async () => {
    const cmp = await call(page, 'cmpStatus');
    return { done: cmp.state === 'applied', cmp };
  });
  const record = await call(page, 'consentRecord');
  assert.equal(record.source, 'tcf');
  assert.deepEqual(record.purposes, ALL_BUT_SENSITIVE);
  const { decisions } = await call(page, 'visit');
  assert.deepEqual(decisions.map((d) => d.campaign), ['ski', 'newsletter', 'ski-pages']);
  await call(page, 'flush');
  inspections.storage++;
  assert.ok((await call(page, 'storedBytes')).includes('ski'), 'TCF purpose 1 granted storage');
  inspections.network++;
  await waitFor('events reach the collector', async () => ({ done: collectorRequests(requests).length > 0 }));
  await call(page, 'close');
  const calls = await page.evaluate(() => window.__tcfCalls);
  assert.deepEqual(calls[0], { command: 'addEventListener', version: 2, parameter: null });
  assert.deepEqual(calls.at(-1), { command: 'removeEventListener', version: 2, parameter: 3 });
  await ctx.close();
});

test('(e) GPC: a marketing campaign stays hidden although marketing was granted', async () => {
  const gpc = () => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
  };
  const { ctx, page } = await openVisit({ initScript: gpc });
  await call(page, 'open');
  await call(page, 'setConsent', { storage: true, personalization: true, marketing: true });
  const decisions = await call(page, 'render');
  assert.equal(decisions[1].campaign, null);
  assert.equal(decisions[1].reasons[0].reason, 'consent:marketing');
  assert.equal((await call(page, 'shown')).promo, 'Our shop');
  assert.equal((await call(page, 'purposes')).marketing, false);
  assert.equal((await call(page, 'consentRecord')).purposes.marketing, true, 'the record keeps the grant');
  await call(page, 'close');

  // Control: the same stored choice in a page of the same browser without GPC shows it.
  const plain = await openVisit({ context: ctx });
  await call(plain.page, 'open');
  assert.equal((await call(plain.page, 'render'))[1].campaign, 'newsletter');
  assert.equal((await call(plain.page, 'shown')).promo, 'Join the list');
  await call(plain.page, 'close');
  await ctx.close();
});

test('(f) measurement withdrawn: no further requests to the collector', async () => {
  const { ctx, page, requests } = await grantedVisit();
  inspections.network++;
  await waitFor('the first events are sent', async () => ({ done: collectorRequests(requests).length > 0 }));
  await settle();
  const sent = collectorRequests(requests).length;
  const collected = server.collected.length;

  assert.equal((await call(page, 'setConsent', { measurement: false })).ok, true);
  const results = await call(page, 'measureAgain', 5);
  assert.ok(results.length > 0 && results.every((r) => r.ok && r.queued === false), JSON.stringify(results));
  await call(page, 'pagehide');
  await settle(500);
  await call(page, 'close');
  await load(page, true);
  await call(page, 'open', { flushIntervalMs: 50 });
  await call(page, 'measureAgain', 5);
  await settle(500);
  await call(page, 'close');
  inspections.network += 2;
  assert.equal(collectorRequests(requests).length, sent, 'requests after the withdrawal');
  assert.equal(server.collected.length, collected, 'bodies after the withdrawal');
  await ctx.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(problems, []);
});
