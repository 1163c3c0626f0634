// Hostile and broken inputs through the JS API: each must give a clear error (or a bounded,
// correct result), never a throw or a hang, and the engine must keep working afterwards.
// "Must finish" checks have no timing assertions: the test runner's timeout is the bound.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { AUSTRIAN_HERO, AUSTRIAN_VISITOR, SHOP_CONFIG, essentials } from './hosts/fixtures.mjs';
import { loadNodeAttune } from './hosts/node_host.mjs';

// Every decision issues a fresh token (single-use): compare decisions without them.
function withoutTokens(value) {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'token' && typeof v === 'string' ? 'token' : v)));
}

const TEN_MB = 10 * 1024 * 1024;
const HOSTILE_TIMEOUT = { timeout: 60_000 };

let attune;
let engine;
before(async () => {
  attune = await loadNodeAttune();
  const compiled = attune.compile(SHOP_CONFIG);
  assert.equal(compiled.ok, true, JSON.stringify(compiled.errors));
  engine = compiled.engine;
});

function assertStillWorks() {
  assert.deepEqual(essentials(engine.decide('hero', AUSTRIAN_VISITOR)), AUSTRIAN_HERO);
  assert.equal(attune.evalCondition({ a: 1 }, { a: 1 }), true);
  assert.deepEqual(attune.validate(SHOP_CONFIG), []);
}

function assertError(result, context) {
  assert.equal(typeof result, 'object', context);
  assert.ok(typeof result.error === 'string' && result.error.length > 0, `${context}: ${short(result)}`);
  assert.ok(result.error.length < 2_000, `${context}: the error message is bounded`);
}

function assertRejected(result, context) {
  assert.equal(result.ok, false, context);
  assert.ok(Array.isArray(result.errors) && result.errors.length > 0, context);
  for (const e of result.errors) {
    assert.equal(typeof e.path, 'string', context);
    assert.ok(typeof e.message === 'string' && e.message.length > 0, context);
  }
  assert.ok(JSON.stringify(result.errors).length < 100_000, `${context}: the error list is bounded`);
}

// Either `{error}` or a well-formed decision whose output stays small.
function assertErrorOrBoundedDecision(result, context) {
  if (result.error !== undefined) return assertError(result, context);
  assert.equal(typeof result.placement, 'string', `${context}: ${short(result)}`);
  assert.ok(JSON.stringify(result).length < 100_000, `${context}: output is bounded`);
  assertWellFormed(result, context);
}

// Every string in a result is valid Unicode: no lone surrogates leak back out.
function assertWellFormed(value, context) {
  if (typeof value === 'string') assert.ok(value.isWellFormed(), `${context}: ill-formed string in output`);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) assertWellFormed(v, context);
}

