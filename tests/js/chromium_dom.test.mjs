// The DOM helper (web/dom.mjs) in real headless Chromium: declarative placements filled from
// the browser runtime — fields as text, attributes with the edge's rules, lang/dir, items,
// the page's own markup kept as the default — and the reports it makes for the page:
// impressions when rendered or when scrolled into view, clicks, dismissals. The page runs
// under a strict CSP (tests/js/hosts/dom_page.html), and traps record any script that runs.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BROWSER_TIMEOUT_MS, STRICT_CSP, launchChromium } from './hosts/chromium.mjs';
import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';

const VISITOR = {
  name: 'Ada',
  geo: { city: 'Wien' },
  page: { path: '/ski', utm: { source: 'news' } },
  traits: { cta: 'Go', link: 'https://shop.example/x', tier: 'gold' },
};

let files;
let browser;
let page;
const consoleProblems = [];

before(async () => {
  assertBuilt();
  files = await startStaticServer(REPO_ROOT, 'tests/js/hosts/dom_page.html', { headers: () => ({ 'content-security-policy': STRICT_CSP }) });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Images the page asks for (/pic.png) are not served: a 404 is not a problem here.
    if (m.type() === 'error' && !/status of 404/.test(m.text())) consoleProblems.push(`console: ${m.text()}`);
  });
  await page.goto(files.url);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'ready', null, { timeout: BROWSER_TIMEOUT_MS });
});

after(async () => {
  await browser?.close();
  await files?.close();
});

const call = (fn, arg) => page.evaluate(fn, arg);

test('fields, attributes, lang/dir and items come from the decisions; unsafe targets keep the page markup', async () => {
  await call(() => attuneDom.open({ impressions: 'none' }));
  const s = await call((v) => attuneDom.render(v), VISITOR);
  const { hero, banner, picture, recs, popup, below } = s.placements;
  assert.deepEqual([hero.campaign, hero.variant, hero.lang, hero.dir], ['hero-hello', 'a', 'en', 'ltr']);
  assert.deepEqual(hero.fields.slice(0, 3), ['Hello Ada', 'From Wien via news on /ski', 'Go']);
  assert.deepEqual(s.heroLink, { href: 'https://shop.example/x', title: 'Go' });
  // A field on a <script> element is never written, even a JSON data block.
  assert.equal(hero.fields[3], '{"note": "a field on a script element is never written"}');
  // Authored markup in a template is text, in the text and in an attribute.
  assert.equal(banner.text, 'Tier gold <img src=x onerror=attuneOwned()>');
  assert.equal(s.bannerTitle, 'Tier gold <img src=x onerror=attuneOwned()>');
  assert.equal(banner.elements, 0);
  assert.ok(!('onclick' in banner.attributes) && !('style' in banner.attributes), JSON.stringify(banner.attributes));
  assert.equal(picture.fields[0], 'A picture');
  assert.equal(s.pictureSrc, '/pic.png');
  assert.equal(s.svgHref, '/svg-default', 'SVG attributes are not written');
  assert.equal(picture.fields[1], 'svg', 'SVG text is not written');
  assert.deepEqual(recs.fields, ['Item 1', 'Item 2', 'Item 3']);
  assert.equal(recs.elements, 6, 'three items of one <li><a> each');
  assert.equal(popup.fields[0], 'Offer for Ada');
  assert.equal(below.text, 'Seen below');
  assert.deepEqual(s.problems, [
    'hero: field "headline" not written into <script>',
    'banner: event handler attribute onclick refused',
    'banner: attribute style refused',
    'picture: attributes of <a> outside HTML are not written',
    'picture: field "text" not written into <text>',
  ]);
  assert.deepEqual(s.handlers, []);
  assert.deepEqual(s.traps, { owned: 0, alerts: [], violations: [] });
});

