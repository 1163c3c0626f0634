// The JS API contract on Node: what compile/validate/decide/decidePage/free and the
// building blocks return, that inputs may be objects or JSON text, that nothing throws,
// and that the loader fails clearly when it cannot get the Wasm binary.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import {
  AMERICAN_HERO,
  AMERICAN_VISITOR,
  AUSTRIAN_HERO,
  AUSTRIAN_VISITOR,
  SHOP_CONFIG,
  essentials,
} from './hosts/fixtures.mjs';
import { DIST_DIR, REPO_ROOT, WEB_DIR, assertBuilt, loadNodeAttune } from './hosts/node_host.mjs';
import { callJson, toJson, wellFormed } from '../../web/lib/boundary.mjs';
import { wrapEngine } from '../../web/lib/engine.mjs';

const BAD_CONFIG = {
  version: 1,
  placements: [{ id: 'hero' }],
  campaigns: [
    { id: 'x', placement: 'hero', variants: [{ id: 'a', weight: -1, content: { en: { h: 'x' } } }] },
  ],
  colour: 'red',
};

let attune;
before(async () => {
  attune = await loadNodeAttune();
});

function compileOk(config) {
  const result = attune.compile(config);
  assert.equal(result.ok, true, JSON.stringify(result.errors));
  return result.engine;
}

describe('compile and validate', () => {
  test('a valid config compiles, as an object or as JSON text', () => {
    for (const config of [SHOP_CONFIG, JSON.stringify(SHOP_CONFIG)]) {
      const result = attune.compile(config);
      assert.deepEqual(Object.keys(result).sort(), ['engine', 'ok']);
      assert.equal(result.ok, true);
      assert.equal(result.engine.freed, false);
      result.engine.free();
    }
    assert.deepEqual(attune.validate(SHOP_CONFIG), []);
  });

  test('a bad config lists every problem with its JSON path', () => {
    const result = attune.compile(BAD_CONFIG);
    assert.deepEqual(Object.keys(result).sort(), ['errors', 'ok']);
    assert.equal(result.ok, false);
    assert.ok(result.errors.length >= 2, JSON.stringify(result.errors));
    for (const e of result.errors) {
      assert.deepEqual(Object.keys(e).sort(), ['message', 'path']);
      assert.equal(typeof e.path, 'string');
      assert.ok(typeof e.message === 'string' && e.message.length > 0);
    }
    const paths = result.errors.map((e) => e.path);
    assert.ok(paths.includes('campaigns[0].variants[0].weight'), JSON.stringify(paths));
    assert.ok(
      result.errors.some((e) => e.path.includes('colour') || e.message.includes('colour')),
      'the unknown key "colour" is reported',
    );
    assert.deepEqual(attune.validate(BAD_CONFIG), result.errors);
    assert.deepEqual(attune.validate(JSON.stringify(BAD_CONFIG)), result.errors);
  });

  test('an unsupported version is rejected at path "version"', () => {
    const errors = attune.validate({ ...SHOP_CONFIG, version: 2 });
    assert.ok(errors.some((e) => e.path === 'version'), JSON.stringify(errors));
  });

  test('inputs that are not configs are rejected with a root error', () => {
    for (const config of [undefined, null, 42, true, '', '{', '[]', 'null']) {
      const result = attune.compile(config);
      assert.equal(result.ok, false, `compile(${JSON.stringify(config)})`);
      assert.ok(result.errors.length > 0);
      assert.ok(result.errors.every((e) => typeof e.message === 'string' && e.message.length > 0));
    }
  });
});

