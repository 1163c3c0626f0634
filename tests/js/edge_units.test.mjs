// The edge worker's per-request shortcuts, each checked against the plain way it replaced
// (docs/EDGE.md "Performance"): the escaping fast paths against the regex rules, the payload
// embedded from the engine's text against the payload built from objects, the one-crossing
// decision with the isolate's reused Visitor against a fresh Visitor per request, and the
// per-isolate caches (placements, Vary, time-zone offsets) against recomputing. In Node, with
// the real Wasm engine; the worker itself runs in workerd in edge.test.mjs.

import assert from 'node:assert/strict';

import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { WEB_DIR, assertBuilt, loadNativeModule } from './hosts/node_host.mjs';
import { mulberry32 } from './prng.mjs';

const edge = (file) => import(pathToFileURL(join(WEB_DIR, 'edge', file)).href);
const { escapeAttribute, scriptJson, scriptSafe } = await edge('escape.mjs');
const { cleanText } = await import(pathToFileURL(join(WEB_DIR, 'lib', 'markup.mjs')).href);
const { decideRequest } = await edge('decide.mjs');
const { handoffMarkup, handoffPayload, payloadHtml } = await edge('payload.mjs');
const { pagePlacements } = await edge('origin.mjs');
const { personalizedHeaders } = await edge('headers.mjs');
const { zoneOffset } = await edge('timezone.mjs');
const { STATE_COOKIE_BUDGET } = await edge('cookies.mjs');

