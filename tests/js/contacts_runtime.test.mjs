// Contact rules (SPEC §6) through the browser runtime on Node: caps fall through to the next
// candidate and say why; only reported impressions count (impression(token) or show()),
// each token once and only for the visitor and config it was issued to; holdout tokens are
// single-use but count nothing; counts survive a reload, add up exactly between two
// runtimes on one store (two tabs), go with forget(), stay in memory without `storage`
// consent; day caps and quiet hours follow the visitor's local clock. Hostile reports come
// back as errors and change nothing.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import { DIST_DIR, WEB_DIR, assertBuilt } from './hosts/node_host.mjs';
import { manualClock, sharedStore } from './hosts/fakes.mjs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-11-25T10:00:00Z');
const TOKEN = /^t2\.\d+\.(\d+|h)\.[0-9a-f]+\.[0-9a-f]{16}$/;

const content = (headline) => ({ en: { headline } });
const variant = (headline) => [{ id: 'a', weight: 1, content: content(headline) }];

// hero: promo (2 per lifetime) → flash (1 per 12h) → evergreen (1 click per lifetime) →
// the default, with at most 4 hero impressions a day. popup: a daily campaign, quiet at
// night. aside: one campaign almost everyone is held out of (capped at 1, which a holdout
// never uses up).
const CONFIG = {
  version: 1,
  consent: { policy: 'optOut' },
  defaultLocale: 'en',
  placements: [
    { id: 'hero', channel: 'web', default: content('Welcome') },
    { id: 'pop', channel: 'popup', default: content('Nothing') },
    { id: 'aside', channel: 'web', default: content('Aside') },
  ],
  caps: [{ scope: 'placement', placement: 'hero', max: 4, per: 'day' }],
  quietHours: { popup: { from: '22:00', to: '08:00' } },
  campaigns: [
    { id: 'promo', placement: 'hero', priority: 30, audience: {}, caps: [{ max: 2, per: 'lifetime' }], variants: variant('Promo') },
    { id: 'flash', placement: 'hero', priority: 20, audience: {}, caps: [{ max: 1, per: '12h' }], variants: variant('Flash') },
    {
      id: 'evergreen',
      placement: 'hero',
      priority: 10,
      audience: {},
      caps: [{ max: 1, per: 'lifetime', count: 'click' }],
      variants: variant('Evergreen'),
    },
    { id: 'daily', placement: 'pop', audience: {}, caps: [{ max: 1, per: 'day' }], variants: variant('Daily') },
    { id: 'held', placement: 'aside', audience: {}, holdout: 0.999, caps: [{ max: 1, per: 'lifetime' }], variants: variant('Held') },
  ],
};

// One campaign and nothing else, for counting: its lifetime cap is the counter we read.
function counterConfig(max, extra = {}) {
  return {
    version: 1,
    consent: { policy: 'optOut' },
    defaultLocale: 'en',
    placements: [{ id: 'hero', default: content('Welcome') }],
    campaigns: [
      { id: 'capped', placement: 'hero', priority: 10, audience: {}, caps: [{ max, per: 'lifetime' }], variants: variant('Capped') },
      { id: 'fallback', placement: 'hero', priority: 1, audience: {}, variants: variant('Fallback') },
    ],
    ...extra,
  };
}

let createAttune;
let wasmBinary;

before(async () => {
  assertBuilt();
  ({ createAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href));
  wasmBinary = readFileSync(join(DIST_DIR, 'attune.wasm'));
});

function open(options = {}) {
  return createAttune({ config: CONFIG, wasmBinary, storage: 'memory', clock: manualClock(START), ...options });
}

function decide(rt, placement = 'hero', overrides = {}) {
  const d = rt.decide(placement, overrides, { reasons: true });
  assert.equal(d.error, undefined, d.error);
  return d;
}

// {campaign: reason or result} for one decision, e.g. {promo: 'cap:campaign lifetime 2/2', flash: 'chosen'}.
function why(d) {
  return Object.fromEntries(d.reasons.map((r) => [r.campaign, r.reason ?? r.result]));
}