describe('decide and decidePage', () => {
  test('decide returns the decision for one placement', () => {
    const engine = compileOk(SHOP_CONFIG);
    const at = engine.decide('hero', AUSTRIAN_VISITOR);
    assert.equal(at.placement, 'hero');
    assert.deepEqual(essentials(at), AUSTRIAN_HERO);
    assert.ok(typeof at.token === 'string' && at.token.length > 0, 'a shown campaign has a token');
    const us = engine.decide('hero', AMERICAN_VISITOR);
    assert.deepEqual(essentials(us), AMERICAN_HERO);
    assert.equal(us.token, null);
    engine.free();
  });

  test('decidePage gives one decision per placement, in config order, equal to decide', () => {
    const engine = compileOk(SHOP_CONFIG);
    for (const visitor of [AUSTRIAN_VISITOR, AMERICAN_VISITOR]) {
      const page = engine.decidePage(visitor);
      assert.deepEqual(Object.keys(page), ['decisions']);
      assert.deepEqual(page.decisions.map((d) => d.placement), ['hero', 'banner']);
      for (const d of page.decisions) {
        assert.deepEqual(essentials(d), essentials(engine.decide(d.placement, visitor)));
      }
      const banner = page.decisions[1];
      assert.equal(banner.campaign, null);
      assert.equal(banner.content, null, 'no campaign and no default: no content');
    }
    engine.free();
  });

  test('the visitor may be JSON text', () => {
    const engine = compileOk(JSON.stringify(SHOP_CONFIG));
    assert.deepEqual(essentials(engine.decide('hero', JSON.stringify(AUSTRIAN_VISITOR))), AUSTRIAN_HERO);
    const page = engine.decidePage(JSON.stringify(AMERICAN_VISITOR));
    assert.deepEqual(essentials(page.decisions[0]), AMERICAN_HERO);
    engine.free();
  });

  test('reasons are present only when asked for', () => {
    const engine = compileOk(SHOP_CONFIG);
    assert.equal('reasons' in engine.decide('hero', AUSTRIAN_VISITOR), false);
    assert.equal('reasons' in engine.decide('hero', AUSTRIAN_VISITOR, { reasons: false }), false);
    assert.equal('reasons' in engine.decidePage(AUSTRIAN_VISITOR).decisions[0], false);

    const chosen = engine.decide('hero', AUSTRIAN_VISITOR, { reasons: true }).reasons;
    assert.ok(chosen.some((r) => r.campaign === 'winter-sale' && r.result === 'chosen'), JSON.stringify(chosen));
    const skipped = engine.decidePage(AMERICAN_VISITOR, { reasons: true }).decisions[0].reasons;
    assert.deepEqual(skipped, [{ campaign: 'winter-sale', result: 'skipped', reason: 'audience' }]);
    engine.free();
  });

  test('methods work detached from their object', () => {
    const { compile, evalCondition, hashBucket } = attune;
    const { engine } = compile(SHOP_CONFIG);
    const { decide, decidePage, free } = engine;
    assert.deepEqual(essentials(decide('hero', AUSTRIAN_VISITOR)), AUSTRIAN_HERO);
    assert.equal(decidePage(AUSTRIAN_VISITOR).decisions.length, 2);
    assert.equal(evalCondition({ a: 1 }, { a: 1 }), true);
    assert.equal(typeof hashBucket('s', 'v'), 'number');
    free();
    assert.equal(engine.freed, true);
    assert.deepEqual(decide('hero', AUSTRIAN_VISITOR), { error: 'engine freed' });
  });

  test('the same visitor always gets the same decision, each with its own token', () => {
    const engine = compileOk(SHOP_CONFIG);
    const { token: firstToken, ...first } = engine.decide('hero', AUSTRIAN_VISITOR);
    const tokens = new Set([firstToken]);
    for (let i = 0; i < 50; i++) {
      const { token, ...decision } = engine.decide('hero', AUSTRIAN_VISITOR);
      assert.deepEqual(decision, first);
      assert.match(token, /^t2\.\d+\.\d+\.[0-9a-f]+\.[0-9a-f]{16}$/);
      tokens.add(token);
    }
    assert.equal(tokens.size, 51, 'a token is single-use: every decision issues a new one');
    engine.free();
  });
});

