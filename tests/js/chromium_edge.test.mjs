// The edge → browser hand-off in real headless Chromium behind real workerd on 127.0.0.1:
// the page arrives personalised (the content is in the HTML, before any script), the browser
// module adopts the edge's decision and visitor instead of deciding again, the visitor's
// consent and behaviour recorded in the browser travel in the cookie, and the edge's next
// response decides on them — one state, one decision per page view, no flicker.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startEdgeWorkerd, writeEdgeBundle } from './hosts/edge_workerd.mjs';
import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 30_000;
const CONFIG = JSON.parse(readFileSync(join(REPO_ROOT, 'tests/js/hosts/edge_page_config.json'), 'utf8'));
let origin;
let workerd;
let browser;
let context;
let dir;
const problems = [];

before(async () => {
  assertBuilt();
  origin = await startStaticServer(REPO_ROOT, 'tests/js/hosts/edge_page.html');
  dir = mkdtempSync(join(tmpdir(), 'attune-edge-browser-'));
  const bundle = writeEdgeBundle(dir, { main: { config: CONFIG, env: { ATTUNE_ORIGIN: origin.url } } });
  workerd = await startEdgeWorkerd(bundle.path, bundle.sockets, { timeoutMs: TIMEOUT_MS });
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
});

after(async () => {
  await browser?.close();
  await workerd?.stop();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Loads the page through the edge; returns the page and the HTML exactly as it arrived.
async function visit(page) {
  const response = await page.goto(`${workerd.urls.main}/`);
  assert.equal(response.status(), 200);
  const html = await response.text();
  const headers = await response.allHeaders();  // headers() leaves out Set-Cookie
  await page.waitForFunction(() => window.attuneEdgeReady === true, null, { timeout: TIMEOUT_MS });
  return { html, headers };
}

const call = (page, method, ...args) => page.evaluate(([m, a]) => window.attuneEdge[m](...a), [method, args]);

test('the edge renders, the browser adopts; consent and behaviour go back through the cookie', async () => {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // 1. First visit, no consent (optIn): contextual content in German, in the HTML itself.
  const first = await visit(page);
  assert.match(first.html, /<h1 id="headline" data-attune-field="headline">Hallo vom Rand<\/h1>/);
  assert.match(first.html, /<script type="application\/json" id="attune-edge">/);
  assert.equal(first.headers['set-cookie'], undefined, 'no cookie without storage consent');
  assert.match(first.headers['cache-control'], /private/);
  assert.equal(await call(page, 'headlineBeforeModule'), 'Hallo vom Rand', 'content was there before any script ran');
  const payload = await call(page, 'payload');
  const status = await call(page, 'edgeStatus');
  assert.deepEqual(status, { adopted: true, placements: ['hero'], visitor: payload.visitor });
  assert.equal(await call(page, 'visitorId'), payload.visitor);
  assert.equal((await call(page, 'storageStatus')).mode, 'cookie');
  const adopted = await call(page, 'decide', 'hero');
  assert.equal(adopted.edge, true);
  assert.equal(adopted.campaign, 'hello');
  assert.equal(adopted.token, payload.decisions[0].token);
  assert.equal(first.headers['attune-tokens'], adopted.token);
  assert.equal(await call(page, 'headlineNow'), 'Hallo vom Rand', 'the module did not re-render (no flicker)');
  // The edge counted the impression; the browser's report is the exposure, once.
  assert.equal((await call(page, 'impression', adopted.token)).ok, true);
  assert.match((await call(page, 'impression', adopted.token)).error, /already reported/);
  assert.equal((await call(page, 'click', adopted.token)).ok, true, 'the browser verifies the edge token');
  assert.doesNotMatch(await call(page, 'cookie'), /attune=/, 'still nothing stored');

  // 2. The visitor consents and browses ski pages: the state goes into the cookie.
  assert.equal((await call(page, 'setConsent', { storage: true, personalization: true })).ok, true);
  for (let i = 0; i < 3; i++) assert.deepEqual(await call(page, 'track', 'page_view', { categories: ['ski'] }), { ok: true });
  await call(page, 'flush');
  const cookie = await call(page, 'cookie');
  assert.match(cookie, /(^|; )attune=[A-Za-z0-9_-]+/, `the state is in the cookie: ${cookie}`);
  const visitor = await call(page, 'visitorId');
  assert.equal(visitor, payload.visitor, 'the visitor keeps the id the edge gave it');

  // 3. The next page: the edge reads that cookie — consent, id and ski interest — and picks
  //    the personalised campaign; the browser adopts it again.
  const second = await visit(page);
  assert.match(second.html, />Neuschnee für Skifans<\/h1>/);
  assert.match(second.headers['set-cookie'] || '', /^attune=[A-Za-z0-9_-]+; .*Path=\/.*SameSite=Lax/i);
  const payload2 = await call(page, 'payload');
  assert.equal(payload2.visitor, visitor, 'the edge read the visitor from the cookie');
  const adopted2 = await call(page, 'decide', 'hero');
  assert.equal(adopted2.campaign, 'ski');
  assert.equal(adopted2.edge, true);
  assert.equal(await call(page, 'visitorId'), visitor);
  assert.equal((await call(page, 'purposes')).personalization, true, 'the consent record came back from the cookie');

  // 4. A decision with overrides is the browser's own (same visitor, same state).
  const own = await call(page, 'decide', 'hero', { page: { path: '/other' } });
  assert.equal(own.edge, undefined);
  assert.equal(own.campaign, 'ski');
  assert.notEqual(own.token, adopted2.token);
  await page.close();
  assert.deepEqual(problems, []);
});
