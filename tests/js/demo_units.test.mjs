// The demo's pure modules in Node: plain-word reasons, JSON path location in the editor's
// text, the traffic model's determinism, the KPI rows, CSV escaping, chart geometry, the
// visitor context and the demo server's path resolution. Bad and hostile inputs included.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { barLayout, intervalLayout, niceTicks } from '../../demo/kpi/charts.mjs';
import { CSV_COLUMNS, csvCell, rowsToCsv } from '../../demo/kpi/csv.mjs';
import { PERSONAS, createRng, hashString, planVisitor, popupPlacements, respondToDecision, variantLift, visitOutcome, vocabulary } from '../../demo/kpi/model.mjs';
import { interval, percent, points, reportRows, signedMoney, verdict } from '../../demo/kpi/report_rows.mjs';
import { resolveRequest } from '../../demo/server.mjs';
import { joinKey, locateLineColumn, locatePath, splitPath } from '../../demo/ui/json_locate.mjs';
import { describePurposes, explainCandidate, explainCap, explainSkip, formatLocal, windowWords } from '../../demo/ui/reasons.mjs';
import { configLocales, contextOverrides, initialState, localMonthDay, localeRequest, pageContext, startOfDemoDay } from '../../demo/visitor_context.mjs';

const CONFIG = {
  version: 1,
  placements: [{ id: 'hero' }, { id: 'popup', channel: 'popup' }, { id: 'mail', channel: 'email' }],
  campaigns: [
    { id: 'sale', placement: 'hero', schedule: { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z', daysOfWeek: ['mon', 'fri'], hours: { from: '08:00', to: '22:00' } }, variants: [] },
    { id: 'cart', placement: 'popup', trigger: { event: 'cart_abandoned', within: '2d' }, variants: [] },
    { id: 'xsell', placement: 'hero', trigger: { event: 'purchase', category: 'tents', within: '14d' }, variants: [] },
    { id: 'mailer', placement: 'mail', variants: [] },
  ],
};

// ---- reasons.mjs ----

test('reasons: caps in plain words with their counts, every scope and window', () => {
  assert.equal(explainCap('global day 6/6'), 'global cap reached — 6 of 6 today');
  assert.equal(explainCap('channel popup 12h 3/3'), 'cap for the popup channel reached — 3 of 3 in the last 12 hours');
  assert.equal(explainCap('placement hero week 2/2'), 'cap for the hero placement reached — 2 of 2 this week');
  assert.equal(explainCap('campaign session 1/1'), "the campaign's own cap reached — 1 of 1 this session");
  assert.equal(explainCap('campaign lifetime clicks 1/1'), "the campaign's own cap reached — 1 of 1 clicks ever");
  assert.equal(explainCap('global day 2/1'), 'global cap reached — 2 of 1 today', 'concurrent contacts can exceed the max');
  assert.equal(explainCap('placement my slot 1h 1/1'), 'cap for the my slot placement reached — 1 of 1 in the last hour');
  // Not a cap text: null, so the caller shows the raw code instead of inventing words.
  for (const bad of ['', 'global', 'global day', 'global day six/6', 'day 5/5', '5/5']) assert.equal(explainCap(bad), null, bad);
  assert.equal(explainSkip('cap:nonsense', undefined, CONFIG), 'cap:nonsense');
});

test('reasons: windows', () => {
  assert.equal(windowWords('day'), 'today');
  assert.equal(windowWords('week'), 'this week');
  assert.equal(windowWords('session'), 'this session');
  assert.equal(windowWords('lifetime'), 'ever');
  assert.equal(windowWords('1d'), 'in the last day');
  assert.equal(windowWords('90m'), 'in the last 90 minutes');
  assert.equal(windowWords('2w'), 'in the last 2 weeks');
  assert.equal(windowWords('30s'), 'in the last 30 seconds');
  assert.equal(windowWords('fortnight'), 'per fortnight');
  assert.equal(windowWords(undefined), 'per undefined');
});

test('reasons: every skip code in plain words, with the config filled in', () => {
  const [sale, cart, xsell] = CONFIG.campaigns;
  assert.equal(explainSkip('schedule', sale, CONFIG), 'outside its schedule (runs 2026-11-01 to 2026-12-01, on mon, fri, 08:00–22:00 local time)');
  assert.equal(explainSkip('schedule', undefined, CONFIG), 'outside its schedule');
  assert.equal(explainSkip('trigger', cart, CONFIG), 'waiting for its trigger (an abandoned cart, shown within 2d of it)');
  assert.equal(explainSkip('trigger', xsell, CONFIG), 'waiting for its trigger (a purchase in tents, shown within 14d of it)');
  assert.equal(explainSkip('trigger', { trigger: { event: 'newsletter_open', within: '1d' } }, CONFIG), 'waiting for its trigger (a "newsletter_open" event, shown within 1d of it)');
  assert.equal(explainSkip('audience', sale, CONFIG), 'the visitor is not in its audience');
  assert.equal(explainSkip('consent:personalization', sale, CONFIG), 'the visitor has not given consent for personalization');
  assert.equal(explainSkip('consent:storage', sale, CONFIG), 'the visitor has not given consent for storage (keeping data on this device)');
  assert.equal(explainSkip('consent:newpurpose', sale, CONFIG), 'the visitor has not given consent for newpurpose');
  assert.equal(explainSkip('no_visitor_id', sale, CONFIG), 'it splits visitors into variants or a holdout, and this visitor has no id yet');
  assert.equal(explainSkip('content_missing:headline', sale, CONFIG), 'its "headline" text needs a value this visitor does not have, and has no fallback');
  assert.equal(explainSkip('fatigue 3/3', cart, CONFIG), 'fatigue — seen 3 times without a click (3 allowed), paused for a while');
  assert.equal(explainSkip('cooldown until 2026-11-27T10:00:00Z', cart, CONFIG, 60), 'dismissed recently — hidden until 2026-11-27 11:00');
  assert.equal(explainSkip('cooldown until garbage', cart, CONFIG), 'dismissed recently — hidden until later');
  assert.equal(explainSkip('quiet_hours 22:00–08:00', cart, CONFIG), 'quiet hours for popups (22:00–08:00)');
  assert.equal(explainSkip('quiet_hours 22:00–08:00', CONFIG.campaigns[3], CONFIG), 'quiet hours for emails (22:00–08:00)');
  assert.equal(explainSkip('quiet_hours 22:00–08:00', { placement: 'nowhere' }, CONFIG), 'quiet hours for this channel (22:00–08:00)');
  assert.equal(explainSkip('something new', sale, CONFIG), 'something new', 'an unknown code is shown as it is');
  assert.equal(explainSkip('', sale, CONFIG), 'no reason given');
});

test('reasons: candidates, purposes and local times; hostile configs do not throw', () => {
  const decision = { placement: 'hero', campaign: 'sale', variant: 'b' };
  assert.equal(explainCandidate({ campaign: 'sale', result: 'chosen' }, decision, CONFIG).text, 'Shown: won this placement with variant "b"');
  assert.equal(explainCandidate({ campaign: 'x', result: 'holdout' }, decision, CONFIG).label, 'Held out');
  assert.equal(explainCandidate({ campaign: 'x', result: 'not_reached' }, decision, CONFIG).text, 'Not reached: the placement was already filled');
  assert.equal(explainCandidate({ campaign: 'cart', result: 'skipped', reason: 'cap:global day 6/6' }, decision, CONFIG).text,
    'Skipped: global cap reached — 6 of 6 today');
  const items = { placement: 'recs', campaign: 'a', items: [{ campaign: 'a', variant: 'x' }, { campaign: 'b', variant: 'y' }] };
  assert.equal(explainCandidate({ campaign: 'b', result: 'chosen' }, items, CONFIG).text, 'Shown: won this placement with variant "y"');
  assert.equal(explainCandidate({ campaign: 'q', result: 'weird' }, decision, CONFIG).text, 'weird: no reason given');
  for (const config of [null, undefined, {}, { campaigns: 'no' }, { campaigns: [null, 5] }, { placements: {} }]) {
    assert.equal(explainSkip('quiet_hours 22:00–08:00', undefined, config), 'quiet hours for this channel (22:00–08:00)');
    assert.match(explainCandidate({ campaign: 'cart', result: 'skipped', reason: 'schedule' }, decision, config).text, /^Skipped: outside its schedule/);
  }
  assert.equal(describePurposes([]), 'Relied on no consent purpose (contextual: locale, page, time, geo).');
  assert.equal(describePurposes(['personalization']), 'Relied on consent for: personalization.');
  assert.equal(describePurposes(undefined), '');
  assert.equal(formatLocal(Date.parse('2026-11-20T23:30:00Z'), 60), '2026-11-21 00:30');
  assert.equal(formatLocal(Date.parse('2026-11-20T01:30:00Z'), -300), '2026-11-19 20:30');
  assert.equal(formatLocal(NaN), 'later');
});

// ---- json_locate.mjs ----

const TEXT = `{
  "version": 1,
  "campaigns": [
    {"id": "a", "variants": [{"id": "v", "weight": -1}]},
    {"id": "b", "audience": {"page.categories": {"$in": ["x"]}, "we\\"ird": 1}}
  ]
}`;

test('json_locate: paths as the compiler spells them, and back', () => {
  assert.deepEqual(splitPath('campaigns[1].audience["page.categories"].$in'), ['campaigns', 1, 'audience', 'page.categories', '$in']);
  assert.deepEqual(splitPath('campaigns[0].variants[0].weight'), ['campaigns', 0, 'variants', 0, 'weight']);
  assert.deepEqual(splitPath(''), []);
  assert.equal(splitPath('campaigns[x]'), null);
  assert.equal(splitPath('a..b'), null);
  assert.equal(joinKey('', 'version'), 'version');
  assert.equal(joinKey('a', 'page.categories'), 'a["page.categories"]');
  assert.equal(joinKey('a', 'we"ird'), 'a["we\\"ird"]');
  assert.equal(joinKey('a', ''), 'a[""]');
});

test('json_locate: the span of a problem path in the text, or its nearest ancestor', () => {
  const span = locatePath(TEXT, 'campaigns[0].variants[0].weight');
  assert.equal(TEXT.slice(span.start, span.end), '"weight": -1');
  const inKey = locatePath(TEXT, 'campaigns[1].audience["page.categories"].$in');
  assert.equal(TEXT.slice(inKey.start, inKey.end), '"$in": ["x"]');
  const quoted = locatePath(TEXT, 'campaigns[1].audience["we\\"ird"]');
  assert.equal(TEXT.slice(quoted.start, quoted.end), '"we\\"ird": 1');
  // A path that does not exist (a missing key is reported at it) → its parent object.
  const missing = locatePath(TEXT, 'campaigns[0].variants[0].content');
  assert.equal(TEXT.slice(missing.start, missing.end), '{"id": "v", "weight": -1}');
  assert.deepEqual(locatePath(TEXT, ''), { start: 0, end: TEXT.length });
  assert.equal(locatePath('{"a": ', 'a'), null, 'not JSON: no spans');
  assert.equal(locatePath('{"a": 1} trailing', 'a'), null);
  assert.equal(locatePath('[1, 2', '[0]'), null);
  assert.equal(locatePath('{"a": "\\u12"}', 'a'), null, 'a bad escape is not JSON');
});

test('json_locate: line and column of a parse error; hostile input stays bounded', () => {
  const text = '{\n  "a": 1,\n  "b": ]\n}';
  assert.deepEqual(locateLineColumn(text, 'invalid JSON: syntax error while parsing value - unexpected \']\'; at line 3, column 8'), { start: 19, end: 19 });
  assert.equal(locateLineColumn(text, 'no position here'), null);
  assert.deepEqual(locateLineColumn('ab', 'line 99, column 99'), { start: 2, end: 2 }, 'clamped to the text');
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  assert.doesNotThrow(() => locatePath(deep, '[0][0][0]'));
  const wide = JSON.stringify({ campaigns: Array.from({ length: 5000 }, (_, i) => ({ id: `c${i}` })) });
  const last = locatePath(wide, 'campaigns[4999].id');
  assert.equal(wide.slice(last.start, last.end), '"id":"c4999"');
});

// ---- model.mjs ----

test('model: the same seed and index give the same visitor; others differ', () => {
  const vocab = vocabulary(CONFIG);
  const options = { seed: 42, startMs: Date.parse('2026-11-20T00:00:00Z'), vocab };
  const strip = (plan) => ({ ...plan, rng: undefined });
  for (let index = 0; index < 50; index++) {
    const a = planVisitor({ ...options, index });
    const b = planVisitor({ ...options, index });
    assert.deepEqual(strip(a), strip(b));
    assert.equal(a.rng(), b.rng(), 'the response stream continues identically');
  }
  const ids = new Set();
  const personas = new Set();
  for (let index = 0; index < 300; index++) {
    const plan = planVisitor({ ...options, index });
    ids.add(plan.id);
    personas.add(plan.persona);
    assert.ok(plan.pages.length >= 1 && plan.pages.length <= 4);
    assert.ok(plan.history.every((e, i) => i === 0 || plan.history[i - 1].at <= e.at), 'history sorted');
    assert.ok(plan.history.every((e) => e.at < plan.pages[0].at), 'history before the visit');
    assert.equal(plan.purposes.measurement, plan.consent);
    if (!plan.consent) assert.equal(plan.purposes.marketing, false);
  }
  assert.equal(ids.size, 300);
  assert.deepEqual([...personas].sort(), PERSONAS.map((p) => p.id).sort());
  const other = planVisitor({ ...options, seed: 43, index: 0 });
  assert.notDeepEqual(strip(other), strip(planVisitor({ ...options, index: 0 })));
});

test('model: shares, vocabulary, lifts and responses', () => {
  assert.ok(Math.abs(PERSONAS.reduce((s, p) => s + p.share, 0) - 1) < 1e-9);
  const rng = createRng(7);
  const draws = Array.from({ length: 10000 }, rng);
  assert.ok(draws.every((x) => x >= 0 && x < 1));
  const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.equal(hashString(''), 0x811c9dc5);
  assert.equal(hashString('a'), 0xe40c292c, 'FNV-1a');

  const vocab = vocabulary({ campaigns: [{ audience: { 'page.categories': { $in: ['tents', 'boots'] }, 'traits.tier': 'gold' }, trigger: { category: 'socks' } }] });
  assert.deepEqual(vocab.categories.sort(), ['boots', 'socks', 'tents']);
  assert.deepEqual(vocab.tiers, ['gold']);
  const hostile = vocabulary({ segments: { a: { interests: ['<script>', 'x'.repeat(100), 'ok'] } } });
  assert.deepEqual(hostile.categories, ['ok'], 'only key-like words are used');
  assert.ok(vocabulary(null).categories.length > 0, 'defaults without a config');
  let nested = {};
  for (let i = 0; i < 1000; i++) nested = { categories: nested };
  assert.doesNotThrow(() => vocabulary(nested));
  assert.deepEqual([...popupPlacements(CONFIG)], ['popup']);
  assert.deepEqual([...popupPlacements({ placements: 'x' })], []);

  for (const [c, v] of [['a', 'b'], ['welcome', 'discount'], ['x', '']]) {
    const lift = variantLift(c, v);
    assert.ok(lift >= 0.9 && lift <= 1.7, `${c}/${v}: ${lift}`);
    assert.equal(variantLift(c, v), lift);
  }
  assert.equal(variantLift('a', null), 1, 'holdout: no effect');
  const rates = PERSONAS[0];
  const none = respondToDecision(() => 0, rates, { content: null, campaign: 'a', variant: 'b' });
  assert.deepEqual(none, { click: false, dismiss: false }, 'nothing shown, nothing clicked');
  assert.equal(respondToDecision(() => 0, rates, { content: {}, campaign: 'a', variant: 'b' }).click, true);
  assert.deepEqual(visitOutcome(() => 0.99, rates, [], false), { converted: false, value: 0 });
  const bought = visitOutcome(() => 0, rates, [{ campaign: 'a', variant: 'b' }], true);
  assert.equal(bought.converted, true);
  assert.ok(bought.value > 0);
});

// ---- report_rows.mjs, csv.mjs ----

const REPORT = {
  campaigns: [
    { campaign: 'spring', variants: [
      { variant: null, holdout: true, impressions: 8, clicks: 1, dismissals: 0, conversions: 2, exposedVisitors: 8, convertedVisitors: 2, ctr: 0.125, conversionRate: 0.25, revenue: 55.5, revenuePerVisitor: 6.9375, approximate: false, uplift: null },
      { variant: 'a', holdout: false, impressions: 6, clicks: 3, dismissals: 1, conversions: 4, exposedVisitors: 6, convertedVisitors: 3, ctr: 0.5, conversionRate: 0.5, revenue: 87.25, revenuePerVisitor: 14.541666666666666, approximate: false,
        uplift: { conversionRate: { absolute: 0.25, low: -0.2122519, high: 0.6097961, relative: 1 }, revenuePerVisitor: { absolute: 7.6041667, low: -14.094199, high: 29.302532 } } },
    ] },
    { campaign: '=HYPERLINK("http://evil")', variants: [
      { variant: '-1+1', holdout: false, impressions: 0, clicks: 0, dismissals: 0, conversions: 1, exposedVisitors: 1, convertedVisitors: 1, ctr: null, conversionRate: 1, revenue: 5, revenuePerVisitor: 5, approximate: true, uplift: null },
    ] },
  ],
  acceptedEvents: 30,
  rejectedEvents: 0,
};

test('report rows: one per campaign × variant, holdout first, nulls kept', () => {
  const rows = reportRows(REPORT);
  assert.deepEqual(rows.map((r) => r.label), ['spring / holdout', 'spring / a', '=HYPERLINK("http://evil") / -1+1']);
  assert.equal(rows[0].holdout, true);
  assert.equal(rows[0].variant, null);
  assert.equal(rows[1].uplift.cr.low, -0.2122519);
  assert.equal(rows[2].ctr, null);
  assert.equal(rows[2].approximate, true);
  assert.deepEqual(reportRows(null), []);
  assert.deepEqual(reportRows({ campaigns: [null, { campaign: 'x' }] }), []);
  assert.equal(verdict(rows[1].uplift.cr), 'unclear');
  assert.equal(verdict({ low: 0.01, high: 0.2 }), 'better');
  assert.equal(verdict({ low: -0.3, high: -0.01 }), 'worse');
  assert.equal(verdict({ low: null, high: 0.2 }), 'unclear');
  assert.equal(percent(0.125), '12.5%');
  assert.equal(percent(null), '–');
  assert.equal(points(0.016), '+1.6 pp');
  assert.equal(points(-0.0001), '0.0 pp');
  assert.equal(signedMoney(-2.1), '-2.10');
  assert.equal(interval(-0.014, 0.035, points), '[-1.4 pp, +3.5 pp]');
  assert.equal(interval(null, 0.035, points), '–');
});

test('csv: RFC 4180 quoting and formula neutralisation', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+SUM(A1)'), "'+SUM(A1)");
  assert.equal(csvCell('-2'), "'-2", 'a text cell that looks like a formula');
  assert.equal(csvCell('@cmd'), "'@cmd");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('=HYPERLINK("http://evil","x")'), '"\'=HYPERLINK(""http://evil"",""x"")"');
  assert.equal(csvCell(-0.25), '-0.25', 'numbers stay numbers');
  assert.equal(csvCell(NaN), '');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(true), 'true');

  const csv = rowsToCsv(reportRows(REPORT));
  const lines = csv.split('\r\n');
  assert.equal(lines.length, 5, 'header, three rows, the final CRLF');
  assert.equal(lines[4], '');
  assert.equal(lines[0], CSV_COLUMNS.map(([n]) => n).join(','));
  assert.equal(lines[1], 'spring,holdout,true,8,1,0,2,8,2,0.125,0.25,55.5,6.9375,,,,,,,,false');
  assert.equal(lines[2], 'spring,a,false,6,3,1,4,6,3,0.5,0.5,87.25,14.541666666666666,0.25,-0.2122519,0.6097961,1,7.6041667,-14.094199,29.302532,false');
  assert.equal(lines[3], '"\'=HYPERLINK(""http://evil"")",\'-1+1,false,0,0,0,1,1,1,,1,5,5,,,,,,,,true');
  assert.equal(rowsToCsv([]), `${lines[0]}\r\n`);
});

