// The Cookie request header in, Set-Cookie values out. Workers have no cookie API, and the
// header is whatever the client sent: any bytes, any length, duplicates. Parsing never
// throws and keeps a bounded amount.

// The state cookie's value budget, the same as the browser module's (web/lib/cookie_storage.mjs):
// with the name and the attributes below, a Set-Cookie value stays under 4,096 bytes.
export const STATE_COOKIE_BUDGET = 3800;
export const STATE_COOKIE_MAX_AGE_S = 31536000;  // one year, as the browser module sets it

const MAX_HEADER = 64 * 1024;  // the rest of an oversized header is ignored
const MAX_COOKIES = 200;
const ATTRIBUTES = '; Path=/; Secure; SameSite=Lax';

// name → raw value (unquoted, not percent-decoded). The first of duplicate names wins: browsers
// send the most specific path first.
export function parseCookies(header) {
  const cookies = new Map();
  if (typeof header !== 'string' || header === '') return cookies;
  for (const part of header.slice(0, MAX_HEADER).split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (name === '' || cookies.has(name)) continue;
    let value = part.slice(at + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    cookies.set(name, value);
    if (cookies.size === MAX_COOKIES) break;
  }
  return cookies;
}

// Percent-decoded text, or null when the value is not valid percent-encoded UTF-8.
export function decodeCookieText(value) {
  if (typeof value !== 'string') return null;
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

export function stateCookie(name, value) {
  return `${name}=${value}${ATTRIBUTES}; Max-Age=${STATE_COOKIE_MAX_AGE_S}`;
}

export function expiredCookie(name) {
  return `${name}=${ATTRIBUTES}; Max-Age=0`;
}
