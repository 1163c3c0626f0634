// The shared vectors in real workerd: the worker loads the shipped package from its Wasm
// module binding. Every case must pass and give exactly what Node gives.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  assertBuilt,
  brief,
  listVectorCases,
  loadNodeAttune,
  readVectorFiles,
} from './hosts/node_host.mjs';
import { writeWorkerdBundle } from './hosts/workerd_bundle.mjs';
import { startWorkerd } from './hosts/workerd_process.mjs';
import { deepEqual, runVectors } from './run_vectors.mjs';

const TIMEOUT_MS = 20_000;
const files = readVectorFiles();
const cases = listVectorCases(files);
let dir;
let workerd;
let workerdRun;
let nodeResults;

before(async () => {
  assertBuilt();
  nodeResults = await runVectors(await loadNodeAttune(), files);
  dir = mkdtempSync(join(tmpdir(), 'attune-workerd-'));
  workerd = await startWorkerd(writeWorkerdBundle(dir, Object.keys(files)), { timeoutMs: TIMEOUT_MS });
  const res = await fetch(`${workerd.url}/run`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  workerdRun = await res.json();
  assert.equal(res.status, 200, `${brief(workerdRun, 4000)}\n${workerd.output()}`);
});

after(async () => {
  await workerd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the worker loads the package from its wasm module binding', () => {
  assert.equal(workerdRun.error, undefined, workerdRun.error);
  assert.equal(typeof workerdRun.version, 'string');
});

test('the worker reports every case', () => {
  assert.deepEqual(
    workerdRun.results.map((r) => `${r.file}/${r.name}`),
    cases.map((c) => `${c.file}/${c.name}`),
  );
});

cases.forEach((c, i) => {
  test(`workerd ${c.file}: ${c.name}`, () => {
    const r = workerdRun.results[i];
    const n = nodeResults[i];
    assert.ok(r.pass, `got:      ${brief(r.got)}\nexpected: ${brief(r.expected)}`);
    assert.ok(deepEqual(r.got, n.got), `workerd: ${brief(r.got)}\nnode:    ${brief(n.got)}`);
  });
});
