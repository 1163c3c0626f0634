// Recovery from real Wasm traps (web/lib/recovery.mjs). The test-only hook
// Symbol.for('attune.test.trap') hands the next n Engine/Visitor exports a handle outside
// Wasm memory, so the real export traps where the API call was running: nothing here is a
// mock. After a trap: the same answers, the same visitor state (counts, consent record),
// one report per trap, a bounded number of recoveries, and nothing thrown.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import { DIST_DIR, WEB_DIR, assertBuilt } from './hosts/node_host.mjs';
import { manualClock, sharedStore } from './hosts/fakes.mjs';

const TRAP = Symbol.for('attune.test.trap');
const START = Date.parse('2026-11-25T10:00:00Z');
const CRASHED = /^engine crashed: memory access out of bounds/;

const CONFIG = {
  version: 1,
  consent: { policy: 'optIn' },
  defaultLocale: 'en',
  placements: [{ id: 'hero', default: { en: { headline: 'Welcome' } } }],
  campaigns: [
    {
      id: 'returning',
      placement: 'hero',
      audience: { 'behavior.counts.page_view.lifetime': { $gte: 2 } },
      variants: [
        { id: 'a', weight: 1, content: { en: { headline: 'Welcome back (a)' } } },
        { id: 'b', weight: 1, content: { en: { headline: 'Welcome back (b)' } } },
      ],
    },
    {
      id: 'split',
      placement: 'hero',
      priority: -1,
      variants: [
        { id: 'x', weight: 1, content: { en: { headline: 'X' } } },
        { id: 'y', weight: 1, content: { en: { headline: 'Y' } } },
      ],
    },
  ],
};
const VISITOR = { id: 'v-42', now: START };

let loadAttune;
let loadAttuneLean;
let createAttune;
let wasmBinary;
let leanBinary;

before(async () => {
  assertBuilt();
  ({ loadAttune, createAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href));
  ({ loadAttuneLean } = await import(pathToFileURL(join(WEB_DIR, 'lean.mjs')).href));
  wasmBinary = readFileSync(join(DIST_DIR, 'attune.wasm'));
  leanBinary = readFileSync(join(DIST_DIR, 'attune-lean.wasm'));
});

// Reports arrive on a microtask after the call that trapped.
const settled = () => new Promise((resolve) => setImmediate(resolve));

async function loaded(options = {}) {
  const reports = [];
  const attune = await loadAttune({ wasmBinary, onTrap: (r) => reports.push(r), ...options });
  return { attune, reports };
}