describe('free', () => {
  test('free is idempotent and later calls report the engine freed', () => {
    const engine = compileOk(SHOP_CONFIG);
    engine.free();
    engine.free();
    assert.equal(engine.freed, true);
    assert.deepEqual(engine.decide('hero', AUSTRIAN_VISITOR), { error: 'engine freed' });
    assert.deepEqual(engine.decidePage(AUSTRIAN_VISITOR), { error: 'engine freed' });
  });

  test('freeing one engine leaves the others working', () => {
    const a = compileOk(SHOP_CONFIG);
    const b = compileOk(SHOP_CONFIG);
    a.free();
    assert.deepEqual(essentials(b.decide('hero', AUSTRIAN_VISITOR)), AUSTRIAN_HERO);
    b.free();
  });

  test('many compile/free cycles keep working (no handle or memory exhaustion)', () => {
    for (let i = 0; i < 2000; i++) {
      const engine = compileOk(SHOP_CONFIG);
      assert.equal(engine.decide('hero', AUSTRIAN_VISITOR).campaign, 'winter-sale');
      engine.free();
      assert.equal(attune.compile(BAD_CONFIG).ok, false);
    }
  });
});

describe('building blocks', () => {
  test('version is a non-empty string', () => {
    assert.ok(typeof attune.version === 'string' && attune.version.length > 0);
  });

  test('evalCondition returns booleans and accepts JSON text', () => {
    assert.equal(attune.evalCondition({ 'geo.country': 'AT' }, { geo: { country: 'AT' } }), true);
    assert.equal(attune.evalCondition({ 'geo.country': 'AT' }, { geo: { country: 'DE' } }), false);
    assert.equal(attune.evalCondition('{"tier":{"$in":["gold"]}}', '{"tier":"gold"}'), true);
    assert.equal(attune.evalCondition({ tier: { $exists: false } }), true, 'attributes default to {}');
  });

  test('evalCondition rejects bad conditions with an error', () => {
    for (const [condition, attributes] of [
      [{ x: { $bogus: 1 } }, {}],
      ['{', {}],
      [42, {}],
      [{ x: 1 }, 'not json'],
    ]) {
      const r = attune.evalCondition(condition, attributes);
      assert.ok(typeof r.error === 'string' && r.error.length > 0, JSON.stringify([condition, attributes, r]));
    }
  });

  test('negotiateLocale does RFC 4647 lookup and reports direction', () => {
    const available = ['en', 'de', 'he'];
    assert.deepEqual(
      attune.negotiateLocale({ acceptLanguage: 'de-AT,de;q=0.9,en;q=0.5', available, defaultLocale: 'en' }),
      { locale: 'de', dir: 'ltr' },
    );
    assert.deepEqual(
      attune.negotiateLocale(JSON.stringify({ requested: ['he-IL'], available, defaultLocale: 'en' })),
      { locale: 'he', dir: 'rtl' },
    );
    assert.deepEqual(attune.negotiateLocale({ requested: ['fr'], available, defaultLocale: 'en' }), {
      locale: 'en',
      dir: 'ltr',
    });
  });

  test('renderTemplate fills placeholders and falls back', () => {
    assert.deepEqual(attune.renderTemplate({ template: 'Hi {{name|there}}!', context: {} }), { text: 'Hi there!' });
    assert.deepEqual(attune.renderTemplate({ template: 'Hi {{name}}!', context: { name: 'Ada' } }), {
      text: 'Hi Ada!',
    });
    assert.deepEqual(attune.renderTemplate({ template: 'Hi {{name}}!', context: {} }), { dropped: true });
    assert.deepEqual(attune.renderTemplate({ template: 'Hi {{name}}!', context: {}, fallback: 'Hi!' }), {
      text: 'Hi!',
    });
  });

  test('hashBucket is GrowthBook hash v2 over UTF-16 code units', async () => {
    const { hash } = await import(
      pathToFileURL(join(REPO_ROOT, 'node_modules/@growthbook/growthbook/dist/esm/util.mjs')).href
    );
    for (const [seed, id] of [
      ['winter-sale', 'visitor-42'],
      ['', ''],
      ['seed/holdout', '123'],
      ['Zoë', 'Ünïcödé'],
      ['日本', '👋🏽'],
    ]) {
      assert.equal(attune.hashBucket(seed, id), hash(seed, id, 2), `${seed} + ${id}`);
    }
    assert.ok(typeof attune.hashBucket(1, 'x').error === 'string');
    assert.ok(typeof attune.hashBucket('x', undefined).error === 'string');
  });
});

