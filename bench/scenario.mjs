// The page-decision benchmark scenario: one deterministic config and visitor population that
// every engine (Attune Wasm, Attune native, GrowthBook, json-logic, JS closures) decides.
//
// Why conditions avoid some Mongo corners: the peers do not all follow Mongo semantics.
// GrowthBook reads a missing attribute as null (so `null < 5` is true), stringifies arrays
// for plain equality and tests regexes against "null"; json-logic compares with JS
// coercion. The generator therefore only puts $lt/$lte/$regex/plain equality on attributes
// every visitor has, uses $in/$nin (never equality) on the array attribute, and reserves
// maybe-missing attributes for $exists, $in and positive $gt/$gte thresholds. Within those
// rules every engine must agree exactly, which the runner checks.

/** Small, fast, seedable PRNG (mulberry32): the scenario must not depend on Math.random. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(seed) {
  const next = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(next() * list.length)];
  const chance = (p) => next() < p;
  // Distinct elements, order preserved as drawn.
  const sample = (list, n) => {
    const pool = list.slice();
    const out = [];
    while (out.length < n && pool.length) out.push(pool.splice(Math.floor(next() * pool.length), 1)[0]);
    return out;
  };
  return { next, int, pick, chance, sample };
}

// Locales the config offers (so negotiation returns the visitor's own tag) and the country
// most visitors with that locale come from.
export const LOCALES = [
  ['en', 'US'], ['en-GB', 'GB'], ['de', 'DE'], ['de-AT', 'AT'], ['fr', 'FR'], ['es', 'ES'],
  ['it', 'IT'], ['nl', 'NL'], ['pt-BR', 'BR'], ['pl', 'PL'], ['sv', 'SE'], ['ja', 'JP'],
];
const LOCALE_TAGS = LOCALES.map(([tag]) => tag);
const LANGUAGES = [...new Set(LOCALE_TAGS.map((tag) => tag.split('-')[0]))];
const COUNTRIES = [...new Set([...LOCALES.map(([, c]) => c), 'CH', 'BE', 'CA', 'MX', 'DK'])];
const INTERESTS = ['ski', 'golf', 'running', 'yoga', 'tennis', 'cycling', 'hiking', 'fashion',
  'tech', 'cooking', 'travel', 'books', 'skincare', 'skateboarding'];
const TIERS = ['free', 'silver', 'gold', 'platinum'];
const DEVICES = ['mobile', 'desktop', 'tablet'];
const SOURCES = ['google-cpc', 'google-organic', 'newsletter', 'skiclub-partner', 'direct',
  'facebook', 'partner-pro', 'affiliate-pro', 'ski-magazine', 'bing-cpc'];
const CATEGORIES = ['ski-boots', 'ski-jackets', 'golf-clubs', 'running-shoes', 'yoga-mats',
  'skincare', 'books', 'tech-gadgets'];
// Anchored literals only: every engine's regex dialect reads them the same way.
const SOURCE_REGEXES = ['^google', 'pro$', '^ski', 'letter$', 'cpc$', '^face'];

const PLACEMENTS = ['hero', 'banner', 'sidebar', 'recs', 'popup', 'footer', 'inline', 'toast'];
const CHANNELS = ['web', 'web', 'inline', 'inline', 'popup', 'web', 'inline', 'popup'];

/**
 * Attribute kinds, by context path: `string`/`number`/`boolean` are always present, `array`
 * is an always-present array of strings, `maybe-*` may be absent. The json-logic translator
 * reads this to choose between scalar and array forms.
 */
export const ATTRIBUTE_SCHEMA = {
  'locale': 'string',
  'language': 'string',
  'geo.country': 'string',
  'traits.tier': 'string',
  'traits.device': 'string',
  'traits.interests': 'array',
  'traits.pageViews7d': 'number',
  'traits.purchases30d': 'number',
  'traits.sessions30d': 'number',
  'traits.daysSinceLastVisit': 'number',
  'traits.cartValue': 'number',
  'traits.spend': 'maybe-number',
  'traits.consent.personalization': 'boolean',
  'traits.consent.marketing': 'boolean',
  'traits.newsletter': 'boolean',
  'traits.source': 'string',
  'traits.lastCategory': 'maybe-string',
};

