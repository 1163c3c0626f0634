// Differential test: Attune's condition language against GrowthBook's evalCondition.
//
// Seeded random cases from condition_gen.mjs (which stay inside the domain where both
// engines agree, docs/CONDITIONS.md) are evaluated by GrowthBook, by the Wasm module
// (web/attune.mjs) and by the native CLI (`build/attune eval`); all three must agree on
// every case. The hand-written vectors (tests/vectors/conditions.json) are checked against
// GrowthBook too, so a vector claiming GrowthBook behaviour cannot drift from it, and every
// case marked "diff:" must really differ from GrowthBook.
//
//   ATTUNE_DIFF_CASES=50000 ATTUNE_DIFF_SEED=7 node --test tests/js/growthbook_diff.test.mjs

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { evalCondition as growthbookEval } from '@growthbook/growthbook';

import { generateCases } from './condition_gen.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${ROOT}build/attune`;
const WASM = `${ROOT}web/dist/attune.wasm`;
const VECTORS = `${ROOT}tests/vectors/conditions.json`;
const DOC = `${ROOT}docs/CONDITIONS.md`;

const CASES = positiveInt(process.env.ATTUNE_DIFF_CASES, 10000);
const SEED = positiveInt(process.env.ATTUNE_DIFF_SEED, 20261125);
const CLI_TIMEOUT_MS = 120000;
const SHOWN_FAILURES = 5;

function positiveInt(text, fallback) {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${text}"`);
  return n;
}

// ---------------------------------------------------------------------------------------
// The three engines. Each answer is true, false or {error: "..."}.

// GrowthBook spells case-insensitive regexes `$regexi`; Mongo (and Attune) `$options: "i"`.
function toGrowthBook(condition) {
  if (Array.isArray(condition)) return condition.map(toGrowthBook);
  if (condition === null || typeof condition !== 'object') return condition;
  const out = {};
  for (const [key, value] of Object.entries(condition)) {
    if (key === '$options' && '$regex' in condition) continue;
    if (key === '$regex' && typeof condition.$options === 'string' && condition.$options.includes('i')) {
      out.$regexi = value;
    } else {
      out[key] = toGrowthBook(value);
    }
  }
  return out;
}

function growthbook(condition, attributes) {
  // GrowthBook logs unknown operators to console.error; the answer is what matters here.
  const log = console.error;
  console.error = () => {};
  try {
    return growthbookEval(attributes, toGrowthBook(condition));
  } catch (e) {
    return { error: `GrowthBook threw: ${e.message}` };
  } finally {
    console.error = log;
  }
}

// `needs`: which builds a test uses ('cli', 'wasm'). Returns an instruction when one is absent.
function missingBuilds(...needs) {
  const files = { cli: CLI, wasm: WASM };
  const missing = needs.map((n) => files[n]).filter((f) => !fs.existsSync(f));
  if (missing.length === 0) return null;
  return (
    `missing ${missing.join(' and ')}: build first —\n` +
    '  native: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2 --target attune\n' +
    '  wasm:   scripts/build-wasm.sh (writes web/dist/attune.mjs and web/dist/attune.wasm)'
  );
}

let attunePromise;
function loadWasm() {
  attunePromise ??= import('../../web/attune.mjs').then(({ loadAttune }) =>
    loadAttune({ wasmBinary: fs.readFileSync(WASM) }),
  );
  return attunePromise;
}