test('an Arabic visitor gets the rtl content with lang and dir on the placement', async () => {
  await call(() => attuneDom.open({ impressions: 'none', locales: ['ar-EG'] }));
  const s = await call((v) => attuneDom.render(v), VISITOR);
  assert.deepEqual([s.placements.hero.lang, s.placements.hero.dir], ['ar', 'rtl']);
  assert.equal(s.placements.hero.fields[0], 'مرحبا Ada');
  assert.equal(s.heroLink.href, '/ar/shop');
  // Placements without Arabic copy fall back to English, and say so.
  assert.deepEqual([s.placements.banner.lang, s.placements.banner.dir], ['en', 'ltr']);
});

test("impressions: 'render' counts every shown decision and item once", async () => {
  await call(() => attuneDom.open({ impressions: 'render' }));
  await call((v) => attuneDom.render(v), VISITOR);
  // hero, banner, picture, popup, below + three recommendation items
  assert.deepEqual(await call(() => attuneDom.counts()), { impression: 8, click: 0, dismiss: 0 });
});

test("impressions: 'visible' counts what is on screen, and the rest when scrolled to", async () => {
  await call(() => attuneDom.open({ impressions: 'visible' }));
  await call((v) => attuneDom.render(v), VISITOR);
  assert.equal((await call(() => attuneDom.counts())).impression, 7, 'everything but the placement below the fold');
  await call(() => attuneDom.scrollTo('#below'));
  assert.equal((await call(() => attuneDom.counts())).impression, 8);
  await call(() => attuneDom.scrollTo('#hero'));
  assert.equal((await call(() => attuneDom.counts())).impression, 8, 'once per rendered decision');
});

test('a click reports once per decision; a dismissal hides the placement, and the cooldown brings back the default', async () => {
  await call(() => attuneDom.open({ impressions: 'render' }));
  await call((v) => attuneDom.render(v), VISITOR);
  await call(() => attuneDom.click('#popup-cta'));
  await call(() => attuneDom.click('#popup-cta'));
  assert.equal((await call(() => attuneDom.counts())).click, 1, 'a token reports each kind once');
  await call(() => attuneDom.click('#popup-dismiss'));
  let s = await call(() => attuneDom.refresh());
  assert.equal((await call(() => attuneDom.counts())).dismiss, 1);
  assert.equal(s.placements.popup.campaign, null, 'the dismissed campaign is in its cooldown');
  assert.deepEqual(s.placements.popup.fields, ['Default popup', 'Default popup cta'], 'the page markup is back');
  assert.equal(s.placements.popup.hidden, false);
  await call(() => attuneDom.advance(25 * 3_600_000));
  s = await call(() => attuneDom.refresh());
  assert.equal(s.placements.popup.campaign, 'popup-offer', 'shown again after the one-day cooldown');
});

test('refresh after a consent withdrawal drops the personalised campaign and renders again from the original markup', async () => {
  await call(() => attuneDom.open({ impressions: 'none' }));
  assert.deepEqual(await call(() => attuneDom.track('page_view', { categories: ['ski'] })), { ok: true });
  let s = await call((v) => attuneDom.render(v), VISITOR);
  assert.deepEqual([s.placements.below.campaign, s.placements.below.text], ['below-fan', 'For ski fans']);
  await call(() => attuneDom.withdraw());
  s = await call(() => attuneDom.refresh());
  assert.deepEqual(s.result, { ok: true });
  assert.deepEqual([s.placements.below.campaign, s.placements.below.text], ['below-seen', 'Seen below']);
  // Context-only campaigns stay: they rely on no purpose.
  assert.equal(s.placements.hero.fields[0], 'Hello Ada');
  assert.equal(s.placements.recs.elements, 6);
});

test('bad calls answer with an error instead of throwing', async () => {
  await call(() => attuneDom.open({ impressions: 'none' }));
  assert.deepEqual(await call(() => attuneDom.badCalls()), {
    noRuntime: { error: 'rt: must be a runtime from createAttune' },
    badImpressions: { error: "impressions: must be 'visible', 'render' or 'none'" },
    badRoot: { error: 'root: must be a document or an element' },
  });
});

test('no console errors, no page errors, no CSP violations', async () => {
  assert.deepEqual(consoleProblems, []);
  assert.deepEqual(await call(() => attuneDom.traps()), { owned: 0, alerts: [], violations: [] });
});
