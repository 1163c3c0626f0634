// The KPI dashboard's traffic simulation through the real Wasm engine in Node (the same
// simulation.mjs the Web Worker runs): every campaign and variant of the sample config gets
// its row, the same seed replays byte-identically, chunking does not change the figures, and
// bad options or a bad config come back as {ok: false}. Prints visitors/s (never asserted).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { MAX_VISITORS, startSimulation } from '../../demo/kpi/simulation.mjs';
import { REPO_ROOT, assertBuilt, loadNativeModule } from './hosts/node_host.mjs';

const CONFIG_TEXT = readFileSync(join(REPO_ROOT, 'demo', 'campaigns.json'), 'utf8');
const CONFIG = JSON.parse(CONFIG_TEXT);
const START = Date.parse('2026-11-20T00:00:00Z');
let Module;

before(async () => {
  assertBuilt();
  Module = await loadNativeModule();
});

function simulate(options, chunks = [options.visitors]) {
  const started = startSimulation(Module, { configJson: CONFIG_TEXT, startMs: START, ...options });
  if (!started.ok) assert.fail(`${started.error} ${JSON.stringify(started.errors || [])}`);
  const { run } = started;
  try {
    for (const n of chunks) run.step(n);
    assert.equal(run.done, true);
    return { report: run.kpiReport(), stats: { ...run.stats } };
  } finally {
    run.free();
  }
}

test('2,000 visitors: a KPI row for every campaign and variant of the sample, and every holdout', () => {
  const t0 = performance.now();
  const { report, stats } = simulate({ visitors: 2000, seed: 7 });
  const ms = performance.now() - t0;
  console.log(`simulated 2,000 visitors in ${ms.toFixed(0)} ms in Node: ${Math.round(2000 / (ms / 1000))} visitors/s`);

  const expected = [];
  for (const c of CONFIG.campaigns) {
    if (c.holdout) expected.push(`${c.id}/holdout`);
    for (const v of c.variants) expected.push(`${c.id}/${v.id}`);
  }
  const rows = report.campaigns.flatMap((c) => c.variants.map((v) => ({ key: `${c.campaign}/${v.holdout ? 'holdout' : v.variant}`, c, v })));
  assert.deepEqual(rows.map((r) => r.key).sort(), expected.sort());
  assert.equal(report.rejectedEvents, 0);
  assert.equal(stats.visitors, 2000);
  assert.equal(stats.reportsRefused, 0, stats.firstRefusal);
  assert.equal(stats.trackRefused, 0);
  assert.equal(stats.kpiBatchErrors, 0);
  assert.ok(stats.measuredVisitors > 1400 && stats.measuredVisitors < 1800, `about 80% consent: ${stats.measuredVisitors}`);
  for (const { key, c, v } of rows) {
    assert.ok(v.impressions > 0, `${key} has impressions`);
    assert.ok(v.ctr === null || (v.ctr >= 0 && v.ctr <= 1), key);
    assert.ok(v.conversionRate >= 0 && v.conversionRate <= 1, key);
    const hasHoldout = c.variants.some((x) => x.holdout);
    if (v.holdout || !hasHoldout) assert.equal(v.uplift, null, key);
    else assert.ok(v.uplift && Number.isFinite(v.uplift.conversionRate.absolute), `${key} has an uplift`);
  }
});

test('the same seed gives the identical report; another seed, another one; chunking changes nothing', () => {
  const a = simulate({ visitors: 600, seed: 11 });
  const b = simulate({ visitors: 600, seed: 11 }, [1, 49, 250, 300]);
  assert.equal(JSON.stringify(a.report), JSON.stringify(b.report));
  assert.deepEqual(a.stats, b.stats);
  const c = simulate({ visitors: 600, seed: 12 });
  assert.notEqual(JSON.stringify(c.report), JSON.stringify(a.report));
});

test('consent share 0: nobody is measured, so the report is empty; 1: everyone is', () => {
  const none = simulate({ visitors: 200, seed: 3, consentShare: 0 });
  assert.deepEqual(none.report.campaigns, []);
  assert.equal(none.stats.measuredVisitors, 0);
  assert.ok(none.stats.decisionsShown > 0, 'contextual campaigns still showed');
  const all = simulate({ visitors: 200, seed: 3, consentShare: 1 });
  assert.equal(all.stats.measuredVisitors, 200);
});

test('bad options and bad configs: {ok: false, error}, never a throw', () => {
  const base = { configJson: CONFIG_TEXT, visitors: 10, startMs: START };
  const cases = [
    [undefined, /options: must be an object/],
    ['x', /options: must be an object/],
    [{ ...base, configJson: 5 }, /configJson: must be a string/],
    [{ ...base, visitors: 0 }, /visitors: must be a whole number from 1 to 100,000/],
    [{ ...base, visitors: MAX_VISITORS + 1 }, /visitors/],
    [{ ...base, visitors: 2.5 }, /visitors/],
    [{ ...base, visitors: '10' }, /visitors/],
    [{ ...base, seed: -1 }, /seed/],
    [{ ...base, seed: 2 ** 32 }, /seed/],
    [{ ...base, consentShare: 1.5 }, /consentShare/],
    [{ ...base, consentShare: NaN }, /consentShare/],
    [{ ...base, startMs: 'today' }, /startMs/],
    [{ ...base, days: 0 }, /days/],
    [{ ...base, configJson: '{"version": 1,' }, /config/],
  ];
  for (const [options, message] of cases) {
    const result = startSimulation(Module, options);
    assert.equal(result.ok, false, JSON.stringify(options)?.slice(0, 80));
    assert.match(result.error, message);
  }
  const bad = startSimulation(Module, { ...base, configJson: JSON.stringify({ ...CONFIG, campaigns: [{ ...CONFIG.campaigns[0], variants: [{ id: 'a', weight: -1, content: { en: { t: 'x' } } }] }] }) });
  assert.equal(bad.ok, false);
  assert.equal(bad.error, 'the config does not compile');
  assert.deepEqual(bad.errors.map((e) => e.path), ['campaigns[0].variants[0].weight']);
});
