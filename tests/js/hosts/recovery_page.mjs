// The browser side of tests/js/chromium_recovery.test.mjs: the shipped package streamed
// over HTTP (so the kept WebAssembly.Module comes from instantiateStreaming), a real trap
// through the test-only hook, and what the page sees before and after it.

import { createAttune } from '/web/attune.mjs';

const CONFIG = {
  version: 1,
  consent: { policy: 'optIn' },
  defaultLocale: 'en',
  placements: [{ id: 'hero', default: { en: { headline: 'Welcome' } } }],
  campaigns: [
    {
      id: 'returning',
      placement: 'hero',
      audience: { 'behavior.counts.page_view.lifetime': { $gte: 2 } },
      variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Welcome back' } } }],
    },
  ],
};
const TRAP = Symbol.for('attune.test.trap');

window.attuneRecovery = async () => {
  localStorage.clear();
  const reports = [];
  const rt = await createAttune({ config: CONFIG, onTrap: (r) => reports.push({ ...r }) });
  rt.setConsent({ storage: true, personalization: true, measurement: false });
  rt.track('page_view');
  rt.track('page_view');
  const before = { decision: rt.decide('hero'), record: rt.consentRecord(), id: rt.visitorId };
  rt[TRAP](1);
  const decision = rt.decide('hero');
  rt[TRAP](1);
  const tracked = rt.track('page_view');
  await rt.flush();
  const after = {
    decision, tracked, record: rt.consentRecord(), id: rt.visitorId,
    pageViews: rt.profile().behavior.counts.page_view.lifetime,
    storage: rt.storageStatus.mode, health: rt.health(), reports,
  };
  await rt.close();
  const next = await createAttune({ config: CONFIG });  // what the next page view finds
  const stored = { pageViews: next.profile().behavior.counts.page_view.lifetime, record: next.consentRecord() };
  await next.close();
  return { before, after, stored };
};
document.getElementById('status').textContent = 'ready';
