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
