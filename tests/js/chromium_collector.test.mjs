// The event collector in real headless Chromium (docs/COLLECTOR.md) against a local
// collector on 127.0.0.1 that records every body it accepts, dedupes on the event id and
// counts raw arrivals. Every event a page reported arrives exactly once after dedupe:
// across a same-origin navigation and a reload made right after reporting (beacons and the
// sessionStorage outbox), through a collector answering 500 or dropping the connection
// (retries with backoff), and while the collector is down as the page navigates away (the
// next page resends the outbox). Without measurement nothing is requested; with
// measurement but without storage nothing is written to sessionStorage.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 20_000;
const PAGE = 'tests/js/hosts/collector_page.html';
const OUTBOX_KEY = 'attune:state:outbox';
const GRANT = { storage: true, personalization: true, measurement: true };

let files;
let server;
let browser;
const problems = [];
const summary = [];

before(async () => {
  assertBuilt();
  files = await startStaticServer(REPO_ROOT, PAGE);
  server = await startCollector(files.url);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await files?.close();
  // node --test prefixes a test's output with "# ".
  for (const line of summary) console.log(line);
});

// The page's origin and its collector. POST /collect: `script` decides the next answers
// (a status; 'drop' closes the connection unread; 'cut' closes it in the middle of the
// answer's headers); `down` drops every request. Accepted
// bodies are recorded with the request's Sec-Fetch-Mode (fetch: 'cors'; sendBeacon:
// 'no-cors') and the time they arrived.
async function startCollector(filesUrl) {
  const state = { accepted: [], refused: [], script: [], down: false };
  const http = createServer(async (req, res) => {
    try {
      const path = new URL(req.url, 'http://x').pathname;
      if (path === '/collect') {
        if (req.method !== 'POST') return void res.writeHead(405).end();
        const action = state.down ? 'drop' : state.script.length > 0 ? state.script.shift() : 204;
        if (action === 'drop' || action === 'cut') {
          state.refused.push({ action, at: Date.now() });
          // 'cut': the connection dies in the middle of the answer's headers.
          if (action === 'cut') req.socket.end('HTTP/1.1 503 Service Unavailable\r\nX-Cut: ');
          else req.socket.destroy();
          return;
        }
        let body = '';
        req.setEncoding('utf8');
        for await (const chunk of req) {
          body += chunk;
          if (body.length > 1 << 20) throw new Error('collector body over 1 MB');
        }
        if (action !== 204) {
          state.refused.push({ action, at: Date.now() });
          // A fresh connection for the next request: Chromium silently retries a request
          // whose reused connection is cut, which would hide the next 'drop' from the page.
          return void res.writeHead(action, { connection: 'close' }).end();
        }
        state.accepted.push({ at: Date.now(), mode: req.headers['sec-fetch-mode'], type: req.headers['content-type'], body: JSON.parse(body) });
        return void res.writeHead(204).end();
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
    ...state,
    get down() {
      return state.down;
    },
    set down(value) {
      state.down = value;
    },
    url: `http://127.0.0.1:${http.address().port}/`,
    // Every accepted event of these visitors: {id → raw arrivals}.
    arrivals(visitors) {
      const seen = new Map();
      for (const request of state.accepted) {
        if (!visitors.has(request.body.visitor)) continue;
        for (const event of request.body.events) {
          const list = seen.get(event.id) || [];
          list.push({ ...event, mode: request.mode, arrivedAt: request.at, v: request.body.v });
          seen.set(event.id, list);
        }
      }
      return seen;
    },
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

// A fresh browser context (its own storage: a new visitor) with one page logging requests,
// closed when the test ends, passed or failed: a failed scenario's page must not keep
// sending into the next one.
async function openTab(t, query = '') {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
  page.on('console', (m) => {
    // The failures the collector was told to produce are logged by Chromium: not problems.
    const fromCollector = /^http:\/\/127\.0\.0\.1:\d+\/collect$/.test(m.location()?.url || '');
    if (m.type() === 'error' && !fromCollector) problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const tab = { ctx, page, requests, visitors: new Set(), expected: new Set() };
  await go(tab, query);
  return tab;
}

// A same-origin navigation to another URL (a new document), or a reload.
async function go(tab, query, { reload = false } = {}) {
  if (reload) await tab.page.reload();
  else await tab.page.goto(`${server.url}?${query}`);
  await tab.page.waitForFunction(() => window.attuneCollector !== undefined);
  const ready = await tab.page.evaluate(() => ({ ready: window.attuneCollector.ready, failure: window.attuneCollector.failure }));
  assert.equal(ready.ready, true, `the runtime opened: ${ready.failure}`);
  tab.visitors.add(await call(tab, 'visitorId'));
}

const call = (tab, method, ...args) => tab.page.evaluate(([m, a]) => window.attuneCollector[m](...a), [method, args]);

// Reports placements [from, to) and adds what was queued to the expected ids.
async function report(tab, from, to, { queued = true } = {}) {
  const reported = await call(tab, 'report', from, to);
  assert.ok(reported.length > 0);
  for (const r of reported) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.result.ok, true, JSON.stringify(r));
    assert.equal(r.result.queued, queued, `${r.type} ${r.token}: ${JSON.stringify(r.result)}`);
    if (queued) tab.expected.add(`${r.token}:${r.type}`);
  }
  return reported;
}

async function waitFor(description, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last.done) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${description}: still ${JSON.stringify(last).slice(0, 500)} after ${timeoutMs} ms`);
}

const settle = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until every expected id arrived, then checks each arrived exactly once after dedupe
// and nothing else arrived for these visitors; returns {delivered, expected, raw, duplicates}.
async function assertExactlyOnce(tab, name) {
  await waitFor(`${name}: every event arrives`, async () => {
    const seen = server.arrivals(tab.visitors);
    const missing = [...tab.expected].filter((id) => !seen.has(id));
    return { done: missing.length === 0, missing: missing.length, of: tab.expected.size, stats: await call(tab, 'stats'), refused: server.refused.slice(-4) };
  });
  // Whatever is still unconfirmed in the page is sent and answered before the count.
  await waitFor(`${name}: the page has nothing left`, async () => {
    const s = await call(tab, 'stats');
    return { done: s.queued === 0 && s.inFlight === 0, stats: s };
  });
  const seen = server.arrivals(tab.visitors);
  const unexpected = [...seen.keys()].filter((id) => !tab.expected.has(id));
  assert.deepEqual(unexpected, [], `${name}: ids nobody reported`);
  let raw = 0;
  const byMode = {};
  for (const [id, list] of seen) {
    raw += list.length;
    for (const event of list) {
      byMode[event.mode] = (byMode[event.mode] || 0) + 1;
      assert.equal(event.v, 2, 'wire format v2');
      assert.equal(id, `${event.token}:${event.type}`, 'the id names the token and type');
      assert.ok(Number.isFinite(event.at));
    }
  }
  const result = { delivered: seen.size, expected: tab.expected.size, raw, duplicates: raw - seen.size };
  assert.equal(result.delivered, result.expected, `${name}: delivered/expected`);
  const modes = Object.entries(byMode).map(([mode, n]) => `${n} by ${mode === 'cors' ? 'fetch' : mode === 'no-cors' ? 'beacon' : mode}`).join(', ');
  summary.push(`${name}: delivered/expected ${result.delivered}/${result.expected}, raw arrivals ${raw} (${modes}), raw duplicates ${result.duplicates} (deduped by id)`);
  return result;
}

test('(1) measurement + storage: across a navigation and a reload, every event once', async (t) => {
  const tab = await openTab(t, 'page=1');
  assert.equal((await call(tab, 'setConsent', GRANT)).ok, true);
  await report(tab, 0, 10);
  await go(tab, 'page=2');  // at once: nothing was sent yet (the interval is 1 s)
  assert.ok((await call(tab, 'purposes')).measurement, 'the stored consent came back');
  await report(tab, 10, 15);
  await settle(1500);  // some are confirmed on this page
  await report(tab, 15, 20);
  await go(tab, 'page=2', { reload: true });  // at once again
  await report(tab, 20, 30);
  const result = await assertExactlyOnce(tab, '(1) navigation + reload');
  assert.equal(result.expected, 75);
  assert.equal(tab.visitors.size, 1, 'one visitor throughout (stored)');
  assert.equal(await tab.page.evaluate((key) => sessionStorage.getItem(key), OUTBOX_KEY), null, 'the outbox is erased once all is confirmed');
  await call(tab, 'close');
});

test('(2) the collector drops the connection, cuts its answer, then answers 500: retried until delivered once', async (t) => {
  const tab = await openTab(t, 'page=1&interval=100');
  assert.equal((await call(tab, 'setConsent', GRANT)).ok, true);
  const refusedBefore = server.refused.length;
  // Chromium itself resends a request when a connection it reused closes before any
  // answer, so the drop may never reach the page; the cut answer does, as a network error.
  server.script.push('drop', 'cut', 500);
  await report(tab, 0, 10);
  const result = await assertExactlyOnce(tab, '(2) drop, cut, 500');
  assert.equal(result.duplicates, 0, 'the failed requests were not accepted, the retry was accepted once');
  const refused = server.refused.slice(refusedBefore);
  assert.deepEqual(refused.map((r) => r.action), ['drop', 'cut', 500]);
  const s = await call(tab, 'stats');
  assert.ok(s.errors === 2 || s.errors === 3, `the page saw a network error and the 500: ${JSON.stringify(s)}`);
  assert.deepEqual([s.sent, s.retried, s.failed, s.dropped, s.queued], [result.expected, s.errors * result.expected, 0, 0, 0], JSON.stringify(s));
  const accepted = Math.min(...[...server.arrivals(tab.visitors).values()].map((list) => list[0].arrivedAt));
  const minimum = 0.75 * (s.errors === 3 ? 1000 + 2000 + 4000 : 1000 + 2000);  // the backoff, at its lowest jitter
  assert.ok(accepted - refused[0].at >= minimum, `backoff: accepted ${accepted - refused[0].at} ms after the first failure`);
  summary.push(`(2) the page saw ${s.errors} failed requests, retried ${s.retried} events, accepted ${accepted - refused[0].at} ms after the first failure`);
  await call(tab, 'close');
});

test('(3) the collector is down while the page navigates away: the next page delivers (outbox)', async (t) => {
  const tab = await openTab(t, 'page=1&interval=100');
  assert.equal((await call(tab, 'setConsent', GRANT)).ok, true);
  server.down = true;
  try {
    await report(tab, 0, 10);
    await waitFor('a first attempt failed', async () => {
      const s = await call(tab, 'stats');
      return { done: s.errors >= 1, stats: s };
    });
    await go(tab, 'page=2&interval=100');
    const outbox = await call(tab, 'outbox');
    assert.ok(outbox, 'the outbox is in sessionStorage');
    assert.deepEqual(new Set(outbox.events.map((e) => e.id)), tab.expected);
    const adopted = await call(tab, 'stats');  // one snapshot: a retry may start any moment
    assert.equal(adopted.queued + adopted.inFlight, tab.expected.size, 'adopted by the new page');
    assert.equal(server.arrivals(tab.visitors).size, 0, 'nothing got through while down');
  } finally {
    server.down = false;
  }
  const loadedAt = Date.now();
  await assertExactlyOnce(tab, '(3) down during navigation');
  for (const [id, list] of server.arrivals(tab.visitors)) {
    assert.ok(list[0].arrivedAt >= loadedAt, `${id} arrived after the next page loaded`);
    assert.equal(list[0].mode, 'cors', `${id} came from the next page's fetch, not a beacon`);
  }
  assert.equal(await tab.page.evaluate((key) => sessionStorage.getItem(key), OUTBOX_KEY), null, 'erased once confirmed');
  await call(tab, 'close');
});

test('(4a) without measurement: no request to the collector on any page', async (t) => {
  const acceptedBefore = server.accepted.length;
  const refusedBefore = server.refused.length;
  const tab = await openTab(t, 'page=1&interval=100');
  assert.equal((await call(tab, 'setConsent', { storage: true, personalization: true })).ok, true);
  await report(tab, 0, 10, { queued: false });
  await call(tab, 'pagehide');
  await go(tab, 'page=2&interval=100');
  await report(tab, 10, 20, { queued: false });
  await go(tab, 'page=2&interval=100', { reload: true });
  await report(tab, 20, 30, { queued: false });
  await settle(500);
  await call(tab, 'close');
  await go(tab, 'page=3');  // one more pagehide
  await settle(300);
  assert.deepEqual(tab.requests.filter((r) => new URL(r.url).pathname === '/collect'), [], 'requests to /collect');
  assert.equal(server.accepted.length, acceptedBefore);
  assert.equal(server.refused.length, refusedBefore);
  const s = await call(tab, 'stats');
  assert.deepEqual([s.queued, s.sent, s.beacons, s.batches], [0, 0, 0, 0]);
  assert.deepEqual(await call(tab, 'sessionStorage'), {});
  summary.push('(4a) no measurement: 0 requests to the collector over 3 pages');
});

test('(4b) measurement without storage: delivered, and nothing ever in sessionStorage', async (t) => {
  const tab = await openTab(t, 'page=1&interval=2000');
  assert.equal((await call(tab, 'setConsent', { measurement: true })).ok, true);
  await report(tab, 0, 10);
  await call(tab, 'pagehide');  // the last-moment path: beacons, and no outbox
  assert.deepEqual(await call(tab, 'sessionStorage'), {}, 'after pagehide');
  assert.ok((await call(tab, 'stats')).beacons > 0, 'the beacons went');
  await report(tab, 10, 15);
  await go(tab, 'page=2&interval=2000');  // a real pagehide with events queued
  assert.deepEqual(await call(tab, 'sessionStorage'), {}, 'on the next page');
  assert.ok((await call(tab, 'purposes')).measurement, 'the consent record is kept without storage');
  await report(tab, 15, 20);
  await go(tab, 'page=2&interval=100', { reload: true });
  assert.deepEqual(await call(tab, 'sessionStorage'), {}, 'after a reload');
  await report(tab, 20, 25);
  const result = await assertExactlyOnce(tab, '(4b) measurement without storage');
  assert.equal(result.expected, 63);
  assert.deepEqual(await call(tab, 'sessionStorage'), {}, 'at the end');
  await call(tab, 'close');
});

test('no console errors, page errors or server errors', () => {
  assert.deepEqual(problems, []);
});
