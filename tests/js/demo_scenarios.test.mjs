// Every scenario docs/DEMO.md tells a marketer to try, replayed in Node through the same
// functions the demo's buttons call (demo/visitor_actions.mjs) on the real runtime
// (createAttune, Wasm) with the sample config: the sample campaigns cover each scenario of
// the mission, and the trace's reason codes are the ones the docs promise.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { addToCart, decide, itemByToken, pageView, purchase, report, reportItem, shownItems } from '../../demo/visitor_actions.mjs';
import { initialState, localMonthDay, startOfDemoDay } from '../../demo/visitor_context.mjs';
import { DIST_DIR, REPO_ROOT, WEB_DIR, assertBuilt } from './hosts/node_host.mjs';

assertBuilt();
const { createAttune } = await import(join(WEB_DIR, 'attune.mjs'));
const CONFIG = readFileSync(join(REPO_ROOT, 'demo', 'campaigns.json'), 'utf8');
const WASM = readFileSync(join(DIST_DIR, 'attune.wasm'));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALL = { storage: true, personalization: true, measurement: true, marketing: true };

// A visitor as the demo starts one: 10:00 local (UTC+01:00), en, Austria, home page.
async function visitor({ consent = ALL, gpc = false } = {}) {
  const state = initialState(startOfDemoDay(Date.parse('2026-11-18T12:00:00Z'), 60));
  const rt = await createAttune({
    config: CONFIG, wasmBinary: WASM, storage: 'memory', clock: () => state.now,
    gpc: () => gpc, tcfApi: false, edge: false,
  });
  if (consent) assert.equal(rt.setConsent(consent, { source: 'banner' }).ok, true);
  return { rt, state, at: (placement) => decide(rt, state).decisions.find((d) => d.placement === placement) };
}

const reasonOf = (decision, campaign) => (decision.reasons.find((r) => r.campaign === campaign) || {}).reason;

test('welcome for first visits (needs personalization); a holdout visitor is still named', async () => {
  const { rt, state, at } = await visitor({ consent: null });
  assert.equal(reasonOf(at('hero'), 'welcome-first-visit'), 'consent:personalization');
  rt.setConsent(ALL);
  pageView(rt, state, { page: 'home' });
  assert.equal(at('hero').campaign, 'welcome-first-visit');
  state.now += DAY;
  assert.equal(reasonOf(at('hero'), 'welcome-first-visit'), 'trigger', 'a day later the window is closed');
  await rt.close();
});

test('abandoned cart reminder: an hour after add-to-cart the popup reminds, with the cart in the copy', async () => {
  const { rt, state, at } = await visitor();
  pageView(rt, state, { page: 'tents' });
  assert.equal(addToCart(rt, state, { category: 'tents', price: 120 }).problem, undefined);
  assert.equal(reasonOf(at('popup'), 'cart-reminder'), 'trigger');
  state.now += HOUR;
  const popup = at('popup');
  assert.equal(popup.campaign, 'cart-reminder');
  if (!popup.holdout) assert.match(Object.values(popup.content).join(' '), /1 item|cart/);
  await rt.close();
});

test('birthday offer on the visitor\'s local birthday, with the per-language length budget', async () => {
  const { rt, state, at } = await visitor();
  state.birthday = localMonthDay(state.now, state.offsetMinutes);
  state.name = 'Ada';
  assert.equal(at('hero').campaign, 'birthday-offer');
  assert.equal(at('hero').content.headline, 'Happy birthday, Ada!');
  state.locale = 'de';
  state.name = 'Maximiliane-Friederike-Konstanze von Hohenberg';
  const de = at('hero');
  assert.equal(de.locale, 'de');
  assert.equal([...de.content.headline].length, 60, 'cut at the German budget of 60');
  assert.ok(de.content.headline.endsWith('…'));
  state.birthday = localMonthDay(state.now + 2 * DAY, state.offsetMinutes);
  assert.equal(reasonOf(at('hero'), 'birthday-offer'), 'trigger');
  await rt.close();
});

test('re-engaging a lapsed high-value customer; the exclusive group keeps them out of "loyal"', async () => {
  const { rt, state, at } = await visitor();
  state.tier = 'gold';
  pageView(rt, state, { page: 'tents' });
  purchase(rt, state, { category: 'tents', price: 700, page: decide(rt, state) });
  assert.equal(at('banner').campaign, 'loyalty-thanks', 'a gold customer is loyal');
  state.now += 31 * DAY;
  const back = pageView(rt, state, { page: 'home' });
  const hero = back.page.decisions.find((d) => d.placement === 'hero');
  assert.equal(hero.campaign, 'win-back-hvc');
  const banner = back.page.decisions.find((d) => d.placement === 'banner');
  assert.equal(reasonOf(banner, 'loyalty-thanks'), 'audience', 'lapsed_hvc comes first in the exclusive group');
  await rt.close();
});

