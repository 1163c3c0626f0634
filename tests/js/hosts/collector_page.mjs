// The browser side of tests/js/chromium_collector.test.mjs: a site page that opens the
// runtime at once (as a real page does on every load) with the collector on the same origin,
// under the default optIn policy. `?interval=ms` sets flushIntervalMs. Driven through
// window.attuneCollector by page.evaluate; every call returns plain JSON values.

import { createAttune } from '/web/attune.mjs';

export const OUTBOX_KEY = 'attune:state:outbox';
export const PLACEMENTS = 30;

// One placement per campaign, no audience: every decision shows a campaign and has a token
// of its own, whatever the token scheme of the core.
const CONFIG = {
  version: 1,
  defaultLocale: 'en',
  placements: Array.from({ length: PLACEMENTS }, (_, i) => ({ id: `p${i}`, default: { en: { text: 'Hello' } } })),
  campaigns: Array.from({ length: PLACEMENTS }, (_, i) => ({
    id: `c${i}`,
    placement: `p${i}`,
    variants: [{ id: 'a', weight: 1, content: { en: { text: `Offer ${i}` } } }],
  })),
};

const params = new URLSearchParams(location.search);
const interval = params.has('interval') ? Number(params.get('interval')) : undefined;

let rt = null;
let failure = null;
try {
  rt = await createAttune({ config: CONFIG, collectorUrl: '/collect', flushIntervalMs: interval, tcfApi: false });
} catch (e) {
  failure = String(e && e.message ? e.message : e);
}

window.attuneCollector = {
  ready: rt !== null,
  failure,
  visitorId: () => rt.visitorId,
  setConsent: (input) => rt.setConsent(input),
  purposes: () => rt.purposes(),
  stats: () => rt.collectorStats,

  // What a page does with what it showed: an impression for each placement in [from, to),
  // then a click and a conversion for the even ones, a dismiss for the odd ones.
  report(from, to) {
    const reported = [];
    for (let i = from; i < to; i++) {
      const decision = rt.decide(`p${i}`);
      if (!decision.token) {
        reported.push({ placement: `p${i}`, error: `no token: ${JSON.stringify(decision).slice(0, 200)}` });
        continue;
      }
      const calls = i % 2 === 0
        ? [['impression', rt.impression(decision.token)], ['click', rt.click(decision.token)], ['conversion', rt.conversion(decision.token, i)]]
        : [['impression', rt.impression(decision.token)], ['dismiss', rt.dismiss(decision.token)]];
      for (const [type, result] of calls) reported.push({ token: decision.token, type, result });
    }
    return reported;
  },

  // A pagehide the page survives (as before a back/forward-cache entry): the collector's
  // last-moment path runs, the document stays.
  pagehide() {
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
  },

  sessionStorage() {
    const entries = {};
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      entries[key] = sessionStorage.getItem(key);
    }
    return entries;
  },

  outbox() {
    const text = sessionStorage.getItem(OUTBOX_KEY);
    return text === null ? null : JSON.parse(text);
  },

  async close() {
    if (rt) await rt.close();
  },
};

document.getElementById('status').textContent = rt ? 'ready' : `failed: ${failure}`;
