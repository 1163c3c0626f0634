// The request → the visitor input the core decides on (docs/FORMATS.md "Visitor input").
// Every value is a client-controlled header, cookie or URL: each is bounded and shape-checked
// here, and anything unusable is left out rather than failing the request. The core then
// normalises again (names, language tags), so this is the first of two fences.

import { decodeCookieText } from './cookies.mjs';
import { utcOffsetMinutes } from './timezone.mjs';

const MAX_ACCEPT_LANGUAGE = 1024;
const MAX_URL = 2048;
const MAX_NAME = 1024;  // the core keeps 64 grapheme clusters of it
const MAX_TRAITS_JSON = 4096;
const MAX_UTM_KEYS = 8;
const MAX_UTM_VALUE = 256;
const MAX_GEO_TEXT = 128;
const UTM_KEY = /^utm_([a-z0-9_]{1,32})$/;
const COUNTRY = /^[A-Z]{2}$/;

// `url` (the request's URL, parsed) and `gpc` may be passed when the caller has them already.
export function visitorInput(request, settings, cookies, nowMs, url = new URL(request.url), gpc = gpcOf(request)) {
  const input = { now: nowMs, utcOffsetMinutes: utcOffsetMinutes(request, settings, nowMs) };
  const acceptLanguage = boundedAcceptLanguage(request.headers.get('Accept-Language'));
  if (acceptLanguage) input.acceptLanguage = acceptLanguage;
  const geo = geoOf(request, settings);
  if (geo) input.geo = geo;
  const name = settings.nameCookie ? nameOf(cookies.get(settings.nameCookie)) : null;
  if (name) input.name = name;
  const traits = settings.traitsCookie ? traitsOf(cookies.get(settings.traitsCookie)) : null;
  if (traits) input.traits = traits;
  input.page = pageOf(request, url);
  if (gpc) input.consent = { gpc: true };
  return input;
}

// Sec-GPC: 1 is the only value the spec defines; anything else is no signal.
export function gpcOf(request) {
  const v = request.headers.get('Sec-GPC');
  return typeof v === 'string' && v.trim() === '1';
}

// Cut at the last whole entry within the bound: a half entry ("de-A") could read as
// another, valid tag.
export function boundedAcceptLanguage(value) {
  if (typeof value !== 'string') return '';
  if (value.length <= MAX_ACCEPT_LANGUAGE) return value;
  const cut = value.lastIndexOf(',', MAX_ACCEPT_LANGUAGE);
  return cut > 0 ? value.slice(0, cut) : '';
}

const NO_CF = Object.freeze({});

function geoOf(request, settings) {
  const cf = request.cf && typeof request.cf === 'object' ? request.cf : NO_CF;
  let geo = null;
  const country = countryOf(settings.geoHeader ? request.headers.get(settings.geoHeader) : null)
    || countryOf(cf.country);
  if (country) geo = { country };
  const region = shortText(cf.regionCode);
  if (region) (geo ??= {}).region = region;
  const city = shortText(cf.city);
  if (city) (geo ??= {}).city = city;
  return geo;
}

// ISO 3166-1 alpha-2; Cloudflare's "XX" (unknown) and "T1" (Tor) are no country.
function countryOf(value) {
  if (typeof value !== 'string') return '';
  const v = value.trim().toUpperCase();
  return COUNTRY.test(v) && v !== 'XX' ? v : '';
}

function shortText(value) {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_GEO_TEXT ? value : '';
}

// The first name the site keeps in a cookie (percent-encoded UTF-8); the core normalises it.
function nameOf(raw) {
  const text = decodeCookieText(raw);
  if (!text || text.length > MAX_NAME) return '';
  return text;
}

// The site's first-party traits: a percent-encoded JSON object. Anything else is ignored.
function traitsOf(raw) {
  if (typeof raw !== 'string' || raw.length > MAX_TRAITS_JSON * 3) return null;
  const text = decodeCookieText(raw);
  if (!text || text.length > MAX_TRAITS_JSON) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function pageOf(request, url) {
  const page = {
    url: url.href.slice(0, MAX_URL),
    path: url.pathname.slice(0, MAX_URL),
  };
  const referrer = request.headers.get('Referer');
  if (referrer && referrer.length <= MAX_URL) page.referrer = referrer;
  // Most queries hold no utm_ key, not even percent-encoded: nothing to walk.
  const search = url.search;
  if (!search.includes('utm') && !search.includes('%')) return page;
  const utm = Object.create(null);  // keys come from the URL: "utm___proto__" is a key like any other
  let count = 0;
  for (const [key, value] of url.searchParams) {
    const m = UTM_KEY.exec(key);
    if (!m || Object.hasOwn(utm, m[1]) || value.length > MAX_UTM_VALUE) continue;
    utm[m[1]] = value;
    if (++count === MAX_UTM_KEYS) break;
  }
  if (count) page.utm = utm;
  return page;
}