function report(rt, kind, token, value) {
  const result = kind === 'conversion' ? rt.conversion(token, value) : rt[kind](token);
  assert.equal(result.error, undefined, `${kind}: ${result.error}`);
  assert.equal(result.ok, true);
  return result;
}

// Decides and reports the impression; returns the decision.
function showOnce(rt, placement = 'hero', overrides = {}) {
  const d = decide(rt, placement, overrides);
  if (d.token !== null) report(rt, 'impression', d.token);
  return d;
}

function impressionsInProfile(rt) {
  const p = rt.profile();
  assert.equal(p.error, undefined, p.error);
  return p.behavior.counts.impression.lifetime;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));  // storage notifications

// A visitor held out of `held`: the holdout is 99.9%, so a fresh id or two always finds one.
async function heldOutDecision(rt) {
  for (let i = 0; i < 50; i++) {
    const d = decide(rt, 'aside');
    if (d.holdout) return d;
    assert.deepEqual(rt.forget(), { ok: true });
  }
  assert.fail('no visitor id in 50 fell into a 99.9% holdout');
}

describe('caps, fall-through and reasons', () => {
  test('each cap blocks its campaign with its numbers, and the next candidate shows', async () => {
    const clock = manualClock(START);
    const rt = await open({ clock });
    // Deciding alone counts nothing.
    for (let i = 0; i < 5; i++) assert.equal(decide(rt).campaign, 'promo');
    assert.equal(impressionsInProfile(rt), 0);

    const first = showOnce(rt);
    assert.match(first.token, TOKEN);
    assert.deepEqual(why(first), { promo: 'chosen', flash: 'not_reached', evergreen: 'not_reached' });
    assert.equal(showOnce(rt).campaign, 'promo');
    const third = showOnce(rt);
    assert.equal(third.campaign, 'flash');
    assert.equal(third.content.headline, 'Flash');
    assert.deepEqual(why(third), { promo: 'cap:campaign lifetime 2/2', flash: 'chosen', evergreen: 'not_reached' });
    const fourth = showOnce(rt);
    assert.equal(fourth.campaign, 'evergreen');
    assert.deepEqual(why(fourth), { promo: 'cap:campaign lifetime 2/2', flash: 'cap:campaign 12h 1/1', evergreen: 'chosen' });

    // Four hero impressions today: the placement cap is full, whoever would be next.
    const full = decide(rt);
    assert.equal(full.campaign, null);
    assert.equal(full.token, null);
    assert.equal(full.content.headline, 'Welcome');
    assert.deepEqual(why(full), {
      promo: 'cap:placement hero day 4/4',
      flash: 'cap:placement hero day 4/4',
      evergreen: 'cap:placement hero day 4/4',
    });
    assert.equal(impressionsInProfile(rt), 4);

    // Midnight UTC (the visitor's offset here is 0): a new day for the placement; 14 hours
    // after flash was shown its 12-hour window is empty again; promo's lifetime cap stays.
    clock.advance(14 * HOUR);
    const nextDay = decide(rt, 'hero', { utcOffsetMinutes: 0 });
    assert.equal(nextDay.campaign, 'flash');
    assert.equal(why(nextDay).promo, 'cap:campaign lifetime 2/2');

    // A click cap counts clicks, not impressions.
    clock.advance(HOUR);
    report(rt, 'click', fourth.token);
    const afterClick = decide(rt, 'hero', { utcOffsetMinutes: 0 });
    assert.equal(afterClick.campaign, 'flash');
    clock.advance(HOUR);
    showOnce(rt, 'hero', { utcOffsetMinutes: 0 });  // flash, 1 per 12h again
    const clicked = decide(rt, 'hero', { utcOffsetMinutes: 0 });
    assert.equal(clicked.campaign, null);
    assert.deepEqual(why(clicked), {
      promo: 'cap:campaign lifetime 2/2',
      flash: 'cap:campaign 12h 1/1',
      evergreen: 'cap:campaign lifetime clicks 1/1',
    });
    await rt.close();
  });

  test('fatigue, a click ending the streak, and the cooldown after a dismissal', async () => {
    const clock = manualClock(START);
    const config = {
      ...counterConfig(1000),
      campaigns: [
        {
          id: 'tired',
          placement: 'hero',
          audience: {},
          fatigue: { impressions: 2, suppress: '1d' },
          cooldownAfterDismiss: '2h',
          variants: variant('Tired'),
        },
      ],
    };
    const rt = await open({ config, clock });
    showOnce(rt);
    const second = showOnce(rt);
    assert.deepEqual(why(decide(rt)), { tired: 'fatigue 2/2' });
    report(rt, 'click', second.token);  // lifts the suppression
    const again = decide(rt);
    assert.equal(again.campaign, 'tired');
    report(rt, 'dismiss', again.token);
    assert.deepEqual(why(decide(rt)), { tired: 'cooldown until 2026-11-25T12:00:00Z' });
    clock.advance(2 * HOUR - 1);
    assert.equal(decide(rt).campaign, null);
    clock.advance(1);
    assert.equal(decide(rt).campaign, 'tired');
    await rt.close();
  });
});

