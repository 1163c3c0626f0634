// The edge worker (web/edge/worker.mjs) in real workerd, in front of a real origin (node:http
// on 127.0.0.1). Checks each item of the edge issue: locale from Accept-Language, name
// templating, escaping of hostile names and traits (parsed back with Chromium's HTML parser:
// no injected element or attribute, text exactly as given), the state cookie's round trip,
// no cookie without consent, GPC, caps counted across requests, only the page's placements
// counted, pass-through of everything else byte-identical, streaming, garbage cookies and
// headers, and a bad config failing safe. Also starts the shipped web/edge/workerd.capnp
// the way scripts/edge.sh does.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertBuilt, loadNativeModule } from './hosts/node_host.mjs';
import { PAGE, sha256, startEdgeOrigin } from './hosts/edge_origin.mjs';
import { EDGE_DIR, edgeModuleFiles, startEdgeWorkerd, writeEdgeBundle } from './hosts/edge_workerd.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 20_000;
const COOKIE_BUDGET = 3800;

const CONFIG = {
  version: 1,
  defaultLocale: 'en',
  consent: { policy: 'optIn', policyVersion: 1 },
  placements: [
    { id: 'hero', channel: 'web', default: { en: { headline: 'Config default headline' } } },
    { id: 'banner', channel: 'inline' },
    { id: 'promo', channel: 'web', default: { en: { text: 'No offer' } } },
    { id: 'capped', channel: 'web' },
    { id: 'tz', channel: 'web' },
  ],
  campaigns: [
    {
      id: 'vip', placement: 'hero', priority: 30, audience: { 'traits.vip': true },
      variants: [{ id: 'a', content: { en: {
        headline: 'Welcome back, {{name|friend}}', cta: 'Your {{traits.tier|usual}} picks',
        url: '{{traits.link|/vip}}', img: '{{traits.img|/vip.png}}',
      } } }],
    },
    {
      id: 'greeting', placement: 'hero', priority: 10,
      variants: [{ id: 'a', content: {
        en: { headline: 'Hello {{name|there}}', cta: 'Shop now', url: '/shop' },
        de: { headline: 'Hallo {{name|du}}', cta: 'Zum Shop', url: '/de/shop' },
        fr: { headline: 'Bonjour {{name|à vous}}', cta: 'Boutique', url: '/fr/shop' },
        ar: { headline: 'مرحبا {{name|بك}}', cta: 'تسوق', url: '/ar/shop' },
      } }],
    },
    {
      id: 'newsletter', placement: 'banner', priority: 20, audience: { 'page.utm.source': 'newsletter' },
      variants: [{ id: 'a', content: { en: { text: 'From the newsletter' } } }],
    },
    {
      id: 'dach', placement: 'banner', priority: 10, audience: { 'geo.country': { $in: ['DE', 'AT', 'CH'] } },
      variants: [{ id: 'a', content: { en: { text: 'Deals for {{geo.country}}' } } }],
    },
    {
      id: 'partner', placement: 'promo', consent: ['marketing'],
      variants: [{ id: 'a', content: { en: { text: 'Partner offer' } } }],
    },
    {
      id: 'limited', placement: 'capped', caps: [{ max: 2, per: 'lifetime' }],
      variants: [{ id: 'a', content: { en: { text: 'Limited offer' } } }],
    },
    {
      id: 'india', placement: 'tz', audience: { 'time.utcOffsetMinutes': 330 },
      variants: [{ id: 'a', content: { en: { text: 'Namaste' } } }],
    },
  ],
};
const BAD_CONFIG = { version: 2, placements: [{ id: 'hero', typo: true }], campaigns: [] };
const TRAP_CONFIG = { version: 1, placements: [{ id: 'hero' }], campaigns: [] };
// Stands in for dist/attune.mjs: loads fine, then traps inside the first decision, as an
// aborted Wasm instance does.
const TRAPPING_MODULE = `export default function createAttuneModule() {
  class Engine {
    ok() { return true; }
    setTokenSecret() {}
    seedTokenEntropy() {}
    inputView(size) { return new Uint8Array(size); }
    edgeDecideFromInput() { throw new WebAssembly.RuntimeError('unreachable executed'); }
    cookieForJson() { return ''; }
    delete() {}
  }
  class Visitor {
    id() { return ''; }
    setId() {}
    loadCookie() { return '{"status":"ok"}'; }
    delete() {}
  }
  return Promise.resolve({ Engine, Visitor });
}
`;

let dir;
let origin;
let workerd;
let shipped;
let browser;
let parserPage;
let native;
let engine;