describe('loadAttune: a trap is recovered from', () => {
  test('decide traps, is retried on a fresh instance, answers as before; engines held keep working', async () => {
    const { attune, reports } = await loaded();
    const first = attune.compile(CONFIG).engine;
    const second = attune.compile({ ...CONFIG, placements: [{ id: 'hero', default: { en: { headline: 'Other' } } }], campaigns: [] }).engine;
    const before = first.decide('hero', VISITOR);
    assert.equal(before.error, undefined, before.error);
    const page = first.decidePage(VISITOR);

    attune[TRAP](1);
    const after = first.decide('hero', VISITOR);
    assert.deepEqual(after, before);
    assert.deepEqual(first.decidePage(VISITOR), page);
    assert.equal(second.decide('hero', VISITOR).content.headline, 'Other');
    assert.equal(attune.hashBucket('seed', 'v-42'), attune.hashBucket('seed', 'v-42'));

    await settled();
    assert.equal(reports.length, 1);
    assert.match(reports[0].error, CRASHED);
    assert.equal(reports[0].recovered, true);
    assert.equal(reports[0].recoveries, 1);
    assert.deepEqual(attune.health(), {
      status: 'ok',
      recoveries: 1,
      lastError: 'engine crashed: memory access out of bounds',
    });
    first.free();
    second.free();
  });

  test('every kind of call recovers: compile, compiled(), decidePage, tools', async () => {
    const { attune, reports } = await loaded();
    const engine = attune.compile(CONFIG).engine;
    const bytes = engine.compiled();
    attune[TRAP](1);
    assert.deepEqual(engine.compiled(), bytes);
    attune[TRAP](1);
    const again = attune.compile(CONFIG);
    assert.equal(again.ok, true);
    assert.deepEqual(again.engine.decide('hero', VISITOR), engine.decide('hero', VISITOR));
    attune[TRAP](1);
    assert.equal(engine.decidePage(VISITOR).decisions.length, 1);
    await settled();
    assert.equal(reports.length, 3);
    assert.equal(attune.health().recoveries, 3);
  });

  test('a call that traps again on the fresh instance is not run a third time; others go on', async () => {
    const { attune, reports } = await loaded();
    const engine = attune.compile(CONFIG).engine;
    const before = engine.decide('hero', VISITOR);
    attune[TRAP](2);
    const failed = engine.decide('hero', VISITOR);
    assert.match(failed.error, CRASHED);
    assert.match(failed.error, /the call trapped again; recovered, not retried/);
    assert.deepEqual(engine.decide('hero', VISITOR), before);
    await settled();
    assert.equal(reports.length, 2);
    assert.ok(reports.every((r) => r.recovered));
  });

  test('configs that trap the compiler every time do not count towards giving up', async () => {
    const { attune, reports } = await loaded();
    attune[TRAP](1000);  // every compile traps, on the first instance and on each fresh one
    for (let i = 0; i < 6; i++) {
      const result = attune.compile(CONFIG);
      assert.equal(result.ok, false);
      assert.match(result.errors[0].message, /the call trapped again; recovered, not retried/);
    }
    attune[TRAP](0);
    const health = attune.health();
    assert.equal(health.status, 'ok');
    assert.equal(health.recoveries, 12);
    const engine = attune.compile(CONFIG).engine;
    assert.equal(engine.decide('hero', VISITOR).placement, 'hero');
    await settled();
    assert.equal(reports.length, 12);
    assert.ok(reports.every((r) => r.recovered));
    engine.free();
  });

  test('bounded: the fourth trap within a minute gives up for good, without hanging or throwing', async () => {
    const { attune, reports } = await loaded();
    const engine = attune.compile(CONFIG).engine;
    attune[TRAP](1000);
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(engine.decide('hero', VISITOR));
    assert.ok(answers.every((a) => typeof a.error === 'string'), JSON.stringify(answers));
    assert.match(answers.at(-1).error, /not recovered: 4 traps within 60 s/);
    const health = attune.health();
    assert.equal(health.status, 'failed');
    assert.equal(health.recoveries, 3);
    assert.equal(health.reason, '4 traps within 60 s');
    // Given up: no call reaches Wasm again, each returns its usual error shape.
    assert.match(attune.compile(CONFIG).errors[0].message, /not recovered/);
    assert.match(attune.hashBucket('a', 'b').error, /not recovered/);
    assert.deepEqual(attune.validate(CONFIG).length, 1);
    await settled();
    assert.equal(reports.length, 4);
    assert.deepEqual(reports.map((r) => r.recovered), [true, true, true, false]);
  });

  test('a throwing onTrap handler is swallowed', async () => {
    const attune = await loadAttune({ wasmBinary, onTrap: () => { throw new Error('host bug'); } });
    const engine = attune.compile(CONFIG).engine;
    attune[TRAP](1);
    assert.equal(engine.decide('hero', VISITOR).error, undefined);
    await settled();
    assert.equal(attune.health().recoveries, 1);
  });

  test('the hook is test-only: a symbol key, not enumerable; onTrap must be a function', async () => {
    const { attune } = await loaded();
    assert.equal(Object.keys(attune).includes(String(TRAP)), false);
    assert.equal(Object.getOwnPropertySymbols(attune).length, 1);
    assert.equal(Object.getOwnPropertyDescriptor(attune, TRAP).enumerable, false);
    await assert.rejects(loadAttune({ wasmBinary, onTrap: 'yes' }), /onTrap must be a function/);
  });
});

describe('loadAttuneLean: engines rebuild from their compiled bytes', () => {
  test('decide after a trap equals decide before it', async () => {
    const { attune } = await loaded();
    const bytes = attune.compile(CONFIG).engine.compiled();
    const reports = [];
    const lean = await loadAttuneLean({ wasmBinary: leanBinary, onTrap: (r) => reports.push(r) });
    const loadedEngine = lean.load(bytes);
    assert.equal(loadedEngine.ok, true);
    bytes.fill(0);  // the caller reusing its buffer must not matter to a rebuild
    const before = loadedEngine.engine.decide('hero', VISITOR);
    lean[TRAP](1);
    assert.deepEqual(loadedEngine.engine.decide('hero', VISITOR), before);
    await settled();
    assert.equal(reports.length, 1);
    assert.equal(lean.health().recoveries, 1);
  });
});