describe('counting through show()', () => {
  test('show() decides and counts at once; the cap holds and the fallback follows', async () => {
    const rt = await open({ config: counterConfig(3) });
    const shown = [];
    for (let i = 0; i < 5; i++) {
      const d = await rt.show('hero', {}, { reasons: true });
      assert.equal(d.error, undefined, d.error);
      assert.equal(d.countError, undefined, d.countError);
      assert.match(d.token, TOKEN);
      shown.push(d.campaign);
      // The token was used by show(): reporting it again is a replay.
      assert.deepEqual(rt.impression(d.token), { error: 'token: this impression was already reported' });
    }
    assert.deepEqual(shown, ['capped', 'capped', 'capped', 'fallback', 'fallback']);
    assert.deepEqual(why(decide(rt)), { capped: 'cap:campaign lifetime 3/3', fallback: 'chosen' });
    assert.equal(impressionsInProfile(rt), 5);
    // Bad arguments resolve to errors like decide()'s.
    assert.match((await rt.show(42)).error, /placementId/);
    assert.ok((await rt.show('nowhere')).error);
    assert.match((await rt.show('hero', 'text')).error, /context/);
    assert.equal(impressionsInProfile(rt), 5);
    await rt.close();
    assert.deepEqual(await rt.show('hero'), { error: 'runtime closed' });
  });

  test('show() of default content counts nothing', async () => {
    const config = counterConfig(1);
    config.campaigns = [config.campaigns[0]];
    const rt = await open({ config });
    assert.equal((await rt.show('hero')).campaign, 'capped');
    const fallback = await rt.show('hero');
    assert.equal(fallback.campaign, null);
    assert.equal(fallback.token, null);
    assert.equal(fallback.countError, undefined);
    assert.equal(impressionsInProfile(rt), 1);
    await rt.close();
  });
});