test('cross-sell after a purchase, by category', async () => {
  const { rt, state, at } = await visitor();
  purchase(rt, state, { category: 'boots', price: 90, page: decide(rt, state) });
  assert.equal(at('recs').campaign, 'cross-sell-boots');
  const tents = await visitor();
  purchase(tents.rt, tents.state, { category: 'tents', price: 300, page: null });
  assert.equal(tents.at('recs').campaign, 'cross-sell-tent');
  tents.state.now += 15 * DAY;
  assert.equal(reasonOf(tents.at('recs'), 'cross-sell-tent'), 'trigger', 'only within 14 days');
  await rt.close();
  await tents.rt.close();
});

test('loyalty thanks for a loyal segment', async () => {
  const { rt, state, at } = await visitor();
  assert.equal(reasonOf(at('banner'), 'loyalty-thanks'), 'audience');
  state.tier = 'platinum';
  state.name = 'Grace';
  const banner = at('banner');
  assert.equal(banner.campaign, 'loyalty-thanks');
  assert.match(banner.content.text, /Grace/);
  await rt.close();
});

test('locale-specific copy in en, de, fr and ar; Arabic is right-to-left', async () => {
  const { rt, state, at } = await visitor();
  const seen = {};
  for (const locale of ['en', 'de-AT', 'fr-CA', 'ar-EG']) {
    state.locale = locale;
    const hero = at('hero');
    seen[locale] = [hero.locale, hero.dir, hero.content.headline];
  }
  assert.deepEqual(seen['de-AT'].slice(0, 2), ['de', 'ltr']);
  assert.deepEqual(seen['fr-CA'].slice(0, 2), ['fr', 'ltr']);
  assert.deepEqual(seen['ar-EG'].slice(0, 2), ['ar', 'rtl']);
  assert.equal(new Set(Object.values(seen).map((s) => s[2])).size, 4, 'four different headlines');
  state.locale = 'he';
  assert.equal(at('hero').locale, 'en', 'no Hebrew copy: the chain ends at the default locale');
  await rt.close();
});

// Without personalization no campaign with a holdout can show (welcome needs it), so every
// reported impression is a contact and the counts are exact whatever the visitor's id.
const NO_PROFILE = { storage: true, measurement: true, marketing: true };

test('a global cap of 12 a day shared by all campaigns; twice that for the loyal segment; one popup a session', async () => {
  const { rt, state } = await visitor({ consent: NO_PROFILE });
  let shown = 0;
  let capped = null;
  const popupReasons = [];
  for (let i = 0; i < 6 && !capped; i++) {
    const view = pageView(rt, state, { page: 'home' });
    shown += view.counted;
    capped = view.page.decisions.flatMap((d) => d.reasons).find((r) => /^cap:global/.test(r.reason || ''));
    popupReasons.push(reasonOf(view.page.decisions.find((d) => d.placement === 'popup'), 'newsletter-popup'));
  }
  assert.deepEqual(popupReasons.slice(0, 2), [undefined, 'cap:channel popup session 1/1'], 'one popup a session');
  assert.equal(shown, 12);
  assert.equal(capped.reason, 'cap:global day 12/12');

  const loyal = await visitor({ consent: NO_PROFILE });
  loyal.state.tier = 'gold';
  let loyalShown = 0;
  let loyalCap = null;
  const loyalPopups = [];
  for (let i = 0; i < 10 && !loyalCap; i++) {
    const view = pageView(loyal.rt, loyal.state, { page: 'home' });
    loyalShown += view.counted;
    loyalCap = view.page.decisions.flatMap((d) => d.reasons).find((r) => /^cap:global/.test(r.reason || ''));
    loyalPopups.push(reasonOf(view.page.decisions.find((d) => d.placement === 'popup'), 'newsletter-popup'));
  }
  assert.equal(loyalShown, 24, 'the loyal segment reads a trait: its multiplier needs no profile consent');
  assert.equal(loyalCap.reason, 'cap:global day 24/24');
  assert.deepEqual(loyalPopups.slice(0, 3), [undefined, undefined, 'cap:channel popup session 2/2'], 'the multiplier applies to every cap');
  state.now += DAY;
  const next = pageView(rt, state, { page: 'home' });
  assert.equal(next.counted, 5, 'a new local day, a new allowance');
  await rt.close();
  await loyal.rt.close();
});

