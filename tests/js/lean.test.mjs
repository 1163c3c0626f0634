// The lean build decides exactly like the full build from the compiled binary form, and
// refuses damaged bytes with a reason instead of crashing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { loadAttune } from '../../web/attune.mjs';
import { loadAttuneLean } from '../../web/lean.mjs';

const root = new URL('../../', import.meta.url);
const read = (p) => readFile(new URL(p, root));
const full = await loadAttune({ wasmBinary: await read('web/dist/attune.wasm') });
const lean = await loadAttuneLean({ wasmBinary: await read('web/dist/attune-lean.wasm') });
const cases = JSON.parse(await read('tests/vectors/decisions.json'));

test('every decision vector decides identically in the lean build', () => {
  for (const c of cases) {
    const compiled = full.compile(c.config);
    assert.ok(compiled.ok, c.name);
    const bytes = compiled.engine.compiled();
    assert.ok(bytes instanceof Uint8Array && bytes.length > 16, c.name);
    const loaded = lean.load(bytes);
    assert.ok(loaded.ok, `${c.name}: ${JSON.stringify(loaded.errors)}`);
    const expected = compiled.engine.decidePage(c.visitor, { reasons: true });
    assert.deepEqual(loaded.engine.decidePage(c.visitor, { reasons: true }), expected, c.name);
    loaded.engine.free();
    compiled.engine.free();
  }
});

test('damaged compiled configs are refused with a reason, and lean keeps working', () => {
  const compiled = full.compile(cases[0].config);
  const bytes = compiled.engine.compiled();
  compiled.engine.free();
  const attempts = [
    [new Uint8Array(0), /bad magic/],
    [bytes.slice(0, bytes.length - 3), /truncated/],
    [Uint8Array.from(bytes, (b, i) => (i === 20 ? b ^ 1 : b)), /checksum/],
    ['not bytes', /must be a Uint8Array/],
  ];
  for (const [input, why] of attempts) {
    const r = lean.load(input);
    assert.equal(r.ok, false);
    assert.match(r.errors[0].message, why);
  }
  const ok = lean.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  assert.ok(ok.ok);
  assert.equal(ok.engine.decidePage(cases[0].visitor).decisions.length, 1);
  ok.engine.free();
});

test('the lean build is smaller than the full build (sizes printed)', async () => {
  const size = async (p) => gzipSync(await read(p), { level: 9 }).length;
  const fullBytes = (await size('web/dist/attune.wasm')) + (await size('web/dist/attune.mjs'));
  const leanBytes = (await size('web/dist/attune-lean.wasm')) + (await size('web/dist/attune-lean.mjs'));
  console.log(`# gzip -9: full ${(fullBytes / 1024).toFixed(1)} KB, lean ${(leanBytes / 1024).toFixed(1)} KB`);
  assert.ok(leanBytes < fullBytes);
});