describe('tokens', () => {
  test('a replayed, edited, foreign or junk token is refused and changes nothing', async () => {
    const rt = await open({ config: counterConfig(3) });
    const d = showOnce(rt);
    assert.equal(d.campaign, 'capped');
    const [, campaign, variantIndex, nonce, check] = d.token.split('.');
    const other = await open({ config: counterConfig(3) });  // another visitor, same config
    const otherToken = decide(other).token;
    const renamed = counterConfig(3);
    renamed.campaigns[0] = { ...renamed.campaigns[0], id: 'renamed' };
    const otherConfig = await open({ config: renamed });
    const otherConfigToken = decide(otherConfig).token;
    const flip = (hex) => hex.slice(0, -1) + (hex.at(-1) === '0' ? '1' : '0');

    const profileBefore = rt.profile();
    const refusals = [
      [d.token, 'token: this impression was already reported'],
      [`t2.${campaign}.${variantIndex}.${nonce}.${flip(check)}`, 'token: not issued by this config to this visitor'],
      [`t2.${campaign}.${variantIndex}.${flip(nonce)}.${check}`, 'token: not issued by this config to this visitor'],
      [`t2.1.1.${nonce}.${check}`, 'token: not issued by this config to this visitor'],  // fallback's slot
      [`t2.${campaign}.h.${nonce}.${check}`, 'token: not issued by this config to this visitor'],
      [`t2.99.0.${nonce}.${check}`, 'token: not issued by this config to this visitor'],
      [otherToken, 'token: not issued by this config to this visitor'],
      [otherConfigToken, 'token: not issued by this config to this visitor'],
    ];
    for (const [token, error] of refusals) {
      assert.deepEqual(rt.impression(token), { error }, token);
    }
    const junk = [
      'junk',
      'T2.0.0.1.0000000000000000',
      `t2.0${campaign}.${variantIndex}.${nonce}.${check}`,  // a leading zero
      `t2.${campaign}.${variantIndex}.${nonce}.${check.toUpperCase()}`,
      `t2.${campaign}.${variantIndex}.0.${check}`,
      `${d.token} `,
      `${d.token}.`,
      `${d.token}\u0000`,
      `t2.${campaign}.${variantIndex}.${nonce}.${check.slice(1)}`,
      `t2.${campaign}.${variantIndex}.${'f'.repeat(40)}.${check}`,
    ];
    for (const token of junk) {
      assert.match(rt.impression(token).error, /^token: not an Attune decision token/, JSON.stringify(token));
    }
    // The same refusals for every kind of report.
    assert.deepEqual(rt.click(otherToken), { error: 'token: not issued by this config to this visitor' });
    assert.match(rt.dismiss('junk').error, /^token: not an Attune decision token/);
    assert.match(rt.conversion('junk', 5).error, /^token: not an Attune decision token/);

    assert.deepEqual(rt.profile(), profileBefore);
    // One impression counted, not more: two more fill the cap exactly.
    showOnce(rt);
    assert.equal(decide(rt).campaign, 'capped');
    showOnce(rt);
    assert.deepEqual(why(decide(rt)), { capped: 'cap:campaign lifetime 3/3', fallback: 'chosen' });
    // The other visitor's and the other config's runtimes counted nothing either.
    assert.equal(impressionsInProfile(other), 0);
    assert.equal(decide(other).campaign, 'capped');
    await Promise.all([rt.close(), other.close(), otherConfig.close()]);
  });

  test('each kind of report counts once per token', async () => {
    const rt = await open({ config: counterConfig(10) });
    const d = decide(rt);
    for (const kind of ['impression', 'click', 'dismiss', 'conversion']) {
      report(rt, kind, d.token, kind === 'conversion' ? 30 : undefined);
      const noun = kind === 'dismiss' ? 'dismissal' : kind;
      const again = kind === 'conversion' ? rt.conversion(d.token, 30) : rt[kind](d.token);
      assert.deepEqual(again, { error: `token: this ${noun} was already reported` });
    }
    const counts = rt.profile().behavior.counts;
    for (const kind of ['impression', 'click', 'dismiss', 'conversion']) assert.equal(counts[kind].lifetime, 1, kind);
    await rt.close();
  });

  test('a holdout token is accepted once but never counts toward a cap', async () => {
    const rt = await open();
    const d = await heldOutDecision(rt);
    assert.equal(d.campaign, 'held');
    assert.equal(d.variant, null);
    assert.equal(d.content.headline, 'Aside');
    assert.match(d.token, /^t2\.\d+\.h\./);
    assert.deepEqual(why(d), { held: 'holdout' });
    report(rt, 'impression', d.token);
    assert.deepEqual(rt.impression(d.token), { error: 'token: this impression was already reported' });
    // The cap is 1 per lifetime: three more held-out impressions, and it is still not full.
    for (let i = 0; i < 3; i++) {
      const next = decide(rt, 'aside');
      assert.equal(next.holdout, true);
      report(rt, 'impression', next.token);
    }
    assert.deepEqual(why(decide(rt, 'aside')), { held: 'holdout' });
    await rt.close();
  });

  test('a token from before forget() belongs to the old visitor', async () => {
    const rt = await open({ config: counterConfig(1) });
    const d = decide(rt);
    rt.forget();
    assert.deepEqual(rt.impression(d.token), { error: 'token: not issued by this config to this visitor' });
    await rt.close();
  });
});