test('quiet hours for popups (22:00–08:00 local), and a dismissal cooldown', async () => {
  const { rt, state, at } = await visitor();
  const page = pageView(rt, state, { page: 'home' }).page;
  assert.equal(page.decisions.find((d) => d.placement === 'popup').campaign, 'newsletter-popup');
  assert.equal(report(rt, page, 'dismiss', 'popup').problem, undefined);
  assert.equal(reasonOf(at('popup'), 'newsletter-popup'), 'cap:channel popup session 1/1');
  state.now += HOUR;  // a new session
  assert.equal(reasonOf(at('popup'), 'newsletter-popup'), 'cooldown until 2026-11-21T09:00:00Z', 'three days after the dismissal');
  state.now += 3 * DAY + 12 * HOUR;  // 23:00 local, the cooldown over
  assert.equal(reasonOf(at('popup'), 'newsletter-popup'), 'quiet_hours 22:00–08:00');
  state.now += 10 * HOUR;  // 09:00
  assert.equal(at('popup').campaign, 'newsletter-popup');
  await rt.close();
});

test('fatigue: a popup seen three times without a click rests for 14 days', async () => {
  const { rt, state, at } = await visitor({ consent: { storage: true } });
  for (let day = 0; day < 3; day++) {
    const view = pageView(rt, state, { page: 'home' });
    assert.equal(view.page.decisions.find((d) => d.placement === 'popup').campaign, 'newsletter-popup', `day ${day}`);
    state.now += DAY;
  }
  assert.equal(reasonOf(at('popup'), 'newsletter-popup'), 'fatigue 3/3');
  state.now += 12 * DAY;  // 13 days after the third impression
  assert.equal(reasonOf(at('popup'), 'newsletter-popup'), 'fatigue 3/3');
  state.now += 2 * DAY;
  assert.equal(at('popup').campaign, 'newsletter-popup', 'shown again after the 14 days');
  await rt.close();
});

test('a consent-gated personalized campaign next to a contextual one; GPC denies marketing', async () => {
  const { rt, state, at } = await visitor({ consent: null });
  state.interests.add('hiking');
  const before = at('banner');
  assert.equal(reasonOf(before, 'picked-for-you'), 'consent:personalization');
  assert.equal(before.campaign, 'free-shipping-eu', 'the contextual campaign needs no consent');
  assert.deepEqual(before.purposes, []);
  rt.setConsent({ storage: true, personalization: true });
  const after = at('banner');
  assert.equal(after.campaign, 'picked-for-you');
  assert.deepEqual(after.purposes, ['personalization']);
  assert.equal(reasonOf(at('email-bar'), 'member-early-access'), 'consent:marketing');
  rt.setConsent({ personalization: false });
  assert.equal(at('banner').campaign, 'free-shipping-eu', 'withdrawn: the personalized campaign is gone');
  await rt.close();

  const gpc = await visitor({ gpc: true });
  assert.equal(reasonOf(gpc.at('email-bar'), 'member-early-access'), 'consent:marketing');
  assert.equal(gpc.at('email-bar').campaign, 'newsletter-bar');
  await gpc.rt.close();
});

test('the actions refuse bad input with a line, never a throw', async () => {
  const { rt, state } = await visitor();
  assert.equal(addToCart(rt, state, { category: 'tents', price: NaN }).problem, true);
  assert.equal(purchase(rt, state, { category: 'tents', price: -5, page: null }).problem, true);
  assert.equal(report(rt, null, 'click', 'hero').problem, true);
  assert.equal(report(rt, decide(rt, state), 'click', 'nowhere').problem, true);
  const page = decide(rt, state);
  assert.equal(report(rt, page, 'click', 'hero').problem, undefined);
  assert.match(report(rt, page, 'click', 'hero').detail, /already reported/, 'a token counts once per kind');
  assert.deepEqual(shownItems({ error: 'x' }), []);
  assert.ok(shownItems(page).some((i) => i.placement === 'recs'));
  assert.equal(itemByToken(page, 'nope'), undefined);
  assert.equal(reportItem(rt, 'dismiss', { placement: 'recs' }).problem, true);

  // A recommendation grid with two items: a click on the second counts for the second.
  state.page = 'tents';
  const grid = decide(rt, state).decisions.find((d) => d.placement === 'recs');
  assert.equal(grid.items.length, 2, JSON.stringify(grid.items.map((i) => i.campaign)));
  const second = itemByToken(decide(rt, state), grid.items[1].token) || { placement: 'recs', ...grid.items[1] };
  assert.equal(reportItem(rt, 'click', second).detail, `${grid.items[1].campaign} / ${grid.items[1].variant}`);
  assert.match(reportItem(rt, 'click', { placement: 'recs', ...grid.items[1] }).detail, /already reported/);
  assert.equal(reportItem(rt, 'click', { placement: 'recs', ...grid.items[0] }).problem, undefined, 'the first item is still unclicked');
  await rt.close();
});
