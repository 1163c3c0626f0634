#!/usr/bin/env node
// Checks the benchmark's own JS parts, without Attune: the scenario is deterministic and
// well-formed, the three peers implement the documented semantics on hand-made cases and
// agree with each other on a whole scenario, and bench/matrix.mjs --quick reports its tiny
// grid (with the Attune columns when web/dist and build/attune_bench exist, empty without).
// Run: node bench/selfcheck.mjs (≈ 3 s).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ATTRIBUTE_SCHEMA, makeScenario, mulberry32 } from './scenario.mjs';
import {
  compileClosure, orderCampaigns, prepareClosures, prepareGrowthBook, prepareJsonLogic, toJsonLogic,
} from './peers.mjs';
import jsonLogic from 'json-logic-js';
import { evalCondition } from '@growthbook/growthbook';

let checks = 0;
function check(name, fn) {
  fn();
  checks++;
  console.log(`ok ${checks} - ${name}`);
}

check('mulberry32 is seeded and deterministic', () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  const c = mulberry32(8);
  const seqA = [a(), a(), a()];
  assert.deepEqual(seqA, [b(), b(), b()]);
  assert.notDeepEqual(seqA, [c(), c(), c()]);
  for (const x of seqA) assert.ok(x >= 0 && x < 1);
});

check('the same arguments give a byte-identical scenario; another seed differs', () => {
  const opts = { campaigns: 40, placements: 4, visitors: 300, seed: 5 };
  assert.equal(JSON.stringify(makeScenario(opts)), JSON.stringify(makeScenario(opts)));
  assert.notEqual(JSON.stringify(makeScenario(opts).config), JSON.stringify(makeScenario({ ...opts, seed: 6 }).config));
});

check('the default scenario has the documented shape', () => {
  const s = makeScenario();
  assert.equal(s.config.version, 1);
  assert.equal(s.config.placements.length, 8);
  assert.equal(s.config.campaigns.length, 200);
  assert.equal(s.visitors.length, 10000);
  assert.equal(s.attributes.length, 10000);
  assert.equal(new Set(s.config.campaigns.map((c) => c.id)).size, 200, 'campaign ids are unique');
  for (const p of s.config.placements) {
    assert.ok(s.config.campaigns.some((c) => c.placement === p.id), `placement ${p.id} has campaigns`);
  }
  const operators = new Set();
  const walk = (cond) => {
    for (const [k, v] of Object.entries(cond)) {
      if (k === '$or') { operators.add('$or'); v.forEach(walk); continue; }
      assert.ok(k in ATTRIBUTE_SCHEMA, `audience path ${k} is in the schema`);
      if (v !== null && typeof v === 'object') Object.keys(v).forEach((op) => operators.add(op));
      else operators.add('equality');
    }
  };
  for (const c of s.config.campaigns) {
    walk(c.audience);
    assert.deepEqual(c.variants, [{ id: 'a', weight: 1, content: { en: { headline: c.id } } }]);
  }
  for (const op of ['$in', '$nin', '$exists', '$gt', '$gte', '$lt', '$lte', '$or', '$regex', '$ne', 'equality']) {
    assert.ok(operators.has(op), `the audiences use ${op}`);
  }
  // Peers see the same data the Attune visitor carries.
  s.visitors.forEach((v, i) => {
    const a = s.attributes[i];
    assert.equal(a.locale, v.locales[0]);
    assert.equal(a.language, v.locales[0].split('-')[0]);
    assert.equal(a.geo.country, v.geo.country);
    assert.deepEqual(a.traits, v.traits);
  });
});

check('bad scenario arguments are rejected with a message', () => {
  assert.throws(() => makeScenario({ campaigns: 3, placements: 8 }), /campaigns >= placements/);
  assert.throws(() => makeScenario({ visitors: 0 }), /visitors >= 1/);
});

check('orderCampaigns: priority descending, ties in config order', () => {
  const config = {
    placements: [{ id: 'a' }, { id: 'b' }],
    campaigns: [
      { id: 'x', placement: 'a', priority: 1 }, { id: 'y', placement: 'a', priority: 5 },
      { id: 'z', placement: 'a', priority: 1 }, { id: 'w', placement: 'b', priority: 0 },
    ],
  };
  assert.deepEqual(orderCampaigns(config).map((l) => l.map((c) => c.id)), [['y', 'x', 'z'], ['w']]);
  assert.throws(() => orderCampaigns({ placements: [], campaigns: [{ id: 'q', placement: 'nope' }] }), /unknown placement nope/);
});

// Hand-made cases inside the rules the scenario follows, with the Mongo answer.
const base = {
  locale: 'de-AT', language: 'de', geo: { country: 'AT' },
  traits: {
    tier: 'gold', interests: ['ski', 'golf'], pageViews7d: 12, cartValue: 0,
    consent: { personalization: true, marketing: false }, source: 'partner-pro',
  },
};
const cases = [
  [{ 'traits.interests': { $in: ['golf', 'tech'] } }, true],
  [{ 'traits.interests': { $in: ['tech'] } }, false],
  [{ 'traits.interests': { $nin: ['ski'] } }, false],
  [{ 'traits.interests': { $nin: ['tech'] } }, true],
  [{ 'traits.spend': { $exists: false } }, true],
  [{ 'traits.spend': { $exists: true } }, false],
  [{ 'traits.spend': { $gte: 50 } }, false],
  [{ 'traits.lastCategory': { $in: ['skincare'] } }, false],
  [{ 'traits.pageViews7d': { $gte: 12, $lt: 13 } }, true],
  [{ 'traits.pageViews7d': { $gt: 12 } }, false],
  [{ 'traits.cartValue': { $lte: 0 } }, true],
  [{ 'traits.source': { $regex: 'pro$' } }, true],
  [{ 'traits.source': { $regex: '^ski' } }, false],
  [{ 'traits.consent.marketing': false }, true],
  [{ 'traits.consent.personalization': true, 'geo.country': { $nin: ['DE'] } }, true],
  [{ 'traits.tier': { $ne: 'gold' } }, false],
  [{ $or: [{ language: 'fr' }, { locale: { $in: ['de-AT'] } }], 'traits.tier': 'gold' }, true],
  [{ $or: [{ language: 'fr' }, { 'traits.tier': 'silver' }] }, false],
];

