// The edge's state form through the Wasm module: 10,000 tracked events still fit a cookie
// under 4,096 bytes, and the restored visitor gets the same decisions. Prints the sizes and
// the cost of track() from JS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import createAttuneModule from '../../web/dist/attune.mjs';

const root = new URL('../../', import.meta.url);
const wasmBinary = await readFile(new URL('web/dist/attune.wasm', root));
const M = await createAttuneModule({ wasmBinary });

const config = JSON.stringify({
  version: 1,
  consent: { policy: 'optOut' },
  placements: [{ id: 'hero', default: { en: { h: 'default' } } }, { id: 'banner' }],
  campaigns: [
    { id: 'skier', placement: 'hero', priority: 5, audience: { 'topInterests.0': 'ski' },
      variants: [{ id: 'a', content: { en: { h: 'Fresh snow' } } }] },
    { id: 'busy', placement: 'banner', priority: 5, audience: { 'behavior.counts.page_view.d7': { $gte: 100 } },
      variants: [{ id: 'a', content: { en: { t: '{{behavior.counts.page_view.d7}} views this week' } } }] },
  ],
});
const DAY = 86400000;
const START = Date.UTC(2026, 9, 1);

test('10,000 events: cookie ≤ 4,096 bytes, same decisions after restoring it', () => {
  const engine = new M.Engine(config);
  const visitor = new M.Visitor();
  visitor.setId('visitor-5d7e9c1a');
  const categories = ['ski', 'ski', 'boots', 'jackets'];
  const t0 = performance.now();
  let now = START;
  for (let i = 0; i < 10000; i++) {
    now = START + i * ((60 * DAY) / 10000);
    const error = i % 25 === 0
      ? engine.trackJson(visitor, 'purchase', JSON.stringify({ amount: 40, items: [{ sku: 'w', categories: ['ski'] }] }), now)
      : engine.trackJson(visitor, 'page_view', JSON.stringify({ categories: [categories[i % 4]] }), now);
    assert.equal(error, '');
  }
  const perEvent = ((performance.now() - t0) * 1000) / 10000;
  const stateBytes = new Uint8Array(visitor.stateView()).length;
  const cookie = visitor.cookieText(4096);
  console.log(`# track(): ${perEvent.toFixed(2)} µs/event (Wasm from JS, incl. JSON.stringify of props)`);
  console.log(`# state after 10,000 events: ${stateBytes} bytes as a blob, ${cookie.length} characters as a cookie`);
  assert.ok(cookie.length > 0 && cookie.length <= 4096, `cookie is ${cookie.length} characters`);

  const restored = new M.Visitor();
  const report = JSON.parse(restored.loadCookie(cookie));
  assert.equal(report.status, 'ok');
  assert.equal(restored.id(), 'visitor-5d7e9c1a');
  const context = JSON.stringify({ now: now + 3600000 });
  engine.seedTokenEntropy(0);  // the same nonces for both, so the tokens compare equal too
  const before = engine.decidePageForJson(visitor, context, true);
  engine.seedTokenEntropy(0);
  const after = engine.decidePageForJson(restored, context, true);
  assert.equal(after, before);
  const decisions = JSON.parse(after).decisions;
  assert.equal(decisions[0].campaign, 'skier');
  assert.equal(decisions[1].campaign, 'busy');
  const profile = JSON.parse(engine.profileJson(restored, now + 3600000));
  assert.equal(profile.behavior.counts.purchase.lifetime, 400);
  assert.equal(profile.behavior.counts.page_view.lifetime, 9600);
  for (const h of [engine, visitor, restored]) h.delete();
});

test('garbage cookies and blobs load as a fresh visitor with a reason, never a throw', () => {
  const v = new M.Visitor();
  for (const text of ['', 'not base64 at all!', 'QUJD', 'x'.repeat(100000), '\u0000\uffff']) {
    const report = JSON.parse(v.loadCookie(text));
    assert.notEqual(report.status, 'ok', text.slice(0, 20));
    if (text !== '') assert.ok(report.reason.length > 0);
  }
  for (const bytes of [new Uint8Array([65, 84, 83, 0, 1, 0]), new Uint8Array(5000).fill(7)]) {
    assert.notEqual(JSON.parse(v.loadState(bytes)).status, 'ok');
  }
  v.delete();
});

test('the edge entry point sets no cookie without the storage purpose', () => {
  const optIn = new M.Engine(JSON.stringify({ version: 1, placements: [{ id: 'p' }] }));
  const v = new M.Visitor();
  v.setId('visitor-1');
  // optIn and no choice yet: tracking records nothing and there is no cookie to set.
  assert.equal(optIn.trackJson(v, 'page_view', '{"categories": ["ski"]}', START), '');
  assert.equal(optIn.cookieForJson(v, 4096, false), '');
  assert.deepEqual(JSON.parse(optIn.purposesJson(v, false)),
    { storage: false, personalization: false, measurement: false, marketing: false, sensitive: false });
  // Personalization alone still stores nothing.
  JSON.parse(optIn.setConsentJson(v, '{"personalization": true}', 'banner', START));
  assert.equal(optIn.cookieForJson(v, 4096, false), '');
  // With storage the state travels; GPC does not touch storage.
  const record = JSON.parse(optIn.setConsentJson(v, '{"storage": true}', 'banner', START));
  assert.equal(record.purposes.storage, true);
  assert.equal(record.source, 'banner');
  const cookie = optIn.cookieForJson(v, 4096, true);
  assert.ok(cookie.length > 0);
  const restored = new M.Visitor();
  assert.equal(JSON.parse(restored.loadCookie(cookie)).status, 'ok');
  assert.equal(JSON.parse(restored.consentRecordJson()).purposes.storage, true);
  // Withdrawing storage: no cookie again, and the profile is gone.
  JSON.parse(optIn.setConsentJson(v, '{"storage": false}', 'banner', START + 1000));
  assert.equal(optIn.cookieForJson(v, 4096, false), '');
  assert.equal(JSON.parse(optIn.profileJson(v, START + 1000)).behavior.counts.page_view.lifetime, 0);
  for (const h of [optIn, v, restored]) h.delete();
});