// ---- charts.mjs ----

test('charts: ticks, bars and intervals, negative and degenerate data', () => {
  assert.deepEqual(niceTicks(0, 0.12, 4), [0, 0.05, 0.1, 0.15]);
  assert.deepEqual(niceTicks(-0.07, 0.03, 4), [-0.1, -0.05, 0, 0.05]);
  assert.deepEqual(niceTicks(-0.07, 0.03, 10), [-0.07, -0.06, -0.05, -0.04, -0.03, -0.02, -0.01, 0, 0.01, 0.02, 0.03]);
  assert.deepEqual(niceTicks(0, 0), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(NaN, 1), [0]);
  assert.ok(niceTicks(0, 1e12).length <= 52, 'bounded');

  const bars = barLayout([{ label: 'a', value: 0.1 }, { label: 'b', value: 0.05, kind: 'holdout' }, { label: 'c', value: null }], { width: 600, labelWidth: 200, valueWidth: 100, format: (v) => `${v}` });
  assert.equal(bars.bars.length, 3);
  assert.equal(bars.bars[0].x, 200);
  assert.ok(bars.bars[0].w > bars.bars[1].w && bars.bars[1].w > 0);
  assert.ok(bars.bars[0].x + bars.bars[0].w <= 500 + 1e-9, 'inside the plot');
  assert.equal(bars.bars[1].kind, 'holdout');
  assert.equal(bars.bars[2].missing, true);
  assert.equal(bars.bars[2].valueText, 'no data');
  assert.ok(bars.bars[1].y > bars.bars[0].y);
  assert.equal(bars.height, 28 + 3 * 24 + 10);
  const zero = barLayout([{ label: 'a', value: 0 }]);
  assert.equal(zero.bars[0].w, 0);
  assert.ok(zero.ticks.length >= 2);

  const ci = intervalLayout([
    { label: 'up', estimate: 0.05, low: 0.01, high: 0.09 },
    { label: 'down', estimate: -0.04, low: -0.07, high: -0.01 },
    { label: 'flat', estimate: 0.01, low: -0.02, high: 0.04 },
    { label: 'no ci', estimate: 0.02, low: null, high: null },
    { label: 'none', estimate: null, low: null, high: null },
  ], { format: (v) => v.toFixed(2) });
  const [up, down, flat, noCi, none] = ci.rows;
  assert.deepEqual([up.verdict, down.verdict, flat.verdict, noCi.verdict, none.verdict], ['better', 'worse', 'unclear', 'unclear', 'unclear']);
  assert.ok(up.x1 > ci.zeroX && down.x2 < ci.zeroX && flat.x1 < ci.zeroX && flat.x2 > ci.zeroX);
  assert.ok(up.x1 < up.cx && up.cx < up.x2);
  assert.equal(noCi.x1, null);
  assert.equal(none.cx, null);
  assert.equal(none.text, 'no data');
  assert.equal(up.text, '0.05 [0.01, 0.09]');
  for (const r of ci.rows.filter((x) => x.x1 !== null)) assert.ok(r.x1 >= ci.plot.x0 && r.x2 <= ci.plot.x1);
  assert.doesNotThrow(() => intervalLayout([]));
});