describe('stored counts', () => {
  test('counts survive a reload (a new runtime on the same store)', async () => {
    const store = sharedStore();
    const clock = manualClock(START);
    const first = await open({ storage: store.adapter(), clock, flushIntervalMs: 600_000 });
    showOnce(first);
    showOnce(first);
    const flash = showOnce(first);
    assert.equal(flash.campaign, 'flash');
    const visitorId = first.visitorId;
    await first.flush();
    await first.close();

    const second = await open({ storage: store.adapter(), clock });
    assert.equal(second.loadReport.status, 'ok');
    assert.equal(second.visitorId, visitorId);
    const d = decide(second);
    assert.equal(d.campaign, 'evergreen');
    assert.deepEqual(why(d), { promo: 'cap:campaign lifetime 2/2', flash: 'cap:campaign 12h 1/1', evergreen: 'chosen' });
    // The replay window survived too: the first runtime's token is still spent.
    assert.deepEqual(second.impression(flash.token), { error: 'token: this impression was already reported' });
    await second.close();
  });

  test('two runtimes on one store (two tabs) reporting at once end with exact totals', async () => {
    const store = sharedStore();
    const clock = manualClock(START);
    const perTab = 150;
    const config = counterConfig(1000);
    const a = await open({ config, storage: store.adapter(), clock, flushIntervalMs: 3 });
    const b = await open({ config, storage: store.adapter(), clock, flushIntervalMs: 3 });
    assert.equal(a.visitorId, b.visitorId);
    const run = async (rt) => {
      for (let i = 0; i < perTab; i++) {
        assert.equal(showOnce(rt).campaign, 'capped');
        clock.advance(7);
        if (i % 3 === 0) await tick();
      }
    };
    await Promise.all([run(a), run(b)]);
    await a.flush();
    await b.flush();
    await settle();
    assert.ok(store.writes > 10, `flushes ran during the loops (${store.writes} writes)`);
    for (const rt of [a, b]) assert.equal(impressionsInProfile(rt), 2 * perTab);
    await a.close();
    await b.close();
    // Read back under a cap of exactly the total: full at 300, open at 301.
    for (const [max, expected] of [[2 * perTab, 'cap:campaign lifetime 300/300'], [2 * perTab + 1, 'chosen']]) {
      const reader = await open({ config: counterConfig(max), storage: store.adapter(), clock, flushIntervalMs: 600_000 });
      assert.equal(reader.loadReport.status, 'ok');
      assert.equal(why(decide(reader)).capped, expected, `max ${max}`);
      await reader.close();
    }
  });

  test('two tabs racing show() never exceed the cap', async () => {
    const store = sharedStore();
    const clock = manualClock(START);
    const a = await open({ config: counterConfig(25), storage: store.adapter(), clock });
    const b = await open({ config: counterConfig(25), storage: store.adapter(), clock });
    const run = async (rt) => {
      let capped = 0;
      for (let i = 0; i < 40; i++) {
        const batch = await Promise.all([rt.show('hero'), rt.show('hero')]);
        for (const d of batch) {
          assert.equal(d.countError, undefined, d.countError);
          if (d.campaign === 'capped') capped++;
          else assert.equal(d.campaign, 'fallback');
        }
        clock.advance(3);
      }
      return capped;
    };
    const [ca, cb] = await Promise.all([run(a), run(b)]);
    assert.equal(ca + cb, 25, `a showed ${ca}, b showed ${cb}`);
    assert.ok(ca > 0 && cb > 0, `both tabs showed some (${ca}, ${cb})`);
    await a.flush();
    await b.flush();
    await settle();
    for (const rt of [a, b]) {
      assert.equal(why(decide(rt)).capped, 'cap:campaign lifetime 25/25');
      assert.equal(impressionsInProfile(rt), 160);
    }
    await a.close();
    await b.close();
  });

  test("a token reported in the other tab is spent in both once they have merged", async () => {
    const store = sharedStore();
    const clock = manualClock(START);
    const a = await open({ config: counterConfig(5), storage: store.adapter(), clock, flushIntervalMs: 600_000 });
    const b = await open({ config: counterConfig(5), storage: store.adapter(), clock, flushIntervalMs: 600_000 });
    const token = decide(a).token;
    report(b, 'impression', token);  // same visitor: b may report a's decision
    await b.flush();
    await settle();
    assert.deepEqual(a.impression(token), { error: 'token: this impression was already reported' });
    // And the same report arriving in both tabs before either merged counts once.
    const twice = decide(a).token;
    report(a, 'impression', twice);
    report(b, 'impression', twice);
    await a.flush();
    await b.flush();
    await settle();
    for (const rt of [a, b]) assert.equal(impressionsInProfile(rt), 2);
    await a.close();
    await b.close();
    const reader = await open({ config: counterConfig(2), storage: store.adapter(), clock, flushIntervalMs: 600_000 });
    assert.equal(why(decide(reader)).capped, 'cap:campaign lifetime 2/2');
    await reader.close();
  });

  test('forget() clears the contact history: a capped campaign shows again', async () => {
    const store = sharedStore();
    const rt = await open({ config: counterConfig(2), storage: store.adapter() });
    showOnce(rt);
    showOnce(rt);
    assert.equal(why(decide(rt)).capped, 'cap:campaign lifetime 2/2');
    await rt.flush();
    assert.deepEqual(rt.forget(), { ok: true });
    assert.equal(decide(rt).campaign, 'capped');
    assert.equal(impressionsInProfile(rt), 0);
    const newId = rt.visitorId;
    await rt.flush();
    await rt.close();
    const next = await open({ config: counterConfig(2), storage: store.adapter() });
    assert.equal(next.visitorId, newId);
    assert.equal(decide(next).campaign, 'capped');
    assert.equal(impressionsInProfile(next), 0);
    await next.close();
  });

  test('without storage consent nothing is written, yet the caps hold for the page', async () => {
    const store = sharedStore();
    const config = counterConfig(2, { consent: { policy: 'optIn' } });
    const rt = await open({ config, storage: store.adapter() });
    assert.equal(rt.purposes().storage, false);
    const shown = [];
    for (let i = 0; i < 3; i++) shown.push(showOnce(rt).campaign);
    shown.push((await rt.show('hero')).campaign);
    assert.deepEqual(shown, ['capped', 'capped', 'fallback', 'fallback']);
    assert.equal(why(decide(rt)).capped, 'cap:campaign lifetime 2/2');
    await rt.flush();
    await rt.close();
    assert.equal(store.writes, 0);
    assert.equal(store.values.size, 0);
    // The next page starts from nothing: nothing was kept.
    const next = await open({ config, storage: store.adapter() });
    assert.equal(decide(next).campaign, 'capped');
    await next.close();
    assert.equal(store.values.size, 0);
  });
});