describe('loader', () => {
  const wasmPath = join(DIST_DIR, 'attune.wasm');

  test('bytes may be a Uint8Array, a Buffer or an ArrayBuffer; a compiled module works too', async () => {
    assertBuilt();
    const { loadAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href);
    const buffer = readFileSync(wasmPath);
    const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    for (const options of [
      { wasmBinary: new Uint8Array(buffer) },
      { wasmBinary: arrayBuffer },
      { wasmModule: new WebAssembly.Module(buffer) },
    ]) {
      const other = await loadAttune(options);
      assert.equal(other.version, attune.version);
      assert.equal(other.evalCondition({ a: 1 }, { a: 1 }), true);
    }
  });

  test('without bytes in Node, or with bad bytes, loading fails and says why', async () => {
    assertBuilt();
    const { loadAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href);
    await assert.rejects(loadAttune(), /pass \{ wasmBinary \}/);
    await assert.rejects(loadAttune({ wasmBinary: new Uint8Array([0, 97, 115, 109]) }), /cannot instantiate/);
    await assert.rejects(loadAttune({ wasmBinary: 'attune.wasm' }), /wasmBinary must be/);
    await assert.rejects(loadAttune({ wasmModule: {} }), /wasmModule must be/);
    await assert.rejects(loadAttune({ wasmUrl: 'http://127.0.0.1:1/attune.wasm' }), /loadAttune/);
    await assert.rejects(loadAttune(42), /options must be an object/);
  });
});

describe('the boundary never throws (independent of the Wasm build)', () => {
  test('a Wasm trap or a binding error becomes { error }', () => {
    assert.deepEqual(
      callJson(() => {
        throw new WebAssembly.RuntimeError('unreachable');
      }),
      { error: 'engine crashed: unreachable' },
    );
    assert.deepEqual(
      callJson(() => {
        throw new TypeError('Cannot pass non-string to std::string');
      }),
      { error: 'Cannot pass non-string to std::string' },
    );
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    assert.equal(
      typeof callJson(() => {
        throw hostile;
      }).error,
      'string',
    );
    assert.match(callJson(() => '{"truncated').error, /invalid JSON/);
  });

  test('lone surrogates become U+FFFD before crossing, with or without isWellFormed', () => {
    const cases = [
      ['a\uD800"}', 'a\uFFFD"}'],
      ['\uDC00\uD800', '\uFFFD\uFFFD'],
      ['ok \uD83D\uDC4B', 'ok \uD83D\uDC4B'],
    ];
    for (const [input, output] of cases) assert.equal(wellFormed(input), output);
    const descriptor = Object.getOwnPropertyDescriptor(String.prototype, 'isWellFormed');
    try {
      delete String.prototype.isWellFormed; // as on hosts older than ES2024
      for (const [input, output] of cases) assert.equal(wellFormed(input), output);
    } finally {
      Object.defineProperty(String.prototype, 'isWellFormed', descriptor);
    }
    assert.deepEqual(toJson('{"n":"\uD800"}', 'x'), { json: '{"n":"\uFFFD"}' });
  });

  test('unserialisable inputs are reported, not thrown', () => {
    const cyclic = { id: 'v' };
    cyclic.self = cyclic;
    assert.match(toJson(cyclic, 'visitor').error, /^visitor: cannot be serialised/);
    assert.match(toJson({ n: 10n }, 'visitor').error, /^visitor: cannot be serialised/);
    assert.match(toJson(undefined, 'visitor').error, /^visitor: must be an object or a JSON string, got undefined/);
    assert.deepEqual(toJson('{"a":1}', 'x'), { json: '{"a":1}' });
  });

  test('an engine whose native calls trap still answers and frees once', () => {
    let deletes = 0;
    const native = {
      decideJson() {
        throw new WebAssembly.RuntimeError('memory access out of bounds');
      },
      decidePageJson() {
        throw new RangeError('Maximum call stack size exceeded');
      },
      delete() {
        deletes++;
        throw new Error('already deleted');
      },
    };
    const engine = wrapEngine(native);
    assert.deepEqual(engine.decide('hero', {}), { error: 'engine crashed: memory access out of bounds' });
    assert.deepEqual(engine.decidePage({}), { error: 'Maximum call stack size exceeded' });
    assert.deepEqual(engine.decide(7, {}), { error: 'placementId: must be a string' });
    engine.free();
    engine.free();
    assert.equal(deletes, 1);
    assert.deepEqual(engine.decide('hero', {}), { error: 'engine freed' });
  });
});

