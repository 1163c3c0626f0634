// The browser side of tests/js/chromium_consent.test.mjs: the shipped package, imported over
// HTTP as a site would, under the default optIn policy, with the collector on the same
// origin. Driven through window.attuneConsent by page.evaluate; every call returns plain
// JSON values.

import { createAttune } from '/web/attune.mjs';
import { decodeBase64Url } from '/web/lib/storage.mjs';

const KEY = 'attune:state';

// No `consent` key: optIn, the default. hero: a profile campaign (ski fans); promo: a
// marketing campaign; banner: context only (the page path).
const CONFIG = {
  version: 1,
  defaultLocale: 'en',
  placements: [
    { id: 'hero', default: { en: { text: 'Welcome' } } },
    { id: 'promo', default: { en: { text: 'Our shop' } } },
    { id: 'banner', default: { en: { text: 'Hello' } } },
  ],
  campaigns: [
    {
      id: 'ski',
      placement: 'hero',
      audience: { topInterests: 'ski' },
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Fresh snow, {{name|friend}}' } } }],
    },
    {
      id: 'newsletter',
      placement: 'promo',
      consent: ['marketing'],
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Join the list' } } }],
    },
    {
      id: 'ski-pages',
      placement: 'banner',
      audience: { 'page.path': { $regex: '^/ski' } },
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Ski deals' } } }],
    },
  ],
};

// What the page knows about the visitor: a name and the section it is in. Both reach
// decisions only through the context, never storage.
const CONTEXT = { name: 'Ada', page: { path: '/ski/boots' } };

let rt = null;

function render(page) {
  for (const d of page.decisions) document.getElementById(d.placement).textContent = d.content ? d.content.text : '';
}

window.attuneConsent = {
  async open(options = {}) {
    if (rt) await rt.close();
    rt = await createAttune({ config: CONFIG, collectorUrl: '/collect', ...options });
    return { status: rt.storageStatus, visitorId: rt.visitorId, purposes: rt.purposes(), cmp: rt.cmpStatus };
  },

  // A full visit: browsing, a cart, a custom event, decisions rendered, and every kind of
  // measurement event for what was shown.
  visit() {
    const tracked = [
      rt.track('page_view', { categories: ['ski'], path: '/ski' }),
      rt.track('page_view', { categories: ['ski'], path: '/ski/boots' }),
      rt.track('search', { query: 'boots' }),
      rt.track('add_to_cart', { sku: 'boots-42', price: 120, categories: ['ski'] }),
      rt.track('newsletter_open'),
    ];
    const page = rt.decidePage(CONTEXT, { reasons: true });
    render(page);
    const measured = [];
    for (const d of page.decisions) {
      if (!d.token) continue;
      measured.push(rt.impression(d.token), rt.click(d.token), rt.conversion(d.token, 30));
    }
    return { tracked, decisions: page.decisions, measured };
  },

  render() {
    const page = rt.decidePage(CONTEXT, { reasons: true });
    render(page);
    return page.decisions;
  },

  shown() {
    return Object.fromEntries(['hero', 'promo', 'banner'].map((id) => [id, document.getElementById(id).textContent]));
  },

  // A fresh page decision each time: a token reports each kind once.
  measureAgain(count) {
    const results = [];
    for (let i = 0; i < count; i++) {
      const page = rt.decidePage(CONTEXT);
      for (const d of page.decisions) if (d.token) results.push(rt.impression(d.token), rt.click(d.token));
    }
    return results;
  },

  setConsent(input, options) {
    return rt.setConsent(input, options);
  },
  purposes: () => rt.purposes(),
  consentRecord: () => rt.consentRecord(),
  cmpStatus: () => rt.cmpStatus,
  collectorStats: () => rt.collectorStats,
  visitorId: () => rt.visitorId,
  profile: () => rt.profile(),
  flush: () => rt.flush(),
  forget: () => rt.forget(),

  async close() {
    if (rt) await rt.close();
    rt = null;
  },

  // The page is going away (as on navigation): what a site's last moment looks like.
  pagehide() {
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
  },

  // Every place a page can keep data, read from the page itself.
  async inspectStorage() {
    const databases = typeof indexedDB.databases === 'function' ? await indexedDB.databases() : [];
    return {
      localStorage: { length: localStorage.length, keys: Object.keys(localStorage) },
      sessionStorage: { length: sessionStorage.length, keys: Object.keys(sessionStorage) },
      cookie: document.cookie,
      indexedDB: databases.map((d) => d.name),
      caches: await caches.keys(),
    };
  },

  // The stored blob as one latin1 string: what a grep of the device would find.
  storedBytes() {
    const text = localStorage.getItem(KEY);
    if (text === null) return null;
    const bytes = decodeBase64Url(text);
    return bytes ? Array.from(bytes, (b) => String.fromCharCode(b)).join('') : `not base64url: ${text.slice(0, 40)}`;
  },
};

document.getElementById('status').textContent = 'ready';
