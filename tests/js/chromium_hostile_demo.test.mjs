// Hostile strings through the marketer's demo page in real headless Chromium (issue 9): every
// payload of tests/js/hosts/hostile_corpus.mjs typed as the simulated visitor's name, city and
// Accept-Language header, and written by the "marketer" into a campaign's headline (through
// the templates, into the live preview) and as a campaign id (into the preview's tags, the
// decision trace, or the editor's problem list when the compiler refuses it). Chromium must
// report zero script executions: no trap called (tests/js/hosts/traps.js, installed before
// the page's own scripts), no CSP violation under the demo server's policy, and no element
// that can run or load anything appears.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startDemoServer } from '../../demo/server.mjs';
import { BROWSER_TIMEOUT_MS, launchChromium } from './hosts/chromium.mjs';
import { HOSTILE_TEXT } from './hosts/hostile_corpus.mjs';
import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';

const CONFIG = JSON.parse(readFileSync(join(REPO_ROOT, 'demo', 'campaigns.json'), 'utf8'));
const HERO_CAMPAIGN = 'seasonal-gear';
// Elements a payload would bring in if it were ever parsed as markup.
const DANGEROUS = 'script, iframe, object, embed, base, img, svg, math, video, audio, source, details, marquee, form, meta[http-equiv], [autofocus]';

let server;
let browser;
let page;
const pageProblems = [];
let renders = 0;
let shownInPreview = 0;
let baseline;

before(async () => {
  assertBuilt();
  server = await startDemoServer({ port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  await page.addInitScript({ path: join(REPO_ROOT, 'tests/js/hosts/traps.js') });
  page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    pageProblems.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error');
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true');
});

after(async () => {
  await browser?.close();
  await server?.close();
  console.log(`hostile strings (demo): ${HOSTILE_TEXT.length} payloads, ${renders} page states checked, ${shownInPreview} rendered as preview copy, 0 script executions`);
});

// A config whose hero campaign shows the payload as copy (with the visitor's name and city
// templated in) and, in a second campaign, as its id.
function configWith(text, idToo) {
  const config = structuredClone(CONFIG);
  const campaign = config.campaigns.find((c) => c.id === HERO_CAMPAIGN);
  for (const variant of campaign.variants) {
    for (const copy of Object.values(variant.content)) copy.headline = { text: `${text.slice(0, 400)} {{name|}} {{geo.city|}}`, maxLength: 400 };
  }
  if (idToo) config.campaigns.find((c) => c.id !== HERO_CAMPAIGN).id = text.slice(0, 200);
  return JSON.stringify(config, null, 2);
}

async function state() {
  return page.evaluate((dangerous) => {
    const handlers = [];
    for (const el of document.querySelectorAll('*')) {
      for (const name of el.getAttributeNames()) if (/^on/i.test(name)) handlers.push(`${el.localName}[${name}]`);
    }
    const hero = document.querySelector('#preview [data-placement="hero"]');
    return {
      traps: JSON.parse(JSON.stringify(window.attuneTraps)),
      dangerous: [...document.querySelectorAll(dangerous)].filter((el) => !el.closest('#kpi')).map((el) => el.localName),
      handlers,
      hero: hero ? hero.textContent : null,
      problems: [...document.querySelectorAll('#config-errors li')].length,
    };
  }, DANGEROUS);
}

async function settle() {
  await page.waitForTimeout(250);  // the editor validates 150 ms after the last keystroke
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

test('the demo page starts clean', async () => {
  baseline = await state();
  assert.deepEqual(baseline.traps, { owned: 0, alerts: [], violations: [] });
  // The page's own module script and its form view's <details>; nothing else of the kind.
  assert.deepEqual(baseline.dangerous, ['script', 'details']);
  assert.deepEqual(baseline.handlers, []);
});

test(`${HOSTILE_TEXT.length} payloads as visitor name, city, Accept-Language, campaign copy and campaign id stay inert`, async () => {
  for (const [i, text] of HOSTILE_TEXT.entries()) {
    const what = `payload ${i} ${JSON.stringify(text.slice(0, 60))}`;
    await page.fill('#sim-name', text.slice(0, 2000));
    await page.fill('#sim-city', text.slice(0, 2000));
    await page.selectOption('#sim-locale', '');
    await page.fill('#sim-accept-language', text.slice(0, 2000));
    // As a paste: Playwright's fill() types 40 KB into the textarea through the editing
    // pipeline, ten seconds a time; the page sees the same single input event either way.
    await page.evaluate((json) => {
      const editor = document.getElementById('config-text');
      editor.value = json;
      editor.dispatchEvent(new Event('input', { bubbles: true }));
    }, configWith(text, i % 2 === 1));
    await settle();
    const s = await state();
    renders++;
    assert.deepEqual(s.traps, { owned: 0, alerts: [], violations: [] }, what);
    assert.deepEqual(s.dangerous, baseline.dangerous, what);
    assert.deepEqual(s.handlers, [], what);
    // The copy reached the preview as text whenever the config was valid.
    if (s.problems === 0 && s.hero !== null && s.hero.includes(text.slice(0, 12))) shownInPreview++;
  }
  // Most payloads are valid copy: they must really have been rendered, or this proves nothing.
  assert.ok(shownInPreview >= HOSTILE_TEXT.length / 3, `only ${shownInPreview} payloads reached the preview as text`);
});

test('nothing ran, nothing was blocked, no dialog opened', async () => {
  assert.deepEqual(pageProblems, []);
  assert.deepEqual((await state()).traps, { owned: 0, alerts: [], violations: [] });
});
