// The raw module API (bindings/facade.js over the C exports) keeps the shape and behaviour
// the Embind classes had, which web/runtime.mjs, web/edge/*, the demo and the tests call:
// the same names and argument order, strings and bytes in, strings and memory views out,
// explicit delete(), and errors thrown (never a crash) for wrong arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import createAttuneModule from '../../web/dist/attune.mjs';
import createAttuneLeanModule from '../../web/dist/attune-lean.mjs';

const root = new URL('../../', import.meta.url);
const read = (p) => readFile(new URL(p, root));
const full = await createAttuneModule({ wasmBinary: await read('web/dist/attune.wasm') });
const lean = await createAttuneLeanModule({ wasmBinary: await read('web/dist/attune-lean.wasm') });

const CONFIG = JSON.stringify({
  version: 1,
  consent: { policy: 'optOut' },
  placements: [{ id: 'hero', default: { en: { h: 'Welcome' } } }],
  campaigns: [{ id: 'ski', placement: 'hero', audience: { 'traits.tier': 'gold' },
    variants: [{ id: 'a', content: { en: { h: 'Hi {{name|there}}' } } }] }],
});
const NOW = '2026-01-01T00:00:00Z';
const VISITOR = JSON.stringify({ id: 'v1', now: NOW, locales: ['en'], name: 'Ada', traits: { tier: 'gold' } });

const ENGINE_METHODS = ['ok', 'errorsJson', 'decideJson', 'decidePageJson', 'inputView',
  'decidePageFromInput', 'outputView', 'setVisitorJson', 'decideCurrentJson', 'compiledView',
  'trackJson', 'replayTrackJson', 'setTokenSecret', 'seedTokenEntropy',
  'decidePageCountingForJson', 'decidePlacementsCountingForJson', 'decidePageForJson',
  'decideForJson', 'profileJson', 'setConsentJson', 'purposesJson', 'cookieForJson', 'delete'];
const VISITOR_METHODS = ['id', 'setId', 'stateView', 'loadState', 'cookieText', 'loadCookie',
  'forget', 'consentRecordJson', 'delete'];

test('both builds expose the classes, methods and functions the Embind bindings had', () => {
  for (const M of [full, lean]) {
    for (const name of ENGINE_METHODS) assert.equal(typeof M.Engine.prototype[name], 'function', `Engine.${name}`);
    for (const name of VISITOR_METHODS) assert.equal(typeof M.Visitor.prototype[name], 'function', `Visitor.${name}`);
    assert.equal(typeof M.hashBucket, 'function');
  }
  for (const name of ['evalConditionJson', 'negotiateLocaleJson', 'renderTemplateJson', 'simulateJson', 'tcfJson', 'version']) {
    assert.equal(typeof full[name], 'function', name);
    assert.equal(lean[name], undefined, `${name} stays out of the lean build`);
  }
  assert.equal(typeof full.Kpi.prototype.addJson, 'function');
  assert.equal(typeof full.Kpi.prototype.reportJson, 'function');
  assert.equal(lean.Kpi, undefined, 'KPIs stay out of the lean build');
  assert.equal(full.version(), '0.1.0');
});

test('strings and results cross intact: UTF-8, NUL, astral characters, lone surrogates', () => {
  const visitor = new full.Visitor();
  visitor.setId('a\u0000b é 😀 \u{10FFFF}');
  assert.equal(visitor.id(), 'a\u0000b é 😀 \u{10FFFF}');
  visitor.setId('x\uD800y\uDC00');  // lone surrogates become U+FFFD, as the JS layer promises
  assert.equal(visitor.id(), 'x\uFFFDy\uFFFD');
  visitor.setId('z'.repeat(300));
  assert.equal(visitor.id(), 'z'.repeat(256), 'the id keeps its 256-byte limit');
  visitor.delete();

  const engine = new full.Engine(CONFIG);
  assert.equal(engine.ok(), true, engine.errorsJson());
  const page = JSON.parse(engine.decidePageJson(VISITOR, false));
  assert.equal(page.decisions[0].content.h, 'Hi Ada');
  const one = JSON.parse(engine.decideJson('hero', JSON.stringify({ now: NOW, locales: ['en'], name: 'Zoë 👋', traits: { tier: 'gold' } }), true));
  assert.equal(one.content.h, 'Hi Zoë 👋');
  assert.ok(Array.isArray(one.reasons));
  assert.equal(JSON.parse(engine.decideCurrentJson('nope', false)).error, 'unknown placement');
  engine.delete();
});

test('bytes go in as Uint8Array, ArrayBuffer or Int8Array, and come out as memory views', () => {
  const engine = new full.Engine(CONFIG);
  const view = engine.compiledView();
  assert.ok(view instanceof Uint8Array && view.length > 16);
  const bytes = new Uint8Array(view);  // copy: the view dies with the next call
  for (const input of [bytes, bytes.buffer, new Int8Array(bytes.buffer)]) {
    const loaded = new lean.Engine(input);
    assert.equal(loaded.ok(), true, loaded.errorsJson());
    loaded.seedTokenEntropy(0);  // the same token nonces on both
    engine.seedTokenEntropy(0);
    assert.equal(loaded.decidePageJson(VISITOR, false), engine.decidePageJson(VISITOR, false));
    loaded.delete();
  }
  const broken = new lean.Engine(bytes.subarray(0, 10));
  assert.equal(broken.ok(), false);
  assert.match(JSON.parse(broken.errorsJson())[0].message, /truncated|magic/);
  assert.match(broken.decidePageJson(VISITOR, false), /did not compile or load/);
  broken.delete();

  // The visitor's state blob round-trips through a view and loadState(bytes).
  const visitor = new full.Visitor();
  visitor.setId('v1');
  assert.equal(engine.trackJson(visitor, 'page_view', '{}', Date.UTC(2026, 0, 1)), '');
  const blob = new Uint8Array(visitor.stateView());
  const copy = new full.Visitor();
  assert.equal(JSON.parse(copy.loadState(blob)).status, 'ok');
  assert.equal(copy.id(), 'v1');
  assert.deepEqual(new Uint8Array(copy.stateView()), blob);
  copy.delete();
  visitor.delete();
  engine.delete();
});