// One audience clause: returns [path, valueCondition].
const CLAUSES = [
  (r) => ['locale', { $in: r.sample(LOCALE_TAGS, r.int(2, 4)) }],
  (r) => ['language', r.pick(LANGUAGES)],
  (r) => ['language', { $in: r.sample(LANGUAGES, r.int(2, 4)) }],
  (r) => ['geo.country', { $in: r.sample(COUNTRIES, r.int(2, 6)) }],
  (r) => ['geo.country', { $nin: r.sample(COUNTRIES, r.int(1, 4)) }],
  (r) => ['traits.interests', { $in: r.sample(INTERESTS, r.int(1, 3)) }],
  (r) => ['traits.interests', { $nin: r.sample(INTERESTS, r.int(1, 2)) }],
  (r) => ['traits.tier', r.pick(TIERS)],
  (r) => ['traits.tier', { $in: r.sample(TIERS, 2) }],
  (r) => ['traits.tier', { $ne: r.pick(TIERS) }],
  (r) => ['traits.device', r.pick(DEVICES)],
  (r) => ['traits.device', { $in: r.sample(DEVICES, 2) }],
  (r) => ['traits.pageViews7d', { $gte: r.int(1, 30) }],
  (r) => ['traits.pageViews7d', { $lt: r.int(5, 40) }],
  (r) => ['traits.pageViews7d', { $gte: r.int(2, 10), $lte: r.int(12, 50) }],
  (r) => ['traits.purchases30d', { $gt: r.int(0, 2) }],
  (r) => ['traits.purchases30d', { $lte: r.int(0, 3) }],
  (r) => ['traits.sessions30d', { $gt: r.int(1, 12) }],
  (r) => ['traits.daysSinceLastVisit', { $lte: r.int(1, 14) }],
  (r) => ['traits.daysSinceLastVisit', { $gt: r.int(20, 60) }],
  (r) => ['traits.cartValue', { $gt: r.pick([0, 20, 50, 100]) }],
  (r) => ['traits.spend', { $exists: r.chance(0.6) }],
  (r) => ['traits.spend', { $gte: r.pick([50, 100, 250, 500]) }],
  (r) => ['traits.consent.personalization', true],
  (r) => ['traits.consent.marketing', r.chance(0.8)],
  (r) => ['traits.newsletter', r.chance(0.5)],
  (r) => ['traits.source', { $regex: r.pick(SOURCE_REGEXES) }],
  (r) => ['traits.source', { $in: r.sample(SOURCES, r.int(1, 3)) }],
  (r) => ['traits.lastCategory', { $exists: r.chance(0.5) }],
  (r) => ['traits.lastCategory', { $in: r.sample(CATEGORIES, r.int(1, 3)) }],
];

function makeClause(r) {
  return r.pick(CLAUSES)(r);
}

function makeAudience(r) {
  const audience = {};
  const n = r.int(2, 4);
  for (let i = 0; i < n; i++) {
    if (r.chance(0.2) && !audience.$or) {
      audience.$or = [0, 1].map(() => Object.fromEntries([makeClause(r)]));
      continue;
    }
    const [path, cond] = makeClause(r);
    if (path in audience) continue;  // one clause per path keeps the AND readable
    audience[path] = cond;
  }
  return audience;
}

function makeCampaigns(r, count, placements) {
  const campaigns = [];
  for (let i = 0; i < count; i++) {
    // Every placement gets campaigns; the rest are spread at random.
    const placement = i < placements.length ? placements[i] : r.pick(placements);
    const id = `c${String(i).padStart(3, '0')}-${placement}`;
    campaigns.push({
      id,
      placement,
      // A narrow range so ties occur and the config-order tie-break is exercised.
      priority: r.int(0, 20),
      // The consent flags are plain traits here: the bench measures matching, not consent
      // gating (campaigns carry no `consent` key; see bench/README.md).
      audience: makeAudience(r),
      variants: [{ id: 'a', weight: 1, content: { en: { headline: id } } }],
    });
  }
  return campaigns;
}