describe("the visitor's local time", () => {
  // India (+05:30): local midnight is 18:30 UTC, well inside the UTC day.
  const INDIA = { utcOffsetMinutes: 330 };
  const local = (iso) => Date.parse(`${iso}+05:30`);

  test('a day cap resets at local midnight; quiet hours follow local time', async () => {
    const clock = manualClock(local('2026-11-25T21:00:00'));
    const rt = await open({ clock });
    const shown = showOnce(rt, 'pop', INDIA);
    assert.equal(shown.campaign, 'daily');
    assert.deepEqual(why(decide(rt, 'pop', INDIA)), { daily: 'cap:campaign day 1/1' });
    clock.advance(local('2026-11-25T23:59:59.999') - clock());
    assert.deepEqual(why(decide(rt, 'pop', INDIA)), { daily: 'cap:campaign day 1/1' });
    // Local midnight (18:30 UTC, the same UTC day): the day cap is empty, but it is night.
    clock.advance(1);
    assert.equal(new Date(clock()).toISOString(), '2026-11-25T18:30:00.000Z');
    assert.deepEqual(why(decide(rt, 'pop', INDIA)), { daily: 'quiet_hours 22:00–08:00' });
    // The same instant in UTC (18:30, daytime): still the day of the impression.
    assert.deepEqual(why(decide(rt, 'pop', { utcOffsetMinutes: 0 })), { daily: 'cap:campaign day 1/1' });
    clock.advance(local('2026-11-26T07:59:00') - clock());
    assert.deepEqual(why(decide(rt, 'pop', INDIA)), { daily: 'quiet_hours 22:00–08:00' });
    clock.advance(60_000);
    const morning = await rt.show('pop', INDIA, { reasons: true });
    assert.equal(morning.campaign, 'daily');
    assert.equal(morning.countError, undefined);
    assert.deepEqual(why(decide(rt, 'pop', INDIA)), { daily: 'cap:campaign day 1/1' });
    // New York at the same instant (21:30 on the 25th): both impressions (10:30 and 21:30
    // there) fall on that local day, and the reason counts what the history holds.
    assert.deepEqual(why(decide(rt, 'pop', { utcOffsetMinutes: -300 })), { daily: 'cap:campaign day 2/1' });
    await rt.close();
  });

  test('a context function supplies the offset for every decision', async () => {
    const clock = manualClock(local('2026-11-25T22:30:00'));
    const rt = await open({ clock, context: (defaults) => ({ ...defaults, ...INDIA }) });
    assert.deepEqual(why(decide(rt, 'pop')), { daily: 'quiet_hours 22:00–08:00' });
    const utc = decide(rt, 'pop', { utcOffsetMinutes: 0 });  // 17:00 UTC: shown
    assert.equal(utc.campaign, 'daily');
    await rt.close();
  });
});

