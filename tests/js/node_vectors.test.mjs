// The shared vectors on Node, through the shipped package loaded with the wasm bytes.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { brief, listVectorCases, loadNodeAttune, readVectorFiles } from './hosts/node_host.mjs';
import { runVectors } from './run_vectors.mjs';

const files = readVectorFiles();
const cases = listVectorCases(files);
let results;

before(async () => {
  results = await runVectors(await loadNodeAttune(), files);
});

test('the runner reports every case', () => {
  assert.deepEqual(
    results.map((r) => `${r.file}/${r.name}`),
    cases.map((c) => `${c.file}/${c.name}`),
  );
});

cases.forEach((c, i) => {
  test(`${c.file}: ${c.name}`, () => {
    const r = results[i];
    assert.ok(r.pass, `${r.file}: ${r.name}\n  got:      ${brief(r.got)}\n  expected: ${brief(r.expected)}`);
  });
});