// Runs `build/attune eval` once over all inputs; `lines` are strings or Buffers (one JSON
// Lines record each, without the newline). Returns the parsed answer lines.
function runCli(lines) {
  const input = Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from('\n')]));
  const run = spawnSync(CLI, ['eval'], { input, timeout: CLI_TIMEOUT_MS, maxBuffer: 256 << 20 });
  if (run.error) throw new Error(`build/attune eval failed to run: ${run.error.message}`);
  const stderr = run.stderr.toString().slice(0, 2000);
  if (run.signal) throw new Error(`build/attune eval killed by ${run.signal}; stderr: ${stderr}`);
  const out = run.stdout.toString('utf8').split('\n');
  if (out[out.length - 1] === '') out.pop();
  const counts = `${out.length} lines for ${lines.length} inputs`;
  assert.equal(out.length, lines.length, `build/attune eval answered ${counts}; stderr: ${stderr}`);
  return out.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`build/attune eval line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

function cliCases(cases) {
  return runCli(cases.map((c) => JSON.stringify({ condition: c.condition, attributes: c.attributes })));
}

// true / false / "error": what must agree (error messages may differ between engines).
function outcome(answer) {
  if (answer === true || answer === false) return answer;
  const isError = answer && typeof answer === 'object' && typeof answer.error === 'string';
  if (isError && answer.error) return 'error';
  return `malformed answer ${JSON.stringify(answer)}`;
}

function isValidAnswer(answer) {
  const o = outcome(answer);
  return o === true || o === false || o === 'error';
}

// ---------------------------------------------------------------------------------------
// Shrinking a disagreement to something small enough to become a vector. Only edits that
// stay inside the generator's domain: dropping a key of a condition or operator object
// (never emptying it), dropping a list element (never emptying the list), and dropping an
// attribute the condition does not mention.

function* conditionEdits(node) {
  if (Array.isArray(node)) {
    if (node.length > 1) for (let i = 0; i < node.length; i++) yield node.filter((_, j) => j !== i);
    for (let i = 0; i < node.length; i++) {
      for (const edit of conditionEdits(node[i])) yield node.map((v, j) => (j === i ? edit : v));
    }
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  if (keys.length > 1) {
    for (const key of keys) {
      if (key === '$regex' && '$options' in node) continue; // $options needs its $regex
      const { [key]: _dropped, ...rest } = node;
      yield rest;
    }
  }
  for (const key of keys) {
    for (const edit of conditionEdits(node[key])) yield { ...node, [key]: edit };
  }
}

function* attributeEdits(attributes, condition) {
  const text = JSON.stringify(condition);
  for (const key of Object.keys(attributes)) {
    if (text.includes(JSON.stringify(key).slice(0, -1))) continue;
    const { [key]: _dropped, ...rest } = attributes;
    yield rest;
  }
}

function shrink(c, disagrees) {
  let current = c;
  for (let round = 0; round < 200; round++) {
    let smaller = null;
    for (const condition of conditionEdits(current.condition)) {
      if (disagrees({ condition, attributes: current.attributes })) {
        smaller = { condition, attributes: current.attributes };
        break;
      }
    }
    if (!smaller) {
      for (const attributes of attributeEdits(current.attributes, current.condition)) {
        if (disagrees({ condition: current.condition, attributes })) {
          smaller = { condition: current.condition, attributes };
          break;
        }
      }
    }
    if (!smaller) return current;
    current = smaller;
  }
  return current;
}

// ---------------------------------------------------------------------------------------
// Vectors

function loadVectors() {
  return JSON.parse(fs.readFileSync(VECTORS, 'utf8'));
}

const isErrorCase = (v) => typeof v.expected === 'object';
const isDiffCase = (v) => v.name.startsWith('diff:');

test('the generator is deterministic, well-formed and balanced', () => {
  const a = generateCases(SEED, 300);
  assert.deepEqual(generateCases(SEED, 300), a, 'same seed, same cases');
  assert.notDeepEqual(generateCases(SEED + 1, 300), a, 'another seed, other cases');
  let matched = 0;
  for (const c of generateCases(SEED, 2000)) {
    const text = JSON.stringify(c);
    assert.deepEqual(JSON.parse(text), c, 'cases survive JSON (no undefined, NaN, -0)');
    assert.ok(!/"(\$options)":"[^i"]/.test(text), 'only the "i" regex option');
    const answer = growthbook(c.condition, c.attributes);
    assert.equal(typeof answer, 'boolean', `GrowthBook answers a boolean for ${text}`);
    if (answer) matched++;
  }
  // Both answers must be common, or the comparison says little.
  assert.ok(matched > 300 && matched < 1700, `GrowthBook matched ${matched} of 2000 generated cases`);
});

test('toGrowthBook translates $options: "i" to $regexi, anywhere', () => {
  assert.deepEqual(toGrowthBook({ $or: [{ a: { $not: { $regex: '^x', $options: 'i' } } }] }), {
    $or: [{ a: { $not: { $regexi: '^x' } } }],
  });
  assert.deepEqual(toGrowthBook({ a: { $regex: 'x', $options: '' } }), { a: { $regex: 'x' } });
  assert.equal(growthbook({ a: { $regex: '^é', $options: 'i' } }, { a: 'Éte' }), true);
});

test('condition vectors are well-formed and GrowthBook agrees on every shared case', () => {
  const vectors = loadVectors();
  assert.ok(Array.isArray(vectors), 'tests/vectors/conditions.json must hold an array');
  assert.ok(vectors.length >= 150, `expected >= 150 vectors, got ${vectors.length}`);
  const names = new Set();
  const wrong = [];
  for (const v of vectors) {
    assert.equal(typeof v.name, 'string', `a vector without a name: ${JSON.stringify(v).slice(0, 200)}`);
    assert.ok(!names.has(v.name), `duplicate vector name: ${v.name}`);
    names.add(v.name);
    assert.ok('condition' in v, `${v.name}: no condition`);
    const isObject = v.attributes !== null && typeof v.attributes === 'object';
    assert.ok(isObject && !Array.isArray(v.attributes), `${v.name}: attributes must be an object`);
    const expectsError = isErrorCase(v);
    const shape = `${v.name}: expected must be true, false or {"error": true}`;
    if (expectsError) assert.deepEqual(v.expected, { error: true }, shape);
    else assert.equal(typeof v.expected, 'boolean', shape);
    const gb = growthbook(v.condition, v.attributes);
    // "diff:" cases document where Attune deliberately departs from GrowthBook: they must
    // really differ, or the name (and docs/CONDITIONS.md) would be lying.
    if (isDiffCase(v) ? gb === v.expected : !expectsError && gb !== v.expected) {
      wrong.push({ name: v.name, expected: v.expected, growthbook: gb });
    }
  }
  assert.deepEqual(wrong, [], 'vectors whose GrowthBook answer contradicts their name');
});

test(`Attune (Wasm and CLI) agrees with GrowthBook on ${CASES} generated cases`, async (t) => {
  const missing = missingBuilds('cli', 'wasm');
  assert.ok(!missing, missing);
  const attune = await loadWasm();
  const cases = generateCases(SEED, CASES);
  const cli = cliCases(cases);
  const disagreements = [];
  let matched = 0;
  cases.forEach((c, i) => {
    const gb = growthbook(c.condition, c.attributes);
    const wasm = attune.evalCondition(c.condition, c.attributes);
    if (gb === true) matched++;
    if (outcome(wasm) !== gb || outcome(cli[i]) !== gb) {
      disagreements.push({ index: i, ...c, growthbook: gb, wasm, cli: cli[i] });
    }
  });
  t.diagnostic(
    `compared ${cases.length} cases (seed ${SEED}, ${matched} matching): ` +
      `${disagreements.length} disagreements`,
  );
  if (disagreements.length === 0) return;
  const disagrees = (c) =>
    outcome(attune.evalCondition(c.condition, c.attributes)) !== growthbook(c.condition, c.attributes);
  const shown = disagreements.slice(0, SHOWN_FAILURES).map((d) => {
    const small = disagrees(d) ? shrink(d, disagrees) : d; // CLI-only disagreements stay whole
    return {
      ...d,
      shrunk: {
        condition: small.condition,
        attributes: small.attributes,
        growthbook: growthbook(small.condition, small.attributes),
        wasm: attune.evalCondition(small.condition, small.attributes),
      },
    };
  });
  assert.fail(
    `${disagreements.length} of ${cases.length} cases disagree (seed ${SEED}); first ${shown.length}:\n` +
      shown.map((d) => JSON.stringify(d)).join('\n'),
  );
});

test('Attune passes every condition vector, identically on Wasm and CLI', async () => {
  const missing = missingBuilds('cli', 'wasm');
  assert.ok(!missing, missing);
  const attune = await loadWasm();
  const vectors = loadVectors();
  const cli = cliCases(vectors);
  const failures = [];
  vectors.forEach((v, i) => {
    const want = isErrorCase(v) ? 'error' : v.expected;
    const wasm = attune.evalCondition(v.condition, v.attributes);
    if (outcome(wasm) !== want || outcome(cli[i]) !== want) {
      failures.push({ name: v.name, expected: v.expected, wasm, cli: cli[i] });
    }
  });
  assert.deepEqual(failures, [], `${failures.length} of ${vectors.length} vectors fail`);
});

// Every `echo '<json>' | build/attune eval` line in docs/CONDITIONS.md, followed by a
// `# <answer>` line, is run and checked, so the reference cannot rot.
function docExamples() {
  const lines = fs.readFileSync(DOC, 'utf8').split('\n');
  const examples = [];
  lines.forEach((line, i) => {
    const m = /^echo '(.*)' \| build\/attune eval$/.exec(line.trim());
    if (!m) return;
    const answer = /^# (.*)$/.exec((lines[i + 1] || '').trim());
    assert.ok(answer, `docs/CONDITIONS.md line ${i + 1}: the example needs a "# <answer>" line after it`);
    examples.push({ line: i + 1, input: m[1], expected: answer[1] });
  });
  return examples;
}

