// Consent in the browser runtime (createAttune) on Node, over a spying storage adapter:
// under the default optIn policy nothing reaches storage and profile campaigns wait until
// the visitor chooses; a withdrawal erases the profile in memory and in the stored bytes at
// once; a policyVersion bump voids an old record; TC strings (the shared TCF vectors), a
// CMP listener and GPC feed the same record; the collector sends nothing without
// `measurement`. docs/CONSENT.md is the contract.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import { DIST_DIR, VECTOR_DIR, WEB_DIR, assertBuilt } from './hosts/node_host.mjs';
import { manualClock as clockFrom, sharedStore } from './hosts/fakes.mjs';
import { MAX_BATCH, MAX_QUEUE } from '../../web/lib/collector.mjs';

const START = Date.parse('2026-11-25T10:00:00Z');
const KEY = 'attune:state';
const NONE = { storage: false, personalization: false, measurement: false, marketing: false, sensitive: false };
const ALL_BUT_SENSITIVE = { storage: true, personalization: true, measurement: true, marketing: true, sensitive: false };

// No `consent` key: the default policy (optIn) is what is under test.
const CONFIG = {
  version: 1,
  defaultLocale: 'en',
  sensitiveInterests: ['health'],
  placements: [
    { id: 'hero', default: { en: { headline: 'Welcome' } } },
    { id: 'promo', default: { en: { text: 'Our shop' } } },
    { id: 'banner', default: { en: { text: 'Hello' } } },
  ],
  campaigns: [
    {
      id: 'health',
      placement: 'hero',
      priority: 30,
      consent: ['personalization', 'sensitive'],
      audience: { topInterests: 'health' },
      variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Feel well' } } }],
    },
    {
      id: 'ski',
      placement: 'hero',
      priority: 20,
      audience: { topInterests: 'ski' },
      variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Fresh snow' } } }],
    },
    {
      id: 'newsletter',
      placement: 'promo',
      consent: ['marketing'],
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Join the list' } } }],
    },
    {
      id: 'ski-pages',
      placement: 'banner',
      audience: { 'page.path': { $regex: '^/ski' } },
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Ski' } } }],
    },
  ],
};

// Strings that identify the visitor's behaviour: none may be stored after a withdrawal.
const PROFILE_MARKERS = ['ski', 'health', 'boots-42', 'newsletter_open', 'Ada'];

const TCF_VECTORS = JSON.parse(readFileSync(join(VECTOR_DIR, 'tcf.json'), 'utf8'));
const TC_ALL = TCF_VECTORS.find((c) => c.name === 'every purpose consented: sensitive stays off').tcString;
const TC_NONE = TCF_VECTORS.find((c) => c.name === 'nothing granted').tcString;
const TC_STORAGE = TCF_VECTORS.find((c) => c.name === 'storage: purpose 1 consent').tcString;

let createAttune;
let wasmBinary;

before(async () => {
  assertBuilt();
  ({ createAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href));
  wasmBinary = readFileSync(join(DIST_DIR, 'attune.wasm'));
});



const clockAt = (start = START) => clockFrom(start);

