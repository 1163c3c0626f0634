// The browser side of the edge hand-off, in Node: a page's #attune-edge payload is adopted
// (decide/decidePage return the edge's decisions), impressions of adopted decisions are
// exposure events only (the edge counted them), malformed payloads are ignored with a
// reason, and the cookie store reads and writes the state as the edge does. The real
// browser + real workerd round trip is tests/js/chromium_edge.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { createAttune } from '../../web/runtime.mjs';
import { cookieStore, COOKIE_BUDGET } from '../../web/lib/cookie_storage.mjs';
import { parseEdgePayload } from '../../web/lib/edge_handoff.mjs';

const wasmBinary = await readFile(new URL('../../web/dist/attune.wasm', import.meta.url));
const NOW = Date.UTC(2026, 10, 25, 12);
const CONFIG = {
  version: 1, consent: { policy: 'optOut' },
  placements: [{ id: 'hero', default: { en: { h: 'Welcome' } } }, { id: 'banner' }],
  campaigns: [
    { id: 'spring', placement: 'hero', variants: [{ id: 'a', content: { en: { h: 'Spring' } } }] },
    { id: 'promo', placement: 'banner', variants: [{ id: 'a', content: { en: { t: 'Promo' } } }] },
  ],
};

async function edgeDecisions(visitor) {
  // What an edge worker would have decided (the same engine, counting at decide time).
  const rt = await createAttune({ config: CONFIG, storage: 'memory', wasmBinary, clock: () => NOW, edge: false });
  const page = rt.decidePage({ id: visitor });
  await rt.close();
  return page.decisions;
}

function payload(decisions, extra = {}) {
  return JSON.stringify({ v: 1, visitor: 'edge-visitor-1', at: NOW, cookie: 'attune', decisions, ...extra });
}

test('adopted decisions are returned as they are, marked edge, without deciding again', async () => {
  const decisions = await edgeDecisions('edge-visitor-1');
  // The edge's hero says something the browser's config would never say: proof of adoption.
  decisions[0] = { ...decisions[0], content: { h: 'Rendered at the edge' } };
  const sent = [];
  const rt = await createAttune({
    config: CONFIG, storage: 'memory', wasmBinary, clock: () => NOW, edge: payload(decisions),
    collectorUrl: '/collect', collectorTransport: (url, body) => (sent.push(JSON.parse(body)), true),
  });
  assert.deepEqual(rt.edgeStatus, { adopted: true, placements: ['hero', 'banner'], visitor: 'edge-visitor-1' });
  assert.equal(rt.visitorId, 'edge-visitor-1', 'tokens are bound to the id the edge decided for');
  const hero = rt.decide('hero');
  assert.equal(hero.edge, true);
  assert.deepEqual(hero.content, { h: 'Rendered at the edge' });
  assert.equal(hero.token, decisions[0].token);
  hero.content.h = 'changed by the caller';
  assert.deepEqual(rt.decide('hero').content, { h: 'Rendered at the edge' }, 'each call gets a fresh copy');
  const page = rt.decidePage();
  assert.deepEqual(page.decisions.map((d) => [d.placement, d.edge, d.token]),
    decisions.map((d) => [d.placement, true, d.token]));
  // Overrides ask for a new decision: the browser decides.
  const fresh = rt.decide('hero', { traits: { tier: 'gold' } });
  assert.equal(fresh.edge, undefined);
  assert.notEqual(fresh.token, hero.token);
  // The edge counted the impression: reporting it sends the exposure, once.
  assert.deepEqual(rt.impression(hero.token), { ok: true, queued: true });
  assert.deepEqual(rt.impression(hero.token), { error: 'token: this impression was already reported' });
  // A click on the edge's token is this page's to count (the browser verifies it).
  assert.equal(rt.click(hero.token).ok, true);
  await rt.close();
  const events = sent.flatMap((b) => b.events);
  assert.deepEqual(events.map((e) => [e.type, e.token]), [['impression', hero.token], ['click', hero.token]]);
});

test('a malformed or hostile payload is ignored with a reason; the page decides itself', async () => {
  const good = await edgeDecisions('edge-visitor-1');
  const cases = [
    ['not json', 'the edge payload is not JSON'],
    [JSON.stringify({ v: 2, visitor: 'x', at: NOW, decisions: [] }), 'not version 1'],
    [payload(good, { visitor: '' }), 'no visitor id'],
    [payload(good, { at: 'yesterday' }), 'no time'],
    [payload([{ placement: 'hero', token: 7 }]), 'malformed token'],
    [payload([good[0], good[0]]), 'malformed decision'],
    [payload('x'.repeat(300000)), 'over'],
    [payload([{ placement: '<script>alert(1)</script>'.repeat(10), token: null }]), 'malformed decision'],
  ];
  for (const [text, reason] of cases) {
    const parsed = parseEdgePayload(text);
    assert.equal(parsed.payload, null, reason);
    assert.match(parsed.reason, new RegExp(reason.replace(/[()]/g, '\\$&')));
    const rt = await createAttune({ config: CONFIG, storage: 'memory', wasmBinary, clock: () => NOW, edge: text });
    assert.equal(rt.edgeStatus.adopted, false);
    assert.match(rt.edgeStatus.reason, new RegExp(reason.replace(/[()]/g, '\\$&')));
    const d = rt.decide('hero');
    assert.equal(d.edge, undefined);
    assert.equal(d.campaign, 'spring');
    await rt.close();
  }
  await assert.rejects(createAttune({ config: CONFIG, wasmBinary, edge: 42 }), /edge: must be/);
  await assert.rejects(createAttune({ config: CONFIG, wasmBinary, cookie: 'a b' }), /cookie: must be a cookie name/);
});

test('the cookie store reads the named cookie among others and writes it with its attributes', () => {
  const jar = { cookie: 'other=1; attune=QUJD; attune2=x' };
  let written = null;
  const doc = {
    get cookie() { return jar.cookie; },
    set cookie(v) { written = v; },
  };
  const secure = cookieStore('attune', doc, true);
  assert.equal(secure.getItem(), 'QUJD');
  secure.setItem('key', 'abc');
  assert.equal(written, 'attune=abc; Path=/; SameSite=Lax; Secure; Max-Age=31536000');
  cookieStore('attune', doc, false).setItem('key', 'abc');
  assert.equal(written, 'attune=abc; Path=/; SameSite=Lax; Max-Age=31536000');
  secure.removeItem();
  assert.match(written, /^attune=; Path=\/; SameSite=Lax; Secure; Max-Age=0$/);
  assert.throws(() => secure.setItem('key', 'x'.repeat(COOKIE_BUDGET + 1)), /a cookie holds 3800/);
  assert.equal(cookieStore('missing', doc, true).getItem(), null);
  jar.cookie = '';
  assert.equal(secure.getItem(), null);
});
