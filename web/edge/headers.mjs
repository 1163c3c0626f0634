// Response headers of a personalised page. The body now depends on the visitor, so no shared
// cache (a CDN, a proxy) may store it, and anything that did vary must be named in Vary.

import { expiredCookie, stateCookie } from './cookies.mjs';
import { PLACEMENTS_HEADER } from './settings.mjs';

export const TOKENS_HEADER = 'Attune-Tokens';
const BASE_VARY = ['Accept-Language', 'Cookie', 'Sec-GPC'];
// Instructions to shared caches that `private, no-store` must not be contradicted by.
const SHARED_CACHE_HEADERS = ['CDN-Cache-Control', 'Cloudflare-CDN-Cache-Control', 'Surrogate-Control', 'Expires'];

export function personalizedHeaders(origin, { settings, cookie, tokens }) {
  const headers = new Headers(origin);
  headers.delete(PLACEMENTS_HEADER);
  headers.delete('Content-Length');  // the body changes length; it is streamed
  headers.delete('ETag');  // it named the origin's bytes, not these
  for (const name of SHARED_CACHE_HEADERS) headers.delete(name);
  headers.set('Cache-Control', 'private, no-store');
  headers.set('Vary', varyFor(headers.get('Vary'), settings));
  if (cookie && cookie.set) headers.append('Set-Cookie', stateCookie(settings.cookie, cookie.set));
  else if (cookie && cookie.clear) headers.append('Set-Cookie', expiredCookie(settings.cookie));
  if (tokens.length) headers.set(TOKENS_HEADER, tokens.join(', '));
  return headers;
}

// The merged Vary depends only on the origin's Vary (nearly always one value per site, often
// none) and the settings: merged once per pair and kept, bounded.
const MAX_CACHED_VARY = 64;
const varyCache = new WeakMap();  // settings → Map(origin's Vary or '' → merged)

function varyFor(existing, settings) {
  let merged = varyCache.get(settings);
  if (!merged) {
    merged = new Map();
    varyCache.set(settings, merged);
  }
  const key = existing || '';
  let value = merged.get(key);
  if (value === undefined) {
    value = mergeVary(key, varyNames(settings));
    if (key.length <= 1024) {
      if (merged.size >= MAX_CACHED_VARY) merged.clear();
      merged.set(key, value);
    }
  }
  return value;
}

function varyNames(settings) {
  const names = [...BASE_VARY];
  if (settings.geoHeader) names.push(settings.geoHeader);
  if (settings.tzHeader) names.push(settings.tzHeader);
  return names;
}

function mergeVary(existing, names) {
  const out = [];
  const seen = new Set();
  for (const name of [...String(existing || '').split(','), ...names]) {
    const n = name.trim();
    if (!n || seen.has(n.toLowerCase())) continue;
    if (n === '*') return '*';
    seen.add(n.toLowerCase());
    out.push(n);
  }
  return out.join(', ');
}