// ---- visitor_context.mjs ----

test('visitor context: overrides of each decision, pages, dates, locales', () => {
  const start = startOfDemoDay(Date.parse('2026-11-20T23:30:00Z'), 60);
  assert.equal(new Date(start).toISOString(), '2026-11-21T09:00:00.000Z', '10:00 in UTC+01:00 on the local date');
  const state = initialState(start);
  assert.deepEqual(contextOverrides(state), {
    locales: ['en'], acceptLanguage: undefined, utcOffsetMinutes: 60, geo: { country: 'AT' }, traits: {},
    page: { url: 'https://shop.example/', path: '/', categories: [] },
  });
  Object.assign(state, { locale: '', name: '  Ada ', city: ' Wien ', tier: 'gold', birthday: '11-21', page: 'tents' });
  state.interests.add('hiking');
  const o = contextOverrides(state);
  assert.equal(o.locales, undefined);
  assert.equal(o.acceptLanguage, 'en-US,en;q=0.9');
  assert.equal(o.name, '  Ada ', 'the runtime normalises names');
  assert.deepEqual(o.geo, { country: 'AT', city: 'Wien' });
  assert.deepEqual(o.traits, { tier: 'gold', birthday: '11-21', interests: ['hiking'] });
  assert.deepEqual(o.page, { url: 'https://shop.example/c/tents', path: '/c/tents', categories: ['tents'] });
  assert.deepEqual(pageContext('cart'), { url: 'https://shop.example/cart', path: '/cart', categories: [] });
  assert.deepEqual(localeRequest(state, ['en', 'ar']), { available: ['en', 'ar'], defaultLocale: 'en', acceptLanguage: 'en-US,en;q=0.9' });
  assert.deepEqual(localeRequest({ ...state, locale: 'he' }, ['en']), { available: ['en'], defaultLocale: 'en', requested: ['he'] });
  assert.equal(localMonthDay(Date.parse('2026-12-31T23:30:00Z'), 60), '01-01');
  assert.equal(localMonthDay(Date.parse('2026-03-01T01:00:00Z'), -120), '02-28');
  assert.deepEqual(configLocales({ defaultLocale: 'en', placements: [{ default: { de: {} } }], campaigns: [{ variants: [{ content: { ar: {}, fr: {} } }] }] }), ['ar', 'de', 'en', 'fr']);
  assert.deepEqual(configLocales(null), ['en']);
});

// ---- server.mjs ----

test('demo server: only demo/ and web/ files of known types, never outside', () => {
  const root = '/repo/';
  assert.deepEqual(resolveRequest('/demo/', root), { file: '/repo/demo/index.html', type: 'text/html; charset=utf-8' });
  assert.equal(resolveRequest('/demo/app.mjs', root).type, 'text/javascript; charset=utf-8');
  assert.equal(resolveRequest('/web/dist/attune.wasm', root).type, 'application/wasm');
  assert.equal(resolveRequest('/demo/style.css', root).type, 'text/css; charset=utf-8');
  for (const bad of ['/demo/../package.json', '/demo/%2e%2e/package.json', '/web/../../etc/passwd', '/tests/js/x.mjs',
    '/package.json', '/demo', '/demo/x.sh', '/demo/%00.html', '/demo/%E0%A4%A.mjs', '/build/attune', '//etc/passwd.json']) {
    assert.equal(resolveRequest(bad, root), null, bad);
  }
});