before(async () => {
  assertBuilt();
  native = await loadNativeModule();
  engine = new native.Engine(JSON.stringify(CONFIG));
  assert.equal(engine.ok(), true, engine.errorsJson());

  origin = await startEdgeOrigin();
  dir = mkdtempSync(join(tmpdir(), 'attune-edge-'));
  const env = { ATTUNE_ORIGIN: origin.url, ATTUNE_TZ_HEADER: 'X-Timezone' };
  const bundle = writeEdgeBundle(dir, {
    main: { config: CONFIG, env },
    bad: { config: BAD_CONFIG, env },
    broken: { config: CONFIG, env: { ...env, ATTUNE_CONFIG: '{"version": 1, "placements": [' } },
    trap: { config: TRAP_CONFIG, env, replace: { 'dist/attune.mjs': TRAPPING_MODULE } },
    // No ATTUNE_ORIGIN: the worker fetches the URL it was called on, i.e. itself, locally.
    routed: { config: CONFIG, env: { ATTUNE_TZ_HEADER: 'X-Timezone' } },
  });
  workerd = await startEdgeWorkerd(bundle.path, bundle.sockets, { timeoutMs: TIMEOUT_MS });

  browser = await launchChromium();
  parserPage = await browser.newPage();
});

after(async () => {
  if (process.env.EDGE_TEST_LOG) console.log(workerd?.output());
  await browser?.close();
  await workerd?.stop();
  await shipped?.stop();
  await origin?.close();
  try {
    engine?.delete();
  } catch {
    // The module is gone with the process anyway.
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers ----

const url = (path, socket = 'main') => `${workerd.urls[socket]}${path}`;

async function get(path, { headers = {}, socket = 'main', method = 'GET', body, redirect = 'follow' } = {}) {
  const res = await fetch(url(path, socket), { method, headers, body, redirect, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { res, bytes, text: bytes.toString('utf8') };
}

// A page through the worker: status, headers, the hand-off payload and the parsed DOM.
async function page(path, headers = {}) {
  const { res, text } = await get(path, { headers });
  assert.equal(res.status, 200, `${path}: ${text.slice(0, 300)}\n${workerd.output().slice(-2000)}`);
  const dom = await parse(text);
  const payloadElement = dom.byId['attune-edge'];
  assert.ok(payloadElement, `${path}: no hand-off payload in\n${text.slice(0, 2000)}`);
  const payload = JSON.parse(payloadElement.text);
  const decision = Object.fromEntries(payload.decisions.map((d) => [d.placement, d]));
  return { res, text, dom, payload, decision, stateCookie: stateCookieOf(res) };
}

// Chromium's HTML parser (DOMParser: nothing runs): every element with its attributes and text.
async function parse(html) {
  const elements = await parserPage.evaluate((source) => {
    const doc = new DOMParser().parseFromString(source, 'text/html');
    return [...doc.querySelectorAll('*')].map((el) => ({
      tag: el.localName,
      id: el.id,
      attrs: Object.fromEntries([...el.attributes].map((a) => [a.name, a.value])),
      text: el.id ? el.textContent : undefined,
    }));
  }, html);
  const byId = {};
  for (const el of elements) if (el.id) byId[el.id] = el;
  return { elements, byId };
}

let originDom;
async function originElements() {
  originDom ??= await parse(PAGE);
  return originDom;
}

// Nothing but the payload script was added, no element lost, and no attribute appeared
// beyond those the markup contract allows.
async function assertNoInjection(dom) {
  const base = await originElements();
  const tags = (els) => els.map((e) => `${e.tag}#${e.id}`);
  const withoutPayload = dom.elements.filter((e) => e.id !== 'attune-edge');
  assert.deepEqual(tags(withoutPayload), tags(base.elements), 'element structure changed');
  assert.equal(dom.elements.filter((e) => e.id === 'attune-edge').length, 1);
  const added = new Set(['data-attune-campaign', 'data-attune-variant', 'data-attune-holdout', 'lang', 'dir', 'srcset', 'data-label']);
  withoutPayload.forEach((el, i) => {
    for (const name of Object.keys(el.attrs)) {
      if (name in base.elements[i].attrs) continue;
      assert.ok(added.has(name), `attribute ${name} appeared on <${el.tag} id=${el.id}>`);
    }
    for (const name of Object.keys(el.attrs)) {
      assert.ok(!/^on/i.test(name) || name in base.elements[i].attrs, `event handler ${name} on <${el.tag}>`);
    }
  });
  assert.equal(base.byId['hero-script'].text, dom.byId['hero-script'].text, 'a <script> body was rewritten');
}

function stateCookieOf(res) {
  const mine = res.headers.getSetCookie().filter((c) => c.startsWith('attune='));
  assert.ok(mine.length <= 1, `several state cookies: ${mine}`);
  return mine[0] || null;
}

const cookieValue = (setCookie) => setCookie.slice('attune='.length, setCookie.indexOf(';'));
const cookieHeader = (setCookie) => `attune=${cookieValue(setCookie)}`;

// A state cookie as the browser module writes it after the visitor's banner choice.
function consentCookie(flags) {
  const visitor = new native.Visitor();
  try {
    const result = JSON.parse(engine.setConsentJson(visitor, JSON.stringify(flags), 'banner', Date.now()));
    assert.equal(result.error, undefined, JSON.stringify(result));
    return `attune=${visitor.cookieText(COOKIE_BUDGET)}`;
  } finally {
    visitor.delete();
  }
}
const GRANT_ALL = { storage: true, personalization: true, measurement: true, marketing: true };

// Decodes a state cookie in Node: its visitor id and why `capped` would be skipped now.
function readStateCookie(setCookie) {
  const visitor = new native.Visitor();
  try {
    const report = JSON.parse(visitor.loadCookie(cookieValue(setCookie)));
    const decision = JSON.parse(engine.decideForJson(visitor, 'capped', JSON.stringify({ now: Date.now() }), true));
    return { report, id: visitor.id(), decision };
  } finally {
    visitor.delete();
  }
}

const traitsCookie = (traits) => `attune_traits=${encodeURIComponent(typeof traits === 'string' ? traits : JSON.stringify(traits))}`;
const nameCookie = (name) => `attune_name=${encodeURIComponent(name)}`;

// ---- personalisation ----

describe('personalised pages', () => {
  test('locale from Accept-Language: text, lang and dir on the placement', async () => {
    const cases = [
      ['de-AT,de;q=0.9,en;q=0.5', 'de', 'ltr', 'Hallo du', '/de/shop'],
      ['fr-CH, fr;q=0.9', 'fr', 'ltr', 'Bonjour à vous', '/fr/shop'],
      ['ar-EG', 'ar', 'rtl', 'مرحبا بك', '/ar/shop'],
      ['xx-junk, *;q=0.1', 'en', 'ltr', 'Hello there', '/shop'],
      [undefined, 'en', 'ltr', 'Hello there', '/shop'],
    ];
    for (const [acceptLanguage, locale, dir, headline, href] of cases) {
      const { dom, decision } = await page('/page', acceptLanguage ? { 'Accept-Language': acceptLanguage } : {});
      assert.equal(decision.hero.campaign, 'greeting');
      assert.equal(decision.hero.locale, locale, acceptLanguage);
      assert.equal(dom.byId.hero.attrs.lang, locale);
      assert.equal(dom.byId.hero.attrs.dir, dir);
      assert.equal(dom.byId.hero.attrs['data-attune-campaign'], 'greeting');
      assert.equal(dom.byId.hero.attrs['data-attune-variant'], 'a');
      assert.equal(dom.byId['hero-headline'].text, headline);
      assert.equal(dom.byId['hero-link'].attrs.href, href);
      await assertNoInjection(dom);
    }
  });

  test('name templating from the name cookie', async () => {
    const { dom, decision } = await page('/page', { Cookie: nameCookie('Zoë'), 'Accept-Language': 'de' });
    assert.equal(dom.byId['hero-headline'].text, 'Hallo Zoë');
    assert.equal(decision.hero.content.headline, 'Hallo Zoë');
    // An audience on traits needs `personalization` (the core counts traits as profile data).
    const vip = await page('/page', { Cookie: `${consentCookie(GRANT_ALL)}; ${nameCookie('Ada')}; ${traitsCookie({ vip: true, tier: 'gold' })}` });
    assert.equal(vip.decision.hero.campaign, 'vip');
    assert.equal(vip.dom.byId['hero-headline'].text, 'Welcome back, Ada');
    assert.equal(vip.dom.byId['hero-link'].attrs.title, 'Your gold picks');
    assert.equal(vip.dom.byId['hero-link'].attrs.href, '/vip');
    assert.equal(vip.dom.byId['hero-img'].attrs.src, '/vip.png');
    assert.equal(vip.dom.byId['hero-img'].attrs.srcset, '/vip.png');
    assert.equal(vip.dom.byId['hero-img'].attrs.alt, 'Welcome back, Ada');
    assert.equal(vip.dom.byId['hero-textarea'].text, 'Your gold picks');
    // Refused attributes stay as the origin had them: none, here.
    assert.equal(vip.dom.byId['hero-img'].attrs.onerror, undefined);
    assert.equal(vip.dom.byId['hero-img'].attrs.onclick, undefined);
    assert.equal(vip.dom.byId['hero-img'].attrs.style, undefined);
    // A field outside any placement, and a <script> body, are never written.
    assert.equal(vip.dom.byId.outside.text, 'Outside every placement');
    assert.equal(vip.dom.byId['hero-script'].text, 'var fromOrigin = 1;');
    await assertNoInjection(vip.dom);
  });

  test('geo from CF-IPCountry, utm from the URL, time zone from the configured header', async () => {
    assert.equal((await page('/page', { 'CF-IPCountry': 'at' })).dom.byId.banner.text, 'Deals for AT');
    assert.equal((await page('/page', { 'CF-IPCountry': 'US' })).dom.byId.banner.text, 'Default banner');
    assert.equal((await page('/page', { 'CF-IPCountry': 'XX' })).decision.banner.campaign, null);
    const utm = await page('/page?utm_source=newsletter&utm_medium=email', { 'CF-IPCountry': 'DE' });
    assert.equal(utm.dom.byId.banner.text, 'From the newsletter');
    for (const tz of ['Asia/Kolkata', '330', '+330']) {
      assert.equal((await page('/page', { 'X-Timezone': tz })).dom.byId['tz-text'].text, 'Namaste', tz);
    }
    for (const tz of ['Europe/Berlin', 'Mars/Olympus', '99999', '+-5', '', 'Asia/Kolkata\u00ff']) {
      assert.equal((await page('/page', { 'X-Timezone': tz })).dom.byId['tz-text'].text, 'Default tz', tz);
    }
  });

  test('Vary, Cache-Control and the token header on a personalised page', async () => {
    const { res, payload } = await page('/page', { 'Accept-Language': 'de' });
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    const vary = res.headers.get('vary').split(',').map((s) => s.trim().toLowerCase());
    for (const name of ['accept-encoding', 'accept-language', 'cookie', 'sec-gpc', 'cf-ipcountry', 'x-timezone']) {
      assert.ok(vary.includes(name), `Vary lacks ${name}: ${vary}`);
    }
    assert.equal(res.headers.get('etag'), null, 'the origin ETag names other bytes');
    assert.equal(res.headers.get('content-length'), null);
    // The origin's own cookie is kept.
    assert.deepEqual(res.headers.getSetCookie(), ['session=origin-session; Path=/; HttpOnly']);
    const tokens = payload.decisions.map((d) => d.token).filter(Boolean);
    assert.ok(tokens.length >= 2);
    for (const t of tokens) assert.match(t, /^t2\.\d+\.(\d+|h)\.[0-9a-f]+\.[0-9a-f]{16}$/);
    assert.deepEqual(res.headers.get('attune-tokens').split(', '), tokens);
  });

  test('the hand-off payload: exact format, script-safe, in <head>', async () => {
    const hostile = '</script><script>alert(1)</script><!-- &amp;';
    const tier = 'a\u2028b\u2029</SCRIPT >';  // U+2028/9 end a JS string literal in older engines
    const { text, payload, decision, dom } = await page('/page', {
      Cookie: `${consentCookie(GRANT_ALL)}; ${nameCookie(hostile)}; ${traitsCookie({ vip: true, tier })}`,
    });
    assert.deepEqual(Object.keys(payload), ['v', 'visitor', 'at', 'cookie', 'decisions']);
    assert.equal(payload.v, 1);
    assert.equal(payload.cookie, 'attune');
    assert.ok(Math.abs(payload.at - Date.now()) < 60_000);
    assert.match(payload.visitor, /^[0-9a-f-]{36}$/);
    assert.deepEqual(payload.decisions.map((d) => d.placement), ['hero', 'banner', 'promo', 'capped', 'tz']);
    for (const d of payload.decisions) {
      assert.deepEqual(Object.keys(d), ['placement', 'campaign', 'variant', 'content', 'locale', 'dir', 'token', 'holdout']);
    }
    assert.equal(decision.hero.content.headline, `Welcome back, ${hostile}`);
    assert.equal(decision.hero.content.cta, `Your ${tier} picks`);
    // The raw script body: one JSON text, nothing that could end the element or the page's charset.
    const start = text.indexOf('<script type="application/json" id="attune-edge">');
    const end = text.indexOf('</script>', start);
    const raw = text.slice(start + '<script type="application/json" id="attune-edge">'.length, end);
    assert.doesNotMatch(raw, /[<>&\u2028\u2029]|[^\x20-\x7e]/);
    assert.ok(start > text.indexOf('<title>') && end < text.indexOf('</head>'), 'payload not at the end of <head>');
    assert.equal(dom.elements.filter((e) => e.tag === 'script').length, 2);
    await assertNoInjection(dom);
  });

  test('without <head>, the payload opens <body>', async () => {
    const { text, dom } = await get('/no-head').then(async (r) => ({ ...r, dom: await parse(r.text) }));
    assert.ok(text.indexOf('id="attune-edge"') > text.indexOf('<body>'));
    assert.ok(dom.byId['attune-edge']);
    assert.equal(dom.byId.banner.text, 'Default banner');
  });
});

// ---- escaping ----

describe('hostile names and traits', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const BREAKER = '"><img src=x onerror=alert(1)>';
  const cases = [
    {
      name: SCRIPT,
      traits: { vip: true, tier: BREAKER, link: 'javascript:alert(1)', img: ' JaVaScRiPt:alert(1)' },
      headline: `Welcome back, ${SCRIPT}`, cta: `Your ${BREAKER} picks`, href: '/default', src: '/default.png', srcset: undefined,
    },
    {
      name: BREAKER,
      traits: { vip: true, tier: "' onmouseover='alert(1)", link: 'java\tscript:alert(1)', img: 'data:image/svg+xml,<svg onload=alert(1)>' },
      headline: `Welcome back, ${BREAKER}`, cta: "Your ' onmouseover='alert(1) picks", href: '/default', src: '/default.png', srcset: undefined,
    },
    {
      name: 'Ada &amp; &lt;b&gt;',
      traits: { vip: true, tier: '&quot;', link: '\u0000javascript:alert(1)', img: 'vbscript:msgbox(1)' },
      headline: 'Welcome back, Ada &amp; &lt;b&gt;', cta: 'Your &quot; picks', href: '/default', src: '/default.png', srcset: undefined,
    },
    {
      name: 'Ada',
      traits: { vip: true, tier: 'gold', link: 'https://shop.example/a?b=1&c=<x>"', img: '//cdn.example/i.png 1x, /i2.png 2x' },
      headline: 'Welcome back, Ada', cta: 'Your gold picks', href: 'https://shop.example/a?b=1&c=<x>"',
      src: '/default.png' /* a space in a URL: refused */, srcset: '//cdn.example/i.png 1x, /i2.png 2x',
    },
    {
      name: 'A\u202Eda\u0000\u2066',
      traits: { vip: true, tier: 'go\u202Eld\u0000\u0007\u2069', link: 'https://ok.example/\u202Eevil', img: 'mailto:a@example.com' },
      headline: 'Welcome back, Ada', cta: 'Your gold picks', href: '/default', src: 'mailto:a@example.com', srcset: 'mailto:a@example.com',
    },
    {
      name: 'A'.repeat(10 * 1024),
      traits: { vip: true, tier: 'x'.repeat(3000), link: 'HTTPS://OK.EXAMPLE/', img: 'tel:+49301234' },
      headline: 'Welcome back, friend', cta: `Your ${'x'.repeat(3000)} picks`, href: 'HTTPS://OK.EXAMPLE/', src: 'tel:+49301234', srcset: 'tel:+49301234',
    },
  ];

  for (const [i, c] of cases.entries()) {
    test(`case ${i + 1}: escaped in text and attributes, URLs refused or kept exactly`, async () => {
      const { dom, decision } = await page('/page', { Cookie: `${consentCookie(GRANT_ALL)}; ${nameCookie(c.name)}; ${traitsCookie(c.traits)}` });
      assert.equal(decision.hero.campaign, 'vip');
      assert.equal(dom.byId['hero-headline'].text, c.headline);
      assert.equal(dom.byId['hero-link'].attrs.title, c.cta);
      assert.equal(dom.byId['hero-link'].attrs['data-label'], c.headline);
      assert.equal(dom.byId['hero-textarea'].text, c.cta);
      assert.equal(dom.byId['hero-img'].attrs.alt, c.headline);
      assert.equal(dom.byId['hero-link'].attrs.href, c.href);
      assert.equal(dom.byId['hero-img'].attrs.src, c.src);
      assert.equal(dom.byId['hero-img'].attrs.srcset, c.srcset);
      await assertNoInjection(dom);
      for (const el of dom.elements) {
        for (const [name, value] of Object.entries(el.attrs)) {
          assert.doesNotMatch(value, /[\u0000\u202A-\u202E\u2066-\u2069]/, `${name} on <${el.tag}>`);
          if (['href', 'src', 'srcset'].includes(name)) assert.doesNotMatch(value, /^\s*(javascript|data|vbscript):/i);
        }
      }
      assert.doesNotMatch(dom.byId.hero.text, /[\u0000\u202A-\u202E\u2066-\u2069]/);
    });
  }

  test('a lone surrogate in a trait becomes U+FFFD; invalid percent-encoding is no name', async () => {
    const { dom } = await page('/page', {
      Cookie: `${consentCookie(GRANT_ALL)}; attune_name=%ED%A0%80; attune_traits=${encodeURIComponent('{"vip": true, "tier": "a\\ud800b"}')}`,
    });
    assert.equal(dom.byId['hero-headline'].text, 'Welcome back, friend');
    assert.equal(dom.byId['hero-link'].attrs.title, 'Your a\uFFFDb picks');
  });
});

// ---- state, consent, caps ----

describe('state cookie and consent', () => {
  test('no state cookie without consent (optIn, no record), nor with a refusal on record', async () => {
    const fresh = await page('/page');
    assert.equal(fresh.stateCookie, null);
    const refused = await page('/page', { Cookie: consentCookie({ storage: false, personalization: false, marketing: false, measurement: false }) });
    assert.equal(refused.stateCookie, null);
    // Still personalised from context, with a per-request id that is never stored.
    assert.equal(refused.decision.hero.campaign, 'greeting');
    assert.notEqual(fresh.payload.visitor, refused.payload.visitor);
  });

  test('a state cookie that storage no longer allows is removed', async () => {
    const visitor = new native.Visitor();
    visitor.setId('stale-visitor');
    const stale = visitor.cookieText(COOKIE_BUDGET);
    visitor.delete();
    const { stateCookie } = await page('/page', { Cookie: `attune=${stale}` });
    assert.equal(stateCookie, 'attune=; Path=/; Secure; SameSite=Lax; Max-Age=0');
  });

  test('round trip: the cookie set with storage consent keeps the visitor and its counted impressions', async () => {
    const first = await page('/page', { Cookie: consentCookie(GRANT_ALL) });
    assert.ok(first.stateCookie, 'no Set-Cookie with storage consent');
    assert.match(first.stateCookie, /^attune=[A-Za-z0-9_-]+; Path=\/; Secure; SameSite=Lax; Max-Age=31536000$/);
    assert.ok(first.stateCookie.length < 4096);
    const stored = readStateCookie(first.stateCookie);
    assert.equal(stored.report.status, 'ok');
    assert.equal(stored.id, first.payload.visitor);
    assert.equal(stored.decision.campaign, 'limited');  // 1 of 2 shown so far

    const second = await page('/page', { Cookie: cookieHeader(first.stateCookie) });
    assert.equal(second.payload.visitor, first.payload.visitor);
    assert.equal(second.decision.capped.campaign, 'limited');
    const after2 = readStateCookie(second.stateCookie);
    assert.equal(after2.id, first.payload.visitor);
    assert.equal(after2.decision.campaign, null);
    assert.ok(
      after2.decision.reasons.some((r) => r.campaign === 'limited' && /^cap:campaign lifetime 2\/2$/.test(r.reason)),
      JSON.stringify(after2.decision.reasons),
    );
  });

  test('caps count across requests: a lifetime cap of 2 shows on requests 1 and 2, not 3', async () => {
    let cookie = consentCookie(GRANT_ALL);
    const shown = [];
    let visitor;
    for (let i = 0; i < 4; i += 1) {
      const r = await page('/page', { Cookie: cookie });
      shown.push(r.dom.byId['capped-text'].text);
      visitor ??= r.payload.visitor;
      assert.equal(r.payload.visitor, visitor);
      cookie = cookieHeader(r.stateCookie);
    }
    assert.deepEqual(shown, ['Limited offer', 'Limited offer', 'Default capped', 'Default capped']);
  });

  test('only the placements a page carries are decided and counted (Attune-Placements)', async () => {
    let cookie = consentCookie(GRANT_ALL);
    for (let i = 0; i < 3; i += 1) {
      const r = await page('/only-hero', { Cookie: cookie });
      assert.deepEqual(r.payload.decisions.map((d) => d.placement), ['hero']);
      assert.equal(r.res.headers.get('attune-placements'), null, 'the internal header leaked');
      assert.equal(r.dom.byId['capped-text'].text, 'Default capped');  // not decided: origin markup
      cookie = cookieHeader(r.stateCookie);
    }
    const full = await page('/page', { Cookie: cookie });
    assert.equal(full.dom.byId['capped-text'].text, 'Limited offer', 'the capped campaign was counted on pages without it');
    const none = await get('/no-placements');
    assert.equal(none.res.headers.get('attune-tokens'), null);
    assert.equal(sha256(none.bytes), sha256(Buffer.from(PAGE)));
  });

  test('GPC: Sec-GPC: 1 skips a campaign that needs marketing, storage still applies', async () => {
    const cookie = consentCookie(GRANT_ALL);
    const withoutGpc = await page('/page', { Cookie: cookie });
    assert.equal(withoutGpc.dom.byId['promo-text'].text, 'Partner offer');
    const withGpc = await page('/page', { Cookie: cookie, 'Sec-GPC': '1' });
    assert.equal(withGpc.decision.promo.campaign, null);
    assert.equal(withGpc.dom.byId['promo-text'].text, 'No offer');  // the placement's config default
    assert.ok(withGpc.stateCookie, 'GPC denies marketing, not storage');
    const notGpc = await page('/page', { Cookie: cookie, 'Sec-GPC': 'yes' });
    assert.equal(notGpc.dom.byId['promo-text'].text, 'Partner offer');
  });
});

// ---- pass-through ----

describe('pass-through', () => {
  test('non-HTML, errors, other encodings and charsets come through byte-identical', async () => {
    const cases = [
      ['/api.json', 200, origin.bodies.JSON_BODY],
      ['/image.png', 200, origin.bodies.PNG],
      ['/missing', 404, origin.bodies.NOT_FOUND],
      ['/error', 500, origin.bodies.NOT_FOUND],
      ['/deflate', 200, origin.bodies.PAGE],  // fetch decodes deflate on both paths
      ['/latin1', 200, origin.bodies.LATIN1_PAGE],
    ];
    for (const [path, status, expected] of cases) {
      const { res, bytes } = await get(path, { headers: { Cookie: consentCookie(GRANT_ALL) } });
      assert.equal(res.status, status, path);
      assert.equal(sha256(bytes), sha256(expected), `${path}: body changed`);
      assert.equal(res.headers.get('attune-tokens'), null, path);
      assert.equal(stateCookieOf(res), null, path);
      assert.notEqual(res.headers.get('cache-control'), 'private, no-store', path);
    }
  });

  test('gzip HTML is decoded, personalised and encoded again', async () => {
    const { res, text } = await get('/gzip', { headers: { 'Accept-Language': 'de' } });
    assert.equal(res.status, 200);
    const dom = await parse(text);
    assert.equal(dom.byId['hero-headline'].text, 'Hallo du');
    assert.ok(dom.byId['attune-edge']);
  });

  test('HEAD, POST, 304 and redirects pass through', async () => {
    const head = await get('/page', { method: 'HEAD', headers: { Cookie: consentCookie(GRANT_ALL) } });
    assert.equal(head.res.status, 200);
    assert.equal(head.bytes.length, 0);
    assert.equal(head.res.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(head.res.headers.get('etag'), '"page-v1"');
    assert.equal(stateCookieOf(head.res), null);

    const body = Buffer.from('<p data-attune-placement="hero" data-attune-field="headline">posted</p>');
    const post = await get('/echo', { method: 'POST', body, headers: { 'Content-Type': 'text/html' } });
    assert.equal(sha256(post.bytes), sha256(body));

    const notModified = await get('/page', { headers: { 'If-None-Match': '"page-v1"' } });
    assert.equal(notModified.res.status, 304);
    assert.equal(notModified.res.headers.get('attune-tokens'), null);

    const redirect = await get('/redirect', { redirect: 'manual' });
    assert.equal(redirect.res.status, 302);
    assert.equal(redirect.res.headers.get('location'), '/page?from=redirect');
  });

  test('without ATTUNE_ORIGIN on a local workerd, the loop back to the worker stops at once', async () => {
    const before = origin.requests.length;
    const { res, text } = await get('/page', { socket: 'routed' });
    assert.equal(res.status, 508);
    assert.match(text, /set ATTUNE_ORIGIN/);
    assert.equal(origin.requests.length, before);
  });

  test('the page streams: the hero arrives before the origin has sent the rest', async () => {
    const res = await fetch(url('/slow'), { headers: { 'Accept-Language': 'de' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (!seen.includes('Hallo du</h1>')) {
      const { value, done } = await reader.read();
      assert.equal(done, false, `the stream ended before the hero: ${seen}`);
      seen += decoder.decode(value, { stream: true });
    }
    assert.equal(origin.slowTailSent(), false, 'the worker waited for the whole origin body');
    origin.releaseSlow();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    assert.ok(seen.endsWith('</html>\n'));
    assert.ok(seen.includes('id="attune-edge"'));
  });
});

// ---- garbage in ----

describe('garbage cookies and headers give a correct page', () => {
  const randomLatin1 = (n, seed) => {
    let x = seed;
    let s = '';
    while (s.length < n) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const c = 0x21 + ((x >>> 16) % 0xde);  // 0x21..0xfe: no CR, LF, NUL, space edges
      s += String.fromCharCode(c === 0x7f ? 0x41 : c);
    }
    return s;
  };
  const cases = {
    'random bytes': { Cookie: randomLatin1(2000, 1) },
    'random state cookie': { Cookie: `attune=${randomLatin1(3000, 2).replace(/;/g, 'x')}` },
    '8 KB state cookie': { Cookie: `attune=${'A'.repeat(8 * 1024)}` },
    'percent junk': { Cookie: 'attune=%%%; attune_name=%%%; attune_traits=%%%' },
    'a foreign blob': { Cookie: `attune=${Buffer.from('ATS\u0001garbage-that-is-not-a-state').toString('base64url')}` },
    '50 cookies': { Cookie: Array.from({ length: 50 }, (_, i) => `c${i}=${'v'.repeat(i * 10)}`).join('; ') },
    'duplicate and empty cookies': { Cookie: 'attune=; attune=x; =; ;;; attune_name=; attune_traits=' },
    'traits not an object': { Cookie: traitsCookie('[1,2,3]') },
    'traits truncated JSON': { Cookie: traitsCookie('{"vip": tr') },
    'traits nested 40 deep': { Cookie: traitsCookie(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) },
    'traits of the wrong types': { Cookie: traitsCookie({ vip: 'yes', tier: { nested: [1, { x: null }] } }) },
    '10 KB Accept-Language junk': { 'Accept-Language': randomLatin1(10 * 1024, 3).replace(/[,;]/g, '-') },
    'Accept-Language of many q-values': { 'Accept-Language': Array.from({ length: 500 }, (_, i) => `x${i};q=0.${i % 10}`).join(',') },
    'invalid time zones': { 'X-Timezone': 'Europe/../../etc/passwd' },
    'country junk': { 'CF-IPCountry': '<script>' },
    'GPC junk': { 'Sec-GPC': randomLatin1(100, 4) },
    '10 KB referrer': { Referer: `https://x.example/${'a'.repeat(10 * 1024)}` },
  };
  for (const [name, headers] of Object.entries(cases)) {
    test(name, async () => {
      const { res, dom, decision } = await page('/page', headers);
      assert.equal(res.headers.get('cache-control'), 'private, no-store');
      assert.ok(['greeting', 'vip'].includes(decision.hero.campaign), name);
      assert.notEqual(dom.byId['hero-headline'].text, 'Default headline');
      await assertNoInjection(dom);
    });
  }

  test('garbage query strings and paths', async () => {
    for (const path of ['/page?utm_source=%FF%FE&utm_%00=1&utm___proto__=x', `/page?${'utm_x='.repeat(500)}`, '/page?utm_source=<script>']) {
      const { decision } = await page(path);
      assert.equal(decision.hero.campaign, 'greeting', path);
    }
  });
});

// ---- failing safe ----

describe('a bad config fails safe', () => {
  for (const socket of ['bad', 'broken']) {
    test(`${socket}: origin HTML unchanged, 200, logged once`, async () => {
      for (let i = 0; i < 3; i += 1) {
        const { res, bytes } = await get('/page', { socket, headers: { Cookie: consentCookie(GRANT_ALL), 'Accept-Language': 'de' } });
        assert.equal(res.status, 200);
        assert.equal(sha256(bytes), sha256(Buffer.from(PAGE)));
        assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
        assert.equal(res.headers.get('attune-tokens'), null);
        assert.equal(stateCookieOf(res), null);
      }
    });
  }

  test('a Wasm trap while deciding: origin HTML unchanged, 200, and a fresh engine next time', async () => {
    for (let i = 0; i < 2; i += 1) {
      const { res, bytes } = await get('/page', { socket: 'trap', headers: { Cookie: consentCookie(GRANT_ALL) } });
      assert.equal(res.status, 200);
      assert.equal(sha256(bytes), sha256(Buffer.from(PAGE)));
      assert.equal(res.headers.get('attune-tokens'), null);
      assert.equal(stateCookieOf(res), null);
    }
    const log = workerd.output();
    assert.equal((log.match(/personalising \/page failed, passing it through: unreachable executed/g) || []).length, 2, log.slice(-3000));
    // Loaded for the first request, and afresh after its trap for the second.
    assert.equal((log.match(/compiled once for this isolate: 1 placements/g) || []).length, 2, log.slice(-3000));
  });

  test('each bad config is reported once, with its reason; the good one compiled once', () => {
    const log = workerd.output();
    const count = (re) => (log.match(re) || []).length;
    assert.equal(count(/config\.json rejected \(version: unsupported schema version 2/g), 1, log.slice(-3000));
    assert.equal(count(/ATTUNE_CONFIG is not JSON/g), 1, log.slice(-3000));
    assert.equal(count(/config\.json compiled once for this isolate: 5 placements/g), 1, log.slice(-3000));
  });
});

// ---- the shipped files ----

describe('the shipped workerd config', () => {
  test('web/edge/workerd.capnp lists every module of web/edge', () => {
    const capnp = readFileSync(join(EDGE_DIR, 'workerd.capnp'), 'utf8');
    for (const file of edgeModuleFiles()) {
      assert.ok(capnp.includes(`(name = "edge/${file}", esModule = embed "${file}")`), `${file} missing from workerd.capnp`);
    }
    assert.ok(capnp.indexOf('"edge/worker.mjs"') < capnp.indexOf('"edge/settings.mjs"'), 'worker.mjs must come first');
    const wrangler = readFileSync(join(EDGE_DIR, 'wrangler.toml'), 'utf8');
    assert.match(wrangler, /^main = "worker\.mjs"$/m);
    const date = /^compatibility_date = "(\d{4}-\d{2}-\d{2})"$/m.exec(wrangler);
    assert.ok(date && date[1] <= '2026-11-24', 'compatibility_date missing or too new');
  });

  test('serves the demo page with the bundled config, as scripts/edge.sh runs it', async () => {
    shipped = await startEdgeWorkerd(join(EDGE_DIR, 'workerd.capnp'), ['http'], {
      env: { ATTUNE_ORIGIN: origin.url },
      timeoutMs: TIMEOUT_MS,
    });
    const res = await fetch(`${shipped.urls.http}/page`, {
      headers: { 'Accept-Language': 'de-AT', 'CF-IPCountry': 'AT', Cookie: nameCookie('Ada') },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const dom = await parse(await res.text());
    assert.equal(res.status, 200);
    assert.equal(dom.byId.hero.attrs['data-attune-campaign'], 'winter-dach');
    assert.match(dom.byId['hero-headline'].text, /^Hallo Ada, /);
    assert.equal(dom.byId.hero.attrs.lang, 'de');
  });
});

