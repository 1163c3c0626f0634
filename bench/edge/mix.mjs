// The request mix of the edge load benchmark: a deterministic list of GET requests (path and
// headers) that every worker gets, byte for byte, so only the worker differs. It mixes what
// real traffic carries: many languages (some the config has no content for), a geo header on
// most, Sec-GPC on some, the worker's own state cookie on some (fresh and seasoned), and
// hostile cookies on about a fifth: random bytes, broken percent-encoding, 4 KB junk, a
// truncated or tampered state cookie, undecodable name and traits cookies. Some requests carry
// the site's name and traits cookies, which the worker templates and targets on.

// mulberry32: the same seed gives the same mix on every run (no Math.random).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ['/', '/ski/boots', '/sale', '/hiking', '/p/alpine-jacket-pro', '/climbing', '/c/camping', '/journal/layering', '/sale?utm_source=newsletter&utm_campaign=winter'];
const LANGUAGES = [
  'en-US,en;q=0.9',
  'de-DE,de;q=0.9,en;q=0.6',
  'de-AT',
  'fr-FR,fr;q=0.9,en-GB;q=0.7,en;q=0.5',
  'ar-EG,ar;q=0.9,en;q=0.4',
  'es-ES,es;q=0.9',  // no Spanish content: falls back to the default locale
  'zh-Hant-TW,zh;q=0.8,en;q=0.2',
  'en-GB',
  null,  // no header at all
];
const COUNTRIES = ['DE', 'AT', 'FR', 'US', 'AE', 'GB', 'CH', 'XX', null];
// Minutes or an IANA zone, as ATTUNE_TZ_HEADER accepts both.
const TIME_ZONES = ['60', '0', '-300', 'Europe/Berlin', 'America/New_York', 'Asia/Dubai', null];
// The site's first-name cookie (percent-encoded UTF-8), hostile values included: the worker
// must escape whatever it templates into the page.
const NAMES = ['Ada', 'Zoë', 'José María', 'محمد', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'Ada\u202eevil'];
const TRAITS = [{ tier: 'gold' }, { tier: 'silver', newsletter: true }, { tier: 'platinum', interests: ['ski', 'climbing'] }];

// Which requests (by index mod 10) carry a valid state cookie: 30%, exactly. Indexes 4 and 9
// (every fifth) carry garbage: 20%. The rest, 50%, are first visits.
const VALID_SLOTS = new Set([1, 3, 6]);

/** Hostile Cookie header values, one per kind. `stateName` is the worker's cookie name. */
export function garbageCookies(stateName, validCookie, random = rng(7)) {
  const bytes = (n, lo, hi) => Array.from({ length: n }, () => String.fromCharCode(lo + Math.floor(random() * (hi - lo)))).join('');
  const urlSafe = (n) => Array.from({ length: n }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[Math.floor(random() * 64)]).join('');
  // Random printable ASCII (';' turned into ',' so it stays one cookie), and characters
  // U+0080–U+00FF: fetch() in the checks sends them as raw obs-text bytes (RFC 9110 allows
  // them; they are invalid UTF-8), autocannon as their UTF-8 encoding. Both are hostile.
  const randomAscii = bytes(300, 0x21, 0x7f).replace(/[;]/g, ',');
  const randomHigh = bytes(200, 0x80, 0x100);
  const kinds = [
    `${stateName}=%%%`,
    `${stateName}=${urlSafe(400)}`,
    `session=abc123; junk=${urlSafe(4096)}; ${stateName}=${urlSafe(64)}`,
    `${stateName}=${randomAscii}`,
    `${stateName}=${randomHigh}`,
    `=${stateName}; ;;; ${stateName}; ${stateName}==; ${stateName}=%E0%A4%A`,
    `attune_name=%FF%FE%E0%A4%A; attune_traits=%7Bnot%20json; ${stateName}=%00`,
    `attune_traits=${encodeURIComponent(JSON.stringify({ tier: { $gt: '' }, ['__proto__']: { x: 1 }, deep: [[[[[[[[1]]]]]]]] }))}`,
  ];
  if (validCookie) {
    kinds.push(`${stateName}=${validCookie.slice(0, Math.floor(validCookie.length / 2))}`);  // truncated
    const i = Math.floor(validCookie.length / 3);
    const flipped = validCookie[i] === 'A' ? 'B' : 'A';
    kinds.push(`${stateName}=${validCookie.slice(0, i)}${flipped}${validCookie.slice(i + 1)}`);  // tampered
  }
  return kinds;
}

/**
 * The mix: `size` autocannon request objects ({method, path, headers}).
 * headerNames: {geo, timeZone} — the header names the workers are configured to read.
 * stateName / validCookies: the state cookie's name and values (empty before they are known).
 * Shares: 50% no state cookie (a first visit), 30% a valid state cookie, 20% garbage.
 */
export function makeMix({ size = 60, seed = 20261125, headerNames, stateName = 'attune', validCookies = [] }) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const garbage = garbageCookies(stateName, validCookies[0], rng(seed + 1));
  const requests = [];
  let garbageIndex = 0;
  for (let i = 0; i < size; i++) {
    const headers = {};
    const language = pick(LANGUAGES);
    if (language) headers['Accept-Language'] = language;
    const country = pick(COUNTRIES);
    if (country && headerNames.geo) headers[headerNames.geo] = country;
    if (random() < 0.25) headers['Sec-GPC'] = '1';
    const zone = pick(TIME_ZONES);
    if (zone && headerNames.timeZone) headers[headerNames.timeZone] = zone;
    // Every fifth request carries garbage (cycling through every kind), so the share is exact.
    let cookieKind = 'none';
    if (i % 5 === 4) {
      headers.Cookie = garbage[garbageIndex++ % garbage.length];
      cookieKind = 'garbage';
    } else {
      const cookies = [];
      if (random() < 0.4) cookies.push(`attune_name=${encodeURIComponent(pick(NAMES))}`);
      if (random() < 0.3) cookies.push(`attune_traits=${encodeURIComponent(JSON.stringify(pick(TRAITS)))}`);
      if (validCookies.length > 0 && VALID_SLOTS.has(i % 10)) {
        cookies.push('theme=dark', `${stateName}=${pick(validCookies)}`, '_ga=GA1.2.123.456');
        cookieKind = 'valid';
      }
      if (cookies.length) headers.Cookie = cookies.join('; ');
    }
    requests.push({ method: 'GET', path: pick(PATHS), headers, cookieKind });
  }
  return requests;
}

/** How many requests of each cookie kind a mix holds (for the report). */
export function describeMix(requests) {
  const counts = { none: 0, valid: 0, garbage: 0, gpc: 0, name: 0, traits: 0 };
  for (const r of requests) {
    counts[r.cookieKind]++;
    if (r.headers['Sec-GPC']) counts.gpc++;
    if (r.cookieKind !== 'garbage' && /attune_name=/.test(r.headers.Cookie || '')) counts.name++;
    if (r.cookieKind !== 'garbage' && /attune_traits=/.test(r.headers.Cookie || '')) counts.traits++;
  }
  return { size: requests.length, ...counts };
}