test('every example in docs/CONDITIONS.md answers as documented', async () => {
  const examples = docExamples();
  assert.ok(examples.length >= 25, `expected an example per operator, found ${examples.length}`);
  const missing = missingBuilds('cli', 'wasm');
  assert.ok(!missing, missing);
  const attune = await loadWasm();
  const cli = runCli(examples.map((e) => e.input));
  const failures = [];
  examples.forEach((e, i) => {
    const { condition, attributes } = JSON.parse(e.input);
    const expected = e.expected.startsWith('{"error"') ? 'error' : JSON.parse(e.expected);
    const wasm = attune.evalCondition(condition, attributes);
    if (outcome(cli[i]) !== expected || outcome(wasm) !== expected) {
      failures.push({ line: e.line, expected: e.expected, cli: cli[i], wasm });
    }
  });
  assert.deepEqual(failures, []);
});

// ---------------------------------------------------------------------------------------
// Hostile inputs: one bad record must cost one `{"error"}` line, never the batch or the process.

const record = (condition, attributes) => JSON.stringify({ condition, attributes });
const withBytes = (before, bytes, after) =>
  Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

test('build/attune eval answers every record of a hostile batch and keeps going', () => {
  const missing = missingBuilds('cli');
  assert.ok(!missing, missing);
  const good = JSON.stringify({ condition: { a: 1 }, attributes: { a: 1 } });
  const deep = '{"$and":['.repeat(5000) + '{}' + ']}'.repeat(5000);
  const inCondition = '{"attributes": {}, "condition": {"a": "';
  const inAttributes = '{"condition": {}, "attributes": {"a": "';
  const records = [
    ['not JSON', Buffer.from('{"condition": '), 'error'],
    ['a JSON array, not a record', Buffer.from('[1, 2]'), 'error'],
    ['condition is not an object', Buffer.from('{"condition": 5, "attributes": {}}'), 'error'],
    ['invalid UTF-8 in the condition', withBytes(inCondition, [0xc3, 0x28], '"}}'), 'error'],
    ['invalid UTF-8 in the attributes', withBytes(inAttributes, [0xff], '"}}'), 'error'],
    ['overlong UTF-8 encoding of "/"', withBytes(inAttributes, [0xc0, 0xaf], '"}}'), 'error'],
    ['a UTF-16 surrogate encoded in UTF-8', withBytes(inAttributes, [0xed, 0xa0, 0x80], '"}}'), 'error'],
    ['unknown operator', Buffer.from('{"condition": {"a": {"$where": "1"}}, "attributes": {}}'), 'error'],
    ['a regex with a backreference', record({ a: { $regex: '(a)\\1' } }, { a: 'aa' }), 'error'],
    ['5000 nested $and', Buffer.from(`{"condition": ${deep}, "attributes": {}}`), 'error'],
    ['a NUL character inside a key is data', record({ 'a\u0000b': 'x' }, { 'a\u0000b': 'x' }), true],
    ['a lone surrogate escape does not crash', record({ a: { $regex: '^.$' } }, { a: '\ud800' }), true],
    ['more than 100,000 attribute values', record({ a: 1 }, { a: new Array(100001).fill(1) }), 'error'],
    ['the record after the bad ones still works', Buffer.from(good), true],
  ];
  const answers = runCli(records.map(([, bytes]) => bytes));
  records.forEach(([what, , want], i) => {
    assert.equal(outcome(answers[i]), want, `${what}: got ${JSON.stringify(answers[i])}`);
  });
});