function short(value) {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function nested(depth, open, close, inner) {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe('malformed and oversized configs', () => {
  test('malformed JSON text is rejected with an error list', () => {
    for (const text of ['{"version": 1,', '{"version": 1}}', '\u0000', '{version: 1}', "{'version': 1}", '\uFEFF']) {
      assertRejected(attune.compile(text), JSON.stringify(text));
    }
    assertStillWorks();
  });

  test('a config nested 10,000 deep is rejected', HOSTILE_TIMEOUT, () => {
    assertRejected(attune.compile(nested(10_000, '{"a":', '}', '1')), 'objects as the config');
    const deepCondition = nested(10_000, '[', ']', '1');
    const text = `{"version":1,"segments":{"s":{"traits.x":{"$in":${deepCondition}}}}}`;
    assertRejected(attune.compile(text), 'arrays inside a condition');
    const deepAnd = nested(10_000, '{"$and":[', ']}', '{"a":1}');
    assertRejected(attune.compile(`{"version":1,"segments":{"s":${deepAnd}}}`), '$and inside a segment');
    assertStillWorks();
  });

  test('a 10 MB string in a config is rejected by the size limits', HOSTILE_TIMEOUT, () => {
    const huge = 'x'.repeat(TEN_MB);
    const config = structuredClone(SHOP_CONFIG);
    config.campaigns[0].variants[0].content.en.headline = huge;
    assertRejected(attune.compile(config), 'a 10 MB template');
    assertRejected(attune.compile({ ...SHOP_CONFIG, [huge]: 1 }), 'a 10 MB key');
    assertStillWorks();
  });

  test('lone surrogates in a config give errors or a valid engine, never a throw', () => {
    const config = structuredClone(SHOP_CONFIG);
    config.campaigns[0].variants[0].content.en.headline = 'Hi \uD800 {{name|there}}';
    config.campaigns[0].id = 'winter\uDC00';
    // As an object the package serialises the lone surrogates as \uD800 escapes; as raw
    // text Embind encodes them into bytes that are not valid UTF-8.
    const raw = JSON.stringify(config).replace('\\ud800', '\uD800').replace('\\udc00', '\uDC00');
    assert.ok(!raw.isWellFormed(), 'the raw text really holds lone surrogates');
    for (const input of [config, raw]) {
      const result = attune.compile(input);
      if (result.ok) {
        assertErrorOrBoundedDecision(result.engine.decide('hero', { id: 'v', geo: { country: 'DE' } }), 'decide');
        result.engine.free();
      } else {
        assertRejected(result, 'lone surrogates');
        assertWellFormed(result.errors, 'errors');
      }
    }
    assertStillWorks();
  });

  test('configs that are not objects are rejected', () => {
    for (const config of [[], 'true', '"config"', '1e999', []]) assertRejected(attune.compile(config), short(config));
    assertStillWorks();
  });
});

describe('hostile visitors', () => {
  test('a visitor that is not an object is an error', () => {
    for (const visitor of [42, null, undefined, true, [], [AUSTRIAN_VISITOR], 'not json', '"str"', '[1,2]', '', '{']) {
      assertError(engine.decide('hero', visitor), `decide(${short(visitor)})`);
      assertError(engine.decidePage(visitor), `decidePage(${short(visitor)})`);
    }
    assertStillWorks();
  });

  test('unserialisable visitors (cycles, BigInt) are errors', () => {
    const cyclic = { ...AUSTRIAN_VISITOR };
    cyclic.traits = { self: cyclic };
    assertError(engine.decide('hero', cyclic), 'cyclic');
    assertError(engine.decidePage({ ...AUSTRIAN_VISITOR, traits: { n: 1n } }), 'BigInt');
    assertStillWorks();
  });

  test('a visitor nested 10,000 deep is an error', HOSTILE_TIMEOUT, () => {
    const visitor = `{"id":"v","traits":${nested(10_000, '{"a":', '}', '1')}}`;
    assertError(engine.decide('hero', visitor), 'deep traits');
    assertError(engine.decidePage(visitor), 'deep traits');
    assertStillWorks();
  });

  test('10 MB strings in name and traits give an error or a bounded decision', HOSTILE_TIMEOUT, () => {
    const huge = 'A'.repeat(TEN_MB);
    for (const visitor of [
      { ...AUSTRIAN_VISITOR, name: huge },
      { ...AUSTRIAN_VISITOR, traits: { bio: huge } },
      { ...AUSTRIAN_VISITOR, [huge]: 1 },
    ]) {
      assertErrorOrBoundedDecision(engine.decide('hero', visitor), 'decide');
      const page = engine.decidePage(visitor);
      if (page.error === undefined) for (const d of page.decisions) assertErrorOrBoundedDecision(d, 'decidePage');
      else assertError(page, 'decidePage');
    }
    assertError(engine.decide(huge, AUSTRIAN_VISITOR), 'a 10 MB placement id');
    assertStillWorks();
  });

  test('lone surrogates in the visitor give an error or a well-formed decision', () => {
    const visitor = { ...AUSTRIAN_VISITOR, name: 'Ada\uD800', traits: { note: '\uDFFFx' } };
    const raw = JSON.stringify(visitor).replace('\\ud800', '\uD800').replace('\\udfff', '\uDFFF');
    assert.ok(!raw.isWellFormed());
    for (const input of [visitor, raw]) {
      assertErrorOrBoundedDecision(engine.decide('hero', input), 'decide');
      assertError(engine.decide('\uD800hero', input), 'decide on a broken placement id');
    }
    // Raw text must not be corrupted on its way in (Embind would pair the lone surrogate
    // with the next character): both forms reach the engine as the same U+FFFD.
    assert.deepEqual(withoutTokens(engine.decide('hero', raw)), withoutTokens(engine.decide('hero', visitor)));
    assert.deepEqual(withoutTokens(engine.decidePage(raw)), withoutTokens(engine.decidePage(visitor)));
    assert.equal(attune.hashBucket('\uD800', 'x'), attune.hashBucket('\uFFFD', 'x'));
    assert.equal(attune.evalCondition({ s: '\uFFFD' }, `{"s":"\uDC00"}`), true);
    assertStillWorks();
  });

  test('an Accept-Language of 10,000 entries gives a bounded, valid locale', HOSTILE_TIMEOUT, () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => `x${i % 26}-${i};q=0.${i % 10}`);
    const acceptLanguage = [...entries, 'de;q=1'].join(',');
    const decision = engine.decide('hero', { ...AUSTRIAN_VISITOR, acceptLanguage });
    assertErrorOrBoundedDecision(decision, 'decide');
    if (decision.error === undefined) assert.ok(['en', 'de'].includes(decision.locale), decision.locale);

    const negotiated = attune.negotiateLocale({ acceptLanguage, available: ['en', 'de'], defaultLocale: 'en' });
    assert.ok(['en', 'de'].includes(negotiated.locale), short(negotiated));
    const garbage = attune.negotiateLocale({ acceptLanguage: ',;=q'.repeat(50_000), available: ['en'], defaultLocale: 'en' });
    assert.deepEqual(garbage, { locale: 'en', dir: 'ltr' });
    assertStillWorks();
  });

  test('deciding an unknown placement is an error naming it', () => {
    for (const id of ['nope', '', 'HERO', 'hero ']) {
      const result = engine.decide(id, AUSTRIAN_VISITOR);
      assertError(result, `placement ${JSON.stringify(id)}`);
      if (id) assert.ok(result.error.includes(id), result.error);
    }
    assertError(engine.decide(undefined, AUSTRIAN_VISITOR), 'undefined placement');
    assertError(engine.decide({ id: 'hero' }, AUSTRIAN_VISITOR), 'object placement');
    assertStillWorks();
  });
});

