// The synthetic visitors of the KPI dashboard: who they are, what they did before today's
// visit, and how they respond to what the engine shows them. Pure and deterministic: the
// same seed and visitor index give the same plan and the same responses on every host and
// in any chunking, so a simulation can be replayed and its figures compared.

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// The persona mix. `ctr` is the chance to click what a placement shows, `conv` the chance
// that a visit ends in a purchase (before any campaign effect), `aov` the mean order value.
export const PERSONAS = Object.freeze([
  { id: 'new', share: 0.35, ctr: 0.03, conv: 0.015, aov: 45 },
  { id: 'browser', share: 0.25, ctr: 0.05, conv: 0.03, aov: 60 },
  { id: 'cart_abandoner', share: 0.15, ctr: 0.08, conv: 0.12, aov: 85 },
  { id: 'buyer', share: 0.15, ctr: 0.06, conv: 0.08, aov: 70 },
  { id: 'lapsed_high_value', share: 0.1, ctr: 0.05, conv: 0.06, aov: 190 },
]);

// Where visitors come from: language, country, city, UTC offset, a few first names.
const MARKETS = Object.freeze([
  { share: 0.38, acceptLanguage: 'en-US,en;q=0.9', country: 'US', city: 'Denver', offset: -420, names: ['Ada', 'Grace', 'Sam'] },
  { share: 0.1, acceptLanguage: 'en-GB,en;q=0.9', country: 'GB', city: 'London', offset: 0, names: ['Olivia', 'Harry'] },
  { share: 0.2, acceptLanguage: 'de-DE,de;q=0.9,en;q=0.5', country: 'DE', city: 'München', offset: 60, names: ['Jürgen', 'Anna'] },
  { share: 0.07, acceptLanguage: 'de-AT,de;q=0.9,en;q=0.5', country: 'AT', city: 'Wien', offset: 60, names: ['Lukas', 'Sophie'] },
  { share: 0.15, acceptLanguage: 'fr-FR,fr;q=0.9,en;q=0.4', country: 'FR', city: 'Lyon', offset: 60, names: ['Chloé', 'Léo'] },
  { share: 0.1, acceptLanguage: 'ar-AE,ar;q=0.9,en;q=0.5', country: 'AE', city: 'Dubai', offset: 240, names: ['ليلى', 'عمر'] },
]);

const DEFAULT_CATEGORIES = ['ski', 'boots', 'jackets', 'gloves', 'snowboard', 'hiking'];
const DEFAULT_TIERS = ['silver', 'gold', 'platinum'];
const KEY_PATTERN = /^[\p{L}\p{N}_:.\- ]{1,64}$/u;
const MAX_VOCABULARY = 16;
const MARKETING_SHARE = 0.6;