function open(options = {}) {
  return createAttune({ config: CONFIG, wasmBinary, storage: 'memory', clock: clockAt(), tcfApi: false, ...options });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

function reasonFor(decision, campaign) {
  assert.equal(decision.error, undefined, decision.error);
  return decision.reasons.find((r) => r.campaign === campaign);
}

function headline(rt) {
  const d = rt.decide('hero', { name: 'Ada' });
  assert.equal(d.error, undefined, d.error);
  return d.content.headline;
}

function eventTotal(rt) {
  const p = rt.profile();
  assert.equal(p.error, undefined, p.error);
  return Object.values(p.behavior.counts).reduce((sum, c) => sum + c.lifetime, 0);
}

// A visit with every kind of personal data the stored bytes could leak.
function richVisit(rt) {
  for (const result of [
    rt.track('page_view', { categories: ['ski'], path: '/ski/boots' }),
    rt.track('page_view', { categories: ['ski', 'health'] }),
    rt.track('purchase', { amount: 40, items: [{ sku: 'boots-41', categories: ['ski'] }] }),
    rt.track('add_to_cart', { sku: 'boots-42', price: 120, categories: ['ski'] }),  // stays in the cart
    rt.track('newsletter_open'),
  ]) {
    assert.deepEqual(result, { ok: true });
  }
  rt.decidePage({ name: 'Ada' });
}

function assertNoProfileIn(bytes, what) {
  for (const marker of PROFILE_MARKERS) assert.ok(!bytes.includes(marker), `${what}: "${marker}" is still stored`);
}

describe('optIn, the default policy', () => {
  test('before any choice: contextual decisions only, nothing recorded, nothing written', async () => {
    const store = sharedStore(KEY);
    const rt = await open({ storage: store.adapter(), flushIntervalMs: 0 });
    assert.deepEqual(rt.purposes(), NONE);
    assert.equal(rt.consentRecord().present, false);
    for (let i = 0; i < 5; i++) assert.deepEqual(rt.track('page_view', { categories: ['ski'] }), { ok: true });
    assert.equal(eventTotal(rt), 0, 'no profile without personalization');

    // Even the site's own declared interest does not unlock a profile campaign without consent.
    const context = { page: { path: '/ski/boots' }, name: 'Ada', traits: { interests: ['ski'] } };
    const page = rt.decidePage(context, { reasons: true });
    const [hero, promo, banner] = page.decisions;
    assert.equal(hero.campaign, null);
    assert.deepEqual(reasonFor(hero, 'ski'), { campaign: 'ski', result: 'skipped', reason: 'consent:personalization' });
    assert.equal(reasonFor(promo, 'newsletter').reason, 'consent:marketing');
    assert.equal(banner.campaign, 'ski-pages', 'a context-only campaign needs no purpose');
    assert.deepEqual(banner.purposes, []);

    await tick();
    await rt.flush();
    await rt.close();
    assert.equal(store.writes, 0);
    assert.equal(store.removes, 0);
    assert.equal(store.values.size, 0);
    assert.ok(store.reads > 0, 'reading (to find an earlier choice) is allowed');
  });

  test('setConsent: profile campaigns from then on, the state stored, the record kept', async () => {
    const store = sharedStore(KEY);
    const clock = clockAt();
    const rt = await open({ storage: store.adapter(), clock });
    rt.track('page_view', { categories: ['ski'] });  // before consent: not recorded
    clock.advance(1000);
    const granted = rt.setConsent({ storage: true, personalization: true }, { source: 'banner' });
    assert.equal(granted.ok, true);
    assert.deepEqual(granted.record, {
      present: true,
      purposes: { ...NONE, storage: true, personalization: true },
      updated: START + 1000,
      source: 'banner',
      policyVersion: 1,
    });
    assert.deepEqual(rt.consentRecord(), granted.record);
    assert.equal(headline(rt), 'Welcome');
    rt.track('page_view', { categories: ['ski'] });
    const d = rt.decide('hero', undefined, { reasons: true });
    assert.equal(d.campaign, 'ski');
    assert.deepEqual(d.purposes, ['personalization']);
    await rt.flush();
    assert.ok(store.bytes().includes('ski'), 'the profile is stored');
    assert.ok(store.bytes().includes(rt.visitorId), 'and the id');
    const id = rt.visitorId;
    await rt.close();

    const next = await open({ storage: store.adapter(), clock });
    assert.equal(next.visitorId, id);
    assert.equal(next.consentRecord().source, 'banner');
    assert.equal(next.profile().behavior.counts.page_view.lifetime, 1);
    assert.equal(headline(next), 'Fresh snow');
    await next.close();
  });

  test('a choice without storage: only the record is written (no id, no profile)', async () => {
    const store = sharedStore(KEY);
    const rt = await open({ storage: store.adapter() });
    const id = rt.visitorId;
    assert.equal(rt.setConsent({ measurement: true, personalization: true }).ok, true);
    rt.track('page_view', { categories: ['ski'] });
    assert.equal(headline(rt), 'Fresh snow', 'personalization works in memory for this page');
    await rt.flush();
    await rt.close();
    assert.equal(store.writes, 1, 'one write: the record');
    const bytes = store.bytes();
    assert.ok(bytes.includes('api'), 'the record names its source');
    assert.ok(!bytes.includes(id), 'no visitor id');
    assertNoProfileIn(bytes, 'record-only blob');

    const next = await open({ storage: store.adapter() });
    assert.notEqual(next.visitorId, id, 'a new page without storage consent gets a new id');
    assert.deepEqual(next.purposes(), { ...NONE, measurement: true, personalization: true });
    assert.equal(eventTotal(next), 0);
    await next.close();
    assert.equal(store.writes, 1, 'reopening writes nothing');
  });
});

describe('withdrawal', () => {
  async function grantedVisit(store, extra = {}) {
    const rt = await open({ storage: store.adapter(), flushIntervalMs: 60_000 });
    assert.equal(rt.setConsent({ ...ALL_BUT_SENSITIVE, ...extra }).ok, true);
    richVisit(rt);
    await rt.flush();
    return rt;
  }

  test('withdrawing personalization erases the profile in memory and in the stored bytes at once', async () => {
    const store = sharedStore(KEY);
    const rt = await grantedVisit(store);
    const stored = store.bytes();
    for (const marker of ['ski', 'boots-42', 'newsletter_open']) {
      assert.ok(stored.includes(marker), `the check can see "${marker}" while it is stored`);
    }
    rt.track('page_view', { categories: ['ski'] });  // queued, not yet stored
    assert.equal(rt.setConsent({ personalization: false }).ok, true);
    assertNoProfileIn(store.bytes(), 'synchronously after the withdrawal');
    assert.equal(eventTotal(rt), 0);
    assert.deepEqual(rt.profile().interests, {});
    assert.equal(rt.profile().cart.count, 0);
    assert.equal(headline(rt), 'Welcome');
    rt.track('page_view', { categories: ['ski'] });
    assert.equal(eventTotal(rt), 0, 'nothing is recorded afterwards');
    await rt.close();
    assertNoProfileIn(store.bytes(), 'after close');
    const record = (await open({ storage: store.adapter() })).consentRecord();
    assert.equal(record.purposes.personalization, false);
    assert.equal(record.purposes.storage, true);
  });

  test('withdrawing storage leaves only the record: no id, no profile, no later writes', async () => {
    const store = sharedStore(KEY);
    const rt = await grantedVisit(store);
    const id = rt.visitorId;
    assert.ok(store.bytes().includes(id));
    assert.equal(rt.setConsent({ storage: false }).ok, true);
    const bytes = store.bytes();
    assert.ok(!bytes.includes(id), 'the id is gone from storage');
    assertNoProfileIn(bytes, 'after withdrawing storage');
    assert.equal(eventTotal(rt), 0, 'no profile may outlive the storage it was kept in');
    const writes = store.writes;
    for (let i = 0; i < 10; i++) rt.track('page_view', { categories: ['ski'] });
    await rt.flush();
    await rt.close();
    assert.equal(store.writes, writes, 'nothing written after the withdrawal');
  });

  test('withdrawing sensitive purges sensitive keys from the stored bytes, the rest stays', async () => {
    const store = sharedStore(KEY);
    const rt = await grantedVisit(store, { sensitive: true });
    assert.ok(store.bytes().includes('health'));
    assert.equal(headline(rt), 'Feel well');
    assert.equal(rt.setConsent({ sensitive: false }).ok, true);
    assert.ok(!store.bytes().includes('health'), 'health is gone from storage');
    assert.ok(store.bytes().includes('ski'), 'non-sensitive interests stay');
    assert.equal(headline(rt), 'Fresh snow');
    await rt.close();
  });

  test('forget(): profile and id gone, record kept; without storage only the record is written', async () => {
    const store = sharedStore(KEY);
    const rt = await grantedVisit(store);
    const id = rt.visitorId;
    const record = rt.consentRecord();
    assert.deepEqual(rt.forget(), { ok: true });
    assertNoProfileIn(store.bytes(), 'after forget');
    assert.ok(!store.bytes().includes(id));
    assert.notEqual(rt.visitorId, id);
    assert.deepEqual(rt.consentRecord(), record);
    await rt.close();

    const bare = sharedStore(KEY);
    const optIn = await open({ storage: bare.adapter() });
    optIn.track('page_view');
    assert.deepEqual(optIn.forget(), { ok: true });
    await optIn.close();
    assert.equal(bare.writes + bare.removes, 0, 'no choice made: forget writes nothing');
  });

  test('a withdrawal in one tab is not undone by the other tab', async () => {
    const store = sharedStore(KEY);
    const a = await open({ storage: store.adapter(), flushIntervalMs: 60_000 });
    const b = await open({ storage: store.adapter(), flushIntervalMs: 60_000 });
    a.setConsent(ALL_BUT_SENSITIVE);
    await a.flush();
    await tick();
    assert.deepEqual(b.purposes(), ALL_BUT_SENSITIVE, "b adopts a's choice from storage");
    richVisit(a);
    b.track('add_to_cart', { sku: 'boots-42', categories: ['ski'] });
    await a.flush();
    b.track('page_view', { categories: ['ski'] });  // queued in b while a withdraws
    a.setConsent({ personalization: false });
    await b.flush();
    await tick();
    await a.flush();
    assertNoProfileIn(store.bytes(), 'after both tabs flushed');
    assert.equal(eventTotal(b), 0);
    assert.equal(b.purposes().personalization, false);
    await a.close();
    await b.close();
    assertNoProfileIn(store.bytes(), 'after close');
  });
});

describe('policy version', () => {
  test('a record given under an older policyVersion is ignored and its profile dropped from storage', async () => {
    const store = sharedStore(KEY);
    const v1 = await open({ storage: store.adapter(), config: { ...CONFIG, consent: { policyVersion: 1 } } });
    v1.setConsent(ALL_BUT_SENSITIVE);
    richVisit(v1);
    await v1.close();
    assert.ok(store.bytes().includes('ski'));

    const config = { ...CONFIG, consent: { policy: 'optIn', policyVersion: 2 } };
    const v2 = await open({ storage: store.adapter(), config });
    assert.deepEqual(v2.purposes(), NONE);
    const stale = v2.consentRecord();
    assert.equal(stale.present, true, 'the old record stays as proof');
    assert.equal(stale.policyVersion, 1);
    assert.equal(eventTotal(v2), 0);
    const hero = v2.decide('hero', { traits: { interests: ['ski'] } }, { reasons: true });
    assert.equal(reasonFor(hero, 'ski').reason, 'consent:personalization');
    await v2.flush();
    assertNoProfileIn(store.bytes(), 'rewritten at load under the new policy');
    assert.equal(v2.setConsent({ storage: true }).record.policyVersion, 2);
    await v2.close();

    // optOut after a bump: the policy default again, not the old record's denials.
    const denied = sharedStore(KEY);
    const old = await open({ storage: denied.adapter(), config: { ...CONFIG, consent: { policy: 'optOut' } } });
    old.setConsent({ marketing: false });
    await old.close();
    const bumped = await open({ storage: denied.adapter(), config: { ...CONFIG, consent: { policy: 'optOut', policyVersion: 3 } } });
    assert.deepEqual(bumped.purposes(), ALL_BUT_SENSITIVE);
    await bumped.close();
  });

  test('state kept under optOut without a choice is removed when the site switches to optIn', async () => {
    const store = sharedStore(KEY);
    const optOut = await open({ storage: store.adapter(), config: { ...CONFIG, consent: { policy: 'optOut' } } });
    richVisit(optOut);
    await optOut.close();
    assert.ok(store.bytes().includes('ski'));
    const optIn = await open({ storage: store.adapter() });
    assert.equal(eventTotal(optIn), 0, 'not used');
    await optIn.flush();
    assert.equal(store.text(), null, 'not kept: no record, so nothing at all');
    assert.equal(store.removes, 1);
    await optIn.close();
  });
});

describe('TCF', () => {
  const cases = TCF_VECTORS.filter((c) => !c.expected.error);
  test(`setConsent({tcString}) maps every valid vector (${cases.length}) as the core does`, async () => {
    const runtimes = new Map();  // one per vendor id (it is config)
    for (const c of cases) {
      if (!runtimes.has(c.vendorId)) {
        const config = c.vendorId ? { ...CONFIG, consent: { vendorId: c.vendorId } } : CONFIG;
        runtimes.set(c.vendorId, await open({ config }));
      }
      const rt = runtimes.get(c.vendorId);
      const result = rt.setConsent({ tcString: c.tcString }, { source: 'tcf' });
      assert.equal(result.error, undefined, `${c.name}: ${result.error}`);
      assert.deepEqual(result.record.purposes, c.expected.purposes, c.name);
      assert.deepEqual(rt.purposes(), c.expected.purposes, c.name);
      assert.equal(result.record.source, 'tcf');
    }
    for (const rt of runtimes.values()) await rt.close();
  });

  test('a malformed TC string is refused with the reason and changes nothing', async () => {
    const rt = await open();
    rt.setConsent({ tcString: TC_STORAGE });
    const before = rt.consentRecord();
    const errors = TCF_VECTORS.filter((c) => c.expected.error && c.tcString !== '');
    assert.ok(errors.length >= 5);
    for (const c of errors) {
      const result = rt.setConsent({ tcString: c.tcString });
      assert.equal(result.error, `TC string refused: ${c.reason}`, c.name);
    }
    const hostile = ['\uD800', 'é'.repeat(100), 'A'.repeat(65536), '....', 'C'.repeat(3)];
    for (const text of hostile) assert.match(rt.setConsent({ tcString: text }).error, /TC string refused/);
    assert.match(rt.setConsent({ tcString: 'A'.repeat(65537) }).error, /tcString: 65537 characters/);
    assert.deepEqual(rt.consentRecord(), before);
    assert.deepEqual(rt.purposes(), { ...NONE, storage: true });
    await rt.close();
  });

  test('explicit flags win over the TC string; sensitive only ever by a flag', async () => {
    const rt = await open();
    assert.deepEqual(rt.setConsent({ tcString: TC_ALL, marketing: false }).record.purposes, {
      ...ALL_BUT_SENSITIVE,
      marketing: false,
    });
    assert.equal(rt.setConsent({ sensitive: true }).record.purposes.sensitive, true);
    assert.equal(rt.setConsent({ tcString: TC_NONE }).record.purposes.sensitive, true, 'TCF leaves sensitive alone');
    assert.deepEqual(rt.purposes(), { ...NONE, sensitive: true });
    await rt.close();
  });

  // A __tcfapi stub: records calls, lets the test play the CMP's events.
  function stubCmp() {
    const calls = [];
    let listener = null;
    const api = (command, version, callback, parameter) => {
      calls.push({ command, version, parameter });
      if (command === 'addEventListener') {
        listener = callback;
        callback({ eventStatus: 'cmpuishown', listenerId: 7, gdprApplies: true }, true);
      }
      if (command === 'removeEventListener') callback(true);
    };
    const emit = (tcData, success = true) => listener({ listenerId: 7, gdprApplies: true, ...tcData }, success);
    return { api, calls, emit };
  }

  test('a CMP through __tcfapi: choices picked up with source "tcf", listener removed on close', async () => {
    const cmp = stubCmp();
    const clock = clockAt();
    const store = sharedStore(KEY);
    const rt = await open({ tcfApi: cmp.api, clock, storage: store.adapter() });
    assert.deepEqual(cmp.calls[0], { command: 'addEventListener', version: 2, parameter: undefined });
    assert.equal(rt.cmpStatus.state, 'listening', 'the banner is shown: nothing decided yet');
    assert.equal(rt.consentRecord().present, false);

    cmp.emit({ eventStatus: 'useractioncomplete', tcString: TC_ALL });
    assert.equal(rt.cmpStatus.state, 'applied');
    const record = rt.consentRecord();
    assert.equal(record.source, 'tcf');
    assert.deepEqual(record.purposes, ALL_BUT_SENSITIVE);

    clock.advance(60_000);
    cmp.emit({ eventStatus: 'tcloaded', tcString: TC_ALL });
    assert.equal(rt.cmpStatus.changed, false);
    assert.equal(rt.consentRecord().updated, record.updated, 'the same choice again changes nothing');

    cmp.emit({ eventStatus: 'useractioncomplete', tcString: 'not a TC string' });
    assert.equal(rt.cmpStatus.state, 'refused');
    assert.match(rt.cmpStatus.reason, /TC string refused/);
    assert.deepEqual(rt.consentRecord(), record);

    cmp.emit({ eventStatus: 'useractioncomplete', tcString: TC_STORAGE });
    assert.deepEqual(rt.purposes(), { ...NONE, storage: true }, 'a later withdrawal through the CMP applies');
    cmp.emit({ eventStatus: 'tcloaded' }, false);
    assert.equal(rt.cmpStatus.state, 'error');

    await rt.close();
    assert.deepEqual(cmp.calls.at(-1), { command: 'removeEventListener', version: 2, parameter: 7 });
    cmp.emit({ eventStatus: 'useractioncomplete', tcString: TC_ALL });  // after close: ignored
    assert.deepEqual(JSON.parse(JSON.stringify(rt.consentRecord())), { error: 'runtime closed' });
  });

  test('window.__tcfapi is found on its own; tcfApi: false turns the pickup off; a throwing CMP is reported', async () => {
    const cmp = stubCmp();
    globalThis.__tcfapi = cmp.api;
    try {
      const found = await open({ tcfApi: undefined });
      cmp.emit({ eventStatus: 'tcloaded', tcString: TC_ALL });
      assert.equal(found.consentRecord().source, 'tcf');
      await found.close();
      const off = await open({ tcfApi: false });
      assert.equal(off.cmpStatus.state, 'disabled');
      await off.close();
    } finally {
      delete globalThis.__tcfapi;
    }
    const absent = await open({ tcfApi: undefined });
    assert.equal(absent.cmpStatus.state, 'absent');
    await absent.close();
    const throwing = await open({
      tcfApi: () => {
        throw new Error('CMP not ready');
      },
    });
    assert.equal(throwing.cmpStatus.state, 'error');
    assert.match(throwing.cmpStatus.reason, /CMP not ready/);
    await throwing.close();
  });
});

describe('Global Privacy Control', () => {
  test('GPC denies marketing whatever was granted; read at every decision; no override touches consent', async () => {
    let gpc = false;
    const rt = await open({ gpc: () => gpc });
    rt.setConsent(ALL_BUT_SENSITIVE);
    assert.equal(rt.decide('promo').campaign, 'newsletter');
    gpc = true;
    const d = rt.decide('promo', undefined, { reasons: true });
    assert.equal(d.campaign, null);
    assert.equal(reasonFor(d, 'newsletter').reason, 'consent:marketing');
    assert.match(rt.decide('promo', { consent: { gpc: false } }).error, /context\.consent: record choices with setConsent/);
    assert.match(rt.decidePage({ consent: { marketing: true } }).error, /context\.consent/, 'no bypass of the record');
    assert.deepEqual(rt.purposes(), { ...ALL_BUT_SENSITIVE, marketing: false });
    assert.equal(rt.consentRecord().purposes.marketing, true, 'the record keeps what the visitor said');
    assert.match(rt.setConsent({ gpc: false }).error, /consent\.gpc/);
    gpc = false;
    assert.equal(rt.decide('promo').campaign, 'newsletter');
    await rt.close();

    const sneaky = await open({ context: (defaults) => ({ ...defaults, consent: { personalization: true } }) });
    assert.match(sneaky.decide('hero').error, /context\.consent/, 'nor can the context function');
    await sneaky.close();

    const fixed = await open({ gpc: true });
    fixed.setConsent({ marketing: true });
    assert.equal(fixed.decide('promo').campaign, null);
    await fixed.close();
    const broken = await open({
      gpc: () => {
        throw new Error('no signal');
      },
    });
    broken.setConsent({ marketing: true });
    assert.equal(broken.purposes().marketing, false, 'a GPC reader that throws counts as GPC on');
    await broken.close();
  });
});

describe('collector', () => {
  function spyTransport(result = true) {
    const batches = [];
    const transport = (url, body) => {
      batches.push({ url, body: JSON.parse(body) });
      return result;
    };
    return { batches, transport };
  }

  // A real decision token (the core refuses anything else): the contextual banner shows
  // without consent, and every decision has a token of its own.
  function tokenOf(rt) {
    const d = rt.decide('banner', { page: { path: '/ski' } });
    assert.equal(typeof d.token, 'string', JSON.stringify(d));
    return d.token;
  }

  test('without measurement nothing is queued or sent', async () => {
    const spy = spyTransport();
    const rt = await open({ collectorUrl: '/collect', collectorTransport: spy.transport, flushIntervalMs: 0 });
    rt.setConsent({ storage: true, personalization: true, marketing: true });
    const token = tokenOf(rt);
    for (const call of [rt.impression(token), rt.click(token), rt.dismiss(token), rt.conversion(token, 10)]) {
      assert.deepEqual(call, { ok: true, queued: false });
    }
    assert.equal(rt.profile().behavior.counts.impression.lifetime, 1, 'still a profile event');
    await tick();
    await rt.close();
    assert.deepEqual(spy.batches, []);
    assert.equal(rt.collectorStats.sent, 0);
  });

  test('with measurement: events go out in batches with the envelope', async () => {
    const spy = spyTransport();
    const clock = clockAt();
    const rt = await open({ collectorUrl: '/collect', collectorTransport: spy.transport, flushIntervalMs: 0, clock });
    rt.setConsent({ measurement: true });
    const token = tokenOf(rt);
    assert.deepEqual(rt.impression(token), { ok: true, queued: true });
    clock.advance(5);
    rt.click(token);
    rt.dismiss(token);
    rt.conversion(token, 25.5);
    await tick();
    assert.equal(spy.batches.length, 1);
    const [{ url, body }] = spy.batches;
    assert.equal(url, '/collect');
    assert.equal(body.v, 2);
    assert.match(body.batch, /^[0-9a-f]{16}:1$/);
    assert.equal(body.visitor, rt.visitorId);
    assert.deepEqual(body.events, [
      { id: `${token}:impression`, type: 'impression', token, at: START },
      { id: `${token}:click`, type: 'click', token, at: START + 5 },
      { id: `${token}:dismiss`, type: 'dismiss', token, at: START + 5 },
      { id: `${token}:conversion`, type: 'conversion', token, at: START + 5, value: 25.5 },
    ]);
    assert.equal(rt.profile().behavior.counts.impression.lifetime, 0, 'no profile without personalization');
    assert.deepEqual({ ...rt.collectorStats }, {
      queued: 0, inFlight: 0, sent: 4, retried: 0, failed: 0, dropped: 0, discarded: 0, beacons: 0, batches: 1, errors: 0,
    });
    await rt.close();
  });

  test('a withdrawal or forget() discards the queue; nothing leaves afterwards', async () => {
    const spy = spyTransport();
    const rt = await open({ collectorUrl: '/collect', collectorTransport: spy.transport, flushIntervalMs: 60_000 });
    rt.setConsent({ measurement: true });
    for (let i = 0; i < 3; i++) rt.impression(tokenOf(rt));
    assert.equal(rt.collectorStats.queued, 3);
    rt.setConsent({ measurement: false });
    assert.equal(rt.collectorStats.queued, 0);
    assert.equal(rt.collectorStats.discarded, 3);
    assert.deepEqual(rt.click(tokenOf(rt)), { ok: true, queued: false });
    rt.setConsent({ measurement: true });
    assert.deepEqual(rt.click(tokenOf(rt)), { ok: true, queued: true });
    rt.forget();
    assert.equal(rt.collectorStats.discarded, 4);
    await rt.close();
    assert.deepEqual(spy.batches, []);
  });

  test(`the queue is bounded (${MAX_QUEUE}, oldest dropped) and sent ${MAX_BATCH} per request`, async () => {
    const spy = spyTransport();
    const rt = await open({ collectorUrl: '/collect', collectorTransport: spy.transport, flushIntervalMs: 60_000 });
    rt.setConsent({ measurement: true });
    const tokens = [];
    for (let i = 0; i < MAX_QUEUE + 100; i++) {
      tokens.push(tokenOf(rt));
      assert.deepEqual(rt.impression(tokens[i]), { ok: true, queued: true });
    }
    assert.equal(new Set(tokens).size, tokens.length, 'a token per decision');
    assert.equal(rt.collectorStats.queued, MAX_QUEUE);
    assert.equal(rt.collectorStats.dropped, 100);
    await rt.close();
    assert.equal(spy.batches.length, MAX_QUEUE / MAX_BATCH);
    assert.equal(spy.batches[0].body.events[0].token, tokens[100]);
    assert.equal(spy.batches.at(-1).body.events.at(-1).token, tokens.at(-1));
    assert.deepEqual(new Set(spy.batches.map((b) => b.body.batch)).size, spy.batches.length, 'batch ids are unique');
  });

  test('bad tokens and values are refused and queue nothing; a refused batch is counted and kept', async () => {
    const spy = spyTransport(false);
    const rt = await open({ collectorUrl: '/collect', collectorTransport: spy.transport, flushIntervalMs: 60_000 });
    rt.setConsent({ measurement: true });
    for (const bad of [undefined, null, '', 42, {}, 't1.0.0.abc', 'x'.repeat(300)]) assert.match(rt.impression(bad).error, /token/);
    const token = tokenOf(rt);
    assert.match(rt.conversion(token, -1).error, /value/);
    assert.match(rt.conversion(token, Number.NaN).error, /value/);
    assert.match(rt.conversion(token, '12').error, /value/);
    assert.equal(rt.collectorStats.queued, 0);
    rt.impression(token);
    await rt.close();
    assert.equal(spy.batches.length, 1);
    assert.equal(rt.collectorStats.errors, 1, 'one refused request');
    assert.equal(rt.collectorStats.queued, 1, 'still unconfirmed: not given up');
    assert.equal(rt.collectorStats.failed, 0);
    assert.equal(rt.collectorStats.sent, 0);
    assert.match(rt.collectorStats.lastError, /refused/);
  });

  test('no collectorUrl: measurement events are profile events only', async () => {
    const rt = await open();
    rt.setConsent({ measurement: true, personalization: true });
    assert.deepEqual(rt.impression(tokenOf(rt)), { ok: true, queued: false });
    assert.equal(rt.profile().behavior.counts.impression.lifetime, 1);
    await rt.close();
  });
});

describe('bad input', () => {
  test('setConsent refuses anything but purpose flags and a TC string, precisely', async () => {
    const rt = await open();
    const cases = [
      [null, /must be an object/],
      ['storage', /must be an object/],
      [[true], /must be an object/],
      [{}, /at least one/],
      [{ storage: 'yes' }, /consent\.storage: must be true or false/],
      [{ storage: 1 }, /consent\.storage/],
      [{ tcString: 5 }, /consent\.tcString/],
      [{ tcString: '' }, /consent\.tcString/],
      [{ gpc: true }, /consent\.gpc/],
      [{ colour: true }, /consent\.colour: unknown/],
      [{ ['k'.repeat(10_000)]: true }, /unknown/],
    ];
    for (const [input, pattern] of cases) assert.match(rt.setConsent(input).error, pattern, JSON.stringify(input)?.slice(0, 40));
    for (const source of ['', 'x'.repeat(33), 'a b', 7, '\u00e9']) {
      assert.match(rt.setConsent({ storage: true }, { source }).error, /options\.source/);
    }
    assert.match(rt.setConsent({ storage: true }, 'banner').error, /options/);
    assert.equal(rt.consentRecord().present, false, 'nothing was recorded');
    await rt.close();
    for (const call of [() => rt.setConsent({ storage: true }), () => rt.consentRecord(), () => rt.purposes(), () => rt.impression('t1.0.0.closed')]) {
      assert.deepEqual(call(), { error: 'runtime closed' });
    }
  });

  test('wrong option types reject createAttune', async () => {
    await assert.rejects(open({ collectorUrl: 5 }), /collectorUrl/);
    await assert.rejects(open({ collectorUrl: '' }), /collectorUrl/);
    await assert.rejects(open({ collectorUrl: `/${'x'.repeat(3000)}` }), /collectorUrl/);
    await assert.rejects(open({ collectorTransport: 'beacon' }), /collectorTransport/);
    await assert.rejects(open({ gpc: 'yes' }), /gpc/);
    await assert.rejects(open({ tcfApi: true }), /tcfApi/);
    await assert.rejects(open({ config: { ...CONFIG, consent: { policy: 'maybe' } } }), /consent\.policy/);
  });

  test('random TC-string-like garbage never throws and never changes the record', async () => {
    const rt = await open();
    rt.setConsent({ storage: true });
    const record = rt.consentRecord();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const length = 1 + Math.floor(random() * 120);
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const result = rt.setConsent({ tcString: text });
      if (result.error) {
        refused++;
        assert.match(result.error, /^TC string refused: /);
        assert.deepEqual(rt.consentRecord(), record);
      } else {
        rt.setConsent({ storage: true, personalization: false, measurement: false, marketing: false });
        Object.assign(record, rt.consentRecord());
      }
    }
    assert.ok(refused > 900, `${refused} of 1000 random strings refused`);
    await rt.close();
  });
});