test('the memory route: inputView, decidePageFromInput, outputView', () => {
  const engine = new full.Engine(CONFIG);
  const input = new TextEncoder().encode(VISITOR);
  engine.seedTokenEntropy(0);
  const view = engine.inputView(input.length);
  assert.equal(view.length, input.length);
  view.set(input);
  const n = engine.decidePageFromInput(input.length, false);
  const out = engine.outputView();
  assert.equal(n, out.length);
  const text = new TextDecoder().decode(out);
  engine.seedTokenEntropy(0);
  assert.equal(text, engine.decidePageJson(VISITOR, false));
  engine.delete();
});

test('wrong arguments throw, as Embind threw, and the module keeps working', () => {
  const engine = new full.Engine(CONFIG);
  const visitor = new full.Visitor();
  const throwsBinding = (fn, message) => assert.throws(fn, (e) => e.name === 'BindingError' && message.test(e.message));
  throwsBinding(() => engine.decideJson('hero'), /called with 1 arguments, expected 3/);
  throwsBinding(() => engine.decideJson(5, VISITOR, false), /Cannot pass non-string to std::string/);
  throwsBinding(() => engine.decidePageJson({}, false), /Cannot pass non-string/);
  throwsBinding(() => new full.Engine(), /invalid number of parameters \(0\) - expected \(1\)/);
  throwsBinding(() => full.Engine(CONFIG), /Use 'new'/);
  throwsBinding(() => engine.trackJson({}, 'page_view', '{}', 0), /Cannot pass "\[object Object\]" as a Visitor$/);
  throwsBinding(() => engine.trackJson(null, 'page_view', '{}', 0), /null is not a valid Visitor$/);
  throwsBinding(() => engine.trackJson(engine, 'page_view', '{}', 0), /Expected null or instance of Visitor, got an instance of Engine/);
  throwsBinding(() => full.Engine.prototype.ok.call({}), /as a Engine const\*/);
  throwsBinding(() => full.hashBucket('seed'), /expected 2 args/);
  // Numbers convert as Wasm converts them; booleans as truthiness.
  assert.equal(typeof full.hashBucket('seed', 'id'), 'number');
  assert.equal(full.hashBucket('seed', 'id'), lean.hashBucket('seed', 'id'));
  assert.equal(JSON.parse(engine.decidePageJson(VISITOR, 'yes')).decisions[0].reasons !== undefined, true);

  const dead = new full.Visitor();
  dead.delete();
  assert.equal(dead.isDeleted(), true);
  throwsBinding(() => dead.id(), /deleted object as a pointer of type Visitor const\*/);
  throwsBinding(() => engine.trackJson(dead, 'page_view', '{}', 0), /deleted object as a pointer of type Visitor$/);
  throwsBinding(() => dead.delete(), /already deleted/);
  engine.delete();
  throwsBinding(() => engine.ok(), /deleted object as a pointer of type Engine const\*/);
  throwsBinding(() => engine.decidePageJson(VISITOR, false), /deleted object as a pointer of type Engine\*/);
  visitor.delete();

  const again = new full.Engine(CONFIG);
  assert.equal(again.ok(), true, 'still usable after the errors');
  again.delete();
});

test('memory grows under a large call and every view and string stays right', () => {
  const engine = new full.Engine(CONFIG);
  const before = full.HEAPU8.length;
  const big = JSON.stringify({ id: 'v1', now: NOW, locales: ['en'], traits: { tier: 'gold', pad: 'é'.repeat(3_000_000) } });
  const result = JSON.parse(engine.decidePageJson(big, false));
  assert.ok(result.error || result.decisions, JSON.stringify(result).slice(0, 200));
  const visitor = new full.Visitor();
  visitor.setId('after-growth');
  assert.equal(visitor.id(), 'after-growth');
  assert.equal(JSON.parse(engine.decidePageJson(VISITOR, false)).decisions[0].content.h, 'Hi Ada');
  assert.ok(full.HEAPU8.length >= before);
  visitor.delete();
  engine.delete();
});

test('objects deleted after use do not leak Wasm memory', () => {
  const run = () => {
    for (let i = 0; i < 2000; i++) {
      const engine = new lean.Engine(new Uint8Array(0));
      const visitor = new lean.Visitor();
      visitor.setId(`visitor-${i}`);
      engine.delete();
      visitor.delete();
    }
  };
  run();
  const settled = lean.HEAPU8.length;
  run();
  run();
  assert.equal(lean.HEAPU8.length, settled);
});

test('KPIs: addJson and reportJson', () => {
  const kpi = new full.Kpi();
  assert.match(kpi.addJson('[1]'), /events\[0\]/);
  assert.equal(typeof JSON.parse(kpi.reportJson()), 'object');
  kpi.delete();
  assert.throws(() => kpi.reportJson(), /deleted object/);
});
