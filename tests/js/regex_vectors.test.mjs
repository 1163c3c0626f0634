// The regex vectors (tests/vectors/regex.json) are the truth of JavaScript semantics: every
// non-error case must give the same answer with JavaScript's own RegExp (the vector's flags
// plus `u`, because the Attune engine matches code points like the `u` flag). The native
// test (tests/native/test_regex.cpp) checks the Attune engine against the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/regex.json', import.meta.url), 'utf8'),
);

test('regex vectors are well formed', () => {
  assert.ok(Array.isArray(vectors));
  const names = new Set();
  for (const v of vectors) {
    assert.equal(typeof v.name, 'string', JSON.stringify(v));
    assert.ok(!names.has(v.name), `duplicate vector name: ${v.name}`);
    names.add(v.name);
    assert.equal(typeof v.pattern, 'string', v.name);
    assert.ok(v.flags === '' || v.flags === 'i', `${v.name}: flags must be "" or "i"`);
    if (v.error) {
      assert.equal(v.error, true, v.name);
      assert.deepEqual(Object.keys(v).sort(), ['error', 'flags', 'name', 'pattern'], v.name);
    } else {
      assert.equal(typeof v.subject, 'string', v.name);
      assert.equal(typeof v.expected, 'boolean', v.name);
      assert.deepEqual(
        Object.keys(v).sort(),
        ['expected', 'flags', 'name', 'pattern', 'subject'],
        v.name,
      );
    }
  }
  const matching = vectors.filter((v) => !v.error);
  assert.ok(matching.length >= 150, `only ${matching.length} matching vectors`);
  assert.ok(vectors.length - matching.length >= 30, 'too few rejected-pattern vectors');
  // Both answers and both flag settings must be represented.
  assert.ok(matching.some((v) => v.expected) && matching.some((v) => !v.expected));
  assert.ok(matching.some((v) => v.flags === 'i'));
  // Non-ASCII subjects, including astral code points, must be covered.
  assert.ok(matching.some((v) => /[\u{10000}-\u{10FFFF}]/u.test(v.subject)));
});

test('JavaScript RegExp (u flag) agrees with every expected answer', () => {
  const disagreements = [];
  for (const v of vectors) {
    if (v.error) continue;
    let actual;
    try {
      actual = new RegExp(v.pattern, `${v.flags}u`).test(v.subject);
    } catch (e) {
      disagreements.push(`${v.name}: JavaScript rejects /${v.pattern}/${v.flags}u: ${e.message}`);
      continue;
    }
    if (actual !== v.expected) {
      disagreements.push(`${v.name}: /${v.pattern}/${v.flags}u gives ${actual}`);
    }
  }
  assert.deepEqual(disagreements, []);
});

test('subjects hold no lone surrogates (they cannot exist in UTF-8)', () => {
  for (const v of vectors) {
    if (v.error) continue;
    assert.ok(v.subject.isWellFormed?.() ?? !/\p{Cs}/u.test(v.subject), v.name);
  }
});