// A 32-bit FNV-1a hash of a string (UTF-16 code units): stable, cheap, good enough to
// derive seeds and hidden campaign effects.
export function hashString(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// splitmix32 finaliser: spreads nearby seeds (visitor 1, 2, 3…) over the whole range.
function mix32(x) {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

// mulberry32: a small, fast PRNG with a 32-bit state; returns floats in [0, 1).
export function createRng(seed) {
  let state = mix32(Number(seed) >>> 0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each visitor has its own stream, so visitor i behaves the same whatever ran before it.
export function visitorRng(seed, index) {
  return createRng(mix32((Number(seed) >>> 0) ^ mix32(index >>> 0)) ^ hashString(`v${index}`));
}

function pick(rng, items) {
  return items[Math.floor(rng() * items.length) % items.length];
}

function pickShare(rng, items) {
  let r = rng();
  for (const item of items) {
    r -= item.share;
    if (r < 0) return item;
  }
  return items[items.length - 1];
}

function between(rng, low, high) {
  return low + (high - low) * rng();
}

function intBetween(rng, low, high) {
  return Math.min(high, low + Math.floor(rng() * (high - low + 1)));
}

// The words the config targets, so simulated visitors can match its audiences and
// triggers: strings under keys naming categories or interests, and trait tiers.
export function vocabulary(config) {
  const categories = new Set();
  const tiers = new Set();
  const visit = (value, key, depth) => {
    if (depth > 32 || value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      const where = /^\$/.test(k) ? key : k;
      if (/categor|interest/i.test(where)) collectStrings(v, categories);
      if (/tier/i.test(where)) collectStrings(v, tiers);
      visit(v, where, depth + 1);
    }
  };
  visit(config, '', 0);
  const keep = (set, fallback) => {
    const list = [...set].filter((s) => KEY_PATTERN.test(s)).slice(0, MAX_VOCABULARY);
    return list.length > 0 ? list : fallback.slice();
  };
  return { categories: keep(categories, DEFAULT_CATEGORIES), tiers: keep(tiers, DEFAULT_TIERS) };
}

function collectStrings(value, into) {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, into);
}

// Which placements are popups (dismissed far more often than inline content).
export function popupPlacements(config) {
  const popups = new Set();
  for (const p of Array.isArray(config?.placements) ? config.placements : []) {
    if (p && typeof p.id === 'string' && (p.channel === 'popup' || /popup|modal/i.test(p.id))) {
      popups.add(p.id);
    }
  }
  return popups;
}

function monthDay(ms, offsetMinutes) {
  const d = new Date(ms + offsetMinutes * 60_000);
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

// One visitor: persona, consent (and the purposes granted), context (locale, geo, traits), the history before today's
// visit (events sorted by time) and the page views of the visit. `rng` continues the
// visitor's stream for its responses.
export function planVisitor({ seed, index, startMs, days = 3, consentShare = 0.8, vocab }) {
  const rng = visitorRng(seed, index);
  const persona = pickShare(rng, PERSONAS);
  const market = pickShare(rng, MARKETS);
  const categories = vocab?.categories?.length ? vocab.categories : DEFAULT_CATEGORIES;
  const tiers = vocab?.tiers?.length ? vocab.tiers : DEFAULT_TIERS;
  const consent = rng() < consentShare;
  // Of those who consent, some decline marketing (the banner's last switch).
  const marketing = consent && rng() < MARKETING_SHARE;
  const favourite = pick(rng, categories);
  const second = rng() < 0.4 ? pick(rng, categories) : favourite;
  const visitAt =
    startMs + Math.floor(rng() * Math.max(1, days)) * DAY_MS + between(rng, 7, 23) * HOUR_MS - market.offset * 60_000;

  const traits = {};
  if (persona.id === 'lapsed_high_value') traits.tier = pick(rng, tiers.slice(-2));
  else if (persona.id === 'buyer' && rng() < 0.3) traits.tier = pick(rng, tiers);
  if (rng() < 0.3) traits.interests = [favourite];
  const birthdayRoll = rng();
  if (birthdayRoll < 0.04) traits.birthday = monthDay(visitAt, market.offset);
  else if (birthdayRoll < 0.5) traits.birthday = monthDay(visitAt + intBetween(rng, 1, 360) * DAY_MS, market.offset);

  const context = { utcOffsetMinutes: market.offset, acceptLanguage: market.acceptLanguage, geo: { country: market.country, city: market.city } };
  if (rng() < 0.4) context.name = pick(rng, market.names);
  if (Object.keys(traits).length > 0) context.traits = traits;

  const history = historyFor(rng, persona.id, visitAt, favourite, second);
  const firstSeen = history.length > 0 ? history[0].at : visitAt;
  const pageCount = persona.id === 'new' ? intBetween(rng, 1, 2) : intBetween(rng, 1, 4);
  const pages = [];
  let at = visitAt;
  for (let i = 0; i < pageCount; i++) {
    const category = rng() < 0.7 ? favourite : pick(rng, categories);
    pages.push({ at, categories: [category], path: `/c/${category}` });
    at += intBetween(rng, 20, 180) * 1000;
  }
  return {
    id: `sim-${seed}-${index}`,
    persona: persona.id,
    rates: persona,
    consent,
    purposes: { storage: consent, personalization: consent, measurement: consent, marketing },
    consentAt: firstSeen - 1000,
    context,
    history,
    pages,
    rng,
  };
}

function historyFor(rng, persona, visitAt, favourite, second) {
  const events = [];
  const view = (at, category) => events.push({ at, type: 'page_view', props: { categories: [category], path: `/c/${category}` } });
  const cart = (at, category) => {
    const price = Math.round(between(rng, 20, 200) * 100) / 100;
    events.push({ at, type: 'add_to_cart', props: { sku: `${category}-${intBetween(rng, 1, 40)}`, price, categories: [category] } });
    return price;
  };
  if (persona === 'browser') {
    const n = intBetween(rng, 2, 6);
    for (let i = 0; i < n; i++) view(visitAt - between(rng, 0.2, 6) * DAY_MS, i % 2 ? second : favourite);
  } else if (persona === 'cart_abandoner') {
    const left = visitAt - between(rng, 2, 36) * HOUR_MS;
    for (let i = 0; i < intBetween(rng, 1, 3); i++) view(left - (i + 1) * 90_000, favourite);
    cart(left, favourite);
  } else if (persona === 'buyer') {
    const bought = visitAt - between(rng, 1, 10) * DAY_MS;
    view(bought - 600_000, favourite);
    const price = cart(bought - 300_000, favourite);
    const amount = Math.max(price, Math.round(between(rng, 30, 250) * 100) / 100);
    // The bought item's category is what cross-sell triggers (purchase of a category) read.
    events.push({ at: bought, type: 'purchase', props: { amount, items: [{ sku: `${favourite}-1`, price: amount, categories: [favourite] }] } });
  } else if (persona === 'lapsed_high_value') {
    const n = intBetween(rng, 3, 6);
    for (let i = 0; i < n; i++) {
      const at = visitAt - between(rng, 120, 400) * DAY_MS;
      view(at - 300_000, favourite);
      const amount = Math.round(between(rng, 150, 600) * 100) / 100;
      events.push({ at, type: 'purchase', props: { amount, items: [{ sku: `${favourite}-1`, price: amount, categories: [favourite] }] } });
    }
  }
  events.sort((a, b) => a.at - b.at);
  return events;
}

// The hidden true effect of a variant on conversion (×0.9 … ×1.7, from its ids), so the
// dashboard has real uplifts to find. The holdout (and the default content) is ×1.
export function variantLift(campaign, variant) {
  if (variant === null || variant === undefined) return 1;
  return 0.9 + 0.8 * (hashString(`${campaign}\u0000${variant}`) / 4294967296);
}

// How a visitor responds to one shown decision: click, else maybe dismiss.
export function respondToDecision(rng, rates, shown) {
  const hasContent = shown.content !== null && shown.content !== undefined;
  const lift = shown.holdout ? 1 : variantLift(shown.campaign, shown.variant);
  const click = hasContent && rng() < Math.min(0.9, rates.ctr * lift);
  const dismiss = !click && hasContent && rng() < (shown.popup ? 0.35 : 0.04);
  return { click, dismiss };
}

// Whether the visit ends in a purchase, and its value: the persona's base rate times the
// effect of every campaign variant shown in the visit (clicking helps too).
export function visitOutcome(rng, rates, exposures, clicked) {
  let p = rates.conv * (clicked ? 1.5 : 1);
  let valueLift = 1;
  for (const e of exposures) {
    if (e.holdout) continue;
    const lift = variantLift(e.campaign, e.variant);
    p *= lift;
    valueLift *= 1 + (lift - 1) * 0.1;
  }
  if (!(rng() < Math.min(0.9, p))) return { converted: false, value: 0 };
  const value = Math.round(rates.aov * between(rng, 0.6, 1.4) * valueLift * 100) / 100;
  return { converted: true, value };
}