describe('package hygiene', () => {
  // Globals that break on some host: Node-only (Buffer, process, require, __dirname),
  // browser-only (localStorage), forbidden at the edge (eval, new Function, timers).
  const FORBIDDEN = [
    /\bsetTimeout\b/,
    /\bsetInterval\b/,
    /\bBuffer\b/,
    /\blocalStorage\b/,
    /\beval\s*\(/,
    /\bnew\s+Function\b/,
    /\bprocess\b/,
    /\brequire\s*\(/,
    /__dirname/,
  ];

  function sources(dir) {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'dist' || entry.name === 'node_modules' ? [] : sources(path);
      return entry.name.endsWith('.mjs') ? [path] : [];
    });
  }

  // The browser runtime (createAttune) owns storage and write-behind: it may use timers and
  // localStorage, only once a runtime with storage exists (never at import), and it is not
  // what edges load. Everything else in web/ stays host-neutral.
  const BROWSER_RUNTIME = new Set(['runtime.mjs', 'storage.mjs']);
  const BROWSER_ONLY = [/\bsetTimeout\b/, /\blocalStorage\b/];

  test('web/ code uses no host-specific globals', () => {
    const files = sources(WEB_DIR);
    assert.ok(files.length >= 2);
    for (const file of files) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      const allowed = BROWSER_RUNTIME.has(file.split('/').pop()) ? BROWSER_ONLY : [];
      for (const pattern of FORBIDDEN) {
        if (allowed.some((a) => a.source === pattern.source)) continue;
        assert.doesNotMatch(code, pattern, `${file} uses ${pattern}`);
      }
    }
  });

  test('every method the typings declare exists at runtime', () => {
    const dts = readFileSync(join(WEB_DIR, 'attune.d.ts'), 'utf8');
    const methods = (block) => [...block.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]);
    const attuneMethods = methods(dts.match(/export interface Attune \{([\s\S]*?)\n\}/)[1]);
    const engineMethods = methods(dts.match(/export interface Engine \{([\s\S]*?)\n\}/)[1]);
    assert.deepEqual(attuneMethods, [
      'compile',
      'validate',
      'evalCondition',
      'negotiateLocale',
      'renderTemplate',
      'hashBucket',
      'health',
    ]);
    for (const m of attuneMethods) assert.equal(typeof attune[m], 'function', m);
    const engine = compileOk(SHOP_CONFIG);
    for (const m of engineMethods) assert.equal(typeof engine[m], 'function', m);
    engine.free();
  });

  test('package.json points at files that exist', () => {
    const pkg = JSON.parse(readFileSync(join(WEB_DIR, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'attune');
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.exports['.'].default, './attune.mjs');
    assert.equal(pkg.types, './attune.d.ts');
    assert.ok(pkg.files.includes('dist/'));
    readFileSync(join(WEB_DIR, pkg.exports['.'].default));
    readFileSync(join(WEB_DIR, pkg.types));
  });

  // A published package holds only its "files": every module an export reaches through
  // relative imports must be among them (runtime.mjs once was not); npm always adds package.json.
  test('every module the exports import is published', () => {
    const pkg = JSON.parse(readFileSync(join(WEB_DIR, 'package.json'), 'utf8'));
    const published = (file) => file === 'package.json' || pkg.files.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      assert.ok(published(file), `${file} is imported but not in package.json "files"`);
      if (!file.endsWith('.mjs') || file.startsWith('dist/')) return;
      const code = readFileSync(join(WEB_DIR, file), 'utf8');
      for (const m of code.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
        visit(posix.normalize(posix.join(posix.dirname(file), m[1])));
      }
    };
    const targets = Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)));
    for (const target of targets) visit(posix.normalize(target));
    assert.ok(seen.has('runtime.mjs') && seen.has('lib/markup.mjs') && seen.has('dom.d.ts'), [...seen].join(' '));
  });
});