test('regexes stay fast on long subjects and patterns that backtrack exponentially in JS', async () => {
  const missing = missingBuilds('cli', 'wasm');
  assert.ok(!missing, missing);
  const attune = await loadWasm();
  const subject = `${'a'.repeat(100000)}!`;
  // Each of these takes forever in a backtracking engine (GrowthBook's RegExp); never run it there.
  const patterns = ['(a+)+$', '(a|aa)*b', '(a*)*b', '^(a|a?)+$', '^(.*a){20}$'];
  for (const pattern of patterns) {
    const started = performance.now();
    const answer = attune.evalCondition({ s: { $regex: pattern } }, { s: subject });
    const ms = performance.now() - started;
    assert.ok(isValidAnswer(answer), `${pattern}: ${JSON.stringify(answer)}`);
    assert.equal(answer, false, `${pattern} cannot match a subject ending in "!"`);
    assert.ok(ms < 2000, `${pattern} over 100,001 bytes took ${ms.toFixed(0)} ms`);
  }
  const big = { s: { $regex: 'z' } };
  const lines = patterns.map((p) => record({ s: { $regex: p } }, { s: subject }));
  const cli = runCli([...lines, record(big, { s: subject })]);
  assert.deepEqual(cli, [false, false, false, false, false, false]);
});

test('the Wasm module answers hostile JS inputs with {error}, never a throw', async () => {
  const missing = missingBuilds('wasm');
  assert.ok(!missing, missing);
  const attune = await loadWasm();
  const cyclic = {};
  cyclic.self = cyclic;
  const cases = [
    [() => attune.evalCondition('{"a":', {}), 'error'],
    [() => attune.evalCondition(null, {}), 'error'],
    [() => attune.evalCondition({ a: 1 }, cyclic), 'error'],
    [() => attune.evalCondition({ a: { $regex: 'x'.repeat(257) } }, { a: 'x' }), 'error'],
    [() => attune.evalCondition({ a: { $gt: 1n } }, {}), 'error'],
    [() => attune.evalCondition({ a: 'x'.repeat(1 << 16) }, { a: 'x'.repeat(1 << 16) }), true],
  ];
  for (const [call, want] of cases) {
    let answer;
    assert.doesNotThrow(() => {
      answer = call();
    });
    assert.equal(outcome(answer), want, `${call}: ${JSON.stringify(answer)}`);
  }
  // Still healthy afterwards.
  assert.equal(attune.evalCondition({ a: { $in: [1, 2] } }, { a: [3, 2] }), true);
});
