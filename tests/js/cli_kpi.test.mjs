// `attune kpi EVENTS.json`: the native CLI prints the KPI report the vectors expect (numbers
// within 1e-6, as the native vector test compares), and refuses bad events with a path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'build/attune');
const cases = JSON.parse(readFileSync(join(root, 'tests/vectors/kpi.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'attune-kpi-'));

function close(got, want, path) {
  if (typeof want === 'number') {
    assert.equal(typeof got, 'number', path);
    assert.ok(Math.abs(got - want) <= 1e-6, `${path}: ${got} vs ${want}`);
  } else if (want !== null && typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', path);
    for (const key of Object.keys(want)) close(got[key], want[key], `${path}.${key}`);
  } else {
    assert.deepEqual(got, want, path);
  }
}

test('every KPI vector through the CLI', () => {
  assert.ok(existsSync(cli), 'build/attune missing: cmake --build build first');
  let compared = 0;
  for (const c of cases) {
    const file = join(dir, 'events.json');
    writeFileSync(file, JSON.stringify(c.events));
    const run = spawnSync(cli, ['kpi', file], { encoding: 'utf8', timeout: 30000 });
    const got = JSON.parse(run.stdout);
    if (c.expected && c.expected.error === true) {
      assert.equal(run.status, 1, c.name);
      assert.equal(typeof got.error, 'string', c.name);
    } else {
      assert.equal(run.status, 0, `${c.name}: ${run.stdout.slice(0, 300)}`);
      close(got, c.expected, c.name);
    }
    compared++;
  }
  assert.ok(compared >= 20);
});

test('an unreadable file is a usage error, not a crash', () => {
  const run = spawnSync(cli, ['kpi', join(dir, 'missing.json')], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /cannot read/);
  assert.throws(() => execFileSync(cli, ['kpi'], { stdio: 'pipe' }));
});

// `attune simulate` prints the KPIs of the timeline's reports: the same report as
// `attune kpi` over the events those reports stand for.
test('attune simulate prints the KPIs of its reports, equal to attune kpi over them', () => {
  const config = {
    version: 1, consent: { policy: 'optOut' },
    placements: [{ id: 'hero', default: { en: { h: 'default' } } }],
    campaigns: [{
      id: 'spring', placement: 'hero', holdout: 0.3,
      variants: [{ id: 'a', content: { en: { h: 'A' } } }, { id: 'b', content: { en: { h: 'B' } } }],
    }],
  };
  const steps = [];
  for (let v = 0; v < 300; v++) {
    const at = Date.UTC(2026, 10, 25, 10, 0, v);
    steps.push({ at, visitor: { id: `visitor-${v}` } });
    steps.push({ at, decide: true });
    steps.push({ at: at + 100, report: 'impression', placement: 'hero' });
    if (v % 4 === 0) steps.push({ at: at + 200, report: 'click', placement: 'hero' });
    if (v % 7 === 0) steps.push({ at: at + 300, report: 'conversion', placement: 'hero', value: 10 + (v % 5) });
    if (v % 11 === 0) steps.push({ at: at + 400, report: 'impression', placement: 'hero' });  // a replay
  }
  const configFile = join(dir, 'sim-config.json');
  const stepsFile = join(dir, 'sim-steps.jsonl');
  writeFileSync(configFile, JSON.stringify(config));
  writeFileSync(stepsFile, steps.map((s) => JSON.stringify(s)).join('\n'));
  const run = spawnSync(cli, ['simulate', configFile, stepsFile], { encoding: 'utf8', timeout: 30000 });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const kpi = lines[lines.length - 1].kpi;
  assert.ok(kpi, 'the last line is the KPI report');

  // Rebuild the events from the step results: the decision says variant or holdout.
  const events = [];
  let current = null;
  let replays = 0;
  lines.slice(0, steps.length).forEach((result, i) => {
    const step = steps[i];
    if (step.visitor) current = { visitor: step.visitor.id };
    if (step.decide) {
      const d = result.decisions.hero;
      current.decision = d;
    }
    if (step.report) {
      if (result.error) {
        assert.equal(result.error, 'token: this impression was already reported');
        replays++;
        return;
      }
      assert.equal(result.ok, true, JSON.stringify(result));
      const d = current.decision;
      const event = { visitor: current.visitor, campaign: 'spring', type: step.report };
      if (d.holdout) event.holdout = true;
      else event.variant = d.variant;
      if (step.value !== undefined) event.value = step.value;
      events.push(event);
    }
  });
  assert.equal(replays, Math.ceil(300 / 11), 'every replayed impression was refused');
  const eventsFile = join(dir, 'sim-events.json');
  writeFileSync(eventsFile, JSON.stringify(events));
  const expected = JSON.parse(execFileSync(cli, ['kpi', eventsFile], { encoding: 'utf8' }));
  close(kpi, expected, 'simulate kpi');
  const rows = kpi.campaigns[0].variants;
  assert.deepEqual(rows.map((r) => r.variant), [null, 'a', 'b'], 'holdout row first, then variants');
  assert.equal(rows.reduce((n, r) => n + r.impressions, 0), 300);
  assert.ok(rows[1].uplift && rows[2].uplift, 'uplift against the holdout for each variant');
});