describe('createAttune: the visitor survives a trap', () => {
  async function runtime(options = {}) {
    const reports = [];
    const rt = await createAttune({
      config: CONFIG, wasmBinary, storage: 'memory', clock: manualClock(START),
      onTrap: (r) => reports.push(r), ...options,
    });
    return { rt, reports };
  }

  const counts = (rt) => rt.profile().behavior.counts.page_view.lifetime;

  test('decide, profile and consent record are unchanged by a trap in decide', async () => {
    const { rt, reports } = await runtime();
    rt.setConsent({ storage: true, personalization: true, measurement: true });
    rt.track('page_view');
    rt.track('page_view');
    const decision = rt.decide('hero');
    assert.match(decision.content.headline, /Welcome back/);
    const record = rt.consentRecord();
    const profile = rt.profile();
    const id = rt.visitorId;

    rt[TRAP](1);
    const again = rt.decide('hero');
    assert.equal(again.content.headline, decision.content.headline);
    assert.equal(again.campaign, decision.campaign);
    assert.equal(again.variant, decision.variant);
    assert.deepEqual(rt.consentRecord(), record);
    assert.deepEqual(rt.profile(), profile);
    assert.equal(rt.visitorId, id);
    await settled();
    assert.equal(reports.length, 1);
    assert.equal(rt.health().recoveries, 1);
    await rt.close();
  });

  test('a trap in track counts the event once (retried on the checkpoint, not on top of it)', async () => {
    const { rt } = await runtime();
    rt.setConsent({ storage: true, personalization: true, measurement: true });
    rt.track('page_view');
    rt[TRAP](1);
    assert.deepEqual(rt.track('page_view'), { ok: true });
    assert.equal(counts(rt), 2);
    rt[TRAP](1);
    const d = rt.decide('hero');
    const counted = rt.impression(d.token);
    assert.equal(counted.ok, true, counted.error);
    assert.equal(rt.health().recoveries, 2);
    await rt.close();
  });

  test('a trap in setConsent applies the choice once; the record is never lost', async () => {
    const { rt } = await runtime();
    rt[TRAP](1);
    const granted = rt.setConsent({ storage: true, personalization: true, measurement: false });
    assert.equal(granted.ok, true, granted.error);
    assert.equal(rt.consentRecord().purposes.personalization, true);
    assert.equal(rt.consentRecord().purposes.measurement, false);
    rt[TRAP](2);  // the same call traps twice: an error, and the earlier record stands
    const refused = rt.setConsent({ storage: false, personalization: false, measurement: false });
    assert.match(refused.error, CRASHED);
    assert.deepEqual(rt.consentRecord(), granted.record);
    assert.equal(rt.purposes().personalization, true);
    await rt.close();
  });

  test('stored state written after a recovery carries what was there before the trap', async () => {
    const store = sharedStore();
    const { rt } = await runtime({ storage: store.adapter() });
    rt.setConsent({ storage: true, personalization: true, measurement: true });
    rt.track('page_view');
    await rt.flush();
    rt[TRAP](1);
    rt.track('page_view');
    await rt.flush();
    assert.equal(rt.storageStatus.mode, 'custom');
    const next = (await runtime({ storage: store.adapter() })).rt;
    assert.equal(counts(next), 2);
    assert.equal(next.consentRecord().purposes.storage, true);
    assert.equal(next.visitorId, rt.visitorId);
    await rt.close();
    await next.close();
  });

  test('forget() after a trap still erases, keeping the record', async () => {
    const { rt } = await runtime();
    rt.setConsent({ storage: true, personalization: true, measurement: true });
    rt.track('page_view');
    const id = rt.visitorId;
    rt[TRAP](1);
    assert.deepEqual(rt.forget(), { ok: true });
    assert.notEqual(rt.visitorId, id);
    assert.equal(counts(rt), 0);
    assert.equal(rt.consentRecord().present, true);
    await rt.close();
  });

  test('repeated traps stop at the bound: errors and fail-closed purposes, nothing thrown', async () => {
    const { rt, reports } = await runtime();
    rt.setConsent({ storage: true, personalization: true, measurement: true });
    rt[TRAP](1000);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(rt.decide('hero'), rt.track('page_view'));
    assert.ok(answers.every((a) => typeof a.error === 'string'));
    assert.equal(rt.health().status, 'failed');
    assert.ok(Object.values(rt.purposes()).every((granted) => granted === false));
    assert.equal(rt.visitorId, undefined);
    assert.match((await rt.show('hero')).error, /not recovered/);
    await settled();
    assert.equal(reports.filter((r) => r.recovered).length, 3);
    assert.equal(reports.at(-1).recovered, false);
    await rt.close();
  });
});
