// The browser side of tests/js/chromium_caps.test.mjs: the shipped package, imported over
// HTTP as a site would, driven through window.attuneCaps by page.evaluate. The test passes
// the config (so one page serves every scenario); each call returns plain JSON values.

import { createAttune } from '/web/attune.mjs';

let rt = null;

const idle = () => new Promise((resolve) => setTimeout(resolve, 0));

// What a loop of decisions showed, by campaign (null: the placement's default), and every
// error, so the test can say exactly what went wrong.
function tally() {
  return { byCampaign: {}, errors: [], countErrors: [], remoteWrites: 0, elapsedMs: 0 };
}

function note(t, decision) {
  if (decision.error) {
    t.errors.push(decision.error);
    return;
  }
  const name = String(decision.campaign);
  t.byCampaign[name] = (t.byCampaign[name] || 0) + 1;
  if (decision.countError) t.countErrors.push(decision.countError);
}

// Counts the other page's writes that reach this page while `loop` runs: proof that the two
// pages' loops really overlapped.
async function watchingStorage(t, key, loop) {
  const onStorage = (event) => {
    if (event.key === key) t.remoteWrites++;
  };
  addEventListener('storage', onStorage);
  const started = performance.now();
  try {
    await loop();
  } finally {
    t.elapsedMs = performance.now() - started;
    removeEventListener('storage', onStorage);
  }
  return t;
}

window.attuneCaps = {
  async open(config, options = {}) {
    if (rt) await rt.close();
    rt = await createAttune({ config, ...options });
    return { status: rt.storageStatus, report: rt.loadReport, visitorId: rt.visitorId, purposes: rt.purposes() };
  },

  // `count` show() calls, `inFlight` of them started together before awaiting them (so the
  // page's own calls queue on the lock as well), then a yield to the event loop.
  showMany(count, inFlight, key, placement = 'hero') {
    const t = tally();
    return watchingStorage(t, key, async () => {
      for (let i = 0; i < count; i += inFlight) {
        const batch = [];
        for (let j = i; j < Math.min(count, i + inFlight); j++) batch.push(rt.show(placement));
        for (const decision of await Promise.all(batch)) note(t, decision);
        await idle();
      }
    });
  },

  // `count` × (decide, then impression(token)), yielding every `yieldEvery`; the counting is
  // left to the write-behind flushes and their merges.
  decideAndReportMany(count, yieldEvery, key, placement = 'hero') {
    const t = tally();
    return watchingStorage(t, key, async () => {
      for (let i = 0; i < count; i++) {
        const decision = rt.decide(placement);
        note(t, decision);
        if (!decision.error && decision.token) {
          const reported = rt.impression(decision.token);
          if (!reported.ok) t.countErrors.push(reported.error || JSON.stringify(reported));
        }
        if ((i + 1) % yieldEvery === 0) await idle();
      }
    });
  },

  decide(placement, reasons) {
    return rt.decide(placement, {}, { reasons });
  },

  impression(token) {
    return rt.impression(token);
  },

  impressions() {
    const p = rt.profile();
    return p.error ? -1 : p.behavior.counts.impression.lifetime;
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

  async close() {
    if (rt) await rt.close();
    rt = null;
  },
};

document.getElementById('status').textContent = 'ready';
