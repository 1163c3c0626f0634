// The simulated visitor as plain data: the simulator's state (who, where, when, which page)
// and how it becomes the context overrides of each decision. Pure, no DOM: the page, the
// Node tests and the scenario checks share it.

export const LOCALES = ['en', 'en-GB', 'de', 'de-AT', 'fr', 'fr-CA', 'es', 'it', 'nl', 'ar', 'ar-EG', 'he', 'fa', 'ja', 'zh-Hant-TW'];
// Declared interests (traits.interests) the sample campaigns read, and a few they do not.
export const INTERESTS = ['hiking', 'climbing', 'camping', 'trail-running', 'ski', 'cycling'];
// The mock shop's pages: home, the cart (no newsletter popup there) and product categories.
export const PAGES = ['home', 'tents', 'boots', 'jackets', 'climbing', 'hiking', 'camping', 'cart'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// 10:00 in the visitor's zone on the day of `wallMs`: a start outside quiet hours, on the
// real date, so seasonal wording and schedules behave as today.
export function startOfDemoDay(wallMs, offsetMinutes = 60, hour = 10) {
  const local = wallMs + offsetMinutes * 60_000;
  const midnight = Math.floor(local / DAY_MS) * DAY_MS;
  return midnight + hour * HOUR_MS - offsetMinutes * 60_000;
}

export function initialState(startMs) {
  return {
    startNow: startMs,
    now: startMs,
    offsetMinutes: 60,
    locale: 'en',
    acceptLanguage: 'en-US,en;q=0.9',
    name: '',
    country: 'AT',
    city: '',
    tier: '',
    birthday: '',
    interests: new Set(),
    page: 'home',
    gpc: false,
  };
}

// The page's context: path and content categories (what `page.*` conditions read).
export function pageContext(page) {
  if (!page || page === 'home') return { url: 'https://shop.example/', path: '/', categories: [] };
  if (page === 'cart') return { url: 'https://shop.example/cart', path: '/cart', categories: [] };
  return { url: `https://shop.example/c/${page}`, path: `/c/${page}`, categories: [page] };
}

// The overrides for rt.decidePage: the simulator's view of the visitor. `locales` replaces
// the browser's own navigator.languages; with "From Accept-Language" the header is used.
export function contextOverrides(state) {
  const traits = {};
  if (state.tier) traits.tier = state.tier;
  if (state.birthday) traits.birthday = state.birthday;
  if (state.interests.size > 0) traits.interests = [...state.interests];
  const geo = {};
  if (state.country) geo.country = state.country;
  if (state.city.trim()) geo.city = state.city.trim();
  const overrides = {
    locales: state.locale ? [state.locale] : undefined,
    acceptLanguage: state.locale ? undefined : state.acceptLanguage,
    utcOffsetMinutes: state.offsetMinutes,
    geo,
    traits,
    page: pageContext(state.page),
  };
  if (state.name.trim()) overrides.name = state.name;
  return overrides;
}

// The request for negotiateLocale: what the visitor asks for.
export function localeRequest(state, available, defaultLocale = 'en') {
  const request = { available, defaultLocale };
  if (state.locale) request.requested = [state.locale];
  else request.acceptLanguage = state.acceptLanguage;
  return request;
}

// "MM-DD" of the visitor's local date: the birthday that makes today's offer fire.
export function localMonthDay(ms, offsetMinutes) {
  const d = new Date(ms + offsetMinutes * 60_000);
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

// Every locale the config has copy for (placement defaults and variants), sorted.
export function configLocales(config) {
  const locales = new Set([typeof config?.defaultLocale === 'string' ? config.defaultLocale : 'en']);
  const add = (content) => {
    if (content && typeof content === 'object') for (const tag of Object.keys(content)) locales.add(tag);
  };
  for (const p of Array.isArray(config?.placements) ? config.placements : []) add(p && p.default);
  for (const c of Array.isArray(config?.campaigns) ? config.campaigns : []) {
    for (const v of Array.isArray(c?.variants) ? c.variants : []) add(v && v.content);
  }
  return [...locales].sort();
}
