// The visitor's state in a first-party cookie: the store an edge worker reads and writes
// (docs/EDGE.md), so the edge and the browser module share one state. Chosen with
// `storage: 'cookie'`, and by default on a page an edge worker personalised.
//
// The cookie holds the same base64url blob as localStorage, compacted to COOKIE_BUDGET
// characters (older detail folded, contact history pruned: docs/STATE.md). It is shaped
// as a Storage (getItem/setItem/removeItem) so the localStorage adapter's Web Lock and
// beacon logic apply unchanged: every tab reads the cookie under the same lock before it
// merges and writes.

import { localStorageAdapter } from './storage.mjs';

export const DEFAULT_COOKIE = 'attune';
export const COOKIE_BUDGET = 3800;  // value characters: with name and attributes, < 4 KB
const MAX_AGE_S = 31536000;         // one year, as the edge sets it
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;  // an RFC 6265 token

export function checkCookieName(name) {
  return typeof name === 'string' && COOKIE_NAME.test(name)
    ? null
    : 'cookie: must be a cookie name (1–64 token characters)';
}

// `doc` is the document (document.cookie); `secure` adds the Secure attribute (on https
// pages and other secure contexts such as http://localhost).
export function cookieStore(name, doc, secure) {
  const attributes = `; Path=/; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    getItem() {
      const all = String(doc.cookie || '');
      for (const part of all.split(';')) {
        const at = part.indexOf('=');
        if (at < 0 || part.slice(0, at).trim() !== name) continue;
        return part.slice(at + 1).trim();
      }
      return null;
    },
    setItem(_key, text) {
      if (typeof text !== 'string' || text.length > COOKIE_BUDGET) {
        throw new RangeError(`the state is ${String(text).length} characters; a cookie holds ${COOKIE_BUDGET}`);
      }
      doc.cookie = `${name}=${text}${attributes}; Max-Age=${MAX_AGE_S}`;
    },
    removeItem() {
      doc.cookie = `${name}=${attributes}; Max-Age=0`;
    },
  };
}

// {adapter, status} like openStorage's, or a reason the cookie cannot be used.
export function openCookieStorage(name, locks) {
  let doc;
  try {
    doc = globalThis.document;
    if (!doc || typeof doc.cookie !== 'string') return { reason: 'no document.cookie on this host' };
    const nav = globalThis.navigator;
    if (nav && nav.cookieEnabled === false) return { reason: 'cookies are disabled' };
  } catch (e) {
    return { reason: `document.cookie is not accessible: ${String(e && e.message ? e.message : e)}` };
  }
  const secure = globalThis.isSecureContext === true;
  const store = cookieStore(name, doc, secure);
  const adapter = localStorageAdapter(store, locks);
  delete adapter.subscribe;  // no storage events for cookies: other tabs merge at their flush
  return { adapter, status: { mode: 'cookie', ok: true, sync: locks ? 'locks' : 'best-effort', cookie: name } };
}
