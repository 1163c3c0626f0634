// Numbers through the Wasm module print exactly as V8's String(n) and read exactly as V8's
// Number(text): a million random doubles, random decimal texts and the edge cases. Both
// directions go through the runtime's own JSON reader and number printer
// (runtime/number_parse, number_format), by rendering `{{a.i}}` templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadAttune } from '../../web/attune.mjs';
import { mulberry32 } from './prng.mjs';

const root = new URL('../../', import.meta.url);
const attune = await loadAttune({ wasmBinary: await readFile(new URL('web/dist/attune.wasm', root)) });

const PER_CALL = 60;  // a template has at most 128 parts: 60 values and 59 spaces
const TEMPLATE = Array.from({ length: PER_CALL }, (_, i) => `{{a.${i}}}`).join(' ');

// The runtime's text for each JSON number literal: reads them, renders them back.
function runtimeText(literals) {
  const out = [];
  for (let i = 0; i < literals.length; i += PER_CALL) {
    const chunk = literals.slice(i, i + PER_CALL);
    while (chunk.length < PER_CALL) chunk.push('0');
    const request = `{"template":${JSON.stringify(TEMPLATE)},"context":{"a":[${chunk.join(',')}]}}`;
    const result = attune.renderTemplate(request);
    assert.equal(typeof result.text, 'string', JSON.stringify(result));
    out.push(...result.text.split(' ').slice(0, Math.min(PER_CALL, literals.length - i)));
  }
  return out;
}

function compare(literals, what) {
  const got = runtimeText(literals);
  const mismatches = [];
  literals.forEach((literal, i) => {
    const want = String(Number(literal));
    if (got[i] !== want && mismatches.length < 5) mismatches.push(`${literal}: runtime ${got[i]}, V8 ${want}`);
  });
  assert.deepEqual(mismatches, [], what);
}

// Random doubles from random bit patterns: every exponent, subnormals included.
function randomDoubles(count, seed) {
  const next = mulberry32(seed);
  const view = new DataView(new ArrayBuffer(8));
  const values = [];
  while (values.length < count) {
    view.setUint32(0, (next() * 2 ** 32) >>> 0);
    view.setUint32(4, (next() * 2 ** 32) >>> 0);
    const v = view.getFloat64(0);
    if (Number.isFinite(v)) values.push(v);
  }
  return values;
}

test('a million random doubles print as String(n) does', () => {
  // JSON.stringify gives V8's shortest text, so this checks reading it back exactly as well.
  compare(randomDoubles(1_000_000, 20261207).map((v) => JSON.stringify(v)), 'random doubles');
});

test('edge values print as String(n) does', () => {
  const values = [0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
    Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 2 ** 53, 2 ** 53 + 2, 2 ** 60, 2 ** 64,
    1e21, 1e21 - 65536, 999999999999999900000, 1e-7, 1e-6, 1.5e-7, 0.1 + 0.2, 1 / 3, Math.PI,
    123e-20, 9.5e-5, 4.35, 0.000123456789, 8.41e21, 1e23, 72057594037927940];
  for (let k = -1074; k <= 1023; k++) values.push(2 ** k, -(2 ** k), 2 ** k * 3);
  for (let k = -30; k <= 30; k++) values.push(10 ** k, 1.5 * 10 ** k, 10 ** k - 10 ** (k - 15));
  compare(values.filter(Number.isFinite).map((v) => JSON.stringify(v)), 'edge values');
});

test('random decimal texts read as Number(text) does', () => {
  const next = mulberry32(77);
  const digits = (n) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
  const literals = [];
  for (let i = 0; i < 200_000; i++) {
    const intPart = digits(1 + Math.floor(next() * 20)).replace(/^0+(?=\d)/, '');
    const frac = next() < 0.7 ? `.${digits(1 + Math.floor(next() * 25))}` : '';
    const exp = next() < 0.6 ? `e${Math.floor(next() * 660) - 340}` : '';
    const literal = `${next() < 0.3 ? '-' : ''}${intPart}${frac}${exp}`;
    // The runtime refuses literals over 63 characters and values beyond the double range.
    if (literal.length < 64 && Number.isFinite(Number(literal))) literals.push(literal);
  }
  // Just beside and exactly on midpoints between neighbouring doubles, as far as 63
  // characters reach (the Doc's literal limit): 17 to 25 significant digits.
  for (const v of randomDoubles(20_000, 5)) {
    const a = Math.abs(v);
    literals.push(a.toPrecision(17 + Math.floor(next() * 5)).replace('e+', 'e'));
  }
  compare(literals, 'decimal texts');
});