// The rules as they were written before the fast paths: the reference.
const reference = {
  cleanText: (v) => String(v)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, ''),
  escapeAttribute: (t) => t.replace(/[&"'<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' })[c]),
  scriptJson: (v) => JSON.stringify(v).replace(/[^\u0020-\u007E]|[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
};

// Random text over the characters the rules care about, and plenty they do not.
const ALPHABET = [
  'a', 'Z', ' ', '0', '<', '>', '&', '"', "'", '\\', '/', '\t', '\n', '\r', '\u0000', '\u0007', '\u001f', '\u007f', '\u0085',
  '\u009f', 'é', 'ß', 'ج', 'م', '中', '\u200b', '\u200e', '\u2028', '\u2029', '\u202a', '\u202e', '\u2066', '\u2069', '\ufeff',
  '\ufffd', '\ud83d\ude00', '\ud83d', '\ude00', '\udbff', '\udc00',
];
function randomTexts(seed, count) {
  const random = mulberry32(seed);
  const out = ['', 'plain ASCII only', 'Zoë', 'مرحباً'];
  for (let i = 0; i < count; i++) {
    let s = '';
    const length = Math.floor(random() * 40);
    for (let k = 0; k < length; k++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
    out.push(s);
  }
  return out;
}

describe('escaping fast paths', () => {
  const texts = randomTexts(20261207, 3000);

  test('cleanText equals the two replacing passes on every text, and returns clean text as it is', () => {
    for (const t of texts) assert.equal(cleanText(t), reference.cleanText(t), JSON.stringify(t));
    for (const v of [42, -0.5, true, null]) assert.equal(cleanText(v), reference.cleanText(v));
    const clean = 'Hallo Zoë, die Ski-Saison beginnt 😀';
    assert.equal(cleanText(clean), clean);
  });

  test('escapeAttribute equals the replacing pass on every text', () => {
    for (const t of texts) {
      const cleaned = cleanText(t);
      assert.equal(escapeAttribute(cleaned), reference.escapeAttribute(cleaned), JSON.stringify(t));
    }
  });

  test('scriptJson equals the per-character escape and parses back to the same value', () => {
    for (let i = 0; i + 3 < texts.length; i += 3) {
      const value = { a: texts[i], list: [texts[i + 1], 7, null], nested: { [texts[i + 2] || 'k']: texts[i + 3] } };
      const json = scriptJson(value);
      assert.equal(json, reference.scriptJson(value));
      assert.match(json, /^[\u0020-\u007E]*$/);
      assert.doesNotMatch(json, /[<>&]/);
      assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(value)));
    }
    assert.equal(scriptSafe('{"a":"x"}'), '{"a":"x"}');
  });
});

describe('time-zone offsets, kept per zone and minute', () => {
  // Europe/Berlin leaves CET for CEST at 2026-03-29 01:00 UTC.
  const change = Date.UTC(2026, 2, 29, 1, 0, 0);

  test('the minute before and the minute of a daylight-saving change each get their own offset', () => {
    assert.equal(zoneOffset('Europe/Berlin', change - 1), 60);
    assert.equal(zoneOffset('Europe/Berlin', change - 1), 60);  // from the cache, same minute
    assert.equal(zoneOffset('Europe/Berlin', change), 120);
    assert.equal(zoneOffset('Europe/Berlin', change + 59_999), 120);
    assert.equal(zoneOffset('Asia/Kolkata', change), 330);
    assert.equal(zoneOffset('America/New_York', Date.UTC(2026, 0, 15)), -300);
  });

  test('junk and unknown zones give null, also when asked again', () => {
    for (let round = 0; round < 2; round++) {
      assert.equal(zoneOffset('Not/AZone', change), null);
      assert.equal(zoneOffset('x'.repeat(70_000), change), null);
      assert.equal(zoneOffset('../../etc', change), null);
      assert.equal(zoneOffset('Europe/Berlin', Number.NaN), null);
    }
  });
});

describe('placements and Vary, worked out once', () => {
  const settings = Object.freeze({ placements: null, cookie: 'attune', geoHeader: 'CF-IPCountry', tzHeader: '' });
  const config = ['hero', 'banner', 'promo'];
  const response = (headers) => new Response('', { headers });

  test('without Attune-Placements: the same frozen list each time; with it: that page\'s known ids', () => {
    const first = pagePlacements(response({}), settings, config);
    assert.deepEqual(first, config);
    assert.ok(Object.isFrozen(first));
    assert.equal(pagePlacements(response({}), settings, config), first);
    const listed = Object.freeze({ ...settings, placements: ['promo', 'nope', 'hero'] });
    assert.deepEqual(pagePlacements(response({}), listed, config), ['promo', 'hero']);
    assert.deepEqual(pagePlacements(response({ 'Attune-Placements': 'banner, x, hero' }), settings, config), ['banner', 'hero']);
    assert.deepEqual(pagePlacements(response({ 'Attune-Placements': '' }), settings, config), []);
    assert.deepEqual(pagePlacements(response({}), settings, config), config);
  });

  test('Vary merges the origin\'s entries each time, whatever came before', () => {
    const vary = (origin) => personalizedHeaders(new Headers(origin === null ? {} : { Vary: origin }), { settings, cookie: null, tokens: [] }).get('Vary');
    for (let round = 0; round < 2; round++) {
      assert.equal(vary(null), 'Accept-Language, Cookie, Sec-GPC, CF-IPCountry');
      assert.equal(vary('Origin, cookie'), 'Origin, cookie, Accept-Language, Sec-GPC, CF-IPCountry');
      assert.equal(vary('*'), '*');
      assert.equal(vary('User-Agent'), 'User-Agent, Accept-Language, Cookie, Sec-GPC, CF-IPCountry');
    }
  });
});

const CONFIG = {
  version: 1,
  defaultLocale: 'en',
  consent: { policy: 'optOut' },
  placements: [
    { id: 'hero', default: { en: { headline: 'Default hero' } } },
    { id: 'recs', maxItems: 2 },
    { id: 'empty' },
  ],
  campaigns: [
    {
      id: 'greet', placement: 'hero', priority: 10, holdout: 0.3,
      variants: [{ id: 'a', content: { en: { headline: 'Hi {{name|there}} <3 & "you"' }, ar: { headline: 'مرحبا {{name|بك}}' } } }],
    },
    { id: 'r1', placement: 'recs', priority: 5, variants: [{ id: 'a', content: { en: { title: 'First' } } }] },
    { id: 'r2', placement: 'recs', priority: 4, variants: [{ id: 'b', content: { en: { title: 'Second' } } }] },
    {
      id: 'capped', placement: 'recs', priority: 9, caps: [{ scope: 'campaign', max: 1, per: 'lifetime' }],
      variants: [{ id: 'c', content: { en: { title: 'Once' } } }],
    },
  ],
};

describe('one crossing per request, one Visitor per isolate', () => {
  let native;
  let loaded;

  before(async () => {
    assertBuilt();
    native = await loadNativeModule();
    const engine = new native.Engine(JSON.stringify(CONFIG));
    assert.equal(engine.ok(), true, engine.errorsJson());
    loaded = { native, engine, visitor: new native.Visitor(), placements: ['hero', 'recs', 'empty'] };
  });

  const placements = Object.freeze(['hero', 'recs', 'empty']);
  const input = (extra = {}) => ({ now: Date.UTC(2026, 10, 1), acceptLanguage: 'en', page: { url: 'https://x/', path: '/' }, ...extra });
  const decide = (cookieText, extra, gpc = false) => decideRequest(loaded, { cookieText, input: input(extra), placements, gpc });

  // The same request the way decide.mjs made it before: a fresh Visitor, one call per step.
  function legacy(cookieText, extra) {
    const visitor = new native.Visitor();
    try {
      if (cookieText) visitor.loadCookie(cookieText);
      if (!visitor.id()) visitor.setId('00000000-0000-4000-8000-000000000000');
      const page = JSON.parse(loaded.engine.decidePlacementsCountingForJson(visitor, JSON.stringify(placements), JSON.stringify(input(extra)), false));
      return { id: visitor.id(), page, cookie: loaded.engine.cookieForJson(visitor, STATE_COOKIE_BUDGET, false) };
    } finally {
      visitor.delete();
    }
  }
  // Tokens carry a per-decision nonce: compare everything else.
  const withoutTokens = (decisions) => JSON.parse(JSON.stringify(decisions, (k, v) => (k === 'token' ? typeof v : v)));

  test('the same decisions and state as a fresh Visitor per request, with and without a cookie', () => {
    const first = decide(undefined, { name: 'Ada' });
    assert.equal(first.error, undefined);
    assert.match(first.visitorId, /^[0-9a-f-]{36}$/);
    assert.ok(first.cookie && first.cookie.set, 'optOut: a state cookie');
    const old = legacy(first.cookie.set, { name: 'Ada' });
    const now = decide(first.cookie.set, { name: 'Ada' });
    assert.equal(now.visitorId, first.visitorId);
    assert.equal(old.id, first.visitorId);
    assert.deepEqual(withoutTokens(now.decisions), withoutTokens(old.page.decisions));
    assert.equal(now.load.status, 'ok');
    // The capped campaign showed on the first page, so neither shows it again.
    assert.equal(now.decisions.find((d) => d.placement === 'recs').campaign, 'r1');
  });

  test('nothing carries over from one request to the next', () => {
    const seasoned = decide(undefined, { name: 'Ada' });
    decide(seasoned.cookie.set, {});
    const fresh = decide(undefined, {});
    assert.notEqual(fresh.visitorId, seasoned.visitorId);
    assert.equal(fresh.load.status, 'empty');
    // A first visit sees the capped campaign: no history came along.
    assert.equal(fresh.decisions.find((d) => d.placement === 'recs').campaign, 'capped');
    const garbage = decide('%%%not-a-cookie', {});
    assert.equal(garbage.load.status, 'foreign');
    assert.notEqual(garbage.visitorId, seasoned.visitorId);
    assert.notEqual(garbage.visitorId, fresh.visitorId);
    const tooLong = decide('A'.repeat(9000), {});
    assert.equal(tooLong.load.status, 'foreign');
    assert.equal(tooLong.decisions.find((d) => d.placement === 'recs').campaign, 'capped');
  });

  test('ids are never handed out twice, the spare one included', () => {
    const returning = decide(undefined, {}).cookie.set;
    const ids = new Set();
    for (let i = 0; i < 50; i++) {
      const withCookie = decide(returning, {});
      const newcomer = decide(undefined, {});
      assert.ok(!ids.has(newcomer.visitorId));
      ids.add(newcomer.visitorId);
      assert.notEqual(newcomer.visitorId, withCookie.visitorId);
    }
  });

  test('lone surrogates and hostile names cross as well-formed text', () => {
    let shown = 0;
    for (let i = 0; i < 20; i++) {
      const out = decide(undefined, { name: 'Zo\ud800ë<b>' });
      const hero = out.decisions.find((d) => d.placement === 'hero');
      assert.equal(hero.campaign, 'greet');
      if (hero.holdout) continue;
      // The lone surrogate arrives as U+FFFD (which the core's name rules then drop), not
      // paired with the next character: the rest of the name and the text after it are intact.
      assert.match(hero.content.headline, /^Hi Zo\uFFFD?ë<b> <3 & "you"$/);
      shown++;
    }
    assert.ok(shown > 0, 'every visitor held out');
  });

  test('a name the core refuses is dropped and the page decided without it', () => {
    const out = decide(undefined, { traits: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) });
    assert.equal(out.error, undefined);
    assert.match(out.dropped, /^name\/traits refused: /);
  });

  test('the payload embedded from the engine\'s text equals the payload built from objects', () => {
    for (const [languages, name] of [['en', 'Ada'], ['ar', 'محمد'], ['fr', undefined], ['en', '</script><!--']]) {
      for (let i = 0; i < 10; i++) {
        const out = decide(undefined, { acceptLanguage: languages, ...(name ? { name } : {}) });
        assert.equal(typeof out.pageJson, 'string');
        const args = { visitorId: out.visitorId, at: 1764000000000, cookieName: 'attune', decisions: out.decisions };
        const built = payloadHtml(handoffPayload(args));
        const embedded = handoffMarkup({ ...args, pageJson: out.pageJson });
        assert.equal(embedded, built);
        // And the fallback without the text builds it from the objects.
        assert.equal(handoffMarkup({ ...args, pageJson: null }), built);
      }
    }
    const withItems = decide(undefined, {});
    assert.ok(withItems.decisions.some((d) => Array.isArray(d.items)), 'a maxItems placement lists its items');
    assert.ok(withItems.decisions.some((d) => d.campaign === null), 'a placement with nothing decided');
  });
});
