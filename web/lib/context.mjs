// The per-decision visitor context the browser runtime builds from the page it runs in:
// the visitor-input shape of docs/FORMATS.md without `id` (the runtime's Visitor holds it).
// Everything is read defensively: a host without navigator/location/document (Node, a
// worker) simply contributes less.

const MAX_LOCALES = 16;
const MAX_URL = 2048;       // code units; longer URLs are cut (they only feed conditions)
const MAX_UTM = 8;
const MAX_UTM_VALUE = 256;
const MAX_OFFSET = 840;     // minutes; the core rejects anything beyond ±14 h

export function defaultContext(nowMs) {
  const context = { now: nowMs, utcOffsetMinutes: utcOffsetAt(nowMs) };
  const locales = browserLocales();
  if (locales) context.locales = locales;
  const page = currentPage();
  if (page) context.page = page;
  return context;
}

// The host's offset at that instant (so DST follows the clock, not the wall time of now).
// Historical offsets are not whole minutes (LMT); the core takes whole minutes.
export function utcOffsetAt(nowMs) {
  const offset = -new Date(nowMs).getTimezoneOffset();
  if (!Number.isFinite(offset)) return 0;
  return Math.max(-MAX_OFFSET, Math.min(MAX_OFFSET, Math.round(offset))) || 0;  // no -0
}

function browserLocales() {
  const nav = globalThis.navigator;
  if (!nav) return undefined;
  const list = Array.isArray(nav.languages) && nav.languages.length > 0 ? nav.languages : [nav.language];
  const locales = list.filter((tag) => typeof tag === 'string' && tag !== '').slice(0, MAX_LOCALES);
  return locales.length > 0 ? locales : undefined;
}

function currentPage() {
  const location = globalThis.location;
  if (!location || typeof location.href !== 'string' || !/^https?:$/.test(location.protocol)) return undefined;
  const page = { url: location.href.slice(0, MAX_URL), path: location.pathname.slice(0, MAX_URL) };
  const referrer = globalThis.document && globalThis.document.referrer;
  if (typeof referrer === 'string' && referrer !== '') page.referrer = referrer.slice(0, MAX_URL);
  const utm = utmParameters(location.search);
  if (utm) page.utm = utm;
  return page;
}

// `?utm_source=news&utm_campaign=x` → {source: 'news', campaign: 'x'}, as conditions read
// `page.utm.source`.
function utmParameters(search) {
  if (typeof search !== 'string' || search.length < 2) return undefined;
  let params;
  try {
    params = new URLSearchParams(search);
  } catch {
    return undefined;
  }
  const utm = {};
  let count = 0;
  for (const [name, value] of params) {
    if (!name.startsWith('utm_') || name.length === 4 || name.length > 64) continue;
    const key = name.slice(4);
    if (Object.prototype.hasOwnProperty.call(utm, key)) continue;  // first one wins
    utm[key] = value.slice(0, MAX_UTM_VALUE);
    if (++count === MAX_UTM) break;
  }
  return count > 0 ? utm : undefined;
}

// Overrides replace top-level keys, except that plain objects (page, geo, traits) are
// merged one level deep, so `{page: {categories: ['ski']}}` keeps the page's url and path.
export function mergeContext(base, overrides) {
  if (overrides === undefined || overrides === null) return base;
  const merged = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(current) ? { ...current, ...value } : value;
  }
  return merged;
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