function makeConfig(r, campaignCount, placementCount) {
  const placements = PLACEMENTS.slice(0, placementCount);
  while (placements.length < placementCount) placements.push(`slot${placements.length}`);
  // The defaults carry every offered locale so the negotiated context locale is the
  // visitor's own tag, as the peers see it.
  const defaults = Object.fromEntries(LOCALE_TAGS.map((tag) => [tag, { headline: 'Welcome' }]));
  return {
    version: 1,
    // The scenario measures selection, not consent: every audience reads traits, which would
    // need the personalization purpose under the default optIn policy.
    consent: { policy: 'optOut' },
    defaultLocale: 'en',
    placements: placements.map((id, i) => ({
      id, channel: CHANNELS[i % CHANNELS.length], maxItems: 1, default: defaults,
    })),
    campaigns: makeCampaigns(r, campaignCount, placements),
  };
}

function makeTraits(r) {
  const traits = {
    tier: r.next() < 0.5 ? 'free' : r.pick(TIERS),
    device: r.pick(DEVICES),
    interests: r.sample(INTERESTS, r.int(0, 4)),
    pageViews7d: r.int(0, 60),
    purchases30d: r.chance(0.6) ? 0 : r.int(1, 8),
    sessions30d: r.int(1, 25),
    daysSinceLastVisit: r.int(0, 90),
    cartValue: r.chance(0.6) ? 0 : Math.round(r.next() * 30000) / 100,
    consent: { personalization: r.chance(0.7), marketing: r.chance(0.4) },
    newsletter: r.chance(0.3),
    source: r.pick(SOURCES),
  };
  if (r.chance(0.6)) traits.spend = Math.round(r.next() * 100000) / 100;
  if (r.chance(0.5)) traits.lastCategory = r.pick(CATEGORIES);
  return traits;
}

function makeVisitor(r, index) {
  const [locale, home] = r.pick(LOCALES);
  const country = r.chance(0.85) ? home : r.pick(COUNTRIES);
  const traits = makeTraits(r);
  // What Attune's host hands in.
  const input = {
    id: `visitor-${index}`,
    now: '2026-11-25T10:00:00Z',
    utcOffsetMinutes: 60,
    locales: [locale],
    geo: { country },
    traits,
  };
  // The same data as the Attune context presents it, for the peers.
  const attributes = { locale, language: locale.split('-')[0], geo: { country }, traits };
  return { input, attributes };
}

/**
 * Builds the whole scenario. Same arguments → byte-identical config and visitors.
 * @returns {{config: object, visitors: object[], attributes: object[], seed: number}}
 */
export function makeScenario({ campaigns = 200, placements = 8, visitors = 10000, seed = 20261125 } = {}) {
  if (!(campaigns >= placements && placements >= 1)) {
    throw new Error(`makeScenario: need campaigns >= placements >= 1 (got ${campaigns}, ${placements})`);
  }
  if (!(visitors >= 1)) throw new Error(`makeScenario: need visitors >= 1 (got ${visitors})`);
  const configRandom = makeRandom(seed);
  const visitorRandom = makeRandom(seed ^ 0x9e3779b9);
  const config = makeConfig(configRandom, campaigns, placements);
  const inputs = [];
  const attributes = [];
  for (let i = 0; i < visitors; i++) {
    const v = makeVisitor(visitorRandom, i);
    inputs.push(v.input);
    attributes.push(v.attributes);
  }
  return { config, visitors: inputs, attributes, seed };
}

/**
 * The same config with contact rules on every level (issue 6's before/after): a global day
 * cap, a 12h cap per channel, a 7-day cap per placement, a weekly cap, fatigue and a dismissal
 * cooldown on every campaign, and quiet hours that do not cover the scenario's local 11:00.
 * Sized so that an empty history — and the bench's native history — never blocks a campaign:
 * the choices stay those of the peers, and the figures measure the checks alone.
 */
export function withContactRules(config) {
  const channels = [...new Set(config.placements.map((p) => p.channel || 'web'))];
  return {
    ...config,
    caps: [
      { scope: 'global', max: 120, per: 'day' },
      { scope: 'channel', max: 100, per: '12h' },
      { scope: 'placement', max: 40, per: '7d' },
    ],
    quietHours: Object.fromEntries(channels.map((c) => [c, { from: '02:00', to: '05:00' }])),
    campaigns: config.campaigns.map((c) => ({
      ...c,
      caps: [{ max: 5, per: 'week' }, { max: 3, per: 'lifetime', count: 'click' }],
      fatigue: { impressions: 4, suppress: '3d' },
      cooldownAfterDismiss: '2d',
    })),
  };
}
