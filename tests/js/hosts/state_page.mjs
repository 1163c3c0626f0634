// The browser side of tests/js/chromium_state.test.mjs: the shipped package, imported over
// HTTP as a site would, driven through window.attuneState by page.evaluate. Each call
// returns plain JSON values so playwright can carry them back.

import { createAttune } from '/web/attune.mjs';
import { localStorageAdapter } from '/web/lib/storage.mjs';

const CONFIG = {
  version: 1,
  consent: { policy: 'optOut' },
  defaultLocale: 'en',
  placements: [{ id: 'hero', default: { en: { headline: 'Welcome' } } }],
  campaigns: [
    {
      id: 'returning',
      placement: 'hero',
      audience: { 'behavior.counts.page_view.lifetime': { $gte: 3 } },
      variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Welcome back' } } }],
    },
  ],
};

let rt = null;
let frozenAt = null;  // set by freezeClock so two pages compare profiles at one instant

const idle = () => new Promise((resolve) => setTimeout(resolve, 0));

window.attuneState = {
  async open(options = {}) {
    if (rt) await rt.close();
    rt = await createAttune({
      config: CONFIG,
      clock: () => (frozenAt === null ? Date.now() : frozenAt),
      ...options,
    });
    return { status: rt.storageStatus, report: rt.loadReport, visitorId: rt.visitorId };
  },

  // `count` page views, yielding to the event loop every `yieldEvery` so this page's flushes
  // and the other page's storage events interleave with the tracking.
  // Reports how many of the other page's writes arrived while the loop ran (proof that the
  // two loops really overlapped).
  async trackPageViews(count, yieldEvery, key) {
    let failures = 0;
    let remoteWrites = 0;
    const onStorage = (event) => {
      if (event.key === key) remoteWrites++;
    };
    addEventListener('storage', onStorage);
    for (let i = 0; i < count; i++) {
      if (!rt.track('page_view').ok) failures++;
      if ((i + 1) % yieldEvery === 0) await idle();
    }
    removeEventListener('storage', onStorage);
    return { failures, remoteWrites };
  },

  // The storage adapter's lock on its own: locked read-increment-write of a counter. Without
  // the beacons this loses increments between two tabs (see web/lib/storage.mjs).
  async lockedIncrements(count, key) {
    const adapter = localStorageAdapter(localStorage, navigator.locks);
    for (let i = 0; i < count; i++) {
      await adapter.lock(key, () => adapter.write(key, String(Number(adapter.read(key) || '0') + 1)));
    }
    adapter.close();
    return Number(localStorage.getItem(key));
  },

  track(type, props) {
    return rt.track(type, props);
  },

  decide(placementId) {
    return rt.decide(placementId);
  },

  profile() {
    return rt.profile();
  },

  pageViews() {
    const p = rt.profile();
    return p.error ? -1 : ((p.behavior.counts.page_view || {}).lifetime ?? 0);
  },

  forget() {
    return rt.forget();
  },

  freezeClock(at) {
    frozenAt = at;
  },

  flush() {
    return rt.flush();
  },

  status() {
    return { status: rt.storageStatus, report: rt.loadReport, visitorId: rt.visitorId };
  },

  stored(key) {
    return localStorage.getItem(key);
  },

  // The figures the test prints: µs per track() call from JS (tight loop over a mix of
  // event types, the clock advancing 10 minutes per event, so day buckets and interests
  // fill as they would over ~70 days) and the stored size after all of them.
  async measure(key, events) {
    let t = Date.parse('2026-09-01T08:00:00Z');
    const categories = ['ski', 'snow', 'boots', 'jackets', 'gloves', 'goggles', 'hiking', 'travel'];
    const measured = await createAttune({ config: CONFIG, key, clock: () => t, flushIntervalMs: 60_000 });
    let failures = 0;
    const started = performance.now();
    for (let i = 0; i < events; i++) {
      t += 600_000;
      let result;
      if (i % 50 === 49) {
        result = measured.track('purchase', { amount: 40 + (i % 7), items: [{ sku: `sku-${i % 13}`, categories: [categories[i % 8]] }] });
      } else if (i % 10 === 9) {
        result = measured.track('add_to_cart', { sku: `sku-${i % 13}`, price: 20, categories: [categories[i % 8]] });
      } else if (i % 10 === 5) {
        result = measured.track('search', { query: `query ${i % 31}` });
      } else {
        result = measured.track('page_view', { categories: [categories[i % 8], categories[(i * 3) % 8]], path: `/p/${i % 97}` });
      }
      if (!result.ok) failures++;
    }
    const elapsedMs = performance.now() - started;
    const flushStarted = performance.now();
    const status = await measured.flush();
    const flushMs = performance.now() - flushStarted;
    const stored = localStorage.getItem(key) || '';
    const lifetime = measured.profile().behavior.counts;
    await measured.close();
    return { elapsedMs, flushMs, failures, status, storedBytes: stored.length, counts: lifetime };
  },
};

document.getElementById('status').textContent = 'ready';