describe('catastrophic regex', () => {
  const SUBJECT = `${'a'.repeat(100_000)}!`;
  const CONFIG = {
    ...SHOP_CONFIG,
    campaigns: [{ ...SHOP_CONFIG.campaigns[0], audience: { 'traits.s': { $regex: '(a+)+$' } } }],
  };

  test('(a+)+$ against 100 KB of "a…!" finishes without matching', HOSTILE_TIMEOUT, () => {
    const cond = attune.evalCondition({ s: { $regex: '(a+)+$' } }, { s: SUBJECT });
    assert.ok(cond === false || typeof cond.error === 'string', short(cond));
    assert.equal(attune.evalCondition({ s: { $regex: '(a+)+$' } }, { s: 'aaa' }), true, 'it still matches a match');

    const compiled = attune.compile(CONFIG);
    if (!compiled.ok) {
      // Rejecting the pattern at compile time is a valid bound too; it must say so.
      assertRejected(compiled, 'regex');
      assert.ok(compiled.errors.some((e) => /regex/i.test(e.path + e.message)), short(compiled.errors));
      return;
    }
    const visitor = { ...AUSTRIAN_VISITOR, traits: { s: SUBJECT } };
    const decision = compiled.engine.decide('hero', visitor);
    if (decision.error === undefined) {
      assert.equal(decision.campaign, null, 'a pattern that does not match does not select the campaign');
      assert.deepEqual(decision.content, { headline: 'Willkommen' });
    } else {
      assertError(decision, 'regex decide');
    }
    const matching = compiled.engine.decide('hero', { ...visitor, traits: { s: 'aaaa' } });
    assert.equal(matching.campaign, 'winter-sale', short(matching));
    compiled.engine.free();
    assertStillWorks();
  });
});
