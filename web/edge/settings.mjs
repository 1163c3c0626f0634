// The worker's environment variables, read into one settings object. A bad value never
// stops the worker: it falls back to the default and is reported (logged once per isolate).
// Every variable is documented at the top of worker.mjs and in docs/EDGE.md.

export const DEFAULT_COOKIE = 'attune';
export const DEFAULT_NAME_COOKIE = 'attune_name';
export const DEFAULT_TRAITS_COOKIE = 'attune_traits';
export const DEFAULT_GEO_HEADER = 'CF-IPCountry';
export const PLACEMENTS_HEADER = 'Attune-Placements';

const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;  // an RFC 6265 token
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;  // an RFC 9110 token
const PLACEMENT_ID = /^[^\s,]{1,128}$/;
const MAX_PLACEMENTS = 64;

const cache = new WeakMap();

export function readSettings(env) {
  const source = env && typeof env === 'object' ? env : {};
  const known = cache.get(source);
  if (known) return known;
  const problems = [];
  const text = (name) => {
    const v = source[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      problems.push(`${name}: must be a string; ignored`);
      return undefined;
    }
    return v.trim();
  };
  const token = (name, pattern, fallback, what) => {
    const v = text(name);
    if (v === undefined) return fallback;
    if (v === '') return '';  // explicitly off
    if (!pattern.test(v)) {
      problems.push(`${name}: must be ${what}; using ${fallback ? `"${fallback}"` : 'none'}`);
      return fallback;
    }
    return v;
  };

  const settings = {
    origin: readOrigin(text('ATTUNE_ORIGIN'), problems),
    configText: readConfigOverride(source.ATTUNE_CONFIG, problems),
    cookie: token('ATTUNE_COOKIE', COOKIE_NAME, DEFAULT_COOKIE, 'a cookie name') || DEFAULT_COOKIE,
    nameCookie: token('ATTUNE_NAME_COOKIE', COOKIE_NAME, DEFAULT_NAME_COOKIE, 'a cookie name'),
    traitsCookie: token('ATTUNE_TRAITS_COOKIE', COOKIE_NAME, DEFAULT_TRAITS_COOKIE, 'a cookie name'),
    geoHeader: token('ATTUNE_GEO_HEADER', HEADER_NAME, DEFAULT_GEO_HEADER, 'a header name'),
    tzHeader: token('ATTUNE_TZ_HEADER', HEADER_NAME, '', 'a header name'),
    tokenSecret: text('ATTUNE_TOKEN_SECRET') || '',
    placements: readPlacementList(text('ATTUNE_PLACEMENTS'), problems),
    problems,
  };
  Object.freeze(settings);
  cache.set(source, settings);
  return settings;
}

// "hero, banner" → ["hero", "banner"]; blanks, duplicates and malformed ids dropped.
export function splitPlacementList(value) {
  const out = [];
  for (const part of String(value).split(',')) {
    const id = part.trim();
    if (PLACEMENT_ID.test(id) && !out.includes(id)) out.push(id);
    if (out.length === MAX_PLACEMENTS) break;
  }
  return out;
}

function readPlacementList(value, problems) {
  if (value === undefined || value === '') return null;  // not set: every placement of the config
  const list = splitPlacementList(value);
  if (list.length === 0) problems.push('ATTUNE_PLACEMENTS: no placement id in it; deciding every placement');
  return list.length ? list : null;
}

function readOrigin(value, problems) {
  if (!value) return null;  // not set: the request goes where it was addressed (a route in front of the origin)
  let url;
  try {
    url = new URL(value);
  } catch {
    problems.push(`ATTUNE_ORIGIN: "${value.slice(0, 100)}" is not a URL; forwarding requests as addressed`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push('ATTUNE_ORIGIN: must be an http(s) URL; forwarding requests as addressed');
    return null;
  }
  return url.origin;
}

// ATTUNE_CONFIG overrides the bundled config.json: JSON text (a text binding, a wrangler
// var or secret) or an object (a json binding).
function readConfigOverride(value, problems) {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      problems.push('ATTUNE_CONFIG: cannot be serialised; using the bundled config.json');
      return null;
    }
  }
  problems.push('ATTUNE_CONFIG: must be JSON text or an object; using the bundled config.json');
  return null;
}