check('closures, GrowthBook and json-logic give the Mongo answer on hand-made cases', () => {
  for (const [cond, expected] of cases) {
    const label = JSON.stringify(cond);
    assert.equal(compileClosure(cond)(base), expected, `closures ${label}`);
    assert.equal(evalCondition(base, cond), expected, `growthbook ${label}`);
    assert.equal(jsonLogic.truthy(jsonLogic.apply(toJsonLogic(cond, ATTRIBUTE_SCHEMA), base)), expected, `json-logic ${label}`);
  }
});

check('closures follow Mongo where GrowthBook does not (why the scenario avoids these)', () => {
  // Missing attribute under $lt: Mongo no, GrowthBook reads null (< 5 is true).
  assert.equal(compileClosure({ 'traits.spend': { $lt: 5 } })(base), false);
  assert.equal(evalCondition(base, { 'traits.spend': { $lt: 5 } }), true);
  // Plain equality on an array attribute: Mongo matches an element.
  assert.equal(compileClosure({ 'traits.interests': 'ski' })(base), true);
  assert.equal(evalCondition(base, { 'traits.interests': 'ski' }), false);
  // Comparisons never cross types.
  assert.equal(compileClosure({ 'traits.tier': { $gt: 5 } })(base), false);
});

check('the translator and the closure compiler reject what they do not support', () => {
  assert.throws(() => toJsonLogic({ 'traits.tier': { $elemMatch: {} } }, ATTRIBUTE_SCHEMA), /\$elemMatch is not supported/);
  assert.throws(() => toJsonLogic({ 'traits.nope': 1 }, ATTRIBUTE_SCHEMA), /unknown attribute traits.nope/);
  assert.throws(() => toJsonLogic({ 'traits.interests': 'ski' }, ATTRIBUTE_SCHEMA), /plain equality on array/);
  assert.throws(() => toJsonLogic({ $nor: [] }, ATTRIBUTE_SCHEMA), /top-level \$nor/);
  assert.throws(() => compileClosure({ 'traits.tier': { $size: 1 } }), /\$size is not supported/);
  assert.throws(() => compileClosure({ $where: 'x' }), /top-level \$where/);
});

check('the three peers agree on every placement of a whole scenario', () => {
  const s = makeScenario({ visitors: 2000, seed: 99 });
  const engines = [prepareClosures(s.config), prepareGrowthBook(s.config), prepareJsonLogic(s.config, ATTRIBUTE_SCHEMA)];
  let chosen = 0;
  for (const a of s.attributes) {
    const [x, y, z] = engines.map((decide) => decide(a));
    assert.equal(x.length, 8);
    assert.deepEqual(y, x, `growthbook vs closures for ${JSON.stringify(a)}`);
    assert.deepEqual(z, x, `json-logic vs closures for ${JSON.stringify(a)}`);
    chosen += x.filter((id) => id !== null).length;
  }
  // The scenario is only meaningful if most placements pick a campaign, but not all at the top.
  assert.ok(chosen > 0.8 * 2000 * 8, `campaigns chosen on ${chosen} of ${2000 * 8} placements`);
});

check('bench/matrix.mjs --quick runs its grid and reports every cell (no timing asserted)', () => {
  // Uses the Attune builds when present (their columns stay empty otherwise); the figures of
  // a 40-visitor grid mean nothing, only the shape of the report and the cross-check count.
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./matrix.mjs', import.meta.url)), '--quick', '--json'],
    { encoding: 'utf8', timeout: 120000, maxBuffer: 16 << 20 });
  assert.equal(child.status, 0, `matrix --quick exited with ${child.status}: ${child.stderr.slice(0, 1000)}`);
  const report = JSON.parse(child.stdout);
  assert.deepEqual(report.opts.campaigns, [20, 100]);
  assert.deepEqual(report.opts.placements, [1, 4]);
  assert.equal(report.cells.length, 4);
  for (const cell of report.cells) {
    assert.equal(cell.crossCheck.disagreements, 0, `[${cell.campaigns}×${cell.placements}] ${cell.crossCheck.diffs.join('; ')}`);
    for (const name of ['js-closures', 'growthbook']) assert.ok(cell.rows[name].pagesPerSec > 0, `${name} pages/s`);
    assert.ok(cell.work.conditionsPerPage > 0);
  }
  assert.equal(report.linearity.filter((l) => l.engine === 'growthbook').length, 2, 'one growthbook series per placement count');
  assert.ok(report.goals.some((g) => /linearly/.test(g.label)));
  assert.ok(Array.isArray(report.loadStart) && report.loadStart.length === 3);
});

console.log(`${checks} checks passed`);