describe('hostile reports', () => {
  test('bad tokens come back as errors, never throw, and change nothing', async () => {
    const rt = await open({ config: counterConfig(2) });
    const good = showOnce(rt);
    const before = rt.profile();
    const notStrings = [42, 0, NaN, null, undefined, true, {}, { token: good.token }, [good.token], () => good.token, Symbol('t'), 10n, new String(good.token)];
    for (const bad of notStrings) {
      for (const kind of ['impression', 'click', 'dismiss', 'conversion']) {
        const result = rt[kind](bad);
        assert.equal(result.error, "token: must be the decision's token (a non-empty string)", `${kind}(${String(bad?.toString?.() ?? typeof bad)})`);
      }
    }
    assert.equal(rt.impression('').error, "token: must be the decision's token (a non-empty string)");
    const huge = 't2.'.padEnd(10 * 1024 * 1024, '7');
    const hugeResult = rt.impression(huge);
    assert.equal(typeof hugeResult.error, 'string');
    assert.ok(hugeResult.error.length < 300, hugeResult.error.slice(0, 300));
    const strange = [
      '\uD800',
      '\uDC00\uD800',
      `${good.token.slice(0, 10)}\uD800${good.token.slice(11)}`,
      good.token.replace(/\.([0-9a-f]{16})$/, '.\uD83D\uDE00'.padEnd(17, 'a')),
      '😀'.repeat(40),
      '\u0000'.repeat(64),
      good.token.replace('t2', 't\u200B2'),
      '"},{"token":"x',
      '{"token": "t2.0.0.1.0000000000000000"}',
    ];
    for (const text of strange) {
      const result = rt.impression(text);
      assert.match(result.error, /^token: not an Attune decision token/, JSON.stringify(text));
    }
    // Conversion values are checked too, and a bad one does not spend the token.
    const d = decide(rt);
    for (const value of ['12', NaN, Infinity, -1, {}, [1]]) {
      const result = rt.conversion(d.token, value);
      assert.equal(typeof result.error, 'string', `conversion value ${String(value)}`);
    }
    assert.deepEqual(rt.profile(), before);
    report(rt, 'conversion', d.token, 12.5);
    report(rt, 'impression', d.token);
    assert.equal(why(decide(rt)).capped, 'cap:campaign lifetime 2/2');
    await rt.close();
  });
});
